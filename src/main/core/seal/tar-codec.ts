// The pax tar format inside a sealed blob: pure functions that write headers, and a streaming
// decoder that turns bytes into events. No files, streams or timers here: the seal and open
// pipelines own the I/O, so this file can be tested byte by byte and fuzzed.
//
// Reference: POSIX.1-2017 pax "ustar Interchange Format" and "pax Extended Header".

import { InswarmError } from '../errors.js';
import { TAR_BLOCK, TAR_MAX_ENTRIES, TAR_MAX_PATH_BYTES, TAR_MAX_PAX_BYTES } from '../limits.js';

/** What the caller knows about a file to seal; `records` are extra pax keywords (e.g. `INSWARM.origin`). */
export interface TarFileHeader {
  name: string;
  size: number;
  mtimeMs: number;
  mode: number;
  records?: Record<string, string>;
}

/** Caps on what an archive may make the decoder hold or do; defaults come from limits.ts. */
export interface TarLimits {
  maxPaxBytes: number;
  maxPathBytes: number;
  maxEntries: number;
}

/**
 * What the decoder reports. A 'file' is followed by its 'data' chunks (views into the input, not
 * copies) and one 'file-end'. `records` holds the entry's pax keywords other than the ones already
 * folded into the fields (path, size, mtime).
 */
export type TarEvent =
  | { type: 'file'; path: string; size: number; mtimeMs: number; mode: number; records: Record<string, string> }
  | { type: 'data'; chunk: Uint8Array }
  | { type: 'file-end' }
  | { type: 'global'; records: Record<string, string> };

// ustar header layout: [offset, length] of each field we read or write.
const NAME = [0, 100] as const;
const MODE = [100, 8] as const;
const UID = [108, 8] as const;
const GID = [116, 8] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHECKSUM = [148, 8] as const;
const TYPEFLAG = 156;
const MAGIC = [257, 8] as const; // magic (6) + version (2), compared together
const DEVMAJOR = [329, 8] as const;
const DEVMINOR = [337, 8] as const;
const PREFIX = [345, 155] as const;

/** Largest value an 11-digit octal field holds (8 GiB - 1 for size; year 2242 for mtime). */
const USTAR_MAX_OCTAL = 0o77777777777;
/** JavaScript dates end here (±100,000,000 days); a time beyond it is not a time. */
const MAX_TIME_MS = 8.64e15;

const MAGIC_POSIX = 'ustar\u000000';
const MAGIC_GNU = 'ustar  \u0000';
const MAGIC_V7 = '\u0000'.repeat(8);

/** Standard pax keywords that decide how readers place and size an entry: caller records may not set them. */
const RESERVED_KEYWORDS = new Set(['path', 'linkpath', 'size', 'mtime', 'atime', 'ctime', 'uid', 'gid', 'uname', 'gname', 'hdrcharset', 'charset']);
/** GNU tar reads entries carrying these keywords as sparse files, with a different data layout. */
const SPARSE_PREFIX = 'GNU.sparse.';

/** The typeflags we refuse, by the name a user would recognise. */
const REFUSED_KINDS: Record<string, string> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '5': 'directory',
  '6': 'FIFO',
  '7': 'contiguous file',
  D: 'GNU dump directory',
  K: 'GNU long link name',
  L: 'GNU long name',
  M: 'GNU multi-volume continuation',
  N: 'GNU old long name',
  S: 'GNU sparse file',
  V: 'volume label',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

// ---------------------------------------------------------------------------------------------
// Paths

/**
 * Turns an archive path into a relative path that cannot leave the restore folder, because every
 * name in a blob comes from a peer or a file we did not write and is untrusted.
 */
export function safeRelativePath(path: string): string {
  const refuse = (why: string): never => {
    throw new InswarmError('E_TAR_UNSAFE', `Refusing the archive path ${quote(path)}: ${why}. Inswarm restores only plain relative paths.`);
  };
  if (path.includes('\u0000')) refuse('it contains a NUL byte');
  // Control characters rewrite terminals and logs; C1 (0x80–0x9f) included.
  if (/[\u0001-\u001f\u007f-\u009f]/.test(path)) refuse('it contains a control character');
  if (path.includes('\\')) refuse('it contains a backslash, which Windows reads as a folder separator');
  if (path.startsWith('/')) refuse('it is absolute');
  if (/^[A-Za-z]:/.test(path)) refuse('it starts with a drive letter');
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) refuse('it climbs out of the restore folder with ".."');
  if (parts.length === 0) refuse('it names no file');
  return parts.join('/');
}

