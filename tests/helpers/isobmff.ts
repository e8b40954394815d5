// Builds ISO base media files by hand, box by box, for capture-time tests: HEIC photos with an Exif
// item (ftyp, meta → hdlr/pitm/iinf/infe/iloc, mdat) and QuickTime/MP4 videos (ftyp, mdat, moov →
// mvhd, and Apple's meta → hdlr/keys/ilst). The layouts follow ISO/IEC 14496-12, ISO/IEC 23008-12
// and Apple's QuickTime File Format; exiftool reads them back in tests/integration/capture-time-interop.
import { open } from 'node:fs/promises';
import { exifSegment } from './jpeg.js';

const u8 = (n: number): Buffer => Buffer.from([n]);
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
/** An unsigned field of 0, 4 or 8 bytes (iloc's sizes). */
const uint = (size: number, n: number): Buffer => (size === 0 ? Buffer.alloc(0) : size === 4 ? u32(n) : u64(n));
const fourcc = (type: string | number): Buffer => (typeof type === 'number' ? u32(type) : Buffer.from(type, 'latin1'));

export { u16, u32, u64 };

/** A box with a 32-bit size (type may be a number, as ilst item types are key indexes). */
export function box(type: string | number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), fourcc(type), body]);
}

/** A full box: version and 24-bit flags before the payload. */
export function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  return box(type, u8(version), u8(flags >> 16), u16(flags & 0xffff), ...payload);
}

export function ftyp(major: string, ...compatible: string[]): Buffer {
  return box('ftyp', fourcc(major), u32(0), ...compatible.map((b) => fourcc(b)));
}

/** A TIFF (EXIF) block with DateTimeOriginal ("YYYY:MM:DD HH:MM:SS") and OffsetTimeOriginal when given. */
export function tiffWithDate(dateTimeOriginal: string, offset?: string): Buffer {
  // exifSegment is a JPEG APP1 segment: FFE1, length, "Exif\0\0", then the TIFF.
  return exifSegment(dateTimeOriginal, offset).subarray(4 + 6);
}

/** An Exif item's bytes as HEIF stores them: the offset to the TIFF header, then "Exif\0\0" and the TIFF. */
export function exifItem(tiff: Buffer, prefix = true): Buffer {
  return prefix ? Buffer.concat([u32(6), Buffer.from('Exif\0\0', 'latin1'), tiff]) : Buffer.concat([u32(0), tiff]);
}

export function hdlr(handler: string): Buffer {
  return fullBox('hdlr', 0, 0, u32(0), fourcc(handler), Buffer.alloc(12), Buffer.from('\0'));
}

export function infe(version: number, id: number, type: string, protection = 0): Buffer {
  return fullBox('infe', version, 0, version === 2 ? u16(id) : u32(id), u16(protection), fourcc(type), Buffer.from('\0'));
}

export interface IlocItem {
  readonly id: number;
  readonly method?: number;
  readonly dataReference?: number;
  readonly base?: number;
  readonly extents: readonly { offset: number; length: number }[];
}

export interface IlocOptions {
  readonly version?: 0 | 1 | 2;
  readonly offsetSize?: 0 | 4 | 8;
  readonly lengthSize?: 0 | 4 | 8;
  readonly baseOffsetSize?: 0 | 4 | 8;
  readonly indexSize?: 0 | 4 | 8;
}

export function iloc(items: readonly IlocItem[], o: IlocOptions = {}): Buffer {
  const version = o.version ?? 1;
  const offsetSize = o.offsetSize ?? 4;
  const lengthSize = o.lengthSize ?? 4;
  const baseOffsetSize = o.baseOffsetSize ?? 0;
  const indexSize = version === 0 ? 0 : (o.indexSize ?? 0);
  const parts: Buffer[] = [u8((offsetSize << 4) | lengthSize), u8((baseOffsetSize << 4) | indexSize), version < 2 ? u16(items.length) : u32(items.length)];
  for (const item of items) {
    parts.push(version < 2 ? u16(item.id) : u32(item.id));
    if (version >= 1) parts.push(u16(item.method ?? 0));
    parts.push(u16(item.dataReference ?? 0), uint(baseOffsetSize, item.base ?? 0), u16(item.extents.length));
    for (const e of item.extents) parts.push(uint(indexSize, 0), uint(offsetSize, e.offset), uint(lengthSize, e.length));
  }
  return fullBox('iloc', version, 0, ...parts);
}

