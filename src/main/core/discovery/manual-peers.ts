// The second rung of the discovery ladder: peers a person names by address, for venues whose Wi-Fi
// blocks multicast or isolates clients. `inswarm peer add HOST:PORT`, `--peer HOST:PORT` and the UI
// all go through parsePeerAddress; ManualPeers keeps the list and hands it to the caller to persist.
// A peer added by address alone is pinned to the device ID it presents on its first link (trust on
// first use); `ID@HOST:PORT` pins it from the start.

import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { InswarmError } from '../errors.js';
import { parseDeviceId } from '../identity/device-id.js';
import { MANUAL_PEERS_MAX, MANUAL_PEER_MAX_INPUT_CHARS } from '../limits.js';

/** A peer address as typed, checked and normalized. */
/** The ledger setting that keeps peers added by hand (`inswarm peer add`, the UI). */
export const MANUAL_PEERS_SETTING = 'manualPeers';

export interface ParsedPeerAddress {
  /** IPv4 dotted quad, IPv6 without brackets (zone kept, e.g. `fe80::1%wlan0`), or a lowercase ASCII host name. */
  readonly host: string;
  readonly port: number;
  readonly hostKind: 'ipv4' | 'ipv6' | 'name';
  /** Canonical device ID when given as `ID@HOST:PORT`, else null (learned on first link). */
  readonly deviceId: string | null;
}

/** One entry of the manual list, as the caller persists it (plain JSON). */
export interface ManualPeer {
  readonly host: string;
  readonly port: number;
  /** Null until the first link tells us (or until the user gives it). */
  readonly deviceId: string | null;
  /** When the entry was added (ms since the epoch); shown in the UI, used for nothing else. */
  readonly addedAt: number;
}

/** What `learnDeviceId` found when a link to a manual peer came up. */
export type LearnResult = 'pinned' | 'match' | 'mismatch' | 'unknown-address';

/**
 * Reads `HOST:PORT`, `[IPv6]:PORT` or `DEVICE-ID@HOST:PORT` as a person types it and returns it
 * normalized. Throws InswarmError E_BAD_PEER_ADDRESS (or E_BAD_DEVICE_ID for a mistyped ID) with a
 * sentence that says how to write it.
 */
export function parsePeerAddress(text: string): ParsedPeerAddress {
  if (typeof text !== 'string') throw bad('A peer address must be text such as 192.168.1.20:22000.');
  if (text.length > MANUAL_PEER_MAX_INPUT_CHARS) {
    throw bad(`That peer address is ${text.length} characters long; an address is HOST:PORT, e.g. 192.168.1.20:22000.`);
  }
  const input = text.trim();
  if (input === '') throw bad('The peer address is empty: write HOST:PORT, e.g. 192.168.1.20:22000.');

  let deviceId: string | null = null;
  let rest = input;
  const at = input.indexOf('@');
  if (at !== -1) {
    if (input.indexOf('@', at + 1) !== -1) {
      throw bad(`"${input}" has more than one "@": write DEVICE-ID@HOST:PORT or just HOST:PORT.`);
    }
    deviceId = parseDeviceId(input.slice(0, at).trim());
    rest = input.slice(at + 1).trim();
  }

  const { host, portText } = splitHostPort(rest);
  const port = parsePort(portText, rest);
  const checked = checkHost(host, rest);
  return { host: checked.host, port, hostKind: checked.kind, deviceId };
}

/** The address as `HOST:PORT`, `[IPv6]:PORT` or `ID@HOST:PORT`: what parsePeerAddress reads back. */
export function formatPeerAddress(peer: { readonly host: string; readonly port: number; readonly deviceId?: string | null }): string {
  const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host;
  const id = peer.deviceId ? `${peer.deviceId}@` : '';
  return `${id}${host}:${peer.port}`;
}

/** How the caller loads and saves the list (a JSON file in the data folder, a ledger row…). */
export interface ManualPeersStorage {
  /** Returns what `save` stored last, or undefined/null when nothing was saved yet. */
  load(): Promise<unknown> | unknown;
  /** Stores the whole list durably before resolving. */
  save(peers: readonly ManualPeer[]): Promise<void> | void;
}

export interface ManualPeersComponents {
  readonly storage?: ManualPeersStorage;
  readonly now?: () => number;
}

/**
 * The manually added peers, keyed by host and port. Every change is saved through the storage
 * hook before it becomes visible, so a failed save leaves the list as it was. Changes run one at a
 * time, so concurrent adds never save a stale list.
 */
export class ManualPeers {
  private peers: ManualPeer[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly components: ManualPeersComponents = {}) {
    this.now = components.now ?? Date.now;
  }

  /**
   * Reads the stored list. The stored copy is input too (a hand-edited or damaged file): every
   * entry is checked again, bad ones are dropped and counted, never thrown on, so one broken entry
   * does not take the other peers with it.
   */
  async load(): Promise<{ loaded: number; skipped: number }> {
    return this.serialize(async () => {
      const stored = await this.components.storage?.load();
      const { peers, skipped } = readStored(stored);
      this.peers = peers;
      return { loaded: peers.length, skipped };
    });
  }

