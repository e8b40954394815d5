// Notices for "deliveries done" and "cap reached": once per round / per filling up, rate-limited,
// with words a person understands. The policy is driven by hand; the watcher is driven by a real
// running node (its event bus and its API), with a hand-moved clock for the delays.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CAP_CHECK_DELAY_MS,
  CAP_HEADROOM_BYTES,
  DELIVERIES_QUIET_MS,
  NOTICE_MIN_INTERVAL_MS,
  NotificationPolicy,
  watchNotifications,
  type Capacity,
  type Notice,
} from '../../../src/main/electron/notifications.js';
import { InswarmService } from '../../../src/main/service.js';
import { tempDir } from '../../helpers/tmp.js';
import { manualClock } from './manual-clock.js';

const GB = 1_000_000_000;
const blob = (n: number) => n.toString(16).padStart(64, '0');

describe('NotificationPolicy: deliveries done', () => {
  it('announces a round once, when the last running delivery ends', () => {
    const clock = manualClock();
    const p = new NotificationPolicy(clock.now);
    p.onEvent('delivery:started', { blobId: blob(1), source: 'outbox' });
    p.onEvent('delivery:started', { blobId: blob(2), source: 'held' });
    p.onEvent('delivery:delivered', { blobId: blob(1), source: 'outbox' });
    expect(p.delivering).toBe(true);
    expect(p.settle()).toBeNull();
    p.onEvent('delivery:delivered', { blobId: blob(2), source: 'held' });
    expect(p.settle()).toEqual({ kind: 'deliveries-done', title: 'Deliveries done', body: 'Delivered 1 of your backups and 1 held for others to their destinations.' });
    expect(p.settle()).toBeNull();
  });

  it('says how many failed and will be retried, and counts plurals right', () => {
    const p = new NotificationPolicy(manualClock().now);
    for (const n of [1, 2, 3]) p.onEvent('delivery:started', { blobId: blob(n), source: 'outbox' });
    p.onEvent('delivery:delivered', { blobId: blob(1), source: 'outbox' });
    p.onEvent('delivery:delivered', { blobId: blob(2), source: 'outbox' });
    p.onEvent('delivery:failed', { blobId: blob(3), source: 'outbox', error: 'timeout' });
    expect(p.settle()?.body).toBe('Delivered 2 of your backups to their destinations. 1 could not be delivered yet and will be retried.');
  });

  it('says nothing for a round that delivered nothing, or for events it does not know', () => {
    const p = new NotificationPolicy(manualClock().now);
    p.onEvent('delivery:started', { blobId: blob(1), source: 'held' });
    p.onEvent('delivery:failed', { blobId: blob(1), source: 'held' });
    expect(p.settle()).toBeNull();
    expect(p.onEvent('peer:up', { blobId: blob(1) })).toBe(false);
    expect(p.onEvent('delivery:delivered', null)).toBe(false);
    expect(p.onEvent('delivery:delivered', { blobId: 5 })).toBe(false);
    expect(p.settle()).toBeNull();
  });

  it('shows at most one per interval; what happens meanwhile is summed into the next', () => {
    const clock = manualClock();
    const p = new NotificationPolicy(clock.now);
    const round = (n: number, source: string) => {
      p.onEvent('delivery:started', { blobId: blob(n), source });
      p.onEvent('delivery:delivered', { blobId: blob(n), source });
    };
    round(1, 'outbox');
    expect(p.settle()).not.toBeNull();
    clock.advance(60_000);
    round(2, 'held');
    expect(p.settle()).toBeNull();
    expect(p.settleDueAt()).toBe(clock.now() - 60_000 + NOTICE_MIN_INTERVAL_MS);
    round(3, 'held');
    clock.advance(NOTICE_MIN_INTERVAL_MS - 60_000);
    expect(p.settle()?.body).toBe('Delivered 2 held for others to their destinations.');
    expect(p.settleDueAt()).toBeNull();
  });
});

