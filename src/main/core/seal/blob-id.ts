// A blob's name is the SHA-256 of its bytes (promise 2: holders cannot alter a blob unnoticed).

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fromFsError, InswarmError } from '../errors.js';
import { BLOB_ID_PATTERN } from '../limits.js';

const READ_SIZE = 1024 * 1024;

/** Validates a blob ID typed or received from anywhere; returns it lowercased. */
export function parseBlobId(text: string): string {
  const id = text.trim().toLowerCase();
  if (!BLOB_ID_PATTERN.test(id)) {
    throw new InswarmError('E_BLOB_ID', `"${text.slice(0, 80)}" is not a blob ID: a blob ID is 64 hexadecimal characters (the SHA-256 of the blob).`);
  }
  return id;
}

/** Streams a file through SHA-256 and returns its blob ID and size. */
export async function hashBlobFile(path: string): Promise<{ blobId: string; size: number }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fromFsError(err, `reading ${path}`);
  }
  try {
    if (!(await handle.stat()).isFile()) throw new InswarmError('E_NOT_A_FILE', `${path} is not a blob file.`);
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { blobId: hash.digest('hex'), size };
  } catch (err) {
    throw fromFsError(err, `reading ${path}`);
  } finally {
    await handle.close();
  }
}