  /** The list, oldest first. */
  list(): readonly ManualPeer[] {
    return this.peers;
  }

  /**
   * Adds `HOST:PORT` or `ID@HOST:PORT` (text, or already parsed). Adding an address that is already
   * listed keeps one entry; giving an ID for an entry without one pins it. Giving a different ID
   * for an entry that has one is refused: remove it first, so a pin is never replaced silently.
   */
  async add(address: string | ParsedPeerAddress): Promise<{ peer: ManualPeer; added: boolean }> {
    const parsed = typeof address === 'string' ? parsePeerAddress(address) : parsePeerAddress(formatPeerAddress(address));
    return this.serialize(async () => {
      const index = this.indexOf(parsed.host, parsed.port);
      if (index !== -1) {
        const known = this.peers[index]!;
        if (parsed.deviceId === null || parsed.deviceId === known.deviceId) return { peer: known, added: false };
        if (known.deviceId !== null) {
          throw new InswarmError('E_PEER_MISMATCH', `${formatPeerAddress(known)} is already listed with another device ID; remove it first (inswarm peer remove ${formatPeerAddress({ host: known.host, port: known.port })}) if the device there changed.`);
        }
        const pinned: ManualPeer = { ...known, deviceId: parsed.deviceId };
        await this.commit(this.peers.map((p, i) => (i === index ? pinned : p)));
        return { peer: pinned, added: false };
      }
      if (this.peers.length >= MANUAL_PEERS_MAX) {
        throw new InswarmError('E_PEER_LIST_FULL', `There are already ${MANUAL_PEERS_MAX} manual peers: remove some before adding more.`);
      }
      const peer: ManualPeer = { host: parsed.host, port: parsed.port, deviceId: parsed.deviceId, addedAt: this.now() };
      await this.commit([...this.peers, peer]);
      return { peer, added: true };
    });
  }

  /** Removes the entry for `HOST:PORT` (an `ID@` prefix is ignored). Resolves false when none was listed. */
  async remove(address: string | ParsedPeerAddress): Promise<boolean> {
    const parsed = typeof address === 'string' ? parsePeerAddress(address) : address;
    return this.serialize(async () => {
      const index = this.indexOf(parsed.host, parsed.port);
      if (index === -1) return false;
      await this.commit(this.peers.filter((_, i) => i !== index));
      return true;
    });
  }

  /**
   * Trust on first use: called when a link to `host:port` came up and its TLS certificate proved
   * `deviceId`. An entry without an ID is pinned to it ('pinned'); an entry pinned to another ID is
   * left alone and 'mismatch' is returned, so the caller refuses the link (E_PEER_MISMATCH) and
   * tells the user the device at that address is not the one they added.
   */
  async learnDeviceId(host: string, port: number, deviceId: string): Promise<LearnResult> {
    const id = parseDeviceId(deviceId);
    return this.serialize(async () => {
      const index = this.indexOf(normalizeHostForLookup(host), port);
      if (index === -1) return 'unknown-address';
      const known = this.peers[index]!;
      if (known.deviceId === id) return 'match';
      if (known.deviceId !== null) return 'mismatch';
      await this.commit(this.peers.map((p, i) => (i === index ? { ...known, deviceId: id } : p)));
      return 'pinned';
    });
  }

  private indexOf(host: string, port: number): number {
    return this.peers.findIndex((p) => p.host === host && p.port === port);
  }

  private async commit(next: ManualPeer[]): Promise<void> {
    await this.components.storage?.save(next);
    this.peers = next;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Splits `host:port` / `[v6]:port`, refusing the ambiguous bare-IPv6 form. */
function splitHostPort(text: string): { host: string; portText: string } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw bad(`"${text}" opens "[" without closing it: write an IPv6 address as [fe80::1]:22000.`);
    const host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after === '') throw bad(`"${text}" has no port: write [${host}]:PORT, e.g. [${host}]:22000.`);
    if (!after.startsWith(':')) throw bad(`"${text}" has something other than ":PORT" after "]": write [${host}]:22000.`);
    const percent = host.indexOf('%');
    if (!isIPv6(percent === -1 ? host : host.slice(0, percent))) {
      throw bad(`"${host}" inside brackets is not an IPv6 address: brackets are only for IPv6, e.g. [fe80::1]:22000.`);
    }
    return { host, portText: after.slice(1) };
  }
  const colons = text.split(':').length - 1;
  if (colons === 0) throw bad(`"${text}" has no port: write HOST:PORT, e.g. ${text}:22000 (the other device shows its port).`);
  if (colons > 1) {
    if (isIPv6(text)) throw bad(`"${text}" looks like an IPv6 address without a port: write [${text}]:PORT.`);
    throw bad(`"${text}" has more than one ":": write HOST:PORT, and put IPv6 addresses in brackets, e.g. [fe80::1]:22000.`);
  }
  const colon = text.indexOf(':');
  return { host: text.slice(0, colon), portText: text.slice(colon + 1) };
}

