// Capture times of HEIC and QuickTime files checked against exiftool, an independent reader and
// writer: it reads the hand-built fixtures the unit tests use exactly as we do (so a builder bug
// cannot hide a matching parser bug), and what exiftool writes into HEIC and MOV files (a rewritten
// or newly added Exif item, Apple's Keys:CreationDate, mvhd's CreateDate) we read back.
// Needs exiftool (apt-get install libimage-exiftool-perl, as .ci/run does).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIF_SCAN_BYTES } from '../../src/main/core/limits.js';
import { captureTimeOfPath } from '../../src/main/core/seal/capture-time-file.js';
import { heic, mov, since1904 } from '../helpers/isobmff.js';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
/**
 * exiftool with times in UTC, so mvhd dates print as they are stored, and with Perl's hash order
 * fixed: exiftool 12.57 fails now and then to add an Exif item to a HEIC ("Chunk offset in iloc atom
 * is outside media data") depending on the randomized order; with a fixed one it never did here.
 */
const exiftool = (args: readonly string[]) => run('exiftool', args, { env: { ...process.env, TZ: 'UTC', PERL_HASH_SEED: '0', PERL_PERTURB_KEYS: '0' } });

beforeAll(async () => {
  const version = await exiftool(['-ver']);
  expect(version.code, 'exiftool must be installed (apt-get install libimage-exiftool-perl)').toBe(0);
  dir = await tempDir('capture-interop');
});

/** exiftool's "YYYY:MM:DD HH:MM:SS[±HH:MM]" in our "YYYY-MM-DDTHH:MM:SS[±HH:MM]". */
const ours = (exif: string): string => exif.replace(/^(\d{4}):(\d{2}):(\d{2}) /, '$1-$2-$3T');

async function write(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function exifWrite(path: string, args: readonly string[]): Promise<void> {
  const r = await exiftool(['-overwrite_original', ...args, path]);
  expect(r.code, `exiftool ${args.join(' ')}: ${r.stderr}`).toBe(0);
}

describe('capture time against exiftool', () => {
  it('exiftool reads the hand-built HEIC and QuickTime fixtures as we do', async () => {
    const imageBytes = 2 * EXIF_SCAN_BYTES; // the Exif item lies past the head
    const files: Record<string, Buffer> = {
      'iphone.heic': heic({ date: '2022:08:09 10:11:12', offset: '+02:00', imageBytes }),
      'v3.heic': heic({ date: '2021:01:02 03:04:05', offset: '-05:00', infeVersion: 3, iloc: { version: 2, offsetSize: 8, lengthSize: 8 } }),
      'plain.avif': heic({ brand: 'avif', date: '2020:12:31 23:59:59', exifPrefix: false }),
      'apple.mov': mov({ mvhd: { version: 0, seconds: since1904('2022-08-11T06:30:00Z') }, creationDate: '2022-08-10T23:30:00-0700', mdatBytes: imageBytes }),
      'android.mp4': mov({ brand: 'isom', mvhd: { version: 0, seconds: since1904('2021-03-04T05:06:07Z') }, mdatBytes: imageBytes }),
      'v1.mp4': mov({ brand: 'mp42', mvhd: { version: 1, seconds: since1904('2050-01-02T03:04:05Z') } }),
    };
    const paths = await Promise.all(Object.entries(files).map(([name, bytes]) => write(name, bytes)));
    const r = await exiftool(['-j', '-api', 'QuickTimeUTC', '-DateTimeOriginal', '-OffsetTimeOriginal', '-Keys:CreationDate', '-QuickTime:CreateDate', '-Warning', ...paths]);
    expect(r.code, r.stderr).toBe(0);
    const tags = JSON.parse(r.stdout) as { SourceFile: string; DateTimeOriginal?: string; OffsetTimeOriginal?: string; CreationDate?: string; CreateDate?: string; Warning?: string }[];
    expect(tags).toHaveLength(paths.length);
    for (const t of tags) {
      expect(t.Warning, t.SourceFile).toBeUndefined();
      const theirs =
        t.DateTimeOriginal !== undefined ? ours(t.DateTimeOriginal) + (t.OffsetTimeOriginal ?? '') : t.CreationDate !== undefined ? ours(t.CreationDate) : ours(t.CreateDate!).replace(/\+00:00$/, 'Z'); // mvhd: an instant
      expect(await captureTimeOfPath(t.SourceFile), t.SourceFile).toBe(theirs);
    }
    // And what they hold is what the fixtures meant (exiftool's own view, not ours).
    expect(Object.fromEntries(tags.map((t) => [t.SourceFile.split('/').pop(), t.DateTimeOriginal ?? t.CreationDate ?? t.CreateDate]))).toEqual({
      'iphone.heic': '2022:08:09 10:11:12',
      'v3.heic': '2021:01:02 03:04:05',
      'plain.avif': '2020:12:31 23:59:59',
      'apple.mov': '2022:08:10 23:30:00-07:00',
      'android.mp4': '2021:03:04 05:06:07+00:00',
      'v1.mp4': '2050:01:02 03:04:05+00:00',
    });
  });

  it('reads the date exiftool writes into a HEIC, also when it adds a second Exif item for the primary image', async () => {
    const rewritten = await write('rewritten.heic', heic({ date: '2022:08:09 10:11:12', offset: '+02:00', imageBytes: 2 * EXIF_SCAN_BYTES }));
    await exifWrite(rewritten, ['-DateTimeOriginal=2019:02:03 04:05:06', '-OffsetTimeOriginal=-05:00']);
    expect(await captureTimeOfPath(rewritten)).toBe('2019-02-03T04:05:06-05:00');

    // Without an iref tying the old item to the image, exiftool leaves it and adds its own: ours must win.
    const added = await write('added.heic', heic({ date: '2022:08:09 10:11:12', offset: '+02:00', describes: false, imageBytes: 2 * EXIF_SCAN_BYTES }));
    await exifWrite(added, ['-DateTimeOriginal=2018:07:06 05:04:03', '-OffsetTimeOriginal=+09:00']);
    const items = await exiftool(['-v2', added]);
    expect(items.stdout.match(/Type=Exif/g)?.length, 'exiftool added a second Exif item').toBe(2);
    expect(await captureTimeOfPath(added)).toBe('2018-07-06T05:04:03+09:00');
  });

  it("reads Apple's creation date and mvhd's creation time as exiftool writes them into a video", async () => {
    const keys = await write('keys.mov', mov({ mvhd: { version: 0, seconds: since1904('2020-01-01T00:00:00Z') }, mdatBytes: 2 * EXIF_SCAN_BYTES }));
    expect(await captureTimeOfPath(keys)).toBe('2020-01-01T00:00:00Z');
    await exifWrite(keys, ['-Keys:CreationDate=2018:01:02 03:04:05+09:00']);
    expect(await captureTimeOfPath(keys)).toBe('2018-01-02T03:04:05+09:00');

    const created = await write('created.mp4', mov({ brand: 'isom', mvhd: { version: 0, seconds: since1904('2020-01-01T00:00:00Z') }, mdatBytes: 2 * EXIF_SCAN_BYTES }));
    await exifWrite(created, ['-api', 'QuickTimeUTC', '-QuickTime:CreateDate=2017:06:07 08:09:10+00:00']);
    expect(await captureTimeOfPath(created)).toBe('2017-06-07T08:09:10Z');
  });
});
