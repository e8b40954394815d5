// The held list's sparse index on its own: which anchor a page starts from, and how anchors move
// when a row enters or leaves before, after or exactly at them.
import { describe, expect, it } from 'vitest';
import { AnchorSet, compareKeys, type Anchor } from '../../../../src/main/core/views/held-anchors.js';

/** Anchors at rows 10, 20, 30 of a 35-row list; keys 100, 200, 300 with IDs 'b'. */
function tens(): AnchorSet {
  const anchors: Anchor[] = [100, 200, 300].map((key, i) => ({ key, id: 'b', before: 10 * (i + 1) }));
  return new AnchorSet(anchors, 35);
}

describe('AnchorSet', () => {
  it('orders by key, then by ID', () => {
    expect(compareKeys({ key: 1, id: 'f' }, { key: 2, id: 'a' })).toBe(-1);
    expect(compareKeys({ key: 2, id: 'a' }, { key: 2, id: 'b' })).toBe(-1);
    expect(compareKeys({ key: 2, id: 'b' }, { key: 2, id: 'b' })).toBe(0);
    expect(compareKeys({ key: 3, id: '0' }, { key: 2, id: 'f' })).toBe(1);
  });

  it('starts an ascending page at the last anchor at or before it, a descending one at the first after it', () => {
    const set = tens();
    expect(set.floor(9)).toBeUndefined();
    expect(set.floor(10)?.key).toBe(100);
    expect(set.floor(29)?.key).toBe(200);
    expect(set.floor(34)?.key).toBe(300);
    expect(set.ceiling(9)?.key).toBe(100);
    expect(set.ceiling(10)?.key).toBe(200);
    expect(set.ceiling(30)).toBeUndefined();
  });

  it('moves only the anchors after a change; a change at an anchor itself moves that anchor not', () => {
    const set = tens();
    set.apply({ key: 150, id: 'a' }, 1);
    expect([set.floor(10)?.before, set.floor(21)?.before, set.floor(31)?.before, set.total]).toEqual([10, 21, 31, 36]);
    set.apply({ key: 200, id: 'b' }, -1);
    expect([set.floor(10)?.before, set.floor(21)?.before, set.floor(30)?.before, set.total]).toEqual([10, 21, 30, 35]);
    set.apply({ key: 200, id: 'a' }, -1);
    expect([set.floor(20)?.before, set.floor(29)?.before, set.total]).toEqual([20, 29, 34]);
    set.apply({ key: 999, id: 'z' }, 1);
    expect([set.floor(29)?.before, set.total]).toEqual([29, 35]);
  });

  it('reports the longest stretch a page may walk, the ends included', () => {
    const set = tens();
    expect(set.widestGap()).toBe(10);
    for (let i = 0; i < 5; i++) set.apply({ key: 400, id: 'a' }, 1);
    expect(set.widestGap()).toBe(10);
    set.apply({ key: 400, id: 'b' }, 1);
    expect(set.widestGap()).toBe(11);
    for (let i = 0; i < 4; i++) set.apply({ key: 1, id: 'a' }, 1);
    expect(set.widestGap()).toBe(14);
  });
});
