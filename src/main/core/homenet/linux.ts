// The Linux probe: the default route and its gateway's MAC from iproute2 (`ip -j`, or its text
// output where -j is unknown), the SSID from NetworkManager (nmcli) or, without it, `iw`. The
// parsers are pure and exported, so recorded output can be tested without the tools.

import { isIPv4 } from 'node:net';
import { InswarmError } from '../errors.js';
import { readMacWithNudge, runOptional, runRequired, type ToolOptions } from './exec.js';
import type { DefaultRoute, NetworkFingerprint, NetworkProbe, ProbeDeps, ProbeOptions } from './fingerprint.js';
import { normalizeMac, ssidFromBytes } from './normalize.js';

/** A Linux interface name: at most 15 bytes, no '/', ':' or spaces; never starting with '-', since it becomes an argument. */
const IFACE = /^(?!-)[^\s/:]{1,15}$/;
/** Neighbour states that have no usable link-layer address. */
const UNRESOLVED = new Set(['INCOMPLETE', 'FAILED']);
const INSTALL_IP = 'install iproute2 (e.g. "apt-get install iproute2")';

export class LinuxProbe implements NetworkProbe {
  constructor(private readonly deps: ProbeDeps) {}

  async current(options: ProbeOptions = {}): Promise<NetworkFingerprint> {
    // LC_ALL=C: untranslated, stable output from every tool (nmcli says "yes", not "ja").
    const opts: ToolOptions = { signal: options.signal, env: { ...process.env, LC_ALL: 'C' } };
    const { route, json } = await this.defaultRoute(opts);
    if (route === null) return { ssid: null, gatewayIp: null, gatewayMac: null, iface: null };
    const { gatewayIp, iface } = route;
    const [gatewayMac, ssid] = await Promise.all([
      gatewayIp !== null && iface !== null ? readMacWithNudge(gatewayIp, () => this.neighbour(gatewayIp, iface, json, opts), this.deps.nudge, options.signal) : Promise.resolve(null),
      iface !== null ? this.ssid(iface, opts) : Promise.resolve(null),
    ]);
    return { ssid, gatewayIp, gatewayMac, iface };
  }

  /** `ip -j route`, falling back to the text form on an iproute2 without JSON output. */
  private async defaultRoute(opts: ToolOptions): Promise<{ route: DefaultRoute | null; json: boolean }> {
    const j = await runRequired(this.deps.run, 'ip', ['-j', '-4', 'route', 'show', 'default'], INSTALL_IP, opts);
    if (j.code === 0) {
      try {
        return { route: parseIpRouteJson(j.stdout), json: true };
      } catch {
        // not JSON: an ip that ignored -j; read the text form below
      }
    }
    const t = await runRequired(this.deps.run, 'ip', ['-4', 'route', 'show', 'default'], INSTALL_IP, opts);
    if (t.code !== 0) throw new InswarmError('E_NET_PROBE', `"ip route" failed (${firstLine(t.stderr) || `exit ${t.code}`}), so the current network cannot be identified: check that iproute2 works here.`);
    return { route: parseIpRouteText(t.stdout), json: false };
  }

  private async neighbour(gatewayIp: string, iface: string, json: boolean, opts: ToolOptions): Promise<string | null> {
    const args = ['-4', 'neigh', 'show', 'to', gatewayIp, 'dev', iface];
    const r = await runRequired(this.deps.run, 'ip', json ? ['-j', ...args] : args, INSTALL_IP, opts);
    if (r.code !== 0) return null; // the interface vanished between the two reads: no MAC now
    return json ? parseIpNeighJson(r.stdout, gatewayIp) : parseIpNeighText(r.stdout, gatewayIp);
  }

  private async ssid(iface: string, opts: ToolOptions): Promise<string | null> {
    const nm = await runOptional(this.deps.run, 'nmcli', ['-t', '-f', 'ACTIVE,SSID-HEX', 'device', 'wifi', 'list', 'ifname', iface, '--rescan', 'no'], opts);
    if (nm !== null && nm.code === 0) {
      const ssid = parseNmcliWifi(nm.stdout);
      if (ssid !== null) return ssid;
    }
    const iw = await runOptional(this.deps.run, 'iw', ['dev', iface, 'link'], opts);
    return iw !== null && iw.code === 0 ? parseIwLink(iw.stdout) : null;
  }
}

/**
 * The default route in `ip -j route show default` output: the lowest metric wins, as in the kernel;
 * with several next hops (multipath), the first. Null when there is none (offline) or only
 * unreachable/blackhole ones. Throws on text that is not ip's JSON.
 */
