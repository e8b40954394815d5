// Sealing: files → pax tar → age (X25519) → SHA-256 of the ciphertext, streamed into a file handle
// the caller owns. Memory is constant in file size: one read buffer and one age chunk.
//
// Blob layout (the plaintext tar): a leading pax global header carries Inswarm's records
// (INSWARM.origin, and per file INSWARM.file.<i>.sha256 / .captured), then one regular-file entry
// per input (base name, mtime, permission bits). The records sit in a *global* header because GNU
// tar extracts those silently, while it warns about unknown keywords in per-file headers; a
// leading one, because Python's tarfile rejects a trailing one. The per-file hashes therefore
// have to be known before the blob starts: they come from the caller (the importer hashed the
// file while copying it) or from a read-ahead pass here.

import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { fromFsError, InswarmError } from '../errors.js';
import { EXIF_SCAN_BYTES, SEAL_MAX_FILES } from '../limits.js';
import { AgeEncryptor } from './age-file.js';
import { ParallelSha256 } from './parallel-hash.js';
import { captureTimeOfPath } from './capture-time-file.js';
import { encodeEnd, encodeFileHeader, encodeGlobalHeader, encodePadding } from './tar-codec.js';
import { writeAll } from '../store/write-all.js';

/** Read size for sealing: large enough to amortise syscalls, small enough to keep RSS flat. */
const READ_SIZE = 512 * 1024;
/**
 * Written bytes after which a background datasync starts. The caller fsyncs the blob before
 * acknowledging it; flushing as we go lets the disk work while the cipher does, so that final
 * fsync only waits for the tail instead of the whole blob.
 */
const WRITE_BEHIND_BYTES = 32 * 1024 * 1024;
/** Inswarm's record namespace inside the blob's tar. */
export const RECORD_PREFIX = 'INSWARM.';
export const BLOB_FORMAT_VERSION = '1';

/** One file to seal. `sha256` and `capturedAt` may be supplied when already known. */
export interface SealInput {
  readonly path: string;
  readonly sha256?: string;
  readonly capturedAt?: string;
}

/** What went into a blob, for the ledger and the UI (never shown to holders). */
export interface SealedFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly capturedAt: string | null;
  readonly mtimeMs: number;
}

export interface SealResult {
  readonly blobId: string;
  readonly size: number;
  readonly files: readonly SealedFile[];
  readonly plaintextBytes: number;
}

export interface SealOptions {
  /** X25519 recipients (raw 32-byte keys; see parseRecipient). */
  readonly recipients: readonly Buffer[];
  /** This device's ID, recorded so a destination knows where a file came from. */
  readonly originDeviceId: string;
  readonly signal?: AbortSignal;
}

interface PreparedFile {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly mode: number;
  sha256: string;
  capturedAt: string | null;
}

/**
 * Seals `inputs` into one blob written to `out` from its current end. Returns the blob ID (the
 * SHA-256 of every byte written). Inputs are validated before the first byte is written.
 */
export async function sealFiles(inputs: readonly SealInput[], out: FileHandle, options: SealOptions): Promise<SealResult> {
  if (inputs.length === 0) throw new InswarmError('E_USAGE', 'Nothing to seal: name at least one file.');
  if (inputs.length > SEAL_MAX_FILES) throw new InswarmError('E_USAGE', `At most ${SEAL_MAX_FILES} files go into one blob: seal them in several.`);
  const files = await prepare(inputs, options.signal);

  // The blob ID hash runs on a worker thread and the file writes stay one step behind the
  // cipher, so reading, encrypting, hashing and writing overlap (see parallel-hash.ts).
  const blobHash = new ParallelSha256();
  let blobSize = 0;
  // One batch is being written while the next is encrypted, and the hash runs on another core.
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  const settleWrite = async (): Promise<void> => {
    await writing;
    if (writeError !== null) throw writeError;
  };
  // At most one background datasync at a time; its failure fails the seal like a write's would.
  let flushing: Promise<void> | null = null;
  let unflushed = 0;
  const emit = async (pieces: Buffer[]): Promise<void> => {
    if (pieces.length === 0) return;
    let bytes = 0;
    for (const piece of pieces) bytes += piece.length;
    blobSize += bytes;
    await blobHash.update(pieces);
    await settleWrite();
    if (unflushed >= WRITE_BEHIND_BYTES && flushing === null) {
      unflushed = 0;
      flushing = out.datasync().then(
        () => { flushing = null; },
        (err: unknown) => { writeError ??= err; flushing = null; },
      );
    }
    unflushed += bytes;
    writing = writeAll(out, pieces).catch((err: unknown) => {
      writeError = err;
    });
  };

  let blobId: string;
  let plaintextBytes = 0;
  try {
    const age = new AgeEncryptor(options.recipients);
    await emit(age.begin());
    await emit(age.push(encodeGlobalHeader(manifestRecords(files, options.originDeviceId))));
    const buffers = [Buffer.allocUnsafe(READ_SIZE), Buffer.allocUnsafe(READ_SIZE)];
    for (const file of files) {
      await emit(age.push(encodeFileHeader({ name: file.name, size: file.size, mtimeMs: file.mtimeMs, mode: file.mode })));
      await streamFile(file, buffers, options.signal, (chunk) => emit(age.push(chunk)));
      await emit(age.push(encodePadding(file.size)));
      plaintextBytes += file.size;
    }
    await emit(age.push(encodeEnd()));
    await emit(age.final());
    await flushing;
    await settleWrite();
    blobId = await blobHash.digest();
  } catch (err) {
    await blobHash.abort();
    await writing;
    await flushing;
    throw fromFsError(err, 'writing the blob');
  }
  return {
    blobId,
    size: blobSize,
    plaintextBytes,
    files: files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, capturedAt: f.capturedAt, mtimeMs: f.mtimeMs })),
  };
}

