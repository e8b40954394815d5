// How the window words times, rates, events and the donated-disk bar.
import { describe, expect, it } from 'vitest';
import { diskGeometry } from '../../../src/renderer/components/disk-math.js';
import { eventName, eventSummary, eventTone, mergeNewestFirst } from '../../../src/renderer/components/event-text.js';
import { formatAgo, formatClock, formatCountdown, formatDuration, formatRate, shortDeviceId } from '../../../src/renderer/components/time-format.js';

describe('formatCountdown', () => {
  it('says expired at or after the moment', () => {
    expect(formatCountdown(0)).toBe('expired');
    expect(formatCountdown(-5000)).toBe('expired');
    expect(formatCountdown(Number.NaN)).toBe('expired');
  });
  it('uses the largest sensible units', () => {
    expect(formatCountdown(1)).toBe('1 s');
    expect(formatCountdown(59_000)).toBe('59 s');
    expect(formatCountdown(60_000)).toBe('1 min');
    expect(formatCountdown(59 * 60_000 + 59_999)).toBe('59 min');
    expect(formatCountdown(3_600_000)).toBe('1 h 00 min');
    expect(formatCountdown(11 * 3_600_000 + 42 * 60_000 + 5_000)).toBe('11 h 42 min');
    expect(formatCountdown(24 * 3_600_000)).toBe('1 d');
    expect(formatCountdown(2 * 24 * 3_600_000 + 4 * 3_600_000 + 1)).toBe('2 d 4 h');
  });
});

describe('formatDuration', () => {
  it('leaves out zero parts of a configured duration', () => {
    expect(formatDuration(12 * 3_600_000)).toBe('12 h');
    expect(formatDuration(45 * 60_000)).toBe('45 min');
    expect(formatDuration(90 * 60_000)).toBe('1 h 30 min');
    expect(formatDuration(30 * 3_600_000)).toBe('1 d 6 h');
    expect(formatDuration(0)).toBe('0 s');
  });
});

describe('formatAgo, formatRate, formatClock, shortDeviceId', () => {
  const now = 1_700_000_000_000;
  it('says how long ago', () => {
    expect(formatAgo(now - 10_000, now)).toBe('just now');
    expect(formatAgo(now - 4 * 60_000, now)).toBe('4 min ago');
    expect(formatAgo(now - 2 * 3_600_000, now)).toBe('2 h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 d ago');
    expect(formatAgo(0, now)).toBe('never');
  });
  it('formats rates', () => {
    expect(formatRate(0)).toBe('0 B/s');
    expect(formatRate(1_234_567)).toBe('1.2 MB/s');
    expect(formatRate(null)).toBe('—');
    expect(formatRate(-3)).toBe('0 B/s');
  });
  it('shows the time of day today and the date before', () => {
    const today = new Date(2024, 2, 12, 14, 3, 27).getTime();
    expect(formatClock(today, today + 1000)).toBe('14:03:27');
    expect(formatClock(today, today + 2 * 86_400_000)).toBe('12 Mar 14:03');
  });
  it('shortens a device ID to its first group', () => {
    expect(shortDeviceId('MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD')).toBe('MFZWI3D');
  });
});

describe('event text', () => {
  it('names known events in plain words and unknown ones readably', () => {
    expect(eventName('delivery:failed')).toBe('Delivery failed');
    expect(eventName('peer:up')).toBe('Peer linked');
    expect(eventName('something:new-thing')).toBe('Something new thing');
    expect(eventName('')).toBe('Event');
  });
  it('marks failures', () => {
    expect(eventTone('delivery:failed')).toBe('bad');
    expect(eventTone('delivery:delivered')).toBe('good');
    expect(eventTone('x:error-y')).toBe('bad');
    expect(eventTone('x:y')).toBe('info');
  });
  it('summarises the fields an event carries, and survives odd data', () => {
    const blobId = 'ab'.repeat(32);
    expect(eventSummary('delivery:failed', { blobId, source: 'held', error: 'The receiver is offline.' })).toBe('blob abababababab · The receiver is offline.');
    expect(eventSummary('held:stored', { blobId, origin: 'MFZWI3D-BONSGYC', size: 2_500_000 })).toBe('blob abababababab · device MFZWI3D · 2.5 MB');
    expect(eventSummary('network:changed', { home: 'Flat', ssid: 'x', gatewayMac: null })).toBe('At home (Flat)');
    expect(eventSummary('network:changed', { home: null, ssid: 'ConfWiFi' })).toBe('On “ConfWiFi”, not a home network');
    expect(eventSummary('x:y', null)).toBe('');
    expect(eventSummary('x:y', [1, 2])).toBe('');
    expect(eventSummary('x:y', { blobId: 42, size: 'big' })).toBe('');
  });
  it('merges new log entries newest first without duplicates', () => {
    const e = (id: number) => ({ id, at: id, type: 't', data: null });
    expect(mergeNewestFirst([e(3), e(2), e(1)], [e(3), e(4), e(5)], 4).map((x) => x.id)).toEqual([5, 4, 3, 2]);
  });
});

describe('diskGeometry', () => {
  const GB = 1e9;
  it('shows the used part of the cap and no floor marker when the cap comes first', () => {
    const g = diskGeometry({ used: 10 * GB, cap: 40 * GB, free: 200 * GB, floor: 20 * GB });
    expect(g.used).toBe(0.25);
    expect(g.floorAt).toBeNull();
    expect(g.available).toBe(30 * GB);
    expect(g.full).toBe(false);
  });
  it('marks where the free-disk floor stops donations before the cap', () => {
    const g = diskGeometry({ used: 10 * GB, cap: 40 * GB, free: 30 * GB, floor: 20 * GB });
    expect(g.floorAt).toBe(0.5);
    expect(g.available).toBe(10 * GB);
  });
  it('is full when the disk is at the floor, and scales when used is above a lowered cap', () => {
    expect(diskGeometry({ used: 5 * GB, cap: 40 * GB, free: 20 * GB, floor: 20 * GB })).toMatchObject({ full: true, available: 0 });
    const over = diskGeometry({ used: 50 * GB, cap: 40 * GB, free: 500 * GB, floor: 1 * GB });
    expect(over.used).toBe(1);
    expect(over.full).toBe(true);
  });
});
