// The import engine: takes the photos and videos off a source (a phone, camera or card mounted as
// a folder) into the photo library as YYYY/MM/DD/<name>, each verified by hash, deduplicated by
// content against every earlier import, then seals each item (a Live Photo pair as one blob) into
// the outbox so the swarm places it.
//
// Two phases, so the phone can be unplugged as early as possible: first every file is copied off
// the source; then the library copies are sealed. Each file's progress is in the ledger
// (imports.state: copying → copied → sealed), so an unplug or a crash at any point loses nothing
// and the next run neither doubles nor skips a file.

import { open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, extname, join, posix } from 'node:path';
import type { AddedBlob } from '../outbox/add-files.js';
import type { SealInput } from '../seal/seal.js';
import { fromFsError, InswarmError, isInswarmError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { LEDGER_MAX_PAGE } from '../limits.js';
import { datedPath } from '../library/library.js';
import { captureInstantMs } from '../seal/capture-time.js';
import { captureTimeOfPath } from '../seal/capture-time-file.js';
import { copyHashing, hashFile, VerifyHasher } from './copy.js';
import { GroupCommit, IntakeStore, knownKey, type ImportRow } from './intake-store.js';
import { groupLivePhotos, type SourceFile } from './media.js';
import { findDcim, scanMedia } from './scan.js';
import { ProgressMeter, type ImportProgress } from './progress.js';

/** The folder inside the library where copies are written before they get their final name. */
export const STAGING_DIR = '.inswarm-import';
/** Suffixes tried for a name taken by a different photo on the same day ("IMG_0001 (2).JPG"…). */
const MAX_NAME_SUFFIX = 10_000;
/**
 * Files copied at once. Two keep a 2-core laptop's cores busy (one hashing the source, one
 * verifying the previous copy); the others wait on their fsyncs, which dominate with photo-sized
 * files. 512 MiB of 4 MiB photos from the page cache on a 2-core VM: 3 lanes 1.27–1.30 s, 6 lanes
 * 1.02–1.05 s, 8 lanes 0.88–0.97 s. Six, because a real card or a phone over USB is read at its
 * own pace and a camera's spinning drive would pay for more interleaved reads in seeks.
 */
export const IMPORT_LANES = 6;
/** How many unreadable files the summary lists by name (the count is always exact). */
const MAX_LISTED_PROBLEMS = 100;
/** errno codes meaning the source itself is gone (unplugged, unmounted, FUSE daemon dead). */
const GONE_CODES = new Set(['ENOENT', 'ENOTCONN', 'ENODEV', 'ENXIO', 'EIO', 'ESTALE', 'ENOTDIR']);

export interface ImportSourceRef {
  /** Stable ID recorded with every import from this source (see sources.ts). */
  readonly id: string;
  /** Shown to people. */
  readonly name: string;
  /** The mount point (or folder) holding DCIM. */
  readonly root: string;
  /**
   * The folder is a PTP camera's download made for this import: all of its photos and videos are
   * read (every storage's DCIM), and an empty one means nothing was new, not the wrong folder.
   */
  readonly download?: boolean;
}

export interface ImporterParts {
  readonly ledger: Ledger;
  /** The photo library's root folder. */
  readonly library: string;
  /** Seals groups into the outbox (node.addFiles). */
  readonly seal: (groups: readonly (readonly SealInput[])[]) => Promise<AddedBlob[]>;
  /** True when a destination is set, so there is somebody to seal to. */
  readonly hasDestination: () => boolean;
  readonly now?: () => number;
}

export interface ImportOptions {
  /** 'new' (default): skip files already imported from this source; 'all': look at every file (still deduplicated by content). */
  readonly mode?: 'new' | 'all';
  /** Only these source paths (as listed by scan), for a selection from thumbnails; a Live Photo's partner comes along. */
  readonly only?: readonly string[];
  /** Skip the sealing phase (the caller seals later, e.g. the bench measuring the copy alone). */
  readonly noSeal?: boolean;
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly signal?: AbortSignal;
}

export interface ImportProblem {
  readonly path: string;
  readonly reason: string;
}

export interface ImportSummary {
  readonly source: string;
  readonly library: string;
  /** Photos and videos found on the source (after --new / selection filters: `considered`). */
  readonly found: number;
  readonly considered: number;
  /** Newly copied into the library. */
  readonly imported: number;
  readonly importedBytes: number;
  /** Content that an earlier import (or this one, from another folder) already brought in. */
  readonly alreadyImported: number;
  /** Skipped by --new without reading: same path and size imported from this source before. */
  readonly skippedKnown: number;
  readonly unreadable: number;
  readonly problems: readonly ImportProblem[];
  /** Blobs sealed into the outbox by this run, and items still waiting to be sealed. */
  readonly sealedBlobs: number;
  readonly sealPending: number;
  /** No destination is set: the files are in the library and sealing waits for one. */
  readonly waitingForDestination: boolean;
  /** Set when the import stopped early (the source was unplugged); run again to resume. */
  readonly stopped: string | null;
  readonly seconds: number;
}

export class Importer {
  readonly store: IntakeStore;
  private readonly now: () => number;
  private serial = 0;

  constructor(private readonly parts: ImporterParts) {
    this.now = parts.now ?? Date.now;
    this.store = new IntakeStore(parts.ledger, this.now);
  }

  /** Imports from `source`; never throws for one bad file, only for a library it cannot write. */
  async run(source: ImportSourceRef, options: ImportOptions = {}): Promise<ImportSummary> {
    const started = this.now();
    const meter = new ProgressMeter(this.now, options.onProgress);
    await this.prepareLibrary();
    await this.recoverUnfinished();

    meter.phase('scanning', 0, 0);
    const dcim = source.download === true ? source.root : await findDcim(source.root);
    if (dcim === null) {
      throw new InswarmError('E_NOT_FOUND', `${source.root} has no DCIM folder, so it holds no camera photos: choose the phone or card itself (see "inswarm import --list").`);
    }
    const all = await scanMedia(source.root, dcim, options.signal);
    let groups = groupLivePhotos(all);
    if (options.only !== undefined) {
      const wanted = new Set(options.only);
      groups = groups.filter((g) => g.some((f) => wanted.has(f.path)));
    }
    let skippedKnown = 0;
    /** Files --new passes over; a skipped still still dates its pair's new video. */
    const skip = new Set<SourceFile>();
    if ((options.mode ?? 'new') === 'new') {
      const known = this.store.knownFiles(source.id);
      groups = groups.filter((g) => {
        for (const f of g) if (known.has(knownKey(f.path, f.size))) skip.add(f);
        const left = g.filter((f) => !skip.has(f)).length;
        skippedKnown += g.length - left;
        return left > 0;
      });
    }
    const considered = groups.reduce((n, g) => n + g.filter((f) => !skip.has(f)).length, 0);
    const counts = { imported: 0, importedBytes: 0, already: 0, unreadable: 0 };
    const problems: ImportProblem[] = [];
    const problem = (path: string, reason: string): void => {
      counts.unreadable++;
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push({ path, reason });
    };

    meter.phase('copying', considered, groups.reduce((n, g) => n + g.reduce((m, f) => m + (skip.has(f) ? 0 : f.size), 0), 0));
    let stopped: string | null = null;
    let fatal: { err: unknown } | null = null;
    const ctx: CopyContext = {
      signal: options.signal,
      verifier: new VerifyHasher(),
      commits: new GroupCommit(this.parts.ledger, syncDir),
      inflight: new Map(),
      madeDirs: new Set(),
    };
    const importGroup = async (group: readonly SourceFile[]): Promise<void> => {
      // A Live Photo's video is filed on its still's day, so the pair stays together.
      let dayOf: { capturedAt: string | null; mtimeMs: number } | null = null;
      for (const file of group) {
        if (stopped !== null || fatal !== null) return;
        options.signal?.throwIfAborted();
        if (skip.has(file)) {
          if (dayOf === null && group.length > 1) {
            dayOf = { capturedAt: await captureTimeOfPath(join(source.root, ...file.path.split('/'))), mtimeMs: file.mtimeMs };
          }
          continue;
        }
        if (file.size === 0) {
          problem(file.path, 'the file is empty (the camera may not have finished writing it)');
          meter.fileDone(0);
          continue;
        }
        let outcome;
        try {
          outcome = await this.importFile(source, file, dayOf, meter, ctx);
        } catch (err) {
          if (options.signal?.aborted) throw err;
          if (!(await isPresent(dcim))) {
            stopped ??= `${source.name} was disconnected during the import; plug it in again and run the import again to continue where it stopped`;
            return;
          }
          if (isLibraryError(err)) throw err;
          problem(file.path, readReason(err));
          meter.fileDone(0);
          continue;
        }
        dayOf ??= outcome.day;
        if (outcome.kind === 'imported') {
          counts.imported++;
          counts.importedBytes += file.size;
        } else {
          counts.already++;
        }
        meter.fileDone(0);
      }
    };
    // IMPORT_LANES groups at a time: one file's fsync and verification overlap the next one's copy.
    let nextGroup = 0;
    const lane = async (): Promise<void> => {
      while (stopped === null && fatal === null && nextGroup < groups.length) {
        try {
          await importGroup(groups[nextGroup++]!);
        } catch (err) {
          fatal ??= { err };
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(IMPORT_LANES, Math.max(1, groups.length)) }, lane));
    } finally {
      await ctx.verifier.close();
    }
    if (fatal !== null) throw (fatal as { err: unknown }).err;

    let sealedBlobs = 0;
    let waitingForDestination = false;
    if (options.noSeal !== true) {
      if (this.parts.hasDestination()) {
        sealedBlobs = (await this.sealPending({ meter, signal: options.signal, problem })).sealed;
      } else {
        waitingForDestination = true;
      }
    }
    meter.phase('done', 0, 0);
    return {
      source: source.id,
      library: this.parts.library,
      found: all.length,
      considered,
      imported: counts.imported,
      importedBytes: counts.importedBytes,
      alreadyImported: counts.already,
      skippedKnown,
      unreadable: counts.unreadable,
      problems,
      sealedBlobs,
      sealPending: this.pendingCount(),
      waitingForDestination,
      stopped,
      seconds: (this.now() - started) / 1000,
    };
  }

  /** Items copied into the library but not yet sealed. */
  pendingCount(): number {
    return this.store.pendingCount();
  }

  /**
   * Seals every copied-but-unsealed item into the outbox (a Live Photo pair as one blob). Called at
   * the end of each import, and by the node when a destination is set later.
   */
  async sealPending(options: { meter?: ProgressMeter; signal?: AbortSignal; problem?: (path: string, reason: string) => void } = {}): Promise<{ sealed: number }> {
    const meter = options.meter ?? new ProgressMeter(this.now);
    const pendingFiles = this.pendingCount();
    meter.phase('sealing', pendingFiles, 0);
    let sealed = 0;
    // Group every unsealed row by source folder and base name (a pair may have been copied in
    // two runs, so its rows need not be adjacent); IDs only, so a large backlog stays small.
    const groups = new Map<string, number[]>();
    for (let after = 0; ; ) {
      const page = this.store.unsealed(after, LEDGER_MAX_PAGE);
      if (page.length === 0) break;
      for (const row of page) {
        after = row.id;
        const key = groupKey(row);
        const ids = groups.get(key);
        if (ids === undefined) groups.set(key, [row.id]);
        else ids.push(row.id);
      }
    }
    for (const ids of groups.values()) {
      // Re-read: an earlier group may have sealed the same content (a duplicate row).
      const rows = ids.map((id) => this.store.get(id)).filter((r): r is ImportRow => r !== undefined && r.state === 'copied');
      const unique = [...new Map(rows.map((r) => [r.sha256, r])).values()];
      if (unique.length === 0) continue;
      const inputs: SealInput[] = [];
      for (const row of unique) {
        const path = join(this.parts.library, row.libraryPath!);
        // The embedded date (EXIF, HEIC Exif item, QuickTime) when the file has one, else its local
        // modification time (the library copy keeps the source's mtime): given both, sealing does
        // not read the file twice.
        const captured = (await captureTimeOfPath(path)) ?? (await localMtime(path));
        inputs.push({ path, sha256: row.sha256, ...(captured === null ? {} : { capturedAt: captured }) });
      }
      options.signal?.throwIfAborted();
      let added: AddedBlob[];
      try {
        added = await this.parts.seal([inputs]);
      } catch (err) {
        if (isInswarmError(err, 'E_NO_DESTINATION') || isInswarmError(err, 'E_DISK_FULL') || isInswarmError(err, 'E_LEDGER')) throw err;
        // The library copy is gone or changed since it was verified: say so, keep going.
        for (const row of unique) {
          this.store.failed(row.sha256);
          options.problem?.(row.libraryPath!, `sealing failed: ${(err as Error).message}`);
        }
        continue;
      }
      this.parts.ledger.transaction(() => {
        for (const row of unique) this.store.sealed(row.sha256, added[0]!.blobId);
      });
      sealed++;
      for (let i = 0; i < unique.length; i++) meter.fileDone(0);
    }
    return { sealed };
  }

  private async importFile(
    source: ImportSourceRef,
    file: SourceFile,
    dayOf: { capturedAt: string | null; mtimeMs: number } | null,
    meter: ProgressMeter,
    ctx: CopyContext,
  ): Promise<{ kind: 'imported' | 'duplicate'; day: { capturedAt: string | null; mtimeMs: number } }> {
    const src = join(source.root, ...file.path.split('/'));
    const temp = join(this.staging(), `${process.pid}-${++this.serial}.part`);
    let copy;
    try {
      // Hashes the source as it passes, sets the mtime and fsyncs the copy before resolving.
      copy = await copyHashing(src, temp, (n) => meter.bytes(n), ctx.signal, file.mtimeMs);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    // Read from the fresh local copy, not the source: a HEIC's Exif item or a video's moov can sit
    // anywhere in the file, and positioned reads on a phone (MTP through FUSE) can be very slow.
    const capturedAt = await captureTimeOfPath(temp, copy.head);
    const day = { capturedAt, mtimeMs: file.mtimeMs };
    // Another lane may be filing the same content right now: wait for it, then look again, so two
    // copies of one photo in different folders never both land in the library.
    for (let other = ctx.inflight.get(copy.sha256); other !== undefined; other = ctx.inflight.get(copy.sha256)) await other;
    const existing = this.store.bySha(copy.sha256);
    if (existing !== undefined) {
      await unlink(temp);
      this.store.duplicate({ source: source.id, sourcePath: file.path, size: copy.size }, existing);
      return { kind: 'duplicate', day };
    }
    let release!: () => void;
    ctx.inflight.set(copy.sha256, new Promise<void>((resolve) => (release = resolve)));
    const placeBy = dayOf ?? day;
    const target = datedPath({ archivePath: posix.basename(file.path), capturedAt: placeBy.capturedAt, mtimeMs: placeBy.mtimeMs });
    let placed: string | null = null;
    let id: number | null = null;
    try {
      placed = this.reserve(target, ctx.madeDirs);
      const row = { source: source.id, sourcePath: file.path, sha256: copy.sha256, size: copy.size, capturedAt: (capturedAt === null ? null : captureInstantMs(capturedAt)) ?? file.mtimeMs };
      const at = placed;
      // Durable before the rename: a library file with a 'copying' row is one recovery can adopt.
      id = await ctx.commits.run(() => this.store.beginCopyAt(row, at));
      const path = join(this.parts.library, placed);
      await rename(temp, path);
      const check = await ctx.verifier.hash(path);
      if (check.sha256 !== copy.sha256 || check.size !== copy.size) {
        throw new InswarmError('E_IO', `The copy of ${file.path} in the library does not match the original (the disk may be failing): it was removed; run the import again.`);
      }
      const done = id;
      await ctx.commits.run(() => this.store.copied(done), [dirname(path)]);
    } catch (err) {
      await rm(temp, { force: true });
      if (placed !== null) await rm(join(this.parts.library, placed), { force: true });
      if (id !== null) this.store.remove(id);
      throw libraryError(err, file.path);
    } finally {
      ctx.inflight.delete(copy.sha256);
      release();
    }
    return { kind: 'imported', day };
  }

  /**
   * Claims a free library name for `target` (suffixing " (n)" when taken) by creating an empty
   * placeholder there exclusively; the caller records it on the import row before filling it.
   */
  private reserve(target: string, madeDirs: Set<string>): string {
    const ext = posix.extname(target);
    const stem = target.slice(0, target.length - ext.length);
    const dir = dirname(target);
    if (!madeDirs.has(dir)) {
      mkdirSync(join(this.parts.library, dir), { recursive: true });
      madeDirs.add(dir);
    }
    for (let n = 1; n <= MAX_NAME_SUFFIX; n++) {
      const candidate = n === 1 ? target : `${stem} (${n})${ext}`;
      try {
        closeSync(openSync(join(this.parts.library, candidate), 'wx', 0o644));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code === 'ENOENT' && madeDirs.delete(dir)) return this.reserve(target, madeDirs); // the folder was removed meanwhile
        throw err;
      }
      return candidate;
    }
    throw new InswarmError('E_EXISTS', `The library already holds ${MAX_NAME_SUFFIX} files named like ${target}: move some away and import again.`);
  }

  private staging(): string {
    return join(this.parts.library, STAGING_DIR);
  }

  /** Creates the library and its staging folder, and removes copies a dead process left there. */
  private async prepareLibrary(): Promise<void> {
    try {
      mkdirSync(this.staging(), { recursive: true });
      for (const name of await readdir(this.staging())) {
        // Only copies in progress ("<pid>-<n>.part"); a PTP camera's downloaded files share the folder.
        const part = /^(\d+)-\d+\.part$/.exec(name);
        if (part === null) continue;
        const pid = Number(part[1]);
        if (pid === process.pid || !alive(pid)) await rm(join(this.staging(), name), { force: true });
      }
    } catch (err) {
      throw fromFsError(err, `preparing the photo library ${this.parts.library}`);
    }
  }

  /** Finishes or undoes files an earlier run left mid-copy (crash, unplug, disk error). */
  private async recoverUnfinished(): Promise<void> {
    for (;;) {
      const rows = this.store.copyingRows(LEDGER_MAX_PAGE);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (row.libraryPath !== null) {
          const path = join(this.parts.library, row.libraryPath);
          let good = false;
          try {
            const st = await stat(path);
            good = st.isFile() && st.size === row.size && (await hashFile(path)).sha256 === row.sha256;
          } catch {
            good = false;
          }
          if (good && this.store.bySha(row.sha256) === undefined) {
            this.store.copied(row.id);
            continue;
          }
          await rm(path, { force: true });
        }
        this.store.remove(row.id);
      }
    }
  }
}

