// The Import view's pure logic: plain words for sources, tool hints, progress and the summary;
// the selection and whether it fits in one call; and a small queue that loads thumbnails a few
// at a time, only for tiles on screen. No React, no bridge: unit-tested on its own.

import {
  API_MAX_ARGS_BYTES,
  API_MAX_IMPORT_SELECTION,
  type ImportOutcomeView,
  type ImportProgressView,
  type ImportSourceView,
  type ToolHintView,
} from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';

/** Files per page of the selection grid (the API's page limit is higher; a page this size scrolls well). */
export const IMPORT_GRID_PAGE = 200;
/** Thumbnails loaded at once: enough to fill a screen quickly, few enough not to starve an import reading the same phone. */
export const THUMB_CONCURRENCY = 4;
/** Thumbnails kept in memory for the view's lifetime. */
export const IMPORT_THUMB_CACHE_MAX = 600;

const n = (count: number, one: string, many: string = `${one}s`): string => `${count.toLocaleString('en')} ${count === 1 ? one : many}`;

/** "120 photos, 4 videos · 12 new (48 MB)"; a PTP camera is counted only once an import has listed it. */
export function sourceCounts(s: ImportSourceView): string {
  if (s.kind === 'ptp' && s.counted !== true) return 'Camera over USB (PTP): its photos are counted while importing';
  const fresh = s.newFiles === 0 ? 'nothing new' : `${s.newFiles.toLocaleString('en')} new (${formatBytes(s.newBytes)})`;
  return `${n(s.photos, 'photo')}, ${n(s.videos, 'video')} · ${fresh}`;
}

/** What kind of device a source is, in plain words. */
export function sourceKindLabel(kind: ImportSourceView['kind']): string {
  switch (kind) {
    case 'mtp':
      return 'Android phone';
    case 'ptp':
      return 'Camera or phone';
    case 'folder':
      return 'Folder';
    default:
      return 'Card or phone';
  }
}

/** A missing tool as one short sentence ("Install gphoto2 to import from iPhones and PTP cameras."). */
export function toolHintLine(h: ToolHintView): string | null {
  if (h.installed) return null;
  switch (h.tool) {
    case 'gphoto2':
      return 'Install gphoto2 to import from iPhones and cameras that connect as PTP cameras.';
    case 'ifuse':
      return 'Install ifuse to open an iPhone as a folder.';
    default:
      return `Install ${h.tool} to import from more kinds of devices.`;
  }
}

