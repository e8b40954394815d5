// A PTP camera has no folder to import from: its photos and videos are downloaded into a folder of
// the library's staging area first, laid out as on the camera, and that folder is imported like a
// card. The one place the CLI and the app do this; the folder is removed once an import of it has
// finished, and kept (its files are skipped by the next download) when one stopped.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadForImport, type DownloadOptions, type DownloadResult, type PtpCamera } from './gphoto2.js';
import { STAGING_DIR, type ImportSourceRef } from './importer.js';

/** Where the camera `sourceId` is downloaded to, in `library`. */
export function cameraStagingDir(library: string, sourceId: string): string {
  return join(library, STAGING_DIR, sourceId);
}

/**
 * Downloads what an import of `mode` needs from `camera` (see downloadForImport; `known` is what was
 * imported from it before) and returns the source to import instead of the camera.
 */
export async function stageCamera(
  camera: PtpCamera,
  ref: ImportSourceRef,
  library: string,
  mode: 'new' | 'all',
  known: ReadonlyMap<string, readonly number[]>,
  options: DownloadOptions = {},
): Promise<{ ref: ImportSourceRef; listing: DownloadResult }> {
  const dir = cameraStagingDir(library, ref.id);
  await mkdir(dir, { recursive: true });
  const listing = await downloadForImport(camera, dir, mode, known, options);
  return { ref: { ...ref, root: dir, download: true }, listing };
}
