// Opening: blob → SHA-256 check → age decrypt → tar → files. Nothing is placed in the output
// folder until the whole blob authenticated, the archive ended cleanly and every file matched its
// recorded hash: entries are written to temp files first and linked into place at the very end,
// so a forged, truncated or unsafe blob leaves nothing behind.

import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, rm, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fromFsError, InswarmError } from '../errors.js';
import { fsyncDir } from '../store/fsync.js';
import { AgeDecryptor } from './age-file.js';
import type { X25519Identity } from './age-keys.js';
import { RECORD_PREFIX } from './seal.js';
import { TarDecoder, type TarEvent } from './tar-codec.js';

const READ_SIZE = 1024 * 1024;
const TEMP_PREFIX = '.inswarm-open-';
/** Most "name (n)" suffixes tried before giving up on finding a free name. */
const MAX_NAME_SUFFIX = 10_000;

/** One file taken out of a blob. */
export interface OpenedFile {
  /** Path inside the archive (after safety normalisation). */
  readonly archivePath: string;
  /** Where it landed, relative to the output folder; null when `place` skipped it. */
  readonly placedAt: string | null;
  readonly size: number;
  readonly sha256: string;
  readonly mtimeMs: number;
  readonly capturedAt: string | null;
}

export interface OpenResult {
  readonly blobId: string;
  readonly origin: string | null;
  readonly files: readonly OpenedFile[];
}

export interface OpenOptions {
  readonly identities: readonly X25519Identity[];
  /** When set, the blob's SHA-256 must equal it (the blob's name). */
  readonly expectedId?: string;
  /**
   * Chooses the path (relative to the output folder) for each authenticated file, or null to skip
   * it (e.g. already in the library). Defaults to the archive path. Called only after the whole
   * blob verified; a collision is still resolved with a " (n)" suffix, never by overwriting.
   */
  readonly place?: (file: Omit<OpenedFile, 'placedAt'>) => string | null | Promise<string | null>;
  readonly signal?: AbortSignal;
}

interface PendingFile {
  archivePath: string;
  size: number;
  mtimeMs: number;
  mode: number;
  tempPath: string;
  handle: FileHandle | null;
  hash: ReturnType<typeof createHash>;
  sha256: string;
}

