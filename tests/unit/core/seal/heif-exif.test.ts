// HEIC/HEIF/AVIF capture time: the Exif item found through meta → iinf/iloc (and iref when there are
// several), read where iloc says even far past the head, and nothing but null from tables that lie.
import { open, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIF_SCAN_BYTES, HEIF_MAX_EXIF_BYTES, HEIF_MAX_META_BYTES } from '../../../../src/main/core/limits.js';
import { captureTimeOfFile } from '../../../../src/main/core/seal/capture-time-file.js';
import { exifExtents, exifItemCaptureTime } from '../../../../src/main/core/seal/heif-exif.js';
import {
  box,
  countingFile,
  exifItem,
  ftyp,
  fullBox,
  hdlr,
  heic,
  heicLayout,
  iloc,
  infe,
  tiffWithDate,
  u16,
  u32,
  writeSparseHeic,
  type HeicOptions,
  type IlocItem,
} from '../../../helpers/isobmff.js';
import { tempDir } from '../../../helpers/tmp.js';

const DATE = '2022:08:09 10:11:12';
const WANT = '2022-08-09T10:11:12+02:00';

/** captureTimeOfFile over bytes in memory, as the importer calls it with the head it already has. */
async function captureOf(bytes: Buffer) {
  const file = countingFile(bytes);
  const when = await captureTimeOfFile(file, bytes.length, bytes.subarray(0, EXIF_SCAN_BYTES));
  return { when, file };
}

/** A meta box from parts, as exifExtents reads it. */
function meta(infes: Buffer[], items: IlocItem[], extra: Buffer[] = []): Buffer {
  return fullBox('meta', 0, 0, hdlr('pict'), fullBox('pitm', 0, 0, u16(1)), fullBox('iinf', 0, 0, u16(infes.length), ...infes), ...extra, iloc(items));
}
const cdsc = (from: number, ...to: number[]): Buffer => box('cdsc', u16(from), u16(to.length), ...to.map(u16));

describe('HEIF Exif item', () => {
  it('gives DateTimeOriginal with OffsetTimeOriginal from an iPhone-style HEIC, reading nothing past the head', async () => {
    const { when, file } = await captureOf(heic({ date: DATE, offset: '+02:00' }));
    expect(when).toBe(WANT);
    expect(file.reads).toEqual([]);
  });

  it('reads an Exif item that lies 40 MiB into the file with one positioned read of just its bytes', async () => {
    const path = join(await tempDir('inswarm-heic'), 'IMG_0001.HEIC');
    const layout = await writeSparseHeic(path, { date: DATE, offset: '-07:00', imageBytes: 40 * 1024 * 1024 });
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(EXIF_SCAN_BYTES);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const file = countingFile(handle);
      expect(await captureTimeOfFile(file, layout.size, head.subarray(0, bytesRead))).toBe('2022-08-09T10:11:12-07:00');
      expect(file.reads).toEqual([{ position: layout.exifAt, length: layout.exif.length }]);
    } finally {
      await handle.close();
    }
  });

  const variants: [string, HeicOptions, string][] = [
    ['infe version 3 (32-bit item IDs)', { infeVersion: 3 }, WANT],
    ['iloc version 0', { iloc: { version: 0 } }, WANT],
    ['iloc version 2 (32-bit item IDs and count)', { iloc: { version: 2 } }, WANT],
    ['64-bit offsets and lengths', { iloc: { offsetSize: 8, lengthSize: 8 } }, WANT],
    ['a base offset field (of 0)', { iloc: { baseOffsetSize: 4 } }, WANT],
    ['extent index fields', { iloc: { version: 1, indexSize: 4 } }, WANT],
    ['no length (the item runs to the end of the file)', { iloc: { lengthSize: 0 } }, WANT],
    ['an AVIF', { brand: 'avif' }, WANT],
    ['a plain mif1 HEIF', { brand: 'mif1' }, WANT],
    ['an offset of 0 straight to the TIFF header', { exifPrefix: false }, WANT],
    ['no recorded offset', { offset: undefined as unknown as string }, '2022-08-09T10:11:12'],
  ];
  for (const [what, options, want] of variants) {
    it(`reads ${what}`, async () => {
      expect((await captureOf(heic({ date: DATE, offset: '+02:00', ...options }))).when).toBe(want);
    });
  }

  it('gives null for a HEIC without an Exif item, with one kept in idat, or with no date in it', async () => {
    expect((await captureOf(heic({}))).when).toBeNull();
    expect((await captureOf(heic({ date: DATE, method: 1 }))).when).toBeNull();
    expect((await captureOf(heic({ date: '0000:00:00 00:00:00' }))).when).toBeNull();
    expect((await captureOf(heic({ date: 'not a date at all!!' }))).when).toBeNull();
  });

  it('takes base offsets into account and refuses items in other files or protected ones', () => {
    const exifInfe = infe(2, 2, 'Exif');
    const withBase = fullBox('meta', 0, 0, hdlr('pict'), fullBox('iinf', 0, 0, u16(1), exifInfe), iloc([{ id: 2, base: 1000, extents: [{ offset: 24, length: 90 }, { offset: 500, length: 10 }] }], { baseOffsetSize: 4 }));
    expect(exifExtents(withBase)).toEqual([
      { offset: 1024, length: 90 },
      { offset: 1500, length: 10 },
    ]);
    expect(exifExtents(meta([exifInfe], [{ id: 2, dataReference: 1, extents: [{ offset: 24, length: 90 }] }]))).toBeNull();
    expect(exifExtents(meta([infe(2, 2, 'Exif', 1)], [{ id: 2, extents: [{ offset: 24, length: 90 }] }]))).toBeNull();
    expect(exifExtents(meta([exifInfe], [{ id: 3, extents: [{ offset: 24, length: 90 }] }]))).toBeNull(); // iloc lacks the item
    expect(exifExtents(meta([exifInfe], [{ id: 2, extents: [] }]))).toBeNull();
  });

  it('prefers the Exif item that describes the primary image when there are several', () => {
    const infes = [infe(2, 1, 'hvc1'), infe(2, 2, 'Exif'), infe(2, 3, 'Exif'), infe(2, 5, 'hvc1')];
    const items: IlocItem[] = [
      { id: 2, extents: [{ offset: 200, length: 20 }] },
      { id: 3, extents: [{ offset: 300, length: 30 }] },
    ];
    expect(exifExtents(meta(infes, items))).toEqual([{ offset: 200, length: 20 }]);
    expect(exifExtents(meta(infes, items, [fullBox('iref', 0, 0, cdsc(2, 5), cdsc(3, 1))]))).toEqual([{ offset: 300, length: 30 }]);
    // A reference table that lies about its count loses the preference, not the date.
    expect(exifExtents(meta(infes, items, [fullBox('iref', 0, 0, box('cdsc', u16(3), u16(9999), u16(1)))]))).toEqual([{ offset: 200, length: 20 }]);
  });

  it('finds the TIFF header after the 4-byte offset, also when it points at "Exif\\0\\0"', () => {
    const tiff = tiffWithDate(DATE);
    expect(exifItemCaptureTime(exifItem(tiff))).toBe('2022-08-09T10:11:12');
    expect(exifItemCaptureTime(exifItem(tiff, false))).toBe('2022-08-09T10:11:12');
    expect(exifItemCaptureTime(Buffer.concat([u32(0), Buffer.from('Exif\0\0'), tiff]))).toBe('2022-08-09T10:11:12');
    expect(exifItemCaptureTime(Buffer.concat([u32(0xffffffff), tiff]))).toBeNull();
    expect(exifItemCaptureTime(Buffer.from([0, 0]))).toBeNull();
  });
});

