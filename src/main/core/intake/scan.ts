// Walks a source's DCIM folder and lists its photos and videos. Bounded: a hostile or damaged card
// (a directory loop on a FUSE mount, millions of entries) cannot make us walk forever.

import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { fromFsError, InswarmError } from '../errors.js';
import { mediaKind, type SourceFile } from './media.js';

/** DCIM/<camera folder>/<file> is two levels; Android apps nest a few more. Deeper is not a camera. */
export const SCAN_MAX_DEPTH = 8;
/** More media files than this on one source is not a phone (the largest phones hold ~200 000). */
export const SCAN_MAX_FILES = 1_000_000;

/** Where the camera folder of a volume is: DCIM at its root, or one level down (MTP storages). */
export async function findDcim(root: string): Promise<string | null> {
  const here = await dcimIn(root);
  if (here !== null) return here;
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const below = await dcimIn(join(root, e.name));
    if (below !== null) return below;
  }
  return null;
}

async function dcimIn(dir: string): Promise<string | null> {
  let names;
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const name = names.find((n) => n.toUpperCase() === 'DCIM');
  if (name === undefined) return null;
  try {
    return (await lstat(join(dir, name))).isDirectory() ? join(dir, name) : null;
  } catch {
    return null;
  }
}

/**
 * Lists the photos and videos under `dcim`, paths relative to `root`, sorted so every run sees the
 * same order. Hidden entries (.thumbnails, .trashed-*, macOS "._" files) and symlinks are skipped;
 * empty files are listed (the importer reports them).
 */
export async function scanMedia(root: string, dcim: string, signal?: AbortSignal): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const rootPrefix = root.endsWith('/') || root.endsWith('\\') ? root : `${root}${root.includes('\\') && !root.includes('/') ? '\\' : '/'}`;
  const walk = async (dir: string, depth: number): Promise<void> => {
    signal?.throwIfAborted();
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw fromFsError(err, `reading the folder ${dir}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < SCAN_MAX_DEPTH) await walk(full, depth + 1);
        continue;
      }
      if (!e.isFile()) continue;
      const kind = mediaKind(e.name);
      if (kind === null) continue;
      let st;
      try {
        st = await lstat(full);
      } catch {
        continue; // gone between listing and stat: it is no longer on the source
      }
      if (files.length >= SCAN_MAX_FILES) {
        throw new InswarmError('E_IO', `${root} lists more than ${SCAN_MAX_FILES} photos and videos, which no phone or camera holds: check that it is the right source.`);
      }
      const rel = full.startsWith(rootPrefix) ? full.slice(rootPrefix.length) : full;
      files.push({ path: rel.split(/[\\/]/).join(posix.sep), size: st.size, mtimeMs: Math.floor(st.mtimeMs), kind });
    }
  };
  await walk(dcim, 0);
  return files;
}
