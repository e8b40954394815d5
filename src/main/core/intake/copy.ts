// Copying one file off a source while hashing it, and re-hashing the copy to verify it. One read of
// the source (phones and cards are the slow side), reads overlapped with writes, and the copy's
// data is flushed to disk before it counts: a user may delete the photo from the phone next.

import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { EXIF_SCAN_BYTES } from '../limits.js';

/** Read size: large enough that a USB or MTP round trip is amortised, small enough to keep RSS flat. */
export const COPY_CHUNK_BYTES = 1024 * 1024;

export interface CopyResult {
  readonly sha256: string;
  readonly size: number;
  /** The first bytes, for the capture time (EXIF). */
  readonly head: Buffer;
}

/**
 * Copies `src` to the new file `dst` (created exclusively), hashing the bytes as they pass.
 * `onBytes` is told how many bytes went by. The copy is fsynced before this resolves.
 */
export async function copyHashing(src: string, dst: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<CopyResult> {
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
      writing = writeAll(output, chunk);
      size += bytesRead;
      onBytes(bytesRead);
    }
    await writing;
    await output.sync();
    return { sha256: hash.digest('hex'), size, head: head ?? Buffer.alloc(0) };
  } finally {
    await output?.close();
    await input.close();
  }
}

async function writeAll(out: FileHandle, chunk: Buffer): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await out.write(chunk, done, chunk.length - done);
    done += bytesWritten;
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

/** The first bytes of a file (for its capture time), or an empty buffer when it cannot be read. */
export async function readHead(path: string): Promise<Buffer> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(EXIF_SCAN_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}
