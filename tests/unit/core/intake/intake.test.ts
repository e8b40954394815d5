// The import engine's pieces on plain folders: Live Photo grouping, source discovery under injected
// roots, gphoto2 output parsing (recorded from gphoto2 2.5.28 itself, and live when installed),
// progress arithmetic, the plug/unplug watcher, and the importer's ledger states (no destination →
// copied and waiting; a destination later → sealed; a crash mid-copy → recovered, not doubled).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { InswarmNode } from '../../../../src/main/core/node.js';
import { downloadForImport, downloadNew, type PtpCamera, fileRanges, gphoto2, GPHOTO2_MAX_FILE_NUMBER, MAX_RANGES_PER_RUN, parseAutoDetect, parseListFiles, sameSizeInKb } from '../../../../src/main/core/intake/gphoto2.js';
import { Importer, STAGING_DIR } from '../../../../src/main/core/intake/importer.js';
import { groupLivePhotos, mediaKind, type SourceFile } from '../../../../src/main/core/intake/media.js';
import { ProgressMeter, type ImportProgress } from '../../../../src/main/core/intake/progress.js';
import { findSourceRoots, listSources, sourceIdFor, toolHints, withoutMtpMounted } from '../../../../src/main/core/intake/sources.js';
import { which } from '../../../../src/main/core/intake/which.js';
import { SourceWatcher, type WatchedSource } from '../../../../src/main/core/intake/watcher.js';
import { createKeyFile } from '../../../../src/main/core/seal/key-file.js';
import { makeJpeg } from '../../../helpers/jpeg.js';
import { tempDir } from '../../../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/intake/', import.meta.url));
const file = (path: string, kind: SourceFile['kind'] = mediaKind(path)!): SourceFile => ({ path, size: 1, mtimeMs: 0, kind });

describe('media', () => {
  test('photos and videos by extension, case-insensitively; sidecars are not media', () => {
    expect(mediaKind('IMG_0001.HEIC')).toBe('photo');
    expect(mediaKind('img_0001.jpeg')).toBe('photo');
    expect(mediaKind('VID_1.mp4')).toBe('video');
    expect(['PXL_1.avif', 'SCAN.TIF', 'scan.tiff', 'IMGP0001.PEF', 'SAM_1.SRW', 'DSCN1.NRW'].map(mediaKind)).toEqual(Array(6).fill('photo'));
    expect(['clip.mkv', 'screen.webm'].map(mediaKind)).toEqual(['video', 'video']);
    expect(mediaKind('IMG_0001.AAE')).toBeNull();
    expect(mediaKind('.thumbdata4')).toBeNull();
  });

  test('a still and a MOV with one base name in one folder are a Live Photo pair, still first', () => {
    const groups = groupLivePhotos([file('DCIM/A/IMG_1.MOV'), file('DCIM/A/IMG_1.HEIC'), file('DCIM/B/IMG_1.JPG'), file('DCIM/A/IMG_2.mp4'), file('DCIM/A/img_3.jpg'), file('DCIM/A/IMG_3.MOV')]);
    expect(groups.map((g) => g.map((f) => f.path))).toEqual([
      ['DCIM/A/IMG_1.HEIC', 'DCIM/A/IMG_1.MOV'],
      ['DCIM/B/IMG_1.JPG'],
      ['DCIM/A/IMG_2.mp4'],
      ['DCIM/A/img_3.jpg', 'DCIM/A/IMG_3.MOV'],
    ]);
  });

  test('three files with one stem (HEIC, JPG, MOV) are not guessed into a pair', () => {
    const groups = groupLivePhotos([file('D/X.HEIC'), file('D/X.JPG'), file('D/X.MOV')]);
    expect(groups).toHaveLength(3);
  });
});

