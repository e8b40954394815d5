// Calls `onRefresh` after any of the named core events, at most once per `gapMs`: progress events
// come many times a second and each would otherwise trigger a fetch.

import { useEffect, useRef } from 'react';
import type { ApiEvent } from '../../shared/api.js';
import type { Bridge } from '../bridge.js';

export function useEventRefresh(bridge: Bridge, names: readonly ApiEvent[] | 'all', gapMs: number, onRefresh: () => void): void {
  const callback = useRef(onRefresh);
  callback.current = onRefresh;
  const key = names === 'all' ? 'all' : names.join(',');
  useEffect(() => {
    const wanted = key === 'all' ? null : new Set(key.split(','));
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = bridge.subscribe((m) => {
      if ((wanted !== null && !wanted.has(m.event)) || timer !== null) return;
      timer = setTimeout(
        () => {
          timer = null;
          last = Date.now();
          callback.current();
        },
        Math.max(0, last + gapMs - Date.now()),
      );
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [bridge, key, gapMs]);
}
