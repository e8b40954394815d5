// React hooks over the bridge: a call whose result stays fresh as core events arrive.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiArgs, ApiEvent, ApiEventMessage, ApiMethod, ApiResult } from '../shared/api.js';
import { ApiError, RESYNC_EVENT, type Bridge } from './bridge.js';

/** Shortest time between two refreshes caused by events (progress events come many per second). */
const REFRESH_MIN_INTERVAL_MS = 500;

export interface CallState<T> {
  readonly data: T | null;
  readonly error: ApiError | null;
  readonly loading: boolean;
  /** Calls again now. */
  readonly refresh: () => void;
}

/**
 * Calls `method(args)` now, again when `args` change (compared as JSON), and again (throttled)
 * whenever one of `refreshOn` events arrives; `refreshOn: 'all'` refreshes on any event.
 */
export function useCall<M extends ApiMethod>(bridge: Bridge, method: M, args: ApiArgs<M>, refreshOn: readonly ApiEvent[] | 'all' = []): CallState<ApiResult<M>> {
  const [data, setData] = useState<ApiResult<M> | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const key = JSON.stringify(args ?? null);
  const argsRef = useRef(args);
  argsRef.current = args;
  const seq = useRef(0);
  const refresh = useCallback(() => {
    const mine = ++seq.current;
    setLoading(true);
    bridge.call(method, argsRef.current).then(
      (result) => {
        if (mine !== seq.current) return;
        setData(result);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== seq.current) return;
        setError(err instanceof ApiError ? err : new ApiError('E_IO', String((err as Error)?.message ?? err)));
        setLoading(false);
      },
    );
  }, [bridge, method, key]);
  useEffect(refresh, [refresh]);
  const events = refreshOn === 'all' ? 'all' : refreshOn.join(',');
  useEffect(() => {
    const wanted = events === 'all' ? null : new Set(events.split(','));
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = bridge.subscribe((m) => {
      // A (re)opened event stream may have missed events: refetch whatever this call listens to.
      if ((m.event as string) !== RESYNC_EVENT && (events === '' || (wanted !== null && !wanted.has(m.event)))) return;
      const wait = last + REFRESH_MIN_INTERVAL_MS - Date.now();
      if (wait <= 0) {
        last = Date.now();
        refresh();
      } else if (timer === null) {
        timer = setTimeout(() => {
          timer = null;
          last = Date.now();
          refresh();
        }, wait);
      }
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [bridge, refresh, events]);
  return { data, error, loading, refresh };
}

/** Every event of the given names, as they come (for live charts and progress bars). */
export function useEvents(bridge: Bridge, names: readonly ApiEvent[], onEvent: (message: ApiEventMessage) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = names.join(',');
  useEffect(() => {
    const wanted = new Set(key.split(','));
    return bridge.subscribe((m) => {
      if (wanted.has(m.event)) handler.current(m);
    });
  }, [bridge, key]);
}
