// The macOS probe: the default route from `route -n get default`, the gateway's MAC from
// `arp -n GW`, the SSID from `networksetup -getairportnetwork IF` or, since macOS 14 may redact
// it there, from `ipconfig getsummary IF`. Pure parsers, exported for tests on recorded output.

import { isIPv4 } from 'node:net';
import { InswarmError } from '../errors.js';
import { readMacWithNudge, runOptional, runRequired, type ToolOptions } from './exec.js';
import type { DefaultRoute, NetworkFingerprint, NetworkProbe, ProbeDeps, ProbeOptions } from './fingerprint.js';
import { normalizeMac, ssidFromText } from './normalize.js';

/** A BSD interface name (en0, utun3, bridge100); never starting with '-', since it becomes an argument. */
const IFACE = /^[A-Za-z][A-Za-z0-9_.]{0,14}$/;
/** What macOS prints in place of an SSID it will not tell a process without location permission. */
const REDACTED = '<redacted>';
const BASE_SYSTEM = 'it is part of macOS, so check the PATH Inswarm runs with (/sbin and /usr/sbin)';

export class MacosProbe implements NetworkProbe {
  constructor(private readonly deps: ProbeDeps) {}

  async current(options: ProbeOptions = {}): Promise<NetworkFingerprint> {
    const opts: ToolOptions = { signal: options.signal, env: { ...process.env, LC_ALL: 'C' } };
    const r = await runRequired(this.deps.run, 'route', ['-n', 'get', 'default'], BASE_SYSTEM, opts);
    if (r.code !== 0 && !/not in table/.test(r.stderr + r.stdout)) {
      throw new InswarmError('E_NET_PROBE', `"route -n get default" failed (exit ${r.code}), so the current network cannot be identified: run it yourself to see why.`);
    }
    const route = r.code === 0 ? parseRouteGet(r.stdout) : null;
    if (route === null) return { ssid: null, gatewayIp: null, gatewayMac: null, iface: null };
    const { gatewayIp, iface } = route;
    const [gatewayMac, ssid] = await Promise.all([
      gatewayIp !== null ? readMacWithNudge(gatewayIp, () => this.arp(gatewayIp, iface, opts), this.deps.nudge, options.signal) : Promise.resolve(null),
      iface !== null ? this.ssid(iface, opts) : Promise.resolve(null),
    ]);
    return { ssid, gatewayIp, gatewayMac, iface };
  }

  private async arp(gatewayIp: string, iface: string | null, opts: ToolOptions): Promise<string | null> {
    // "arp -n GW" exits 1 with "-- no entry": that is an answer (no MAC yet), not a failure.
    const r = await runRequired(this.deps.run, 'arp', ['-n', gatewayIp], BASE_SYSTEM, opts);
    return parseArp(r.stdout, gatewayIp, iface);
  }

  private async ssid(iface: string, opts: ToolOptions): Promise<string | null> {
    const ns = await runOptional(this.deps.run, 'networksetup', ['-getairportnetwork', iface], opts);
    const fromNetworksetup = ns !== null && ns.code === 0 ? parseNetworksetupAirport(ns.stdout) : null;
    if (fromNetworksetup !== null) return fromNetworksetup;
    const summary = await runOptional(this.deps.run, 'ipconfig', ['getsummary', iface], opts);
    return summary !== null && summary.code === 0 ? parseIpconfigSummary(summary.stdout) : null;
  }
}

/**
 * `route -n get default` output ("    gateway: 192.168.1.1", "  interface: en0"). Null when it
 * names neither (no default route); a gateway that is not an IPv4 address (a VPN's link route)
 * leaves gatewayIp null.
 */
export function parseRouteGet(text: string): DefaultRoute | null {
  const gateway = field(text, 'gateway');
  const iface = field(text, 'interface');
  if (gateway === undefined && iface === undefined) return null;
  return {
    gatewayIp: gateway !== undefined && isIPv4(gateway) ? gateway : null,
    iface: iface !== undefined && IFACE.test(iface) ? iface : null,
  };
}

/**
 * The gateway's MAC in `arp -n GW` output: "? (192.168.1.1) at 0:1a:2b:3:4:5 on en0 ifscope
 * [ethernet]" (macOS drops leading zeros). Null for "(incomplete)" or "-- no entry". An entry on
 * the default route's interface is preferred when the same address is known on several.
 */
export function parseArp(text: string, gatewayIp: string, iface: string | null): string | null {
  let fallback: string | null = null;
  for (const line of text.split('\n')) {
    const m = /\((\d{1,3}(?:\.\d{1,3}){3})\) at (\S+) on (\S+)/.exec(line);
    if (m === null || m[1] !== gatewayIp) continue;
    const mac = normalizeMac(m[2]!);
    if (mac === null) continue;
    if (iface === null || m[3] === iface) return mac;
    fallback ??= mac;
  }
  return fallback;
}

/**
 * `networksetup -getairportnetwork IF`: "Current Wi-Fi Network: NAME" (older: "Current AirPort
 * Network: NAME"). Null for "You are not associated with an AirPort network." (which macOS 14.4+
 * also prints when it redacts the name) or "IF is not a Wi-Fi interface."
 */
export function parseNetworksetupAirport(text: string): string | null {
  const m = /^Current (?:Wi-Fi|AirPort) Network: (.*)$/m.exec(text);
  return m === null ? null : ssidFromText(m[1]!.replace(/\r$/, ''));
}

/** `ipconfig getsummary IF`: the "  SSID : NAME" line (not "BSSID : …"); null when absent or "<redacted>". */
export function parseIpconfigSummary(text: string): string | null {
  const m = /^\s*SSID : (.*)$/m.exec(text);
  if (m === null) return null;
  const value = m[1]!.replace(/\r$/, '');
  return value === REDACTED ? null : ssidFromText(value);
}

function field(text: string, name: string): string | undefined {
  const m = new RegExp(`^\\s*${name}: (\\S+)\\s*$`, 'm').exec(text);
  return m?.[1];
}
