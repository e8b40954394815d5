// A token bucket shared by every link of one direction, so a donor's bandwidth cap holds however
// many peers connect (promise 4). Tokens are bytes; the rate can change while transfers run.

/**
 * Burst allowance in seconds of rate. The bucket starts full, so a transfer of B bytes runs at
 * rate × B / (B − burst): at 0.25 s a 100 MB upload under a 20 MB/s cap measured 21.05 MB/s
 * (+5 %); at 0.05 s it is +1 %. Takes larger than the burst go into debt, so links stay busy.
 */
export const BURST_SECONDS = 0.05;
/** Longest single wait, so a rate change (or an abort) takes effect quickly. */
const MAX_WAIT_MS = 250;

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `bytesPerSecond` null or 0 means unlimited. */
  constructor(
    private bytesPerSecond: number | null,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = this.burst();
    this.last = now();
  }

  /** Changes the rate; waiting takers pick it up within MAX_WAIT_MS. */
  setRate(bytesPerSecond: number | null): void {
    this.refill();
    this.bytesPerSecond = bytesPerSecond;
    this.tokens = Math.min(this.tokens, this.burst());
  }

  get rate(): number | null {
    return this.bytesPerSecond || null;
  }

  /** Waits until `bytes` may pass. Large takes go into debt rather than waiting for a burst they never fit. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const rate = this.bytesPerSecond;
      if (!rate) return;
      this.refill();
      if (this.tokens > 0) {
        this.tokens -= bytes;
        return;
      }
      const waitMs = Math.min(MAX_WAIT_MS, Math.ceil((-this.tokens / rate) * 1000) + 1);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  private refill(): void {
    const t = this.now();
    const rate = this.bytesPerSecond;
    if (rate) this.tokens = Math.min(this.burst(), this.tokens + ((t - this.last) / 1000) * rate);
    this.last = t;
  }

  private burst(): number {
    return (this.bytesPerSecond ?? 0) * BURST_SECONDS;
  }
}
