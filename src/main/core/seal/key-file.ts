// Destination key files: age's own key-file format, so `age -d -i FILE` reads them too. Created
// with mode 0600 and never overwritten; read with a size cap before parsing.

import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromFsError, InswarmError } from '../errors.js';
import { MAX_IDENTITY_FILE_BYTES } from '../limits.js';
import { fsyncDir } from '../store/fsync.js';
import { formatIdentityFile, generateIdentity, parseIdentityFile, type X25519Identity } from './age-keys.js';

/** Writes a new key to `path` (which must not exist) durably; returns its recipient (age1…). */
export async function createKeyFile(path: string): Promise<string> {
  const { identity, recipient } = await generateIdentity();
  try {
    // 'wx': fail if the file exists; a key is never overwritten.
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(formatIdentityFile(identity, recipient));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsyncDir(dirname(path));
  } catch (err) {
    throw fromFsError(err, `writing the key file ${path}`);
  }
  return recipient;
}

/** Reads an age identity file, refusing anything too large to be one. */
export async function readKeyFile(path: string): Promise<X25519Identity[]> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    throw fromFsError(err, `reading the key file ${path}`);
  }
  if (text.length > MAX_IDENTITY_FILE_BYTES) {
    throw new InswarmError('E_BAD_IDENTITY', `${path} is too large to be an age key file: pass the file made by "inswarm keygen".`);
  }
  return parseIdentityFile(text.toString('utf8'));
}