/** What the files in flight share during one run's copy phase. */
interface CopyContext {
  readonly signal: AbortSignal | undefined;
  /** Re-hashes library copies on a worker thread. */
  readonly verifier: VerifyHasher;
  /** Batches the ledger commits (and the folder fsyncs before them) of the files in flight. */
  readonly commits: GroupCommit;
  /** Content being filed right now, by SHA-256: a second copy of it waits and is then a duplicate. */
  readonly inflight: Map<string, Promise<void>>;
  /** Library folders known to exist (saves a mkdir per file). */
  readonly madeDirs: Set<string>;
}

/** Makes a rename into `dir` durable (POSIX: fsync the directory); a no-op where that is unsupported. */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch {
    return; // Windows cannot open a folder; NTFS journals the rename itself
  }
  try {
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}

/** Rows of one source folder and base name belong to one blob (a Live Photo pair). */
function groupKey(row: ImportRow): string {
  const ext = extname(row.sourcePath);
  return `${row.source}\0${row.sourcePath.slice(0, row.sourcePath.length - ext.length).toLowerCase()}`;
}

async function isPresent(dir: string): Promise<boolean> {
  try {
    await readdir(dir);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Errors on the library side (ours) stop the import; errors reading the source skip one file. */
const LIBRARY_ERROR = Symbol('library');
function libraryError(err: unknown, path: string): unknown {
  const wrapped = fromFsError(err, `filing ${path} in the photo library`);
  if (wrapped instanceof Error) (wrapped as Error & { [LIBRARY_ERROR]?: true })[LIBRARY_ERROR] = true;
  return wrapped;
}
function isLibraryError(err: unknown): boolean {
  return err instanceof Error && (err as Error & { [LIBRARY_ERROR]?: true })[LIBRARY_ERROR] === true;
}

function readReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && GONE_CODES.has(code)) return `it could not be read (${code}); the file may be damaged or was deleted on the device`;
  if (code !== undefined) return `it could not be read (${code})`;
  return (err as Error).message;
}


/** A file's modification time on this computer's clock, as "YYYY-MM-DDTHH:MM:SS"; null when it is gone. */
async function localMtime(path: string): Promise<string | null> {
  let ms: number;
  try {
    ms = (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${String(d.getFullYear()).padStart(4, '0')}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