describe('gphoto2 output', () => {
  test('--list-files as recorded from gphoto2 2.5.28 (Directory Browse driver)', () => {
    const files = parseListFiles(readFileSync(join(FIXTURES, 'gphoto2-list-files.txt'), 'utf8'));
    expect(files).toEqual([
      { number: 1, path: 'DCIM/100APPLE/IMG_0001.MOV', name: 'IMG_0001.MOV', sizeKb: 5, kind: 'video' },
      { number: 2, path: 'DCIM/Camera/PXL 20230611.jpg', name: 'PXL 20230611.jpg', sizeKb: 1, kind: 'photo' },
    ]);
  });

  test('file numbers become --get-file ranges, in runs that keep the argument short', () => {
    expect(fileRanges([])).toEqual([]);
    expect(fileRanges([7, 1, 2, 3, 9, 10, 3])).toEqual(['1-3,7,9-10']);
    expect(fileRanges([1, 3, 5, 7, 9], 2)).toEqual(['1,3', '5,7', '9']);
    expect(fileRanges(Array.from({ length: 5000 }, (_, i) => i * 2 + 1))).toHaveLength(Math.ceil(5000 / MAX_RANGES_PER_RUN));
    // gphoto2 lists whole KiB rounded up: 3,000 bytes are "3 KB", 1,024 are "1 KB", 1,025 are "2 KB".
    expect([2, 3, 4].map((kb) => sameSizeInKb(3000, kb))).toEqual([false, true, false]);
    expect([1, 2].map((kb) => sameSizeInKb(1024, kb))).toEqual([true, false]);
    expect([1, 2].map((kb) => sameSizeInKb(1025, kb))).toEqual([false, true]);
    expect(sameSizeInKb(0, 0)).toBe(true);
  });

  test('--auto-detect with no camera (recorded) and with two (the same column layout)', () => {
    expect(parseAutoDetect(readFileSync(join(FIXTURES, 'gphoto2-auto-detect-empty.txt'), 'utf8'))).toEqual([]);
    expect(parseAutoDetect(readFileSync(join(FIXTURES, 'gphoto2-auto-detect-two.txt'), 'utf8'))).toEqual([
      { model: 'Apple iPhone', port: 'usb:001,004' },
      { model: 'Samsung Galaxy models (MTP)', port: 'usb:002,011' },
    ]);
  });

  test.skipIf(execFileOk('gphoto2', ['--version']) === false)('live: gphoto2 lists and downloads a "camera" (its Directory Browse driver): DCIM only, what is new only, by number or by path', async () => {
    const dir = await tempDir('inswarm-gphoto2');
    const cam = join(dir, 'cam');
    await mkdir(join(cam, 'DCIM', '100TEST'), { recursive: true });
    await mkdir(join(cam, 'Pictures'), { recursive: true });
    await writeFile(join(cam, 'DCIM', '100TEST', 'IMG_0001.JPG'), makeJpeg('2022:02:02 10:00:00', { seed: 9 }));
    const camera = { model: 'Directory Browse', port: `disk:${cam}` };
    // Sizes either side of a KiB boundary: what gphoto2 itself lists must match sameSizeInKb.
    await writeFile(join(cam, 'DCIM', '100TEST', 'IMG_0002.JPG'), Buffer.alloc(1024));
    await writeFile(join(cam, 'DCIM', '100TEST', 'IMG_0003.JPG'), Buffer.alloc(1025));
    // Outside DCIM: not what an import of a card or mount reads either.
    await writeFile(join(cam, 'Pictures', 'saved.jpg'), 'x');
    const listed = parseListFiles(execFileSync('gphoto2', ['--camera', camera.model, '--port', camera.port, '--list-files'], { encoding: 'utf8' }));
    expect(listed.map((f) => [f.number, f.path])).toEqual([
      [1, 'DCIM/100TEST/IMG_0001.JPG'],
      [2, 'DCIM/100TEST/IMG_0002.JPG'],
      [3, 'DCIM/100TEST/IMG_0003.JPG'],
      [4, 'Pictures/saved.jpg'],
    ]);
    for (const f of listed) expect(sameSizeInKb((await stat(join(cam, f.path))).size, f.sizeKb!), f.path).toBe(true);

    const all = join(dir, 'all');
    await mkdir(all);
    expect(await downloadNew(camera, all, new Map())).toMatchObject({ listed: 3, downloaded: 3, media: [{ number: 1 }, { number: 2 }, { number: 3 }] });
    expect(await readFile(join(all, 'DCIM', '100TEST', 'IMG_0001.JPG'))).toEqual(await readFile(join(cam, 'DCIM', '100TEST', 'IMG_0001.JPG')));
    expect(await readdir(all)).toEqual(['DCIM']);
    // Only what is not known by path and listed size crosses: IMG_0001 was imported before; a file
    // of IMG_0002's path with another size was, so IMG_0002 (1 KB now) is new. With numbers above
    // the limit gphoto2 takes (here 1, to be reached), the files are asked for by path.
    const known = new Map([['DCIM/100TEST/IMG_0001.JPG', [(await stat(join(cam, 'DCIM/100TEST/IMG_0001.JPG'))).size]], ['DCIM/100TEST/IMG_0002.JPG', [5000]]]);
    for (const maxNumber of [GPHOTO2_MAX_FILE_NUMBER, 1]) {
      const fresh = join(dir, `fresh-${maxNumber}`);
      await mkdir(fresh);
      expect(await downloadNew(camera, fresh, known, { maxNumber })).toMatchObject({ listed: 3, downloaded: 2 });
      expect((await readdir(join(fresh, 'DCIM', '100TEST'))).sort()).toEqual(['IMG_0002.JPG', 'IMG_0003.JPG']);
      expect(await readFile(join(fresh, 'DCIM', '100TEST', 'IMG_0003.JPG'))).toEqual(Buffer.alloc(1025));
    }
  });

  test('a cancelled gphoto2 run is stopped at once, and a failing one says why in its first line', async () => {
    const bin = await tempDir('inswarm-fake-gphoto2');
    const slow = join(bin, 'slow');
    await writeFile(slow, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const failing = join(bin, 'failing');
    await writeFile(failing, '#!/bin/sh\necho "\n*** Error ***\nCould not claim the USB device" >&2\nexit 1\n', { mode: 0o755 });
    const controller = new AbortController();
    const run = gphoto2(['--list-files'], { command: slow, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    // Left alone the stand-in would sleep 30 s and then succeed.
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    await expect(gphoto2(['--list-files'], { command: failing })).rejects.toThrow('*** Error ***');
    const camera = { model: 'Apple iPhone', port: 'usb:001,004' };
    await expect(downloadForImport(camera, bin, 'new', new Map(), { command: failing })).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/^Apple iPhone could not be read through gphoto2 .*unlocked/) });
  });
});