/** "45 s", "3 min", "1.5 h". */
export function formatEta(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const PHASE_WORDS: Record<ImportProgressView['phase'], string> = {
  scanning: 'Looking for photos',
  downloading: 'Downloading from the camera',
  copying: 'Copying',
  sealing: 'Sealing for the backup',
  done: 'Finishing',
};

/** The progress panel's lines: what is happening, how far, and how fast. */
export function progressLines(p: ImportProgressView): { title: string; detail: string; value: number; max: number; valueText: string } {
  const files = p.filesTotal > 0 ? `${p.filesDone.toLocaleString('en')} of ${n(p.filesTotal, 'file')}` : '';
  const bytes = p.bytesTotal > 0 ? `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : '';
  const pace = p.filesPerSec > 0 || p.bytesPerSec > 0 ? `${p.filesPerSec.toLocaleString('en')} files/s${p.bytesPerSec > 0 ? `, ${formatBytes(p.bytesPerSec)}/s` : ''}` : '';
  const eta = p.etaSeconds === null || p.phase === 'scanning' ? '' : `about ${formatEta(p.etaSeconds)} left`;
  const useBytes = p.bytesTotal > 0;
  return {
    title: PHASE_WORDS[p.phase],
    detail: [files, bytes, pace, eta].filter((x) => x !== '').join(' · '),
    value: useBytes ? p.bytesDone : p.filesDone,
    max: useBytes ? p.bytesTotal : p.filesTotal,
    valueText: useBytes ? bytes : files || 'starting',
  };
}

/** How an import ended, in one line ("312 new, 40 already imported, 1 unreadable") and its tone. */
export function outcomeLine(o: ImportOutcomeView): { tone: 'good' | 'warn' | 'bad'; text: string; notes: string[] } {
  if (o.cancelled) return { tone: 'warn', text: `Import from ${o.name} cancelled. What was copied stays in the library and is not copied again.`, notes: [] };
  if (o.error !== null || o.summary === null) return { tone: 'bad', text: o.error?.message ?? `Import from ${o.name} failed.`, notes: [] };
  const s = o.summary;
  const text = `${s.imported.toLocaleString('en')} new, ${(s.alreadyImported + s.skippedKnown).toLocaleString('en')} already imported, ${s.unreadable.toLocaleString('en')} unreadable`;
  const notes: string[] = [];
  if (s.imported > 0) notes.push(`${formatBytes(s.importedBytes)} copied into ${s.library}.`);
  if (s.stopped !== null) notes.push(`${capitalize(s.stopped)}.`);
  if (s.waitingForDestination) notes.push('No destination is set yet: the photos are in the library and go into the backup once you add one in Settings.');
  else if (s.sealPending > 0) notes.push(`${n(s.sealPending, 'item')} still waiting to be sealed.`);
  for (const p of s.problems.slice(0, 5)) notes.push(`Could not read ${p.path}: ${p.reason}.`);
  if (s.problems.length > 5) notes.push(`…and ${n(s.unreadable - 5, 'more file')} that could not be read.`);
  const tone = s.stopped !== null || s.unreadable > 0 ? 'warn' : 'good';
  return { tone, text, notes };
}

function capitalize(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}

/** The selection with `path` flipped. */
export function toggled(selection: ReadonlySet<string>, path: string): Set<string> {
  const next = new Set(selection);
  if (next.has(path)) next.delete(path);
  else next.add(path);
  return next;
}

/**
 * Whether one importStart can carry this selection: the API caps the files per call and the
 * bytes of one call's arguments. Null when it fits, else a sentence saying what to do.
 */
export function selectionProblem(source: string, paths: readonly string[]): string | null {
  if (paths.length === 0) return 'Choose photos first: click the ones to import.';
  if (paths.length > API_MAX_IMPORT_SELECTION) return `At most ${API_MAX_IMPORT_SELECTION.toLocaleString('en')} photos can be picked at once: import these in parts, or use "Import new".`;
  const bytes = new TextEncoder().encode(JSON.stringify({ source, only: paths })).length;
  if (bytes > API_MAX_ARGS_BYTES) return `That many photos do not fit in one request (about ${Math.floor((paths.length * API_MAX_ARGS_BYTES) / bytes)} do): import them in parts, or use "Import new".`;
  return null;
}

/**
 * Loads thumbnails at most `concurrency` at a time, newest requests first (the tiles the user
 * just scrolled to), and forgets requests whose tile left the screen before their turn.
 */
export class ThumbQueue {
  private readonly waiting = new Map<string, (url: string | null) => void>();
  private active = 0;

  constructor(
    private readonly load: (key: string) => Promise<string | null>,
    private readonly concurrency: number = THUMB_CONCURRENCY,
  ) {}

  /** Asks for `key`'s thumbnail; `done` is called once, unless cancelled first. Returns the cancel. */
  request(key: string, done: (url: string | null) => void): () => void {
    this.waiting.delete(key); // re-asking moves it to the front
    this.waiting.set(key, done);
    this.pump();
    return () => {
      if (this.waiting.get(key) === done) this.waiting.delete(key);
    };
  }

  get pending(): number {
    return this.waiting.size;
  }

  get running(): number {
    return this.active;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.size > 0) {
      const key = [...this.waiting.keys()].pop()!;
      const done = this.waiting.get(key)!;
      this.waiting.delete(key);
      this.active++;
      this.load(key)
        .catch(() => null)
        .then((url) => {
          this.active--;
          done(url);
          this.pump();
        });
    }
  }
}
