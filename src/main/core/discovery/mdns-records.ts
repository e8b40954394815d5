// What Inswarm puts into DNS-SD records and how it reads other devices' records. Pure: values in,
// values out; no sockets, no timers. Everything read here came from the network, from anyone in
// the room, so every field is checked and a record that fails any check is dropped whole.

import { isIPv4, isIPv6 } from 'node:net';
import { parseDeviceId } from '../identity/device-id.js';
import { MDNS_FREE_MAX_GIB, MDNS_MAX_ADDRESSES_PER_PEER, MDNS_MAX_TXT_KEYS, MDNS_TXT_MAX_BYTES } from '../limits.js';

/** DNS-SD service type, as bonjour-service spells it (`_inswarm._tcp`). */
export const MDNS_SERVICE_TYPE = 'inswarm';
/** Version of the peer protocol a device advertises in `v`; a device speaking another one is not offered as a peer. */
export const MDNS_PROTOCOL_VERSION = 1;
/** An instance name is one DNS label (RFC 6763 §4.1.1): at most 63 bytes of UTF-8. */
const INSTANCE_NAME_MAX_BYTES = 63;
/** Characters of the device ID added to the instance name so two "MacBook Pro"s never collide. */
const SHORT_ID_CHARS = 7;
const GIB = 1024 ** 3;

/** The TXT record we advertise (values are strings, as DNS-SD carries them). */
export interface InswarmTxt {
  readonly id: string;
  readonly v: string;
  readonly free: string;
}

/** A valid advertisement of another Inswarm device, as read from one mDNS answer. */
export interface Advertisement {
  readonly deviceId: string;
  /** The DNS-SD instance name, made safe to show (no control or bidi-override characters). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** IPv4 first (the one the packet came from first), then IPv6; never empty. */
  readonly addresses: readonly string[];
  /** Coarse free donated space the device offers, in GiB: 0 or a power of two. */
  readonly freeGiB: number;
}

export type AdvertisementResult =
  | { readonly ok: true; readonly advert: Advertisement }
  | { readonly ok: false; readonly reason: 'malformed' | 'incompatible'; readonly detail: string };

/**
 * Free donated space rounded down to a power of two GiB (below 1 GiB: 0). Coarse on purpose:
 * the TXT record is broadcast to everyone in the room, so exact bytes would be a fingerprint that
 * follows a laptop from venue to venue and shows when it stores each replica; every change would
 * also be re-announced to the whole link, and exact bytes change with every blob. Placement only
 * needs a rough ranking from discovery; the exact figure travels inside the encrypted link.
 */
export function freeBucketGiB(freeBytes: number): number {
  if (!Number.isFinite(freeBytes) || freeBytes < GIB) return 0;
  const gib = Math.floor(freeBytes / GIB);
  return Math.min(MDNS_FREE_MAX_GIB, 2 ** Math.floor(Math.log2(gib)));
}

/** The TXT record for this device, given its free-space bucket (freeBucketGiB). */
export function inswarmTxt(deviceId: string, freeGiB: number): InswarmTxt {
  return { id: deviceId, v: String(MDNS_PROTOCOL_VERSION), free: String(freeGiB) };
}

/** The SRV target: one host name per device, so mDNS clients resolve each device to its own addresses. */
export function mdnsHostName(deviceId: string): string {
  return `${deviceId.toLowerCase()}.local`;
}

/**
 * A human-readable DNS-SD instance name: the user's name for the device and the device ID's first
 * group, e.g. "Alice's laptop (ONLUMTY)". Dots would split the label (bonjour-service does not
 * escape them), control characters have no place in a name, and the whole must fit one label.
 */
export function instanceName(name: string, deviceId: string): string {
  const suffix = ` (${deviceId.slice(0, SHORT_ID_CHARS)})`;
  const cleaned = displaySafe(name).replace(/[.\\]/g, '-').replace(/\s+/g, ' ').trim() || 'Inswarm';
  let budget = INSTANCE_NAME_MAX_BYTES - Buffer.byteLength(suffix);
  let head = '';
  for (const ch of cleaned) {
    budget -= Buffer.byteLength(ch);
    if (budget < 0) break;
    head += ch;
  }
  return head.trimEnd() + suffix;
}

/**
 * Reads one service as bonjour-service's browser built it from an mDNS answer. `rawTxt` (the TXT
 * strings as sent) is preferred over bonjour's decoded `txt`, which keeps the last of duplicate
 * keys and cuts values at a newline; RFC 6763 §6.4 says the first occurrence counts.
 */
