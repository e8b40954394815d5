// SHA-256 on a second core. Sealing runs ChaCha20-Poly1305 on the main thread and must also hash
// every ciphertext byte (the blob ID); on a 2-core laptop doing both on one thread halves the
// throughput. This moves the hash to a worker thread, with bounded memory: `update` waits when
// more than HASH_QUEUE_BYTES are in flight.

import { Worker } from 'node:worker_threads';

/** Bytes queued for the worker before update() makes the producer wait (memory stays flat). */
const HASH_QUEUE_BYTES = 4 * 1024 * 1024;

// Plain JS evaluated in the worker: no file to locate at run time, in dist or under the test runner.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message === 'digest') { parentPort.postMessage({ digest: hash.digest('hex') }); return; }
  let bytes = 0;
  for (const piece of message) { hash.update(piece); bytes += piece.byteLength; }
  parentPort.postMessage({ done: bytes });
});
`;

/** A SHA-256 computed on a worker thread; feed it in order, then await digest(). */
export class ParallelSha256 {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private digest_: { resolve: (hex: string) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor() {
    this.worker.on('message', (message: { done?: number; digest?: string }) => {
      if (message.digest !== undefined) {
        this.digest_?.resolve(message.digest);
        return;
      }
      this.inFlight -= message.done ?? 0;
      if (this.inFlight <= HASH_QUEUE_BYTES) this.wake();
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      this.digest_?.reject(err);
      this.wake();
    });
  }

  /**
   * Queues bytes for the worker; resolves once the queue is below its bound. With `transfer`, the
   * pieces' memory moves to the worker (the caller must not touch them again); pieces that share
   * their memory with other data (small pooled buffers) are copied instead.
   */
  async update(pieces: readonly Uint8Array[], options: { transfer?: boolean } = {}): Promise<void> {
    if (this.failure) throw this.failure;
    let bytes = 0;
    for (const piece of pieces) bytes += piece.byteLength;
    if (bytes === 0) return;
    this.inFlight += bytes;
    const transferList: ArrayBuffer[] = [];
    if (options.transfer) {
      for (const piece of pieces) {
        const owned = piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength && piece.buffer instanceof ArrayBuffer;
        if (owned && !transferList.includes(piece.buffer as ArrayBuffer)) transferList.push(piece.buffer as ArrayBuffer);
      }
    }
    this.worker.postMessage(pieces, transferList);
    while (this.inFlight > HASH_QUEUE_BYTES && this.failure === null) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
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

  /** Stops the worker without a digest (on failure paths). */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
