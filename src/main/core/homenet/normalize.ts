// The two values a network fingerprint is made of, as OS tools print them and people type them,
// turned into one form: MAC addresses lowercase and colon-separated with two digits per octet
// ("0a:1b:2c:3d:4e:5f"), SSIDs as UTF-8 text of 1–32 bytes. Kept apart from fingerprint.ts so the
// per-OS probes can use it without an import cycle.

import { InswarmError } from '../errors.js';
import { SSID_MAX_BYTES } from '../limits.js';

/** Six groups of one or two hex digits, all separated by ':' (Linux, macOS) or all by '-' (Windows). */
const GROUPED = /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i;
/** Cisco style, "0a1b.2c3d.4e5f". */
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
/** Twelve bare hex digits. */
const BARE = /^[0-9a-f]{12}$/i;
/** C0 controls and DEL: never part of a name we store or print. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The canonical form of a gateway's MAC address, or null when `text` is not one: malformed,
 * "(incomplete)", all zeros (what some tools print for an unresolved entry) or a group address
 * (broadcast ff:ff:ff:ff:ff:ff or any multicast: the I/G bit of the first octet is set). A router's
 * own address is always unicast, so a group address can only be a placeholder or a lie.
 * macOS drops leading zeros ("0:1a:2b:3:4:5"); that is accepted and padded.
 */
export function normalizeMac(text: string): string | null {
  const s = text.trim();
  let hex: string;
  const grouped = GROUPED.exec(s);
  if (grouped !== null) {
    hex = [1, 3, 4, 5, 6, 7].map((i) => grouped[i]!.padStart(2, '0')).join('');
  } else if (DOTTED.test(s)) {
    hex = s.replaceAll('.', '');
  } else if (BARE.test(s)) {
    hex = s;
  } else {
    return null;
  }
  hex = hex.toLowerCase();
  if (/^0+$/.test(hex)) return null;
  // I/G bit set: broadcast or multicast, never the address of one router.
  if ((parseInt(hex.slice(0, 2), 16) & 1) === 1) return null;
  return hex.match(/../g)!.join(':');
}

/** A MAC address typed by a person (`--gateway-mac`), normalised; E_BAD_HOME with a sentence if it cannot be a gateway's. */
export function parseGatewayMac(text: string): string {
  const mac = normalizeMac(text);
  if (mac === null) {
    throw new InswarmError('E_BAD_HOME', `"${printable(text)}" is not a gateway MAC address: give six hex octets like 0a:1b:2c:3d:4e:5f (not all zeros, not broadcast or multicast).`);
  }
  return mac;
}

/** `text` shortened and with control characters escaped, for quoting input in a message. */
export function printable(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * An SSID's bytes as text, or null when empty (a hidden network), longer than 802.11 allows, not
 * UTF-8 or holding control characters: parseSsid refuses those for a home, so such a name could
 * never match one, and it never reaches a terminal.
 */
export function ssidFromBytes(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length > SSID_MAX_BYTES) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
  return CONTROL.test(text) ? null : text;
}

/** An SSID printed as text by an OS tool, checked the same way (null when empty or over 32 bytes). */
export function ssidFromText(text: string): string | null {
  return isWellFormed(text) ? ssidFromBytes(Buffer.from(text, 'utf8')) : null;
}

/**
 * An SSID typed by a person (`--ssid`): 1–32 bytes of UTF-8 without control characters (they
 * would end up on a terminal in `home list`); E_BAD_HOME with a sentence otherwise.
 */
export function parseSsid(text: string): string {
  const bytes = isWellFormed(text) ? Buffer.byteLength(text, 'utf8') : -1;
  if (bytes < 1 || bytes > SSID_MAX_BYTES || CONTROL.test(text)) {
    throw new InswarmError('E_BAD_HOME', `"${printable(text)}" is not a Wi-Fi network name: an SSID is 1 to ${SSID_MAX_BYTES} bytes of text without control characters.`);
  }
  return text;
}

/** No lone UTF-16 surrogates, so the text has a UTF-8 form (String.prototype.isWellFormed is ES2024). */
function isWellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}
