// Rows of a server-paged list, fetched lazily for the window on screen. The table reports which
// rows it shows; this fetches only the pages covering them (at most MAX_IN_FLIGHT at a time, always
// for the newest window, so a fast scroll to the end skips the pages in between), keeps the latest
// reply's totals, and refreshes the visible pages when asked (e.g. on core events) without blanking.

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../bridge.js';
import { PageCache, pagesForRange } from './page-cache.js';

/** Requests in flight at once: enough to fill a screen quickly, few enough not to queue stale pages. */
const MAX_IN_FLIGHT = 2;

export interface PagedRowsOptions<T, P> {
  /** Changes of this key (e.g. the sort) drop every loaded page. */
  readonly key: string;
  readonly pageSize: number;
  readonly maxPages: number;
  readonly fetchPage: (offset: number, limit: number) => Promise<P>;
  readonly rowsOf: (page: P) => readonly T[];
  readonly totalOf: (page: P) => number;
}

export interface PagedRows<T, P> {
  /** The newest reply (for totals), null before the first. */
  readonly latest: P | null;
  readonly total: number;
  readonly row: (index: number) => T | undefined;
  readonly setRange: (first: number, last: number) => void;
  /** Fetches the visible pages again and forgets the others. */
  readonly refresh: () => void;
  readonly error: ApiError | null;
}

export function usePagedRows<T, P>(options: PagedRowsOptions<T, P>): PagedRows<T, P> {
  const opts = useRef(options);
  opts.current = options;
  const cache = useRef(new PageCache<T>(options.pageSize, options.maxPages));
  const range = useRef({ first: 0, last: options.pageSize });
  const inFlight = useRef(new Set<number>());
  const stale = useRef(new Set<number>());
  const generation = useRef(0);
  const [latest, setLatest] = useState<P | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [, setVersion] = useState(0);

  const pump = useCallback(() => {
    const c = cache.current;
    const wanted = pagesForRange(range.current.first, Math.max(range.current.last, range.current.first + 1), c.pageSize);
    c.touch(wanted);
    const toFetch = [...c.missing(wanted), ...wanted.filter((p) => stale.current.has(p) && c.has(p))];
    for (const page of toFetch) {
      if (inFlight.current.size >= MAX_IN_FLIGHT) break;
      if (inFlight.current.has(page)) continue;
      inFlight.current.add(page);
      stale.current.delete(page);
      const gen = generation.current;
      opts.current.fetchPage(page * c.pageSize, c.pageSize).then(
        (reply) => {
          if (gen !== generation.current) return;
          inFlight.current.delete(page);
          c.set(page, opts.current.rowsOf(reply));
          setLatest(reply);
          setError(null);
          setVersion((v) => v + 1);
          pump();
        },
        (err: unknown) => {
          if (gen !== generation.current) return;
          inFlight.current.delete(page);
          setError(err instanceof ApiError ? err : new ApiError('E_IO', String((err as Error)?.message ?? err)));
        },
      );
    }
  }, []);

  // A new key (sort) starts over: the old pages are in another order.
  useEffect(() => {
    generation.current++;
    cache.current.clear();
    inFlight.current.clear();
    stale.current.clear();
    setVersion((v) => v + 1);
    pump();
  }, [options.key, pump]);

  const setRange = useCallback(
    (first: number, last: number) => {
      range.current = { first, last };
      pump();
    },
    [pump],
  );

  const refresh = useCallback(() => {
    const c = cache.current;
    const wanted = pagesForRange(range.current.first, Math.max(range.current.last, range.current.first + 1), c.pageSize);
    // Pages off screen would be stale when scrolled back to: forget them. The visible ones stay
    // shown until their fresh copy arrives, so a refresh never blanks the table.
    c.retainOnly(wanted);
    for (const p of wanted) if (c.has(p)) stale.current.add(p);
    setError(null);
    pump();
  }, [pump]);

  const total = latest === null ? 0 : options.totalOf(latest);
  const row = useCallback((index: number) => cache.current.row(index), []);
  return { latest, total, row, setRange, refresh, error };
}