export interface HeicOptions {
  /** ftyp's major brand: 'heic' (iPhone), 'avif', 'mif1'… */
  readonly brand?: string;
  /** DateTimeOriginal, "YYYY:MM:DD HH:MM:SS"; none = no Exif item at all. */
  readonly date?: string;
  /** OffsetTimeOriginal, "±HH:MM". */
  readonly offset?: string;
  /** Bytes of "image data" in mdat before the Exif item, to push it past the head. */
  readonly imageBytes?: number;
  readonly infeVersion?: 2 | 3;
  readonly iloc?: IlocOptions;
  /** iloc construction method for the Exif item (0 = file offset; 1 = idat). */
  readonly method?: number;
  readonly exifPrefix?: boolean;
  /** Unused bytes in mdat between the image and the Exif item. */
  readonly gapBytes?: number;
  /** Overrides the Exif item's extent in iloc (to make it lie). */
  readonly exifExtent?: { readonly offset?: number; readonly length?: number };
  /** Link the Exif item to the primary image with an iref 'cdsc', as cameras do (default true). */
  readonly describes?: boolean;
}

/** The parts of a HEIC file: the bytes up to mdat's payload, the Exif item's offset, and the whole. */
export interface HeicLayout {
  /** ftyp + meta + mdat header. */
  readonly front: Buffer;
  /** File offset of the Exif item (inside mdat, after the image bytes). */
  readonly exifAt: number;
  readonly exif: Buffer;
  readonly size: number;
}

/** A HEIC laid out as an iPhone writes it: ftyp, meta (hdlr pict, pitm, iinf, iloc), then mdat. */
export function heicLayout(o: HeicOptions = {}): HeicLayout {
  const imageBytes = o.imageBytes ?? 64;
  const gap = o.gapBytes ?? 0;
  const exif = o.date === undefined ? Buffer.alloc(0) : exifItem(tiffWithDate(o.date, o.offset), o.exifPrefix ?? true);
  const infeVersion = o.infeVersion ?? 2;
  const meta = (imageAt: number): Buffer => {
    const items: IlocItem[] = [{ id: 1, extents: [{ offset: imageAt, length: imageBytes }] }];
    const infes = [infe(infeVersion, 1, 'hvc1')];
    if (exif.length > 0) {
      items.push({ id: 2, method: o.method ?? 0, extents: [{ offset: o.exifExtent?.offset ?? imageAt + imageBytes + gap, length: o.exifExtent?.length ?? exif.length }] });
      infes.push(infe(infeVersion, 2, 'Exif'));
    }
    const iref = exif.length > 0 && (o.describes ?? true) ? [fullBox('iref', 0, 0, box('cdsc', u16(2), u16(1), u16(1)))] : [];
    return fullBox('meta', 0, 0, hdlr('pict'), fullBox('pitm', 0, 0, u16(1)), fullBox('iinf', 0, 0, u16(infes.length), ...infes), ...iref, iloc(items, o.iloc));
  };
  const head = ftyp(o.brand ?? 'heic', 'mif1', o.brand ?? 'heic');
  const mdatPayload = imageBytes + gap + exif.length;
  // Sizes do not depend on the offsets written, so the meta box can be measured with placeholders.
  const mdatHeader = Buffer.concat([u32(8 + mdatPayload), fourcc('mdat')]);
  const imageAt = head.length + meta(0).length + mdatHeader.length;
  const front = Buffer.concat([head, meta(imageAt), mdatHeader]);
  return { front, exifAt: imageAt + imageBytes + gap, exif, size: imageAt + mdatPayload };
}

/** A whole HEIC in memory. */
export function heic(o: HeicOptions = {}): Buffer {
  const l = heicLayout(o);
  // Image bytes (and any gap) are a repeating pattern.
  const image = Buffer.alloc(l.exifAt - l.front.length, 0x5a);
  return Buffer.concat([l.front, image, l.exif]);
}

/** mvhd with a creation time in seconds since 1904-01-01 UTC, version 0 (32-bit) or 1 (64-bit). */
export function mvhd(version: 0 | 1, seconds: number | bigint): Buffer {
  const times = version === 0 ? [u32(Number(seconds)), u32(Number(seconds)), u32(600), u32(0)] : [u64(seconds), u64(seconds), u32(600), u64(0)];
  // rate 1.0, volume 1.0, reserved, unity matrix, pre_defined, next_track_ID: as every writer fills them.
  const matrix = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].map((n) => u32(n));
  return fullBox('mvhd', version, 0, ...times, u32(0x10000), u16(0x100), Buffer.alloc(10), ...matrix, Buffer.alloc(24), u32(2));
}

/** Seconds since 1904-01-01 UTC for an ISO date string. */
export function since1904(iso: string): number {
  return Date.parse(iso) / 1000 + 2_082_844_800;
}

/**
 * Apple's moov/meta: hdlr 'mdta', keys naming each key, ilst holding each value as UTF-8 data.
 * `full` makes meta a full box (as ffmpeg's -movflags use_metadata_tags writes it); Apple's own is a
 * plain QuickTime atom (exiftool 12.57 reads only that one).
 */