function execFileOk(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('sources', () => {
  test('finds volumes with DCIM under the roots and gvfs MTP mounts (DCIM one level down), counts photos, videos and new', async () => {
    const base = await tempDir('inswarm-roots');
    const media = join(base, 'media', 'alice');
    const gvfs = join(base, 'gvfs');
    await mkdir(join(media, 'CARD', 'DCIM', '100CANON'), { recursive: true });
    await writeFile(join(media, 'CARD', 'DCIM', '100CANON', 'IMG_1.JPG'), 'a');
    await writeFile(join(media, 'CARD', 'DCIM', '100CANON', 'MVI_2.MP4'), 'bb');
    await writeFile(join(media, 'CARD', 'DCIM', '100CANON', 'notes.txt'), 'x');
    await mkdir(join(media, 'USBSTICK', 'docs'), { recursive: true }); // no DCIM: not a source
    await mkdir(join(gvfs, 'mtp:host=SAMSUNG_Android_R58M1', 'Internal shared storage', 'DCIM', 'Camera'), { recursive: true });
    await writeFile(join(gvfs, 'mtp:host=SAMSUNG_Android_R58M1', 'Internal shared storage', 'DCIM', 'Camera', 'PXL_1.jpg'), 'ccc');
    await mkdir(join(gvfs, 'smb-share:server=nas'), { recursive: true });
    const roots = { parents: [media], volumes: [], gvfs };
    expect((await findSourceRoots(roots)).map((r) => [r.kind, r.name])).toEqual([
      ['volume', 'CARD'],
      ['mtp', 'SAMSUNG Android R58M1'],
    ]);
    const sources = await listSources({ roots, cameras: null });
    expect(sources.map((s) => ({ id: s.id, photos: s.photos, videos: s.videos, newFiles: s.newFiles, bytes: s.bytes }))).toEqual([
      { id: 'vol-CARD', photos: 1, videos: 1, newFiles: 2, bytes: 3 },
      { id: 'mtp-SAMSUNG_Android_R58M1'.replace(/_/g, '-'), photos: 1, videos: 0, newFiles: 1, bytes: 3 },
    ]);
    expect(await sourceIdFor(join(gvfs, 'mtp:host=SAMSUNG_Android_R58M1'))).toBe(sources[1]!.id);
  });

  test('missing gphoto2 and ifuse each come with the package to install', async () => {
    const none = async (): Promise<null> => null;
    const linux = await toolHints('linux', none);
    expect(linux.map((t) => [t.tool, t.installed])).toEqual([['gphoto2', false], ['ifuse', false]]);
    expect(linux[0]!.hint).toMatch(/apt install gphoto2/);
    expect(linux[1]!.hint).toMatch(/apt install ifuse libimobiledevice-utils/);
    expect((await toolHints('darwin', none))[0]!.hint).toMatch(/brew install gphoto2/);
    const all = await toolHints('linux', async (c) => `/usr/bin/${c}`);
    expect(all.every((t) => t.installed && t.hint === '')).toBe(true);
    expect(await which('sh')).not.toBeNull();
    expect(await which('no-such-command-inswarm')).toBeNull();
  });
});

describe('progress', () => {
  test('files/s, bytes/s and ETA from an injected clock', () => {
    let t = 0;
    const seen: ImportProgress[] = [];
    const meter = new ProgressMeter(() => t, (p) => seen.push(p));
    meter.phase('copying', 4, 4000);
    t = 2000;
    meter.bytes(1000);
    meter.fileDone(0);
    expect(seen.at(-1)).toEqual({ phase: 'copying', filesDone: 1, filesTotal: 4, bytesDone: 1000, bytesTotal: 4000, filesPerSec: 0.5, bytesPerSec: 500, etaSeconds: 6 });
    const before = seen.length;
    t = 2100;
    meter.bytes(10); // within the interval: not reported
    expect(seen.length).toBe(before);
  });

  test('a count from outside (a download folder) is capped at the planned totals', () => {
    let t = 0;
    const seen: ImportProgress[] = [];
    const meter = new ProgressMeter(() => t, (p) => seen.push(p));
    meter.phase('downloading', 2, 2048);
    t = 1000;
    meter.set(1, 1024);
    expect(seen.at(-1)).toMatchObject({ phase: 'downloading', filesDone: 1, bytesDone: 1024 });
    t = 2000;
    meter.set(5, 9000); // files a cancelled run left there as well
    expect(seen.at(-1)).toMatchObject({ filesDone: 2, filesTotal: 2, bytesDone: 2048, bytesTotal: 2048, etaSeconds: 0 });
  });
});

describe('watcher', () => {
  test('reports a source plugged in and unplugged, once each, on its injected timer', async () => {
    const base = await tempDir('inswarm-watch');
    const timers: (() => void)[] = [];
    const added: WatchedSource[] = [];
    const removed: WatchedSource[] = [];
    const watcher = new SourceWatcher({
      roots: { parents: [base], volumes: [], gvfs: null },
      onAdded: (s) => added.push(s),
      onRemoved: (s) => removed.push(s),
      setTimer: (fn) => {
        timers.push(fn);
        return { cancel: () => undefined };
      },
    });
    await watcher.check();
    expect(added).toEqual([]);
    await mkdir(join(base, 'PHONE', 'DCIM'), { recursive: true });
    await watcher.check();
    await watcher.check();
    expect(added.map((s) => s.name)).toEqual(['PHONE']);
    await rm(join(base, 'PHONE'), { recursive: true });
    await watcher.check();
    expect(removed.map((s) => s.name)).toEqual(['PHONE']);
    watcher.start();
    await watcher.stop();
    expect(timers.length).toBeLessThanOrEqual(1);
  });

  test('reports a PTP camera attached and detached, by its source ID, beside the folders; a phone gvfs mounts over MTP only once', async () => {
    const base = await tempDir('inswarm-watch-ptp');
    await mkdir(join(base, 'media', 'CARD', 'DCIM'), { recursive: true });
    const gvfs = join(base, 'gvfs');
    let attached: PtpCamera[] = [];
    const added: WatchedSource[] = [];
    const removed: WatchedSource[] = [];
    const roots = { parents: [join(base, 'media')], volumes: [], gvfs };
    const watcher = new SourceWatcher({
      roots,
      cameras: async () => attached,
      onAdded: (s) => added.push(s),
      onRemoved: (s) => removed.push(s),
    });
    await watcher.check();
    // An iPhone over PTP, and an Android phone that gvfs mounted over MTP, which gphoto2 lists too.
    await mkdir(join(gvfs, 'mtp:host=SAMSUNG_SAMSUNG_Android_R58M12345', 'Internal shared storage', 'DCIM'), { recursive: true });
    attached = [
      { model: 'Apple iPhone', port: 'usb:001,004' },
      { model: 'Samsung Galaxy models (MTP)', port: 'usb:002,011', serial: 'R58M12345' },
    ];
    await watcher.check();
    await watcher.check();
    expect(added.map((s) => [s.kind, s.name, s.root])).toEqual([
      ['volume', 'CARD', join(base, 'media', 'CARD')],
      ['mtp', 'SAMSUNG SAMSUNG Android R58M12345', join(gvfs, 'mtp:host=SAMSUNG_SAMSUNG_Android_R58M12345')],
      ['ptp', 'Apple iPhone', 'ptp-Apple-iPhone-usb-001-004'],
    ]);
    expect((await listSources({ roots, cameras: async () => attached })).map((s) => s.kind)).toEqual(['volume', 'mtp', 'ptp']);
    attached = [];
    await watcher.check();
    expect(removed.map((s) => [s.kind, s.root])).toEqual([['ptp', 'ptp-Apple-iPhone-usb-001-004']]);
    expect(watcher.sources().map((s) => s.name)).toEqual(['CARD', 'SAMSUNG SAMSUNG Android R58M12345']);
    // Without its mount, the same phone is a camera like any other.
    expect(withoutMtpMounted([{ model: 'Samsung Galaxy models (MTP)', port: 'usb:002,011', serial: 'R58M12345' }], [])).toHaveLength(1);

    // gphoto2 sees a phone before gvfs has mounted it: a camera is offered only once two checks
    // in a row have seen it, and by then the mount is there.
    const pixel = { model: 'Google Pixel (MTP)', port: 'usb:002,015', serial: '3A1B0C' };
    attached = [pixel];
    await watcher.check();
    await mkdir(join(gvfs, 'mtp:host=Google_Pixel_8_3A1B0C', 'Internal shared storage', 'DCIM'), { recursive: true });
    await watcher.check();
    await watcher.check();
    expect(added.map((s) => s.kind)).toEqual(['volume', 'mtp', 'ptp', 'mtp']);
    expect(added[3]!.name).toBe('Google Pixel 8 3A1B0C');
  });
});

describe('importer', () => {
  async function setup(): Promise<{ card: string; data: string; node: InswarmNode; importer: Importer; library: string }> {
    const dir = await tempDir('inswarm-importer');
    const card = join(dir, 'card');
    await mkdir(join(card, 'DCIM', '100APPLE'), { recursive: true });
    await writeFile(join(card, 'DCIM', '100APPLE', 'IMG_0001.JPG'), makeJpeg('2021:07:04 20:15:00', { seed: 1 }));
    await writeFile(join(card, 'DCIM', '100APPLE', 'IMG_0002.HEIC'), 'heic');
    await writeFile(join(card, 'DCIM', '100APPLE', 'IMG_0002.MOV'), 'mov');
    const mtime = new Date(2020, 0, 2, 3, 4, 5);
    await utimes(join(card, 'DCIM', '100APPLE', 'IMG_0002.HEIC'), mtime, mtime);
    const data = join(dir, 'data');
    const node = await InswarmNode.open(data);
    const library = join(dir, 'Photos');
    const importer = new Importer({ ledger: node.ledger, library, seal: (g) => node.addFiles(g), hasDestination: () => node.destinations.getDefault() !== undefined });
    return { card, data, node, importer, library };
  }

  test('without a destination the files land in the library and wait; with one they are sealed, a pair as one blob', async () => {
    const { card, node, importer, library } = await setup();
    try {
      const source = { id: 'test-card', name: 'card', root: card };
      const first = await importer.run(source);
      expect(first).toMatchObject({ imported: 3, waitingForDestination: true, sealedBlobs: 0, sealPending: 3 });
      expect((await readdir(join(library, '2021', '07', '04')))).toEqual(['IMG_0001.JPG']);
      // The MOV is filed on its still's day (the HEIC's mtime), not its own.
      expect((await readdir(join(library, '2020', '01', '02'))).sort()).toEqual(['IMG_0002.HEIC', 'IMG_0002.MOV']);
      node.destinations.setRecipient(await createKeyFile(join(library, '..', 'key.txt')), 'home');
      const second = await importer.run(source);
      expect(second).toMatchObject({ imported: 0, skippedKnown: 3, sealedBlobs: 2, sealPending: 0, waitingForDestination: false });
      const labels = node.ledger.guarded('t', () => (node.ledger as unknown as { db: { prepare(s: string): { all(): { label: string }[] } } }).db.prepare('SELECT label FROM outbox ORDER BY label').all());
      expect(labels.map((l) => l.label)).toEqual(['IMG_0001.JPG', 'IMG_0002.HEIC + IMG_0002.MOV']);
    } finally {
      await node.close();
    }
  });

  test('a copy a crash left half-done ("copying") is finished when intact and removed when not; nothing is doubled', async () => {
    const { card, node, importer, library } = await setup();
    try {
      const source = { id: 'test-card', name: 'card', root: card };
      await importer.run(source, { noSeal: true });
      // Simulate a crash after the library copy was written but before it was recorded as copied,
      // and another one before the copy was complete.
      const db = (node.ledger as unknown as { db: { prepare(s: string): { run(...a: unknown[]): unknown; all(...a: unknown[]): unknown[] } } }).db;
      db.prepare(`UPDATE imports SET state = 'copying' WHERE source_path LIKE '%IMG_0001.JPG'`).run();
      db.prepare(`UPDATE imports SET state = 'copying' WHERE source_path LIKE '%IMG_0002.MOV'`).run();
      await writeFile(join(library, '2020', '01', '02', 'IMG_0002.MOV'), 'mo'); // truncated
      const again = await importer.run(source, { noSeal: true });
      expect(again.imported).toBe(1); // the MOV, copied again
      expect(again.skippedKnown).toBe(2);
      expect(db.prepare(`SELECT state, count(*) AS n FROM imports GROUP BY state`).all()).toEqual([{ state: 'copied', n: 3 }]);
      expect(await readFile(join(library, '2020', '01', '02', 'IMG_0002.MOV'), 'utf8')).toBe('mov');
      expect((await readdir(join(library, '2020', '01', '02'))).sort()).toEqual(['IMG_0002.HEIC', 'IMG_0002.MOV']);
    } finally {
      await node.close();
    }
  });

  test('removes copies a dead process left in the staging folder, and nothing else there (a PTP download imports from it)', async () => {
    const { node, importer, library } = await setup();
    try {
      const staging = join(library, STAGING_DIR);
      const download = join(staging, 'ptp-Apple-iPhone-usb-001-004');
      await mkdir(join(download, 'DCIM', '100APPLE'), { recursive: true });
      await writeFile(join(download, 'DCIM', '100APPLE', 'IMG_0100.JPG'), makeJpeg('2022:03:04 05:06:07', { seed: 100 }));
      await writeFile(join(staging, '999999999-1.part'), 'a dead importer’s half copy');
      await writeFile(join(staging, 'notes.txt'), 'not ours');
      const summary = await importer.run({ id: 'ptp-Apple-iPhone-usb-001-004', name: 'Apple iPhone', root: download }, { noSeal: true });
      expect(summary).toMatchObject({ imported: 1, unreadable: 0 });
      expect((await readdir(staging)).sort()).toEqual(['notes.txt', 'ptp-Apple-iPhone-usb-001-004']);
      expect(await readdir(join(library, '2022', '03', '04'))).toEqual(['IMG_0100.JPG']);
    } finally {
      await node.close();
    }
  });

  test('a source without DCIM is refused with a sentence', async () => {
    const { node, importer } = await setup();
    try {
      const empty = await tempDir('inswarm-nodcim');
      await expect(importer.run({ id: 'x', name: 'x', root: empty })).rejects.toThrow(/no DCIM folder/);
    } finally {
      await node.close();
    }
  });
});
