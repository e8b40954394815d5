// ISO media box headers from untrusted files: sizes that lie (too small, past the parent, 64-bit
// beyond what JS holds), walks that must end, and the read budget that caps what a file can make
// us read.
import { describe, expect, it } from 'vitest';
import { ISOBMFF_MAX_BOXES } from '../../../../src/main/core/limits.js';
import { boxesIn, budgetedSource, Cursor, looksLikeIsobmff, parseBoxHeader, ReadBudgetExceeded, walkBoxes, type Box, type RangeSource } from '../../../../src/main/core/seal/isobmff.js';
import { box, ftyp, u32, u64 } from '../../../helpers/isobmff.js';

/** A RangeSource over bytes in memory that records every read. */
function memory(bytes: Buffer): RangeSource & { reads: { offset: number; length: number }[] } {
  const reads: { offset: number; length: number }[] = [];
  return {
    size: bytes.length,
    reads,
    async read(offset, length) {
      reads.push({ offset, length });
      return bytes.subarray(offset, offset + length);
    },
  };
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('parseBoxHeader', () => {
  it('reads 32-bit sizes, 64-bit largesizes and size 0 (to the end of the parent)', () => {
    // 00000010 'free' + 8 payload bytes
    expect(parseBoxHeader(hex('00000010 66726565 0000000000000000'), 100, 1000)).toEqual({ type: 'free', start: 100, payload: 108, end: 116 });
    // size 1, 'mdat', largesize 0x1_0000_0010 (past 4 GiB)
    expect(parseBoxHeader(hex('00000001 6d646174 0000000100000010'), 0, 2 ** 40)).toEqual({ type: 'mdat', start: 0, payload: 16, end: 0x1_0000_0010 });
    expect(parseBoxHeader(hex('00000000 6d646174'), 40, 5000)).toEqual({ type: 'mdat', start: 40, payload: 48, end: 5000 });
  });

  it('refuses a header that is cut short, smaller than itself, past its parent, or beyond a safe integer', () => {
    expect(parseBoxHeader(hex('00000010 6672'), 0, 100)).toBeNull(); // 6 bytes
    for (const size of ['00000000', '00000007', '00000002']) expect(parseBoxHeader(hex(`${size} 66726565`), 0, 4), size).toBeNull();
    expect(parseBoxHeader(hex('00000002 66726565'), 0, 100)).toBeNull(); // 2 < 8
    expect(parseBoxHeader(hex('00000007 66726565'), 0, 100)).toBeNull();
    expect(parseBoxHeader(hex('00000001 6d646174 0000000000000008'), 0, 100)).toBeNull(); // largesize 8 < 16
    expect(parseBoxHeader(hex('00000001 6d646174 00000000'), 0, 100)).toBeNull(); // largesize cut short
    expect(parseBoxHeader(hex('00000001 6d646174 ffffffffffffffff'), 0, Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(parseBoxHeader(hex('00000011 66726565'), 0, 16)).toBeNull(); // 17 bytes in a 16-byte parent
    expect(parseBoxHeader(hex('00000008 66726565'), 10, 17)).toBeNull(); // header itself does not fit
  });
});

describe('boxesIn and walkBoxes', () => {
  const file = Buffer.concat([ftyp('isom', 'isom'), box('free', Buffer.alloc(3)), box('moov', box('mvhd', Buffer.alloc(4)))]);

  it('list the boxes in order, in memory and through positioned reads', async () => {
    const inMemory = boxesIn(file).map((b) => b.type);
    expect(inMemory).toEqual(['ftyp', 'free', 'moov']);
    const walked: Box[] = [];
    await walkBoxes(memory(file), 0, file.length, (b) => (walked.push(b), false));
    expect(walked).toEqual(boxesIn(file));
    const moov = walked[2]!;
    expect(boxesIn(file, moov.payload, moov.end).map((b) => b.type)).toEqual(['mvhd']);
  });

  it('stop at the first bad header and keep what came before it', async () => {
    const bad = Buffer.concat([ftyp('isom'), u32(3), Buffer.from('free'), box('moov')]);
    expect(boxesIn(bad).map((b) => b.type)).toEqual(['ftyp']);
    const walked: string[] = [];
    await walkBoxes(memory(bad), 0, bad.length, (b) => (walked.push(b.type), false));
    expect(walked).toEqual(['ftyp']);
  });

  it('stop when asked, reading no further header', async () => {
    const source = memory(file);
    await walkBoxes(source, 0, file.length, (b) => b.type === 'ftyp');
    expect(source.reads).toHaveLength(1);
  });

  it(`end after ${ISOBMFF_MAX_BOXES} boxes however many tiny ones a file holds, reading only their headers`, async () => {
    const tiny = Buffer.concat([ftyp('isom'), ...Array.from({ length: 100_000 }, () => box('free')), box('moov')]);
    expect(boxesIn(tiny)).toHaveLength(ISOBMFF_MAX_BOXES);
    const source = memory(tiny);
    let seen = 0;
    await walkBoxes(source, 0, tiny.length, () => (seen++, false));
    expect(seen).toBe(ISOBMFF_MAX_BOXES);
    expect(source.reads.length).toBe(ISOBMFF_MAX_BOXES);
    expect(source.reads.every((r) => r.length <= 16)).toBe(true);
  });

  it('follow a 64-bit mdat to what lies after it without reading it', async () => {
    const mdatEnd = 2 ** 33;
    const head = ftyp('qt  ');
    const header = Buffer.concat([head, u32(1), Buffer.from('mdat'), u64(mdatEnd - head.length)]);
    const moov = box('moov');
    const reads: number[] = [];
    const source: RangeSource = {
      size: mdatEnd + moov.length,
      async read(offset, length) {
        reads.push(offset);
        if (offset < header.length) return header.subarray(offset, offset + length);
        if (offset === mdatEnd) return moov.subarray(0, length);
        throw new Error(`unexpected read at ${offset}`);
      },
    };
    const types: string[] = [];
    await walkBoxes(source, 0, source.size, (b) => (types.push(b.type), false));
    expect(types).toEqual(['ftyp', 'mdat', 'moov']);
    expect(reads).toEqual([0, head.length, mdatEnd]);
  });
});

describe('looksLikeIsobmff', () => {
  it('knows ftyp and the first boxes of old QuickTime files, and nothing else', () => {
    for (const t of ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot']) expect(looksLikeIsobmff(box(t)), t).toBe(true);
    expect(looksLikeIsobmff(hex('ffd8ffe1 00104578 69660000'))).toBe(false); // JPEG
    expect(looksLikeIsobmff(Buffer.from('II*\0\x08\0\0\0', 'latin1'))).toBe(false); // TIFF
    expect(looksLikeIsobmff(Buffer.from('ftyp'))).toBe(false); // too short
  });
});

describe('budgetedSource', () => {
  it('serves the head for free and refuses reads past the budget before making them', async () => {
    const bytes = Buffer.alloc(10_000, 7);
    const underlying: number[] = [];
    const source = budgetedSource(bytes.length, bytes.subarray(0, 1000), 300, async (offset, length) => {
      underlying.push(length);
      return bytes.subarray(offset, offset + length);
    });
    expect((await source.read(0, 1000)).length).toBe(1000);
    expect(underlying).toEqual([]);
    expect((await source.read(5000, 200)).length).toBe(200);
    expect((await source.read(9950, 200)).length).toBe(50); // clamped to the file
    await expect(source.read(6000, 51)).rejects.toBeInstanceOf(ReadBudgetExceeded);
    expect(source.spent).toBe(250);
    expect(underlying).toEqual([200, 50]);
    expect((await source.read(20_000, 10)).length).toBe(0); // past the end: nothing, and nothing read
    await expect(source.read(-1, 4)).rejects.toBeInstanceOf(RangeError);
    await expect(source.read(0, Number.POSITIVE_INFINITY)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('Cursor', () => {
  it('reads big-endian fields and throws rather than read past its box', () => {
    const c = new Cursor(hex('01 0203 04050607 0000000000000009 ff'), 0, 15);
    expect([c.u8(), c.u16(), c.u32(), c.u64()]).toEqual([1, 0x0203, 0x04050607, 9]);
    expect(c.remaining).toBe(0);
    expect(() => c.u8()).toThrow(RangeError); // byte 15 exists in the buffer but not in the box
    expect(() => new Cursor(hex('ffffffffffffffff'), 0, 8).u64()).toThrow(RangeError);
    expect(() => new Cursor(hex('00000000'), 0, 4).uint(2)).toThrow(RangeError);
    expect(new Cursor(hex(''), 0, 0).uint(0)).toBe(0);
    expect(() => new Cursor(hex('00'), 0, 1).skip(-1)).toThrow(RangeError);
  });
});
