// The Windows probe: the default route from `route print -4 0.0.0.0`, the gateway's MAC from
// `arp -a GW`, the SSID from `netsh wlan show interfaces`. Windows translates these tools' labels
// ("Aktive Routen", "Schnittstelle"), so the parsers read the shape of the lines (addresses,
// columns), not their words; only netsh's "SSID" label is the same in every language.

import { isIPv4 } from 'node:net';
import { InswarmError } from '../errors.js';
import { readMacWithNudge, runOptional, runRequired, type ToolOptions } from './exec.js';
import type { DefaultRoute, NetworkFingerprint, NetworkProbe, ProbeDeps, ProbeOptions } from './fingerprint.js';
import { normalizeMac, ssidFromText } from './normalize.js';

const BASE_SYSTEM = 'it is part of Windows, so check the PATH Inswarm runs with (C:\\Windows\\System32)';
const IPV4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;

export class WindowsProbe implements NetworkProbe {
  constructor(private readonly deps: ProbeDeps) {}

  async current(options: ProbeOptions = {}): Promise<NetworkFingerprint> {
    const opts: ToolOptions = { signal: options.signal };
    const r = await runRequired(this.deps.run, 'route', ['print', '-4', '0.0.0.0'], BASE_SYSTEM, opts);
    if (r.code !== 0) throw new InswarmError('E_NET_PROBE', `"route print" failed (exit ${r.code}), so the current network cannot be identified: run it yourself to see why.`);
    const route = parseRoutePrint(r.stdout);
    if (route === null) return { ssid: null, gatewayIp: null, gatewayMac: null, iface: null };
    const { gatewayIp, iface } = route;
    const [gatewayMac, ssid] = await Promise.all([
      gatewayIp !== null ? readMacWithNudge(gatewayIp, () => this.arp(gatewayIp, iface, opts), this.deps.nudge, options.signal) : Promise.resolve(null),
      this.ssid(opts),
    ]);
    return { ssid, gatewayIp, gatewayMac, iface };
  }

  private async arp(gatewayIp: string, iface: string | null, opts: ToolOptions): Promise<string | null> {
    // "No ARP Entries Found." comes with a non-zero exit: an answer, not a failure.
    const r = await runRequired(this.deps.run, 'arp', ['-a', gatewayIp], BASE_SYSTEM, opts);
    return parseArpA(r.stdout, gatewayIp, iface);
  }

  private async ssid(opts: ToolOptions): Promise<string | null> {
    // Fails without Wi-Fi hardware or with the WLAN service stopped: then there is no SSID.
    const r = await runOptional(this.deps.run, 'netsh', ['wlan', 'show', 'interfaces'], opts);
    return r !== null && r.code === 0 ? parseNetshInterfaces(r.stdout) : null;
  }
}

/**
 * The default route in `route print -4 0.0.0.0`: the five-column "0.0.0.0 0.0.0.0 GATEWAY
 * INTERFACE METRIC" lines of the active routes (persistent routes have four columns and are not
 * in force by themselves); the lowest metric wins. An "On-link" default has no gateway. `iface` is
 * the interface's IPv4 address, which is how Windows names it here.
 */
export function parseRoutePrint(text: string): DefaultRoute | null {
  let best: { route: DefaultRoute; metric: number } | null = null;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*0\.0\.0\.0\s+0\.0\.0\.0\s+(\S+)\s+(\S+)\s+(\d+)\s*$/.exec(line);
    if (m === null) continue;
    const route: DefaultRoute = { gatewayIp: isIPv4(m[1]!) ? m[1]! : null, iface: isIPv4(m[2]!) ? m[2]! : null };
    const metric = Number(m[3]);
    if (best === null || metric < best.metric) best = { route, metric };
  }
  return best?.route ?? null;
}

/**
 * The gateway's MAC in `arp -a GW` output: blocks headed "Interface: 192.168.1.23 --- 0xc" with
 * rows "192.168.1.1  a0-b1-c2-d3-e4-f5  dynamic". The row in the default route's interface block
 * is preferred; broadcast and zero rows are not MACs of a gateway.
 */
export function parseArpA(text: string, gatewayIp: string, iface: string | null): string | null {
  let block: string | null = null;
  let fallback: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const header = new RegExp(`^\\S.*?:\\s+(${IPV4})\\s+---\\s+0x[0-9a-f]+`, 'i').exec(line);
    if (header !== null) {
      block = header[1]!;
      continue;
    }
    const row = new RegExp(`^\\s+(${IPV4})\\s+([0-9a-f]{2}(?:-[0-9a-f]{2}){5})\\s`, 'i').exec(`${line} `);
    if (row === null || row[1] !== gatewayIp) continue;
    const mac = normalizeMac(row[2]!);
    if (mac === null) continue;
    if (iface === null || block === iface) return mac;
    fallback ??= mac;
  }
  return fallback;
}

/**
 * The connected Wi-Fi's SSID in `netsh wlan show interfaces`: the first "    SSID : NAME" line
 * (never "BSSID" or "AP BSSID"). A disconnected interface has no SSID line; a machine without
 * Wi-Fi says "There is no wireless interface on the system." Both give null.
 */
export function parseNetshInterfaces(text: string): string | null {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*SSID\s*: (.*)$/.exec(line);
    if (m !== null) return ssidFromText(m[1]!);
  }
  return null;
}
