// Sorting state of a table: which column, which way. Pure, so headers and tests agree on it.

export type SortDir = 'asc' | 'desc';
export interface SortState<K extends string> {
  readonly key: K;
  readonly dir: SortDir;
}

/**
 * The sort after a click on column `key`: the same column flips direction; another column starts
 * in its natural direction (newest or largest first for times and sizes).
 */
export function nextSort<K extends string>(current: SortState<K>, key: K, firstDir: SortDir = 'desc'): SortState<K> {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: firstDir };
}

/** The aria-sort value of a column header. */
export function ariaSort<K extends string>(current: SortState<K>, key: K): 'ascending' | 'descending' | 'none' {
  if (current.key !== key) return 'none';
  return current.dir === 'asc' ? 'ascending' : 'descending';
}
