// A small real file system (tmpfs) for full-disk tests. Mounting needs root: CI runs as root;
// elsewhere the caller says so loudly instead of passing silently.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.js';

export const IS_ROOT = process.getuid?.() === 0;

/** Prints why a root-only test did not run, so a skipped check is never mistaken for a pass. */
export function warnNotRoot(what: string): void {
  console.warn(`\n*** NOT RUN: ${what} needs root (mount); run the tests as root (CI does). ***\n`);
}

/** Mounts a tmpfs of `bytes` at a fresh folder, runs `fn`, then unmounts and removes it. */
export async function withTmpfs<T>(bytes: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'inswarm-tmpfs-'));
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  if (mounted.code !== 0) throw new Error(`mount tmpfs failed: ${mounted.stderr}`);
  try {
    return await fn(dir);
  } finally {
    await run('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
}
