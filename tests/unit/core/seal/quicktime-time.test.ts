// QuickTime/MP4 capture time: Apple's com.apple.quicktime.creationdate (local time with its offset)
// before mvhd's UTC creation_time (version 0 and 1), moov found after gigabytes of mdat with a
// handful of small positioned reads, and null for boxes that lie.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIF_SCAN_BYTES, ISOBMFF_MAX_BOXES, QUICKTIME_MAX_META_BYTES } from '../../../../src/main/core/limits.js';
import { captureTimeOfFile } from '../../../../src/main/core/seal/capture-time-file.js';
import { appleCreationDate, mvhdCreationTime, parseIsoCaptureTime } from '../../../../src/main/core/seal/quicktime-time.js';
import { appleMeta, box, countingFile, ftyp, fullBox, hdlr, mov, moov, mvhd, since1904, trak, u32, writeSparse, writeSparseMov } from '../../../helpers/isobmff.js';
import { tempDir } from '../../../helpers/tmp.js';

async function captureOf(bytes: Buffer) {
  const file = countingFile(bytes);
  const when = await captureTimeOfFile(file, bytes.length, bytes.subarray(0, EXIF_SCAN_BYTES));
  return { when, file };
}

/** Reads a real file as the importer does: its head, then captureTimeOfFile on the open handle. */
async function captureOfPath(path: string) {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(EXIF_SCAN_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    const file = countingFile(handle);
    return { when: await captureTimeOfFile(file, size, head), file, size };
  } finally {
    await handle.close();
  }
}

const ANDROID = { version: 0, seconds: since1904('2021-03-04T05:06:07Z') } as const;

describe('mvhd creation_time', () => {
  it('is UTC seconds since 1904, given as an instant (Z, not the camera\'s +00:00), in version 0 and version 1', async () => {
    expect((await captureOf(mov({ brand: 'isom', mvhd: ANDROID }))).when).toBe('2021-03-04T05:06:07Z');
    // 2050 does not fit 32 bits of seconds since 1904 (they run out in 2040): version 1 holds it.
    expect((await captureOf(mov({ brand: 'mp42', mvhd: { version: 1, seconds: since1904('2050-01-02T03:04:05Z') } }))).when).toBe('2050-01-02T03:04:05Z');
  });

  it('gives null for 0 (unknown), for dates before 1970 (a writer counting from 1970), and for unknown versions', () => {
    const payload = (box: Buffer): Buffer => box.subarray(8);
    expect(mvhdCreationTime(payload(mvhd(0, 0)))).toBeNull();
    expect(mvhdCreationTime(payload(mvhd(1, 0)))).toBeNull();
    expect(mvhdCreationTime(payload(mvhd(0, Date.parse('2021-03-04T05:06:07Z') / 1000)))).toBeNull(); // Unix seconds: lands in 1955
    expect(mvhdCreationTime(payload(mvhd(1, 2n ** 62n)))).toBeNull();
    const v2 = Buffer.from(payload(mvhd(0, 1e9)));
    v2[0] = 2;
    expect(mvhdCreationTime(v2)).toBeNull();
    expect(mvhdCreationTime(Buffer.from([0, 0, 0]))).toBeNull();
  });
});

