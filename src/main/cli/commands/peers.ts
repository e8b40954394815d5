import { formatBytes } from '../../../shared/format.js';
import { parsePeerAddress } from '../../core/discovery/manual-peers.js';
import { UsageError, type Command, openNode } from '../command.js';
import { MANUAL_PEERS_SETTING } from '../../core/discovery/manual-peers.js';

export const peers: Command = {
  name: 'peers',
  summary: 'list peers: linked now, seen before, and added by address',
  help: `Usage: inswarm peers [--json]

Lists the peers the running node is linked with, the peers this device has linked with before,
and the addresses added with "inswarm peer add".

Options:
  --json   print as JSON`,
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ values, dataDir, print }) {
    const node = await openNode(dataDir);
    try {
      const status = await node.status();
      const known = node.ledger.listPeers(1000);
      const manual = (node.ledger.getSetting(MANUAL_PEERS_SETTING) as string[] | undefined) ?? [];
      const linked = status.running?.linked ?? [];
      if (values['json']) {
        print(JSON.stringify({ linked, known, manual }, null, 2));
        return;
      }
      print(status.running === null ? 'Node not running: no live links.' : `Linked (${linked.length}):`);
      for (const p of linked) print(`  ${p.deviceId}  ${p.name}  ${p.address}  ${p.direction}  free ${formatBytes(p.freeBytes)}`);
      print(`Known (${known.length}):`);
      for (const p of known) print(`  ${p.deviceId}  ${p.name}  ${p.addresses.join(', ')}  last seen ${new Date(p.lastSeen).toISOString()}`);
      print(`Added by address (${manual.length}):`);
      for (const m of manual) print(`  ${m}`);
      if (status.running?.discoveryWarning) print(status.running.discoveryWarning);
    } finally {
      await node.close();
    }
  },
};

export const peer: Command = {
  name: 'peer',
  summary: 'add or remove a peer by address (for networks that block multicast)',
  help: `Usage: inswarm peer add [ID@]HOST:PORT
       inswarm peer remove [ID@]HOST:PORT

Saves a peer address that "inswarm start" links with, for networks where mDNS does not work.
With ID@ the peer's device ID is pinned; without it, it is learned on the first link.`,
  options: {},
  positionals: [2, 2],
  async run({ positionals, dataDir, print }) {
    const [action, text] = positionals as [string, string];
    parsePeerAddress(text);
    const node = await openNode(dataDir);
    try {
      const list = new Set((node.ledger.getSetting(MANUAL_PEERS_SETTING) as string[] | undefined) ?? []);
      if (action === 'add') list.add(text);
      else if (action === 'remove') list.delete(text);
      else throw new UsageError(`Unknown action "${action}": use "add" or "remove".`);
      node.ledger.setSetting(MANUAL_PEERS_SETTING, [...list]);
      print([...list].join('\n'));
    } finally {
      await node.close();
    }
  },
};

export const held: Command = {
  name: 'held',
  summary: 'list replicas held for others',
  help: `Usage: inswarm held [--limit N] [--json]

Lists the replicas this device holds for others, newest first: blob ID, size, origin, when it
arrived, when it expires, and its state. Holders never see what is inside.

Options:
  --limit N   how many to show (default 50)
  --json      print as JSON`,
  options: { json: { type: 'boolean' }, limit: { type: 'string' } },
  positionals: [0, 0],
  async run({ values, dataDir, print }) {
    const limit = typeof values['limit'] === 'string' ? Number(values['limit']) : 50;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number, 1 or more.');
    const node = await openNode(dataDir);
    try {
      const rows = node.ledger.heldPage({ limit });
      if (values['json']) {
        print(JSON.stringify(rows, null, 2));
        return;
      }
      for (const r of rows) {
        print(`${r.blobId.slice(0, 12)}  ${formatBytes(r.size).padStart(8)}  ${r.originId.slice(0, 7)}  ${new Date(r.receivedAt).toISOString()}  expires ${new Date(r.expiresAt).toISOString()}  ${r.state}`);
      }
      const totals = node.ledger.heldSummary().filter((t) => t.count > 0);
      print(`Total: ${totals.map((t) => `${t.state} ${t.count} (${formatBytes(t.bytes)})`).join(', ') || 'nothing held'}`);
    } finally {
      await node.close();
    }
  },
};
