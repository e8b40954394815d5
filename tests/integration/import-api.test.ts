// The Import view's API over a real node (ledger, store, outbox) and a real folder "phone" holding
// DCIM with generated JPEGs (EXIF dates), a duplicate, an empty file and a video (plus, in one test,
// HEIC photos and MOV/MP4 videos dated only inside the file): sources listed
// with counts, the file list paged, thumbnails only for files the source's scan lists, an import
// started, followed through its events to its summary, the library files present and hashed equal,
// nothing imported twice, cancel, the library setting, sealing once a destination appears, and
// the plug/unplug watcher. No mount is needed: the folder is the source, as the CLI allows.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEventMessage, ApiMethod, ApiReply, ImportOutcomeView } from '../../src/shared/api.js';
import { CoreApi } from '../../src/main/api/dispatch.js';
import { encodeCardLink } from '../../src/main/core/delivery/card.js';
import { STAGING_DIR } from '../../src/main/core/intake/importer.js';
import type { UsbProbe } from '../../src/main/core/intake/usb-probe.js';
import { WATCH_INTERVAL_MS } from '../../src/main/core/intake/watcher.js';
import { EXIF_SCAN_BYTES } from '../../src/main/core/limits.js';
import { InswarmNode } from '../../src/main/core/node.js';
import { generateIdentity } from '../../src/main/core/seal/age-keys.js';
import { heic, mov, since1904 } from '../helpers/isobmff.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { eventually } from '../helpers/node-proc.js';
import { tempDir } from '../helpers/tmp.js';

