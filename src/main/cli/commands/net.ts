import { probeForPlatform, type NetworkFingerprint } from '../../core/homenet/fingerprint.js';
import { HomeNetworkStore, type HomeNetwork } from '../../core/homenet/home-networks.js';
import { type Command, openNode } from '../command.js';

/** What `inswarm net --json` prints. */
export interface NetView extends NetworkFingerprint {
  /** True when this network is one of the home networks. */
  readonly home: boolean;
  /** The home network it matched, or null. */
  readonly homeNetwork: HomeNetwork | null;
}

export const net: Command = {
  name: 'net',
  summary: 'show the current network and whether it is a home network',
  help: `Usage: inswarm net [--json]

Shows the network this device is on, as home delivery sees it: the Wi-Fi name (SSID) of the
interface the default route uses, the default gateway's address and MAC address, and whether it
is one of your home networks ("inswarm home list"). A network is home when its gateway MAC
address, or its SSID, equals one a home network was added with.

Options:
  --json   print it as JSON (ssid, gatewayIp, gatewayMac, iface, home, homeNetwork)`,
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ values, dataDir, print }) {
    const fp = await probeForPlatform().current();
    const node = await openNode(dataDir);
    let homeNetwork: HomeNetwork | null;
    try {
      homeNetwork = new HomeNetworkStore(node.ledger).isHome(fp);
    } finally {
      await node.close();
    }
    const view: NetView = { ...fp, home: homeNetwork !== null, homeNetwork };
    print(values['json'] ? JSON.stringify(view, null, 2) : formatNet(view));
  },
};

function formatNet(v: NetView): string {
  const gateway = v.gatewayIp === null ? (v.iface === null ? 'none (no default route: offline?)' : `none (default route on ${v.iface} has no gateway)`) : `${v.gatewayIp} on ${v.iface ?? '?'}, MAC ${v.gatewayMac ?? 'unknown (the gateway did not answer ARP)'}`;
  return [
    `Wi-Fi (SSID):  ${v.ssid === null ? 'none or not told by the OS' : JSON.stringify(v.ssid)}`,
    `Gateway:       ${gateway}`,
    `Home network:  ${v.homeNetwork === null ? 'no' : `yes, ${JSON.stringify(v.homeNetwork.label)} (ID ${v.homeNetwork.id})`}`,
  ].join('\n');
}
