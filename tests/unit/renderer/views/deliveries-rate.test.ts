import { describe, expect, it } from 'vitest';
import type { DeliveryRowView } from '../../../../src/shared/api.js';
import {
  RATE_MAX_SAMPLES,
  RATE_STALL_MS,
  RATE_WINDOW_MS,
  addSample,
  etaMs,
  formatEta,
  isDeliveryProgressEvent,
  nextLiveProgress,
  pruneFinished,
  LIVE_FINISHED_KEEP_MS,
  percentOf,
  rateBps,
  shownSent,
  type LiveProgress,
} from '../../../../src/renderer/views/deliveries-rate.js';

const MB = 1_000_000;

/** Progress of an upload of `size` bytes fed one sample per second at `bps`. */
function feed(size: number, bps: number, seconds: number, start = 0): LiveProgress {
  let p: LiveProgress | undefined;
  for (let s = 0; s <= seconds; s++) p = addSample(p, start + s * 1000, Math.min(size, s * bps), size);
  return p!;
}

describe('rate and time left of a delivery', () => {
  it('measures a steady upload and says how long is left', () => {
    const p = feed(100 * MB, 2 * MB, 5);
    expect(rateBps(p, 5_000)).toBeCloseTo(2 * MB, 0);
    // 90 MB left at 2 MB/s
    expect(etaMs(p, 5_000)).toBeCloseTo(45_000, -1);
  });

  it('follows a link that slows down, forgetting samples older than the window', () => {
    let p = feed(1000 * MB, 10 * MB, 20); // 10 MB/s for 20 s
    const t0 = 20_000;
    for (let s = 1; s <= 15; s++) p = addSample(p, t0 + s * 1000, p.sent + 1 * MB, p.size); // then 1 MB/s
    expect(p.samples.every((x) => t0 + 15_000 - x.at <= RATE_WINDOW_MS)).toBe(true);
    expect(rateBps(p, t0 + 15_000)).toBeCloseTo(1 * MB, 0);
  });

  it('knows no rate from a single sample or a too short span', () => {
    const one = addSample(undefined, 0, 5 * MB, 10 * MB);
    expect(rateBps(one, 0)).toBeNull();
    const two = addSample(one, 200, 6 * MB, 10 * MB);
    expect(rateBps(two, 200)).toBeNull();
    expect(etaMs(two, 200)).toBeNull();
  });

  it('says stalled (rate 0, no time left) when progress stops', () => {
    const p = feed(100 * MB, 2 * MB, 5);
    expect(rateBps(p, 5_000 + RATE_STALL_MS + 1)).toBe(0);
    expect(etaMs(p, 5_000 + RATE_STALL_MS + 1)).toBeNull();
  });

  it('starts over when an upload restarts from a lower offset', () => {
    const p = feed(100 * MB, 5 * MB, 4);
    const restarted = addSample(p, 5_000, 1 * MB, 100 * MB);
    expect(restarted.samples).toEqual([{ at: 5_000, sent: 1 * MB }]);
    expect(rateBps(restarted, 5_000)).toBeNull();
  });

  it('keeps a bounded number of samples however fast events come', () => {
    let p: LiveProgress | undefined;
    for (let i = 0; i < 10_000; i++) p = addSample(p, i, i * 10, 1e9);
    expect(p!.samples.length).toBeLessThanOrEqual(RATE_MAX_SAMPLES);
    // 10 bytes per ms, measured across the window rather than the last few events
    expect(rateBps(p!, 9_999)).toBeCloseTo(10_000, -1);
    expect(p!.samples[p!.samples.length - 1]).toEqual({ at: 9_999, sent: 99_990 });
  });
});

describe('formatEta', () => {
  it('words time left, rounding up', () => {
    expect(formatEta(1_200)).toBe('a few seconds');
    expect(formatEta(40_100)).toBe('41 s');
    expect(formatEta(60_000)).toBe('1 min');
    expect(formatEta(61_000)).toBe('2 min');
    expect(formatEta(3600_000)).toBe('1 h');
    expect(formatEta(2 * 3600_000 + 5 * 60_000)).toBe('2 h 5 min');
  });
});