const HAS_GPHOTO2 = (() => {
  try {
    execFileSync('gphoto2', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const opened: { node: InswarmNode; api: CoreApi }[] = [];
afterEach(async () => {
  for (const { node, api } of opened.splice(0)) {
    api.close();
    await node.close();
  }
});

/** The phone: 5 distinct photos, one of them again in another folder, an empty photo, a video. */
const PHOTOS = [
  ['DCIM/100APPLE/IMG_0001.JPG', '2024:05:06 07:08:09', 1],
  ['DCIM/100APPLE/IMG_0002.JPG', '2024:05:06 08:00:00', 2],
  ['DCIM/100APPLE/IMG_0003.JPG', '2024:06:01 12:00:00', 3],
  ['DCIM/Camera/PXL_0001.jpg', '2023:12:31 23:59:59', 4],
  ['DCIM/Camera/PXL_0002.jpg', '2023:01:02 03:04:05', 5],
] as const;

async function setup(options: { destination?: boolean; usb?: UsbProbe } = {}) {
  const volumes = await tempDir('inswarm-import-volumes');
  const phone = join(volumes, 'PHONE');
  for (const [path, date, seed] of PHOTOS) {
    await mkdir(join(phone, path, '..'), { recursive: true });
    await writeFile(join(phone, path), makeJpeg(date, { seed }));
  }
  await mkdir(join(phone, 'DCIM/Camera/copies'), { recursive: true });
  await writeFile(join(phone, 'DCIM/Camera/copies/IMG_0001 copy.JPG'), makeJpeg(PHOTOS[0][1], { seed: PHOTOS[0][2] }));
  await writeFile(join(phone, 'DCIM/Camera/EMPTY.JPG'), Buffer.alloc(0));
  await writeFile(join(phone, 'DCIM/Camera/VID_0001.mp4'), Buffer.from('not really a video, but bytes to copy'));
  const dataDir = await tempDir('inswarm-import-api');
  const node = await InswarmNode.open(dataDir, { sourceRoots: { parents: [volumes], volumes: [], gvfs: null }, ...(options.usb === undefined ? { ptp: false } : { usb: options.usb }) });
  if (options.destination !== false) node.destinations.setRecipient((await generateIdentity()).recipient, 'home');
  const api = new CoreApi(node, {
    name: 'test',
    linked: () => [],
    seen: () => 0,
    discoveryWarning: () => null,
    network: () => null,
    addManualPeer: () => undefined,
    removeManualPeer: () => undefined,
  });
  opened.push({ node, api });
  const events: ApiEventMessage[] = [];
  api.subscribe((m) => events.push(m));
  const call = async <M extends ApiMethod>(method: M, args?: unknown) => (await api.dispatch(method, args)) as ApiReply<M>;
  const ok = async <M extends ApiMethod>(method: M, args?: unknown) => {
    const reply = await call(method, args);
    if (!reply.ok) throw new Error(`${method} failed: ${reply.code} ${reply.message}`);
    return reply.result;
  };
  /** Starts an import and resolves with the `import:done` event that ends it. */
  const importAndWait = async (args: unknown): Promise<ImportOutcomeView> => {
    const done = new Promise<ImportOutcomeView>((resolve) => {
      const off = api.subscribe((m) => {
        if (m.event !== 'import:done') return;
        off();
        resolve(m.payload as ImportOutcomeView);
      });
    });
    await ok('importStart', args);
    return done;
  };
  return { node, api, call, ok, importAndWait, events, phone, volumes, dataDir };
}

async function libraryFiles(library: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === STAGING_DIR) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else out.set(relative(library, full).split('\\').join('/'), createHash('sha256').update(await readFile(full)).digest('hex'));
    }
  };
  await walk(library);
  return out;
}

const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('import API', () => {
  it('lists the plugged-in source with counts and pages its files', async () => {
    const { ok, dataDir } = await setup();
    const state = await ok('importSources');
    expect(state.library).toBe(join(dataDir, 'Photos'));
    expect(state.running).toBeNull();
    expect(state.last).toBeNull();
    expect(state.sources).toEqual([expect.objectContaining({ id: 'vol-PHONE', name: 'PHONE', kind: 'volume', photos: 7, videos: 1, newFiles: 8 })]);
    expect(state.hints.every((h) => typeof h.installed === 'boolean' && (h.installed || h.hint.length > 0))).toBe(true);
    const first = await ok('importScan', { source: 'vol-PHONE', limit: 5 });
    const second = await ok('importScan', { source: 'vol-PHONE', offset: 5, limit: 5 });
    expect(first.total).toBe(8);
    expect(second.offset).toBe(5);
    const paths = [...first.files, ...second.files].map((f) => f.path);
    expect(paths).toHaveLength(8);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toContain('DCIM/100APPLE/IMG_0001.JPG');
    expect(first.files[0]).toMatchObject({ name: 'IMG_0001.JPG', kind: 'photo', imported: false });
  });

  it('gives thumbnails only for files the source lists, never for a path from elsewhere', async () => {
    const { call, ok, phone, volumes, dataDir } = await setup();
    const thumb = await ok('importThumbnail', { source: phone, path: 'DCIM/100APPLE/IMG_0002.JPG' });
    expect(thumb.dataUrl).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    // Rendered by sharp (the photo has no EXIF thumbnail): its 64 × 48 pixels (never enlarged), without its EXIF.
    const rendered = await sharp(Buffer.from(thumb.dataUrl!.split(',')[1]!, 'base64')).metadata();
    expect({ format: rendered.format, width: rendered.width, height: rendered.height, exif: rendered.exif }).toEqual({ format: 'jpeg', width: 64, height: 48, exif: undefined });
    expect((await readdir(join(dataDir, 'thumbs'))).filter((n) => n.endsWith('.jpg'))).toHaveLength(1);
    expect(await ok('importThumbnail', { source: phone, path: 'DCIM/100APPLE/IMG_0002.JPG' })).toEqual(thumb);
    // An empty "photo" decodes to nothing: no thumbnail, and no error.
    expect(await call('importThumbnail', { source: phone, path: 'DCIM/Camera/EMPTY.JPG' })).toEqual({ ok: true, result: { dataUrl: null } });
    // A real JPEG beside the phone, reached by climbing out of it, and an absolute path: refused.
    await writeFile(join(volumes, 'secret.jpg'), makeJpeg('2020:01:01 00:00:00', { seed: 99 }));
    for (const path of ['../secret.jpg', 'DCIM/../../secret.jpg', join(volumes, 'secret.jpg'), '/etc/passwd']) {
      expect(await call('importThumbnail', { source: phone, path }), path).toMatchObject({ ok: false, code: 'E_NOT_FOUND' });
    }
    expect(await call('importThumbnail', { source: 'vol-PHONE', path: 'DCIM/Camera/VID_0001.mp4' })).toEqual({ ok: true, result: { dataUrl: null } });
    expect(await call('importThumbnail', { source: 'vol-NOPE', path: 'DCIM/100APPLE/IMG_0002.JPG' })).toMatchObject({ ok: false, code: 'E_NOT_FOUND' });
    expect(await call('importThumbnail', { source: 'PHONE/..', path: 'x' })).toMatchObject({ ok: false, code: 'E_USAGE' });
  });

  it('imports with progress events into dated library files, then nothing twice', async () => {
    const { ok, call, importAndWait, events, phone, node } = await setup();
    const outcome = await importAndWait({ source: phone });
    expect(outcome.error).toBeNull();
    expect(outcome.cancelled).toBe(false);
    const s = outcome.summary!;
    // 5 photos and the video are new; the copy in another folder is the same content; the empty file is unreadable.
    expect({ imported: s.imported, alreadyImported: s.alreadyImported, unreadable: s.unreadable, stopped: s.stopped }).toEqual({ imported: 6, alreadyImported: 1, unreadable: 1, stopped: null });
    expect(s.sealedBlobs).toBe(6);
    expect(s.sealPending).toBe(0);
    const progress = events.filter((m) => m.event === 'import:progress').map((m) => m.payload as { source: string; progress: { phase: string; filesTotal: number } });
    expect(progress.some((p) => p.progress.phase === 'copying' && p.progress.filesTotal === 8)).toBe(true);
    expect(progress.every((p) => p.source === s.source)).toBe(true);

    const library = (await ok('importSources')).library;
    const files = await libraryFiles(library);
    expect([...files.keys()].sort()).toEqual(
      ['2023/01/02/PXL_0002.jpg', '2023/12/31/PXL_0001.jpg', '2024/05/06/IMG_0001.JPG', '2024/05/06/IMG_0002.JPG', '2024/06/01/IMG_0003.JPG', expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/VID_0001\.mp4$/)].sort(),
    );
    for (const [path] of PHOTOS) {
      const name = path.split('/').pop()!;
      const [libPath] = [...files].find(([p]) => p.endsWith(`/${name}`))!;
      expect(files.get(libPath), name).toBe(await sha(join(phone, path)));
    }
    expect(node.ledger.outboxSummary().reduce((n, r) => n + r.count, 0)).toBe(6);

    const state = await ok('importSources');
    expect(state.last).toMatchObject({ source: s.source, summary: { imported: 6 } });
    expect(state.sources[0]).toMatchObject({ newFiles: 1 }); // only the empty file is still "new"
    expect((await ok('importScan', { source: phone })).files.filter((f) => !f.imported).map((f) => f.path)).toEqual(['DCIM/Camera/EMPTY.JPG']);
    expect(node.ledger.listEvents({ limit: 50 }).some((e) => e.type === 'import:done')).toBe(true);

    // Again, new only and then all: nothing copied, nothing sealed twice.
    const again = await importAndWait({ source: 'vol-PHONE' });
    expect(again.summary).toMatchObject({ imported: 0, skippedKnown: 7, unreadable: 1 });
    const all = await importAndWait({ source: 'vol-PHONE', mode: 'all' });
    expect(all.summary).toMatchObject({ imported: 0, alreadyImported: 7, unreadable: 1 });
    expect((await libraryFiles(library)).size).toBe(6);
    expect(node.ledger.outboxSummary().reduce((n, r) => n + r.count, 0)).toBe(6);
    expect(await call('importStart', { source: 'PHONE' })).toMatchObject({ ok: false, code: 'E_NOT_FOUND' });
    expect(await call('importStart', { source: phone, mode: 'some' })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(await call('importStart', { source: phone, only: [] })).toMatchObject({ ok: false, code: 'E_USAGE' });
  });

  it('files HEIC photos and QuickTime videos by the date inside them, not by their modification time', async () => {
    const { ok, importAndWait, phone, dataDir } = await setup();
    // What a FAT card or a copy leaves as the mtime: a day that has nothing to do with the photo.
    const wrong = new Date('2025-01-01T12:00:00');
    const put = async (path: string, bytes: Buffer): Promise<void> => {
      await writeFile(join(phone, path), bytes);
      await utimes(join(phone, path), wrong, wrong);
    };
    const past = 2 * EXIF_SCAN_BYTES; // the date lies beyond the first bytes the importer reads
    // An iPhone still whose Exif item sits after the image data.
    await put('DCIM/100APPLE/IMG_0200.HEIC', heic({ date: '2022:08:09 10:11:12', offset: '+02:00', imageBytes: past }));
    // An iPhone video filmed on the evening of the 10th (already the 11th in UTC, which mvhd holds), moov at the end.
    await put('DCIM/100APPLE/IMG_0201.MOV', mov({ mvhd: { version: 0, seconds: since1904('2022-08-11T06:30:00Z') }, creationDate: '2022-08-10T23:30:00-0700', mdatBytes: past }));
    // An Android video with only mvhd's UTC creation time.
    await put('DCIM/Camera/VID_0002.mp4', mov({ brand: 'isom', mvhd: { version: 1, seconds: since1904('2021-03-04T05:06:07Z') }, mdatBytes: past }));
    // A Live Photo taken at New Year: its video's own date is the next day, but it is filed with its still.
    await put('DCIM/100APPLE/IMG_0202.HEIC', heic({ date: '2022:12:31 23:59:59', offset: '+01:00', imageBytes: past }));
    await put('DCIM/100APPLE/IMG_0202.MOV', mov({ mvhd: { version: 0, seconds: since1904('2022-12-31T23:00:01Z') }, creationDate: '2023-01-01T00:00:01+0100', mdatBytes: 1024 }));
    const only = ['DCIM/100APPLE/IMG_0200.HEIC', 'DCIM/100APPLE/IMG_0201.MOV', 'DCIM/Camera/VID_0002.mp4', 'DCIM/100APPLE/IMG_0202.HEIC', 'DCIM/100APPLE/IMG_0202.MOV'];

    const outcome = await importAndWait({ source: phone, only });
    expect(outcome.summary).toMatchObject({ imported: 5, unreadable: 0, sealPending: 0 });
    const library = (await ok('importSources')).library;
    const files = await libraryFiles(library);
    expect([...files.keys()].sort()).toEqual(['2021/03/04/VID_0002.mp4', '2022/08/09/IMG_0200.HEIC', '2022/08/10/IMG_0201.MOV', '2022/12/31/IMG_0202.HEIC', '2022/12/31/IMG_0202.MOV']);
    for (const path of only) {
      const name = path.split('/').pop()!;
      expect([...files].find(([p]) => p.endsWith(`/${name}`))![1], name).toBe(await sha(join(phone, path)));
    }
    // Sealing recorded each file's own moment (the Live Photo's video too), not the mtime.
    const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true });
    try {
      const rows = db.prepare(`SELECT name, captured_at AS capturedAt FROM outbox_files ORDER BY name`).all() as { name: string; capturedAt: number | null }[];
      expect(Object.fromEntries(rows.map((r) => [r.name, r.capturedAt]))).toEqual({
        'IMG_0200.HEIC': Date.parse('2022-08-09T10:11:12+02:00'),
        'IMG_0201.MOV': Date.parse('2022-08-10T23:30:00-07:00'),
        'IMG_0202.HEIC': Date.parse('2022-12-31T23:59:59+01:00'),
        'IMG_0202.MOV': Date.parse('2023-01-01T00:00:01+01:00'),
        'VID_0002.mp4': Date.parse('2021-03-04T05:06:07Z'),
      });
    } finally {
      db.close();
    }
  });

  it('imports a selection (a file and no other), one import at a time, and cancels', async () => {
    const { ok, call, importAndWait, phone, api, node } = await setup();
    const picked = await importAndWait({ source: phone, only: ['DCIM/100APPLE/IMG_0003.JPG'] });
    expect(picked.summary).toMatchObject({ imported: 1, considered: 1 });
    const library = (await ok('importSources')).library;
    expect([...(await libraryFiles(library)).keys()]).toEqual(['2024/06/01/IMG_0003.JPG']);

    // A second start while one runs is refused; cancel ends the running one as cancelled.
    const done = new Promise<ImportOutcomeView>((resolve) => {
      const off = api.subscribe((m) => {
        if (m.event === 'import:done') {
          off();
          resolve(m.payload as ImportOutcomeView);
        }
      });
    });
    await ok('importStart', { source: phone, mode: 'all' });
    expect(await call('importStart', { source: phone })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(node.intake.running()).toMatchObject({ source: 'vol-PHONE', name: 'PHONE' });
    await ok('importCancel');
    const cancelled = await done;
    expect(cancelled).toMatchObject({ cancelled: true, summary: null, error: null });
    expect((await ok('importSources')).running).toBeNull();
    // The next import brings in the rest, each once.
    const rest = await importAndWait({ source: phone });
    expect(rest.summary!.imported + rest.summary!.alreadyImported + rest.summary!.skippedKnown).toBe(7);
    expect((await libraryFiles(library)).size).toBe(6);
  });

  it('sets the library (full paths only) and seals waiting imports once a destination is added', async () => {
    const { ok, call, importAndWait, phone, node } = await setup({ destination: false });
    expect(await call('setImportLibrary', { path: 'relative/Photos' })).toMatchObject({ ok: false, code: 'E_USAGE' });
    const chosen = join(await tempDir('inswarm-import-lib'), 'My Photos');
    expect((await ok('setImportLibrary', { path: chosen })).library).toBe(chosen);
    const outcome = await importAndWait({ source: phone });
    expect(outcome.summary).toMatchObject({ imported: 6, sealedBlobs: 0, waitingForDestination: true, library: chosen });
    expect((await libraryFiles(chosen)).size).toBe(6);
    expect((await ok('importSources')).sealPending).toBe(6);
    // Changing the library now would strand the waiting items: refused.
    expect(await call('setImportLibrary', { path: join(chosen, '..', 'Other') })).toMatchObject({ ok: false, code: 'E_USAGE' });
    const key = await generateIdentity();
    const link = encodeCardLink({ label: 'bucket', recipient: key.recipient, endpoint: { kind: 's3', bucket: 'photos', prefix: 'in', region: 'us-east-1', endpoint: null, forcePathStyle: false } });
    await ok('importCard', { link, makeDefault: true });
    await node.intake.sealIfReady();
    expect((await ok('importSources')).sealPending).toBe(0);
    expect(node.ledger.outboxSummary().reduce((n, r) => n + r.count, 0)).toBe(6);
  });

  it('reports phones and cards plugged in and out', async () => {
    const { node, events, volumes } = await setup();
    node.intake.watch();
    await eventually(async () => events.some((m) => m.event === 'source:added' && (m.payload as { name: string }).name === 'PHONE'), 10_000, 'the PHONE already present');
    const card = join(volumes, 'CARD');
    await mkdir(join(card, 'DCIM', '100CANON'), { recursive: true });
    await eventually(async () => events.some((m) => m.event === 'source:added' && (m.payload as { root: string }).root === card), 15_000, 'source:added for CARD');
    await rm(card, { recursive: true });
    await eventually(async () => events.some((m) => m.event === 'source:removed' && (m.payload as { root: string }).root === card), 15_000, 'source:removed for CARD');
  }, 40_000);

  it('imports what is new as soon as a card is plugged in, and not once automatic import is off', async () => {
    const { node, events, volumes, ok, call } = await setup();
    expect((await ok('importSources')).autoImport).toBe(true);
    const doneFor = (name: string) => events.filter((m) => m.event === 'import:done' && (m.payload as ImportOutcomeView).name === name).map((m) => m.payload as ImportOutcomeView);
    // The phone present at start is imported without a call, like one plugged in later.
    node.intake.watch();
    await eventually(async () => doneFor('PHONE').length === 1, 20_000, 'the automatic import of PHONE');
    expect(doneFor('PHONE')[0]!.summary).toMatchObject({ imported: 6, alreadyImported: 1, unreadable: 1 });

    const card = join(volumes, 'CARD');
    await mkdir(join(card, 'DCIM', '100CANON'), { recursive: true });
    await writeFile(join(card, 'DCIM', '100CANON', 'IMG_9001.JPG'), makeJpeg('2024:07:01 10:00:00', { seed: 90 }));
    await writeFile(join(card, 'DCIM', '100CANON', 'IMG_9002.JPG'), makeJpeg(PHOTOS[1][1], { seed: PHOTOS[1][2] })); // already imported from the phone
    await eventually(async () => doneFor('CARD').length === 1, 20_000, 'the automatic import of CARD');
    expect(doneFor('CARD')[0]!.summary).toMatchObject({ imported: 1, alreadyImported: 1, unreadable: 0 });
    expect(await sha(join(node.intake.library(), '2024/07/01/IMG_9001.JPG'))).toBe(await sha(join(card, 'DCIM/100CANON/IMG_9001.JPG')));

    expect(await call('setAutoImport', { on: 'no' })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect((await ok('setAutoImport', { on: false })).autoImport).toBe(false);
    expect((await ok('importSources')).autoImport).toBe(false);
    const other = join(volumes, 'OTHER');
    await mkdir(join(other, 'DCIM', '100CANON'), { recursive: true });
    await writeFile(join(other, 'DCIM', '100CANON', 'IMG_9100.JPG'), makeJpeg('2024:08:01 10:00:00', { seed: 91 }));
    await eventually(async () => events.some((m) => m.event === 'source:added' && (m.payload as { name: string }).name === 'OTHER'), 15_000, 'source:added for OTHER');
    // The watcher would have started it in the same tick that reported it.
    expect(node.intake.running()).toBeNull();
    expect(doneFor('OTHER')).toHaveLength(0);
    expect(events.some((m) => m.event === 'import:progress' && (m.payload as { name: string }).name === 'OTHER')).toBe(false);
  }, 60_000);

  // gphoto2's Directory Browse driver on a folder is the camera; only the USB bus that reports it
  // attached (with a serial number, as Linux's sysfs gives it) is a stand-in: a physical camera
  // cannot exist here. .ci/run installs gphoto2.
  it.skipIf(!HAS_GPHOTO2)('imports a PTP camera as soon as it is attached, through gphoto2, and at the next plug downloads only what is new', async () => {
    const cam = await tempDir('inswarm-ptp-camera');
    await mkdir(join(cam, 'DCIM', '100TEST'), { recursive: true });
    await writeFile(join(cam, 'DCIM', '100TEST', 'IMG_7001.JPG'), makeJpeg('2024:09:01 10:00:00', { seed: 70 }));
    const bus = { attached: false, asked: 0 };
    const usb: UsbProbe = {
      signature: async () => (bus.attached ? '1-0:1.0 1-1 usb1' : '1-0:1.0 usb1'),
      cameras: async () => {
        bus.asked++;
        return bus.attached ? [{ model: 'Directory Browse', port: `disk:${cam}`, serial: '00008030-001A2B3C' }] : [];
      },
    };
    const { node, events, ok } = await setup({ usb });
    const doneFor = (name: string) => events.filter((m) => m.event === 'import:done' && (m.payload as ImportOutcomeView).name === name).map((m) => m.payload as ImportOutcomeView);
    const sourceEvents = (event: string) => events.filter((m) => m.event === event && (m.payload as { kind: string }).kind === 'ptp').map((m) => m.payload as { root: string; name: string });
    node.intake.watch();
    await eventually(async () => doneFor('PHONE').length === 1, 20_000, 'the automatic import of PHONE');

    bus.attached = true;
    await eventually(async () => sourceEvents('source:added').length === 1, 15_000, 'source:added for the camera');
    // Its ID comes from its serial number, so it is the same at every plug.
    expect(sourceEvents('source:added')[0]).toEqual({ root: 'ptp-Directory-Browse-00008030-001A2B3C', kind: 'ptp', name: 'Directory Browse' });
    await eventually(async () => doneFor('Directory Browse').length === 1, 30_000, 'the automatic import of the camera');
    expect(doneFor('Directory Browse')[0], JSON.stringify(doneFor('Directory Browse')[0])).toMatchObject({ summary: { imported: 1, unreadable: 0 } });
    // The download has a phase of its own in the progress, with what it is about to fetch.
    const downloading = events.filter((m) => m.event === 'import:progress' && (m.payload as { progress: { phase: string } }).progress.phase === 'downloading');
    expect(downloading[0]?.payload).toMatchObject({ name: 'Directory Browse', progress: { phase: 'downloading', filesTotal: 1, bytesTotal: expect.any(Number) } });
    expect(await sha(join(node.intake.library(), '2024/09/01/IMG_7001.JPG'))).toBe(await sha(join(cam, 'DCIM/100TEST/IMG_7001.JPG')));
    expect(await readdir(join(node.intake.library(), STAGING_DIR))).toEqual([]);
    // Its counts come from that import's listing; before it, the view said they come with an import.
    const camera = (await ok('importSources')).sources.find((x) => x.kind === 'ptp');
    expect(camera).toMatchObject({ id: 'ptp-Directory-Browse-00008030-001A2B3C', photos: 1, videos: 0, newFiles: 0, newBytes: 0, counted: true });

    bus.attached = false;
    await eventually(async () => sourceEvents('source:removed').length === 1, 15_000, 'source:removed for the camera');
    // A photo taken meanwhile; plugged in again, only it crosses USB: the import sees no file it knew.
    await writeFile(join(cam, 'DCIM', '100TEST', 'IMG_7002.JPG'), makeJpeg('2024:09:02 11:00:00', { seed: 71 }));
    bus.attached = true;
    await eventually(async () => doneFor('Directory Browse').length === 2, 30_000, 'the second automatic import of the camera');
    expect(doneFor('Directory Browse')[1]!.summary).toMatchObject({ imported: 1, alreadyImported: 0, skippedKnown: 0, unreadable: 0 });
    expect(await sha(join(node.intake.library(), '2024/09/02/IMG_7002.JPG'))).toBe(await sha(join(cam, 'DCIM/100TEST/IMG_7002.JPG')));

    // Plugged in again with nothing new: nothing crosses, and the import ends with nothing to do.
    bus.attached = false;
    await eventually(async () => sourceEvents('source:removed').length === 2, 15_000, 'the second source:removed');
    bus.attached = true;
    await eventually(async () => doneFor('Directory Browse').length === 3, 30_000, 'the third automatic import of the camera');
    expect(doneFor('Directory Browse')[2]).toMatchObject({ error: null, cancelled: false, summary: { imported: 0, alreadyImported: 0, skippedKnown: 0, unreadable: 0 } });
    expect(await readdir(join(node.intake.library(), STAGING_DIR))).toEqual([]);

    // With the bus unchanged, gphoto2 is not asked for cameras again, however often the watcher looks.
    const asked = bus.asked;
    await new Promise((resolve) => setTimeout(resolve, 2 * WATCH_INTERVAL_MS + 500));
    expect(bus.asked).toBe(asked);
  }, 120_000);
});