// ---------------------------------------------------------------------------------------------
// Encoder

/**
 * Writes the header(s) that precede one file's bytes: a pax 'x' header when ustar cannot carry the
 * name, time or size exactly (or the caller adds records), then a ustar header that leaks nothing
 * about the sealing device (uid/gid 0, no user or group names).
 */
export function encodeFileHeader(entry: TarFileHeader): Buffer {
  const name = safeRelativePath(entry.name);
  const nameBytes = Buffer.byteLength(name);
  if (nameBytes > TAR_MAX_PATH_BYTES) {
    throw new InswarmError('E_TAR_LIMIT', `Cannot seal ${quote(name)}: its path is ${nameBytes} bytes, above the ${TAR_MAX_PATH_BYTES}-byte limit. Shorten the path.`);
  }
  if (hasLoneSurrogate(name)) badInput(name, 'its name is not valid Unicode');
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) badInput(name, `its size ${entry.size} is not a whole number of bytes`);
  if (!Number.isFinite(entry.mtimeMs) || Math.abs(entry.mtimeMs) > MAX_TIME_MS) badInput(name, `its time ${entry.mtimeMs} is not a date`);
  if (!Number.isInteger(entry.mode)) badInput(name, `its mode ${entry.mode} is not a number`);

  const records: Array<[string, string]> = [];
  if (nameBytes > NAME[1] || !/^[\u0020-\u007e]*$/.test(name)) records.push(['path', name]);
  const mtimeSeconds = Math.floor(entry.mtimeMs / 1000);
  if (entry.mtimeMs % 1000 !== 0 || mtimeSeconds < 0 || mtimeSeconds > USTAR_MAX_OCTAL) {
    records.push(['mtime', formatPaxTime(entry.mtimeMs)]);
  }
  if (entry.size > USTAR_MAX_OCTAL) records.push(['size', String(entry.size)]);
  for (const [key, value] of Object.entries(entry.records ?? {})) {
    checkRecord(key, value);
    records.push([key, value]);
  }

  const header = ustarHeader({
    name: ustarName(name),
    // Readers without pax support see 0 here rather than a wrong size; pax readers use the record.
    size: entry.size > USTAR_MAX_OCTAL ? 0 : entry.size,
    mtime: Math.min(Math.max(mtimeSeconds, 0), USTAR_MAX_OCTAL),
    // Only permission bits: file-type bits would confuse readers and are implied by typeflag '0'.
    mode: entry.mode & 0o7777,
    typeflag: '0',
  });
  if (records.length === 0) return header;
  const paxName = `PaxHeaders/${ustarName(name)}`.slice(0, NAME[1]);
  return Buffer.concat([paxHeader('x', paxName, records), header]);
}

/** Zero bytes that complete a file's last block, because tar data is laid out in whole blocks. */
export function encodePadding(size: number): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) badInput('padding', `size ${size} is not a whole number of bytes`);
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** A pax 'g' header, for facts about the whole blob (its format version, when it was sealed). */
export function encodeGlobalHeader(records: Record<string, string>): Buffer {
  const list = Object.entries(records);
  for (const [key, value] of list) checkRecord(key, value);
  return paxHeader('g', 'pax_global_header', list);
}

/** The end-of-archive marker POSIX asks for: two zero blocks. */
export function encodeEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

function badInput(what: string, why: string): never {
  throw new InswarmError('E_TAR_FORMAT', `Cannot write a tar header for ${quote(what)}: ${why}.`);
}

function checkRecord(key: string, value: string): void {
  if (key === '' || key.includes('=') || key.includes('\n') || key.includes('\u0000')) {
    badInput(key, 'a pax keyword must be non-empty and contain no "=", newline or NUL');
  }
  if (RESERVED_KEYWORDS.has(key) || key.startsWith(SPARSE_PREFIX)) {
    badInput(key, 'this pax keyword is set by the codec itself and would change how readers place the file');
  }
  if (hasLoneSurrogate(key) || hasLoneSurrogate(value)) badInput(key, 'pax keywords and values must be valid Unicode');
}

function hasLoneSurrogate(text: string): boolean {
  // With the u flag a well-formed pair is one code point, so only lone halves match.
  return /\p{Surrogate}/u.test(text);
}

