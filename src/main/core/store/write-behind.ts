// Writing received bytes behind the network: a link goes on reading while the disk catches up,
// and chunks that arrive while a write is running go to disk together in one writev. Each write is
// a trip through libuv's thread pool, which on a busy 2-core laptop costs more than copying the
// bytes; a 1 MB photo in four frames now takes one or two trips, not four. What waits for the disk
// is bounded by one byte budget shared by every file of the holder, not by a budget per file
// (sixteen transfers on each of thirty-two links would otherwise queue gigabytes).

import type { FileHandle } from 'node:fs/promises';
import { writeAll } from './write-all.js';

/** Bytes queued for the disk across files; a writer waits while they are over the limit. */
export class WriteBudget {
  private queued = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly limitBytes: number) {}

  /** Resolves once the bytes queued by every file are within the limit. */
  async room(): Promise<void> {
    while (this.queued > this.limitBytes) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Bytes waiting for the disk now, for tests and diagnostics. */
  get queuedBytes(): number {
    return this.queued;
  }

  take(bytes: number): void {
    this.queued += bytes;
  }

  give(bytes: number): void {
    this.queued -= bytes;
    if (this.queued <= this.limitBytes) for (const wake of this.waiters.splice(0)) wake();
  }
}

/** One file written in order from `start`: write() queues, flushed() waits for the disk. */
export class WriteBehind {
  private pending: Uint8Array[] = [];
  /** What the pending chunks are charged to the budget (see write()). */
  private pendingBytes = 0;
  private running: Promise<void> | null = null;
  private failure: unknown = null;
  /** Where the next write goes: the file is written front to back, without gaps. */
  private written: number;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly budget: WriteBudget,
  ) {
    this.written = start;
  }

  /** Bytes on disk (written, not yet fsynced): the file's length as the volume sees it. */
  get writtenBytes(): number {
    return this.written;
  }

  /**
   * Queues `bytes` to follow what was queued before; resolves once queued (waiting first while the budget is
   * spent). Rejects with the first write's error once one failed: nothing after it is written.
   */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure !== null) throw this.failure;
    await this.budget.room();
    if (this.failure !== null) throw this.failure;
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    // A frame's bytes are a view into what the link read: until written, the whole of that buffer
    // stays in memory. Charging it (not just the view) keeps a peer sending one-byte frames from
    // pinning a socket buffer per byte of budget.
    const charge = Math.max(bytes.byteLength, bytes.buffer.byteLength);
    this.pendingBytes += charge;
    this.budget.take(charge);
    if (this.running === null) this.running = this.drain();
  }

  /** Resolves once everything queued is written; rejects with the first write's error. */
  async flushed(): Promise<void> {
    while (this.running !== null) await this.running;
    if (this.failure !== null) throw this.failure;
  }

  private async drain(): Promise<void> {
    // Yield first, so `running` is set before this body can finish and clear it.
    await Promise.resolve();
    while (this.pending.length > 0) {
      const buffers = this.pending;
      const charged = this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      try {
        if (this.failure === null) {
          await writeAll(this.handle, buffers, this.written);
          this.written += buffers.reduce((sum, b) => sum + b.byteLength, 0);
        }
      } catch (err) {
        this.failure = err;
      } finally {
        this.budget.give(charged);
      }
    }
    this.running = null;
  }
}
