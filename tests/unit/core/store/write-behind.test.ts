// Writing behind the network on real files: chunks that queue during a write go to disk together,
// the shared budget makes writers wait, and a failed write fails the file without losing count.
// Where a test must hold a write open, it gates the real handle's own methods; the bytes still
// go through the real file system.

import { randomBytes } from 'node:crypto';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteBehind, WriteBudget } from '../../../../src/main/core/store/write-behind.js';
import { tempDir } from '../../../helpers/tmp.js';

const KiB = 1024;

/** Counts the handle's writes, and holds each one until `release()` while `held` is true. */
function gated(handle: FileHandle) {
  const calls: { kind: 'write' | 'writev'; buffers: number }[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open_: () => void = () => undefined;
  const state = {
    calls,
    hold() {
      gate = new Promise((resolve) => (open_ = resolve));
    },
    release() {
      open_();
    },
  };
  const write = handle.write.bind(handle) as (...args: unknown[]) => Promise<unknown>;
  const writev = handle.writev.bind(handle);
  (handle as { write: unknown }).write = async (...args: unknown[]) => {
    calls.push({ kind: 'write', buffers: 1 });
    await gate;
    return write(...args);
  };
  (handle as { writev: unknown }).writev = async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
    calls.push({ kind: 'writev', buffers: buffers.length });
    await gate;
    return writev(buffers, position);
  };
  return state;
}

async function file(label: string) {
  const path = join(await tempDir(`write-behind-${label}`), 'part');
  return { path, handle: await open(path, 'w', 0o600) };
}

/** A writer on a fresh file whose writes the test holds and releases, with a roomy budget. */
async function gatedWriter(label: string) {
  const { path, handle } = await file(label);
  const gate = gated(handle);
  const budget = new WriteBudget(64 * KiB * 1024);
  return { path, handle, gate, budget, writer: new WriteBehind(handle, 0, budget) };
}

describe('WriteBehind', () => {
  it('writes what queued during a write in one writev, in order, and the file holds every byte', async () => {
    const { path, handle, gate, budget, writer } = await gatedWriter('coalesce');
    const chunks = Array.from({ length: 6 }, () => randomBytes(100 * KiB));
    gate.hold();
    for (const chunk of chunks) await writer.write(chunk);
    // The first chunk's write is held open; the five after it wait for it together.
    expect(gate.calls).toEqual([{ kind: 'write', buffers: 1 }]);
    expect(budget.queuedBytes).toBe(600 * KiB);
    gate.release();
    await writer.flushed();
    expect(gate.calls).toEqual([
      { kind: 'write', buffers: 1 },
      { kind: 'writev', buffers: 5 },
    ]);
    expect(writer.writtenBytes).toBe(600 * KiB);
    expect(budget.queuedBytes).toBe(0);
    await handle.close();
    expect(await readFile(path)).toEqual(Buffer.concat(chunks));
  });

  it('continues a resumed file at its offset', async () => {
    const { path, handle } = await file('resume');
    const head = randomBytes(10 * KiB);
    await writeFile(path, head);
    const writer = new WriteBehind(handle, head.length, new WriteBudget(KiB * KiB));
    const tail = randomBytes(30 * KiB);
    await writer.write(tail);
    await writer.flushed();
    await handle.close();
    expect(await readFile(path)).toEqual(Buffer.concat([head, tail]));
  });

  it('a writer waits while the budget shared by every file is spent, and goes on once the disk catches up', async () => {
    const budget = new WriteBudget(256 * KiB);
    const a = await file('budget-a');
    const b = await file('budget-b');
    const gate = gated(a.handle);
    const writerA = new WriteBehind(a.handle, 0, budget);
    const writerB = new WriteBehind(b.handle, 0, budget);
    gate.hold();
    await writerA.write(randomBytes(200 * KiB));
    await writerA.write(randomBytes(200 * KiB)); // within the limit when asked: queued
    let queued = false;
    const waiting = writerB.write(randomBytes(10 * KiB)).then(() => (queued = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(queued).toBe(false); // another file's bytes spent the budget: B waits for the disk
    expect(budget.queuedBytes).toBe(400 * KiB);
    gate.release();
    await waiting;
    await Promise.all([writerA.flushed(), writerB.flushed()]);
    expect(budget.queuedBytes).toBe(0);
    await Promise.all([a.handle.close(), b.handle.close()]);
    expect((await readFile(a.path)).length).toBe(400 * KiB);
    expect((await readFile(b.path)).length).toBe(10 * KiB);
  });

  it('a failed write fails flushed() and every later write, and gives its bytes back to the budget', async () => {
    const { path } = await file('fail');
    const readOnly = await open(path, 'r'); // writes fail with EBADF
    const budget = new WriteBudget(KiB * KiB);
    const writer = new WriteBehind(readOnly, 0, budget);
    await writer.write(randomBytes(KiB));
    await expect(writer.flushed()).rejects.toMatchObject({ code: 'EBADF' });
    await expect(writer.write(randomBytes(KiB))).rejects.toMatchObject({ code: 'EBADF' });
    expect(budget.queuedBytes).toBe(0);
    expect(writer.writtenBytes).toBe(0);
    await readOnly.close();
  });
});

describe('WriteBudget charges', () => {
  it('a small view into a large buffer is charged the buffer it keeps in memory until written', async () => {
    const { path, handle, gate, budget, writer } = await gatedWriter('pinned');
    const socketRead = new Uint8Array(KiB * KiB); // what one read from the link held
    socketRead.set(randomBytes(10), 500);
    gate.hold();
    await writer.write(socketRead.subarray(500, 510));
    expect(budget.queuedBytes).toBe(KiB * KiB);
    gate.release();
    await writer.flushed();
    expect(budget.queuedBytes).toBe(0);
    await handle.close();
    expect(await readFile(path)).toEqual(Buffer.from(socketRead.subarray(500, 510)));
  });
});
