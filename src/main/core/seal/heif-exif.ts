// When a HEIC/HEIF/AVIF photo was taken: its EXIF lives in an item of type 'Exif' (ISO/IEC 23008-12
// annex A), named in the meta box's item table (iinf → infe) and located by iloc, usually in mdat
// and so possibly far past the first bytes of the file. The item is a 4-byte offset to the TIFF
// header followed by ordinary EXIF, which the JPEG reader already parses.

import { HEIF_MAX_EXIF_BYTES, HEIF_MAX_EXIF_EXTENTS, HEIF_MAX_ITEMS, HEIF_MAX_META_BYTES } from '../limits.js';
import { captureTimeFromBytes } from './capture-time.js';
import { boxesIn, Cursor, metaChildrenStart, parseBoxHeader, type Box, type RangeSource } from './isobmff.js';

/** A run of the item's bytes, as a file offset and length (0 = to the end of the file). */
export interface Extent {
  readonly offset: number;
  readonly length: number;
}

const EXIF_PREFIX = Buffer.from('Exif\0\0', 'latin1');

/**
 * The capture time in a HEIF file's Exif item, given its top-level meta box; null when there is
 * none, it is stored any other way than as plain bytes in this file, or anything is malformed.
 */
export async function heifCaptureTime(source: RangeSource, meta: Box): Promise<string | null> {
  try {
    if (meta.end - meta.start > HEIF_MAX_META_BYTES) return null;
    const extents = exifExtents(await source.read(meta.start, meta.end - meta.start));
    if (extents === null) return null;
    const parts: Buffer[] = [];
    let total = 0;
    for (const extent of extents) {
      if (extent.offset >= source.size) return null;
      const wanted = extent.length === 0 ? source.size - extent.offset : extent.length;
      const n = Math.min(wanted, HEIF_MAX_EXIF_BYTES - total);
      if (n <= 0) break;
      const part = await source.read(extent.offset, n);
      parts.push(part);
      total += part.length;
      if (part.length < n) break; // the file ends inside the item: parse what there is
    }
    return exifItemCaptureTime(Buffer.concat(parts));
  } catch {
    return null;
  }
}

/**
 * Where the Exif item lies, from the bytes of a whole meta box (header included): null when the
 * table names no Exif item, or it is built from other items or kept in another file.
 */
export function exifExtents(metaBytes: Buffer): Extent[] | null {
  try {
    const meta = parseBoxHeader(metaBytes, 0, metaBytes.length);
    if (meta === null || meta.type !== 'meta') return null;
    const children = boxesIn(metaBytes, metaChildrenStart(metaBytes, meta), meta.end);
    const box = (type: string): Box | undefined => children.find((b) => b.type === type);
    const iinf = box('iinf');
    const iloc = box('iloc');
    if (iinf === undefined || iloc === undefined) return null;
    const ids = exifItemIds(metaBytes, iinf);
    if (ids.length === 0) return null;
    // A file may carry several Exif items (an editor adds a new one rather than rewrite the old):
    // the one that describes ('cdsc') the primary image is the photo's own.
    const pitm = box('pitm');
    const iref = box('iref');
    const describing = pitm === undefined || iref === undefined ? new Set<number>() : itemsDescribing(metaBytes, iref, pitm);
    return itemExtents(metaBytes, iloc, ids.find((id) => describing.has(id)) ?? ids[0]!);
  } catch {
    return null;
  }
}

/** The EXIF capture time in an Exif item's bytes (4-byte TIFF header offset, then EXIF). */
export function exifItemCaptureTime(item: Buffer): string | null {
  if (item.length < 4) return null;
  const start = 4 + item.readUInt32BE(0);
  if (start >= item.length) return null;
  let tiff = item.subarray(start);
  // Some writers point at the JPEG-style "Exif\0\0" prefix rather than past it.
  if (tiff.subarray(0, EXIF_PREFIX.length).equals(EXIF_PREFIX)) tiff = tiff.subarray(EXIF_PREFIX.length);
  return captureTimeFromBytes(tiff);
}