describe('com.apple.quicktime.creationdate', () => {
  it('wins over mvhd and keeps the local time and offset Apple wrote', async () => {
    const { when } = await captureOf(mov({ mvhd: { version: 0, seconds: since1904('2022-08-11T06:30:00Z') }, creationDate: '2022-08-10T23:30:00-0700' }));
    // mvhd's UTC day is the 11th; the person filmed on the evening of the 10th.
    expect(when).toBe('2022-08-10T23:30:00-07:00');
  });

  it('is read from a plain (QuickTime) meta atom and from a full-box (MP4) one', () => {
    expect(appleCreationDate(appleMeta({ 'com.apple.quicktime.creationdate': '2023-07-14T18:03:22+0200' }))).toBe('2023-07-14T18:03:22+02:00');
    expect(appleCreationDate(appleMeta({ 'com.apple.quicktime.creationdate': '2023-07-14T18:03:22+0200' }, true))).toBe('2023-07-14T18:03:22+02:00');
  });

  it('is matched by its key, not its position, and other keys are ignored', () => {
    expect(appleCreationDate(appleMeta({ 'com.apple.quicktime.make': 'Apple', 'com.apple.quicktime.software': '16.5', 'com.apple.quicktime.creationdate': '2023-07-14T18:03:22Z' }))).toBe('2023-07-14T18:03:22+00:00');
    expect(appleCreationDate(appleMeta({ 'com.apple.quicktime.make': '2023-07-14T18:03:22Z' }))).toBeNull();
  });

  it('falls back to mvhd when the date is malformed, its value missing, or the keys box lies', async () => {
    expect((await captureOf(mov({ mvhd: ANDROID, creationDate: 'yesterday' }))).when).toBe('2021-03-04T05:06:07Z');
    expect((await captureOf(mov({ mvhd: ANDROID, creationDate: '2023-13-14T18:03:22+0200' }))).when).toBe('2021-03-04T05:06:07Z');
    // keys names the date but ilst has no entry for it
    const keysOnly = box('meta', hdlr('mdta'), fullBox('keys', 0, 0, u32(1), u32(8 + 32), Buffer.from('mdta'), Buffer.from('com.apple.quicktime.creationdate')), box('ilst'));
    const withKeysOnly = Buffer.concat([ftyp('qt  '), box('mdat'), box('moov', mvhd(0, ANDROID.seconds), keysOnly)]);
    expect((await captureOf(withKeysOnly)).when).toBe('2021-03-04T05:06:07Z');
    // keys claims 4 billion entries in a few bytes
    const lyingKeys = box('meta', hdlr('mdta'), fullBox('keys', 0, 0, u32(0xffffffff), u32(0xffffff00)), box('ilst'));
    const withLyingKeys = Buffer.concat([ftyp('qt  '), box('mdat'), box('moov', mvhd(0, ANDROID.seconds), lyingKeys)]);
    expect((await captureOf(withLyingKeys)).when).toBe('2021-03-04T05:06:07Z');
  });

  it('parses the ISO 8601 forms cameras write, and nothing else', () => {
    const cases: [string, string | null][] = [
      ['2023-07-14T18:03:22+0200', '2023-07-14T18:03:22+02:00'],
      ['2023-07-14T18:03:22-03:30', '2023-07-14T18:03:22-03:30'],
      ['2023-07-14T18:03:22Z', '2023-07-14T18:03:22+00:00'],
      ['2023-07-14T18:03:22.123+0200', '2023-07-14T18:03:22+02:00'],
      ['2023-07-14T18:03:22', '2023-07-14T18:03:22'],
      ['2023-07-14T18:03:22+0200\0\0', '2023-07-14T18:03:22+02:00'],
      ['2023-07-14 18:03:22+0200', null],
      ['2023-07-14T24:03:22+0200', null],
      ['2023-07-14T18:03:22+1500', null],
      ['0000-00-00T00:00:00Z', null],
      ['2023-07-14T18:03:22+0200 and more', null],
      ['', null],
    ];
    for (const [text, want] of cases) expect(parseIsoCaptureTime(text), text).toBe(want);
  });
});

describe('finding moov', () => {
  it('after 5 GiB of media data (64-bit mdat size), with a few small reads near the end', async () => {
    const path = join(await tempDir('inswarm-mov'), 'IMG_0002.MOV');
    const mdat = 5 * 1024 ** 3;
    await writeSparseMov(path, mdat, { mvhd: ANDROID, creationDate: '2023-07-14T18:03:22+0200' });
    const { when, file, size } = await captureOfPath(path);
    expect(when).toBe('2023-07-14T18:03:22+02:00');
    // moov's header, its children's headers, and Apple's meta: a few KiB at most, all past the media.
    expect(file.reads.every((r) => r.position > mdat)).toBe(true);
    expect(file.bytesRead).toBeLessThan(4096);
    expect(size).toBeGreaterThan(mdat);
  });

  it('after a 32-bit mdat, falling back to mvhd when there is no Apple date', async () => {
    const path = join(await tempDir('inswarm-mov'), 'VID_0001.mp4');
    await writeSparseMov(path, 100 * 1024 * 1024, { brand: 'mp42', mvhd: ANDROID });
    const { when, file } = await captureOfPath(path);
    expect(when).toBe('2021-03-04T05:06:07Z');
    expect(file.bytesRead).toBeLessThan(1024);
  });

  it('in files of every common brand, and in old QuickTime files without ftyp', async () => {
    for (const brand of ['qt  ', 'isom', 'mp41', 'mp42', '3gp4', '3g2a', 'M4V ']) {
      expect((await captureOf(mov({ brand, mvhd: ANDROID }))).when, brand).toBe('2021-03-04T05:06:07Z');
    }
    for (const first of [box('wide'), box('mdat', Buffer.alloc(64)), box('free')]) {
      expect((await captureOf(Buffer.concat([first, moov({ mvhd: ANDROID })]))).when).toBe('2021-03-04T05:06:07Z');
    }
    expect((await captureOf(moov({ mvhd: ANDROID }))).when).toBe('2021-03-04T05:06:07Z');
  });
});

