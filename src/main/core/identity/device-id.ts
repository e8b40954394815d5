// Device IDs in Syncthing's scheme: SHA-256 of the certificate's DER form, RFC 4648 base32 without
// padding (52 characters), a Luhn-mod-32 check character after each 13, shown as 8 groups of 7.
// Pure: strings and bytes in, strings out; no files, no sockets.

import { createHash } from 'node:crypto';
import { base32nopad } from '@scure/base';
import { InswarmError } from '../errors.js';
import { DEVICE_ID_MAX_INPUT_CHARS } from '../limits.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DIGEST_BYTES = 32;
/** Base32 characters of a 32-byte digest without padding. */
const DATA_CHARS = 52;
/** Each run of this many data characters gets one check character. */
const CHECKED_RUN = 13;
/** Data plus the four check characters. */
const CHECKED_CHARS = 56;
/** Display group size; the first group is also the short ID Syncthing shows. */
const GROUP_CHARS = 7;

/** The device ID of the certificate whose DER encoding is `der` (what a TLS peer presents as `raw`). */
export function deviceIdFromCertDer(der: Uint8Array): string {
  return formatDeviceId(createHash('sha256').update(der).digest());
}

/** Formats a 32-byte SHA-256 digest as a canonical device ID (`XXXXXXX-…`, 8 groups of 7). */
export function formatDeviceId(sha256: Uint8Array): string {
  if (sha256.length !== DIGEST_BYTES) {
    throw new InswarmError('E_BAD_DEVICE_ID', `A device ID is made from a ${DIGEST_BYTES}-byte SHA-256 digest, not ${sha256.length} bytes.`);
  }
  const data = base32nopad.encode(sha256);
  let checked = '';
  for (let i = 0; i < DATA_CHARS; i += CHECKED_RUN) {
    const run = data.slice(i, i + CHECKED_RUN);
    checked += run + luhn32(run);
  }
  return checked.match(/.{7}/g)!.join('-');
}

/**
 * Reads a device ID as a person types or pastes it and returns the canonical form. Accepts what
 * Syncthing accepts for a 56-character ID: any case, dashes and spaces anywhere, `=` at the ends,
 * and the digits 0, 1 and 8 typed for O, I and B (base32 has no such digits). Every check character
 * must match, so a single mistyped character is caught here rather than as a failed connection.
 */
export function parseDeviceId(text: string): string {
  if (typeof text !== 'string' || text.length > DEVICE_ID_MAX_INPUT_CHARS) {
    throw badId('That is not a device ID (it is far too long): copy the ID shown on the other device, 8 groups of 7 characters.');
  }
  const chars = text
    .replace(/^=+|=+$/g, '')
    .toUpperCase()
    .replace(/0/g, 'O')
    .replace(/1/g, 'I')
    .replace(/8/g, 'B')
    .replace(/[-\s]/g, '');

  // Syncthing also takes the pre-0.9 form without check characters; we refuse it, because an ID
  // without check characters cannot tell a typo from a different device.
  if (chars.length === DATA_CHARS) {
    throw badId('That device ID is missing its check characters (it has 52 characters, not 56): copy the full ID shown on the other device, 8 groups of 7 characters.');
  }
  if (chars.length !== CHECKED_CHARS) {
    throw badId(`That device ID has ${chars.length} characters instead of 56: copy the full ID shown on the other device, 8 groups of 7 characters.`);
  }
  const stray = [...chars].find((c) => !ALPHABET.includes(c));
  if (stray !== undefined) {
    throw badId(`That device ID contains "${stray}", which never appears in device IDs: compare it with the ID shown on the other device.`);
  }

  let data = '';
  for (let i = 0; i < CHECKED_CHARS; i += CHECKED_RUN + 1) {
    const run = chars.slice(i, i + CHECKED_RUN);
    if (chars[i + CHECKED_RUN] !== luhn32(run)) {
      throw badId(`That device ID has a typo in characters ${i + 1} to ${i + CHECKED_RUN + 1} (their check character does not match): compare it with the ID shown on the other device.`);
    }
    data += run;
  }

  let digest: Uint8Array;
  try {
    // Strict decoding: the last data character carries 4 unused bits that are zero in every real ID.
    digest = base32nopad.decode(data);
  } catch (err) {
    throw new InswarmError('E_BAD_DEVICE_ID', 'That device ID cannot belong to any device (its last group is wrong): compare it with the ID shown on the other device.', { cause: err });
  }
  return formatDeviceId(digest);
}

/** The first group of a device ID, which Syncthing shows as the short form in logs and lists. */
export function shortDeviceId(id: string): string {
  return parseDeviceId(id).slice(0, GROUP_CHARS);
}

/**
 * Syncthing's `luhn32`: a Luhn-style check character over the base32 alphabet. Not textbook Luhn:
 * the factor starts at 1 on the leftmost character and alternates 1, 2, 1, …; kept exactly so that
 * our IDs read the same in Syncthing.
 */
function luhn32(run: string): string {
  const n = ALPHABET.length;
  let factor = 1;
  let sum = 0;
  for (const c of run) {
    const addend = factor * ALPHABET.indexOf(c);
    factor = factor === 2 ? 1 : 2;
    sum += Math.floor(addend / n) + (addend % n);
  }
  return ALPHABET[(n - (sum % n)) % n]!;
}

function badId(sentence: string): InswarmError {
  return new InswarmError('E_BAD_DEVICE_ID', sentence);
}
