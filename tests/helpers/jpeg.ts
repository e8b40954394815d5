// Generates small but real JPEG files carrying an EXIF capture date, for tests that need photos.
import jpeg from 'jpeg-js';

/** EXIF APP1 segment with DateTimeOriginal (and OffsetTimeOriginal when given). */
export function exifSegment(dateTimeOriginal: string, offset?: string): Buffer {
  const ascii = (s: string) => Buffer.from(`${s}\0`, 'latin1');
  const date = ascii(dateTimeOriginal);
  const off = offset === undefined ? null : ascii(offset);
  const exifEntries = off === null ? 1 : 2;
  const ifd0At = 8;
  const exifIfdAt = ifd0At + 2 + 12 + 4;
  const dataAt = exifIfdAt + 2 + 12 * exifEntries + 4;
  const tiff = Buffer.alloc(dataAt + date.length + (off?.length ?? 0));
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(ifd0At, 4);
  tiff.writeUInt16LE(1, ifd0At);
  tiff.writeUInt16LE(0x8769, ifd0At + 2); // ExifIFD pointer
  tiff.writeUInt16LE(4, ifd0At + 4);
  tiff.writeUInt32LE(1, ifd0At + 6);
  tiff.writeUInt32LE(exifIfdAt, ifd0At + 10);
  tiff.writeUInt16LE(exifEntries, exifIfdAt);
  let e = exifIfdAt + 2;
  tiff.writeUInt16LE(0x9003, e);
  tiff.writeUInt16LE(2, e + 2);
  tiff.writeUInt32LE(date.length, e + 4);
  tiff.writeUInt32LE(dataAt, e + 8);
  date.copy(tiff, dataAt);
  if (off !== null) {
    e += 12;
    tiff.writeUInt16LE(0x9011, e);
    tiff.writeUInt16LE(2, e + 2);
    tiff.writeUInt32LE(off.length, e + 4);
    tiff.writeUInt32LE(dataAt + date.length, e + 8);
    off.copy(tiff, dataAt + date.length);
  }
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/**
 * A real, decodable JPEG photo "taken" at `dateTimeOriginal` ("YYYY:MM:DD HH:MM:SS"): a small
 * image whose pixels derive from `seed` (so every photo differs), encoded by jpeg-js, with an EXIF
 * APP1 segment spliced in right after the SOI marker where cameras put it.
 */
export function makeJpeg(dateTimeOriginal: string, options: { offset?: string; seed?: number; width?: number; height?: number } = {}): Buffer {
  const width = options.width ?? 64;
  const height = options.height ?? 48;
  const data = Buffer.alloc(width * height * 4);
  let x = (options.seed ?? 1) >>> 0 || 1;
  for (let i = 0; i < data.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
    data[i + 1] = (x >>> 8) & 0xff;
    data[i + 2] = (i / 4) % 256;
    data[i + 3] = 0xff;
  }
  const encoded = jpeg.encode({ data, width, height }, 90).data;
  return Buffer.concat([encoded.subarray(0, 2), exifSegment(dateTimeOriginal, options.offset), encoded.subarray(2)]);
}