/** The ustar name field: the real name when it fits as ASCII, else a safe ASCII stand-in for pax-unaware readers. */
function ustarName(name: string): string {
  if (name.length <= NAME[1] && /^[\u0020-\u007e]*$/.test(name)) return name;
  const base = name.slice(name.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_');
  return base.slice(-NAME[1]);
}

function paxHeader(typeflag: 'x' | 'g', name: string, records: Array<[string, string]>): Buffer {
  const data = Buffer.concat(records.map(([key, value]) => paxRecord(key, value)));
  if (data.length > TAR_MAX_PAX_BYTES) {
    throw new InswarmError('E_TAR_LIMIT', `Cannot write a pax header of ${data.length} bytes: readers refuse more than ${TAR_MAX_PAX_BYTES}. Use fewer or shorter records.`);
  }
  const header = ustarHeader({ name, size: data.length, mtime: 0, mode: 0o644, typeflag });
  return Buffer.concat([header, data, encodePadding(data.length)]);
}

/** One "<len> <key>=<value>\n" record; len counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.from(` ${key}=${value}\n`, 'utf8');
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), 'latin1'), body]);
}

function ustarHeader(h: { name: string; size: number; mtime: number; mode: number; typeflag: string }): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(h.name, NAME[0], NAME[1], 'latin1');
  writeOctal(block, MODE, h.mode);
  writeOctal(block, UID, 0);
  writeOctal(block, GID, 0);
  writeOctal(block, SIZE, h.size);
  writeOctal(block, MTIME, h.mtime);
  block.write(h.typeflag, TYPEFLAG, 1, 'latin1');
  block.write(MAGIC_POSIX, MAGIC[0], MAGIC[1], 'latin1');
  writeOctal(block, DEVMAJOR, 0);
  writeOctal(block, DEVMINOR, 0);
  block.fill(0x20, CHECKSUM[0], CHECKSUM[0] + CHECKSUM[1]);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, CHECKSUM[0], CHECKSUM[1], 'latin1');
  return block;
}

function writeOctal(block: Buffer, [offset, length]: readonly [number, number], value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1');
}

/** pax times are decimal seconds with an optional fraction: exact to the nanosecond, unlike ustar's whole seconds. */
function formatPaxTime(ms: number): string {
  const abs = Math.abs(ms);
  let wholeMs = Math.floor(abs);
  let subMsNs = Math.round((abs - wholeMs) * 1e6);
  if (subMsNs === 1e6) {
    wholeMs += 1;
    subMsNs = 0;
  }
  const seconds = Math.floor(wholeMs / 1000);
  const ns = (wholeMs % 1000) * 1e6 + subMsNs;
  const sign = ms < 0 && (seconds > 0 || ns > 0) ? '-' : '';
  const fraction = ns > 0 ? `.${String(ns).padStart(9, '0').replace(/0+$/, '')}` : '';
  return `${sign}${seconds}${fraction}`;
}

// ---------------------------------------------------------------------------------------------
// Decoder

type State = 'header' | 'pax' | 'data' | 'padding' | 'trailer' | 'closed';

/**
 * Streaming pax tar decoder: `write()` any chunking of the archive and get the same events. It
 * holds at most one header block and one pax header (≤ maxPaxBytes); file data is never buffered.
 * Data events are views into the chunks passed to `write()`, so callers must not reuse them.
 * After an error the decoder stays failed and rethrows it.
 */
export class TarDecoder {
  private readonly limits: TarLimits;
  private state: State = 'header';
  private readonly block = new Uint8Array(TAR_BLOCK);
  private blockFill = 0;
  /** Bytes left in the current pax data, file data or padding. */
  private remaining = 0;
  private paddingAfter = 0;
  private pax: { kind: 'x' | 'g'; at: number; data: Uint8Array; fill: number } | null = null;
  /** Records of an 'x' header, waiting for the entry they describe. */
  private pending: { at: number; records: Map<string, string> } | null = null;
  private entries = 0;
  private position = 0;
  private failure: InswarmError | null = null;

  constructor(limits: Partial<TarLimits> = {}) {
    this.limits = {
      maxPaxBytes: limits.maxPaxBytes ?? TAR_MAX_PAX_BYTES,
      maxPathBytes: limits.maxPathBytes ?? TAR_MAX_PATH_BYTES,
      maxEntries: limits.maxEntries ?? TAR_MAX_ENTRIES,
    };
    for (const [name, value] of Object.entries(this.limits)) {
      // A NaN or negative cap would silently disable the check it guards.
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`TarDecoder: ${name} must be a non-negative integer, got ${value}`);
    }
  }

  /** Feeds the next bytes of the archive; returns the events they complete. */
  write(chunk: Uint8Array): TarEvent[] {
    if (this.failure) throw this.failure;
    if (this.state === 'closed') {
      throw new InswarmError('E_TAR_FORMAT', 'The tar decoder received data after end(); this is a bug in Inswarm, please report it.');
    }
    try {
      return this.consume(chunk);
    } catch (err) {
      if (err instanceof InswarmError) this.failure = err;
      throw err;
    }
  }

  /** Declares the input complete; throws when the archive stopped before its end marker. */
  end(): TarEvent[] {
    if (this.failure) throw this.failure;
    if (this.state !== 'trailer' && this.state !== 'closed') {
      const where =
        this.state === 'data' || this.state === 'padding' ? 'inside a file'
        : this.state === 'pax' || this.blockFill > 0 ? 'inside a header'
        : 'before its end marker';
      this.failure = new InswarmError('E_TAR_FORMAT', `The archive is truncated (it stops ${where} at byte ${this.position}): the blob was cut short; restore it from another copy.`);
      throw this.failure;
    }
    this.state = 'closed';
    return [];
  }

  private consume(chunk: Uint8Array): TarEvent[] {
    const events: TarEvent[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const available = chunk.length - offset;
      switch (this.state) {
        case 'header': {
          let block: Uint8Array;
          if (this.blockFill === 0 && available >= TAR_BLOCK) {
            block = chunk.subarray(offset, offset + TAR_BLOCK); // whole block in this chunk: no copy
            offset += TAR_BLOCK;
          } else {
            const n = Math.min(TAR_BLOCK - this.blockFill, available);
            this.block.set(chunk.subarray(offset, offset + n), this.blockFill);
            this.blockFill += n;
            offset += n;
            if (this.blockFill < TAR_BLOCK) break;
            this.blockFill = 0;
            block = this.block;
          }
          this.readHeader(block, this.position + offset - TAR_BLOCK, events);
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, available);
          events.push({ type: 'data', chunk: chunk.subarray(offset, offset + n) });
          offset += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            events.push({ type: 'file-end' });
            this.skipPadding();
          }
          break;
        }
        case 'pax': {
          const pax = this.pax!;
          const n = Math.min(this.remaining, available);
          pax.data.set(chunk.subarray(offset, offset + n), pax.fill);
          pax.fill += n;
          offset += n;
          this.remaining -= n;
          if (this.remaining === 0) this.finishPax(events);
          break;
        }
        case 'padding': {
          const n = Math.min(this.remaining, available);
          offset += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'header';
          break;
        }
        case 'trailer': {
          // tar writers pad archives to whole records with zeros; anything else was appended or altered.
          for (; offset < chunk.length; offset++) {
            if (chunk[offset] !== 0) {
              throw new InswarmError('E_TAR_FORMAT', `The archive has data after its end marker (byte ${this.position + offset}): the blob is damaged or was altered.`);
            }
          }
          break;
        }
        case 'closed':
          break; // unreachable: write() refuses input after end()
      }
    }
    this.position += chunk.length;
    return events;
  }

  private readHeader(block: Uint8Array, at: number, events: TarEvent[]): void {
    if (isZeroBlock(block)) {
      if (this.pending) throw damaged(`the extended header at byte ${this.pending.at} describes no file`);
      this.state = 'trailer';
      return;
    }
    verifyChecksum(block, at);
    const magic = latin1(block, MAGIC[0], MAGIC[1]);
    if (magic !== MAGIC_POSIX && magic !== MAGIC_GNU && magic !== MAGIC_V7) throw notTar(at, 'unknown format magic');
    const typeflag = String.fromCharCode(block[TYPEFLAG]!);
    const size = readNumber(block, SIZE, 'size', at);

    if (typeflag === 'x' || typeflag === 'g') {
      if (this.pending) throw damaged(`the extended header at byte ${this.pending.at} is followed by another header instead of a file`);
      if (size > this.limits.maxPaxBytes) {
        throw new InswarmError('E_TAR_LIMIT', `The archive has an extended header of ${size} bytes at byte ${at}, above the ${this.limits.maxPaxBytes}-byte limit: the blob is damaged or hostile.`);
      }
      this.pax = { kind: typeflag, at, data: new Uint8Array(size), fill: 0 };
      this.remaining = size;
      this.paddingAfter = padLength(size);
      this.state = 'pax';
      if (size === 0) this.finishPax(events);
      return;
    }

    const pending = this.pending;
    this.pending = null;
    const rawPath = pending?.records.get('path') || ustarPath(block, magic === MAGIC_POSIX, at);
    if (typeflag !== '0' && typeflag !== '\u0000') {
      const kind = REFUSED_KINDS[typeflag] ?? `entry of unknown type ${JSON.stringify(typeflag)}`;
      throw new InswarmError('E_TAR_UNSAFE', `Refusing ${kind} ${quote(rawPath)} in the archive: Inswarm restores only regular files.`);
    }
    if (++this.entries > this.limits.maxEntries) {
      throw new InswarmError('E_TAR_LIMIT', `The archive holds more than ${this.limits.maxEntries} files, the most Inswarm accepts in one archive: it is damaged or hostile.`);
    }
    const pathBytes = Buffer.byteLength(rawPath);
    if (pathBytes > this.limits.maxPathBytes) {
      throw new InswarmError('E_TAR_LIMIT', `The archive entry at byte ${at} has a path of ${pathBytes} bytes, above the ${this.limits.maxPathBytes}-byte limit: it is damaged or hostile.`);
    }
    // Old tars mark directories as regular files whose name ends in '/'; GNU tar still reads them so.
    if (rawPath.endsWith('/')) {
      throw new InswarmError('E_TAR_UNSAFE', `Refusing directory ${quote(rawPath)} in the archive: Inswarm restores only regular files.`);
    }
    const records = pending?.records ?? new Map<string, string>();
    for (const key of records.keys()) {
      // We would read the sparse map as file data while GNU tar expands it: two readers, two files.
      if (key.startsWith(SPARSE_PREFIX)) {
        throw new InswarmError('E_TAR_UNSAFE', `Refusing GNU sparse file ${quote(rawPath)} in the archive: Inswarm restores only regular files.`);
      }
    }
    const path = safeRelativePath(rawPath);
    const paxSize = records.get('size');
    const paxMtime = records.get('mtime');
    const fileSize = paxSize ? parsePaxSize(paxSize, at) : size;
    const mtimeMs = paxMtime ? parsePaxTime(paxMtime, at) : readNumber(block, MTIME, 'mtime', at) * 1000;
    const mode = readNumber(block, MODE, 'mode', at) & 0o7777;
    const extra = Object.fromEntries([...records].filter(([key]) => key !== 'path' && key !== 'size' && key !== 'mtime'));

    events.push({ type: 'file', path, size: fileSize, mtimeMs, mode, records: extra });
    this.paddingAfter = padLength(fileSize);
    if (fileSize === 0) {
      events.push({ type: 'file-end' });
      this.state = 'header';
    } else {
      this.remaining = fileSize;
      this.state = 'data';
    }
  }

  private finishPax(events: TarEvent[]): void {
    const pax = this.pax!;
    this.pax = null;
    const records = parsePaxRecords(pax.data, pax.at);
    if (pax.kind === 'g') events.push({ type: 'global', records: Object.fromEntries(records) });
    else this.pending = { at: pax.at, records };
    this.skipPadding();
  }

  private skipPadding(): void {
    this.remaining = this.paddingAfter;
    this.state = this.remaining > 0 ? 'padding' : 'header';
  }
}

