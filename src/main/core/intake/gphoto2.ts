// Cameras and phones in PTP mode (iPhones, many Androids) through the gphoto2 command, when it is
// installed. Only its documented text output is parsed; every line that does not match is ignored.

import { execFile } from 'node:child_process';
import { posix } from 'node:path';
import { InswarmError } from '../errors.js';
import { mediaKind, type MediaKind } from './media.js';

/** gphoto2 answers --auto-detect in well under a second; a hung USB stack must not hang the list. */
export const GPHOTO2_TIMEOUT_MS = 15_000;
/** A file listing of a full phone is a few MB of text; more is not gphoto2. */
const GPHOTO2_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface PtpCamera {
  readonly model: string;
  readonly port: string;
  /** The device's USB serial number when the OS tells it: what keeps its source ID across plugs. */
  readonly serial?: string;
}

export interface PtpFile {
  /** Its number in the listing, which --get-file takes. */
  readonly number: number;
  /** Camera folder plus name, without the leading slash ("store_00010001/DCIM/100APPLE/IMG_0001.HEIC"). */
  readonly path: string;
  readonly name: string;
  /** gphoto2 reports whole KB. */
  readonly sizeKb: number | null;
  readonly kind: MediaKind | null;
}

/** Parses `gphoto2 --auto-detect`: a header, a dashed rule, then "MODEL   PORT" per camera. */
export function parseAutoDetect(text: string): PtpCamera[] {
  const cameras: PtpCamera[] = [];
  let pastRule = false;
  for (const line of text.split(/\r?\n/)) {
    if (!pastRule) {
      pastRule = /^-{10,}\s*$/.test(line);
      continue;
    }
    const m = /^(.*?\S)\s+((?:usb|ptpip|serial|disk|ip):\S*)\s*$/.exec(line);
    if (m !== null) cameras.push({ model: m[1]!, port: m[2]! });
  }
  return cameras;
}

/**
 * Parses `gphoto2 --list-files`: "There are N files in folder '/F':" (or "is 1 file") headers,
 * then "#I  NAME  PERMS  SIZE KB  [WxH]  [MIME]  [MTIME]" per file.
 */
export function parseListFiles(text: string): PtpFile[] {
  const files: PtpFile[] = [];
  let folder: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const header = /^There (?:is|are) \d+ files? in folder '(.*)'[.:]?\s*$/.exec(line);
    if (header !== null) {
      folder = header[1]!.replace(/^\/+/, '');
      continue;
    }
    if (/^There is no file in folder/.test(line)) {
      folder = null;
      continue;
    }
    const entry = /^#(\d+)\s+(.+?)\s+[r-][d-]\s+(\d+)\s+KB\b/.exec(line) ?? /^#(\d+)\s+(\S.*?)\s*$/.exec(line);
    if (entry === null || folder === null) continue;
    const name = entry[2]!;
    files.push({ number: Number(entry[1]), path: folder === '' ? name : posix.join(folder, name), name, sizeKb: entry[3] === undefined ? null : Number(entry[3]), kind: mediaKind(name) });
  }
  return files;
}

export interface Gphoto2Options {
  readonly timeoutMs?: number;
  /** The gphoto2 executable (default "gphoto2" on PATH). */
  readonly command?: string;
  /** Stops gphoto2 (the import was cancelled, or the app quits). */
  readonly signal?: AbortSignal;
}

/**
 * Runs gphoto2 with `args` in `cwd`; resolves with stdout, rejects with its stderr's first line (or
 * the AbortError of `signal`). gphoto2 writes each download to a temp file in its working folder
 * and renames it into place: run in the download folder, that rename never crosses file systems,
 * so a killed run leaves no half-written file under its final name.
 */
export function gphoto2(args: readonly string[], options: Gphoto2Options & { readonly cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const run = { timeout: options.timeoutMs ?? GPHOTO2_TIMEOUT_MS, maxBuffer: GPHOTO2_MAX_OUTPUT_BYTES, encoding: 'utf8' as const, ...(options.signal ? { signal: options.signal } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) };
    execFile(options.command ?? 'gphoto2', [...args], run, (err, stdout, stderr) => {
      if (err !== null) {
        if (options.signal?.aborted === true) return reject(err);
        const first = (stderr || err.message).split('\n').find((l) => l.trim() !== '') ?? err.message;
        reject(new Error(first.trim()));
        return;
      }
      resolve(stdout);
    });
  });
}

/** Camera selection arguments: the model as gphoto2 names it, and its port. */
export function cameraArgs(camera: PtpCamera): string[] {
  return ['--camera', camera.model, '--port', camera.port];
}

/** Where downloads go: the camera's folders kept under `dir`, so DCIM/… imports like a mounted card. */
function saveArgs(dir: string): string[] {
  return ['--skip-existing', '--filename', `${dir}/%F/%f.%C`];
}

/** A whole day: a phone's full camera roll over USB 2 can take hours. */
const DOWNLOAD_TIMEOUT_MS = 24 * 3600_000;
/** Ranges per gphoto2 run, so its argument stays far below the OS's limit for one argument (128 KiB on Linux). */
export const MAX_RANGES_PER_RUN = 2_000;
/** gphoto2 refuses file numbers above this; later files are asked for by their path instead. */
export const GPHOTO2_MAX_FILE_NUMBER = 65_536;
/** Files asked for by path in one gphoto2 run (one --get-file each). */
const MAX_PATHS_PER_RUN = 200;
/** Listing a full phone over USB walks every folder: minutes, not the seconds --auto-detect takes. */
const LIST_TIMEOUT_MS = 10 * 60_000;

