// EXIF thumbnails: a JPEG whose APP1 carries IFD1 with JPEGInterchangeFormat(Length), built here
// byte by byte (both byte orders) around a real small JPEG from jpeg-js; and inputs that must give null.
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { exifOrientation, exifThumbnail } from '../../../../src/main/core/views/thumbnail.js';

function smallJpeg(): Buffer {
  const width = 16;
  const height = 12;
  const data = Buffer.alloc(width * height * 4, 0x80);
  return Buffer.from(jpeg.encode({ data, width, height }, 80).data);
}

/** A JPEG: SOI, APP1 Exif with IFD0 (no entries) → IFD1 (offset + length of `thumb`), then `rest`. */
function withExifThumbnail(thumb: Buffer, little: boolean, overrides: { length?: number } = {}): Buffer {
  const u16 = (v: number) => { const b = Buffer.alloc(2); little ? b.writeUInt16LE(v) : b.writeUInt16BE(v); return b; };
  const u32 = (v: number) => { const b = Buffer.alloc(4); little ? b.writeUInt32LE(v) : b.writeUInt32BE(v); return b; };
  const entry = (tag: number, value: number) => Buffer.concat([u16(tag), u16(4), u32(1), u32(value)]);
  const ifd0At = 8;
  const ifd1At = ifd0At + 2 + 4; // 0 entries + next-IFD pointer
  const thumbAt = ifd1At + 2 + 2 * 12 + 4;
  const tiff = Buffer.concat([
    Buffer.from(little ? 'II' : 'MM', 'latin1'), u16(42), u32(ifd0At),
    u16(0), u32(ifd1At),
    u16(2), entry(0x0201, thumbAt), entry(0x0202, overrides.length ?? thumb.length), u32(0),
    thumb,
  ]);
  const app1 = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xe1]), (() => { const b = Buffer.alloc(2); b.writeUInt16BE(app1.length + 2); return b; })(), app1]);
  const photo = smallJpeg();
  return Buffer.concat([photo.subarray(0, 2), segment, photo.subarray(2)]);
}

describe('exifThumbnail', () => {
  it('finds the embedded JPEG in either byte order', () => {
    const thumb = smallJpeg();
    expect(exifThumbnail(withExifThumbnail(thumb, true))).toEqual(thumb);
    expect(exifThumbnail(withExifThumbnail(thumb, false))).toEqual(thumb);
  });

  it('gives null for a JPEG without one, a non-JPEG, a length past the data, and truncated input', () => {
    const thumb = smallJpeg();
    expect(exifThumbnail(smallJpeg())).toBeNull();
    expect(exifThumbnail(Buffer.from('not a jpeg at all'))).toBeNull();
    expect(exifThumbnail(withExifThumbnail(thumb, true, { length: thumb.length + 10_000 }))).toBeNull();
    const whole = withExifThumbnail(thumb, true);
    for (let cut = 0; cut < 60; cut += 7) expect(exifThumbnail(whole.subarray(0, cut))).toBeNull();
  });
});

/** A JPEG whose EXIF IFD0 holds one Orientation entry of `type` (3 = SHORT) and `value`. */
function withOrientation(value: number, little: boolean, type = 3): Buffer {
  const u16 = (v: number) => { const b = Buffer.alloc(2); little ? b.writeUInt16LE(v) : b.writeUInt16BE(v); return b; };
  const u32 = (v: number) => { const b = Buffer.alloc(4); little ? b.writeUInt32LE(v) : b.writeUInt32BE(v); return b; };
  const field = type === 3 ? Buffer.concat([u16(value), Buffer.alloc(2)]) : u32(value);
  const tiff = Buffer.concat([Buffer.from(little ? 'II' : 'MM', 'latin1'), u16(42), u32(8), u16(1), u16(0x0112), u16(type), u32(1), field, u32(0)]);
  const app1 = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(app1.length + 2);
  const photo = smallJpeg();
  return Buffer.concat([photo.subarray(0, 2), Buffer.from([0xff, 0xe1]), length, app1, photo.subarray(2)]);
}

describe('exifOrientation', () => {
  it('reads the Orientation tag in either byte order', () => {
    for (const value of [1, 3, 6, 8]) {
      expect(exifOrientation(withOrientation(value, true)), `II ${value}`).toBe(value);
      expect(exifOrientation(withOrientation(value, false)), `MM ${value}`).toBe(value);
    }
  });

  it('says upright (1) for no EXIF, no tag, a value out of range, a wrong type, and truncated input', () => {
    expect(exifOrientation(smallJpeg())).toBe(1);
    expect(exifOrientation(withExifThumbnail(smallJpeg(), true))).toBe(1);
    expect(exifOrientation(withOrientation(9, true))).toBe(1);
    expect(exifOrientation(withOrientation(6, true, 4))).toBe(1);
    const whole = withOrientation(6, false);
    // Every cut short of the APP1 segment's end (2 + 4 + 6 + 26 bytes).
    for (let cut = 0; cut < 38; cut += 1) expect(exifOrientation(whole.subarray(0, cut)), `cut ${cut}`).toBe(1);
    expect(exifOrientation(whole.subarray(0, 38))).toBe(6);
    expect(exifOrientation(Buffer.from('not a jpeg at all'))).toBe(1);
  });
});
