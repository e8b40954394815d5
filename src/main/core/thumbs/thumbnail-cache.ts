// Rendered thumbnails on disk, one file per key in the data folder's thumbs/: `<key>.jpg` for a
// thumbnail, an empty `<key>.none` for a file that did not decode (so it is not decoded again on
// every scroll). A cache: files are written to a temp name and renamed, so a reader never sees a
// torn file, but not fsynced (a thumbnail lost in a crash is rendered again). The total is bounded;
// the least recently used entries go first.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Disk the cache may use: some 8 000 thumbnails of ~16 KB, small beside what a donor lends to peers. */
export const THUMB_CACHE_MAX_BYTES = 128 * 1024 * 1024;
/** What one entry is charged at least: a file costs a filesystem block, so empty negatives are bounded too. */
export const THUMB_CACHE_ENTRY_MIN_BYTES = 4096;

/** A key is the hex SHA-256 thumbnailKey() makes; only such names are ever read or written. */
const KEY = /^[0-9a-f]{64}$/;
const ENTRY_FILE = /^([0-9a-f]{64})\.(jpg|none)$/;
const TEMP_SUFFIX = '.tmp';

/** What the cache holds for a key: a thumbnail, or the record that its file did not decode. */
export type CachedThumbnail = { readonly kind: 'jpeg'; readonly bytes: Buffer } | { readonly kind: 'undecodable' };

interface Entry {
  readonly file: string;
  readonly charged: number;
}

export class ThumbnailCache {
  /** Entries in use order, least recent first (Map keeps insertion order; a hit re-inserts). */
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private loading: Promise<void> | null = null;
  private tempCounter = 0;

  constructor(
    /** The folder, created on first write. */
    readonly dir: string,
    private readonly maxBytes: number = THUMB_CACHE_MAX_BYTES,
  ) {}

  /** Bytes the entries are charged (for tests and status). */
  get chargedBytes(): number {
    return this.total;
  }

  /** The entry for `key`, or null on a miss (including a file removed behind the cache's back). */
  async get(key: string): Promise<CachedThumbnail | null> {
    checkKey(key);
    await this.load();
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (entry.file.endsWith('.none')) return { kind: 'undecodable' };
    try {
      return { kind: 'jpeg', bytes: await readFile(join(this.dir, entry.file)) };
    } catch {
      this.forget(key);
      return null;
    }
  }

  /** Keeps `jpeg` as `key`'s thumbnail; a failed write only means it is rendered again. */
  async putThumbnail(key: string, jpeg: Buffer): Promise<void> {
    await this.put(key, `${key}.jpg`, jpeg);
  }

  /** Records that `key`'s file does not decode. */
  async putUndecodable(key: string): Promise<void> {
    await this.put(key, `${key}.none`, Buffer.alloc(0));
  }

  private async put(key: string, file: string, bytes: Buffer): Promise<void> {
    checkKey(key);
    await this.load();
    const charged = Math.max(bytes.length, THUMB_CACHE_ENTRY_MIN_BYTES);
    if (charged > this.maxBytes) return;
    const temp = join(this.dir, `${file}.${process.pid}.${this.tempCounter++}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFile(temp, bytes, { flag: 'wx', mode: 0o600 });
      await rename(temp, join(this.dir, file));
    } catch {
      await unlink(temp).catch(() => undefined);
      return;
    }
    const previous = this.entries.get(key);
    this.forget(key);
    if (previous !== undefined && previous.file !== file) await unlink(join(this.dir, previous.file)).catch(() => undefined);
    this.entries.set(key, { file, charged });
    this.total += charged;
    await this.evict();
  }

  /** Drops least recently used entries until the total fits. */
  private async evict(): Promise<void> {
    const victims: string[] = [];
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.forget(key);
      victims.push(entry.file);
    }
    await Promise.all(victims.map((file) => unlink(join(this.dir, file)).catch(() => undefined)));
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.charged;
  }

  /**
   * Reads the folder once: entries ordered by when they were written (use order is not kept across
   * restarts), temp files of an interrupted write removed, anything else left alone.
   */
  private load(): Promise<void> {
    this.loading ??= (async () => {
      let names: string[];
      try {
        names = await readdir(this.dir);
      } catch {
        return; // no folder yet: an empty cache
      }
      const found: { key: string; file: string; charged: number; mtimeMs: number }[] = [];
      for (const name of names) {
        if (name.endsWith(TEMP_SUFFIX)) {
          await unlink(join(this.dir, name)).catch(() => undefined);
          continue;
        }
        const m = ENTRY_FILE.exec(name);
        if (m === null) continue;
        try {
          const st = await stat(join(this.dir, name));
          if (st.isFile()) found.push({ key: m[1]!, file: name, charged: Math.max(st.size, THUMB_CACHE_ENTRY_MIN_BYTES), mtimeMs: st.mtimeMs });
        } catch {
          // removed meanwhile
        }
      }
      found.sort((a, b) => a.mtimeMs - b.mtimeMs);
      for (const f of found) {
        // A key with both a .jpg and a .none (a crash between a write and its cleanup): the newer wins.
        const older = this.entries.get(f.key);
        if (older !== undefined) await unlink(join(this.dir, older.file)).catch(() => undefined);
        this.forget(f.key);
        this.entries.set(f.key, { file: f.file, charged: f.charged });
        this.total += f.charged;
      }
      await this.evict(); // the cap may have been lowered since
    })();
    return this.loading;
  }
}

function checkKey(key: string): void {
  // Keys become file names: anything but our own hex hashes is a bug, never a path.
  if (!KEY.test(key)) throw new Error(`not a thumbnail cache key: ${key.slice(0, 80)}`);
}
