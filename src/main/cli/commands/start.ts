import { InswarmNode } from '../../core/node.js';
import type { Command } from '../command.js';
import { formatStatus } from './status.js';

export const start: Command = {
  name: 'start',
  summary: 'run this node until interrupted',
  help: `Usage: inswarm start [--headless]

Opens the node (creating its identity and ledger on first use), reconciles blob files with the
ledger, prints where its data lives and its status, and runs until SIGINT or SIGTERM.

Options:
  --headless   run without a window (the only mode in this version)`,
  options: { headless: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ dataDir, print, note }) {
    const node = await InswarmNode.open(dataDir, { reconcile: true });
    const report = node.reconciled;
    if (report !== null && report.tempsRemoved + report.lost.length + report.quarantined.length > 0) {
      note(`Reconciled the blob store: ${report.tempsRemoved} temp file(s) removed, ${report.lost.length} missing blob(s) marked lost, ${report.quarantined.length} stray file(s) quarantined.`);
    }
    print(formatStatus(node.status()));
    print('Running. Press Ctrl+C to stop.');
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    node.close();
    note(`Stopped cleanly (${signal}).`);
  },
};
