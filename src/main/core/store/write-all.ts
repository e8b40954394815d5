// Writing every byte of some buffers. A write may take fewer bytes than asked, so each writer
// loops until all are in; one buffer goes as a plain write, several as one writev (one trip
// through libuv's thread pool either way).

import type { FileHandle } from 'node:fs/promises';

/** Writes `pieces` in order at `position` (at the file's current position when null). */
export async function writeAll(handle: FileHandle, pieces: readonly Uint8Array[], position: number | null = null): Promise<void> {
  let rest = pieces.filter((piece) => piece.byteLength > 0);
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = rest.length === 1 ? await handle.write(rest[0]!, 0, rest[0]!.byteLength, at) : await handle.writev(rest, at ?? undefined);
    if (bytesWritten === 0) throw new Error('the disk accepted none of the bytes written');
    if (at !== null) at += bytesWritten;
    rest = afterBytes(rest, bytesWritten);
  }
}

/** What is left of `buffers` after their first `n` bytes (a short write). */
function afterBytes(buffers: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const buffer of buffers) {
    if (skip >= buffer.byteLength) {
      skip -= buffer.byteLength;
      continue;
    }
    out.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return out;
}
