// Delivery into a folder on the origin's own machine (often a cloud-synced one, which then carries
// the blobs home). Each blob lands as DIR/<blob-id>: no extension, exactly like the S3 key's last
// part, so `inswarm open` and `collect --folder` check the name against the bytes, and the file is
// still a plain age file (`age -d -i key.txt DIR/<blob-id> | tar -x`).
//
// Writing: a dot-prefixed temp file in the same folder (sync clients and `collect` skip dot
// files) → hash check → fsync → link to the final name (which fails rather than overwrite) →
// unlink the temp → fsync the folder. A final name therefore always holds a whole, verified blob.

import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fromFsError, InswarmError } from '../errors.js';
import { hashBlobFile, parseBlobId } from '../seal/blob-id.js';
import { fsyncDir } from '../store/fsync.js';
import type { DeliveryClient, DeliveryProof, HeadResult, UploadRequest } from './client.js';
import type { FolderEndpoint } from './endpoint.js';

/** Bytes copied per chunk, as for the other clients. */
const CHUNK_BYTES = 256 * 1024;
/** Temp files start with this; `collect --folder` ignores every dot file. */
export const FOLDER_TEMP_PREFIX = '.inswarm-';
/** Errors from link() on file systems without hard links (FAT, exFAT, some sync mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

export interface FolderClientOptions {
  /** The expected size of a blob, when the caller knows it: head() then calls a shorter file absent. */
  readonly sizeOf?: (blobId: string) => number | undefined;
}

/** Delivers blobs into one folder as DIR/<blob-id>. */
export class FolderClient implements DeliveryClient {
  readonly dir: string;

  constructor(
    endpoint: FolderEndpoint,
    private readonly options: FolderClientOptions = {},
  ) {
    this.dir = endpoint.path;
  }

  /** Present when DIR/<blob-id> is a regular file (of the expected size, when known). */
  async head(blobId: string, signal?: AbortSignal): Promise<HeadResult> {
    const id = parseBlobId(blobId);
    signal?.throwIfAborted();
    const size = await this.finalSize(id);
    if (size === null) return { present: false };
    const expected = this.options.sizeOf?.(id);
    return expected === undefined || expected === size ? { present: true, receipt: null } : { present: false };
  }

  /** Copies the blob in durably; an identical file already there counts as delivered. */
  async upload(request: UploadRequest): Promise<DeliveryProof> {
    const id = parseBlobId(request.blobId);
    const final = join(this.dir, id);
    // A missing folder is never created: it is most likely an unmounted drive or a sync folder
    // that moved, and blobs written to a stand-in on the local disk would go nowhere.
    const st = await lstat(this.dir).catch(() => null);
    if (st === null || !st.isDirectory()) {
      throw new InswarmError('E_DELIVERY_FAILED', `The delivery folder ${this.dir} is missing or not a folder: connect the drive or create the folder; delivery will be retried.`);
    }
    if ((await this.finalSize(id)) !== null) return this.alreadyThere(final, id, request.size);

    const temp = join(this.dir, `${FOLDER_TEMP_PREFIX}${id.slice(0, 16)}-${randomBytes(6).toString('hex')}.tmp`);
    let input: FileHandle | undefined;
    let output: FileHandle | undefined;
    try {
      input = await open(request.file, 'r');
      output = await open(temp, 'wx', 0o644);
      const sha = createHash('sha256');
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      let copied = 0;
      for (;;) {
        request.signal?.throwIfAborted();
        const { bytesRead } = await input.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) break;
        if (copied + bytesRead > request.size) break;
        const chunk = buffer.subarray(0, bytesRead);
        sha.update(chunk);
        await request.throttle?.(bytesRead);
        for (let offset = 0; offset < bytesRead; ) offset += (await output.write(chunk, offset, bytesRead - offset)).bytesWritten;
        copied += bytesRead;
        request.onProgress?.(copied);
      }
      // The same check every receiver makes: a damaged outbox copy must not become "delivered".
      if (copied !== request.size || sha.digest('hex') !== id) {
        throw new InswarmError('E_BLOB_HASH', `Blob ${id.slice(0, 12)}… does not hash to its name or has the wrong size here (${copied} of ${request.size} bytes): this copy is damaged and was not delivered.`);
      }
      await output.sync();
      await output.close();
      output = undefined;
      await this.publish(temp, final);
      await fsyncDir(this.dir);
    } catch (err) {
      await output?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      if (request.signal?.aborted) throw new InswarmError('E_ABORTED', 'The delivery to the folder was cancelled.', { cause: err });
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return this.alreadyThere(final, id, request.size);
      throw fromFsError(err, `delivering blob ${id.slice(0, 12)}… into ${this.dir}`);
    } finally {
      await input?.close().catch(() => undefined);
    }
    return { kind: 'folder', path: final };
  }

  /** Gives the verified temp file its final name without ever replacing an existing file. */
  private async publish(temp: string, final: string): Promise<void> {
    try {
      await link(temp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!NO_HARD_LINKS.has(code)) throw err;
      // No hard links here: rename, after checking the name is still free (we are its only writer).
      if ((await lstat(final).catch(() => null)) !== null) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      await rename(temp, final);
      return;
    }
    await rm(temp, { force: true });
  }

  /** The size of DIR/<id> when it is a regular file, else null. */
  private async finalSize(id: string): Promise<number | null> {
    try {
      const st = await lstat(join(this.dir, id));
      return st.isFile() ? st.size : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fromFsError(err, `checking ${join(this.dir, id)}`);
    }
  }

  /** DIR/<id> exists: delivered when it is this blob (same size and hash), else refused, never replaced. */
  private async alreadyThere(final: string, id: string, size: number): Promise<DeliveryProof> {
    const { blobId, size: actual } = await hashBlobFile(final);
    if (blobId !== id || actual !== size) {
      throw new InswarmError('E_DELIVERY_REFUSED', `${final} already exists with other content: Inswarm never overwrites a file; move it away and deliver again.`);
    }
    return { kind: 'folder', path: final };
  }
}
