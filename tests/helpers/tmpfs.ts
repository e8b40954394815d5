// A tiny real filesystem that fills up, for "full disk" tests. Needs root (mount); CI and the dev
// container run as root. Elsewhere the test is skipped with a loud warning instead of failing.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function canMountTmpfs(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

/** Runs `fn` with a fresh tmpfs of `size` (e.g. '2m') mounted at a temp folder; unmounts afterwards. */
export async function withTmpfs(size: string, fn: (dir: string) => Promise<void>): Promise<boolean> {
  if (!canMountTmpfs()) {
    console.warn(
      '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' +
        '!!! NOT RUN: the full-disk test needs root to mount a tmpfs. Run it as root  !!!\n' +
        '!!! (CI does) before trusting disk-full handling.                           !!!\n' +
        '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n',
    );
    return false;
  }
  const dir = await mkdtemp(join(tmpdir(), 'inswarm-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  try {
    await fn(dir);
  } finally {
    execFileSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
  return true;
}
