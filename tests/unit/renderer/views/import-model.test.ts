// The Import view's pure logic: the words it shows (sources, tool hints, progress, the summary),
// the selection and whether it fits in one call, and the thumbnail queue (never more than its
// limit at once, newest first, tiles that left the screen never loaded).
import { describe, expect, it } from 'vitest';
import { API_MAX_ARGS_BYTES, API_MAX_IMPORT_SELECTION, type ImportOutcomeView, type ImportSummaryView } from '../../../../src/shared/api.js';
import {
  ThumbQueue,
  formatEta,
  outcomeLine,
  progressLines,
  selectionProblem,
  sourceCounts,
  toggled,
  toolHintLine,
} from '../../../../src/renderer/views/import-model.js';

const summary = (over: Partial<ImportSummaryView> = {}): ImportSummaryView => ({
  source: 'vol-PHONE',
  library: '/home/a/Photos',
  found: 353,
  considered: 353,
  imported: 312,
  importedBytes: 1_500_000_000,
  alreadyImported: 30,
  skippedKnown: 10,
  unreadable: 1,
  problems: [{ path: 'DCIM/100APPLE/IMG_0009.JPG', reason: 'it could not be read (EIO)' }],
  sealedBlobs: 300,
  sealPending: 0,
  waitingForDestination: false,
  stopped: null,
  seconds: 60,
  ...over,
});
const outcome = (over: Partial<ImportOutcomeView> = {}): ImportOutcomeView => ({ source: 'vol-PHONE', name: 'PHONE', at: 0, summary: summary(), cancelled: false, error: null, ...over });

describe('import words', () => {
  it('sums up an import as the issue words it, with what went wrong listed', () => {
    const line = outcomeLine(outcome());
    expect(line.text).toBe('312 new, 40 already imported, 1 unreadable');
    expect(line.tone).toBe('warn');
    expect(line.notes).toContain('Could not read DCIM/100APPLE/IMG_0009.JPG: it could not be read (EIO).');
    expect(outcomeLine(outcome({ summary: summary({ unreadable: 0, problems: [] }) })).tone).toBe('good');
    expect(outcomeLine(outcome({ summary: summary({ waitingForDestination: true }) })).notes.some((n) => n.includes('No destination is set yet'))).toBe(true);
    expect(outcomeLine(outcome({ summary: summary({ stopped: 'PHONE was disconnected during the import' }) })).notes).toContain('PHONE was disconnected during the import.');
    expect(outcomeLine(outcome({ summary: null, cancelled: true })).text).toMatch(/^Import from PHONE cancelled\./);
    expect(outcomeLine(outcome({ summary: null, error: { code: 'E_DISK_FULL', message: 'The disk filled up.' } }))).toMatchObject({ tone: 'bad', text: 'The disk filled up.' });
  });

  it('shows progress as files, bytes, pace and time left, with the bar on bytes', () => {
    const lines = progressLines({ phase: 'copying', filesDone: 12, filesTotal: 300, bytesDone: 5_000_000, bytesTotal: 40_000_000, filesPerSec: 3.5, bytesPerSec: 1_000_000, etaSeconds: 35 });
    expect(lines.title).toBe('Copying');
    expect(lines.detail).toBe('12 of 300 files · 5.0 MB of 40 MB · 3.5 files/s, 1.0 MB/s · about 35 s left');
    expect([lines.value, lines.max]).toEqual([5_000_000, 40_000_000]);
    const sealing = progressLines({ phase: 'sealing', filesDone: 2, filesTotal: 6, bytesDone: 0, bytesTotal: 0, filesPerSec: 0, bytesPerSec: 0, etaSeconds: null });
    expect([sealing.title, sealing.detail, sealing.value, sealing.max]).toEqual(['Sealing for the backup', '2 of 6 files', 2, 6]);
    const downloading = progressLines({ phase: 'downloading', filesDone: 40, filesTotal: 120, bytesDone: 100_000_000, bytesTotal: 300_000_000, filesPerSec: 2, bytesPerSec: 5_000_000, etaSeconds: 40 });
    expect([downloading.title, downloading.value, downloading.max]).toEqual(['Downloading from the camera', 100_000_000, 300_000_000]);
    expect([formatEta(89), formatEta(600), formatEta(7200)]).toEqual(['89 s', '10 min', '2.0 h']);
  });

  it('counts a source, and names the tool to install in plain words', () => {
    const base = { id: 'vol-X', name: 'X', root: '/media/a/X', bytes: 0 } as const;
    expect(sourceCounts({ ...base, kind: 'volume', photos: 1, videos: 2, newFiles: 0, newBytes: 0 })).toBe('1 photo, 2 videos · nothing new');
    expect(sourceCounts({ ...base, kind: 'mtp', photos: 1200, videos: 0, newFiles: 12, newBytes: 48_000_000 })).toBe('1,200 photos, 0 videos · 12 new (48 MB)');
    expect(sourceCounts({ ...base, kind: 'ptp', root: null, photos: 0, videos: 0, newFiles: 0, newBytes: 0 })).toMatch(/counted while importing/);
    expect(sourceCounts({ ...base, kind: 'ptp', root: null, photos: 0, videos: 0, newFiles: 0, newBytes: 0, counted: false })).toMatch(/counted while importing/);
    expect(sourceCounts({ ...base, kind: 'ptp', root: null, photos: 310, videos: 4, newFiles: 0, newBytes: 0, counted: true })).toBe('310 photos, 4 videos · nothing new');
    expect(toolHintLine({ tool: 'gphoto2', installed: false, hint: '…' })).toBe('Install gphoto2 to import from iPhones and cameras that connect as PTP cameras.');
    expect(toolHintLine({ tool: 'gphoto2', installed: true, hint: '' })).toBeNull();
  });
});