describe('NotificationPolicy: cap reached', () => {
  const cap = (heldBytes: number, over: Partial<Capacity> = {}): Capacity => ({ heldBytes, capBytes: 10 * GB, freeBytes: 400 * GB, floorBytes: 5 * GB, ...over });

  it('announces the space filling up once, not a space already full at start', () => {
    const clock = manualClock();
    const p = new NotificationPolicy(clock.now);
    expect(p.onCapacity(cap(10 * GB))).toBeNull();
    // Freed, then full again: now it is news.
    expect(p.onCapacity(cap(1 * GB))).toBeNull();
    const notice = p.onCapacity(cap(10 * GB));
    expect(notice).toEqual({
      kind: 'cap-reached',
      title: 'Donated space is full',
      body: 'Holding 10 GB of the 10 GB you donate, so new replicas are declined until some are delivered or expire. Raise the cap in Settings to hold more.',
    });
    expect(p.onCapacity(cap(10 * GB - CAP_HEADROOM_BYTES + 1))).toBeNull();
  });

  it('does not announce again while hovering at the line (hysteresis)', () => {
    const clock = manualClock();
    const p = new NotificationPolicy(clock.now);
    p.onCapacity(cap(0));
    expect(p.onCapacity(cap(10 * GB))).not.toBeNull();
    clock.advance(NOTICE_MIN_INTERVAL_MS * 2);
    // A little freed (less than twice the headroom), then full again: still the same "full".
    expect(p.onCapacity(cap(10 * GB - 1.5 * CAP_HEADROOM_BYTES))).toBeNull();
    expect(p.onCapacity(cap(10 * GB))).toBeNull();
    // Really freed, then full again: announced.
    expect(p.onCapacity(cap(5 * GB))).toBeNull();
    expect(p.onCapacity(cap(10 * GB))).not.toBeNull();
  });

  it(`counts less than ${CAP_HEADROOM_BYTES / 1e6} MB left as full, and that much as not`, () => {
    const p = new NotificationPolicy(manualClock().now);
    p.onCapacity(cap(0));
    expect(p.onCapacity(cap(10 * GB - CAP_HEADROOM_BYTES))).toBeNull();
    expect(p.onCapacity(cap(10 * GB - CAP_HEADROOM_BYTES + 1))?.kind).toBe('cap-reached');
  });

  it('is rate-limited', () => {
    const clock = manualClock();
    const p = new NotificationPolicy(clock.now);
    p.onCapacity(cap(0));
    expect(p.onCapacity(cap(10 * GB))).not.toBeNull();
    expect(p.onCapacity(cap(0))).toBeNull();
    clock.advance(NOTICE_MIN_INTERVAL_MS - 1);
    expect(p.onCapacity(cap(10 * GB))).toBeNull();
    expect(p.onCapacity(cap(0))).toBeNull();
    clock.advance(1);
    expect(p.onCapacity(cap(10 * GB))).not.toBeNull();
  });

  it('names the disk floor when that is what stops it', () => {
    const p = new NotificationPolicy(manualClock().now);
    p.onCapacity(cap(1 * GB, { freeBytes: 50 * GB }));
    expect(p.onCapacity(cap(1 * GB, { freeBytes: 5 * GB + 1_000_000 }))?.body).toBe(
      'This disk is down to 5.0 GB free, near the 5.0 GB you keep for yourself, so new replicas are declined. Free some space or lower the floor in Settings.',
    );
  });
});

describe('watchNotifications on a running node', () => {
  let service: InswarmService;
  beforeAll(async () => {
    service = await InswarmService.start({ dataDir: await tempDir('inswarm-notify'), listen: { host: '127.0.0.1', port: 0 }, mdns: false, ui: false });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('shows "deliveries done" once the round goes quiet, from the core\'s own events', () => {
    const clock = manualClock();
    const shown: Notice[] = [];
    const stop = watchNotifications({ api: service.api, show: (n) => shown.push(n), timers: clock.timers, now: clock.now });
    const events = service.node.events;
    events.emit('delivery:started', { blobId: blob(1), source: 'outbox', target: 'folder', size: 10 });
    events.emit('delivery:delivered', { blobId: blob(1), source: 'outbox', target: 'folder', uploaded: 10 });
    clock.advance(DELIVERIES_QUIET_MS - 1);
    // The next one starts within the quiet time: same round.
    events.emit('delivery:started', { blobId: blob(2), source: 'held', target: 'folder', size: 10 });
    clock.advance(DELIVERIES_QUIET_MS * 3);
    expect(shown).toEqual([]);
    events.emit('delivery:delivered', { blobId: blob(2), source: 'held', target: 'folder', uploaded: 10 });
    clock.advance(DELIVERIES_QUIET_MS);
    expect(shown.map((n) => n.body)).toEqual(['Delivered 1 of your backups and 1 held for others to their destinations.']);
    // A second round right after: held back, then shown when the interval has passed.
    events.emit('delivery:started', { blobId: blob(3), source: 'held', target: 'folder', size: 10 });
    events.emit('delivery:delivered', { blobId: blob(3), source: 'held', target: 'folder', uploaded: 10 });
    clock.advance(DELIVERIES_QUIET_MS);
    expect(shown).toHaveLength(1);
    clock.advance(NOTICE_MIN_INTERVAL_MS);
    expect(shown.map((n) => n.body)).toEqual(['Delivered 1 of your backups and 1 held for others to their destinations.', 'Delivered 1 held for others to their destinations.']);
    stop();
    expect(clock.pending()).toBe(0);
  });

  it('shows "cap reached" when the donor lowers the cap below what fits, once', async () => {
    const clock = manualClock();
    const shown: Notice[] = [];
    const stop = watchNotifications({ api: service.api, show: (n) => shown.push(n), timers: clock.timers, now: clock.now });
    const settle = async () => {
      clock.advance(CAP_CHECK_DELAY_MS);
      // The check asks the real API (async): let it answer.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    await settle(); // the first snapshot: room to spare
    expect((await service.api.dispatch('setCaps', { diskBytes: 10 * GB, floorBytes: 0 })).ok).toBe(true);
    await settle();
    expect(shown).toEqual([]);
    expect((await service.api.dispatch('setCaps', { diskBytes: 1_000_000 })).ok).toBe(true);
    await settle();
    expect(shown.map((n) => n.kind)).toEqual(['cap-reached']);
    expect(shown[0]!.body).toMatch(/^Holding 0 B of the 1\.0 MB you donate/);
    expect((await service.api.dispatch('setCaps', { diskBytes: 2_000_000 })).ok).toBe(true);
    await settle();
    expect(shown).toHaveLength(1);
    stop();
  });
});
