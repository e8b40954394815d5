// ISO base media file format boxes (ISO/IEC 14496-12): the container of HEIC/HEIF/AVIF photos and of
// QuickTime/MP4 videos. Box headers are read with positioned reads, so a video's moov box after
// gigabytes of media data costs a few small reads, not a scan. Sizes come from an untrusted file:
// a box that is shorter than its header or reaches past its parent ends the walk, every walk stops
// after ISOBMFF_MAX_BOXES, and reads go through a budget. No files here: the caller supplies reads.

import { ISOBMFF_MAX_BOXES } from '../limits.js';

/** Positioned reads on a file the caller opened. */
export interface RangeSource {
  readonly size: number;
  /** Up to `length` bytes at `offset`; fewer only at the end of the file. Rejects past its budget. */
  read(offset: number, length: number): Promise<Buffer>;
}

/** One box, as offsets in the coordinates of whatever it was read from (the file, or a buffer). */
export interface Box {
  /** Four characters, latin1 ("moov", "©day" as "\xa9day"). */
  readonly type: string;
  readonly start: number;
  /** Where the payload starts, after the 8- or 16-byte header. */
  readonly payload: number;
  readonly end: number;
}

/** Largest header we read: 32-bit size, type, 64-bit largesize. (A uuid box's extended type is never needed.) */
const MAX_HEADER_BYTES = 16;
/** Types a QuickTime file may begin with when it predates ftyp; anything else at byte 4 is not ours to parse. */
const FIRST_BOX_TYPES = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

/** True when `head` starts like an ISO media file (ftyp, or an old QuickTime's first box). */
export function looksLikeIsobmff(head: Uint8Array): boolean {
  return head.length >= 8 && FIRST_BOX_TYPES.has(Buffer.from(head.buffer, head.byteOffset + 4, 4).toString('latin1'));
}

/**
 * Parses the box header in `header` (its first byte at `start`) inside a parent ending at
 * `parentEnd`. Null when the header is cut short, declares less than itself, or reaches past the parent.
 */
export function parseBoxHeader(header: Buffer, start: number, parentEnd: number): Box | null {
  if (header.length < 8 || start + 8 > parentEnd) return null;
  const size32 = header.readUInt32BE(0);
  const type = header.toString('latin1', 4, 8);
  let headerSize = 8;
  let size: number;
  if (size32 === 1) {
    if (header.length < 16) return null;
    const large = header.readBigUInt64BE(8);
    if (large > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    headerSize = 16;
    size = Number(large);
  } else if (size32 === 0) {
    // "Extends to the end of its container": the last box of a file, typically mdat.
    size = parentEnd - start;
  } else {
    size = size32;
  }
  if (size < headerSize || start + size > parentEnd) return null;
  return { type, start, payload: start + headerSize, end: start + size };
}

/** The boxes in `bytes` between `from` and `to`, in order, stopping at the first bad header or after `max`. */
export function boxesIn(bytes: Buffer, from = 0, to = bytes.length, max = ISOBMFF_MAX_BOXES): Box[] {
  const boxes: Box[] = [];
  const end = Math.min(to, bytes.length);
  for (let pos = from; pos < end && boxes.length < max; ) {
    const box = parseBoxHeader(bytes.subarray(pos, pos + MAX_HEADER_BYTES), pos, end);
    if (box === null) break;
    boxes.push(box);
    pos = box.end;
  }
  return boxes;
}

/**
 * Walks the boxes of a file between `from` and `to` by their headers alone, calling `visit` with
 * each; stops when `visit` returns true, at the first bad header, or after ISOBMFF_MAX_BOXES.
 */
export async function walkBoxes(source: RangeSource, from: number, to: number, visit: (box: Box) => boolean): Promise<void> {
  const end = Math.min(to, source.size);
  let pos = from;
  for (let n = 0; pos < end && n < ISOBMFF_MAX_BOXES; n++) {
    const header = await source.read(pos, Math.min(MAX_HEADER_BYTES, end - pos));
    const box = parseBoxHeader(header, pos, end);
    if (box === null || visit(box)) return;
    // Each box is at least its header long, so the walk always moves forward.
    pos = box.end;
  }
}

/**
 * Where a meta box's children start. ISO meta (HEIF, MP4) is a full box with 4 bytes of version and
 * flags; QuickTime's moov/meta is a plain one. Both begin with hdlr, so look for it at either place.
 */
export function metaChildrenStart(bytes: Buffer, meta: Box): number {
  const at = (offset: number): string => bytes.toString('latin1', offset, Math.min(offset + 4, meta.end));
  if (at(meta.payload + 4) === 'hdlr') return meta.payload;
  if (at(meta.payload + 8) === 'hdlr') return meta.payload + 4;
  return meta.payload + 4;
}

/** Thrown by a budgeted source when a read would pass its budget; codecs turn it into "no date". */
export class ReadBudgetExceeded extends Error {
  constructor(budget: number) {
    super(`reading more than ${budget} bytes to find a capture time`);
  }
}

/**
 * A RangeSource over `read` that serves ranges inside `head` (already read) for free and refuses
 * any read that would take the other reads past `budget` bytes. `spent` says how much was read.
 */
export function budgetedSource(
  size: number,
  head: Buffer,
  budget: number,
  read: (offset: number, length: number) => Promise<Buffer>,
): RangeSource & { readonly spent: number } {
  let spent = 0;
  return {
    size,
    get spent() {
      return spent;
    },
    async read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) throw new RangeError(`bad range ${offset}+${length}`);
      const n = Math.max(0, Math.min(length, size - offset));
      if (offset + n <= head.length) return head.subarray(offset, offset + n);
      if (spent + n > budget) throw new ReadBudgetExceeded(budget);
      spent += n;
      return n === 0 ? Buffer.alloc(0) : read(offset, n);
    },
  };
}

/**
 * Reads big-endian fields inside one box; every read past `end` throws a RangeError, which the
 * codecs turn into "no date", so a lying count or size cannot read a neighbour's bytes.
 */
export class Cursor {
  private readonly end: number;

  constructor(
    private readonly bytes: Buffer,
    public pos: number,
    end: number,
  ) {
    this.end = Math.min(end, bytes.length);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.bytes.readUInt8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.bytes.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.bytes.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A 64-bit field, refused when it does not fit a safe JS number (no real offset or date does not). */
  u64(): number {
    this.need(8);
    const v = this.bytes.readBigUInt64BE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('64-bit field too large');
    return Number(v);
  }

  /** An unsigned field of 0, 4 or 8 bytes, as HEIF's iloc sizes them. */
  uint(bytes: number): number {
    if (bytes === 0) return 0;
    if (bytes === 4) return this.u32();
    if (bytes === 8) return this.u64();
    throw new RangeError(`field size ${bytes}`);
  }

  text(n: number, encoding: BufferEncoding = 'latin1'): string {
    this.need(n);
    const s = this.bytes.toString(encoding, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new RangeError('past the end of the box');
  }
}
