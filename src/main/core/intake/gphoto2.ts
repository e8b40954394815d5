// Cameras and phones in PTP mode (iPhones, many Androids) through the gphoto2 command, when it is
// installed. Only its documented text output is parsed; every line that does not match is ignored.

import { execFile } from 'node:child_process';
import { posix } from 'node:path';
import { mediaKind, type MediaKind } from './media.js';

/** gphoto2 answers --auto-detect in well under a second; a hung USB stack must not hang the list. */
export const GPHOTO2_TIMEOUT_MS = 15_000;
/** A file listing of a full phone is a few MB of text; more is not gphoto2. */
const GPHOTO2_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface PtpCamera {
  readonly model: string;
  readonly port: string;
}

export interface PtpFile {
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
    const entry = /^#\d+\s+(.+?)\s+[r-][d-]\s+(\d+)\s+KB\b/.exec(line) ?? /^#\d+\s+(\S.*?)\s*$/.exec(line);
    if (entry === null || folder === null) continue;
    const name = entry[1]!;
    files.push({ path: folder === '' ? name : posix.join(folder, name), name, sizeKb: entry[2] === undefined ? null : Number(entry[2]), kind: mediaKind(name) });
  }
  return files;
}

/** Runs gphoto2 with `args`; resolves with stdout, rejects with its stderr's first line. */
export function gphoto2(args: readonly string[], options: { timeoutMs?: number; command?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(options.command ?? 'gphoto2', [...args], { timeout: options.timeoutMs ?? GPHOTO2_TIMEOUT_MS, maxBuffer: GPHOTO2_MAX_OUTPUT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) {
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

/**
 * Downloads every file of `camera` into `dir`, keeping the camera's folders (so DCIM/… is kept and
 * the result imports like a mounted card). Files already there are skipped.
 */
export async function downloadAll(camera: PtpCamera, dir: string, options: { timeoutMs?: number; command?: string } = {}): Promise<void> {
  await gphoto2([...cameraArgs(camera), '--get-all-files', '--skip-existing', '--filename', `${dir}/%F/%f.%C`], { timeoutMs: options.timeoutMs ?? 24 * 3600_000, ...(options.command === undefined ? {} : { command: options.command }) });
}