/** Verifies, decrypts and extracts `blobPath` into `outDir` (created if missing). */
export async function openBlob(blobPath: string, outDir: string, options: OpenOptions): Promise<OpenResult> {
  const createdOut = await ensureDir(outDir);
  const pending: PendingFile[] = [];
  let current: PendingFile | null = null;
  const globals: Record<string, string> = {};
  let ok = false;
  try {
    const blobHash = createHash('sha256');
    const age = new AgeDecryptor(options.identities);
    const tar = new TarDecoder();

    const handleEvents = async (events: TarEvent[]): Promise<void> => {
      for (const event of events) {
        switch (event.type) {
          case 'global':
            Object.assign(globals, event.records);
            break;
          case 'file': {
            const tempPath = join(outDir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
            current = { archivePath: event.path, size: event.size, mtimeMs: event.mtimeMs, mode: event.mode, tempPath, handle: null, hash: createHash('sha256'), sha256: '' };
            pending.push(current);
            current.handle = await open(tempPath, 'wx', 0o600);
            break;
          }
          case 'data':
            current!.hash.update(event.chunk);
            await current!.handle!.write(event.chunk);
            break;
          case 'file-end': {
            const file = current!;
            file.sha256 = file.hash.digest('hex');
            await file.handle!.sync();
            await file.handle!.close();
            file.handle = null;
            current = null;
            break;
          }
        }
      }
    };
    const feed = async (plain: Buffer[]): Promise<void> => {
      for (const chunk of plain) await handleEvents(tar.write(chunk));
    };

    const input = await openForRead(blobPath);
    let blobId: string;
    try {
      const buffer = Buffer.allocUnsafe(READ_SIZE);
      let failure: unknown = null;
      for (;;) {
        options.signal?.throwIfAborted();
        const { bytesRead } = await input.read(buffer, 0, READ_SIZE, null);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        blobHash.update(chunk);
        if (failure !== null) continue;
        try {
          await feed(age.write(chunk));
        } catch (err) {
          // With a name to check, keep hashing: "this blob is not what its name says" is the
          // more useful verdict for a copy that was altered, and it costs only the rest of a read.
          if (options.expectedId === undefined) throw err;
          failure = err;
        }
      }
      blobId = blobHash.digest('hex');
      if (options.expectedId !== undefined && blobId !== options.expectedId) {
        throw new InswarmError('E_BLOB_HASH', `The blob's bytes hash to ${blobId.slice(0, 12)}…, not to its name ${options.expectedId.slice(0, 12)}…: it was altered or damaged; fetch another copy.`, { cause: failure ?? undefined });
      }
      if (failure !== null) throw failure;
    } finally {
      await input.close();
    }
    await feed(age.end());
    await handleEvents(tar.end());

    const opened = describe(pending, globals);
    const files: OpenedFile[] = [];
    for (const [i, file] of opened.entries()) {
      const target = options.place ? await options.place(file) : file.archivePath;
      const placedAt = target === null ? null : await placeWithoutOverwrite(pending[i]!, outDir, target);
      files.push({ ...file, placedAt });
    }
    ok = true;
    await fsyncDir(outDir);
    return { blobId, origin: globals[`${RECORD_PREFIX}origin`] ?? null, files };
  } catch (err) {
    throw fromFsError(err, `opening ${blobPath}`);
  } finally {
    for (const file of pending) {
      await file.handle?.close().catch(() => undefined);
      await unlink(file.tempPath).catch(() => undefined);
    }
    // Only folders this call created, and only once emptied of our temp files above.
    if (!ok && createdOut !== undefined) await rm(createdOut, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Checks each file against the manifest's hash and attaches its capture time. */
function describe(pending: readonly PendingFile[], globals: Record<string, string>): Omit<OpenedFile, 'placedAt'>[] {
  return pending.map((file, i) => {
    const recorded = globals[`${RECORD_PREFIX}file.${i}.sha256`];
    if (recorded !== undefined && recorded !== file.sha256) {
      throw new InswarmError('E_TAR_HASH', `${file.archivePath} does not match the SHA-256 recorded when it was sealed: the blob was built wrongly or altered before sealing.`);
    }
    return {
      archivePath: file.archivePath,
      size: file.size,
      sha256: file.sha256,
      mtimeMs: file.mtimeMs,
      capturedAt: globals[`${RECORD_PREFIX}file.${i}.captured`] ?? null,
    };
  });
}

/**
 * Links the temp file to `target` (or "target (n)" if taken): link() fails on an existing name,
 * so two restores racing for one name can never overwrite each other. Restores mtime and mode.
 */
async function placeWithoutOverwrite(file: PendingFile, outDir: string, target: string): Promise<string> {
  const ext = extname(target);
  const stem = target.slice(0, target.length - ext.length);
  await mkdir(dirname(join(outDir, target)), { recursive: true });
  for (let n = 1; n <= MAX_NAME_SUFFIX; n++) {
    const candidate = n === 1 ? target : `${stem} (${n})${ext}`;
    const finalPath = join(outDir, candidate);
    try {
      await linkOrCopyExclusive(file.tempPath, finalPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    // Permission bits only: never restore setuid/setgid/sticky from an archive.
    await chmod(finalPath, file.mode & 0o777);
    await utimes(finalPath, new Date(), new Date(file.mtimeMs));
    await fsyncDir(dirname(finalPath));
    return candidate;
  }
  throw new InswarmError('E_EXISTS', `Could not find a free name for ${target} in ${outDir}: clean up the folder.`);
}

/** link(), or on file systems without hard links (FAT, exFAT, some network shares) an exclusive copy. */
async function linkOrCopyExclusive(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await copyFile(from, to, fsConstants.COPYFILE_EXCL);
  }
}

/** Creates `dir` and missing parents; returns the first folder created (to remove on failure), if any. */
async function ensureDir(dir: string): Promise<string | undefined> {
  try {
    return await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fromFsError(err, `creating ${dir}`);
  }
}

async function openForRead(path: string): Promise<FileHandle> {
  try {
    const handle = await open(path, 'r');
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new InswarmError('E_NOT_A_FILE', `${path} is not a blob file.`);
    }
    return handle;
  } catch (err) {
    throw fromFsError(err, `opening ${path}`);
  }
}