/** The IDs of the unprotected items of type 'Exif' in iinf, in table order. */
function exifItemIds(bytes: Buffer, iinf: Box): number[] {
  const c = new Cursor(bytes, iinf.payload, iinf.end);
  const version = c.u8();
  c.skip(3);
  c.skip(version === 0 ? 2 : 4); // entry_count: the boxes that follow are counted instead
  const ids: number[] = [];
  for (const infe of boxesIn(bytes, c.pos, iinf.end, HEIF_MAX_ITEMS)) {
    if (infe.type !== 'infe') continue;
    const e = new Cursor(bytes, infe.payload, infe.end);
    const v = e.u8();
    e.skip(3);
    // Versions 0 and 1 carry no item type, so they cannot name an Exif item.
    if (v < 2) continue;
    const id = v === 2 ? e.u16() : e.u32();
    const protection = e.u16();
    if (e.text(4) === 'Exif' && protection === 0) ids.push(id);
  }
  return ids;
}

/** Items with a 'cdsc' (content describes) reference in iref to the primary item named by pitm; empty when either is malformed. */
function itemsDescribing(bytes: Buffer, iref: Box, pitm: Box): Set<number> {
  const found = new Set<number>();
  try {
    const p = new Cursor(bytes, pitm.payload, pitm.end);
    const pitmVersion = p.u8();
    p.skip(3);
    const target = pitmVersion === 0 ? p.u16() : p.u32();
    const c = new Cursor(bytes, iref.payload, iref.end);
    const version = c.u8();
    c.skip(3);
    const id = (r: Cursor): number => (version === 0 ? r.u16() : r.u32());
    // Each reference costs 2 or 4 bytes of a box bounded by HEIF_MAX_META_BYTES, so these loops are bounded too.
    for (const ref of boxesIn(bytes, c.pos, iref.end, HEIF_MAX_ITEMS)) {
      if (ref.type !== 'cdsc') continue;
      const r = new Cursor(bytes, ref.payload, ref.end);
      const from = id(r);
      const count = r.u16();
      for (let i = 0; i < count; i++) if (id(r) === target) found.add(from);
    }
  } catch {
    // A table that lies about its counts is not trusted at all; that loses the preference, not the date.
    return new Set();
  }
  return found;
}

/** The extents iloc gives item `id`, when it is stored as bytes in this file (construction method 0). */
function itemExtents(bytes: Buffer, iloc: Box, id: number): Extent[] | null {
  const c = new Cursor(bytes, iloc.payload, iloc.end);
  const version = c.u8();
  c.skip(3);
  if (version > 2) return null;
  const sizes = c.u8();
  const offsetSize = sizes >> 4;
  const lengthSize = sizes & 0xf;
  const more = c.u8();
  const baseOffsetSize = more >> 4;
  const indexSize = version === 0 ? 0 : more & 0xf;
  for (const s of [offsetSize, lengthSize, baseOffsetSize, indexSize]) if (s !== 0 && s !== 4 && s !== 8) return null;
  const count = version < 2 ? c.u16() : c.u32();
  for (let i = 0; i < Math.min(count, HEIF_MAX_ITEMS); i++) {
    const itemId = version < 2 ? c.u16() : c.u32();
    const method = version === 0 ? 0 : c.u16() & 0xf;
    const dataReference = c.u16();
    const base = c.uint(baseOffsetSize);
    const extentCount = c.u16();
    const extentBytes = indexSize + offsetSize + lengthSize;
    if (itemId !== id) {
      // Skip another item's extents arithmetically: with all sizes 0 a loop would cost 65535 turns per item.
      c.skip(extentCount * extentBytes);
      continue;
    }
    // Method 1 (idat) and 2 (another item's bytes), and data in another file, are not followed.
    if (method !== 0 || dataReference !== 0 || extentCount === 0 || extentCount > HEIF_MAX_EXIF_EXTENTS) return null;
    const extents: Extent[] = [];
    for (let e = 0; e < extentCount; e++) {
      c.skip(indexSize);
      const offset = base + c.uint(offsetSize);
      const length = c.uint(lengthSize);
      if (!Number.isSafeInteger(offset)) return null;
      extents.push({ offset, length });
    }
    return extents;
  }
  return null;
}
