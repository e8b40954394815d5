import { InswarmError } from '../../core/errors.js';
import { probeForPlatform } from '../../core/homenet/fingerprint.js';
import { HomeNetworkStore, type HomeNetwork, type NewHomeNetwork } from '../../core/homenet/home-networks.js';
import { UsageError, type Command, openNode } from '../command.js';

export const home: Command = {
  name: 'home',
  summary: 'add, remove or list the home networks where delivery starts',
  help: `Usage: inswarm home add [--label LABEL] (--current | --ssid SSID | --gateway-mac MAC)
       inswarm home remove ID|LABEL
       inswarm home list [--json]

Home networks are where this device delivers what it holds and its own blobs. A network is home
when its default gateway's MAC address, or its Wi-Fi name (SSID), equals one given here; see the
current network with "inswarm net".

"add" records a home network:
  --current          the network this device is on now (its SSID and gateway MAC address)
  --ssid SSID        a Wi-Fi name, 1 to 32 bytes (may be combined with --gateway-mac)
  --gateway-mac MAC  the router's MAC address, e.g. 0a:1b:2c:3d:4e:5f; for a wired network, or to
                     avoid trusting an SSID other places also use
  --label LABEL      a name for it (default: the SSID, else "gateway MAC")
"remove" deletes one, by the ID or label "list" shows.

Options:
  --json   print as JSON`,
  options: {
    json: { type: 'boolean' },
    label: { type: 'string' },
    current: { type: 'boolean' },
    ssid: { type: 'string' },
    'gateway-mac': { type: 'string' },
  },
  positionals: [1, 2],
  async run({ values, positionals, dataDir, print, note }) {
    const [action, target] = positionals;
    const json = values['json'] === true;
    const onlyFor = (allowed: string[]) => {
      for (const name of ['label', 'current', 'ssid', 'gateway-mac']) {
        if (values[name] !== undefined && !allowed.includes(name)) throw new UsageError(`--${name} is only for "inswarm home add".`);
      }
    };
    if (action === 'add') {
      if (target !== undefined) throw new UsageError('"inswarm home add" takes no argument: give --current, --ssid or --gateway-mac.');
      const wanted = await homeToAdd(values);
      const added = await withStore(dataDir, (store) => store.add(wanted));
      print(json ? JSON.stringify(added, null, 2) : `Added home network ${added.id} ${describe(added)}.`);
      return;
    }
    if (action === 'remove') {
      onlyFor([]);
      if (target === undefined) throw new UsageError('"inswarm home remove" needs the ID or label of a home network (see "inswarm home list").');
      const removed = await withStore(dataDir, (store) => store.remove(target));
      print(json ? JSON.stringify(removed, null, 2) : `Removed home network ${removed.id} ${describe(removed)}.`);
      return;
    }
    if (action === 'list') {
      onlyFor([]);
      if (target !== undefined) throw new UsageError('"inswarm home list" takes no argument.');
      const homes = await withStore(dataDir, (store) => store.list());
      if (json) print(JSON.stringify(homes, null, 2));
      else if (homes.length === 0) note('No home networks yet: add one with "inswarm home add --current" while at home.');
      else print(formatList(homes));
      return;
    }
    throw new UsageError(`Unknown action "${action}": use "add", "remove" or "list".`);
  },
};

/** What `home add` should record, from its options (reading the current network for --current). */
async function homeToAdd(values: Record<string, unknown>): Promise<NewHomeNetwork> {
  const label = typeof values['label'] === 'string' ? values['label'] : undefined;
  const ssid = typeof values['ssid'] === 'string' ? values['ssid'] : undefined;
  const gatewayMac = typeof values['gateway-mac'] === 'string' ? values['gateway-mac'] : undefined;
  if (values['current'] === true) {
    if (ssid !== undefined || gatewayMac !== undefined) throw new UsageError('Give either --current or --ssid/--gateway-mac, not both.');
    const fp = await probeForPlatform().current();
    if (fp.ssid === null && fp.gatewayMac === null) {
      throw new InswarmError('E_NET_PROBE', 'The current network has neither an SSID nor a gateway MAC address Inswarm can read (see "inswarm net"): connect to your home network, or give --ssid or --gateway-mac.');
    }
    return { label, ssid: fp.ssid, gatewayMac: fp.gatewayMac };
  }
  if (ssid === undefined && gatewayMac === undefined) throw new UsageError('"inswarm home add" needs --current, --ssid or --gateway-mac.');
  return { label, ssid: ssid ?? null, gatewayMac: gatewayMac ?? null };
}

async function withStore<T>(dataDir: string, fn: (store: HomeNetworkStore) => T): Promise<T> {
  const node = await openNode(dataDir);
  try {
    return fn(new HomeNetworkStore(node.ledger));
  } finally {
    await node.close();
  }
}

function describe(h: HomeNetwork): string {
  const parts = [h.ssid === null ? null : `SSID ${JSON.stringify(h.ssid)}`, h.gatewayMac === null ? null : `gateway ${h.gatewayMac}`].filter((p) => p !== null);
  return `${JSON.stringify(h.label)} (${parts.join(', ')})`;
}

function formatList(homes: readonly HomeNetwork[]): string {
  const rows = [['ID', 'LABEL', 'SSID', 'GATEWAY MAC', 'ADDED'], ...homes.map((h) => [String(h.id), h.label, h.ssid ?? '-', h.gatewayMac ?? '-', new Date(h.addedAt).toISOString().slice(0, 16).replace('T', ' ')])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + (cell.length - [...cell].length)))).join('  ')).join('\n');
}