function parsePort(portText: string, whole: string): number {
  if (!/^[0-9]{1,5}$/.test(portText)) {
    throw bad(`"${portText}" in "${whole}" is not a port: a port is a number from 1 to 65535.`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(`Port ${portText} in "${whole}" is out of range: a port is a number from 1 to 65535.`);
  return port;
}

/** Longest DNS name in presentation form without the trailing dot (RFC 1035: 255 octets on the wire). */
const HOSTNAME_MAX_CHARS = 253;
/** One DNS label (RFC 1035). */
const LABEL_PATTERN = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** An IPv6 zone is an interface name or index (Linux names stop at 15 characters). */
const ZONE_PATTERN = /^[0-9A-Za-z._-]{1,15}$/;

function checkHost(host: string, whole: string): { host: string; kind: ParsedPeerAddress['hostKind'] } {
  if (host === '') throw bad(`"${whole}" has no host before the ":": write HOST:PORT, e.g. 192.168.1.20:22000.`);
  if (host.includes(':')) {
    // Bracketed IPv6 (splitHostPort already checked isIPv6). Lowercase the address, keep the zone as typed.
    const percent = host.indexOf('%');
    const addr = (percent === -1 ? host : host.slice(0, percent)).toLowerCase();
    const zone = percent === -1 ? '' : host.slice(percent + 1);
    if (percent !== -1 && !ZONE_PATTERN.test(zone)) throw bad(`"%${zone}" in "${whole}" is not an interface name: write e.g. [fe80::1%wlan0]:22000.`);
    if (addr === '::' || /^ff/i.test(addr)) throw bad(`${addr} is not a device's address (it is unspecified or multicast): use the address the other device shows.`);
    return { host: percent === -1 ? addr : `${addr}%${zone}`, kind: 'ipv6' };
  }
  if (/^[0-9.]+$/.test(host)) {
    // All digits and dots: meant as IPv4 (no real host name ends in a numeric label).
    if (!isIPv4(host)) throw bad(`"${host}" is not a valid IPv4 address: four numbers from 0 to 255, e.g. 192.168.1.20.`);
    const first = Number(host.split('.')[0]);
    if (host === '0.0.0.0' || host === '255.255.255.255' || (first >= 224 && first <= 239)) {
      throw bad(`${host} is not a device's address (it is unspecified, broadcast or multicast): use the address the other device shows.`);
    }
    return { host, kind: 'ipv4' };
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  // Non-ASCII names (IDN) become their punycode form, which is what DNS and mDNS resolve.
  const ascii = /^[\x21-\x7e]*$/.test(name) ? name.toLowerCase() : domainToASCII(name);
  const labels = ascii.split('.');
  if (ascii === '' || ascii.length > HOSTNAME_MAX_CHARS || !labels.every((l) => LABEL_PATTERN.test(l))) {
    throw bad(`"${host}" is not a valid host name or address: use letters, digits, "-" and ".", or an IP address such as 192.168.1.20.`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) throw bad(`"${host}" is neither a host name nor an IPv4 address: check the address the other device shows.`);
  return { host: ascii, kind: 'name' };
}

/** Normalizes a host the way parsePeerAddress would, for lookups by what a link reports. */
function normalizeHostForLookup(host: string): string {
  try {
    return parsePeerAddress(formatPeerAddress({ host, port: 1 })).host;
  } catch {
    return host;
  }
}

function readStored(stored: unknown): { peers: ManualPeer[]; skipped: number } {
  if (stored === undefined || stored === null) return { peers: [], skipped: 0 };
  if (!Array.isArray(stored)) return { peers: [], skipped: 1 };
  const peers: ManualPeer[] = [];
  let skipped = 0;
  for (const entry of stored.slice(0, MANUAL_PEERS_MAX)) {
    const peer = readStoredPeer(entry);
    if (peer === null || peers.some((p) => p.host === peer.host && p.port === peer.port)) skipped++;
    else peers.push(peer);
  }
  skipped += Math.max(0, stored.length - MANUAL_PEERS_MAX);
  return { peers, skipped };
}

function readStoredPeer(entry: unknown): ManualPeer | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { host, port, deviceId, addedAt } = entry as Record<string, unknown>;
  if (typeof host !== 'string' || typeof port !== 'number' || !Number.isInteger(port)) return null;
  if (deviceId !== null && typeof deviceId !== 'string') return null;
  if (typeof addedAt !== 'number' || !Number.isFinite(addedAt)) return null;
  try {
    const parsed = parsePeerAddress(formatPeerAddress({ host, port, deviceId }));
    return { host: parsed.host, port: parsed.port, deviceId: parsed.deviceId, addedAt };
  } catch {
    return null;
  }
}

function bad(sentence: string): InswarmError {
  return new InswarmError('E_BAD_PEER_ADDRESS', sentence);
}
