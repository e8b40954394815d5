// How far a download into a folder has come, told by the folder itself: the files and bytes in it,
// counted every few hundred milliseconds. gphoto2 says nothing usable while it runs (its output to
// a pipe is buffered until it exits), and a count of what has landed is the same on every OS.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Often enough for a moving bar, rare enough that walking a folder of thousands of files stays cheap. */
export const FOLDER_GROWTH_INTERVAL_MS = 500;
/** gphoto2 writes each file as "tmpfile" plus six random characters in its working folder, and renames it when complete. */
const IN_PROGRESS = /^tmpfile/;

/**
 * Files (not counting ones still being written) and their bytes under `dir`; 0 for a folder that is
 * gone. `sizes` remembers files counted before: a file gphoto2 has renamed into place is complete,
 * so it is not stat'ed again, and a watch over a 50,000-file download only stats what is new.
 */
export async function folderTotals(dir: string, sizes: Map<string, number> = new Map()): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (at: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(at, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile() && !IN_PROGRESS.test(e.name)) {
        let size = sizes.get(path);
        if (size === undefined) {
          try {
            size = (await lstat(path)).size;
          } catch {
            continue; // gone between the listing and the stat
          }
          sizes.set(path, size);
        }
        bytes += size;
        files++;
      }
    }
  };
  await walk(dir);
  return { files, bytes };
}

/**
 * Calls `onTotals` with the folder's totals every `intervalMs` until stop(), which counts once more,
 * so the last call has the final figures. A tick that comes while a count runs is skipped.
 */
export function watchFolderGrowth(dir: string, onTotals: (files: number, bytes: number) => void, intervalMs = FOLDER_GROWTH_INTERVAL_MS): { stop(): Promise<void> } {
  const sizes = new Map<string, number>();
  let running: Promise<void> | null = null;
  const count = (): Promise<void> =>
    (running ??= folderTotals(dir, sizes)
      .then((t) => onTotals(t.files, t.bytes))
      .finally(() => {
        running = null;
      }));
  const timer = setInterval(() => void count(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await count();
    },
  };
}
