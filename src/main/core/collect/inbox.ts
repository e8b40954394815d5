// Where `collect` takes blobs from: an S3 prefix (s3-inbox.ts) or a folder (below). Each object's
// name must be a blob ID; the collector checks that and the bytes, an inbox only lists, fetches
// and deletes.

import { lstat, opendir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fromFsError } from '../errors.js';
import { fsyncDir } from '../store/fsync.js';

export interface InboxObject {
  /** The inbox's own name for it (an S3 key, a file name): the `collected` table's key. */
  readonly key: string;
  /** The last part of the key, which should be a blob ID. */
  readonly name: string;
  readonly size: number;
}

/** A local file holding an object's bytes; release() removes it when it was a download. */
export interface FetchedObject {
  readonly path: string;
  release(): Promise<void>;
}

export interface Inbox {
  /** A stable name for the `collected` table (e.g. s3://bucket/prefix, folder:/abs/path). */
  readonly source: string;
  /** Every object directly in the inbox, page by page. */
  list(signal?: AbortSignal): AsyncIterable<InboxObject>;
  /** The object's bytes as a local file (downloaded into `workDir` when remote). */
  fetch(object: InboxObject, workDir: string, signal?: AbortSignal): Promise<FetchedObject>;
  /** Deletes the object from the inbox. */
  remove(object: InboxObject, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** A folder of blobs, e.g. one a folder destination or a sync client filled. */
export class FolderInbox implements Inbox {
  readonly dir: string;
  readonly source: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.source = `folder:${this.dir}`;
  }

  /** Regular files only; dot files (temp files of an interrupted delivery, .DS_Store…) are skipped. */
  async *list(signal?: AbortSignal): AsyncIterable<InboxObject> {
    let dir;
    try {
      dir = await opendir(this.dir);
    } catch (err) {
      throw fromFsError(err, `reading the inbox folder ${this.dir}`);
    }
    for await (const entry of dir) {
      signal?.throwIfAborted();
      if (entry.name.startsWith('.') || !entry.isFile()) continue;
      const st = await lstat(join(this.dir, entry.name)).catch(() => null);
      if (st === null || !st.isFile()) continue;
      yield { key: entry.name, name: entry.name, size: st.size };
    }
  }

  /** Opened in place: the collector verifies the bytes as it reads them. */
  async fetch(object: InboxObject): Promise<FetchedObject> {
    return { path: join(this.dir, object.key), release: async () => undefined };
  }

  async remove(object: InboxObject): Promise<void> {
    try {
      await unlink(join(this.dir, object.key));
      await fsyncDir(this.dir);
    } catch (err) {
      throw fromFsError(err, `deleting ${object.key} from ${this.dir}`);
    }
  }

  close(): void {}
}
