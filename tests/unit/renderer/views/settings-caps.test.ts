import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CapsView } from '../../../../src/shared/status.js';
import {
  SLIDER_MAX_STOPS,
  SLIDER_MIN_STEP_BYTES,
  bytesAtStop,
  donationMax,
  fieldsFromCaps,
  parseLimits,
  parseRetention,
  sliderStep,
  sliderStops,
  stopOfBytes,
  volumeParts,
} from '../../../../src/renderer/views/settings-caps.js';

const GB = 1e9;
const caps: CapsView = {
  diskBytes: 20 * GB,
  floorBytes: 50 * GB,
  originShare: 0.25,
  retentionMs: 12 * 3600_000,
  upBytesPerSec: null,
  downBytesPerSec: 5_000_000,
  replicas: 2,
  deliverBytesPerSec: null,
  deliveries: 2,
};

describe('disk cap slider', () => {
  it('goes up to the free space above the floor', () => {
    expect(donationMax(120 * GB, caps)).toBe(70 * GB);
  });

  it('reaches the current cap when that is above the free space (replicas already use part of it)', () => {
    expect(donationMax(60 * GB, caps)).toBe(20 * GB);
    expect(donationMax(10 * GB, { diskBytes: 0, floorBytes: 50 * GB })).toBe(0);
  });

  it('has round steps, at most SLIDER_MAX_STOPS stops, and never finer than a megabyte', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 }), (max) => {
        const step = sliderStep(max);
        expect(step).toBeGreaterThanOrEqual(SLIDER_MIN_STEP_BYTES);
        expect(sliderStops(max, step)).toBeLessThanOrEqual(SLIDER_MAX_STOPS);
        expect(String(step / 10 ** Math.floor(Math.log10(step)))).toMatch(/^(1|2|5)$/);
      }),
    );
    expect(sliderStep(70 * GB)).toBe(500_000_000);
  });

  it('maps stops to bytes and back, the last stop being exactly the maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 50 }), fc.nat(), (max, n) => {
        const step = sliderStep(max);
        const stops = sliderStops(max, step);
        const stop = n % (stops + 1);
        const bytes = bytesAtStop(stop, step, max);
        expect(bytes).toBeGreaterThanOrEqual(0);
        expect(bytes).toBeLessThanOrEqual(max);
        expect(stopOfBytes(bytes, step, max)).toBe(stop);
        expect(bytesAtStop(stops, step, max)).toBe(max);
        expect(bytesAtStop(0, step, max)).toBe(0);
      }),
    );
  });
});

describe('disk bar', () => {
  it('splits the volume into used, donatable and kept-free parts', () => {
    const p = volumeParts(182 * GB, 512 * GB, 50 * GB);
    expect(p.used).toBeCloseTo(330 / 512);
    expect(p.donatable).toBeCloseTo(132 / 512);
    expect(p.floor).toBeCloseTo(50 / 512);
  });

  it('shows a floor above the free space as all of the free space, and nothing donatable', () => {
    const p = volumeParts(30 * GB, 100 * GB, 50 * GB);
    expect(p).toEqual({ used: 0.7, donatable: 0, floor: 0.3 });
  });

  it('always sums to one, whatever the volume reports', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (free, total, floor) => {
        const p = volumeParts(free, total, floor);
        for (const v of [p.used, p.donatable, p.floor]) expect(v).toBeGreaterThanOrEqual(0);
        expect(p.used + p.donatable + p.floor).toBeCloseTo(1);
      }),
    );
  });
});

describe('limits form', () => {
  const before = fieldsFromCaps(caps);

  it('fills the fields from the caps', () => {
    expect(before).toEqual({ up: 'none', down: '5.0 MB/s', deliver: 'none', floor: '50 GB', retention: '12', replicas: '2', deliveries: '2' });
  });

  it('sends nothing when nothing changed, so shown rounding never drifts the caps', () => {
    expect(parseLimits(before, before)).toEqual({ patch: {}, errors: {} });
    const odd = fieldsFromCaps({ ...caps, downBytesPerSec: 1_234_567 });
    expect(parseLimits(odd, odd).patch).toEqual({});
  });

  it('parses changed rates, sizes, hours and counts', () => {
    const fields = { ...before, up: '5MB/s', down: 'none', deliver: '800KiB/s', floor: '10GB', retention: '1.5', replicas: '3', deliveries: '4' };
    expect(parseLimits(fields, before)).toEqual({
      patch: { upBytesPerSec: 5_000_000, downBytesPerSec: null, deliverBytesPerSec: 800 * 1024, floorBytes: 10 * GB, retentionMs: 5_400_000, replicas: 3, deliveries: 4 },
      errors: {},
    });
  });

  it('words an error per field that does not parse and leaves it out of the change', () => {
    const fields = { ...before, up: 'fast', floor: 'lots', retention: '8d', replicas: '9', deliveries: '0', deliver: '100B/s' };
    const { patch, errors } = parseLimits(fields, before);
    expect(patch).toEqual({});
    expect(Object.keys(errors).sort()).toEqual(['deliver', 'deliveries', 'floor', 'replicas', 'retention', 'up']);
    expect(errors.up).toMatch(/5MB\/s/);
    expect(errors.replicas).toMatch(/1 to 8/);
  });

  it('reads retention as hours or as a duration', () => {
    expect(parseRetention('12')).toBe(12 * 3600_000);
    expect(parseRetention('30m')).toBe(30 * 60_000);
    expect(parseRetention('2d')).toBe(2 * 86_400_000);
    expect(parseRetention('soon')).toBeNull();
  });
});