export function appleMeta(values: Readonly<Record<string, string>>, full = false): Buffer {
  const names = Object.keys(values);
  const keys = fullBox('keys', 0, 0, u32(names.length), ...names.map((k) => Buffer.concat([u32(8 + Buffer.byteLength(k)), fourcc('mdta'), Buffer.from(k, 'utf8')])));
  const ilst = box('ilst', ...names.map((k, i) => box(i + 1, box('data', u32(1), u32(0), Buffer.from(values[k]!, 'utf8')))));
  return full ? fullBox('meta', 0, 0, hdlr('mdta'), keys, ilst) : box('meta', hdlr('mdta'), keys, ilst);
}

/** A trak with just a header, standing in for a real track's boxes (which are skipped by size). */
export function trak(bytes = 256): Buffer {
  return box('trak', fullBox('tkhd', 0, 3, Buffer.alloc(80)), box('free', Buffer.alloc(bytes)));
}

export interface MovOptions {
  readonly brand?: string;
  readonly mvhd?: { readonly version: 0 | 1; readonly seconds: number | bigint };
  /** com.apple.quicktime.creationdate, as Apple writes it ("2023-07-14T18:03:22+0200"). */
  readonly creationDate?: string;
  readonly fullMeta?: boolean;
}

/** A moov box: mvhd, a track, then Apple's meta when a creation date is given. */
export function moov(o: MovOptions): Buffer {
  const parts: Buffer[] = [];
  if (o.mvhd !== undefined) parts.push(mvhd(o.mvhd.version, o.mvhd.seconds));
  parts.push(trak());
  if (o.creationDate !== undefined) {
    parts.push(appleMeta({ 'com.apple.quicktime.make': 'Apple', 'com.apple.quicktime.creationdate': o.creationDate, 'com.apple.quicktime.model': 'iPhone 12' }, o.fullMeta));
  }
  return box('moov', ...parts);
}

/** A small whole video in memory: ftyp, wide, mdat, then moov at the end (as a camera records). */
export function mov(o: MovOptions & { mdatBytes?: number } = {}): Buffer {
  const brand = o.brand ?? 'qt  ';
  return Buffer.concat([ftyp(brand, brand), box('wide'), box('mdat', Buffer.alloc(o.mdatBytes ?? 1024, 0xa5)), moov(o)]);
}

/**
 * Writes a video whose moov follows `mdatBytes` of media data, sparsely (the media bytes are a
 * hole), so huge files cost no disk. mdat uses a 64-bit largesize when it does not fit 32 bits.
 */
export async function writeSparseMov(path: string, mdatBytes: number, o: MovOptions = {}): Promise<number> {
  const brand = o.brand ?? 'qt  ';
  const large = mdatBytes + 8 > 0xffffffff;
  const front = Buffer.concat([
    ftyp(brand, brand),
    box('wide'),
    large ? Buffer.concat([u32(1), fourcc('mdat'), u64(16 + mdatBytes)]) : Buffer.concat([u32(8 + mdatBytes), fourcc('mdat')]),
  ]);
  return writeSparse(path, front, [{ at: front.length + mdatBytes, bytes: moov(o) }]);
}

/** Writes a HEIC whose Exif item lies `imageBytes` in, sparsely. */
export async function writeSparseHeic(path: string, o: HeicOptions & { imageBytes: number }): Promise<HeicLayout> {
  const l = heicLayout(o);
  await writeSparse(path, l.front, [{ at: l.exifAt, bytes: l.exif }]);
  return l;
}

/** Writes `front` at 0 and each part at its offset, leaving holes between; returns the size. */
export async function writeSparse(path: string, front: Buffer, parts: readonly { at: number; bytes: Buffer }[]): Promise<number> {
  const handle = await open(path, 'w');
  try {
    await handle.write(front, 0, front.length, 0);
    let size = front.length;
    for (const p of parts) {
      await handle.write(p.bytes, 0, p.bytes.length, p.at);
      size = Math.max(size, p.at + p.bytes.length);
    }
    await handle.truncate(size);
    return size;
  } finally {
    await handle.close();
  }
}

/** A file in memory with the FileHandle.read the capture-time reader uses, recording each read. */
export interface CountingFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  readonly reads: { position: number; length: number }[];
  /** Bytes returned by all reads so far. */
  readonly bytesRead: number;
}

export function countingFile(source: Buffer | { read: (b: Buffer, o: number, l: number, p: number) => Promise<{ bytesRead: number }> }): CountingFile {
  const reads: { position: number; length: number }[] = [];
  let total = 0;
  return {
    reads,
    get bytesRead() {
      return total;
    },
    async read(buffer, offset, length, position) {
      reads.push({ position, length });
      let n: number;
      if (Buffer.isBuffer(source)) {
        n = Math.max(0, Math.min(length, source.length - position));
        source.copy(buffer, offset, position, position + n);
      } else {
        n = (await source.read(buffer, offset, length, position)).bytesRead;
      }
      total += n;
      return { bytesRead: n };
    },
  };
}