describe('HEIF files that lie', () => {
  it('does not read a meta box larger than HEIF_MAX_META_BYTES', async () => {
    const l = heicLayout({ date: DATE });
    // The same meta with a big free box inside it, reaching past the head.
    const big = fullBox('meta', 0, 0, hdlr('pict'), box('free', Buffer.alloc(HEIF_MAX_META_BYTES)));
    const bytes = Buffer.concat([ftyp('heic', 'mif1'), big, box('mdat', l.exif)]);
    const { when, file } = await captureOf(bytes);
    expect(when).toBeNull();
    expect(file.bytesRead).toBeLessThanOrEqual(16);
  });

  it('reads at most HEIF_MAX_EXIF_BYTES of an Exif item that claims 4 GiB', async () => {
    const path = join(await tempDir('inswarm-heic'), 'big-exif.HEIC');
    const layout = await writeSparseHeic(path, { date: DATE, imageBytes: 8 * 1024 * 1024, exifExtent: { length: 0xffffffff } });
    await truncate(path, layout.size + 2 * HEIF_MAX_EXIF_BYTES);
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(EXIF_SCAN_BYTES);
      await handle.read(head, 0, head.length, 0);
      const file = countingFile(handle);
      expect(await captureTimeOfFile(file, layout.size + 2 * HEIF_MAX_EXIF_BYTES, head)).toBe('2022-08-09T10:11:12');
      expect(file.reads.find((r) => r.position === layout.exifAt)?.length).toBe(HEIF_MAX_EXIF_BYTES);
      // Besides the Exif bytes, only the header of what follows mdat (zeros here) was read.
      expect(file.bytesRead).toBeLessThanOrEqual(HEIF_MAX_EXIF_BYTES + 16);
    } finally {
      await handle.close();
    }
  });

  it('gives null for an Exif item placed past the end of the file', async () => {
    expect((await captureOf(heic({ date: DATE, exifExtent: { offset: 0x7fff_0000 } }))).when).toBeNull();
  });

  it('gives null, without throwing, for an item table whose counts exceed its bytes', () => {
    const lying = fullBox('meta', 0, 0, hdlr('pict'), fullBox('iinf', 0, 0, u16(1), infe(2, 2, 'Exif')), fullBox('iloc', 1, 0, Buffer.from([0x00, 0x00]), u16(0xffff), u16(2), u16(0), u16(0), u16(0xffff)));
    expect(exifExtents(lying)).toBeNull();
    // All field sizes 0: other items' 65535 extents each take no bytes and are skipped at once.
    const zeroSized = fullBox('meta', 0, 0, hdlr('pict'), fullBox('iinf', 0, 0, u16(1), infe(2, 2, 'Exif')), fullBox('iloc', 1, 0, Buffer.from([0x00, 0x00]), u16(0xffff), ...Array.from({ length: 4000 }, () => Buffer.concat([u16(7), u16(0), u16(0), u16(0xffff)]))));
    expect(exifExtents(zeroSized)).toBeNull();
    expect(exifExtents(Buffer.from('garbage that is no meta box'))).toBeNull();
    expect(exifExtents(Buffer.alloc(0))).toBeNull();
  });

  it('gives the date or null, never an exception, for the file cut at every length', async () => {
    const whole = heic({ date: DATE, offset: '+02:00' });
    const results = new Set<string | null>();
    // Cut inside OffsetTimeOriginal (the last bytes), the time remains without its offset.
    const allowed = [null, WANT, '2022-08-09T10:11:12'];
    for (let n = 0; n <= whole.length; n++) {
      const cut = whole.subarray(0, n);
      const { when } = await captureOf(cut);
      results.add(when);
      expect(allowed, `cut at ${n}`).toContain(when);
    }
    expect(results).toEqual(new Set(allowed));
  });
});
