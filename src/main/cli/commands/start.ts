import { InswarmNode } from '../../core/node.js';
import type { Command } from '../command.js';
import { formatStatus } from './status.js';

/** How often the running node purges expired replicas: retention is in hours, a minute is exact enough. */
const PURGE_INTERVAL_MS = 60_000;

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
    // Listen for signals before anything else: a Ctrl+C during start-up must still stop cleanly.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const node = await InswarmNode.open(dataDir, { reconcile: true });
    const report = node.reconciled;
    if (report !== null && report.tempsRemoved + report.lost.length + report.quarantined.length > 0) {
      note(`Reconciled the blob store: ${report.tempsRemoved} temp file(s) removed, ${report.lost.length} missing blob(s) marked lost, ${report.quarantined.length} stray file(s) quarantined.`);
    }
    await node.purgeExpired();
    print(formatStatus(node.status()));
    print('Running. Press Ctrl+C to stop.');
    // Periodic upkeep; the timer is also what keeps the process alive between signals.
    let upkeep = Promise.resolve(0);
    const timer = setInterval(() => {
      upkeep = upkeep.then(() => node.purgeExpired()).catch((err: unknown) => {
        note(`Purging expired replicas failed: ${(err as Error).message}`);
        return 0;
      });
    }, PURGE_INTERVAL_MS);
    const signal = await stopped;
    clearInterval(timer);
    await upkeep;
    node.close();
    note(`Stopped cleanly (${signal}).`);
  },
};
