// SHA-256 on a worker thread: the same digest as node:crypto for any way the bytes are cut, and a
// digest still waiting when the hash is aborted (a transfer given up mid-commit) settles instead
// of hanging its caller for ever.

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ParallelSha256 } from '../../../../src/main/core/seal/parallel-hash.js';

describe('ParallelSha256', () => {
  it('digests what node:crypto digests, however the bytes arrive', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 123);
    const hash = new ParallelSha256();
    for (let at = 0; at < bytes.length; at += 300_007) await hash.update([bytes.subarray(at, at + 300_007)]);
    expect(await hash.digest()).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('a digest waiting when the hash is aborted rejects instead of waiting for ever', async () => {
    const hash = new ParallelSha256();
    // Enough queued that the worker is still hashing when the digest is asked for.
    const bytes = randomBytes(4 * 1024 * 1024);
    await hash.update([bytes]);
    const digest = hash.digest().then(
      () => 'resolved',
      () => 'rejected',
    );
    await hash.abort();
    const outcome = await Promise.race([digest, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
    expect(outcome).not.toBe('still waiting');
  });

  it('refuses a digest once aborted', async () => {
    const hash = new ParallelSha256();
    await hash.abort();
    await expect(hash.digest()).rejects.toThrow(/aborted/);
  });
});
