// Native notifications for the two moments a person wants to hear about without looking: a round
// of deliveries has finished, and the space they donate is full. The policy is a small state
// machine fed with core events and capacity snapshots (testable without Electron or a clock); the
// watcher joins it to the ApiHost and a timer. Each kind is shown at most once per
// NOTICE_MIN_INTERVAL_MS; what happens in between is summed into the next notice.

import type { OverviewView } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import type { ApiHost } from '../api/api-host.js';
import { realTimers, type Timers } from './tray-status.js';

/** At a venue a donor must not be pestered: one notice of each kind per ten minutes at most. */
export const NOTICE_MIN_INTERVAL_MS = 10 * 60_000;
/**
 * Deliveries run a few at a time, with short gaps between one ending and the next starting; a
 * round is over once none has run for this long.
 */
export const DELIVERIES_QUIET_MS = 5_000;
/** Less free donated space than this (a handful of photos) counts as full: most offers are declined. */
export const CAP_HEADROOM_BYTES = 32_000_000;
/** Events that change held bytes or caps are followed by one capacity check after this delay. */
export const CAP_CHECK_DELAY_MS = 2_000;

export type NoticeKind = 'deliveries-done' | 'cap-reached';
export interface Notice {
  readonly kind: NoticeKind;
  readonly title: string;
  readonly body: string;
}

/** The donor's numbers the cap notice is decided on (from the overview). */
export interface Capacity {
  /** Bytes held or reserved for others (receiving + held + delivering). */
  readonly heldBytes: number;
  readonly capBytes: number;
  readonly freeBytes: number;
  readonly floorBytes: number;
}

export function capacityOf(overview: Pick<OverviewView, 'held' | 'caps' | 'volume'>): Capacity {
  return { heldBytes: overview.held.bytes, capBytes: overview.caps.diskBytes, freeBytes: overview.volume.freeBytes, floorBytes: overview.caps.floorBytes };
}

export class NotificationPolicy {
  private readonly running = new Set<string>();
  private readonly failed = new Set<string>();
  private delivered = { mine: 0, others: 0 };
  private readonly lastShown = new Map<NoticeKind, number>();
  /** Null until the first snapshot: a cap already full at start is shown by the window, not announced. */
  private full: boolean | null = null;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly minIntervalMs: number = NOTICE_MIN_INTERVAL_MS,
  ) {}

  /** Feeds one core event; returns true when it was a delivery event (the round may end soon). */
  onEvent(name: string, payload: unknown): boolean {
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as { blobId?: unknown; source?: unknown };
    if (typeof p.blobId !== 'string') return false;
    switch (name) {
      case 'delivery:started':
        this.running.add(p.blobId);
        return true;
      case 'delivery:delivered':
        this.running.delete(p.blobId);
        this.failed.delete(p.blobId);
        if (p.source === 'outbox') this.delivered.mine++;
        else this.delivered.others++;
        return true;
      case 'delivery:failed':
        this.running.delete(p.blobId);
        this.failed.add(p.blobId);
        return true;
      default:
        return false;
    }
  }

  /** Whether deliveries are running right now (as far as the events seen tell). */
  get delivering(): boolean {
    return this.running.size > 0;
  }

  /**
   * Called once deliveries have been quiet for DELIVERIES_QUIET_MS: the "deliveries done" notice
   * when this round delivered something and the rate limit allows, else null (the counts wait).
   */
  settle(): Notice | null {
    const { mine, others } = this.delivered;
    if (this.running.size > 0 || mine + others === 0 || !this.allowed('deliveries-done')) return null;
    const parts = [mine > 0 ? `${mine} of your backups` : null, others > 0 ? `${others} held for others` : null].filter((x) => x !== null);
    const retry = this.failed.size > 0 ? ` ${this.failed.size} could not be delivered yet and will be retried.` : '';
    this.delivered = { mine: 0, others: 0 };
    this.failed.clear();
    return this.shown({ kind: 'deliveries-done', title: 'Deliveries done', body: `Delivered ${parts.join(' and ')} to their destinations.${retry}` });
  }

  /** When a rate-limited "deliveries done" notice may be shown, or null when none is waiting. */
  settleDueAt(): number | null {
    if (this.delivered.mine + this.delivered.others === 0) return null;
    const last = this.lastShown.get('deliveries-done');
    return last === undefined ? this.now() : last + this.minIntervalMs;
  }

  /** Feeds a capacity snapshot: the "cap reached" notice when the space just became full. */
  onCapacity(c: Capacity): Notice | null {
    const byCap = c.capBytes - c.heldBytes;
    const byFloor = c.freeBytes - c.floorBytes;
    const left = Math.min(byCap, byFloor);
    const wasFull = this.full;
    // Hysteresis: full below the headroom, free again only above twice that, so a donor hovering
    // at the line is not told twice.
    if (left < CAP_HEADROOM_BYTES) this.full = true;
    else if (left >= 2 * CAP_HEADROOM_BYTES || wasFull === null) this.full = false;
    if (wasFull !== false || this.full !== true || !this.allowed('cap-reached')) return null;
    const body =
      byCap <= byFloor
        ? `Holding ${formatBytes(c.heldBytes)} of the ${formatBytes(c.capBytes)} you donate, so new replicas are declined until some are delivered or expire. Raise the cap in Settings to hold more.`
        : `This disk is down to ${formatBytes(Math.max(0, c.freeBytes))} free, near the ${formatBytes(c.floorBytes)} you keep for yourself, so new replicas are declined. Free some space or lower the floor in Settings.`;
    return this.shown({ kind: 'cap-reached', title: 'Donated space is full', body });
  }

  private allowed(kind: NoticeKind): boolean {
    const last = this.lastShown.get(kind);
    return last === undefined || this.now() - last >= this.minIntervalMs;
  }

  private shown(notice: Notice): Notice {
    this.lastShown.set(notice.kind, this.now());
    return notice;
  }
}

