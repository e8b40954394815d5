// Finding import sources: mounted volumes holding a DCIM folder (phones in mass-storage mode,
// cameras, SD cards), Android phones mounted over MTP by gvfs, and PTP cameras through gphoto2.
// Where to look is injectable (tests give temp folders); the defaults follow each OS's convention.

import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { IntakeStore, knownKey } from './intake-store.js';
import type { Ledger } from '../ledger/ledger.js';
import { findDcim, scanMedia } from './scan.js';
import type { PtpCamera } from './gphoto2.js';
import { systemUsbProbe } from './usb-probe.js';
import { which } from './which.js';

export interface SourceRoots {
  /** Folders whose every subfolder is a mounted volume (/media/$USER, /Volumes…). */
  readonly parents: readonly string[];
  /** Folders that are volumes themselves (Windows drive letters). */
  readonly volumes: readonly string[];
  /** gvfs's folder, whose "mtp:*" entries are MTP phones; null where there is none. */
  readonly gvfs: string | null;
}

export type SourceKind = 'volume' | 'mtp' | 'ptp';

export interface SourceView {
  readonly id: string;
  readonly name: string;
  readonly kind: SourceKind;
  /** The folder to import from (null for a PTP camera, which is read through gphoto2). */
  readonly root: string | null;
  readonly photos: number;
  readonly videos: number;
  readonly bytes: number;
  /** Files not yet imported from this source (by path and size). */
  readonly newFiles: number;
  readonly newBytes: number;
  /** For PTP: the camera gphoto2 names. */
  readonly camera?: PtpCamera;
  /** For PTP: false until the counts come from a listing of the camera (an import's). */
  readonly counted?: boolean;
}

export interface ToolHint {
  readonly tool: 'gphoto2' | 'ifuse';
  readonly installed: boolean;
  /** What installing it adds, and how; empty when installed. */
  readonly hint: string;
}