/** The records of the leading global header (see the layout note at the top). */
function manifestRecords(files: readonly PreparedFile[], origin: string): Record<string, string> {
  const records: Record<string, string> = {
    [`${RECORD_PREFIX}format`]: BLOB_FORMAT_VERSION,
    [`${RECORD_PREFIX}origin`]: origin,
    [`${RECORD_PREFIX}files`]: String(files.length),
  };
  files.forEach((f, i) => {
    records[`${RECORD_PREFIX}file.${i}.sha256`] = f.sha256;
    if (f.capturedAt !== null) records[`${RECORD_PREFIX}file.${i}.captured`] = f.capturedAt;
  });
  return records;
}

/** Validates every input, gives each a unique base name, and fills in hash and capture time. */
async function prepare(inputs: readonly SealInput[], signal?: AbortSignal): Promise<PreparedFile[]> {
  const files: PreparedFile[] = [];
  const taken = new Set<string>();
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input.path);
    } catch (err) {
      throw fromFsError(err, `reading ${input.path}`);
    }
    if (!info.isFile()) throw new InswarmError('E_NOT_A_FILE', `${input.path} is not a regular file: seal files, not folders or devices.`);
    if (input.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(input.sha256)) throw new Error(`sealFiles: bad sha256 for ${input.path}`);
    files.push({
      path: input.path,
      name: uniqueName(basename(input.path), taken),
      size: info.size,
      mtimeMs: Math.floor(info.mtimeMs),
      mode: info.mode & 0o777,
      sha256: input.sha256 ?? '',
      capturedAt: input.capturedAt ?? null,
    });
  }
  const buffers = [Buffer.allocUnsafe(READ_SIZE), Buffer.allocUnsafe(READ_SIZE)];
  for (const file of files) {
    if (file.sha256 !== '' && file.capturedAt !== null) continue;
    const hash = createHash('sha256');
    let head: Buffer | null = null;
    await streamFile(file, buffers, signal, async (chunk) => {
      if (head === null) head = Buffer.from(chunk.subarray(0, EXIF_SCAN_BYTES));
      hash.update(chunk);
    });
    if (file.sha256 === '') file.sha256 = hash.digest('hex');
    // EXIF in the head; a HEIC's Exif item or a video's moov (often at the end) is read on demand.
    if (file.capturedAt === null && head !== null) file.capturedAt = await captureTimeOfPath(file.path, head);
  }
  return files;
}

/** Two files with one base name would overwrite each other under `tar -x`: suffix the later ones. */
function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 2; taken.has(candidate); n++) candidate = `${stem} (${n})${ext}`;
  taken.add(candidate);
  return candidate;
}

/**
 * Reads a file in READ_SIZE chunks, reading ahead while the consumer works. Fails if the file
 * changed size or mtime since it was prepared: its recorded hash would no longer match.
 */
async function streamFile(file: PreparedFile, buffers: Buffer[], signal: AbortSignal | undefined, consume: (chunk: Buffer) => Promise<void>): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, 'r');
  } catch (err) {
    throw fromFsError(err, `opening ${file.path}`);
  }
  try {
    const changed = () => new InswarmError('E_IO', `${file.path} changed while it was being sealed: seal it again once it is no longer being written.`);
    const before = await handle.stat();
    if (before.size !== file.size || Math.floor(before.mtimeMs) !== file.mtimeMs) throw changed();
    let position = 0;
    let turn = 0;
    let pending = readChunk(handle, buffers[turn]!, position, file.size);
    while (position < file.size) {
      const n = await pending;
      if (n === 0) throw changed();
      position += n;
      const chunk = buffers[turn]!.subarray(0, n);
      turn ^= 1;
      pending = position < file.size ? readChunk(handle, buffers[turn]!, position, file.size) : Promise.resolve(0);
      signal?.throwIfAborted();
      await consume(chunk);
    }
    const after = await handle.stat();
    if (after.size !== file.size || Math.floor(after.mtimeMs) !== file.mtimeMs) throw changed();
  } catch (err) {
    throw fromFsError(err, `reading ${file.path}`);
  } finally {
    await handle.close();
  }
}

async function readChunk(handle: FileHandle, buffer: Buffer, position: number, size: number): Promise<number> {
  const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
  return bytesRead;
}

