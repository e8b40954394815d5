// Gateways for LAN tests: turns hosts of a Lan (tests/helpers/netns.ts) into "routers" with fixed
// MAC addresses, and moves other hosts' default route from one router to another — what a laptop
// sees when it leaves the venue and reaches home. Built on Lan without changing it: routers are
// ordinary Lan hosts, so lan.destroy() removes them with everything else.
//
// A router may also own an "upstream" address (10.77.x.y, outside the LAN's /24) on its loopback:
// a host reaches it only while its default route points at that router (routers never forward),
// so a server bound there (a home receiver, an s3rver) stands for "the internet, reachable from
// home only".

import type { Lan, LanHost } from './netns.js';
import { run } from './run.js';

export interface Router {
  /** A name for messages, e.g. "venue" or "home". */
  readonly name: string;
  /** The Lan host playing the router (run servers in it with lan.spawn(router.host, …)). */
  readonly host: LanHost;
  /** Its address on the LAN: what hosts' default route points at. */
  readonly address: string;
  /** Its fixed MAC address on the LAN (lowercase, colon form): the gateway MAC a fingerprint shows. */
  readonly mac: string;
  /** The address only reachable through this router, if one was given. */
  readonly upstream: string | null;
}

export interface RouterOptions {
  /** Default: 02:77:NN:00:00:II, NN = the LAN's third octet and II = the host's index, in hex (locally administered, unicast). */
  readonly mac?: string;
  /** An address such as "10.77.45.1", outside the LAN's /24, put on the router's loopback. */
  readonly upstream?: string;
}

/** Makes `host` a router: sets its MAC address (the link stays up, so its routes stay) and its upstream address. */
export async function makeRouter(lan: Lan, host: LanHost, name: string, options: RouterOptions = {}): Promise<Router> {
  if (!lan.hosts.includes(host)) throw new Error(`makeRouter: ${host.ns} is not a host of ${lan.name}`);
  const octets = host.address.split('.').map(Number);
  const mac = options.mac ?? `02:77:${hex(octets[2]!)}:00:00:${hex(host.index)}`;
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1) throw new Error(`makeRouter: ${mac} is not a lowercase unicast MAC address`);
  await ip(['-n', host.ns, 'link', 'set', 'dev', host.iface, 'address', mac]);
  let upstream: string | null = null;
  if (options.upstream !== undefined) {
    const m = /^10\.77\.(\d{1,3})\.(\d{1,3})$/.exec(options.upstream);
    if (m === null || Number(m[1]) === octets[2]) throw new Error(`makeRouter: upstream must be 10.77.x.y outside ${host.address}/24, not ${options.upstream}`);
    await ip(['-n', host.ns, 'addr', 'add', `${options.upstream}/32`, 'dev', 'lo']);
    upstream = options.upstream;
  }
  return { name, host, address: host.address, mac, upstream };
}

/** The common case: hosts `venue` and `home` (1-based indexes) of `lan` become routers with those names. */
export async function addRouters(lan: Lan, indexes: { venue: number; home: number }, options: { venue?: RouterOptions; home?: RouterOptions } = {}): Promise<{ venue: Router; home: Router }> {
  const venue = await makeRouter(lan, lan.host(indexes.venue), 'venue', options.venue);
  const home = await makeRouter(lan, lan.host(indexes.home), 'home', options.home);
  return { venue, home };
}

/**
 * Points each host's default route at `router` (`ip route replace default via …`), like a laptop
 * joining that router's network. Neighbour entries are left as they are: a laptop that changes
 * networks also keeps its old ARP cache until it expires.
 */
export async function switchGateway(hosts: LanHost | readonly LanHost[], router: Router): Promise<void> {
  for (const host of toList(hosts)) {
    if (host.ns === router.host.ns) throw new Error(`switchGateway: ${router.name} cannot be its own gateway`);
    await ip(['-n', host.ns, 'route', 'replace', 'default', 'via', router.address, 'dev', host.iface]);
  }
}

/** Removes each host's default route: offline. */
export async function dropGateway(hosts: LanHost | readonly LanHost[]): Promise<void> {
  for (const host of toList(hosts)) {
    const r = await run('ip', ['-n', host.ns, 'route', 'del', 'default']);
    if (r.code !== 0 && !/No such process/.test(r.stderr)) throw new Error(`ip -n ${host.ns} route del default failed: ${r.stderr.trim()}`);
  }
}

/** The host's default gateway as the kernel has it, or null. */
export async function gatewayOf(host: LanHost): Promise<string | null> {
  const r = await run('ip', ['-n', host.ns, '-j', '-4', 'route', 'show', 'default']);
  if (r.code !== 0) throw new Error(`ip -n ${host.ns} route show default failed: ${r.stderr.trim()}`);
  const routes = JSON.parse(r.stdout || '[]') as Array<{ gateway?: string }>;
  return routes[0]?.gateway ?? null;
}

/** What the host's neighbour table holds for `address`: its MAC, or null (no entry, INCOMPLETE, FAILED). */
export async function neighbourMac(host: LanHost, address: string): Promise<string | null> {
  const r = await run('ip', ['-n', host.ns, '-j', '-4', 'neigh', 'show', 'to', address, 'dev', host.iface]);
  if (r.code !== 0) throw new Error(`ip -n ${host.ns} neigh show failed: ${r.stderr.trim()}`);
  const entries = JSON.parse(r.stdout || '[]') as Array<{ lladdr?: string }>;
  return entries[0]?.lladdr ?? null;
}

/** Empties the host's neighbour table, as after a reboot or a long time away. */
export async function flushNeighbours(host: LanHost): Promise<void> {
  await ip(['-n', host.ns, 'neigh', 'flush', 'dev', host.iface]);
}

function toList(hosts: LanHost | readonly LanHost[]): readonly LanHost[] {
  return Array.isArray(hosts) ? (hosts as readonly LanHost[]) : [hosts as LanHost];
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

async function ip(args: readonly string[]): Promise<void> {
  const r = await run('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}
