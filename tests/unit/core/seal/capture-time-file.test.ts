// The single capture-time entry point used by imports and seals: EXIF in the head first, then a
// HEIF Exif item, then QuickTime dates; the read budget per file; damaged files never throwing;
// and sealFiles recording the embedded date of a HEIC and a MOV.
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPTURE_MAX_EXTRA_READ_BYTES, EXIF_SCAN_BYTES, HEIF_MAX_META_BYTES, QUICKTIME_MAX_META_BYTES } from '../../../../src/main/core/limits.js';
import { generateIdentity, parseRecipient } from '../../../../src/main/core/seal/age-keys.js';
import { captureTimeOfFile, captureTimeOfIsobmff, captureTimeOfPath } from '../../../../src/main/core/seal/capture-time-file.js';
import { budgetedSource } from '../../../../src/main/core/seal/isobmff.js';
import { sealFiles } from '../../../../src/main/core/seal/seal.js';
import { box, countingFile, exifItem, ftyp, fullBox, hdlr, heic, iloc, infe, mov, mvhd, since1904, u16 } from '../../../helpers/isobmff.js';
import { makeJpeg } from '../../../helpers/jpeg.js';
import { tempDir } from '../../../helpers/tmp.js';

// The three forms of capture-time.ts: local, local with its offset, an instant (Z).
const FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)?$/;
const ANDROID = { version: 0, seconds: since1904('2021-03-04T05:06:07Z') } as const;

