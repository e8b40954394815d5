// The running node's import side, as the app uses it: the photo library setting, the sources and
// their files, one import at a time (cancellable) with its progress and outcome as events, the
// plug/unplug watcher that starts an import of what is new when a phone or card appears (unless
// the user turned that off), and sealing what waits in the library once there is a destination.
// The engine itself is Importer; this only composes it with the node's ledger and events.

import { mkdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { isErrorCode } from '../../../shared/error-codes.js';
import type { CoreEvents, EventBus } from '../events.js';
import { fromFsError, InswarmError, isInswarmError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { watchFolderGrowth } from './folder-growth.js';
import { cameraStagingDir, stageCamera } from './camera-staging.js';
import { freshFiles, listedBytes, type DownloadResult, type PtpCamera, type PtpFile } from './gphoto2.js';
import { Importer, type ImporterParts, type ImportSourceRef, type ImportSummary } from './importer.js';
import { IntakeStore, knownKey } from './intake-store.js';
import type { SourceFile } from './media.js';
import { ProgressMeter, type ImportProgress } from './progress.js';
import { LIBRARY_SETTING, libraryPath, looksLikePath, resolveSource, type ResolvedSource } from './resolve.js';
import { findDcim, scanMedia } from './scan.js';
import { listSources, toolHints, type FindCameras, type SourceRoots, type SourceView, type ToolHint } from './sources.js';
import { CameraFinder, systemUsbProbe, type UsbProbe } from './usb-probe.js';
import { SourceWatcher } from './watcher.js';

/** Progress events at most this often: a live bar, without flooding IPC on a 100 000-file import. */
export const IMPORT_EVENT_INTERVAL_MS = 250;
/** A source's file list is reused this long for paging and thumbnails (a phone's DCIM rarely changes mid-look). */
export const SCAN_CACHE_MS = 15_000;
/** File lists kept at once (each can be 100 000 entries): the few sources a person looks at. */
const SCAN_CACHE_SOURCES = 4;
/** Ledger setting: import what is new as soon as a source is plugged in (default on). */
export const AUTO_IMPORT_SETTING = 'import.auto';

export type ImportOutcome = CoreEvents['import:done'];

export interface IntakeParts {
  readonly ledger: Ledger;
  readonly events: EventBus;
  readonly dataDir: string;
  /** Seals groups into the outbox (node.addFiles). */
  readonly seal: ImporterParts['seal'];
  /** True when a default destination is set, so there is somebody to seal to. */
  readonly hasDestination: () => boolean;
  /** Where phones, cameras and cards are looked for. */
  readonly roots: SourceRoots;
  /** Look for PTP cameras through gphoto2 (default true). */
  readonly ptp?: boolean;
  /** The USB bus PTP cameras are found on (default: this machine's, through gphoto2). */
  readonly usb?: UsbProbe;

  readonly now?: () => number;
}

export interface IntakeState {
  readonly sources: (Omit<SourceView, 'camera'> & { kind: SourceView['kind'] | 'folder' })[];
  readonly hints: ToolHint[];
  readonly library: string;
  readonly running: { source: string; name: string; progress: ImportProgress } | null;
  readonly last: ImportOutcome | null;
  readonly sealPending: number;
  /** Plugging in a phone or card starts an import of what is new. */
  readonly autoImport: boolean;
}

interface Running {
  source: string;
  name: string;
  progress: ImportProgress;
  readonly controller: AbortController;
  task: Promise<void>;
}

const IDLE: ImportProgress = { phase: 'scanning', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, filesPerSec: 0, bytesPerSec: 0, etaSeconds: null };

export class Intake {
  private readonly store: IntakeStore;
  private readonly now: () => number;
  private running_: Running | null = null;
  private last_: ImportOutcome | null = null;
  private sealing: Promise<void> | null = null;
  private watcher: SourceWatcher | null = null;
  private readonly scans = new Map<string, { at: number; files: SourceFile[] }>();
  private closed = false;
  private lastEmit = -Infinity;
  /** Roots plugged in while another import ran, imported one after the other (first come first). */
  private readonly autoQueue: string[] = [];
  /** PTP cameras for the watcher, the source list and imports alike; null when not looked for. */
  private readonly cameras: FindCameras;
  /** True while files are downloaded from a PTP camera: gphoto2 is not asked to list cameras then. */
  private downloading = false;
  /**
   * A PTP camera's counts from the listing its last import made, by source ID, until it is
   * unplugged: listing a phone takes seconds to minutes over USB and may not run beside an import.
   */
  private readonly cameraCounts = new Map<string, Pick<SourceView, 'photos' | 'videos' | 'bytes' | 'newFiles' | 'newBytes' | 'counted'>>();

  constructor(private readonly parts: IntakeParts) {
    this.now = parts.now ?? Date.now;
    this.store = new IntakeStore(parts.ledger, this.now);
    if (parts.ptp === false) {
      this.cameras = null;
    } else {
      const finder = new CameraFinder(parts.usb ?? systemUsbProbe(), { busy: () => this.downloading });
      this.cameras = () => finder.cameras();
    }
  }

  /** The photo library imports are copied into. */
  library(): string {
    return libraryPath(this.parts.ledger, this.parts.dataDir);
  }

  /** Chooses the photo library (an absolute folder, created when missing) for later imports. */
  async setLibrary(path: string): Promise<string> {
    if (!isAbsolute(path) || path.includes('\0')) throw new InswarmError('E_USAGE', 'The photo library must be a full folder path (starting at / or a drive letter).');
    const library = resolve(path);
    if (this.running_ !== null) throw new InswarmError('E_USAGE', 'An import is running: change the photo library after it has finished.');
    // Waiting items are recorded relative to the library they were copied into.
    if (library !== this.library() && this.store.pendingCount() > 0) {
      throw new InswarmError('E_USAGE', 'Some imported photos still wait to be sealed from the current library: set a destination first, then change the library.');
    }
    try {
      await mkdir(library, { recursive: true });
      if (!(await stat(library)).isDirectory()) throw new InswarmError('E_NOT_A_FILE', `${library} is a file, not a folder: choose a folder for the photo library.`);
    } catch (err) {
      throw fromFsError(err, `preparing the photo library ${library}`);
    }
    this.parts.ledger.setSetting(LIBRARY_SETTING, library);
    return library;
  }

  /** Sources with counts, tool hints, the library, and the running and last import. */
  async state(): Promise<IntakeState> {
    const listed = await listSources({ roots: this.parts.roots, ledger: this.parts.ledger, cameras: this.cameras });
    return {
      sources: listed.map(({ camera: _camera, ...s }) => (s.kind === 'ptp' ? { ...s, ...this.cameraCounts.get(s.id) } : s)),
      hints: await toolHints(),
      library: this.library(),
      running: this.running(),
      last: this.last_,
      sealPending: this.store.pendingCount(),
      autoImport: this.autoImport(),
    };
  }

  /** Whether plugging in a source starts an import of what is new on it. */
  autoImport(): boolean {
    return this.parts.ledger.getSetting(AUTO_IMPORT_SETTING) !== false;
  }

  /** Turns automatic import on or off; turning it off also forgets sources waiting their turn. */
  setAutoImport(on: boolean): void {
    this.parts.ledger.setSetting(AUTO_IMPORT_SETTING, on);
    if (!on) this.autoQueue.length = 0;
  }

  running(): IntakeState['running'] {
    const r = this.running_;
    return r === null ? null : { source: r.source, name: r.name, progress: r.progress };
  }

  last(): ImportOutcome | null {
    return this.last_;
  }

  /** A page of a source's photos and videos (sorted by path), each marked when imported before. */
  async scan(source: string, offset: number, limit: number): Promise<{ total: number; offset: number; files: { path: string; name: string; kind: 'photo' | 'video'; size: number; mtimeMs: number; imported: boolean }[] }> {
    const resolved = await this.resolve(source);
    const files = await this.filesOf(resolved, false);
    const known = this.store.knownFiles(resolved.ref.id);
    return {
      total: files.length,
      offset,
      files: files.slice(offset, offset + limit).map((f) => ({ path: f.path, name: posix.basename(f.path), kind: f.kind, size: f.size, mtimeMs: f.mtimeMs, imported: known.has(knownKey(f.path, f.size)) })),
    };
  }

  /**
   * The full path of `path` on `source`, only when the source's own scan lists it: the UI names
   * files by what importScan gave it, so it can never make us read anything else.
   */
  async sourceFile(source: string, path: string): Promise<{ file: string; size: number } | null> {
    const resolved = await this.resolve(source);
    for (const fresh of [false, true]) {
      const hit = (await this.filesOf(resolved, fresh)).find((f) => f.path === path);
      if (hit !== undefined) return { file: join(resolved.ref.root, ...hit.path.split('/')), size: hit.size };
    }
    return null;
  }

  /** Starts importing from `source` in the background; refuses while another import runs. */
  async start(source: string, options: { mode?: 'new' | 'all'; only?: readonly string[] } = {}): Promise<void> {
    if (this.closed) throw new InswarmError('E_ABORTED', 'Inswarm is shutting down: start the import again after it restarts.');
    if (this.running_ !== null) throw new InswarmError('E_USAGE', `An import from ${this.running_.name} is running: wait for it to finish, or cancel it first.`);
    const run: Running = { source, name: source, progress: IDLE, controller: new AbortController(), task: Promise.resolve() };
    this.running_ = run; // claimed before the first await: two quick clicks start one import
    let resolved: ResolvedSource;
    try {
      resolved = await this.resolve(source);
    } catch (err) {
      this.running_ = null;
      throw err;
    }
    run.source = resolved.ref.id;
    run.name = resolved.ref.name;
    this.emitProgress(run, IDLE, true);
    run.task = this.execute(run, resolved, options);
  }

  /** Stops the running import at the next file; what was copied stays and is not copied again. */
  cancel(): void {
    this.running_?.controller.abort();
  }

  /** Watches for phones, cameras and cards being plugged in and out (source:added/removed). */
  watch(): void {
    if (this.watcher !== null || this.closed) return;
    const forget = (root: string) => this.scans.delete(root);
    this.watcher = new SourceWatcher({
      roots: this.parts.roots,
      cameras: this.cameras,
      onAdded: (s) => {
        forget(s.root);
        this.parts.events.emit('source:added', { root: s.root, kind: s.kind, name: s.name });
        // Sources present when the app starts count as plugged in: their new photos come in too.
        if (this.autoImport() && !this.autoQueue.includes(s.root)) {
          this.autoQueue.push(s.root);
          this.startQueued();
        }
      },
      onRemoved: (s) => {
        forget(s.root);
        this.cameraCounts.delete(s.root);
        const queued = this.autoQueue.indexOf(s.root);
        if (queued !== -1) this.autoQueue.splice(queued, 1);
        this.parts.events.emit('source:removed', { root: s.root, kind: s.kind, name: s.name });
      },
    });
    this.watcher.start();
  }

  /**
   * Starts the next automatic import when nothing runs. A failure to start (the card went away,
   * its DCIM is unreadable) is logged and the next source gets its turn; the import's own outcome
   * arrives as import:done like any other.
   */
  private startQueued(): void {
    while (!this.closed && this.running_ === null && this.autoQueue.length > 0) {
      const root = this.autoQueue.shift()!;
      this.start(root, { mode: 'new' }).catch((err: unknown) => {
        if (this.closed) return;
        this.parts.ledger.appendEvent('import:auto-failed', { root, error: (err as Error).message });
        this.startQueued();
      });
    }
  }

  /**
   * Seals what waits in the library when there is now a destination and nothing else is running
   * (at start, after a destination is added, periodically); resolves when that sealing is done.
   */
  sealIfReady(): Promise<void> {
    if (this.closed || this.running_ !== null) return Promise.resolve();
    if (this.sealing !== null) return this.sealing;
    if (!this.parts.hasDestination() || this.store.pendingCount() === 0) return Promise.resolve();
    const importer = this.importer();
    this.sealing = importer
      .sealPending()
      .then(({ sealed }) => {
        this.parts.ledger.appendEvent('import:sealed', { sealed });
      })
      .catch((err: unknown) => {
        if (!this.closed) this.parts.ledger.appendEvent('import:seal-failed', { error: (err as Error).message });
      })
      .finally(() => {
        this.sealing = null;
      });
    return this.sealing;
  }

  /** Stops watching and the running import, and waits for both; safe to call twice. */
  async stop(): Promise<void> {
    this.closed = true;
    await this.watcher?.stop();
    this.running_?.controller.abort();
    await this.running_?.task;
    await this.sealing;
  }

  private async execute(run: Running, resolved: ResolvedSource, options: { mode?: 'new' | 'all'; only?: readonly string[] }): Promise<void> {
    const signal = run.controller.signal;
    let outcome: ImportOutcome;
    let detail: string | null = null;
    try {
      await this.sealing; // a background seal of earlier items finishes first (one sealer at a time)
      const library = this.library();
      const importer = this.importer(library);
      let ref = resolved.ref;
      let listing: DownloadResult | null = null;
      if (resolved.ptp !== undefined) ({ ref, listing } = await this.downloadCamera(run, resolved.ptp, library, options.mode ?? 'new'));
      const summary = await importer.run(ref, {
        mode: options.mode ?? 'new',
        ...(options.only === undefined ? {} : { only: options.only }),
        signal,
        onProgress: (p) => this.emitProgress(run, p, false),
      });
      if (ref.download === true && summary.stopped === null) await rm(ref.root, { recursive: true, force: true });
      if (listing !== null) this.cameraCounts.set(run.source, cameraCounts(listing.media, this.store.knownSizes(run.source)));
      outcome = { source: run.source, name: run.name, at: this.now(), summary, cancelled: false, error: null };
    } catch (err) {
      const cancelled = signal.aborted;
      detail = (err as Error)?.message ?? String(err);
      outcome = { source: run.source, name: run.name, at: this.now(), summary: null, cancelled, error: cancelled ? null : describe(err) };
    }
    this.scans.delete(resolved.ref.root);
    this.running_ = null;
    this.last_ = outcome;
    if (!this.closed) {
      this.parts.ledger.appendEvent('import:done', ledgerRecord(outcome, detail));
      this.parts.events.emit('import:done', outcome);
      // Items copied before a cancel or an error still go into the backup.
      if (outcome.summary === null) void this.sealIfReady();
      this.startQueued();
    }
  }

  /**
   * Downloads what the import needs from a PTP camera (stageCamera), with the download's progress
   * as a phase of its own: the download folder's growth, since gphoto2 tells nothing while it runs.
   */
  private async downloadCamera(run: Running, camera: PtpCamera, library: string, mode: 'new' | 'all'): Promise<{ ref: ImportSourceRef; listing: DownloadResult }> {
    const meter = new ProgressMeter(this.now, (p) => this.emitProgress(run, p, false));
    const growth: { watch: { stop(): Promise<void> } | null } = { watch: null };
    this.downloading = true;
    try {
      const staged = await stageCamera(camera, { id: run.source, name: run.name, root: '' }, library, mode, this.store.knownSizes(run.source), {
        signal: run.controller.signal,
        onPlan: (files, bytes) => {
          meter.phase('downloading', files, bytes);
          growth.watch = watchFolderGrowth(cameraStagingDir(library, run.source), (done, doneBytes) => meter.set(done, doneBytes));
        },
      });
      run.controller.signal.throwIfAborted();
      return staged;
    } finally {
      this.downloading = false;
      await growth.watch?.stop();
    }
  }

  private importer(library = this.library()): Importer {
    return new Importer({ ledger: this.parts.ledger, library, seal: this.parts.seal, hasDestination: this.parts.hasDestination, now: this.now });
  }

  /** Each phase change at once; within a phase at most every IMPORT_EVENT_INTERVAL_MS. */
  private emitProgress(run: Running, progress: ImportProgress, force: boolean): void {
    const phaseChanged = progress.phase !== run.progress.phase;
    run.progress = progress;
    const t = this.now();
    if (!force && !phaseChanged && t - this.lastEmit < IMPORT_EVENT_INTERVAL_MS) return;
    this.lastEmit = t;
    this.parts.events.emit('import:progress', { source: run.source, name: run.name, progress });
  }

  /** A source by ID, or by its full folder path (as the CLI takes it). */
  private async resolve(source: string): Promise<ResolvedSource> {
    if (looksLikePath(source) && !isAbsolute(source)) throw new InswarmError('E_USAGE', 'A source folder must be a full path (starting at / or a drive letter).');
    return resolveSource(source, { roots: this.parts.roots, cameras: this.cameras });
  }

  private async filesOf(resolved: ResolvedSource, fresh: boolean): Promise<SourceFile[]> {
    if (resolved.ptp !== undefined) {
      throw new InswarmError('E_USAGE', `${resolved.ref.name} is a PTP camera, whose files are listed only while importing: use "Import new" or "Import all".`);
    }
    const root = resolved.ref.root;
    const cached = this.scans.get(root);
    if (!fresh && cached !== undefined && this.now() - cached.at < SCAN_CACHE_MS) return cached.files;
    const dcim = await findDcim(root);
    if (dcim === null) throw new InswarmError('E_NOT_FOUND', `${root} has no DCIM folder, so it holds no camera photos: choose the phone or card itself.`);
    const files = await scanMedia(root, dcim);
    this.scans.delete(root);
    this.scans.set(root, { at: this.now(), files });
    while (this.scans.size > SCAN_CACHE_SOURCES) this.scans.delete(this.scans.keys().next().value!);
    return files;
  }
}

/** An error as the UI shows it: its code and sentence, or a generic sentence for a bug. */
function describe(err: unknown): { code: string; message: string } {
  if (isInswarmError(err) && isErrorCode(err.code)) return { code: err.code, message: err.message };
  return { code: 'E_INTERNAL', message: 'The import stopped because of an unexpected error; the details are in the activity log. Try again.' };
}

/** What the activity log keeps of an import: counts and the reason it stopped, not the problem list. */
function ledgerRecord(o: ImportOutcome, detail: string | null): { [key: string]: string | number | boolean | null } {
  const s: ImportSummary | null = o.summary;
  return {
    source: o.source,
    name: o.name,
    imported: s?.imported ?? 0,
    importedBytes: s?.importedBytes ?? 0,
    alreadyImported: s === null ? 0 : s.alreadyImported + s.skippedKnown,
    unreadable: s?.unreadable ?? 0,
    sealedBlobs: s?.sealedBlobs ?? 0,
    stopped: s?.stopped ?? null,
    cancelled: o.cancelled,
    error: o.error === null ? null : (detail ?? o.error.message),
  };
}

/** A camera's counts from its listing: what is new is what the imports so far have not brought in. */
function cameraCounts(media: readonly PtpFile[], known: ReadonlyMap<string, readonly number[]>): Pick<SourceView, 'photos' | 'videos' | 'bytes' | 'newFiles' | 'newBytes' | 'counted'> {
  const fresh = freshFiles(media, known);
  return {
    photos: media.filter((f) => f.kind === 'photo').length,
    videos: media.filter((f) => f.kind === 'video').length,
    bytes: listedBytes(media),
    newFiles: fresh.length,
    newBytes: listedBytes(fresh),
    counted: true,
  };
}
