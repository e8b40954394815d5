// The two pieces every EXIF reader here needs: finding the TIFF block a JPEG carries in its APP1
// segment, and reading that block's integers in its own byte order. Pure; used by capture times
// (capture-time.ts) and embedded thumbnails and orientation (views/thumbnail.ts).

/** IFDs with more entries than this are not real EXIF: stop rather than loop over garbage. */
export const EXIF_MAX_IFD_ENTRIES = 1000;

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');
const MARKER_APP1 = 0xe1;
/** Start of scan and end of image: metadata segments come before these. */
const MARKER_SOS = 0xda;
const MARKER_EOI = 0xd9;

/**
 * `read` applied to the TIFF block of the JPEG whose first bytes are `head`; `fallback` when there
 * is none, or when `read` throws on a malformed block (a reader may trust its bounds checks to throw).
 */
export function readJpegExif<T>(head: Uint8Array, fallback: T, read: (tiff: Buffer) => T): T {
  try {
    const tiff = jpegExifTiff(Buffer.from(head.buffer, head.byteOffset, head.byteLength));
    return tiff === null ? fallback : read(tiff);
  } catch {
    return fallback;
  }
}

/** The TIFF block of a JPEG's EXIF APP1 segment within `buf` (the file's first bytes), or null. */
export function jpegExifTiff(buf: Buffer): Buffer | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let pos = 2;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) return null;
    const marker = buf[pos + 1]!;
    if (marker === MARKER_SOS || marker === MARKER_EOI) return null;
    const start = pos + 4;
    const end = pos + 2 + buf.readUInt16BE(pos + 2);
    if (marker === MARKER_APP1 && end <= buf.length && buf.subarray(start, start + EXIF_HEADER.length).equals(EXIF_HEADER)) {
      return buf.subarray(start + EXIF_HEADER.length, end);
    }
    pos = end;
  }
  return null;
}

export interface TiffReaders {
  readonly u16: (at: number) => number;
  readonly u32: (at: number) => number;
}

/** Readers of a TIFF block in the byte order it names ("II" or "MM"), or null when it names none. Out-of-range reads throw. */
export function tiffReaders(tiff: Buffer): TiffReaders | null {
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const little = order === 'II';
  return {
    u16: (at) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at)),
    u32: (at) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at)),
  };
}
