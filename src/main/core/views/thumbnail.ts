// The small JPEG that cameras embed in a photo's EXIF block (IFD1: JPEGInterchangeFormat and its
// length), for thumbnails without decoding the photo. Pure: bytes in, bytes out; null for anything
// that is not a well-formed JPEG with such a thumbnail.

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');
const TAG_THUMB_OFFSET = 0x0201;
const TAG_THUMB_LENGTH = 0x0202;
/** IFDs with more entries than this are not real EXIF. */
const MAX_IFD_ENTRIES = 1000;
/** An embedded thumbnail is about 160×120; anything this large is not one. */
const MAX_THUMBNAIL_BYTES = 64 * 1024;

export function exifThumbnail(head: Uint8Array): Buffer | null {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  try {
    const tiff = exifTiff(buf);
    return tiff === null ? null : thumbnailIn(tiff);
  } catch {
    return null;
  }
}

function exifTiff(buf: Buffer): Buffer | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let pos = 2;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) return null;
    const marker = buf[pos + 1]!;
    if (marker === 0xda || marker === 0xd9) return null;
    const end = pos + 2 + buf.readUInt16BE(pos + 2);
    const start = pos + 4;
    if (marker === 0xe1 && end <= buf.length && buf.subarray(start, start + EXIF_HEADER.length).equals(EXIF_HEADER)) {
      return buf.subarray(start + EXIF_HEADER.length, end);
    }
    pos = end;
  }
  return null;
}

function thumbnailIn(tiff: Buffer): Buffer | null {
  const little = tiff.toString('latin1', 0, 2) === 'II';
  if (!little && tiff.toString('latin1', 0, 2) !== 'MM') return null;
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd0 = u32(4);
  const count0 = u16(ifd0);
  if (count0 > MAX_IFD_ENTRIES) return null;
  const ifd1 = u32(ifd0 + 2 + count0 * 12);
  if (ifd1 === 0 || ifd1 + 2 > tiff.length) return null;
  const count1 = u16(ifd1);
  if (count1 > MAX_IFD_ENTRIES) return null;
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