export function readAdvertisement(service: unknown): AdvertisementResult {
  if (typeof service !== 'object' || service === null) return malformed('not a service');
  const s = service as Record<string, unknown>;

  const txt = readTxt(s['rawTxt'], s['txt']);
  if (typeof txt === 'string') return malformed(txt);
  const version = txt.get('v');
  if (version === undefined) return malformed('TXT has no v');
  if (version !== String(MDNS_PROTOCOL_VERSION)) {
    return { ok: false, reason: 'incompatible', detail: `protocol version ${JSON.stringify(version.slice(0, 16))}` };
  }
  const id = txt.get('id');
  if (id === undefined) return malformed('TXT has no id');
  let deviceId: string;
  try {
    deviceId = parseDeviceId(id);
  } catch {
    return malformed('TXT id is not a device ID');
  }
  // Only the canonical form: a peer built by us sends exactly that, so anything else is not one.
  if (deviceId !== id) return malformed('TXT id is not in canonical form');
  const free = txt.get('free');
  if (free === undefined || !/^(0|[1-9][0-9]{0,9})$/.test(free)) return malformed('TXT free is not a number');
  const freeGiB = Number(free);
  if (freeGiB > MDNS_FREE_MAX_GIB || (freeGiB !== 0 && !Number.isInteger(Math.log2(freeGiB)))) {
    return malformed('TXT free is not 0 or a power of two GiB within range');
  }

  const port = s['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return malformed('SRV port out of range');
  const host = s['host'];
  if (typeof host !== 'string' || host.length === 0 || host.length > 255) return malformed('SRV target is not a host name');
  const name = s['name'];
  if (typeof name !== 'string' || Buffer.byteLength(name) > 255) return malformed('instance name is not text');

  const referer = s['referer'];
  const from = typeof referer === 'object' && referer !== null ? (referer as Record<string, unknown>)['address'] : undefined;
  const addresses = orderAddresses(s['addresses'], typeof from === 'string' ? from : undefined);
  if (addresses.length === 0) return malformed('no usable address');

  return { ok: true, advert: { deviceId, name: displaySafe(name), host: host.toLowerCase(), port, addresses, freeGiB } };
}

/**
 * Addresses to dial, best first: the advertised IPv4 address the answer came from (it is on our
 * link), the other advertised IPv4 addresses, then IPv6 (link-local IPv6 needs an interface zone
 * that mDNS does not carry), and last the sender's address when it was not advertised at all (a
 * peer behind an mDNS reflector, or one that sent no address records). Invalid entries are dropped.
 */
export function orderAddresses(advertised: unknown, from: string | undefined): string[] {
  const listed = Array.isArray(advertised) ? advertised.slice(0, MDNS_MAX_ADDRESSES_PER_PEER * 4) : [];
  const v4: string[] = [];
  const v6: string[] = [];
  for (const a of listed) {
    if (typeof a !== 'string') continue;
    if (isIPv4(a)) {
      if (!v4.includes(a)) v4.push(a);
    } else if (isIPv6(a) && !v6.includes(a.toLowerCase())) {
      v6.push(a.toLowerCase());
    }
  }
  const sender = from !== undefined && (isIPv4(from) || isIPv6(from)) ? from : undefined;
  if (sender !== undefined && v4.includes(sender)) v4.unshift(...v4.splice(v4.indexOf(sender), 1));
  const ordered = [...v4, ...v6];
  if (sender !== undefined && !ordered.includes(sender)) ordered.push(sender);
  return ordered.slice(0, MDNS_MAX_ADDRESSES_PER_PEER);
}

/**
 * TXT strings (RFC 6763 §6): `key=value` or a bare `key`; keys are printable ASCII without `=`,
 * compared case-insensitively, first occurrence wins. Returns the keys, or why the record is refused.
 */
function readTxt(raw: unknown, decoded: unknown): Map<string, string> | string {
  const out = new Map<string, string>();
  if (Array.isArray(raw)) {
    if (raw.length > MDNS_MAX_TXT_KEYS) return 'TXT has too many strings';
    let total = 0;
    for (const item of raw) {
      if (!(item instanceof Uint8Array)) return 'TXT string is not bytes';
      total += item.length + 1;
      if (total > MDNS_TXT_MAX_BYTES) return 'TXT record is too large';
      if (item.length === 0) continue;
      const text = Buffer.from(item.buffer, item.byteOffset, item.length).toString('latin1');
      const eq = text.indexOf('=');
      const key = (eq === -1 ? text : text.slice(0, eq)).toLowerCase();
      if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(key)) return 'TXT key is not printable ASCII';
      if (out.has(key)) continue;
      // Our values are ASCII; decoding as UTF-8 only matters for keys we ignore.
      out.set(key, eq === -1 ? '' : Buffer.from(item.subarray(eq + 1)).toString('utf8'));
    }
    return out;
  }
  if (typeof decoded !== 'object' || decoded === null) return 'no TXT record';
  const entries = Object.entries(decoded as Record<string, unknown>);
  if (entries.length > MDNS_MAX_TXT_KEYS) return 'TXT has too many strings';
  for (const [key, value] of entries) {
    if (typeof value !== 'string' && value !== undefined) return 'TXT value is not text';
    out.set(key.toLowerCase(), value ?? '');
  }
  return out;
}

/** C0/C1 controls and bidi overrides would let a name rewrite the lines around it in a log or list. */
export function displaySafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
}

function malformed(detail: string): AdvertisementResult {
  return { ok: false, reason: 'malformed', detail };
}
