// The shared bandwidth cap: what passes in a window of (fake) time at a given rate, including the
// initial burst, rate changes while takers wait, and aborts.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { BURST_SECONDS, TokenBucket } from '../../../../src/main/core/swarm/token-bucket.js';

const CHUNK = 256 * 1024;

/** Takes `total` bytes in CHUNK pieces and returns the fake milliseconds that took. */
async function timeToPass(bucket: TokenBucket, total: number): Promise<number> {
  const start = Date.now();
  let passed = 0;
  const run = (async () => {
    while (passed < total) {
      const n = Math.min(CHUNK, total - passed);
      await bucket.take(n);
      passed += n;
    }
  })();
  while (passed < total) await vi.advanceTimersByTimeAsync(5);
  await run;
  return Date.now() - start;
}

describe('TokenBucket', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('holds a 20 MB/s cap within 2 % over a 100 MB upload, initial burst included', async () => {
    const rate = 20e6;
    const ms = await timeToPass(new TokenBucket(rate, () => Date.now()), 100e6);
    const measured = 100e6 / (ms / 1000);
    expect(Math.abs(measured / rate - 1)).toBeLessThan(0.02);
  });

  it('lets the burst through at once and no more', async () => {
    const rate = 10e6;
    const bucket = new TokenBucket(rate, () => Date.now());
    const burst = rate * BURST_SECONDS;
    let passed = 0;
    const run = (async () => {
      for (;;) {
        await bucket.take(CHUNK);
        passed += CHUNK;
      }
    })().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    // Takes pass while tokens remain; the one that empties the bucket may overdraw by a chunk.
    expect(passed).toBeGreaterThanOrEqual(burst);
    expect(passed).toBeLessThanOrEqual(burst + CHUNK);
    void run;
  });

  it('picks up a lower rate while takers wait', async () => {
    const bucket = new TokenBucket(40e6, () => Date.now());
    await timeToPass(bucket, 10e6);
    bucket.setRate(5e6);
    const ms = await timeToPass(bucket, 10e6);
    // 10 MB at 5 MB/s is 2 s; at the old rate it would have been 0.25 s.
    expect(ms).toBeGreaterThan(1_800);
    expect(ms).toBeLessThan(2_300);
  });

  it('passes everything at once without a rate', async () => {
    const bucket = new TokenBucket(null, () => Date.now());
    const start = Date.now();
    for (let i = 0; i < 4_000; i++) await bucket.take(CHUNK);
    expect(Date.now()).toBe(start);
    expect(bucket.rate).toBeNull();
  });

  it('stops waiting when the signal aborts', async () => {
    const bucket = new TokenBucket(1e6, () => Date.now());
    await bucket.take(10e6); // deep debt: the next take waits ~10 s
    const controller = new AbortController();
    const waiting = bucket.take(CHUNK, controller.signal);
    const outcome = expect(waiting).rejects.toThrow();
    controller.abort();
    await vi.advanceTimersByTimeAsync(300);
    await outcome;
  });
});