/** The camera's files, with their numbers for --get-file. */
export async function listFiles(camera: PtpCamera, options: Gphoto2Options = {}): Promise<PtpFile[]> {
  return parseListFiles(await gphoto2([...cameraArgs(camera), '--list-files'], { ...options, timeoutMs: options.timeoutMs ?? LIST_TIMEOUT_MS }));
}

/** "1-3,7,9-10": file numbers (any order, repeats allowed) as --get-file ranges, in runs of at most `perRun`. */
export function fileRanges(numbers: readonly number[], perRun = MAX_RANGES_PER_RUN): string[] {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  const runs: string[] = [];
  for (let i = 0; i < ranges.length; i += perRun) runs.push(ranges.slice(i, i + perRun).join(','));
  return runs;
}

/** True when a file of `bytes` is what gphoto2 lists as `kb` KB: whole KiB, rounded up (1,025 bytes are "2 KB"). */
export function sameSizeInKb(bytes: number, kb: number): boolean {
  return Math.ceil(bytes / 1024) === kb;
}

export interface DownloadResult {
  /** Photos and videos in the camera's DCIM folders. */
  readonly listed: number;
  /** Of those, the ones asked for. */
  readonly downloaded: number;
  /** The listed photos and videos themselves (what the camera's counts are made of). */
  readonly media: readonly PtpFile[];
}

export interface DownloadOptions extends Gphoto2Options {
  /** Told, once the camera is listed, how many files (and about how many bytes) will be downloaded. */
  readonly onPlan?: (files: number, bytes: number) => void;
}

/**
 * The files `known` (the sizes imported before, by camera path) does not hold at their path and
 * listed size; a file listed without a size counts as new.
 */
export function freshFiles(files: readonly PtpFile[], known: ReadonlyMap<string, readonly number[]>): PtpFile[] {
  return files.filter((f) => f.sizeKb === null || !(known.get(f.path) ?? []).some((bytes) => sameSizeInKb(bytes, f.sizeKb!)));
}

/** About how many bytes listed files hold (gphoto2 gives whole KiB). */
export function listedBytes(files: readonly PtpFile[]): number {
  return files.reduce((sum, f) => sum + (f.sizeKb ?? 0) * 1024, 0);
}

/** True for a camera path inside a DCIM folder: what an import reads from a card or a mount too. */
function inDcim(path: string): boolean {
  return path.split('/').some((part) => part.toUpperCase() === 'DCIM');
}

/**
 * Downloads the photos and videos in the DCIM folders of `camera` (every storage) that `known`
 * does not hold (freshFiles), into `dir`, laid out as the camera's folders:
 * what was imported before does not cross USB again, which for a phone's camera roll is most of
 * the time an import takes. Files that `dir` already holds (an earlier run stopped) are skipped.
 */
export async function downloadNew(
  camera: PtpCamera,
  dir: string,
  known: ReadonlyMap<string, readonly number[]>,
  options: DownloadOptions & { readonly maxNumber?: number } = {},
): Promise<DownloadResult> {
  const files = (await listFiles(camera, options)).filter((f) => f.kind !== null && inDcim(f.path));
  const fresh = freshFiles(files, known);
  options.onPlan?.(fresh.length, listedBytes(fresh));
  const maxNumber = options.maxNumber ?? GPHOTO2_MAX_FILE_NUMBER;
  const run = { ...options, timeoutMs: options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS, cwd: dir };
  for (const ranges of fileRanges(fresh.filter((f) => f.number <= maxNumber).map((f) => f.number))) {
    options.signal?.throwIfAborted();
    await gphoto2([...cameraArgs(camera), '--get-file', ranges, ...saveArgs(dir)], run);
  }
  const byPath = fresh.filter((f) => f.number > maxNumber);
  for (let i = 0; i < byPath.length; i += MAX_PATHS_PER_RUN) {
    options.signal?.throwIfAborted();
    // A path argument (it has a '.') is taken as a file's path rather than a number.
    await gphoto2([...cameraArgs(camera), ...byPath.slice(i, i + MAX_PATHS_PER_RUN).flatMap((f) => ['--get-file', `/${f.path}`]), ...saveArgs(dir)], run);
  }
  return { listed: files.length, downloaded: fresh.length, media: files };
}

/**
 * What an import needs from the camera, into `dir`: every photo and video for "all"; for "new",
 * those whose camera path and size are not among `known` (sizes imported before, by camera path).
 * A gphoto2 failure (a locked or unplugged phone) becomes E_IO with a sentence; files already in
 * `dir` stay there, and the next attempt skips them.
 */
export async function downloadForImport(
  camera: PtpCamera,
  dir: string,
  mode: 'new' | 'all',
  known: ReadonlyMap<string, readonly number[]>,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  try {
    return await downloadNew(camera, dir, mode === 'all' ? new Map() : known, options);
  } catch (err) {
    if (options.signal?.aborted === true) throw err;
    throw new InswarmError('E_IO', `${camera.model} could not be read through gphoto2 (${(err as Error).message}). Check that it is unlocked, set to allow access to photos and still plugged in, then import again.`);
  }
}
