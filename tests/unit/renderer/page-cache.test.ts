// The held list fetches only the pages covering the rows on screen and forgets old ones: these
// tests hold the bookkeeping to that.
import { describe, expect, it } from 'vitest';
import { PageCache, pagesForRange } from '../../../src/renderer/components/page-cache.js';

describe('pagesForRange', () => {
  it('lists the pages covering a range of rows', () => {
    expect(pagesForRange(0, 100, 100)).toEqual([0]);
    expect(pagesForRange(0, 101, 100)).toEqual([0, 1]);
    expect(pagesForRange(99, 201, 100)).toEqual([0, 1, 2]);
    expect(pagesForRange(99_950, 100_000, 100)).toEqual([999]);
    expect(pagesForRange(5, 5, 100)).toEqual([]);
  });
});

describe('PageCache', () => {
  it('answers rows of loaded pages and undefined for the rest', () => {
    const c = new PageCache<string>(3, 10);
    c.set(1, ['d', 'e', 'f']);
    expect(c.row(3)).toBe('d');
    expect(c.row(5)).toBe('f');
    expect(c.row(2)).toBeUndefined();
    expect(c.row(6)).toBeUndefined();
    expect(c.missing([0, 1, 2])).toEqual([0, 2]);
  });

  it('forgets the least recently used page beyond its limit, keeping the touched ones', () => {
    const c = new PageCache<number>(1, 3);
    c.set(0, [0]);
    c.set(1, [1]);
    c.set(2, [2]);
    c.touch([0]);
    c.set(3, [3]);
    expect(c.loadedPages().sort()).toEqual([0, 2, 3]);
    expect(c.has(1)).toBe(false);
  });

  it('keeps memory flat when every page of 1,000,000 rows is visited', () => {
    const c = new PageCache<number>(100, 50);
    for (let p = 0; p < 10_000; p++) c.set(p, [p]);
    expect(c.loadedPages()).toHaveLength(50);
    expect(c.has(9_999)).toBe(true);
  });

  it('retains only the given pages', () => {
    const c = new PageCache<number>(1, 10);
    for (let p = 0; p < 5; p++) c.set(p, [p]);
    c.retainOnly([1, 3, 7]);
    expect(c.loadedPages().sort()).toEqual([1, 3]);
  });
});
