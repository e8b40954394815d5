// The live rate chart draws what chart-math computes: these tests check the numbers (scale,
// right alignment, clamping) rather than pixels.
import { describe, expect, it } from 'vitest';
import { areaPath, linePath, niceMax, pushSample, seriesPoints } from '../../../src/renderer/components/chart-math.js';

describe('pushSample', () => {
  it('keeps the newest samples up to the capacity', () => {
    let s: number[] = [];
    for (let i = 0; i < 10; i++) s = pushSample(s, i, 4);
    expect(s).toEqual([6, 7, 8, 9]);
  });
  it('does not change the array it was given', () => {
    const s = [1, 2];
    pushSample(s, 3, 2);
    expect(s).toEqual([1, 2]);
  });
});

describe('niceMax', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1000);
    expect(niceMax(1000)).toBe(1000);
    expect(niceMax(1001)).toBe(2000);
    expect(niceMax(2_600_000)).toBe(5_000_000);
    expect(niceMax(7_000_000)).toBe(10_000_000);
    expect(niceMax(12, 1)).toBe(20);
  });
});

describe('paths', () => {
  const box = { width: 100, height: 50, capacity: 5, max: 10 };
  it('puts the newest sample on the right edge and spaces samples evenly', () => {
    expect(seriesPoints([0, 5, 10], box)).toEqual([
      { x: 50, y: 50 },
      { x: 75, y: 25 },
      { x: 100, y: 0 },
    ]);
  });
  it('draws a line and an area closed along the bottom', () => {
    expect(linePath([0, 10], box)).toBe('M75 50 L100 0');
    expect(areaPath([0, 10], box)).toBe('M75 50 L100 0 L100 50 L75 50 Z');
  });
  it('clamps values outside 0..max and treats non-numbers as 0', () => {
    expect(seriesPoints([-5, 20, Number.NaN], box).map((p) => p.y)).toEqual([50, 0, 50]);
  });
  it('draws nothing with fewer than two samples', () => {
    expect(linePath([3], box)).toBe('');
    expect(areaPath([], box)).toBe('');
  });
});
