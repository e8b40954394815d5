// What counts as a photo or a video on a phone or camera card, and which files belong together.
// A Live Photo is a still (HEIC or JPEG) and a short MOV with the same base name in the same
// folder; Android "motion photos" embed the video, so they are single files here.

import { extname, posix } from 'node:path';

export type MediaKind = 'photo' | 'video';

/** Phones (JPEG, HEIC, AVIF, DNG), screenshots and cameras, raw formats included: a file left out is not backed up. */
const PHOTO_EXTENSIONS = new Set([
  '.jpg', '.jpeg', '.heic', '.heif', '.avif', '.png', '.gif', '.webp', '.tif', '.tiff',
  '.dng', '.cr2', '.cr3', '.nef', '.nrw', '.arw', '.orf', '.rw2', '.raf', '.pef', '.srw',
]);
const VIDEO_EXTENSIONS = new Set(['.mov', '.mp4', '.m4v', '.3gp', '.avi', '.mts', '.m2ts', '.mkv', '.webm']);
/** Stills that a Live Photo's video pairs with. */
const LIVE_STILLS = new Set(['.heic', '.heif', '.jpg', '.jpeg']);
const LIVE_VIDEOS = new Set(['.mov']);

/** A photo or video by its extension, or null for anything else (thumbnails, databases, sidecars). */
export function mediaKind(name: string): MediaKind | null {
  const ext = extname(name).toLowerCase();
  if (PHOTO_EXTENSIONS.has(ext)) return 'photo';
  if (VIDEO_EXTENSIONS.has(ext)) return 'video';
  return null;
}

export interface SourceFile {
  /** Relative to the source root, POSIX separators ("DCIM/100APPLE/IMG_0001.HEIC"). */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly kind: MediaKind;
}

/**
 * Splits files into import groups: a Live Photo pair (still first, then its video) is one group,
 * every other file a group of its own. Order follows the input (the scan's sorted order).
 */
export function groupLivePhotos(files: readonly SourceFile[]): SourceFile[][] {
  const byStem = new Map<string, SourceFile[]>();
  for (const f of files) {
    const key = stemKey(f.path);
    const list = byStem.get(key);
    if (list === undefined) byStem.set(key, [f]);
    else list.push(f);
  }
  const groups: SourceFile[][] = [];
  const done = new Set<SourceFile>();
  for (const f of files) {
    if (done.has(f)) continue;
    const same = byStem.get(stemKey(f.path))!;
    const still = same.find((s) => LIVE_STILLS.has(extname(s.path).toLowerCase()));
    const video = same.find((s) => LIVE_VIDEOS.has(extname(s.path).toLowerCase()));
    if (same.length === 2 && still !== undefined && video !== undefined) {
      groups.push([still, video]);
      done.add(still).add(video);
    } else {
      groups.push([f]);
      done.add(f);
    }
  }
  return groups;
}

/** Folder plus base name without extension, case-folded (cameras and FAT disagree on case). */
function stemKey(path: string): string {
  const ext = posix.extname(path);
  return path.slice(0, path.length - ext.length).toLowerCase();
}
