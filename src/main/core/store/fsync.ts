// The two durability steps every writer in the core needs (habit 8: temp → fsync → rename → fsync
// the folder). A rename is only durable once the folder holding the new name is flushed too.
// On macOS libuv's fsync is F_FULLFSYNC, so these reach the platters there as well.

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromFsError } from '../errors.js';

/** Flushes a folder's entries (a create, rename or unlink in it) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a folder for flushing; NTFS journals its metadata itself.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `data` so that after a crash it holds either the old or the new content,
 * never a mix, and the new content is on disk when this resolves. Leaves no temp file on failure.
 */
export async function writeFileDurable(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await fsyncDir(dir);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw fromFsError(err, `saving ${basename(file)}`);
  }
}
