import type { NodeStatusView, StateTotalView } from '../../../shared/status.js';
import { formatBytes } from '../../../shared/format.js';
import { type Command, openNode } from '../command.js';
import { formatCaps } from './caps.js';

export const status: Command = {
  name: 'status',
  summary: 'show counts and bytes per state, caps and peers',
  help: `Usage: inswarm status [--json]

Shows this device's ID, its data folder, the destination, how many blobs (and bytes) are in each
state (its own outbox, and the replicas it holds for others), how many own blobs have all their
replicas, the caps, and — while "inswarm start" runs on the same data folder — the peers it is
linked with.

Options:
  --json   print the status as JSON`,
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ values, dataDir, print }) {
    const node = await openNode(dataDir);
    try {
      const view = await node.status();
      print(values['json'] ? JSON.stringify(view, null, 2) : formatStatus(view));
    } finally {
      await node.close();
    }
  },
};

/** The human-readable status, shared by `status` and `start`. */
export function formatStatus(view: NodeStatusView): string {
  const totals = (rows: readonly StateTotalView[]) => {
    const present = rows.filter((r) => r.count > 0);
    return present.length === 0 ? 'none' : present.map((r) => `${r.state} ${r.count} (${formatBytes(r.bytes)})`).join(', ');
  };
  const own = view.outbox.filter((r) => r.state !== 'delivered' && r.state !== 'lost').reduce((n, r) => n + r.count, 0);
  const lines = [
    `Device ID:    ${view.deviceId}`,
    `Data folder:  ${view.dataDir}`,
    `Destination:  ${view.destination === null ? 'none (set one with "inswarm dest set age1…")' : `${view.destination.label} ${view.destination.recipient}`}`,
    `Outbox:       ${totals(view.outbox)}; ${view.placed} of ${own} on ${view.caps.replicas} holders`,
    `Held:         ${totals(view.held)}`,
    formatCaps(view.caps),
  ];
  const r = view.running;
  if (r === null) {
    lines.push('Node:         not running (start it with "inswarm start")');
  } else {
    lines.push(`Node:         running (pid ${r.pid}) on ${r.listen ?? '?'}; ${r.linked.length} linked, ${r.seen} seen`);
    for (const p of r.linked) lines.push(`  ${p.deviceId.slice(0, 7)}  ${p.name}  ${p.address}  ${p.direction}  free ${formatBytes(p.freeBytes)}`);
    if (r.discoveryWarning !== null) lines.push(`  ${r.discoveryWarning}`);
    const net = r.network;
    if (net != null) {
      const where = [net.ssid === null ? null : `Wi-Fi "${net.ssid}"`, net.gatewayMac === null ? null : `gateway ${net.gatewayMac}`].filter((x) => x !== null).join(', ') || 'no network';
      lines.push(`Network:      ${where}; ${net.home === null ? 'not a home network (delivery waits)' : `home network "${net.home}": delivering`}`);
    }
  }
  const delivered = view.deliveries.filter((d) => d.count > 0);
  if (delivered.length > 0) lines.push(`Deliveries:   ${delivered.map((d) => `${d.state} ${d.count}`).join(', ')}`);
  return lines.join('\n');
}
