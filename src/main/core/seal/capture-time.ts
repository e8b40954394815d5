// When a photo was taken, read from the first bytes of the file: EXIF DateTimeOriginal in a JPEG's
// APP1 segment or at the start of a TIFF-based file. Pure: bytes in, a local timestamp out. The
// result keeps the camera's local time (and its offset when recorded), because a photo library is
// sorted by the day the photographer saw, not by UTC. Capture times take three forms here:
// "YYYY-MM-DDTHH:MM:SS" (the camera's clock, zone unknown), the same plus "±HH:MM" (with the
// camera's offset), and "…Z" (an instant whose local time the file does not give: a video's mvhd). Dates that may lie anywhere in a file (a
// HEIC's Exif item, a video's moov) are found by capture-time-file.ts, which imports and seals use.

import { EXIF_MAX_IFD_ENTRIES, jpegExifTiff, tiffReaders } from './exif.js';

const TAG_EXIF_IFD = 0x8769;
const TAG_DATETIME = 0x0132;
const TAG_DATETIME_ORIGINAL = 0x9003;
const TAG_OFFSET_TIME_ORIGINAL = 0x9011;
const TYPE_ASCII = 2;

/**
 * Returns the capture time as "YYYY-MM-DDTHH:MM:SS" plus "±HH:MM" when the camera recorded its
 * offset, or null when the bytes carry none (or carry garbage). Never throws.
 */
export function captureTimeFromBytes(head: Uint8Array): string | null {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  try {
    const tiff = findTiff(buf);
    return tiff === null ? null : readCaptureTime(tiff);
  } catch {
    return null;
  }
}

/**
 * The camera's calendar day of "YYYY-MM-DDTHH:MM:SS[±HH:MM]", for library folders. Null for a bare
 * instant ("…Z", a video's mvhd): the camera's local day is not in the file, and only a clock in
 * the same place can tell it (datedPath uses this computer's).
 */
export function captureDay(captured: string): { year: string; month: string; day: string } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2})?$/.exec(captured);
  return m === null ? null : { year: m[1]!, month: m[2]!, day: m[3]! };
}

/** The instant of a capture time, in ms: with its offset, as UTC when it has none (or is "…Z"); null when malformed. */
export function captureInstantMs(captured: string): number | null {
  const zoned = /(?:Z|[+-]\d{2}:\d{2})$/.test(captured);
  const ms = Date.parse(zoned ? captured : `${captured}Z`);
  return Number.isNaN(ms) ? null : ms;
}

function findTiff(buf: Buffer): Buffer | null {
  if (buf.length >= 4 && (buf.toString('latin1', 0, 4) === 'II*\0' || buf.toString('latin1', 0, 4) === 'MM\0*')) return buf;
  return jpegExifTiff(buf);
}

function readCaptureTime(tiff: Buffer): string | null {
  const readers = tiffReaders(tiff);
  if (readers === null) return null;
  const { u16, u32 } = readers;
  const readIfd = (offset: number): Map<number, { type: number; count: number; valueOffset: number }> => {
    const entries = new Map<number, { type: number; count: number; valueOffset: number }>();
    const n = u16(offset);
    if (n > EXIF_MAX_IFD_ENTRIES) return entries;
    for (let i = 0; i < n; i++) {
      const e = offset + 2 + i * 12;
      entries.set(u16(e), { type: u16(e + 2), count: u32(e + 4), valueOffset: e + 8 });
    }
    return entries;
  };
  const ascii = (entry: { type: number; count: number; valueOffset: number } | undefined): string | null => {
    if (entry === undefined || entry.type !== TYPE_ASCII) return null;
    const start = entry.count <= 4 ? entry.valueOffset : u32(entry.valueOffset);
    return tiff.toString('latin1', start, start + entry.count).replace(/\0.*$/s, '').trim();
  };

  const ifd0 = readIfd(u32(4));
  const exifPointer = ifd0.get(TAG_EXIF_IFD);
  const exif = exifPointer === undefined ? new Map() : readIfd(u32(exifPointer.valueOffset));
  const when = parseExifDate(ascii(exif.get(TAG_DATETIME_ORIGINAL)) ?? ascii(ifd0.get(TAG_DATETIME)));
  if (when === null) return null;
  const offset = ascii(exif.get(TAG_OFFSET_TIME_ORIGINAL));
  return offset !== null && /^[+-]\d{2}:\d{2}$/.test(offset) ? `${when}${offset}` : when;
}

function parseExifDate(text: string | null): string | null {
  const m = text === null ? null : /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s] = m;
  // Cameras without a set clock write "0000:00:00 00:00:00"; that is no date at all.
  if (Number(y) < 1900 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return null;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}`;
}
