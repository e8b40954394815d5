// Thumbnails for the UI's grids (My backups, Import): the JPEG bytes to show for one file, or null.
// In order of cost: a cached render; the small JPEG a camera embedded in EXIF, when the photo is
// upright (reading 128 KiB takes well under a millisecond; rendering a 12 MP photo some 40 ms of a
// core); else a render by sharp, one at a time, kept in the cache, or kept as "undecodable" when it
// fails. Without sharp (no prebuilt binary for this platform) it falls back to what the app did
// before: the EXIF thumbnail, or a small JPEG shown whole. It never throws at its caller.

import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { canThumbnail, isJpegName } from '../../../shared/thumbnailable.js';
import type { JsonValue } from '../ledger/ledger.js';
import { exifOrientation, exifThumbnail, ORIENTATION_UPRIGHT } from '../views/thumbnail.js';
import { RenderQueue } from './render-queue.js';
import { loadSharpRenderer, THUMB_JPEG_QUALITY, THUMB_LONG_EDGE_PX, type RenderThumbnail } from './sharp-render.js';
import { ThumbnailCache, THUMB_CACHE_MAX_BYTES } from './thumbnail-cache.js';

/**
 * A file larger than this is not decoded (it is read whole into memory first): a 200 MP phone JPEG
 * is about 40 MB; a larger file is a scan, a panorama TIFF or no photo, and gets no thumbnail.
 */
export const THUMB_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Bytes read from a JPEG's start for its EXIF thumbnail and orientation (APP1 is at most 64 KiB, after an optional APP0). */
export const THUMB_EXIF_SCAN_BYTES = 128 * 1024;
/** Without sharp, a JPEG with no EXIF thumbnail is shown whole up to this size (the app's behaviour before sharp). */
export const THUMB_INLINE_MAX_BYTES = 1024 * 1024;
/** Renders at once: one (with SHARP_THREADS = 1), so thumbnails never use more than one core. */
export const THUMB_RENDERS_AT_ONCE = 1;
/** Requests waiting for the render slot; more get no thumbnail this time. Each window asks four at a time. */
export const THUMB_MAX_WAITING = 32;
/** Part of every key: bump it when rendering changes (or a sharp upgrade decodes more), so old thumbnails and negatives go unused and age out. */
const KEY_VERSION = `thumb-v1:${THUMB_LONG_EDGE_PX}:${THUMB_JPEG_QUALITY}`;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One file to show. */
export interface ThumbnailSource {
  /** Absolute path of the file: on a phone or card, in the library, or wherever it was added from. */
  readonly path: string;
  /** Its size as listed (the outbox row, the source's scan): a file of another size has changed and gets none. */
  readonly size: number;
  /** The content's SHA-256 when known (files of own blobs): the key then, shared by every copy of that photo. */
  readonly sha256?: string | null;
}

export interface ThumbnailsInit {
  /** The cache folder (dataLayout(...).thumbs). */
  readonly dir: string;
  /** The activity log; told once when sharp cannot load. */
  readonly log?: (type: string, data: JsonValue) => void;
  /** How sharp is loaded; tests wrap it to count renders or to simulate a platform without it. */
  readonly loadRenderer?: () => Promise<RenderThumbnail>;
  readonly maxCacheBytes?: number;
  readonly maxInputBytes?: number;
}

/**
 * The cache key of a file's thumbnail: by content when its hash is known, else by where it is and
 * what its size and modification time are, so a changed file (a photo edited on the phone, a file
 * still being copied) is a new key. A content key trusts that a file still `size` bytes long at the
 * path the hash was taken from still holds that content; an edit that keeps the size is not noticed.
 */
export function thumbnailKey(source: ThumbnailSource, st: { readonly size: number; readonly mtimeMs: number }): string {
  const sha = source.sha256?.toLowerCase();
  const what = sha !== undefined && SHA256_HEX.test(sha) ? `sha256\0${sha}` : `file\0${source.path}\0${st.size}\0${st.mtimeMs}`;
  return createHash('sha256').update(`${KEY_VERSION}\0${what}`).digest('hex');
}