describe('captureTimeOfFile', () => {
  it('takes EXIF from the head of a JPEG without another read', async () => {
    const jpeg = makeJpeg('2019:12:24 18:30:00', { offset: '+01:00' });
    const file = countingFile(jpeg);
    expect(await captureTimeOfFile(file, jpeg.length, jpeg.subarray(0, EXIF_SCAN_BYTES))).toBe('2019-12-24T18:30:00+01:00');
    expect(file.reads).toEqual([]);
  });

  it('reads nothing for files that are not ISO media (a PNG, text, random bytes)', async () => {
    for (const bytes of [Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.from('not a photo'.repeat(100)), Buffer.alloc(0)]) {
      const file = countingFile(bytes);
      expect(await captureTimeOfFile(file, bytes.length, bytes)).toBeNull();
      expect(file.reads).toEqual([]);
    }
  });

  it('prefers a HEIF Exif item to the moov of a HEIF image sequence', async () => {
    const photo = heic({ date: '2020:02:02 02:02:02', offset: '+09:00' });
    const both = Buffer.concat([photo, box('moov', mvhd(0, ANDROID.seconds))]);
    expect(await captureTimeOfFile(countingFile(both), both.length, both)).toBe('2020-02-02T02:02:02+09:00');
    const noExif = Buffer.concat([heic({}), box('moov', mvhd(0, ANDROID.seconds))]);
    expect(await captureTimeOfFile(countingFile(noExif), noExif.length, noExif)).toBe('2021-03-04T05:06:07Z');
  });

  it('stops at its read budget: a source that would pass it gives null, having read no more', async () => {
    const video = mov({ mvhd: ANDROID, mdatBytes: 4096 });
    const underlying: number[] = [];
    const read = async (offset: number, length: number) => (underlying.push(length), video.subarray(offset, offset + length));
    // Only ftyp is in the "head"; 40 bytes of budget cover the next headers but not moov's children.
    const tight = budgetedSource(video.length, video.subarray(0, 20), 40, read);
    expect(await captureTimeOfIsobmff(tight)).toBeNull();
    expect(tight.spent).toBeLessThanOrEqual(40);
    const enough = budgetedSource(video.length, video.subarray(0, 20), 4096, read);
    expect(await captureTimeOfIsobmff(enough)).toBe('2021-03-04T05:06:07Z');
  });

  it(`reads at most CAPTURE_MAX_EXTRA_READ_BYTES from a file whose every part is at its own limit`, async () => {
    // Past the head: a meta box just under its cap naming a 4 GiB Exif item without a date, then a
    // moov whose meta is just under its cap (no date in it) and whose mvhd has the date.
    const filler = box('free', Buffer.alloc(EXIF_SCAN_BYTES));
    const metaFor = (exifAt: number) =>
      fullBox('meta', 0, 0, hdlr('pict'), fullBox('iinf', 0, 0, u16(1), infe(2, 2, 'Exif')), iloc([{ id: 2, extents: [{ offset: exifAt, length: 0xffffffff }] }]), box('free', Buffer.alloc(HEIF_MAX_META_BYTES - 200)));
    const lead = Buffer.concat([ftyp('heic', 'mif1'), filler]);
    const exifAt = lead.length + metaFor(0).length + 8;
    const garbageExif = box('mdat', exifItem(Buffer.alloc(1024, 0x11)), Buffer.alloc(600 * 1024, 0x22));
    const qtMeta = box('meta', hdlr('mdta'), box('free', Buffer.alloc(QUICKTIME_MAX_META_BYTES - 100)));
    const bytes = Buffer.concat([lead, metaFor(exifAt), garbageExif, box('moov', mvhd(0, ANDROID.seconds), qtMeta)]);
    const file = countingFile(bytes);
    expect(await captureTimeOfFile(file, bytes.length, bytes.subarray(0, EXIF_SCAN_BYTES))).toBe('2021-03-04T05:06:07Z');
    expect(file.bytesRead).toBeGreaterThan(HEIF_MAX_META_BYTES); // it did read the big parts…
    expect(file.bytesRead).toBeLessThanOrEqual(CAPTURE_MAX_EXTRA_READ_BYTES); // …and stayed in bounds
  });

  it('never throws and never passes its budget on damaged HEIC and MOV files', async () => {
    const fixtures = [
      heic({ date: '2022:08:09 10:11:12', offset: '+02:00' }),
      mov({ mvhd: ANDROID, creationDate: '2023-07-14T18:03:22+0200', mdatBytes: 64 }),
      mov({ brand: 'mp42', mvhd: { version: 1, seconds: since1904('2030-01-01T00:00:00Z') }, mdatBytes: 64 }),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(fixtures.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.nat(64),
        async (which, edits, headLength) => {
          const bytes = Buffer.from(fixtures[which]!);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          // A short head makes every box go through positioned (budgeted) reads.
          const file = countingFile(bytes);
          const when = await captureTimeOfFile(file, bytes.length, bytes.subarray(0, headLength));
          expect(when === null || FORMAT.test(when)).toBe(true);
          expect(file.bytesRead).toBeLessThanOrEqual(CAPTURE_MAX_EXTRA_READ_BYTES);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('captureTimeOfPath', () => {
  it('reads the head itself or uses the one given, and gives null for a file that is not there', async () => {
    const dir = await tempDir('inswarm-capture');
    await writeFile(join(dir, 'a.heic'), heic({ date: '2022:08:09 10:11:12', imageBytes: 1024 * 1024 }));
    await writeFile(join(dir, 'b.jpg'), makeJpeg('2019:12:24 18:30:00'));
    expect(await captureTimeOfPath(join(dir, 'a.heic'))).toBe('2022-08-09T10:11:12');
    const head = heic({ date: '2022:08:09 10:11:12', imageBytes: 1024 * 1024 }).subarray(0, EXIF_SCAN_BYTES);
    expect(await captureTimeOfPath(join(dir, 'a.heic'), head)).toBe('2022-08-09T10:11:12');
    expect(await captureTimeOfPath(join(dir, 'b.jpg'))).toBe('2019-12-24T18:30:00');
    expect(await captureTimeOfPath(join(dir, 'missing.heic'))).toBeNull();
    expect(await captureTimeOfPath(join(dir, 'missing.heic'), head)).toBeNull();
  });
});

describe('sealFiles', () => {
  it('records the embedded date of a HEIC whose Exif lies past the head and of a MOV whose moov ends the file', async () => {
    const dir = await tempDir('inswarm-capture-seal');
    const photo = join(dir, 'IMG_0001.HEIC');
    const video = join(dir, 'IMG_0001.MOV');
    await writeFile(photo, heic({ date: '2022:08:09 10:11:12', offset: '+02:00', imageBytes: 2 * EXIF_SCAN_BYTES }));
    await writeFile(video, mov({ mvhd: ANDROID, creationDate: '2022-08-09T10:11:14+0200', mdatBytes: 2 * EXIF_SCAN_BYTES }));
    const { recipient } = await generateIdentity();
    const out = await open(join(dir, 'blob.age'), 'w');
    try {
      const result = await sealFiles([{ path: photo }, { path: video }], out, { recipients: [parseRecipient(recipient)], originDeviceId: 'test-device' });
      expect(result.files.map((f) => [f.name, f.capturedAt])).toEqual([
        ['IMG_0001.HEIC', '2022-08-09T10:11:12+02:00'],
        ['IMG_0001.MOV', '2022-08-09T10:11:14+02:00'],
      ]);
    } finally {
      await out.close();
    }
  });
});

