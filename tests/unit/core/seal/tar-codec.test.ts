import { spawnSync } from 'node:child_process';
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InswarmError } from '../../../../src/main/core/errors.js';
import { TAR_BLOCK, TAR_MAX_PATH_BYTES } from '../../../../src/main/core/limits.js';
import {
  TarDecoder,
  encodeEnd,
  encodeFileHeader,
  encodeGlobalHeader,
  encodePadding,
  safeRelativePath,
  type TarEvent,
  type TarLimits,
} from '../../../../src/main/core/seal/tar-codec.js';

// ---------------------------------------------------------------------------------------------
// Helpers

interface SourceFile {
  name: string;
  data: Uint8Array;
  mtimeMs: number;
  mode?: number;
  records?: Record<string, string>;
}

type Item =
  | { type: 'global'; records: Record<string, string> }
  | { type: 'file'; path: string; size: number; mtimeMs: number; mode: number; records: Record<string, string>; data: Buffer };

/** Builds a sealed-blob-shaped archive with the encoder; `headers` lists where each header block starts. */
function build(files: SourceFile[], global?: Record<string, string>): { archive: Buffer; headers: number[] } {
  const parts: Buffer[] = [];
  const headers: number[] = [];
  let length = 0;
  const push = (part: Buffer, headerBlocks: number[] = []) => {
    for (const h of headerBlocks) headers.push(length + h);
    parts.push(part);
    length += part.length;
  };
  const headerBlocksOf = (header: Buffer): number[] => {
    // An 'x' header is followed by its data, then the ustar header in the last block.
    return header.length === TAR_BLOCK ? [0] : [0, header.length - TAR_BLOCK];
  };
  if (global) push(encodeGlobalHeader(global), [0]);
  for (const f of files) {
    const header = encodeFileHeader({ name: f.name, size: f.data.length, mtimeMs: f.mtimeMs, mode: f.mode ?? 0o644, records: f.records });
    push(header, headerBlocksOf(header));
    push(Buffer.from(f.data));
    push(encodePadding(f.data.length));
  }
  push(encodeEnd());
  return { archive: Buffer.concat(parts), headers };
}

/** Feeds `chunks` to a fresh decoder and folds the events into files, checking their grammar. */
function decode(chunks: Uint8Array[], limits?: Partial<TarLimits>): Item[] {
  const decoder = new TarDecoder(limits);
  const events: TarEvent[] = [];
  for (const chunk of chunks) events.push(...decoder.write(chunk));
  events.push(...decoder.end());
  return collect(events);
}

function collect(events: TarEvent[]): Item[] {
  const items: Item[] = [];
  let current: { file: Extract<TarEvent, { type: 'file' }>; parts: Uint8Array[] } | null = null;
  for (const event of events) {
    if (event.type === 'file') {
      if (current) throw new Error('file inside file');
      current = { file: event, parts: [] };
    } else if (event.type === 'data') {
      if (!current) throw new Error('data outside a file');
      if (event.chunk.length === 0) throw new Error('empty data event');
      current.parts.push(event.chunk);
    } else if (event.type === 'file-end') {
      if (!current) throw new Error('file-end outside a file');
      const data = Buffer.concat(current.parts);
      if (data.length !== current.file.size) throw new Error(`file ${current.file.path}: ${data.length} bytes, header said ${current.file.size}`);
      const { type, path, size, mtimeMs, mode, records } = current.file;
      items.push({ type, path, size, mtimeMs, mode, records, data });
      current = null;
    } else {
      if (current) throw new Error('global inside a file');
      items.push(event);
    }
  }
  if (current) throw new Error('unterminated file');
  return items;
}

/** A cheap exact fingerprint of decoded items, for loops where a deep compare of buffers is too slow. */
function digest(items: Item[]): string {
  return JSON.stringify(items.map((item) => (item.type === 'file' ? { ...item, data: item.data.toString('hex') } : item)));
}

function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, data.length]) {
    chunks.push(data.subarray(start, p));
    start = p;
  }
  return chunks;
}

function caught(fn: () => unknown): InswarmError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InswarmError) return err;
    throw new Error(`expected an InswarmError, got ${String(err)}`);
  }
  throw new Error('expected an InswarmError, nothing was thrown');
}