/** Events after which the donated space may have changed. */
const CAPACITY_EVENTS = new Set(['held:receiving', 'held:stored', 'held:purged', 'caps:changed']);

/**
 * Joins a policy to the core: delivery events arm a quiet timer that settles the round, capacity
 * events schedule one overview check. `show` displays a notice. Returns a function that stops it.
 */
export function watchNotifications(deps: { api: ApiHost; show: (notice: Notice) => void; policy?: NotificationPolicy; timers?: Timers; now?: () => number }): () => void {
  const { api, show } = deps;
  const timers = deps.timers ?? realTimers;
  const now = deps.now ?? Date.now;
  const policy = deps.policy ?? new NotificationPolicy(now);
  let settleTimer: unknown = null;
  let capTimer: unknown = null;
  let stopped = false;

  const emit = (notice: Notice | null): void => {
    if (notice !== null && !stopped) show(notice);
  };
  const armSettle = (delayMs: number): void => {
    if (settleTimer !== null) timers.clearTimeout(settleTimer);
    settleTimer = timers.setTimeout(settle, delayMs);
  };
  const settle = (): void => {
    settleTimer = null;
    if (stopped || policy.delivering) return;
    emit(policy.settle());
    // Rate-limited: come back when the notice may be shown.
    const due = policy.settleDueAt();
    if (due !== null) armSettle(Math.max(DELIVERIES_QUIET_MS, due - now()));
  };
  const checkCapacity = async (): Promise<void> => {
    capTimer = null;
    if (stopped) return;
    // The core closing under us during quit: there is nothing to announce then.
    const reply = await api.dispatch('overview', undefined).catch(() => null);
    if (reply !== null && reply.ok && !stopped) emit(policy.onCapacity(capacityOf(reply.result as OverviewView)));
  };
  const scheduleCapacity = (): void => {
    if (capTimer === null && !stopped) capTimer = timers.setTimeout(() => void checkCapacity(), CAP_CHECK_DELAY_MS);
  };

  const unsubscribe = api.subscribe(({ event, payload }) => {
    if (policy.onEvent(event, payload)) armSettle(DELIVERIES_QUIET_MS);
    if (CAPACITY_EVENTS.has(event)) scheduleCapacity();
  });
  // The first snapshot sets where the space stands, without a notice.
  scheduleCapacity();
  return () => {
    stopped = true;
    unsubscribe();
    if (settleTimer !== null) timers.clearTimeout(settleTimer);
    if (capTimer !== null) timers.clearTimeout(capTimer);
  };
}
