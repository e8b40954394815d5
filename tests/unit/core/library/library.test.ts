// The photo library: real blobs sealed to a real key, opened into a real folder and indexed in a
// real ledger. Checks the dated layout, dedupe by content, never overwriting, and crash recovery.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../../src/main/core/ledger/ledger.js';
import { datedPath, Library } from '../../../../src/main/core/library/library.js';
import { generateIdentity, parseIdentity, parseRecipient } from '../../../../src/main/core/seal/age-keys.js';
import { sealFiles } from '../../../../src/main/core/seal/seal.js';
import { makeJpeg } from '../../../helpers/jpeg.js';
import { tempDir } from '../../../helpers/tmp.js';

const ORIGIN = 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD';

async function setup() {
  const dir = await tempDir('inswarm-library');
  const key = await generateIdentity();
  const ledger = Ledger.open(join(dir, 'ledger.db'));
  const library = new Library(ledger, join(dir, 'library'));
  let n = 0;
  const seal = async (files: { name: string; bytes: Buffer; mtime?: Date }[], recipient = key.recipient): Promise<string> => {
    const src = join(dir, `src-${n}`);
    await mkdir(src, { recursive: true });
    const paths: string[] = [];
    for (const f of files) {
      const p = join(src, f.name);
      await writeFile(p, f.bytes);
      if (f.mtime) await utimes(p, f.mtime, f.mtime);
      paths.push(p);
    }
    const out = join(dir, `blob-${n++}`);
    const handle = await open(out, 'wx');
    try {
      await sealFiles(paths.map((path) => ({ path })), handle, { recipients: [parseRecipient(recipient)], originDeviceId: ORIGIN });
    } finally {
      await handle.close();
    }
    return out;
  };
  return { dir, ledger, library, seal, identities: [parseIdentity(key.identity)] };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('Library', () => {
  it('files a photo under its capture day with its name, bytes and mtime', async () => {
    const { library, seal, identities, ledger } = await setup();
    const photo = makeJpeg('2026:07:14 21:05:09', { seed: 1 });
    const mtime = new Date('2026-07-20T10:00:00Z');
    const blob = await seal([{ name: 'IMG_0001.JPG', bytes: photo, mtime }]);
    const result = await library.open(blob, { identities });
    expect(result.added).toBe(1);
    expect(result.files[0]!.path).toBe('2026/07/14/IMG_0001.JPG');
    const placed = join(library.root, '2026/07/14/IMG_0001.JPG');
    expect(await readFile(placed)).toEqual(photo);
    expect((await stat(placed)).mtimeMs).toBe(mtime.getTime());
    expect(library.pathOf(sha(photo))).toBe('2026/07/14/IMG_0001.JPG');
    ledger.close();
  });

  it('falls back to the local day of the mtime when a file has no capture time', async () => {
    const { library, seal, identities, ledger } = await setup();
    const mtime = new Date(2025, 0, 2, 12, 0, 0); // local noon: the same local day in every time zone rule
    const blob = await seal([{ name: 'notes.txt', bytes: Buffer.from('hello'), mtime }]);
    const result = await library.open(blob, { identities });
    expect(result.files[0]!.path).toBe('2025/01/02/notes.txt');
    expect(datedPath({ archivePath: 'x.jpg', capturedAt: '2024-02-29T23:59:59+09:00', mtimeMs: 0 })).toBe('2024/02/29/x.jpg');
    ledger.close();
  });

  it("files a video known only by its UTC instant (mvhd) under this computer's day, a camera's local time under the camera's", () => {
    const zone = process.env['TZ'];
    try {
      // An Android video shot at 20:30 in New York: mvhd says 01:30 UTC the next day.
      process.env['TZ'] = 'America/New_York';
      expect(datedPath({ archivePath: 'VID.mp4', capturedAt: '2024-07-05T01:30:00Z', mtimeMs: 0 })).toBe('2024/07/04/VID.mp4');
      expect(datedPath({ archivePath: 'IMG.jpg', capturedAt: '2024-07-05T01:30:00+00:00', mtimeMs: 0 })).toBe('2024/07/05/IMG.jpg');
      expect(datedPath({ archivePath: 'IMG.jpg', capturedAt: '2024-07-05T01:30:00', mtimeMs: 0 })).toBe('2024/07/05/IMG.jpg');
      process.env['TZ'] = 'Asia/Tokyo';
      expect(datedPath({ archivePath: 'VID.mp4', capturedAt: '2024-07-04T20:30:00Z', mtimeMs: 0 })).toBe('2024/07/05/VID.mp4');
      // Garbage is no date: the mtime's local day.
      expect(datedPath({ archivePath: 'VID.mp4', capturedAt: 'yesterday', mtimeMs: Date.parse('2024-07-04T20:30:00Z') })).toBe('2024/07/05/VID.mp4');
    } finally {
      if (zone === undefined) delete process.env['TZ'];
      else process.env['TZ'] = zone;
    }
  });

  it('files the same photo once, whichever blob brings it, and reports duplicates', async () => {
    const { library, seal, identities, ledger } = await setup();
    const photo = makeJpeg('2026:01:01 00:00:01', { seed: 2 });
    const a = await seal([{ name: 'A.JPG', bytes: photo }]);
    const b = await seal([{ name: 'A.JPG', bytes: photo }, { name: 'B.JPG', bytes: makeJpeg('2026:01:01 00:00:02', { seed: 3 }) }]);
    await library.open(a, { identities });
    const second = await library.open(b, { identities });
    expect(second.added).toBe(1);
    expect(second.duplicates).toBe(1);
    expect(second.files.find((f) => f.archivePath === 'A.JPG')).toMatchObject({ duplicate: true, path: '2026/01/01/A.JPG' });
    expect((await readdir(join(library.root, '2026/01/01'))).sort()).toEqual(['A.JPG', 'B.JPG']);
    ledger.close();
  });

  it('files concurrent opens of the same photo once', async () => {
    const { library, seal, identities, ledger } = await setup();
    const photo = makeJpeg('2026:03:03 03:03:03', { seed: 4 });
    const blobs = [await seal([{ name: 'P.JPG', bytes: photo }]), await seal([{ name: 'P.JPG', bytes: photo }])];
    const results = await Promise.all(blobs.map((blob) => library.open(blob, { identities })));
    expect(results.reduce((n, r) => n + r.added, 0)).toBe(1);
    expect(await readdir(join(library.root, '2026/03/03'))).toEqual(['P.JPG']);
    ledger.close();
  });

  it('never overwrites a different photo with the same name: it adds a suffix', async () => {
    const { library, seal, identities, ledger } = await setup();
    const first = makeJpeg('2026:05:05 05:05:05', { seed: 5 });
    const second = makeJpeg('2026:05:05 06:06:06', { seed: 6 });
    await library.open(await seal([{ name: 'IMG.JPG', bytes: first }]), { identities });
    const result = await library.open(await seal([{ name: 'IMG.JPG', bytes: second }]), { identities });
    expect(result.files[0]!.path).toBe('2026/05/05/IMG (2).JPG');
    expect(await readFile(join(library.root, '2026/05/05/IMG.JPG'))).toEqual(first);
    expect(await readFile(join(library.root, '2026/05/05/IMG (2).JPG'))).toEqual(second);
    ledger.close();
  });

  it('adopts a copy an interrupted run filed but did not record, instead of filing it twice', async () => {
    const { library, seal, identities, ledger } = await setup();
    const photo = makeJpeg('2026:06:06 06:06:06', { seed: 7 });
    await mkdir(join(library.root, '2026/06/06'), { recursive: true });
    await writeFile(join(library.root, '2026/06/06/IMG.JPG'), photo);
    const result = await library.open(await seal([{ name: 'IMG.JPG', bytes: photo }]), { identities });
    expect(result.duplicates).toBe(1);
    expect(await readdir(join(library.root, '2026/06/06'))).toEqual(['IMG.JPG']);
    expect(library.pathOf(sha(photo))).toBe('2026/06/06/IMG.JPG');
    ledger.close();
  });

  it('places nothing and records nothing for a blob sealed to another key', async () => {
    const { library, seal, identities, ledger } = await setup();
    const other = await generateIdentity();
    const photo = makeJpeg('2026:08:08 08:08:08', { seed: 8 });
    const blob = await seal([{ name: 'X.JPG', bytes: photo }], other.recipient);
    await expect(library.open(blob, { identities })).rejects.toMatchObject({ code: 'E_AGE_NO_MATCH' });
    expect(library.pathOf(sha(photo))).toBeNull();
    await expect(readdir(join(library.root, '2026'))).rejects.toMatchObject({ code: 'ENOENT' });
    ledger.close();
  });
});
