// The small JPEG that cameras embed in a photo's EXIF block (IFD1: JPEGInterchangeFormat and its
// length), for thumbnails without decoding the photo, and the photo's EXIF orientation (IFD0), which
// that small JPEG does not carry itself. Pure: bytes in, bytes out; null (or upright) for anything
// that is not a well-formed JPEG with such data.

import { EXIF_MAX_IFD_ENTRIES, readJpegExif, tiffReaders } from '../seal/exif.js';

const TAG_THUMB_OFFSET = 0x0201;
const TAG_THUMB_LENGTH = 0x0202;
const TAG_ORIENTATION = 0x0112;
const TYPE_SHORT = 3;
/** EXIF Orientation 1: stored upright; 2–8 are mirrored and/or turned. */
export const ORIENTATION_UPRIGHT = 1;
/** An embedded thumbnail is about 160×120; anything this large is not one. */
const MAX_THUMBNAIL_BYTES = 64 * 1024;

export function exifThumbnail(head: Uint8Array): Buffer | null {
  return readJpegExif(head, null, thumbnailIn);
}

/**
 * The EXIF Orientation (1–8) of the JPEG whose first bytes are `head`; ORIENTATION_UPRIGHT when it
 * has none or it cannot be read. An embedded thumbnail is stored as the sensor saw it: a photo
 * turned by this tag shows its thumbnail sideways unless it is turned too.
 */
export function exifOrientation(head: Uint8Array): number {
  return readJpegExif(head, ORIENTATION_UPRIGHT, orientationIn);
}

function orientationIn(tiff: Buffer): number {
  const r = tiffReaders(tiff);
  if (r === null) return ORIENTATION_UPRIGHT;
  const ifd0 = r.u32(4);
  const count = r.u16(ifd0);
  if (count > EXIF_MAX_IFD_ENTRIES) return ORIENTATION_UPRIGHT;
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (r.u16(entry) !== TAG_ORIENTATION || r.u16(entry + 2) !== TYPE_SHORT) continue;
    const value = r.u16(entry + 8); // a SHORT sits left-justified in the value field, in either byte order
    return value >= 1 && value <= 8 ? value : ORIENTATION_UPRIGHT;
  }
  return ORIENTATION_UPRIGHT;
}

function thumbnailIn(tiff: Buffer): Buffer | null {
  const r = tiffReaders(tiff);
  if (r === null) return null;
  const { u16, u32 } = r;
  const ifd0 = u32(4);
  const count0 = u16(ifd0);
  if (count0 > EXIF_MAX_IFD_ENTRIES) return null;
  const ifd1 = u32(ifd0 + 2 + count0 * 12);
  if (ifd1 === 0 || ifd1 + 2 > tiff.length) return null;
  const count1 = u16(ifd1);
  if (count1 > EXIF_MAX_IFD_ENTRIES) return null;
  let offset = -1;
  let length = -1;
  for (let i = 0; i < count1; i++) {
    const entry = ifd1 + 2 + i * 12;
    const tag = u16(entry);
    if (tag === TAG_THUMB_OFFSET) offset = u32(entry + 8);
    if (tag === TAG_THUMB_LENGTH) length = u32(entry + 8);
  }
  if (offset <= 0 || length <= 0 || length > MAX_THUMBNAIL_BYTES || offset + length > tiff.length) return null;
  const thumb = tiff.subarray(offset, offset + length);
  return thumb[0] === 0xff && thumb[1] === 0xd8 ? Buffer.from(thumb) : null;
}
