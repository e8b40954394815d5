// Rate and time-left of a running delivery, from the delivery:progress events the window sees.
// Pure: samples in, numbers out; the view owns the clock and the event subscription.

import type { ApiEvent, DeliveryRowView } from '../../shared/api.js';

/** One progress event as the window received it. */
export interface ProgressSample {
  readonly at: number;
  readonly sent: number;
}

/** What the window knows live about one upload. */
export interface LiveProgress {
  readonly size: number;
  readonly sent: number;
  /** Oldest first, all within RATE_WINDOW_MS of the newest. */
  readonly samples: readonly ProgressSample[];
  /** When the upload was delivered; the entry goes LIVE_FINISHED_KEEP_MS later. */
  readonly finishedAt?: number;
}

/** How long a delivered upload's entry stays: long after the fetched row says delivered, yet a session of thousands of deliveries keeps only the last minute's. */
export const LIVE_FINISHED_KEEP_MS = 60_000;

/** Long enough to smooth bursty chunk writes, short enough to follow a link that slows down. */
export const RATE_WINDOW_MS = 10_000;
/** Below this span two samples say more about event timing than about the link. */
export const RATE_MIN_SPAN_MS = 1_000;
/** No progress for this long: the upload is stalled, and its last rate would be a lie. */
export const RATE_STALL_MS = 5_000;
/** Bounds memory per upload however fast events come. */
export const RATE_MAX_SAMPLES = 64;
const SAMPLE_SPACING_MS = RATE_WINDOW_MS / (RATE_MAX_SAMPLES - 1);

/** The progress after one more event; a lower `sent` means the upload started over. */
export function addSample(prev: LiveProgress | undefined, at: number, sent: number, size: number): LiveProgress {
  const restarted = prev === undefined || sent < prev.sent || size !== prev.size;
  const kept = restarted ? [] : prev.samples.filter((s) => at - s.at <= RATE_WINDOW_MS);
  // Events closer together than the spacing move the newest sample instead of adding one, so a
  // flood of events still leaves samples spread over the whole window.
  const beforeLast = kept[kept.length - 2];
  if (beforeLast !== undefined && at - beforeLast.at < SAMPLE_SPACING_MS) kept.pop();
  const samples = [...kept, { at, sent }];
  return { size, sent, samples: samples.length > RATE_MAX_SAMPLES ? samples.slice(samples.length - RATE_MAX_SAMPLES) : samples };
}

/** The delivery events that move a row's live progress. */
export const DELIVERY_PROGRESS_EVENTS = ['delivery:started', 'delivery:progress', 'delivery:delivered', 'delivery:failed'] as const satisfies readonly ApiEvent[];
export type DeliveryProgressEvent = (typeof DELIVERY_PROGRESS_EVENTS)[number];

export function isDeliveryProgressEvent(event: ApiEvent): event is DeliveryProgressEvent {
  return (DELIVERY_PROGRESS_EVENTS as readonly ApiEvent[]).includes(event);
}

/**
 * The live progress of one blob after one event, or undefined to forget it. A new attempt starts
 * from nothing and a failed one is the fetched row's to tell. A finished one stays at its size:
 * the row fetched before the finish still says "uploading" with the bytes last stored, and falling
 * back to those would draw the bar back towards 0 just before it shows "delivered".
 */
export function nextLiveProgress(prev: LiveProgress | undefined, event: DeliveryProgressEvent, payload: Readonly<Record<string, unknown>>, at: number): LiveProgress | undefined {
  switch (event) {
    case 'delivery:progress': {
      const { sent, size } = payload;
      if (typeof sent !== 'number' || typeof size !== 'number' || !Number.isFinite(sent) || !Number.isFinite(size)) return prev;
      return addSample(prev, at, sent, size);
    }
    case 'delivery:delivered':
      return prev === undefined ? undefined : { ...addSample(prev, at, prev.size, prev.size), finishedAt: at };
    case 'delivery:started':
    case 'delivery:failed':
      return undefined;
  }
}

/** Forgets uploads delivered more than LIVE_FINISHED_KEEP_MS before `now`. */
export function pruneFinished(live: Map<string, LiveProgress>, now: number): void {
  for (const [blobId, p] of live) if (p.finishedAt !== undefined && now - p.finishedAt > LIVE_FINISHED_KEEP_MS) live.delete(blobId);
}

/** Bytes per second over the recent window; 0 when stalled; null while too early to tell. */
export function rateBps(p: LiveProgress, now: number): number | null {
  const last = p.samples[p.samples.length - 1];
  if (last === undefined) return null;
  if (now - last.at > RATE_STALL_MS) return 0;
  const first = p.samples.find((s) => now - s.at <= RATE_WINDOW_MS);
  if (first === undefined || last.at - first.at < RATE_MIN_SPAN_MS) return null;
  return ((last.sent - first.sent) * 1000) / (last.at - first.at);
}

/** Milliseconds left at the current rate; null when the rate is unknown or zero. */
export function etaMs(p: LiveProgress, now: number): number | null {
  const rate = rateBps(p, now);
  if (rate === null || rate <= 0) return null;
  return (Math.max(0, p.size - p.sent) * 1000) / rate;
}

/** Time left, read before "left": "a few seconds", "40 s", "12 min", "2 h 5 min" (rounded up, never promising too soon). */
export function formatEta(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 5) return 'a few seconds';
  if (s < 60) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  return rest === 0 ? `${h} h` : `${h} h ${rest} min`;
}

/** Bytes sent as the row shows them: live events win over the last fetched row, done is done. */
export function shownSent(row: DeliveryRowView, live: LiveProgress | undefined): number {
  if (row.state === 'delivered') return row.size;
  const sent = live !== undefined && live.size === row.size ? live.sent : row.bytesSent;
  return Math.min(Math.max(0, sent), row.size);
}

/** Whole percent 0–100 of `part` in `whole`; an empty whole counts as done only when `done`. */
export function percentOf(part: number, whole: number, done = false): number {
  if (!(whole > 0)) return done ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((part / whole) * 100)));
}