describe('shownSent and percentOf', () => {
  const row = (over: Partial<DeliveryRowView>): DeliveryRowView => ({
    blobId: 'a'.repeat(64),
    source: 'outbox',
    destination: 'home',
    target: 'https://home.example',
    state: 'uploading',
    size: 10 * MB,
    bytesSent: 2 * MB,
    attempts: 1,
    lastError: null,
    nextAttemptAt: null,
    updatedAt: 0,
    ...over,
  });

  it('prefers live progress over the fetched row while uploading', () => {
    const live = addSample(undefined, 0, 7 * MB, 10 * MB);
    expect(shownSent(row({}), live)).toBe(7 * MB);
    expect(shownSent(row({}), undefined)).toBe(2 * MB);
  });

  it('shows a delivered blob as complete whatever the events said', () => {
    const live = addSample(undefined, 0, 3 * MB, 10 * MB);
    expect(shownSent(row({ state: 'delivered', bytesSent: 0 }), live)).toBe(10 * MB);
    expect(percentOf(shownSent(row({ state: 'delivered' }), undefined), 10 * MB, true)).toBe(100);
  });

  it('ignores live progress for a different size and clamps to the size', () => {
    expect(shownSent(row({}), addSample(undefined, 0, 9 * MB, 99 * MB))).toBe(2 * MB);
    expect(shownSent(row({ bytesSent: 50 * MB }), undefined)).toBe(10 * MB);
  });

  it('keeps a finished upload at its size until the fetched row says delivered, never back to the stored bytes', () => {
    // The row fetched before the finish still says uploading with nothing stored; the events said 9.6 MB.
    const stale = row({ bytesSent: 0 });
    let live = nextLiveProgress(undefined, 'delivery:started', { blobId: stale.blobId }, 0);
    live = nextLiveProgress(live, 'delivery:progress', { blobId: stale.blobId, sent: 9.6 * MB, size: 10 * MB }, 1000);
    expect(percentOf(shownSent(stale, live), stale.size)).toBe(96);
    live = nextLiveProgress(live, 'delivery:delivered', { blobId: stale.blobId, uploaded: 10 * MB }, 1100);
    expect(percentOf(shownSent(stale, live), stale.size)).toBe(100);
    expect(percentOf(shownSent(row({ state: 'delivered' }), live), stale.size, true)).toBe(100);
  });

  it('forgets delivered uploads a while after they finished, and never a running one', () => {
    const running = addSample(undefined, 0, MB, 10 * MB);
    const done = nextLiveProgress(addSample(undefined, 0, MB, 10 * MB), 'delivery:delivered', {}, 1000)!;
    expect(done.finishedAt).toBe(1000);
    const live = new Map([['running', running], ['done', done]]);
    pruneFinished(live, 1000 + LIVE_FINISHED_KEEP_MS);
    expect([...live.keys()]).toEqual(['running', 'done']);
    pruneFinished(live, 1001 + LIVE_FINISHED_KEEP_MS);
    expect([...live.keys()]).toEqual(['running']);
  });

  it('forgets live progress when an attempt starts or fails, and ignores malformed progress', () => {
    const live = addSample(undefined, 0, 4 * MB, 10 * MB);
    expect(nextLiveProgress(live, 'delivery:started', {}, 1)).toBeUndefined();
    expect(nextLiveProgress(live, 'delivery:failed', {}, 1)).toBeUndefined();
    expect(nextLiveProgress(undefined, 'delivery:delivered', {}, 1)).toBeUndefined();
    expect(nextLiveProgress(live, 'delivery:progress', { sent: '5', size: 10 * MB }, 1)).toBe(live);
    expect(nextLiveProgress(live, 'delivery:progress', { sent: Number.NaN, size: 10 * MB }, 1)).toBe(live);
    expect(isDeliveryProgressEvent('delivery:progress')).toBe(true);
    expect(isDeliveryProgressEvent('peer:up')).toBe(false);
  });

  it('gives whole percents in 0–100, and an empty whole as done only when done', () => {
    expect(percentOf(1, 3)).toBe(33);
    expect(percentOf(3, 3)).toBe(100);
    expect(percentOf(5, 3)).toBe(100);
    expect(percentOf(0, 0)).toBe(0);
    expect(percentOf(0, 0, true)).toBe(100);
  });
});
