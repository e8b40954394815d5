// The one place imports and seals ask when a photo or video was taken. EXIF in the first bytes
// (JPEG, TIFF-based raw) costs nothing more; a HEIC's Exif item and a QuickTime/MP4 video's moov box
// may lie anywhere in the file, so they are found with positioned reads on the open file, at most
// CAPTURE_MAX_EXTRA_READ_BYTES beyond the head. Null means "no date in the file": callers fall back
// to the modification time.

import { open } from 'node:fs/promises';
import { CAPTURE_MAX_EXTRA_READ_BYTES, EXIF_SCAN_BYTES } from '../limits.js';
import { captureTimeFromBytes } from './capture-time.js';
import { heifCaptureTime } from './heif-exif.js';
import { budgetedSource, looksLikeIsobmff, walkBoxes, type Box, type RangeSource } from './isobmff.js';
import { quickTimeCaptureTime } from './quicktime-time.js';

/** The part of a FileHandle used here, so tests can count what is read. */
export interface PositionedFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * The capture time of an open file of `size` bytes whose first bytes are `head` (up to
 * EXIF_SCAN_BYTES): EXIF in the head, else a HEIF Exif item, else a QuickTime creation date.
 * "YYYY-MM-DDTHH:MM:SS[±HH:MM]" or null; never throws (an unreadable file has no date).
 */
export async function captureTimeOfFile(file: PositionedFile, size: number, head: Buffer): Promise<string | null> {
  const fromHead = captureTimeFromBytes(head);
  if (fromHead !== null || !looksLikeIsobmff(head)) return fromHead;
  try {
    return await captureTimeOfIsobmff(budgetedSource(size, head, CAPTURE_MAX_EXTRA_READ_BYTES, (offset, length) => readFully(file, offset, length)));
  } catch {
    return null;
  }
}

/**
 * captureTimeOfFile for a path, opening the file only when `head` (read here when not given) says
 * it is an ISO media file without EXIF up front. Null when the file cannot be read.
 */
export async function captureTimeOfPath(path: string, head?: Buffer): Promise<string | null> {
  if (head !== undefined) {
    const fromHead = captureTimeFromBytes(head);
    if (fromHead !== null || !looksLikeIsobmff(head)) return fromHead;
  }
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const start = head ?? (await readFully(handle, 0, Math.min(EXIF_SCAN_BYTES, size)));
      return await captureTimeOfFile(handle, size, start);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/** HEIF Exif item first (a HEIF image sequence also has a moov), then QuickTime's dates. */
export async function captureTimeOfIsobmff(source: RangeSource): Promise<string | null> {
  let meta: Box | null = null;
  let moov: Box | null = null;
  try {
    // Stop at moov: what follows it (fragments of a streamed MP4) holds no dates.
    await walkBoxes(source, 0, source.size, (box) => {
      if (box.type === 'meta') meta ??= box;
      if (box.type === 'moov') moov = box;
      return moov !== null;
    });
  } catch {
    // A read failed or ran out of budget part way: use what was found before it.
  }
  const m = meta as Box | null;
  const fromHeif = m === null ? null : await heifCaptureTime(source, m);
  if (fromHeif !== null) return fromHeif;
  const v = moov as Box | null;
  return v === null ? null : quickTimeCaptureTime(source, v);
}

async function readFully(file: PositionedFile, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
