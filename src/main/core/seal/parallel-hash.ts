// SHA-256 on a second core. Sealing runs ChaCha20-Poly1305 on the main thread and must also hash
// every ciphertext byte (the blob ID); on a 2-core laptop doing both on one thread halves the
// throughput. This moves the hash to a worker thread. Bytes reach it through a small ring of
// shared-memory slots (one copy, no per-message allocation the worker's GC would have to catch up
// with), so memory stays flat however large the blob: the producer waits when every slot is full.

import { Worker } from 'node:worker_threads';

/** Bytes per shared slot: one sealing batch (a read of 512 KiB plus tags) fits in one or two. */
const SLOT_BYTES = 1024 * 1024;
/** Slots in the ring: enough for the worker to stay busy while the main thread encrypts. */
const SLOT_COUNT = 4;

// Plain JS evaluated in the worker: no file to locate at run time, in dist or under the test runner.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const ring = new Uint8Array(workerData.ring);
parentPort.on('message', (message) => {
  if (message === 'digest') { parentPort.postMessage({ digest: hash.digest('hex') }); return; }
  hash.update(ring.subarray(message.offset, message.offset + message.length));
  parentPort.postMessage({ free: message.slot });
});
`;

/** A SHA-256 computed on a worker thread; feed it in order, then await digest(). */
export class ParallelSha256 {
  private readonly ring = new SharedArrayBuffer(SLOT_BYTES * SLOT_COUNT);
  private readonly view = new Uint8Array(this.ring);
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: this.ring } });
  private readonly freeSlots: number[] = Array.from({ length: SLOT_COUNT }, (_, i) => i);
  private slotWaiters: (() => void)[] = [];
  private digest_: { resolve: (hex: string) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor() {
    this.worker.on('message', (message: { free?: number; digest?: string }) => {
      if (message.digest !== undefined) {
        const waiter = this.digest_;
        this.digest_ = null;
        waiter?.resolve(message.digest);
        return;
      }
      if (message.free !== undefined) {
        this.freeSlots.push(message.free);
        this.slotWaiters.shift()?.();
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    // A worker that ends without answering (aborted, or killed) must not leave digest() waiting.
    this.worker.on('exit', () => this.fail(new Error('the hashing worker stopped before the digest')));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiter = this.digest_;
    this.digest_ = null;
    waiter?.reject(this.failure);
    for (const wake of this.slotWaiters.splice(0)) wake();
  }

  /** Queues bytes for hashing (copied into the ring); resolves once they are all queued. */
  async update(pieces: readonly Uint8Array[]): Promise<void> {
    let slot = -1;
    let filled = 0;
    const post = () => {
      this.worker.postMessage({ slot, offset: slot * SLOT_BYTES, length: filled });
      slot = -1;
      filled = 0;
    };
    for (const piece of pieces) {
      let offset = 0;
      while (offset < piece.byteLength) {
        if (slot === -1) slot = await this.takeSlot();
        const n = Math.min(SLOT_BYTES - filled, piece.byteLength - offset);
        this.view.set(piece.subarray(offset, offset + n), slot * SLOT_BYTES + filled);
        filled += n;
        offset += n;
        if (filled === SLOT_BYTES) post();
      }
    }
    if (slot !== -1) {
      if (filled > 0) post();
      else this.freeSlots.push(slot);
    }
  }

  /** The hex digest of everything queued; ends the worker. */
  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    const hex = await new Promise<string>((resolve, reject) => {
      this.digest_ = { resolve, reject };
      this.worker.postMessage('digest');
    });
    await this.worker.terminate();
    return hex;
  }

  /** Stops the worker without a digest (on failure paths); a digest() still waiting rejects. */
  async abort(): Promise<void> {
    this.fail(new Error('the hash was aborted'));
    await this.worker.terminate();
  }

  private async takeSlot(): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      const slot = this.freeSlots.shift();
      if (slot !== undefined) return slot;
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
  }
}
