// The virtual table renders only what virtualWindow() picks: these tests hold it to "a screenful
// plus overscan, whatever the list's length", including at the very end of 100,000 and 1,000,000
// rows where the scroll area is scaled down.
import { describe, expect, it } from 'vitest';
import { MAX_RENDERED_ROWS, MAX_SCROLL_HEIGHT_PX, positionToScrollTop, scrollForKey, scrollTopToPosition, virtualWindow } from '../../../src/renderer/components/virtual-window.js';

const base = { viewportHeight: 400, rowHeight: 40, overscan: 5 };

describe('virtualWindow', () => {
  it('renders the first screen plus overscan at the top', () => {
    const w = virtualWindow({ ...base, scrollTop: 0, rowCount: 10_000 });
    expect(w).toEqual({ first: 0, last: 15, totalHeight: 400_000, shift: 0 });
  });

  it('renders the rows around the scroll position in the middle', () => {
    const w = virtualWindow({ ...base, scrollTop: 40 * 5000 + 20, rowCount: 10_000 });
    expect(w.first).toBe(4995);
    expect(w.last).toBe(5016);
  });

  it('ends exactly at the last row when scrolled to the end', () => {
    const w = virtualWindow({ ...base, scrollTop: 400_000 - 400, rowCount: 10_000 });
    expect(w.last).toBe(10_000);
    expect(w.last - w.first).toBeLessThan(200);
  });

  it('never holds more than a screenful plus overscan at any scroll position of 100,000 rows', () => {
    const rowCount = 100_000;
    const total = rowCount * 40;
    for (let scrollTop = 0; scrollTop <= total; scrollTop += 97_531) {
      const w = virtualWindow({ ...base, scrollTop, rowCount });
      expect(w.last - w.first).toBeLessThanOrEqual(400 / 40 + 1 + 2 * 5);
      expect(w.first).toBeGreaterThanOrEqual(0);
      expect(w.last).toBeLessThanOrEqual(rowCount);
    }
  });

  it('clamps a scrollTop past the end (elastic scrolling) to the last screen', () => {
    const w = virtualWindow({ ...base, scrollTop: 10_000_000, rowCount: 100 });
    expect(w.last).toBe(100);
    expect(w.first).toBe(100 - 10 - 5);
  });

  it('renders at most maxRows even when the viewport claims to be as tall as the list', () => {
    const w = virtualWindow({ ...base, viewportHeight: 4_000_000, scrollTop: 0, rowCount: 100_000 });
    expect(w.last - w.first).toBe(MAX_RENDERED_ROWS);
    expect(virtualWindow({ ...base, scrollTop: 0, rowCount: 100, maxRows: 7 }).last).toBe(7);
  });

  it('handles an empty list and a zero-height viewport', () => {
    expect(virtualWindow({ ...base, scrollTop: 0, rowCount: 0 })).toEqual({ first: 0, last: 0, totalHeight: 0, shift: 0 });
    const w = virtualWindow({ ...base, viewportHeight: 0, scrollTop: 0, rowCount: 50 });
    expect(w.first).toBe(0);
    expect(w.last).toBe(5);
  });

  it('scales a list taller than the browser allows and still reaches its last row', () => {
    const rowCount = 1_000_000;
    const top = virtualWindow({ ...base, scrollTop: 0, rowCount });
    expect(top.totalHeight).toBe(MAX_SCROLL_HEIGHT_PX);
    expect(top.first).toBe(0);
    const end = virtualWindow({ ...base, scrollTop: MAX_SCROLL_HEIGHT_PX - 400, rowCount });
    expect(end.last).toBe(rowCount);
    // The last row's bottom edge sits exactly at the bottom of the viewport.
    const lastTop = (rowCount - 1) * 40 - end.shift;
    expect(lastTop + 40).toBeCloseTo(MAX_SCROLL_HEIGHT_PX, 3);
    // Halfway down the scroll area is halfway down the list.
    const mid = virtualWindow({ ...base, scrollTop: (MAX_SCROLL_HEIGHT_PX - 400) / 2, rowCount });
    expect(Math.abs(mid.first + 5 - rowCount / 2)).toBeLessThan(10);
  });

  it('places rows so the visible ones cover the viewport when scaled', () => {
    const rowCount = 500_000;
    const scrollTop = 3_333_333;
    const w = virtualWindow({ ...base, scrollTop, rowCount, maxScrollHeight: 4_000_000 });
    const tops = [];
    for (let i = w.first; i < w.last; i++) tops.push(i * 40 - w.shift);
    expect(Math.min(...tops)).toBeLessThanOrEqual(scrollTop);
    expect(Math.max(...tops) + 40).toBeGreaterThanOrEqual(scrollTop + 400);
  });
});

describe('scroll position mapping', () => {
  it('is the identity when the list fits', () => {
    expect(scrollTopToPosition(1234, 400, 400_000, 400_000)).toBe(1234);
    expect(positionToScrollTop(1234, 400, 400_000, 400_000)).toBe(1234);
  });

  it('round-trips when scaled', () => {
    const natural = 40_000_000;
    const total = MAX_SCROLL_HEIGHT_PX;
    for (const position of [0, 12_345, 19_999_600, natural - 400]) {
      const st = positionToScrollTop(position, 400, natural, total);
      expect(scrollTopToPosition(st, 400, natural, total)).toBeCloseTo(position, 3);
    }
  });
});

describe('scrollForKey', () => {
  const state = { scrollTop: 4000, viewportHeight: 400, rowHeight: 40, rowCount: 10_000 };
  it('moves by a row, a page, and to either end', () => {
    expect(scrollForKey('ArrowDown', state)).toBe(4040);
    expect(scrollForKey('ArrowUp', state)).toBe(3960);
    expect(scrollForKey('PageDown', state)).toBe(4000 + 9 * 40);
    expect(scrollForKey('PageUp', state)).toBe(4000 - 9 * 40);
    expect(scrollForKey('Home', state)).toBe(0);
    expect(scrollForKey('End', state)).toBe(400_000 - 400);
  });

  it('stops at the ends and ignores other keys', () => {
    expect(scrollForKey('ArrowUp', { ...state, scrollTop: 0 })).toBe(0);
    expect(scrollForKey('ArrowDown', { ...state, scrollTop: 400_000 - 400 })).toBe(400_000 - 400);
    expect(scrollForKey('a', state)).toBeNull();
    expect(scrollForKey('Tab', state)).toBeNull();
  });

  it('moves by one row of the list when the scroll area is scaled', () => {
    const big = { scrollTop: 1_000_000, viewportHeight: 400, rowHeight: 40, rowCount: 1_000_000 };
    const next = scrollForKey('ArrowDown', big)!;
    const natural = 40_000_000;
    const before = scrollTopToPosition(big.scrollTop, 400, natural, MAX_SCROLL_HEIGHT_PX);
    const after = scrollTopToPosition(next, 400, natural, MAX_SCROLL_HEIGHT_PX);
    expect(after - before).toBeCloseTo(40, 3);
    const w = virtualWindow({ ...big, overscan: 0, scrollTop: scrollForKey('End', big)! });
    expect(w.last).toBe(1_000_000);
  });
});