function padLength(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function notTar(at: number, why: string): InswarmError {
  return new InswarmError('E_TAR_FORMAT', `The decrypted content is not a tar archive (${why} in the header at byte ${at}): the blob is damaged or was not made by Inswarm.`);
}

function damaged(why: string): InswarmError {
  return new InswarmError('E_TAR_FORMAT', `The tar archive is damaged: ${why}. Restore the blob from another copy.`);
}

/** POSIX readers accept the checksum computed over unsigned or signed bytes (old writers used signed char). */
function verifyChecksum(block: Uint8Array, at: number): void {
  let stored: number;
  try {
    stored = readOctal(block, CHECKSUM[0], CHECKSUM[1]);
  } catch {
    throw notTar(at, 'unreadable checksum');
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= CHECKSUM[0] && i < CHECKSUM[0] + CHECKSUM[1] ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  if (stored !== unsigned && stored !== signed) throw notTar(at, 'checksum mismatch');
}

/** Octal digits after optional leading spaces, then only NULs or spaces; an empty field reads as 0. */
function readOctal(block: Uint8Array, offset: number, length: number): number {
  const end = offset + length;
  let i = offset;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  for (; i < end && block[i]! >= 0x30 && block[i]! <= 0x37; i++) value = value * 8 + (block[i]! - 0x30);
  while (i < end && (block[i] === 0 || block[i] === 0x20)) i++;
  if (i !== end) throw new RangeError('not octal');
  return value;
}

/** A numeric field: octal, or GNU base-256 (leading 0x80 positive, 0xff negative) for values octal cannot hold. */
function readNumber(block: Uint8Array, [offset, length]: readonly [number, number], field: string, at: number): number {
  const first = block[offset]!;
  let value: number;
  if (first === 0x80 || first === 0xff) {
    let big = 0n;
    for (let i = offset; i < offset + length; i++) big = (big << 8n) | BigInt(block[i]!);
    big -= first === 0x80 ? 0x80n << BigInt(8 * (length - 1)) : 1n << BigInt(8 * length);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw damaged(`the ${field} field of the header at byte ${at} is out of range`);
    }
    value = Number(big);
  } else {
    try {
      value = readOctal(block, offset, length);
    } catch {
      throw damaged(`the ${field} field of the header at byte ${at} is not a number`);
    }
  }
  if (value < 0 && field !== 'mtime') throw damaged(`the ${field} field of the header at byte ${at} is negative`);
  return value;
}

function ustarPath(block: Uint8Array, posix: boolean, at: number): string {
  const name = cString(block, NAME[0], NAME[1], at);
  // Only POSIX ustar has a prefix; GNU's old format keeps other fields in those bytes.
  const prefix = posix ? cString(block, PREFIX[0], PREFIX[1], at) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(block: Uint8Array, offset: number, length: number, at: number): string {
  const bytes = block.subarray(offset, offset + length);
  const nul = bytes.indexOf(0);
  try {
    return utf8.decode(nul === -1 ? bytes : bytes.subarray(0, nul));
  } catch {
    throw damaged(`the name in the header at byte ${at} is not valid UTF-8`);
  }
}

function latin1(block: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...block.subarray(offset, offset + length));
}

/** Records are "<len> <key>=<value>\n" with len counting the whole record; anything else is damage. */
function parsePaxRecords(data: Uint8Array, at: number): Map<string, string> {
  const records = new Map<string, string>();
  const malformed = (why: string): never => {
    throw damaged(`the extended header at byte ${at} has a malformed record (${why})`);
  };
  let start = 0;
  while (start < data.length) {
    let i = start;
    let length = 0;
    // 16 digits already exceed any header we accept; the cap keeps the number exact.
    for (; i < data.length && i - start < 16 && data[i]! >= 0x30 && data[i]! <= 0x39; i++) length = length * 10 + (data[i]! - 0x30);
    if (i === start || data[i] !== 0x20) malformed('no length');
    if (length < i - start + 4 || length > data.length - start) malformed('wrong length');
    const end = start + length;
    if (data[end - 1] !== 0x0a) malformed('no newline at the announced length');
    const body = data.subarray(i + 1, end - 1);
    const eq = body.indexOf(0x3d);
    if (eq <= 0) malformed('no keyword');
    let key: string;
    let value: string;
    try {
      key = utf8.decode(body.subarray(0, eq));
      value = utf8.decode(body.subarray(eq + 1));
    } catch {
      return malformed('not UTF-8');
    }
    if (key.includes('\n') || key.includes('\u0000')) malformed('control character in keyword');
    records.set(key, value); // a repeated keyword overrides the earlier one, as POSIX says
    start = end;
  }
  return records;
}

function parsePaxSize(text: string, at: number): number {
  const size = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(size)) throw damaged(`the extended header at byte ${at} has an invalid size ${quote(text)}`);
  return size;
}

function parsePaxTime(text: string, at: number): number {
  const match = /^(-?)(\d{1,13})(?:\.(\d+))?$/.exec(text);
  const seconds = match ? Number(match[2]) : NaN;
  if (!match || !(seconds * 1000 <= MAX_TIME_MS)) throw damaged(`the extended header at byte ${at} has an invalid time ${quote(text)}`);
  const ns = Number((match[3] ?? '').slice(0, 9).padEnd(9, '0'));
  const ms = seconds * 1000 + ns / 1e6;
  return match[1] ? -ms : ms;
}

/** Quotes a name from an archive for a message: short, and without characters that rewrite a terminal. */
function quote(text: string): string {
  const short = text.length > 200 ? `${text.slice(0, 100)}…${text.slice(-100)}` : text;
  const escaped = short.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped.replace(/"/g, '\\"')}"`;
}