/** The conventional mount locations on this OS. */
export function defaultRoots(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): SourceRoots {
  let user = env['USER'] ?? '';
  try {
    user ||= userInfo().username;
  } catch {
    // no user name (a container without passwd entry): only the shared roots
  }
  switch (platform) {
    case 'darwin':
      return { parents: ['/Volumes'], volumes: [], gvfs: null };
    case 'win32':
      // C: is the system disk; cards and phones in mass-storage mode get later letters.
      return { parents: [], volumes: 'DEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((l) => `${l}:\\`), gvfs: null };
    default: {
      const uid = process.getuid?.() ?? 0;
      return { parents: user === '' ? [] : [join('/media', user), join('/run/media', user)], volumes: [], gvfs: `/run/user/${uid}/gvfs` };
    }
  }
}

/** Every folder that could be a source: mounted volumes with DCIM and gvfs MTP mounts. */
export async function findSourceRoots(roots: SourceRoots): Promise<{ root: string; kind: 'volume' | 'mtp'; name: string }[]> {
  const found: { root: string; kind: 'volume' | 'mtp'; name: string }[] = [];
  const seen = new Set<string>();
  const consider = async (root: string, kind: 'volume' | 'mtp', name: string): Promise<void> => {
    const abs = resolve(root);
    if (seen.has(abs)) return;
    seen.add(abs);
    if ((await findDcim(abs)) !== null) found.push({ root: abs, kind, name });
  };
  for (const parent of roots.parents) {
    for (const name of await listDirs(parent)) await consider(join(parent, name), 'volume', name);
  }
  for (const volume of roots.volumes) await consider(volume, 'volume', volume.replace(/[\\/]+$/, ''));
  if (roots.gvfs !== null) {
    for (const name of await listDirs(roots.gvfs)) {
      if (name.startsWith('mtp:')) await consider(join(roots.gvfs, name), 'mtp', mtpName(name));
    }
  }
  return found;
}

/**
 * The stable ID recorded with every import from a source: the filesystem UUID when Linux knows
 * it (an SD card keeps it across readers), the MTP host string (it carries the phone's serial),
 * else the volume's name.
 */
export async function sourceIdFor(root: string, kind: 'volume' | 'mtp' | 'folder' = 'volume'): Promise<string> {
  const abs = resolve(root);
  if (kind === 'mtp' || basename(abs).startsWith('mtp:')) return `mtp-${slug(basename(abs).replace(/^mtp:(host=)?/, ''))}`;
  const uuid = await filesystemUuid(abs);
  if (uuid !== null) return `vol-${slug(uuid)}`;
  if (kind === 'folder') return `dir-${createHash('sha256').update(abs).digest('hex').slice(0, 12)}`;
  return `vol-${slug(basename(abs) || abs)}`;
}

/** The PTP cameras attached now (a CameraFinder's, or gphoto2's answer); null: do not look for any. */
export type FindCameras = (() => Promise<PtpCamera[]>) | null;

/** gphoto2 asked directly; when it fails (a camera held by another program) it lists no camera. */
export const camerasFromGphoto2: NonNullable<FindCameras> = () => systemUsbProbe().cameras().catch(() => []);

/**
 * The ID of a PTP camera as a source: its model and USB serial number, the same at every plug, so
 * what was imported from it is known next time; without a serial, its model and port.
 */
export function ptpSourceId(camera: PtpCamera): string {
  return `ptp-${slug(`${camera.model}-${camera.serial ?? camera.port}`)}`;
}

/**
 * The cameras that are not also mounted over MTP. gphoto2 lists an Android phone that gvfs has
 * mounted, but cannot open it while gvfs holds it, and the mount is the way in; without this, each
 * plug would offer the phone twice and import it twice. Told apart by the USB serial number, which
 * gvfs puts in the mount's name ("mtp:host=SAMSUNG_SAMSUNG_Android_R58M12345").
 */
export function withoutMtpMounted(cameras: readonly PtpCamera[], mtpRoots: readonly string[]): PtpCamera[] {
  return cameras.filter((c) => c.serial === undefined || !mtpRoots.some((root) => basename(root).includes(c.serial!)));
}

/** Lists sources with their photo and video counts and how many files are new. */
export async function listSources(options: { roots?: SourceRoots; ledger?: Ledger; cameras?: FindCameras } = {}): Promise<SourceView[]> {
  const roots = options.roots ?? defaultRoots();
  const store = options.ledger === undefined ? null : new IntakeStore(options.ledger);
  const views: SourceView[] = [];
  for (const found of await findSourceRoots(roots)) {
    const dcim = await findDcim(found.root);
    if (dcim === null) continue;
    let files;
    try {
      files = await scanMedia(found.root, dcim);
    } catch {
      continue; // unplugged while we looked
    }
    const id = await sourceIdFor(found.root, found.kind);
    const known = store?.knownFiles(id) ?? new Set<string>();
    const fresh = files.filter((f) => !known.has(knownKey(f.path, f.size)));
    views.push({
      id,
      name: found.name,
      kind: found.kind,
      root: found.root,
      photos: files.filter((f) => f.kind === 'photo').length,
      videos: files.filter((f) => f.kind === 'video').length,
      bytes: files.reduce((n, f) => n + f.size, 0),
      newFiles: fresh.length,
      newBytes: fresh.reduce((n, f) => n + f.size, 0),
    });
  }
  const cameras = options.cameras === undefined ? camerasFromGphoto2 : options.cameras;
  const mtpRoots = views.filter((v) => v.kind === 'mtp').map((v) => v.root!);
  for (const camera of cameras === null ? [] : withoutMtpMounted(await cameras(), mtpRoots)) {
    // Counting a PTP camera's files means listing them over USB, which can take minutes: not here.
    views.push({ id: ptpSourceId(camera), name: camera.model, kind: 'ptp', root: null, photos: 0, videos: 0, bytes: 0, newFiles: 0, newBytes: 0, camera, counted: false });
  }
  return views;
}

/** Which optional tools are installed, with the package to install for each missing one. */
export async function toolHints(platform: NodeJS.Platform = process.platform, find: (cmd: string) => Promise<string | null> = which): Promise<ToolHint[]> {
  const mac = platform === 'darwin';
  const hints: ToolHint[] = [];
  const gp = (await find('gphoto2')) !== null;
  hints.push({
    tool: 'gphoto2',
    installed: gp,
    hint: gp ? '' : `Phones and cameras in PTP mode (iPhones, many Android phones) need gphoto2: install it with ${mac ? '"brew install gphoto2"' : '"sudo apt install gphoto2" (or your distribution\'s gphoto2 package)'}.`,
  });
  const ifuse = (await find('ifuse')) !== null;
  hints.push({
    tool: 'ifuse',
    installed: ifuse,
    hint: ifuse ? '' : `iPhones can also be mounted as a folder with ifuse: install ${mac ? '"brew install ifuse" (with macFUSE)' : '"sudo apt install ifuse libimobiledevice-utils"'}, then "ifuse ~/iphone" and import that folder.`,
  });
  return platform === 'win32' ? [] : hints;
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** "mtp:host=SAMSUNG_Android_R58M12345" → "SAMSUNG Android R58M12345". */
function mtpName(entry: string): string {
  return decodeURIComponent(entry.replace(/^mtp:(host=)?/, '')).replace(/[_]+/g, ' ').trim() || entry;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'unnamed';
}

/** The UUID of the filesystem mounted at `mountPoint` (Linux: mountinfo plus /dev/disk/by-uuid). */
async function filesystemUuid(mountPoint: string): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  let device: string | null = null;
  try {
    for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
      const fields = line.split(' ');
      const at = fields[4]?.replace(/\\040/g, ' ');
      const sep = fields.indexOf('-');
      if (at === mountPoint && sep > 0) device = fields[sep + 2] ?? null;
    }
    if (device === null || !device.startsWith('/dev/')) return null;
    for (const uuid of await readdir('/dev/disk/by-uuid')) {
      const target = resolve('/dev/disk/by-uuid', await readlink(join('/dev/disk/by-uuid', uuid)));
      if (target === device) return uuid;
    }
  } catch {
    return null;
  }
  return null;
}
