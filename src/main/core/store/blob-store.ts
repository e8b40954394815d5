// Blob files, named by their ID: <root>/ab/<id> (ab = the ID's first two hex characters, so no
// folder grows past ~4k entries at 10^6 blobs). Every write goes to <root>/tmp/ first and is renamed
// into place only after an fsync, so a blob name always holds a whole blob (promise 5). Blobs are
// content-addressed: one ID is one content, so committing an ID twice keeps the first file.
// One process owns a store at a time (the caller holds the data-folder lock).

import { randomBytes } from 'node:crypto';
import { type FileHandle, lstat, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { type Stats, constants as fsConstants } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InswarmError, fromFsError } from '../errors.js';
import { BLOB_ID_PATTERN } from '../limits.js';
import { fsyncDir } from './fsync.js';

export interface BlobStat {
  size: number;
  mtimeMs: number;
}

export interface StoreUsage {
  files: number;
  bytes: number;
}

export interface ReconcileReport {
  /** Leftover temp files from an interrupted write, deleted (never acknowledged, so nothing is lost). */
  tempsRemoved: number;
  /** Known blobs whose file is missing or has the wrong size; the caller marks them lost in the ledger. */
  lost: string[];
  /** Paths (relative to the store root) moved to the quarantine folder instead of being deleted. */
  quarantined: string[];
}

const TMP_DIR = 'tmp';
const TEMP_NAME = /^[0-9a-f]{32}\.tmp$/;
const SHARD_NAME = /^[0-9a-f]{2}$/;
/** lstat calls in flight while reconciling: keeps libuv's threads and the disk busy, memory flat. */
const RECONCILE_STAT_CONCURRENCY = 32;