describe('selection', () => {
  it('toggles paths without touching the old set', () => {
    const a = new Set(['x']);
    const b = toggled(a, 'y');
    expect([...b].sort()).toEqual(['x', 'y']);
    expect([...toggled(b, 'x')]).toEqual(['y']);
    expect([...a]).toEqual(['x']);
  });

  it('fits a selection into one call or says what to do', () => {
    expect(selectionProblem('vol-X', [])).toMatch(/Choose photos first/);
    expect(selectionProblem('vol-X', ['DCIM/100APPLE/IMG_0001.JPG'])).toBeNull();
    const many = Array.from({ length: API_MAX_IMPORT_SELECTION + 1 }, (_, i) => `D/${i}.JPG`);
    expect(selectionProblem('vol-X', many)).toMatch(/At most 2,000 photos/);
    // A whole selection of ordinary phone paths fits in one call…
    const phone = Array.from({ length: API_MAX_IMPORT_SELECTION }, (_, i) => `Internal shared storage/DCIM/Camera/PXL_20240506_${String(i).padStart(9, '0')}.jpg`);
    expect(selectionProblem('vol-X', phone)).toBeNull();
    // …while absurdly long paths do not.
    const long = Array.from({ length: 1_500 }, (_, i) => `DCIM/${'x'.repeat(200)}/IMG_${String(i).padStart(4, '0')}.JPG`);
    expect(JSON.stringify({ source: 'vol-X', only: long }).length).toBeGreaterThan(API_MAX_ARGS_BYTES);
    expect(selectionProblem('vol-X', long)).toMatch(/do not fit in one request \(about \d+ do\)/);
    expect(selectionProblem('vol-X', long.slice(0, 400))).toBeNull();
  });
});

describe('ThumbQueue', () => {
  /** A loader whose calls finish only when the test says so. */
  function gate() {
    const calls: { key: string; finish: (url: string | null) => void }[] = [];
    const load = (key: string) => new Promise<string | null>((finish) => calls.push({ key, finish }));
    return { calls, load };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('loads at most its limit at once, the newest request first', async () => {
    const { calls, load } = gate();
    const q = new ThumbQueue(load, 2);
    const got: string[] = [];
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.request(k, (url) => got.push(`${k}=${url}`));
    expect(calls.map((c) => c.key)).toEqual(['a', 'b']);
    expect([q.running, q.pending]).toEqual([2, 3]);
    calls[0]!.finish('A');
    await tick();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b', 'e']);
    expect(q.running).toBe(2);
    calls[1]!.finish(null);
    calls[2]!.finish('E');
    await tick();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b', 'e', 'd', 'c']);
    expect(got).toEqual(['a=A', 'b=null', 'e=E']);
  });

  it('never loads a request cancelled before its turn, and survives a failing load', async () => {
    const { calls, load } = gate();
    const q = new ThumbQueue(load, 1);
    const got: string[] = [];
    q.request('a', () => got.push('a'));
    const cancelB = q.request('b', () => got.push('b'));
    q.request('c', () => got.push('c'));
    cancelB();
    calls[0]!.finish('A');
    await tick();
    calls[1]!.finish('C');
    await tick();
    expect(calls.map((c) => c.key)).toEqual(['a', 'c']);
    expect(got).toEqual(['a', 'c']);

    const failing = new ThumbQueue(async () => {
      throw new Error('gone');
    }, 1);
    const urls: (string | null)[] = [];
    failing.request('x', (u) => urls.push(u));
    failing.request('y', (u) => urls.push(u));
    await tick();
    await tick();
    expect(urls).toEqual([null, null]);
    expect(failing.running).toBe(0);
  });
});
