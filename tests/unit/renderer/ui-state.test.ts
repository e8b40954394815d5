// Sorting, routes and theme choice: small state rules the window relies on.
import { describe, expect, it } from 'vitest';
import { hashFor, routeFromHash, ROUTES } from '../../../src/renderer/components/routes.js';
import { ariaSort, nextSort } from '../../../src/renderer/components/sort-state.js';
import { nextTheme, parseTheme } from '../../../src/renderer/components/theme.js';

describe('sorting', () => {
  it('flips the direction on the same column and starts another in its first direction', () => {
    const s = { key: 'received' as const, dir: 'desc' as const };
    expect(nextSort(s, 'received')).toEqual({ key: 'received', dir: 'asc' });
    expect(nextSort(nextSort(s, 'received'), 'received')).toEqual({ key: 'received', dir: 'desc' });
    expect(nextSort<'received' | 'expires'>(s, 'expires', 'asc')).toEqual({ key: 'expires', dir: 'asc' });
  });
  it('reports aria-sort per column', () => {
    const s = { key: 'size', dir: 'asc' } as const;
    expect(ariaSort<string>(s, 'size')).toBe('ascending');
    expect(ariaSort<string>({ ...s, dir: 'desc' }, 'size')).toBe('descending');
    expect(ariaSort<string>(s, 'received')).toBe('none');
  });
});

describe('routes', () => {
  it('reads the view from the #fragment and falls back to the overview', () => {
    expect(routeFromHash('#/held')).toBe('held');
    expect(routeFromHash('#held')).toBe('held');
    expect(routeFromHash('#/peers?x=1')).toBe('peers');
    expect(routeFromHash('')).toBe('overview');
    expect(routeFromHash('#/nope')).toBe('overview');
    expect(routeFromHash('#/constructor')).toBe('overview');
  });
  it('round-trips every view', () => {
    for (const r of ROUTES) expect(routeFromHash(hashFor(r.id))).toBe(r.id);
    expect(ROUTES.map((r) => r.id)).toEqual(['overview', 'held', 'backups', 'peers', 'deliveries', 'settings', 'activity', 'import']);
  });
});

describe('theme', () => {
  it('cycles system → light → dark and reads unknown storage as system', () => {
    expect(nextTheme('system')).toBe('light');
    expect(nextTheme('light')).toBe('dark');
    expect(nextTheme('dark')).toBe('system');
    expect(parseTheme('dark')).toBe('dark');
    expect(parseTheme('purple')).toBe('system');
    expect(parseTheme(null)).toBe('system');
  });
});
