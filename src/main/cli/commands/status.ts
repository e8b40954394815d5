import type { NodeStatusView, StateTotalView } from '../../../shared/status.js';
import { formatBytes } from '../../../shared/format.js';
import { InswarmNode } from '../../core/node.js';
import type { Command } from '../command.js';

export const status: Command = {
  name: 'status',
  summary: 'show counts and bytes per state',
  help: `Usage: inswarm status [--json]

Shows this device's ID, its data folder, the destination, and how many blobs (and bytes) are in
each state: its own outbox and the replicas it holds for others.

Options:
  --json   print the status as JSON`,
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ values, dataDir, print }) {
    const node = await InswarmNode.open(dataDir);
    try {
      const view = node.status();
      print(values['json'] ? JSON.stringify(view, null, 2) : formatStatus(view));
    } finally {
      node.close();
    }
  },
};

/** The human-readable status, shared by `status` and `start`. */
export function formatStatus(view: NodeStatusView): string {
  const totals = (rows: readonly StateTotalView[]) => {
    const present = rows.filter((r) => r.count > 0);
    return present.length === 0 ? 'none' : present.map((r) => `${r.state} ${r.count} (${formatBytes(r.bytes)})`).join(', ');
  };
  return [
    `Device ID:    ${view.deviceId}`,
    `Data folder:  ${view.dataDir}`,
    `Destination:  ${view.destination === null ? 'none (set one with "inswarm dest set age1…")' : `${view.destination.label} ${view.destination.recipient}`}`,
    `Outbox:       ${totals(view.outbox)}`,
    `Held:         ${totals(view.held)}`,
  ].join('\n');
}