function expectError(fn: () => unknown, code: string, message?: RegExp): InswarmError {
  const err = caught(fn);
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

/** A hand-made ustar header, for the shapes the encoder refuses to write. */
function rawHeader(f: { name?: string; typeflag?: string; size?: number; prefix?: string; magic?: string; mode?: number; mtime?: number }): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(f.name ?? 'file.txt', 0, 100, 'utf8');
  block.write(`${(f.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${(f.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write(`${(f.mtime ?? 1_700_000_000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  block.write(f.typeflag ?? '0', 156, 'latin1');
  block.write(f.magic ?? 'ustar\u000000', 257, 'latin1');
  if (f.prefix) block.write(f.prefix, 345, 155, 'utf8');
  return fixChecksum(block);
}

function fixChecksum(block: Buffer, signed = false): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += signed && byte >= 0x80 ? byte - 0x100 : byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A pax record built independently of the encoder: the length counts its own digits. */
function paxRec(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  for (let len = n + 1; ; len++) if (String(len).length + n === len) return `${len}${body}`;
}

function paxBlocks(kind: 'x' | 'g', body: string | Buffer): Buffer {
  const data = Buffer.from(body);
  return Buffer.concat([rawHeader({ name: 'PaxHeaders/f', typeflag: kind, size: data.length }), data, encodePadding(data.length)]);
}

function withData(header: Buffer, data: string | Buffer): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([header, bytes, encodePadding(bytes.length), encodeEnd()]);
}

/** 4096 bytes, the longest path accepted: 16 components of 255 bytes (NAME_MAX) and separators. */
const LONGEST_PATH = `${Array.from({ length: 16 }, (_, i) => String.fromCharCode(97 + i).repeat(255)).join('/')}x`;

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

const SAMPLE: SourceFile[] = [
  { name: 'empty', data: bytes(0, 1), mtimeMs: 0 },
  { name: 'one.bin', data: bytes(1, 2), mtimeMs: 1_700_000_000_000 },
  { name: 'photos/IMG_0001.HEIC', data: bytes(511, 3), mtimeMs: 1_700_000_000_123, mode: 0o600 },
  { name: 'фото/日本語 🎉.jpg', data: bytes(512, 4), mtimeMs: 1_700_000_000_123.5 },
  { name: 'x'.repeat(100), data: bytes(513, 5), mtimeMs: 1_683_356_889_123.456789 },
  { name: 'y'.repeat(101), data: bytes(1029, 6), mtimeMs: -1500, mode: 0o755 },
  { name: LONGEST_PATH, data: bytes(7, 7), mtimeMs: 9e12 },
  {
    name: 'notes/a=b.txt',
    data: bytes(64, 8),
    mtimeMs: 1_600_000_000_999.999,
    records: { 'INSWARM.origin': 'phone=Pixel 7; a=b', 'INSWARM.captured': '2023-05-06T07:08:09.123+02:00', 'INSWARM.note': 'ünïcødé 🎉\nsecond line', 'INSWARM.empty': '' },
  },
];
const SAMPLE_GLOBAL = { 'INSWARM.format': '1', 'INSWARM.sealed': '2024-01-02T03:04:05Z' };

function expectedItems(files: SourceFile[], global?: Record<string, string>): Item[] {
  const items: Item[] = global ? [{ type: 'global', records: global }] : [];
  for (const f of files) {
    items.push({
      type: 'file',
      path: f.name,
      size: f.data.length,
      mtimeMs: f.mtimeMs,
      mode: (f.mode ?? 0o644) & 0o7777,
      records: f.records ?? {},
      data: Buffer.from(f.data),
    });
  }
  return items;
}

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inswarm-tar-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function gnuTar(args: string[], cwd?: string): { stdout: string; stderr: string; status: number | null } {
  const run = spawnSync('tar', args, { cwd, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } });
  if (run.error) throw run.error;
  return { stdout: run.stdout, stderr: run.stderr, status: run.status };
}

// ---------------------------------------------------------------------------------------------

describe('safeRelativePath', () => {
  it.each([
    ['a.txt', 'a.txt'],
    ['./a.txt', 'a.txt'],
    ['././dir//sub/./f', 'dir/sub/f'],
    ['dir/', 'dir'],
    ['фото/日本語 🎉.jpg', 'фото/日本語 🎉.jpg'],
    ['a..b/..c/d..', 'a..b/..c/d..'],
    ['.hidden', '.hidden'],
  ])('keeps %j as %j', (input, output) => {
    expect(safeRelativePath(input)).toBe(output);
  });

  it.each([
    ['/etc/passwd', /absolute/],
    ['//server/share', /absolute/],
    ['\\Windows\\x', /backslash/],
    ['dir\\..\\..\\x', /backslash/],
    ['C:evil', /drive letter/],
    ['c:/Windows/x', /drive letter/],
    ['..', /\.\./],
    ['../x', /\.\./],
    ['a/../../x', /\.\./],
    ['a/..', /\.\./],
    ['./../x', /\.\./],
    ['a\u0000b', /NUL/],
    ['a\nb', /control/],
    ['a\u001b[2Jb', /control/],
    ['a\u0085b', /control/],
    ['a\u007fb', /control/],
    ['', /no file/],
    ['.', /no file/],
    ['./', /no file/],
    ['//', /absolute/],
  ])('refuses %j', (input, why) => {
    expectError(() => safeRelativePath(input), 'E_TAR_UNSAFE', why);
  });

  it('quotes a refused path without its control characters', () => {
    const err = expectError(() => safeRelativePath('../\u001b[31mred'), 'E_TAR_UNSAFE');
    expect(err.message).not.toContain('\u001b');
    expect(err.message).toContain('\\u001b');
  });
});

describe('encoder', () => {
  it('pads to the next block', () => {
    expect([0, 1, 511, 512, 513, 1024].map((n) => encodePadding(n).length)).toEqual([0, 511, 1, 0, 511, 0]);
    expect(encodePadding(1).every((b) => b === 0)).toBe(true);
    expect(encodeEnd()).toEqual(Buffer.alloc(1024));
  });

  it('writes a plain ustar header without a pax header when ustar holds everything', () => {
    const header = encodeFileHeader({ name: 'a.txt', size: 5, mtimeMs: 1_700_000_000_000, mode: 0o100644 });
    expect(header.length).toBe(TAR_BLOCK);
    expect(header.subarray(0, 6).toString('latin1')).toBe('a.txt\0');
    expect(header.subarray(257, 265).toString('latin1')).toBe('ustar\u000000');
    expect(String.fromCharCode(header[156]!)).toBe('0');
    expect(header.subarray(100, 108).toString('latin1')).toBe('0000644\0'); // file-type bits dropped
    expect(header.subarray(108, 124).toString('latin1')).toBe('0000000\u00000000000\u0000'); // uid, gid 0
    expect(header.subarray(265, 329).every((b) => b === 0)).toBe(true); // no user or group name
  });

  it('moves names, times and sizes that ustar cannot hold into pax records', () => {
    const paxData = (h: Buffer) => h.subarray(TAR_BLOCK, TAR_BLOCK + Number.parseInt(h.subarray(124, 136).toString('latin1'), 8)).toString('utf8');
    expect(paxData(encodeFileHeader({ name: 'é', size: 0, mtimeMs: 0, mode: 0o644 }))).toBe(paxRec('path', 'é'));
    expect(paxData(encodeFileHeader({ name: 'a', size: 0, mtimeMs: 1_500, mode: 0o644 }))).toBe('13 mtime=1.5\n');
    expect(paxData(encodeFileHeader({ name: 'a', size: 0, mtimeMs: -1_500, mode: 0o644 }))).toBe('14 mtime=-1.5\n');
    expect(paxData(encodeFileHeader({ name: 'a', size: 0, mtimeMs: 1_700_000_000_000.25, mode: 0o644 }))).toBe(paxRec('mtime', '1700000000.00025'));
    const big = encodeFileHeader({ name: 'a', size: 8 * 1024 ** 3, mtimeMs: 0, mode: 0o644 });
    expect(paxData(big)).toBe('19 size=8589934592\n');
    expect(encodeFileHeader({ name: 'a', size: 8 * 1024 ** 3 - 1, mtimeMs: 0, mode: 0o644 }).length).toBe(TAR_BLOCK);
  });

  it('gives pax-unaware readers a safe ASCII ustar name', () => {
    for (const name of ['фото/日本語 🎉.jpg', `${'d'.repeat(200)}/${'f'.repeat(300)}.jpg`, 'é/..é']) {
      const header = encodeFileHeader({ name, size: 0, mtimeMs: 0, mode: 0o644 });
      const ustar = header.subarray(header.length - TAR_BLOCK);
      const field = ustar.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
      expect(field).toMatch(/^[A-Za-z0-9._-]{1,100}$/);
      expect(safeRelativePath(field)).toBe(field);
    }
  });

  it('computes pax record lengths across every digit boundary', () => {
    for (let n = 0; n < 1100; n++) {
      const value = 'v'.repeat(n);
      const header = encodeGlobalHeader({ 'INSWARM.k': value });
      const size = Number.parseInt(header.subarray(124, 136).toString('latin1'), 8);
      const record = header.subarray(TAR_BLOCK, TAR_BLOCK + size).toString('utf8');
      expect(record).toBe(`${record.length} INSWARM.k=${value}\n`);
      expect(header.length % TAR_BLOCK).toBe(0);
    }
  });

  it('refuses keywords a pax reader would misparse or that would override the entry', () => {
    const header = (records: Record<string, string>) => () => encodeFileHeader({ name: 'a', size: 0, mtimeMs: 0, mode: 0o644, records });
    expectError(header({ 'a=b': 'x' }), 'E_TAR_FORMAT', /"="/);
    expectError(header({ 'a\nb': 'x' }), 'E_TAR_FORMAT', /newline/);
    expectError(header({ '': 'x' }), 'E_TAR_FORMAT', /non-empty/);
    expectError(header({ path: '../../etc/passwd' }), 'E_TAR_FORMAT', /set by the codec/);
    expectError(header({ size: '0' }), 'E_TAR_FORMAT', /set by the codec/);
    expectError(header({ 'GNU.sparse.map': '0,1' }), 'E_TAR_FORMAT', /set by the codec/);
    expectError(header({ 'INSWARM.x': 'lone \ud800 half' }), 'E_TAR_FORMAT', /Unicode/);
    expectError(() => encodeGlobalHeader({ 'k=v': '' }), 'E_TAR_FORMAT');
  });

  it('refuses entries it would refuse to read back', () => {
    const entry = { name: 'a', size: 0, mtimeMs: 0, mode: 0o644 };
    expectError(() => encodeFileHeader({ ...entry, name: '../a' }), 'E_TAR_UNSAFE');
    expectError(() => encodeFileHeader({ ...entry, name: '/a' }), 'E_TAR_UNSAFE');
    expectError(() => encodeFileHeader({ ...entry, name: `${LONGEST_PATH}y` }), 'E_TAR_LIMIT', /4097 bytes/);
    expectError(() => encodeFileHeader({ ...entry, size: -1 }), 'E_TAR_FORMAT');
    expectError(() => encodeFileHeader({ ...entry, size: 1.5 }), 'E_TAR_FORMAT');
    expectError(() => encodeFileHeader({ ...entry, mtimeMs: Number.NaN }), 'E_TAR_FORMAT');
    expectError(() => encodeFileHeader({ ...entry, records: { 'INSWARM.big': 'x'.repeat(70_000) } }), 'E_TAR_LIMIT');
  });
});

describe('round trip', () => {
  it('decodes what the encoder wrote: names, sizes, bytes, times, modes, records', () => {
    expect(Buffer.byteLength(LONGEST_PATH)).toBe(TAR_MAX_PATH_BYTES);
    const { archive } = build(SAMPLE, SAMPLE_GLOBAL);
    expect(decode([archive])).toEqual(expectedItems(SAMPLE, SAMPLE_GLOBAL));
  });

  it('normalizes names the same way the decoder would', () => {
    const { archive } = build([{ name: './dir//a.txt', data: bytes(3, 1), mtimeMs: 0 }]);
    expect(decode([archive])).toMatchObject([{ path: 'dir/a.txt' }]);
  });

  it('decodes entries larger than the ustar size field from their pax size', () => {
    const size = 10 * 1024 ** 3;
    const events = new TarDecoder().write(encodeFileHeader({ name: 'big.mov', size, mtimeMs: 0, mode: 0o644 }));
    expect(events).toEqual([{ type: 'file', path: 'big.mov', size, mtimeMs: 0, mode: 0o644, records: {} }]);
  });

  it('returns data as views into the input, never copies', () => {
    const archive = new Uint8Array(build(SAMPLE).archive); // a plain Uint8Array: its slice() would copy
    const decoder = new TarDecoder();
    const data = decoder.write(archive).filter((e) => e.type === 'data');
    expect(data.length).toBeGreaterThan(0);
    for (const event of data) expect(event.chunk.buffer).toBe(archive.buffer);
  });

  it('gives identical events for a split at every byte boundary', () => {
    const { archive } = build(SAMPLE.filter((f) => f.name !== LONGEST_PATH), SAMPLE_GLOBAL);
    const whole = digest(decode([archive]));
    for (let i = 0; i <= archive.length; i++) {
      expect(digest(decode([archive.subarray(0, i), archive.subarray(i)])), `split at ${i}`).toBe(whole);
    }
    expect(digest(decode(splitAt(archive, Array.from({ length: archive.length }, (_, i) => i))))).toBe(whole); // byte by byte
  });

  it('gives identical events for random splits (property)', () => {
    const { archive } = build(SAMPLE, SAMPLE_GLOBAL);
    const whole = digest(decode([archive]));
    fc.assert(
      fc.property(fc.array(fc.nat(archive.length), { maxLength: 40 }), (cuts) => {
        expect(digest(decode(splitAt(archive, cuts)))).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips random entries through random chunking (property)', () => {
    const component = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
      .filter((c) => !c.includes('/') && c !== '.' && c !== '..' && (() => { try { return safeRelativePath(c) === c; } catch { return false; } })());
    const file = fc.record({
      name: fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
      data: fc.uint8Array({ maxLength: 1300 }),
      mtimeMs: fc.oneof(fc.integer({ min: -1e12, max: 1e13 }), fc.integer({ min: 0, max: 4e15 }).map((n) => n / 1000)),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      records: fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((k) => !/[=\n\0]/.test(k)).map((k) => `INSWARM.${k}`), fc.string({ unit: 'grapheme', maxLength: 30 }), { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(fc.array(file, { maxLength: 4 }), fc.array(fc.nat(8000), { maxLength: 10 }), (files, cuts) => {
        const { archive } = build(files);
        const items = decode(splitAt(archive, cuts));
        expect(items.length).toBe(files.length);
        items.forEach((item, i) => {
          const f = files[i]!;
          if (item.type !== 'file') throw new Error('expected a file');
          expect(item.path).toBe(f.name);
          expect(item.data).toEqual(Buffer.from(f.data));
          expect(item.mode).toBe(f.mode);
          expect(item.records).toEqual(f.records);
          expect(Math.abs(item.mtimeMs - f.mtimeMs)).toBeLessThan(1e-3); // nanosecond-exact on the wire; doubles round
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('decoder refusals', () => {
  const plain = (header: Buffer, data = '') => withData(header, data);

  it('says plainly when the input is not a tar archive', () => {
    for (const input of [Buffer.from('hello, this is a text file\n'.repeat(40)), Buffer.from([0x89, 0x50, 0x4e, 0x47, ...bytes(1500, 9)]), bytes(512, 3)]) {
      expectError(() => new TarDecoder().write(input), 'E_TAR_FORMAT', /not a tar archive/);
    }
  });

  it('detects any single bit flip in a header', () => {
    const archive = plain(rawHeader({ name: 'photo.jpg', size: 3 }), 'abc');
    for (let bit = 0; bit < TAR_BLOCK * 8; bit++) {
      // In the checksum field itself, '0'→' ' and ' '→NUL flips spell the same number: skip them.
      const [byte, flipped] = [archive[bit >> 3]!, archive[bit >> 3]! ^ (1 << (bit & 7))];
      if (bit >> 3 >= 148 && bit >> 3 < 156 && [byte, flipped].every((b) => b === 0x30 || b === 0x20 || b === 0)) continue;
      const copy = Buffer.from(archive);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      expectError(() => decode([copy]), 'E_TAR_FORMAT', /not a tar archive/);
    }
  });

  it('accepts a checksum over signed bytes, as old writers made', () => {
    const header = rawHeader({ name: 'é.txt', size: 1 });
    fixChecksum(header, true);
    expect(decode([plain(header, 'z')])).toMatchObject([{ path: 'é.txt', data: Buffer.from('z') }]);
  });

  it.each([
    ['1', 'hard link'],
    ['2', 'symbolic link'],
    ['3', 'character device'],
    ['4', 'block device'],
    ['5', 'directory'],
    ['6', 'FIFO'],
    ['7', 'contiguous file'],
    ['L', 'GNU long name'],
    ['K', 'GNU long link name'],
    ['S', 'GNU sparse file'],
    ['D', 'GNU dump directory'],
    ['M', 'GNU multi-volume continuation'],
    ['V', 'volume label'],
    ['A', 'entry of unknown type "A"'],
    ['X', 'entry of unknown type "X"'],
  ])('refuses typeflag %s as a %s, naming the entry', (typeflag, kind) => {
    const archive = plain(rawHeader({ name: 'evil', typeflag }));
    expectError(() => decode([archive]), 'E_TAR_UNSAFE', new RegExp(`^Refusing ${kind.replace(/"/g, '\\"')} "evil"`));
  });

  it('names a refused entry by its pax path', () => {
    const archive = Buffer.concat([paxBlocks('x', paxRec('path', 'photos/link')), plain(rawHeader({ name: 'stub', typeflag: '2' }))]);
    expectError(() => decode([archive]), 'E_TAR_UNSAFE', /Refusing symbolic link "photos\/link"/);
  });

  it('refuses a regular file named like a directory', () => {
    expectError(() => decode([plain(rawHeader({ name: 'dir/' }))]), 'E_TAR_UNSAFE', /Refusing directory "dir\/"/);
  });

  it('refuses paths that escape, in the ustar name, the prefix and the pax path', () => {
    expectError(() => decode([plain(rawHeader({ name: '../../.bashrc' }))]), 'E_TAR_UNSAFE', /"\.\."/);
    expectError(() => decode([plain(rawHeader({ name: '/etc/cron.d/x' }))]), 'E_TAR_UNSAFE', /absolute/);
    expectError(() => decode([plain(rawHeader({ name: 'x', prefix: '..' }))]), 'E_TAR_UNSAFE', /"\.\."/);
    expectError(() => decode([Buffer.concat([paxBlocks('x', paxRec('path', 'a/../../../x')), plain(rawHeader({ name: 'safe' }))])]), 'E_TAR_UNSAFE', /"\.\."/);
    expectError(() => decode([Buffer.concat([paxBlocks('x', paxRec('path', 'C:\\x.y')), plain(rawHeader({ name: 'safe' }))])]), 'E_TAR_UNSAFE', /backslash|drive/);
  });

  it('joins the ustar prefix and name', () => {
    expect(decode([plain(rawHeader({ name: 'f.txt', prefix: 'dir/sub', size: 2 }), 'hi')])).toMatchObject([{ path: 'dir/sub/f.txt', data: Buffer.from('hi') }]);
    // GNU's old magic keeps other data where POSIX has the prefix.
    expect(decode([plain(rawHeader({ name: 'f.txt', prefix: 'junk', magic: 'ustar  \0' }))])).toMatchObject([{ path: 'f.txt' }]);
  });

  it('refuses unknown format magic', () => {
    expectError(() => decode([plain(rawHeader({ magic: 'tarus\u000000' }))]), 'E_TAR_FORMAT', /not a tar archive/);
  });

  it('refuses a pax header above the cap before buffering it', () => {
    // 2^40 bytes could not even be allocated: the refusal must come from the announced size alone.
    const header = rawHeader({ typeflag: 'x', size: 2 ** 40 });
    const decoder = new TarDecoder();
    expectError(() => decoder.write(header), 'E_TAR_LIMIT', /above the 65536-byte limit/);
    expectError(() => decoder.write(new Uint8Array(10)), 'E_TAR_LIMIT'); // stays failed
    const small = (size: number) => paxBlocks('g', `${size} k=${'v'.repeat(size - String(size).length - 4)}\n`);
    expect(decode([Buffer.concat([small(100), encodeEnd()])], { maxPaxBytes: 100 })).toHaveLength(1);
    expectError(() => decode([Buffer.concat([small(101), encodeEnd()])], { maxPaxBytes: 100 }), 'E_TAR_LIMIT');
    expectError(() => new TarDecoder().write(rawHeader({ typeflag: 'g', size: 65_537 })), 'E_TAR_LIMIT');
  });

  it('refuses paths above the cap', () => {
    const { archive } = build([{ name: 'abcdef', data: bytes(1, 1), mtimeMs: 0 }]);
    expect(decode([archive], { maxPathBytes: 6 })).toHaveLength(1);
    expectError(() => decode([archive], { maxPathBytes: 5 }), 'E_TAR_LIMIT', /path of 6 bytes/);
    const long = `${'p'.repeat(4097)}`;
    expectError(() => decode([Buffer.concat([paxBlocks('x', paxRec('path', long)), plain(rawHeader({}))])]), 'E_TAR_LIMIT', /4097 bytes/);
  });

  it('refuses more entries than the cap', () => {
    const files = [1, 2, 3].map((n) => ({ name: `f${n}`, data: bytes(n, n), mtimeMs: 0 }));
    expect(decode([build(files.slice(0, 2)).archive], { maxEntries: 2 })).toHaveLength(2);
    expectError(() => decode([build(files).archive], { maxEntries: 2 }), 'E_TAR_LIMIT', /more than 2 files/);
  });

  it.each([
    ['7 a=b\n', 'length too long'],
    ['5 a=b\n', 'length too short'],
    ['6 a=b\r', 'no newline'],
    ['6 ab=\n\n', 'length covers a stray byte'],
    ['x a=b\n', 'no length'],
    [' 6 a=b\n', 'leading space'],
    ['6 =bb\n', 'empty keyword'],
    ['6 abc\n', 'no equals sign'],
    ['6 a=b\n\0\0\0', 'trailing bytes'],
    ['3 \n\n', 'record shorter than its fields'],
    ['99999999999999999999 a=b\n', 'absurd length'],
  ])('refuses the malformed pax record %j (%s)', (body) => {
    expectError(() => decode([Buffer.concat([paxBlocks('x', body), plain(rawHeader({}))])]), 'E_TAR_FORMAT', /malformed record/);
  });

  it('reads pax values containing newlines and "=" by their length, and later keywords win', () => {
    const body = paxRec('k', 'a=b\nc=d') + paxRec('path', 'old') + paxRec('path', 'new');
    expect(decode([Buffer.concat([paxBlocks('x', body), plain(rawHeader({ name: 'ignored' }))])])).toMatchObject([{ path: 'new', records: { k: 'a=b\nc=d' } }]);
  });

  it('refuses pax records that are not UTF-8', () => {
    const body = Buffer.concat([Buffer.from('11 path='), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    expectError(() => decode([Buffer.concat([paxBlocks('x', body), plain(rawHeader({}))])]), 'E_TAR_FORMAT', /not UTF-8/);
  });

  it('refuses invalid pax sizes and times', () => {
    for (const [key, value] of [['size', '-1'], ['size', '1e3'], ['size', '99999999999999999'], ['mtime', 'abc'], ['mtime', '1.2.3'], ['mtime', '99999999999999.5'], ['mtime', '+1']] as const) {
      const body = paxRec(key, value);
      expectError(() => decode([Buffer.concat([paxBlocks('x', body), plain(rawHeader({}))])]), 'E_TAR_FORMAT', /invalid (size|time)/);
    }
  });

  it('refuses GNU sparse entries, whose bytes GNU tar would read differently', () => {
    expectError(() => decode([Buffer.concat([paxBlocks('x', paxRec('GNU.sparse.size', '100')), plain(rawHeader({ name: 'sparse' }))])]), 'E_TAR_UNSAFE', /sparse file "sparse"/);
  });

  it('refuses extended headers that describe no file', () => {
    expectError(() => decode([Buffer.concat([paxBlocks('x', paxRec('k', 'va')), encodeEnd()])]), 'E_TAR_FORMAT', /describes no file/);
    expectError(() => decode([Buffer.concat([paxBlocks('x', paxRec('k', 'va')), paxBlocks('x', paxRec('k', 'vb')), plain(rawHeader({}))])]), 'E_TAR_FORMAT', /another header/);
    expectError(() => decode([Buffer.concat([paxBlocks('x', paxRec('k', 'va')), paxBlocks('g', paxRec('k', 'vb')), plain(rawHeader({}))])]), 'E_TAR_FORMAT', /another header/);
  });

  it('reads octal fields with spaces and base-256 fields; refuses anything else', () => {
    const header = rawHeader({ name: 'n', size: 0 });
    header.write('       12 \0', 124, 'latin1'); // space-led and space-ended, as some writers do
    expect(decode([Buffer.concat([fixChecksum(header), bytes(10, 1), encodePadding(10), encodeEnd()])])).toMatchObject([{ size: 10 }]);

    const base256 = rawHeader({ name: 'n' });
    base256.fill(0, 124, 136);
    base256[124] = 0x80;
    base256[135] = 3;
    base256.fill(0xff, 136, 148); // mtime -1 s
    expect(decode([Buffer.concat([fixChecksum(base256), Buffer.from('abc'), encodePadding(3), encodeEnd()])])).toMatchObject([{ size: 3, mtimeMs: -1000 }]);

    const negative = rawHeader({ name: 'n' });
    negative.fill(0xff, 124, 136);
    expectError(() => decode([fixChecksum(negative)]), 'E_TAR_FORMAT', /size field .* negative/);

    const huge = rawHeader({ name: 'n' });
    huge.fill(0x7f, 124, 136);
    huge[124] = 0x80;
    expectError(() => decode([fixChecksum(huge)]), 'E_TAR_FORMAT', /out of range/);

    for (const [offset, text, field] of [[124, '0000000009x\0', 'size'], [136, '1234 5670000', 'mtime'], [100, '06a4\0\0\0\0', 'mode']] as const) {
      const bad = rawHeader({ name: 'n' });
      bad.write(text, offset, 'latin1');
      expectError(() => decode([Buffer.concat([fixChecksum(bad), encodeEnd()])]), 'E_TAR_FORMAT', new RegExp(`${field} field .* not a number`));
    }
  });

  it('says the archive is truncated wherever it stops before the end marker', () => {
    const { archive } = build(SAMPLE.slice(0, 6), SAMPLE_GLOBAL);
    const endMarker = archive.length - 1024;
    for (let cut = 0; cut < endMarker + TAR_BLOCK; cut++) {
      expectError(() => decode([archive.subarray(0, cut)]), 'E_TAR_FORMAT', /truncated/);
    }
    // One zero block ends the archive: POSIX asks for two, but a missing second is not damage.
    for (let cut = endMarker + TAR_BLOCK; cut <= archive.length; cut++) expect(decode([archive.subarray(0, cut)])).toHaveLength(7);
  });

  it('accepts zero padding after the end marker and refuses anything else', () => {
    const { archive } = build(SAMPLE.slice(0, 3));
    expect(decode([archive, Buffer.alloc(10_240)])).toHaveLength(3);
    for (const position of [0, 511, 512, 5000]) {
      const tail = Buffer.alloc(10_240);
      tail[position] = 1;
      expectError(() => decode([archive, tail]), 'E_TAR_FORMAT', /after its end marker/);
    }
    expectError(() => decode([archive, build(SAMPLE.slice(0, 1)).archive]), 'E_TAR_FORMAT', /after its end marker/);
  });

  it('refuses input after end()', () => {
    const decoder = new TarDecoder();
    decoder.write(encodeEnd());
    decoder.end();
    expectError(() => decoder.write(new Uint8Array(1)), 'E_TAR_FORMAT');
  });
});

describe('fuzzing', () => {
  const { archive, headers } = build(SAMPLE.slice(0, 6).map((f) => ({ ...f, data: f.data.subarray(0, 40) })), SAMPLE_GLOBAL);

  /** Decodes and returns normally or with an InswarmError; anything else fails the property. */
  function survives(chunks: Uint8Array[]): void {
    const decoder = new TarDecoder({ maxEntries: 50 });
    try {
      for (const chunk of chunks) {
        for (const event of decoder.write(chunk)) {
          // Memory stays bounded: no event carries more than the chunk that produced it.
          if (event.type === 'data' && event.chunk.length > chunk.length) throw new Error('data event larger than its input');
        }
      }
      decoder.end();
    } catch (err) {
      if (!(err instanceof InswarmError)) throw err;
      expect(err.message).toMatch(/^[A-Z].*[.!]$/s);
    }
  }

  it('survives random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(3000), { maxLength: 8 }), (input, cuts) => survives(splitAt(input, cuts))), { numRuns: 500 });
  });

  it('survives truncated and mutated archives', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(archive.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(archive.length),
        fc.array(fc.nat(archive.length), { maxLength: 8 }),
        (edits, cut, cuts) => {
          const copy = Buffer.from(archive);
          for (const [i, b] of edits) copy[i] = b;
          survives(splitAt(copy.subarray(0, cut), cuts));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('survives header mutations that keep a valid checksum', () => {
    // Re-checksumming lets the mutation reach the field parsers instead of stopping at the checksum.
    fc.assert(
      fc.property(
        fc.constantFrom(...headers),
        fc.array(fc.tuple(fc.nat(TAR_BLOCK - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(archive.length), { maxLength: 6 }),
        (header, edits, cuts) => {
          const copy = Buffer.from(archive);
          for (const [i, b] of edits) copy[header + i] = b;
          fixChecksum(copy.subarray(header, header + TAR_BLOCK));
          survives(splitAt(copy, cuts));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('survives pax data mutations', () => {
    const paxStarts = headers.filter((h) => archive[h + 156] === 0x78 || archive[h + 156] === 0x67).map((h) => h + TAR_BLOCK);
    fc.assert(
      fc.property(fc.constantFrom(...paxStarts), fc.array(fc.tuple(fc.nat(120), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (start, edits) => {
        const copy = Buffer.from(archive);
        for (const [i, b] of edits) copy[start + i] = b;
        survives([copy]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('GNU tar compatibility', () => {
  it('decodes archives GNU tar writes in pax format', () => {
    const dir = tempDir();
    const files: Array<[string, Buffer, number]> = [
      ['plain.txt', Buffer.from('hello\n'), 1_700_000_000_000],
      ['empty', Buffer.alloc(0), 1_000],
      ['sub/фото 🎉.jpg', bytes(513, 1), 1_683_356_889_123.456],
      ['sub/511.bin', bytes(511, 2), 1_700_000_000_500],
      ['sub/512.bin', bytes(512, 3), 1_700_000_001_000],
      [`deep/${'n'.repeat(150)}/${'m'.repeat(120)}.bin`, bytes(2000, 4), 1_600_000_000_250],
      ['c'.repeat(100), bytes(1, 5), 1_600_000_000_000],
    ];
    for (const [name, data, mtimeMs] of files) {
      mkdirSync(dirname(join(dir, 'src', name)), { recursive: true });
      writeFileSync(join(dir, 'src', name), data, { mode: 0o640 });
      utimesSync(join(dir, 'src', name), mtimeMs / 1000, mtimeMs / 1000);
    }
    const tarPath = join(dir, 'gnu.tar');
    const run = gnuTar(['--format=pax', '-cf', tarPath, '-C', join(dir, 'src'), ...files.map(([name]) => name)]);
    expect(run.stderr).toBe('');
    const archive = readFileSync(tarPath);
    expect(archive.length % 10_240).toBe(0); // GNU pads to 10 KiB records: the zero tail must be accepted

    const items = decode([archive]);
    expect(items.map((item) => (item.type === 'file' ? item.path : '?'))).toEqual(files.map(([name]) => name));
    items.forEach((item, i) => {
      const [name, data] = files[i]!;
      if (item.type !== 'file') throw new Error('expected a file');
      const stat = statSync(join(dir, 'src', name));
      expect(item.data).toEqual(data);
      expect(item.mtimeMs).toBe(stat.mtimeMs);
      expect(item.mode).toBe(stat.mode & 0o7777);
    });
    // Every chunking of a real archive gives the same files.
    const whole = digest(items);
    for (let i = 0; i <= archive.length; i++) expect(digest(decode([archive.subarray(0, i), archive.subarray(i)]))).toBe(whole);
  });

  it('joins the prefix of ustar archives GNU tar writes', () => {
    const dir = tempDir();
    const name = `${'p'.repeat(120)}/file.txt`;
    mkdirSync(join(dir, 'p'.repeat(120)));
    writeFileSync(join(dir, name), 'prefixed');
    const tarPath = join(dir, 'ustar.tar');
    expect(gnuTar(['--format=ustar', '-cf', tarPath, '-C', dir, name]).stderr).toBe('');
    expect(decode([readFileSync(tarPath)])).toMatchObject([{ path: name, data: Buffer.from('prefixed') }]);
  });

  it('refuses the links, directories and long-name entries GNU tar writes', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'target'), 'x');
    symlinkSync('/etc/passwd', join(dir, 'link'));
    const make = (args: string[]) => {
      const tarPath = join(dir, `t${Math.random().toString(36).slice(2)}.tar`);
      expect(gnuTar(['-cf', tarPath, '-C', dir, ...args]).status).toBe(0);
      return readFileSync(tarPath);
    };
    expectError(() => decode([make(['--format=pax', 'link'])]), 'E_TAR_UNSAFE', /Refusing symbolic link "link"/);
    expectError(() => decode([make(['--format=pax', 'folder'])]), 'E_TAR_UNSAFE', /Refusing directory "folder\/"/);
    linkSync(join(dir, 'target'), join(dir, 'again'));
    expectError(() => decode([make(['--format=pax', 'target', 'again'])]), 'E_TAR_UNSAFE', /Refusing hard link "again"/);
    mkdirSync(join(dir, 'l'.repeat(120)));
    writeFileSync(join(dir, 'l'.repeat(120), 'f'), 'x');
    expectError(() => decode([make(['--format=gnu', `${'l'.repeat(120)}/f`])]), 'E_TAR_UNSAFE', /Refusing GNU long name/);
  });

  it('lists and extracts what the encoder writes, silently, with names, sizes, bytes, times and modes', () => {
    const dir = tempDir();
    const files: SourceFile[] = [
      { name: 'plain.txt', data: Buffer.from('hello\n'), mtimeMs: 1_700_000_000_000, mode: 0o640 },
      { name: 'empty', data: Buffer.alloc(0), mtimeMs: 1_000, mode: 0o600 },
      { name: 'фото/日本語 🎉.jpg', data: bytes(513, 1), mtimeMs: 1_683_356_889_123.5, mode: 0o644 },
      { name: 'sizes/511', data: bytes(511, 2), mtimeMs: 1_700_000_000_001, mode: 0o644 },
      { name: 'sizes/512', data: bytes(512, 3), mtimeMs: 1_700_000_000_999.25, mode: 0o755 },
      { name: `deep/${'n'.repeat(200)}/${'m'.repeat(200)}.bin`, data: bytes(2000, 4), mtimeMs: 1_600_000_000_000, mode: 0o644 },
      { name: 'c'.repeat(100), data: bytes(1, 5), mtimeMs: 1_600_000_000_000, mode: 0o644 },
      // Custom per-file keywords named SCHILY.xattr.* are known to GNU tar: it stays silent.
      { name: 'tagged.jpg', data: bytes(10, 6), mtimeMs: 1_600_000_000_000, mode: 0o644, records: { 'SCHILY.xattr.user.inswarm.origin': 'phone=Pixel 7', 'SCHILY.xattr.user.inswarm.captured': '2023-05-06T07:08:09Z' } },
    ];
    const tarPath = join(dir, 'ours.tar');
    writeFileSync(tarPath, build(files, SAMPLE_GLOBAL).archive);

    const list = gnuTar(['--full-time', '--quoting-style=literal', '-tvf', tarPath]);
    expect(list.stderr).toBe('');
    expect(list.status).toBe(0);
    const rows = list.stdout.trimEnd().split('\n').map((line) => /^(\S+) (\S+) +(\d+) (\S+ \S+) +(.*)$/.exec(line)!.slice(1));
    expect(rows.map((r) => r[4])).toEqual(files.map((f) => f.name));
    expect(rows.map((r) => Number(r[2]))).toEqual(files.map((f) => f.data.length));
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['0/0'])); // no user or group names leaked
    expect(rows[2]![3]).toBe('2023-05-06 07:08:09.1235');

    const out = join(dir, 'out');
    mkdirSync(out);
    const extract = gnuTar(['-xpf', tarPath, '-C', out]);
    expect(extract.stderr).toBe('');
    expect(extract.status).toBe(0);
    for (const f of files) {
      const path = join(out, f.name);
      expect(readFileSync(path)).toEqual(Buffer.from(f.data));
      const stat = statSync(path);
      expect(stat.mtimeMs).toBe(f.mtimeMs);
      expect(stat.mode & 0o7777).toBe(f.mode);
    }
  });

  it('warns about bare INSWARM.* keywords in per-file headers (why per-file records use SCHILY.xattr.*)', () => {
    const dir = tempDir();
    const tarPath = join(dir, 'bare.tar');
    writeFileSync(tarPath, build([{ name: 'a.jpg', data: bytes(3, 1), mtimeMs: 0, records: { 'INSWARM.origin': 'phone' } }], { 'INSWARM.format': '1' }).archive);
    // GNU tar 1.34 stays silent about unknown keywords in the global header, but not in per-file ones.
    expect(gnuTar(['-tf', tarPath]).stderr).toBe("tar: Ignoring unknown extended header keyword 'INSWARM.origin'\n");
  });

  it('lets GNU tar read entries above 8 GiB from the pax size', () => {
    const dir = tempDir();
    const size = 8 * 1024 ** 3 + 1;
    const tarPath = join(dir, 'big.tar');
    const header = encodeFileHeader({ name: 'big.mov', size, mtimeMs: 1_700_000_000_000, mode: 0o644 });
    writeFileSync(tarPath, header);
    truncateSync(tarPath, header.length + size + encodePadding(size).length); // a sparse hole: no disk used
    appendFileSync(tarPath, encodeEnd());
    const list = gnuTar(['--quoting-style=literal', '-tvf', tarPath]);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(new RegExp(` ${size} .* big\\.mov\\n$`));
  });
});