export function parseIpRouteJson(text: string): DefaultRoute | null {
  if (text.trim() === '') return null; // some iproute2 versions print nothing for an empty table
  const routes: unknown = JSON.parse(text);
  if (!Array.isArray(routes)) throw new Error('ip -j route: not a JSON array');
  let best: { route: DefaultRoute; metric: number } | null = null;
  for (const r of routes as Array<Record<string, unknown>>) {
    if (r === null || typeof r !== 'object' || r['dst'] !== 'default') continue;
    if (r['type'] !== undefined && r['type'] !== 'unicast') continue;
    const hop = Array.isArray(r['nexthops']) && r['nexthops'].length > 0 ? (r['nexthops'][0] as Record<string, unknown>) : r;
    const route = checkedRoute(hop['gateway'], hop['dev'] ?? r['dev']);
    const metric = typeof r['metric'] === 'number' ? r['metric'] : 0;
    if (best === null || metric < best.metric) best = { route, metric };
  }
  return best?.route ?? null;
}

/** The same from `ip route show default` text: "default via 192.168.1.1 dev wlan0 proto dhcp metric 600". */
export function parseIpRouteText(text: string): DefaultRoute | null {
  let best: { route: DefaultRoute; metric: number } | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const words = lines[i]!.trim().split(/\s+/);
    if (words[0] !== 'default') continue; // "unreachable default …", "blackhole default …" start otherwise
    let via = after(words, 'via');
    let dev = after(words, 'dev');
    // multipath: the next hops follow on indented "nexthop via … dev …" lines
    const next = lines[i + 1]?.trim().split(/\s+/);
    if (via === undefined && dev === undefined && next?.[0] === 'nexthop') {
      via = after(next, 'via');
      dev = after(next, 'dev');
    }
    const metricText = after(words, 'metric');
    const metric = metricText !== undefined && /^\d+$/.test(metricText) ? Number(metricText) : 0;
    const route = checkedRoute(via, dev);
    if (best === null || metric < best.metric) best = { route, metric };
  }
  return best?.route ?? null;
}

/** The gateway's MAC in `ip -j neigh show to GW dev IF` output, or null (no entry, INCOMPLETE, FAILED). */
export function parseIpNeighJson(text: string, gatewayIp: string): string | null {
  if (text.trim() === '') return null;
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(entries)) return null;
  for (const e of entries as Array<Record<string, unknown>>) {
    if (e === null || typeof e !== 'object' || e['dst'] !== gatewayIp || typeof e['lladdr'] !== 'string') continue;
    const states = Array.isArray(e['state']) ? (e['state'] as unknown[]) : [];
    if (states.some((s) => typeof s === 'string' && UNRESOLVED.has(s))) continue;
    const mac = normalizeMac(e['lladdr']);
    if (mac !== null) return mac;
  }
  return null;
}

/** The same from text: "10.0.0.1 dev eth0 lladdr 0a:1b:2c:3d:4e:5f REACHABLE" (dev is left out when filtered). */
export function parseIpNeighText(text: string, gatewayIp: string): string | null {
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== gatewayIp) continue;
    if (words.some((w) => UNRESOLVED.has(w))) continue;
    const lladdr = after(words, 'lladdr');
    const mac = lladdr === undefined ? null : normalizeMac(lladdr);
    if (mac !== null) return mac;
  }
  return null;
}

/**
 * The connected network's SSID in `nmcli -t -f ACTIVE,SSID-HEX device wifi list` output (lines
 * "yes:4D794E6574"). SSID-HEX gives the exact bytes whatever the locale; they must be UTF-8.
 */
export function parseNmcliWifi(text: string): string | null {
  for (const line of text.split('\n')) {
    const fields = splitTerse(line.replace(/\r$/, ''));
    if (fields[0] !== 'yes' || fields[1] === undefined) continue;
    const hex = fields[1];
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) continue;
    return ssidFromBytes(Buffer.from(hex, 'hex'));
  }
  return null;
}

/**
 * The SSID in `iw dev IF link` output ("\tSSID: MyNet" under "Connected to …"; "Not connected."
 * otherwise). iw writes bytes outside printable ASCII, a backslash and edge spaces as \xNN.
 */
export function parseIwLink(text: string): string | null {
  if (!/^Connected to /m.test(text)) return null;
  const m = /^\s*SSID: (.*)$/m.exec(text);
  if (m === null) return null;
  const escaped = m[1]!.replace(/\r$/, '');
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const hex = /^\\x([0-9a-fA-F]{2})/.exec(escaped.slice(i));
    if (hex !== null) {
      bytes.push(parseInt(hex[1]!, 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(escaped[i]!, 'utf8'));
    }
  }
  return ssidFromBytes(Buffer.from(bytes));
}

/** nmcli terse fields: separated by ':', with ':' and '\' inside values escaped by '\'. */
export function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) current += line[++i]!;
    else if (ch === ':') {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  fields.push(current);
  return fields;
}

function checkedRoute(gateway: unknown, dev: unknown): DefaultRoute {
  return {
    gatewayIp: typeof gateway === 'string' && isIPv4(gateway) ? gateway : null,
    iface: typeof dev === 'string' && IFACE.test(dev) ? dev : null,
  };
}

function after(words: readonly string[], key: string): string | undefined {
  const i = words.indexOf(key);
  return i === -1 ? undefined : words[i + 1];
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
