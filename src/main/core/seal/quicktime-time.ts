// When a QuickTime/MP4 video (iPhone and Live Photo .MOV, Android .mp4, .3gp) was shot. Apple writes
// com.apple.quicktime.creationdate in moov → meta (keys + ilst) as local time with its offset,
// which is what a photo library sorts by; every writer fills moov → mvhd's creation_time, in UTC
// seconds since 1904, which is the fallback. moov often follows the media data at the end of the
// file, so it is found by walking box headers with positioned reads.

import { QUICKTIME_MAX_KEYS, QUICKTIME_MAX_META_BYTES } from '../limits.js';
import { boxesIn, Cursor, metaChildrenStart, parseBoxHeader, walkBoxes, type Box, type RangeSource } from './isobmff.js';

const CREATION_DATE_KEY = 'com.apple.quicktime.creationdate';
/** The key namespace of QuickTime metadata keys (as opposed to iTunes-style fixed atoms). */
const MDTA = 'mdta';
/** ilst data type "UTF-8 without a count" in QuickTime's well-known types. */
const DATA_TYPE_UTF8 = 1;
/** mvhd counts seconds from 1904-01-01 UTC; this many of them passed before 1970-01-01. */
const SECONDS_1904_TO_UNIX_EPOCH = 2_082_844_800;
/** mvhd bytes that hold version, flags and creation_time (a 64-bit one in version 1). */
const MVHD_PREFIX_BYTES = 4 + 8;
/**
 * mvhd dates before this year are refused: no phone made them, and writers that count from 1970
 * instead of 1904 (or leave garbage) land in 1904–1969. The file's mtime is the better guess then.
 */
const EARLIEST_MVHD_YEAR = 1970;

/**
 * The capture time of a QuickTime/MP4 file given its moov box: Apple's creation date when present
 * ("YYYY-MM-DDTHH:MM:SS±HH:MM", the camera's local time), else mvhd's creation time as a UTC
 * instant ("…Z"); null when neither is there or they are malformed. Never throws.
 */
export async function quickTimeCaptureTime(source: RangeSource, moov: Box): Promise<string | null> {
  let mvhd: Box | null = null;
  let meta: Box | null = null;
  try {
    await walkBoxes(source, moov.payload, moov.end, (box) => {
      if (box.type === 'mvhd') mvhd ??= box;
      if (box.type === 'meta') meta ??= box;
      return mvhd !== null && meta !== null;
    });
  } catch {
    // A read failed or ran out of budget part way: use what was found before it.
  }
  const m = meta as Box | null;
  if (m !== null && m.end - m.start <= QUICKTIME_MAX_META_BYTES) {
    try {
      const when = appleCreationDate(await source.read(m.start, m.end - m.start));
      if (when !== null) return when;
    } catch {
      // fall back to mvhd
    }
  }
  const h = mvhd as Box | null;
  if (h === null) return null;
  try {
    return mvhdCreationTime(await source.read(h.payload, Math.min(MVHD_PREFIX_BYTES, h.end - h.payload)));
  } catch {
    return null;
  }
}

/** com.apple.quicktime.creationdate from the bytes of a whole moov/meta box (header included). */
export function appleCreationDate(metaBytes: Buffer): string | null {
  try {
    const meta = parseBoxHeader(metaBytes, 0, metaBytes.length);
    if (meta === null || meta.type !== 'meta') return null;
    const children = boxesIn(metaBytes, metaChildrenStart(metaBytes, meta), meta.end);
    const keys = children.find((b) => b.type === 'keys');
    const ilst = children.find((b) => b.type === 'ilst');
    if (keys === undefined || ilst === undefined) return null;
    const index = keyIndex(metaBytes, keys, CREATION_DATE_KEY);
    if (index === null) return null;
    // Each ilst entry's type field is the 1-based index of its key.
    const item = boxesIn(metaBytes, ilst.payload, ilst.end, QUICKTIME_MAX_KEYS).find((b) => metaBytes.readUInt32BE(b.start + 4) === index);
    if (item === undefined) return null;
    for (const data of boxesIn(metaBytes, item.payload, item.end)) {
      if (data.type !== 'data') continue;
      const c = new Cursor(metaBytes, data.payload, data.end);
      const type = c.u32() & 0xffffff; // the top byte is the type set, 0 for the well-known types
      c.skip(4); // locale
      if (type === DATA_TYPE_UTF8) return parseIsoCaptureTime(c.text(c.remaining, 'utf8'));
    }
    return null;
  } catch {
    return null;
  }
}

/** The 1-based index of `name` in a keys box, or null. */
function keyIndex(bytes: Buffer, keys: Box, name: string): number | null {
  const c = new Cursor(bytes, keys.payload, keys.end);
  c.skip(4); // version and flags
  const count = c.u32();
  for (let i = 1; i <= Math.min(count, QUICKTIME_MAX_KEYS); i++) {
    const size = c.u32();
    if (size < 8) return null;
    const namespace = c.text(4);
    const value = c.text(size - 8, 'utf8');
    if (namespace === MDTA && value === name) return i;
  }
  return null;
}

/**
 * Reads an ISO 8601 capture time ("2023-07-14T18:03:22+0200", "…+02:00", "…Z", or with no offset)
 * as "YYYY-MM-DDTHH:MM:SS[±HH:MM]", the form EXIF times take here. Null for anything else.
 */
export function parseIsoCaptureTime(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.replace(/\0+$/, '').trim());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, zone] = m;
  if (Number(y) < 1900 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const when = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  if (zone === undefined) return when;
  if (zone === 'Z') return `${when}+00:00`;
  const zh = zone.slice(1, 3);
  const zm = zone.slice(-2);
  // Real offsets run from -12:00 to +14:00.
  if (Number(zh) > 14 || Number(zm) > 59) return null;
  return `${when}${zone[0]}${zh}:${zm}`;
}

/**
 * mvhd's creation_time (payload from its version byte on) as the instant "YYYY-MM-DDTHH:MM:SSZ":
 * UTC, and not the camera's local time, which mvhd does not record (+00:00 would claim a camera
 * set to UTC). 0 means unknown.
 */
export function mvhdCreationTime(payload: Buffer): string | null {
  try {
    const c = new Cursor(payload, 0, payload.length);
    const version = c.u8();
    c.skip(3);
    let seconds: number;
    if (version === 0) seconds = c.u32();
    else if (version === 1) seconds = c.u64();
    else return null;
    if (seconds === 0) return null;
    const date = new Date((seconds - SECONDS_1904_TO_UNIX_EPOCH) * 1000);
    const year = date.getUTCFullYear();
    if (Number.isNaN(year) || year < EARLIEST_MVHD_YEAR || year > 9999) return null;
    const p = (n: number): string => String(n).padStart(2, '0');
    return `${year}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())}T${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}Z`;
  } catch {
    return null;
  }
}