export class Thumbnails {
  private readonly cache: ThumbnailCache;
  private readonly queue = new RenderQueue(THUMB_RENDERS_AT_ONCE, THUMB_MAX_WAITING);
  /** Renders under way by key: two windows asking for the same photo share one. */
  private readonly inflight = new Map<string, Promise<Buffer | null>>();
  private readonly loadRenderer: () => Promise<RenderThumbnail>;
  private readonly maxInputBytes: number;
  private unavailableLogged = false;

  constructor(private readonly init: ThumbnailsInit) {
    this.cache = new ThumbnailCache(init.dir, init.maxCacheBytes ?? THUMB_CACHE_MAX_BYTES);
    this.loadRenderer = init.loadRenderer ?? loadSharpRenderer;
    this.maxInputBytes = init.maxInputBytes ?? THUMB_MAX_INPUT_BYTES;
  }

  /** The thumbnail JPEG for `source`, or null: no picture format, gone, changed, undecodable, too large or too busy. */
  async of(source: ThumbnailSource): Promise<Buffer | null> {
    if (!canThumbnail(source.path)) return null;
    let st;
    try {
      st = await stat(source.path);
    } catch {
      return null; // moved, deleted or unplugged
    }
    if (!st.isFile() || st.size !== source.size) return null;
    const key = thumbnailKey(source, st);
    const cached = await this.cache.get(key);
    if (cached?.kind === 'jpeg') return cached.bytes;

    let embedded: Buffer | null = null;
    if (isJpegName(source.path)) {
      const head = await readRange(source.path, Math.min(st.size, THUMB_EXIF_SCAN_BYTES));
      if (head === null) return null;
      embedded = exifThumbnail(head);
      // A turned photo's embedded thumbnail would show sideways: render it upright instead.
      if (embedded !== null && exifOrientation(head) === ORIENTATION_UPRIGHT) return embedded;
    }
    // Checked before anything is read whole or decoded.
    if (cached?.kind === 'undecodable' || st.size > this.maxInputBytes) return embedded;

    let render: RenderThumbnail;
    try {
      render = await this.loadRenderer();
    } catch (err) {
      this.noteUnavailable(err);
      if (embedded !== null || !isJpegName(source.path) || st.size > THUMB_INLINE_MAX_BYTES) return embedded;
      return readRange(source.path, st.size);
    }
    return (await this.rendered(key, source.path, st.size, render)) ?? embedded;
  }

  /** Stops taking renders and waits for the one running (before the ledger it logs to closes). */
  async close(): Promise<void> {
    await this.queue.close();
  }

  private rendered(key: string, path: string, size: number, render: RenderThumbnail): Promise<Buffer | null> {
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.queue
        .run(() => this.renderAndKeep(key, path, size, render))
        .catch(() => null) // queue full or closed: no thumbnail this time, and nothing recorded
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async renderAndKeep(key: string, path: string, size: number, render: RenderThumbnail): Promise<Buffer | null> {
    // Read here, not by sharp from the path: a read that fails (a phone unplugged) is no reason to
    // record the file as undecodable; only sharp refusing the bytes is.
    const input = await readRange(path, size);
    if (input === null) return null;
    let jpeg: Buffer;
    try {
      jpeg = await render(input);
    } catch {
      await this.cache.putUndecodable(key);
      return null;
    }
    await this.cache.putThumbnail(key, jpeg);
    return jpeg;
  }

  private noteUnavailable(err: unknown): void {
    if (this.unavailableLogged) return;
    this.unavailableLogged = true;
    const reason = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err).slice(0, 300);
    try {
      this.init.log?.('thumbnails:limited', { error: `the image library (sharp) did not load, so only thumbnails cameras embed are shown: ${reason}` });
    } catch {
      // the log is closing: the note is not worth an error
    }
  }
}

/** The first `length` bytes of the file, or null when it cannot be read or is shorter now. */
async function readRange(path: string, length: number): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buf, filled, length - filled, filled);
      if (bytesRead === 0) return null;
      filled += bytesRead;
    }
    return buf;
  } catch {
    return null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
