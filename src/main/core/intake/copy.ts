// Copying one file off a source while hashing it, and re-hashing the copy to verify it. One read of
// the source (phones and cards are the slow side), reads overlapped with writes, and the copy's
// data is flushed to disk before it counts: a user may delete the photo from the phone next.
// The re-hash of the copy runs on a worker thread (VerifyHasher), so on a laptop's second core it
// overlaps the next file's copy instead of doubling the time spent hashing on the main thread.

import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { EXIF_SCAN_BYTES } from '../limits.js';
import { writeAll } from '../store/write-all.js';

/** Read size: large enough that a USB or MTP round trip is amortised, small enough to keep RSS flat. */
export const COPY_CHUNK_BYTES = 1024 * 1024;
/**
 * Read size when verifying a copy on the local disk. 1 MiB stays in the CPU cache between the read
 * and the hash; 4 MiB measured more CPU per byte (and 4 MiB copy chunks too) on a 2-core VM.
 */
export const VERIFY_CHUNK_BYTES = 1024 * 1024;

export interface CopyResult {
  readonly sha256: string;
  readonly size: number;
  /** The first bytes, for the capture time (EXIF). */
  readonly head: Buffer;
}

/**
 * Copies `src` to the new file `dst` (created exclusively), hashing the bytes as they pass.
 * `onBytes` is told how many bytes went by. With `mtimeMs` the copy gets that modification time
 * (set on the open file, so the same fsync covers it). The copy is fsynced before this resolves.
 */
export async function copyHashing(
  src: string,
  dst: string,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
  mtimeMs?: number,
): Promise<CopyResult> {
  const input = await open(src, 'r');
  let output: FileHandle | null = null;
  try {
    output = await open(dst, 'wx', 0o644);
    const hash = createHash('sha256');
    const buffers = [Buffer.allocUnsafe(COPY_CHUNK_BYTES), Buffer.allocUnsafe(COPY_CHUNK_BYTES)];
    let head: Buffer | null = null;
    let size = 0;
    let turn = 0;
    let pending = input.read(buffers[0]!, 0, COPY_CHUNK_BYTES, null);
    let writing: Promise<unknown> = Promise.resolve();
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      signal?.throwIfAborted();
      const chunk = buffers[turn]!.subarray(0, bytesRead);
      if (head === null) head = Buffer.from(chunk.subarray(0, EXIF_SCAN_BYTES));
      hash.update(chunk);
      // The buffer about to be refilled is the one the last write used: wait for that write.
      await writing;
      turn ^= 1;
      pending = input.read(buffers[turn]!, 0, COPY_CHUNK_BYTES, null);
      writing = writeAll(output, [chunk]);
      size += bytesRead;
      onBytes(bytesRead);
    }
    await writing;
    if (mtimeMs !== undefined) await output.utimes(new Date(), new Date(mtimeMs));
    await output.sync();
    return { sha256: hash.digest('hex'), size, head: head ?? Buffer.alloc(0) };
  } finally {
    await output?.close();
    await input.close();
  }
}

/** SHA-256 and size of a file, read in large chunks. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES * 4);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

// Plain JS evaluated in the worker (no file to locate at run time, in dist or under the test runner):
// hashes whole files named by the main thread, reading them itself, so no bytes cross threads.
const VERIFY_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const buffer = Buffer.allocUnsafe(workerData.chunk);
parentPort.on('message', ({ id, path }) => {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
    parentPort.postMessage({ id, sha256: hash.digest('hex'), size });
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message), code: err && err.code } });
  } finally {
    if (fd !== -1) try { closeSync(fd); } catch {}
  }
});
`;

/**
 * Hashes files on a worker thread (SHA-256 and size, like hashFile), one at a time in the order
 * asked. Used to verify library copies while the main thread copies and hashes the next file.
 * close() when done: the worker keeps the process alive.
 */
export class VerifyHasher {
  private readonly worker = new Worker(VERIFY_WORKER_SOURCE, { eval: true, workerData: { chunk: VERIFY_CHUNK_BYTES } });
  private readonly waiting = new Map<number, { path: string; resolve: (r: { sha256: string; size: number }) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor() {
    this.worker.on('message', (m: { id: number; sha256?: string; size?: number; error?: { message: string; code?: string } }) => {
      const w = this.waiting.get(m.id);
      if (w === undefined) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.reject(Object.assign(new Error(m.error.message), m.error.code === undefined ? {} : { code: m.error.code }));
      else w.resolve({ sha256: m.sha256!, size: m.size! });
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('The verifying thread stopped.')));
  }

  hash(path: string): Promise<{ sha256: string; size: number }> {
    if (this.failure !== null) return hashFile(path); // the thread died: verify on this one
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { path, resolve, reject });
      this.worker.postMessage({ id, path });
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('The verifying thread was closed.');
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    // Whatever was queued is verified here instead: a dead thread is no reason to fail an import.
    for (const w of this.waiting.values()) hashFile(w.path).then(w.resolve, w.reject);
    this.waiting.clear();
  }
}
