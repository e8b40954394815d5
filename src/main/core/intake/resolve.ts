// What the CLI and the app share about where to import from and to: the source roots (with the
// INSWARM_SOURCE_ROOTS override), the photo library setting, and turning a source ID or a folder
// into the ImportSourceRef the importer takes.

import { basename, delimiter, join, resolve } from 'node:path';
import { InswarmError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PtpCamera } from './gphoto2.js';
import type { ImportSourceRef } from './importer.js';
import { camerasFromGphoto2, defaultRoots, findSourceRoots, ptpSourceId, sourceIdFor, type FindCameras, type SourceRoots } from './sources.js';

/** The setting that remembers the photo library (CLI --library, the app's Import view). */
export const LIBRARY_SETTING = 'import.library';
/** The library when none was chosen: a "Photos" folder in the data folder. */
export const DEFAULT_LIBRARY_DIR = 'Photos';

/** Where sources are looked for: the OS's mount folders, or INSWARM_SOURCE_ROOTS (folders holding volumes). */
export function sourceRoots(env: NodeJS.ProcessEnv = process.env): SourceRoots {
  const override = env['INSWARM_SOURCE_ROOTS'];
  if (override !== undefined) return { parents: override.split(delimiter).filter((p) => p !== ''), volumes: [], gvfs: null };
  return defaultRoots();
}

/** The photo library in use: the saved one, else the default in the data folder. */
export function libraryPath(ledger: Ledger, dataDir: string): string {
  return resolve(ledger.getSetting<string>(LIBRARY_SETTING) ?? join(dataDir, DEFAULT_LIBRARY_DIR));
}

export interface ResolvedSource {
  readonly ref: ImportSourceRef;
  /** Set for a PTP camera: its files are downloaded through gphoto2 before importing. */
  readonly ptp?: PtpCamera;
  readonly kind: 'volume' | 'mtp' | 'ptp' | 'folder';
}

/** True when `arg` names a folder rather than a source ID. */
export function looksLikePath(arg: string): boolean {
  return arg.includes('/') || arg.includes('\\') || arg === '.' || arg === '..';
}

/**
 * A source by its ID from listSources, or by its folder (a mounted volume, or any folder holding
 * DCIM); E_NOT_FOUND when no connected source has that ID.
 */
export async function resolveSource(arg: string, options: { roots: SourceRoots; cameras?: FindCameras }): Promise<ResolvedSource> {
  if (looksLikePath(arg)) {
    const root = resolve(arg);
    const listed = (await findSourceRoots(options.roots)).find((r) => r.root === root);
    const kind = listed?.kind ?? (basename(root).startsWith('mtp:') ? 'mtp' : 'folder');
    return { ref: { id: await sourceIdFor(root, kind), name: listed?.name ?? basename(root), root }, kind };
  }
  // Folders first, without counting their files (cheap); gphoto2 only for a PTP ID.
  for (const listed of await findSourceRoots(options.roots)) {
    if ((await sourceIdFor(listed.root, listed.kind)) === arg) return { ref: { id: arg, name: listed.name, root: listed.root }, kind: listed.kind };
  }
  if (arg.startsWith('ptp-') && options.cameras !== null) {
    const camera = (await (options.cameras ?? camerasFromGphoto2)()).find((c) => ptpSourceId(c) === arg);
    if (camera !== undefined) return { ref: { id: arg, name: camera.model, root: '' }, ptp: camera, kind: 'ptp' };
  }
  throw new InswarmError('E_NOT_FOUND', `No connected source has the ID "${arg.slice(0, 80)}": run "inswarm import --list" to see the connected ones, or give the folder of the phone or card.`);
}
