// What network this device is on, as far as home delivery cares: the Wi-Fi SSID and the default
// gateway's MAC address (so wired networks count too). One interface, one small probe per OS
// (linux.ts, macos.ts, windows.ts), each reading the OS's own tools; and the rule for deciding
// that a fingerprint is one of the user's home networks.
//
// A fingerprint describes the network the default route goes through: the SSID is that of the
// default route's interface (Linux, macOS; Windows reports its connected Wi-Fi), the MAC is that of
// the default route's gateway. Nothing here needs privileges.

import { InswarmError } from '../errors.js';
import { nudgeArp, runTool, type Nudger, type ToolRunner } from './exec.js';
import { LinuxProbe } from './linux.js';
import { MacosProbe } from './macos.js';
import { WindowsProbe } from './windows.js';

export interface NetworkFingerprint {
  /** The Wi-Fi network's name, when the default route leaves through Wi-Fi and the OS tells it; else null. */
  readonly ssid: string | null;
  /** The IPv4 default gateway, or null with no default route (offline) or a gateway-less (point-to-point) one. */
  readonly gatewayIp: string | null;
  /** The gateway's MAC address (lowercase, colon form), or null when the gateway did not answer ARP. */
  readonly gatewayMac: string | null;
  /** The default route's interface (a name such as wlan0 or en0; on Windows its IPv4 address), or null. */
  readonly iface: string | null;
}

/** The default route as the probes read it, before the gateway's MAC and the SSID are looked up. */
export interface DefaultRoute {
  readonly gatewayIp: string | null;
  readonly iface: string | null;
}

export interface ProbeOptions {
  readonly signal?: AbortSignal;
}

export interface NetworkProbe {
  /** Reads the current network; throws E_NET_PROBE only when it cannot be known at all (a required tool missing or hung). */
  current(options?: ProbeOptions): Promise<NetworkFingerprint>;
}

/** What a probe needs from the outside world; tests hand in recorded tool output. */
export interface ProbeDeps {
  readonly run: ToolRunner;
  readonly nudge: Nudger;
}

/** The fingerprint of no network at all. */
export const NO_NETWORK: NetworkFingerprint = Object.freeze({ ssid: null, gatewayIp: null, gatewayMac: null, iface: null });

/** The probe for this OS (or `platform`); an OS without one gets a probe that says so with E_NET_PROBE. */
export function probeForPlatform(platform: NodeJS.Platform = process.platform, deps: ProbeDeps = { run: runTool, nudge: nudgeArp }): NetworkProbe {
  switch (platform) {
    case 'linux':
      return new LinuxProbe(deps);
    case 'darwin':
      return new MacosProbe(deps);
    case 'win32':
      return new WindowsProbe(deps);
    default:
      return {
        current: () => Promise.reject(new InswarmError('E_NET_PROBE', `Inswarm cannot read the current network on ${platform} yet, so home networks are never detected here: use "inswarm deliver --now" to deliver.`)),
      };
  }
}

/** What matchHome compares: a home network's SSID and gateway MAC, either of which may be absent. */
export interface HomeNetworkKey {
  readonly ssid: string | null;
  readonly gatewayMac: string | null;
}

/**
 * The first of `homes` that `fp` is on, or null. A home matches when its gateway MAC equals the
 * current gateway's, or when it has an SSID and that equals the current SSID (exact, case- and
 * byte-sensitive, as SSIDs are). Either one is enough:
 *  - the SSID alone recognises home Wi-Fi even after the router is replaced or behind a mesh whose
 *    gateway differs, and the MAC alone recognises a wired home, a hidden SSID, or an OS that
 *    redacts SSIDs (macOS 14+ without location permission);
 *  - a wrong "home" (a café whose SSID is also "FRITZ!Box 7590") costs only an upload attempt over
 *    that network: deliveries are end to end (pinned receiver certificate, signed receipts,
 *    presigned URLs), so nothing is exposed or lost. A person who fears a common SSID adds the home
 *    by gateway MAC only (`inswarm home add --gateway-mac`).
 * Unknown values (null) never match anything.
 */
export function matchHome<H extends HomeNetworkKey>(fp: NetworkFingerprint, homes: readonly H[]): H | null {
  for (const home of homes) {
    if (home.gatewayMac !== null && fp.gatewayMac !== null && home.gatewayMac === fp.gatewayMac) return home;
    if (home.ssid !== null && fp.ssid !== null && home.ssid === fp.ssid) return home;
  }
  return null;
}
