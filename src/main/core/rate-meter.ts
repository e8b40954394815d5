// Live throughput for the UI: bytes per second through placement (up), receiving (down) and
// delivery, measured from the progress events the core already emits (cumulative per transfer),
// averaged over a short sliding window.

import type { EventBus } from './events.js';

/** The window rates are averaged over: long enough to smooth chunky progress, short enough to feel live. */
const WINDOW_MS = 3_000;
/** Transfers remembered for their last cumulative count; old ones drop out first. */
const MAX_TRACKED = 1_024;

type Direction = 'up' | 'down' | 'deliver';

export class RateMeter {
  private readonly last = new Map<string, number>();
  private readonly samples: Record<Direction, { at: number; bytes: number }[]> = { up: [], down: [], deliver: [] };
  private readonly unsubscribe: (() => void)[];

  constructor(
    events: EventBus,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = [
      events.on('placement:progress', (p) => this.add('up', `p/${p.blobId}/${p.holderId}`, p.sent)),
      events.on('held:progress', (p) => this.add('down', `h/${p.blobId}`, p.received)),
      events.on('held:resumed', (p) => this.last.set(`h/${p.blobId}`, p.offset)),
      events.on('delivery:progress', (p) => this.add('deliver', `d/${p.blobId}`, p.sent)),
    ];
  }

  /** Bytes per second over the last window. */
  rate(direction: Direction): number {
    const t = this.now();
    const list = this.samples[direction];
    while (list.length > 0 && list[0]!.at < t - WINDOW_MS) list.shift();
    return Math.round((list.reduce((n, s) => n + s.bytes, 0) * 1000) / WINDOW_MS);
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }

  private add(direction: Direction, key: string, cumulative: number): void {
    const before = this.last.get(key) ?? 0;
    this.last.delete(key); // re-insert: the map's order is least recently updated first
    this.last.set(key, cumulative);
    if (this.last.size > MAX_TRACKED) this.last.delete(this.last.keys().next().value!);
    if (cumulative > before) this.samples[direction].push({ at: this.now(), bytes: cumulative - before });
  }
}