describe('QuickTime files that lie', () => {
  const front = (): Buffer => Buffer.concat([ftyp('qt  ', 'qt  '), box('wide')]);
  const cases: [string, () => Buffer][] = [
    ['a moov cut short (its size reaches past the end)', () => mov({ mvhd: ANDROID }).subarray(0, -10)],
    ['an mdat of size 0 (to the end) before moov', () => Buffer.concat([front(), u32(0), Buffer.from('mdat'), moov({ mvhd: ANDROID })])],
    ['a box of size 3', () => Buffer.concat([front(), u32(3), Buffer.from('mdat'), moov({ mvhd: ANDROID })])],
    ['a largesize smaller than its header', () => Buffer.concat([front(), u32(1), Buffer.from('mdat'), Buffer.from('0000000000000008', 'hex'), moov({ mvhd: ANDROID })])],
    ['a largesize beyond any file', () => Buffer.concat([front(), u32(1), Buffer.from('mdat'), Buffer.from('7fffffffffffffff', 'hex'), moov({ mvhd: ANDROID })])],
    ['an mvhd that reaches past its moov', () => Buffer.concat([front(), box('moov', mvhd(0, ANDROID.seconds).subarray(0, 40))])],
    ['moov after more boxes than are walked', () => Buffer.concat([front(), ...Array.from({ length: ISOBMFF_MAX_BOXES }, () => box('free')), moov({ mvhd: ANDROID })])],
    ['a moov with only tracks', () => Buffer.concat([front(), box('moov', trak(), trak())])],
  ];
  for (const [what, make] of cases) {
    it(`gives null for ${what}`, async () => {
      const { when, file } = await captureOf(make());
      expect(when).toBeNull();
      expect(file.bytesRead).toBe(0); // all in the head: nothing read beyond it
    });
  }

  it('does not read a moov/meta larger than QUICKTIME_MAX_META_BYTES, and still uses mvhd', async () => {
    const big = box('meta', hdlr('mdta'), box('free', Buffer.alloc(QUICKTIME_MAX_META_BYTES)));
    const path = join(await tempDir('inswarm-mov'), 'big-meta.MOV');
    const head = Buffer.concat([front(), Buffer.from([0, 0, 0, 0]), Buffer.from('mdat')]);
    // mdat is the rest of the file up to moov, which sits 1 MiB in.
    const moovAt = 1024 * 1024;
    head.writeUInt32BE(moovAt - front().length, front().length);
    await writeSparse(path, head, [{ at: moovAt, bytes: box('moov', mvhd(0, ANDROID.seconds), big) }]);
    const { when, file } = await captureOfPath(path);
    expect(when).toBe('2021-03-04T05:06:07Z');
    expect(file.bytesRead).toBeLessThan(1024);
  });

  it('gives the date or null, never an exception, for the file cut at every length', async () => {
    const whole = mov({ mvhd: ANDROID, creationDate: '2023-07-14T18:03:22+0200', mdatBytes: 16 });
    const seen = new Set<string | null>();
    for (let n = 0; n <= whole.length; n++) {
      const { when } = await captureOf(whole.subarray(0, n));
      seen.add(when);
    }
    // Cut inside moov, parseBoxHeader refuses it (it reaches past the file): no date until it is whole.
    expect(seen).toEqual(new Set([null, '2023-07-14T18:03:22+02:00']));
  });
});
