// The three forms a capture time takes (camera local; camera local with its offset; an instant,
// "…Z", from a video's mvhd): which give a calendar day by themselves, and the instant of each.

import { describe, expect, it } from 'vitest';
import { captureDay, captureInstantMs } from '../../../../src/main/core/seal/capture-time.js';

describe('captureDay and captureInstantMs', () => {
  it("gives the camera's own day for local times, with or without an offset, and none for a bare instant", () => {
    expect(captureDay('2024-02-29T23:59:59')).toEqual({ year: '2024', month: '02', day: '29' });
    expect(captureDay('2024-02-29T23:59:59+09:00')).toEqual({ year: '2024', month: '02', day: '29' });
    expect(captureDay('2024-02-29T23:59:59-05:00')).toEqual({ year: '2024', month: '02', day: '29' });
    expect(captureDay('2024-02-29T23:59:59Z')).toBeNull();
    expect(captureDay('2024-02-29')).toBeNull();
    expect(captureDay('yesterday')).toBeNull();
  });

  it('reads the instant with its offset, a bare local time as UTC, and refuses garbage', () => {
    expect(captureInstantMs('2024-07-05T01:30:00Z')).toBe(Date.UTC(2024, 6, 5, 1, 30));
    expect(captureInstantMs('2024-07-04T20:30:00-05:00')).toBe(Date.UTC(2024, 6, 5, 1, 30));
    expect(captureInstantMs('2024-07-05T01:30:00')).toBe(Date.UTC(2024, 6, 5, 1, 30));
    expect(captureInstantMs('2024-07-05T01:30:00+00:00')).toBe(Date.UTC(2024, 6, 5, 1, 30));
    expect(captureInstantMs('yesterday')).toBeNull();
    expect(captureInstantMs('')).toBeNull();
  });
});