export class BlobStore {
  readonly root: string;
  private readonly tmpDir: string;
  /** Beside the store, not in it: anything odd is moved there for a person to look at, never deleted. */
  private readonly quarantineDir: string;
  private layout: Promise<void> | undefined;
  /** Exact file count and bytes, established by reconcile() and kept by commit()/remove(). */
  private counted: StoreUsage | undefined;
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Shard folders known to exist. */
  private readonly shards = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
    this.tmpDir = join(this.root, TMP_DIR);
    this.quarantineDir = join(dirname(this.root), 'quarantine');
  }

  /** A new, empty temp file for a streaming writer (seal, receive); hand it to commit() or discardTemp(). */
  async createTemp(): Promise<{ path: string; handle: FileHandle }> {
    await this.ensureLayout();
    const path = join(this.tmpDir, `${randomBytes(16).toString('hex')}.tmp`);
    try {
      return { path, handle: await open(path, 'wx', 0o600) };
    } catch (err) {
      throw fromFsError(err, 'creating a temporary blob file');
    }
  }

  /** Writes `chunks` to a new closed temp file; on any failure (full disk, abort) no temp is left behind. */
  async writeTemp(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ path: string; bytes: number }> {
    const { path, handle } = await this.createTemp();
    let bytes = 0;
    let failure: unknown;
    try {
      for await (const chunk of chunks) {
        options.signal?.throwIfAborted();
        for (let offset = 0; offset < chunk.byteLength; ) {
          offset += (await handle.write(chunk, offset, chunk.byteLength - offset)).bytesWritten;
        }
        bytes += chunk.byteLength;
      }
    } catch (err) {
      failure = err;
    }
    await handle.close().catch((err: unknown) => (failure ??= err));
    if (failure !== undefined) {
      await rm(path, { force: true }).catch(() => undefined);
      throw options.signal?.aborted ? failure : fromFsError(failure, 'writing a blob');
    }
    return { path, bytes };
  }

  /**
   * Makes a verified temp file the blob `blobId`: fsync it, rename it into place, fsync the shard
   * folder (and the root when the shard is new). Resolves only once the blob survives power loss,
   * so the caller may then record it and acknowledge. The caller has checked the bytes hash to the ID.
   * On failure the temp stays; the caller retries or calls discardTemp().
   */
  async commit(tempPath: string, blobId: string): Promise<void> {
    await this.place(this.checkTemp(tempPath), blobId, syncFile);
  }

  /**
   * commit() for a verified file of `size` bytes the caller has already fsynced and closed, in a
   * folder of its own on the store's file system (a holder's incoming/ part file): one rename, no
   * second fsync of the bytes. Should the source folder's entry outlive a crash, the caller's
   * reconcile removes it.
   */
  async adopt(path: string, blobId: string, size: number): Promise<void> {
    await this.place(resolve(path), blobId, async () => size);
  }

  private async place(temp: string, blobId: string, syncedSize: (path: string) => Promise<number>): Promise<void> {
    const target = this.path(blobId);
    const shard = dirname(target);
    await this.ensureLayout();
    await this.withLock(blobId, async () => {
      try {
        const size = await syncedSize(temp);
        // A shard seen by this store stays (remove() never deletes one): no mkdir, and no EEXIST
        // error to build, per blob. Should someone remove one by hand, the rename says so.
        const makeShard = () =>
          mkdir(shard).then(
            () => true,
            (err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? false : Promise.reject(err)),
          );
        const known = this.shards.has(shard);
        let shardCreated = known ? false : await makeShard();
        this.shards.add(shard);
        const existing = await lstatOrUndefined(target);
        if (existing?.isFile() && existing.size === size) {
          await rm(temp); // the same ID with the same size is the same blob: keep the durable one
          return;
        }
        if (existing) {
          // Same name, different size: the old file is damaged. Set it aside, never delete it.
          await this.quarantine(target);
          if (existing.isFile()) this.count(-1, -existing.size);
        }
        await rename(temp, target).catch(async (err: NodeJS.ErrnoException) => {
          if (!known || err.code !== 'ENOENT') throw err;
          shardCreated = await makeShard();
          await rename(temp, target);
        });
        await fsyncDir(shard);
        if (shardCreated) await fsyncDir(this.root);
        this.count(1, size);
      } catch (err) {
        throw fromFsError(err, `storing blob ${short(blobId)}`);
      }
    });
  }

  /** Deletes a temp file that will not be committed (a failed or cancelled transfer). */
  async discardTemp(tempPath: string): Promise<void> {
    const temp = this.checkTemp(tempPath);
    await rm(temp, { force: true }).catch((err: unknown) => {
      throw fromFsError(err, 'removing a temporary blob file');
    });
  }

  /** True when the blob's file is present. */
  async has(blobId: string): Promise<boolean> {
    return (await this.stat(blobId)) !== undefined;
  }

  /** Size and time of a blob's file, or undefined when it is absent. */
  async stat(blobId: string): Promise<BlobStat | undefined> {
    try {
      const st = await lstatOrUndefined(this.path(blobId));
      return st?.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : undefined;
    } catch (err) {
      throw fromFsError(err, `checking blob ${short(blobId)}`);
    }
  }

  /** Where a blob lives; validates the ID so no caller can build a path out of the store. */
  path(blobId: string): string {
    if (typeof blobId !== 'string' || !BLOB_ID_PATTERN.test(blobId)) {
      throw new InswarmError('E_BLOB_ID', `"${String(blobId).slice(0, 80)}" is not a blob ID (64 lowercase hex characters).`);
    }
    return join(this.root, blobId.slice(0, 2), blobId);
  }

  /** Opens a blob for reading (deliver, serve to a holder); the caller closes the handle. */
  async openRead(blobId: string): Promise<FileHandle> {
    try {
      // Never follow a link planted under a blob name out of the store (O_NOFOLLOW is absent on Windows).
      return await open(this.path(blobId), fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    } catch (err) {
      throw fromFsError(err, `reading blob ${short(blobId)}`);
    }
  }

  /** Deletes a blob durably (purge after delivery or expiry); false when it was not there. */
  async remove(blobId: string): Promise<boolean> {
    const target = this.path(blobId);
    return this.withLock(blobId, async () => {
      try {
        const st = await lstatOrUndefined(target);
        if (!st) return false;
        await unlink(target);
        await fsyncDir(dirname(target));
        if (st.isFile()) this.count(-1, -st.size);
        return true;
      } catch (err) {
        throw fromFsError(err, `removing blob ${short(blobId)}`);
      }
    });
  }

  /** Exact files and bytes of committed blobs, for caps and the UI; known once reconcile() has run. */
  usage(): StoreUsage {
    if (!this.counted) throw new Error('BlobStore.usage() is known only after reconcile() has run.');
    return { ...this.counted };
  }

  /**
   * Brings the folder and the ledger's rows into agreement at start, before any commit: deletes temp
   * files, reports rows whose file is missing or has the wrong size as lost, and moves anything
   * unknown to the quarantine folder. `known` must be sorted by blobId (Ledger.allBlobRows() is), so
   * the two sorted lists merge in memory bounded by one shard.
   * Cost: one readdir of the root and of each of the ≤256 shards, plus one lstat per blob file (the
   * size check needs it); never a stat per ledger row. Measured ~20 µs per file with a warm cache
   * (100k files in ~2 s), so ~20 s at 10^6 blobs; memory holds one shard's names (~4k at 10^6).
   */
  async reconcile(known: Iterable<{ blobId: string; size: number }>): Promise<ReconcileReport> {
    await this.ensureLayout();
    const report: ReconcileReport = { tempsRemoved: 0, lost: [], quarantined: [] };
    const usage: StoreUsage = { files: 0, bytes: 0 };
    const rows = sortedRows(known);
    let row = rows.next();
    const skipLostWhile = (keep: (blobId: string) => boolean): void => {
      while (!row.done && keep(row.value.blobId)) {
        report.lost.push(row.value.blobId);
        row = rows.next();
      }
    };
    try {
      report.tempsRemoved = await this.clearTemps(report);
      for (const shard of await this.listShards(report)) {
        skipLostWhile((id) => id.slice(0, 2) < shard);
        const matched: { blobId: string; size: number }[] = [];
        for (const name of await this.listShard(shard, report)) {
          skipLostWhile((id) => id < name);
          if (!row.done && row.value.blobId === name) {
            matched.push(row.value);
            row = rows.next();
          } else {
            report.quarantined.push(await this.quarantine(join(this.root, shard, name)));
          }
        }
        skipLostWhile((id) => id.startsWith(shard));
        await forEachLimit(matched, RECONCILE_STAT_CONCURRENCY, async ({ blobId, size }) => {
          const st = await lstat(this.path(blobId));
          if (st.size === size) {
            usage.files += 1;
            usage.bytes += st.size;
          } else {
            report.lost.push(blobId);
            report.quarantined.push(await this.quarantine(this.path(blobId)));
          }
        });
      }
      skipLostWhile(() => true);
    } catch (err) {
      throw fromFsError(err, 'checking the blob folder');
    }
    this.counted = usage;
    report.lost.sort();
    report.quarantined.sort();
    return report;
  }

  /** Creates root and tmp once; each new folder's name is flushed into its parent. */
  private ensureLayout(): Promise<void> {
    this.layout ??= (async () => {
      const first = await mkdir(this.tmpDir, { recursive: true });
      for (let dir = this.tmpDir; first !== undefined; dir = dirname(dir)) {
        await fsyncDir(dirname(dir));
        if (dir === first) break;
      }
    })().catch((err: unknown) => {
      this.layout = undefined;
      throw fromFsError(err, 'creating the blob folder');
    });
    return this.layout;
  }

  private checkTemp(tempPath: string): string {
    const temp = resolve(tempPath);
    if (dirname(temp) !== this.tmpDir || !TEMP_NAME.test(basename(temp))) {
      throw new InswarmError('E_USAGE', `${tempPath} is not a temporary file of this blob store.`);
    }
    return temp;
  }

  private async clearTemps(report: ReconcileReport): Promise<number> {
    let removed = 0;
    for (const entry of await readdir(this.tmpDir, { withFileTypes: true })) {
      const path = join(this.tmpDir, entry.name);
      if (entry.isFile()) {
        await unlink(path);
        removed += 1;
      } else {
        report.quarantined.push(await this.quarantine(path)); // not something we write: keep it
      }
    }
    if (removed > 0) await fsyncDir(this.tmpDir);
    return removed;
  }

  /** Shard folders in order; anything else in the root (but tmp) is quarantined. */
  private async listShards(report: ReconcileReport): Promise<string[]> {
    const shards: string[] = [];
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (entry.name === TMP_DIR && entry.isDirectory()) continue;
      if (SHARD_NAME.test(entry.name) && entry.isDirectory()) shards.push(entry.name);
      else report.quarantined.push(await this.quarantine(join(this.root, entry.name)));
    }
    return shards.sort();
  }

  /** Blob file names in a shard, in order; links, folders and foreign names are quarantined. */
  private async listShard(shard: string, report: ReconcileReport): Promise<string[]> {
    const names: string[] = [];
    for (const entry of await readdir(join(this.root, shard), { withFileTypes: true })) {
      if (entry.isFile() && BLOB_ID_PATTERN.test(entry.name) && entry.name.startsWith(shard)) names.push(entry.name);
      else report.quarantined.push(await this.quarantine(join(this.root, shard, entry.name)));
    }
    return names.sort();
  }

  /** Moves `path` into the quarantine folder under a free name; returns it relative to the root. */
  private async quarantine(path: string): Promise<string> {
    const created = await mkdir(this.quarantineDir, { recursive: true });
    if (created !== undefined) await fsyncDir(dirname(this.quarantineDir));
    let target = join(this.quarantineDir, basename(path));
    for (let n = 1; (await lstatOrUndefined(target)) !== undefined; n += 1) {
      target = join(this.quarantineDir, `${basename(path)}.${n}`);
    }
    await rename(path, target);
    await fsyncDir(this.quarantineDir);
    await fsyncDir(dirname(path));
    return relative(this.root, path);
  }

  private count(files: number, bytes: number): void {
    if (this.counted) {
      this.counted.files += files;
      this.counted.bytes += bytes;
    }
  }

  /** Serialises commit/remove of one ID, so two commits of the same blob cannot both count it. */
  private async withLock<T>(blobId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(blobId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(blobId, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(blobId) === settled) this.locks.delete(blobId);
    }
  }
}

/** fsyncs a closed temp file through a fresh handle and returns its size. */
async function syncFile(path: string): Promise<number> {
  const handle = await open(path, 'r+'); // writable: Windows needs write access to flush
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Checks that rows arrive sorted (the merge depends on it) and drops repeats of one ID. */
function* sortedRows(known: Iterable<{ blobId: string; size: number }>): Generator<{ blobId: string; size: number }> {
  let previous = '';
  for (const { blobId, size } of known) {
    if (!BLOB_ID_PATTERN.test(blobId)) throw new InswarmError('E_BLOB_ID', `The ledger lists "${blobId.slice(0, 80)}", which is not a blob ID.`);
    if (blobId === previous) continue;
    if (blobId < previous) throw new Error('BlobStore.reconcile() needs rows sorted by blobId, as Ledger.allBlobRows() yields them.');
    previous = blobId;
    yield { blobId, size };
  }
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const short = (blobId: string): string => `${blobId.slice(0, 8)}…`;
