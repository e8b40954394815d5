// Activity: the core's event log, newest first, following new events as they are logged.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ActivityEventView } from '../../shared/api.js';
import { ApiError, type Bridge } from '../bridge.js';
import { eventName, eventSummary, eventTone, mergeNewestFirst } from '../components/event-text.js';
import { EmptyState, ErrorState, LoadingState } from '../components/states.js';
import { formatClock } from '../components/time-format.js';
import { useEventRefresh } from '../components/use-event-refresh.js';

/** Events fetched at first. */
const FIRST_PAGE = 200;
/** Events kept on screen; older ones drop off the bottom. */
const MAX_SHOWN = 500;
/** Some log entries (a file sealed, a store check) have no live event: poll for them this often. */
const POLL_MS = 5_000;
/** Shortest gap between fetches caused by live events. */
const EVENT_GAP_MS = 1_000;

export function ActivityView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const [events, setEvents] = useState<readonly ActivityEventView[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [problemsOnly, setProblemsOnly] = useState(false);
  const newest = useRef<number | null>(null);
  const busy = useRef(false);

  const load = useCallback(() => {
    if (busy.current) return;
    busy.current = true;
    const after = newest.current;
    bridge.call('activity', after === null ? { limit: FIRST_PAGE } : { afterId: after, limit: FIRST_PAGE }).then(
      (reply) => {
        busy.current = false;
        setError(null);
        setEvents((prev) => {
          const merged = mergeNewestFirst(prev ?? [], reply.events, MAX_SHOWN);
          newest.current = merged[0]?.id ?? newest.current;
          return merged;
        });
      },
      (err: unknown) => {
        busy.current = false;
        setError(err instanceof ApiError ? err : new ApiError('E_IO', String((err as Error)?.message ?? err)));
      },
    );
  }, [bridge]);

  useEffect(() => {
    load();
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [load]);
  useEventRefresh(bridge, 'all', EVENT_GAP_MS, load);

  if (events === null) return error !== null ? <ErrorState error={error} onRetry={load} /> : <LoadingState label="Reading the activity log…" />;
  const shown = problemsOnly ? events.filter((e) => eventTone(e.type) === 'bad') : events;
  const now = Date.now();
  return (
    <div className="view-activity">
      <div className="view-intro">
        <p className="muted" aria-live="polite">
          {events.length.toLocaleString('en')} {events.length === 1 ? 'event' : 'events'}
        </p>
        <label className="check">
          <input type="checkbox" checked={problemsOnly} onChange={(e) => setProblemsOnly(e.target.checked)} data-testid="activity-problems" /> Only problems
        </label>
      </div>
      {error !== null && <ErrorState error={error} onRetry={load} />}
      {shown.length === 0 ? (
        <EmptyState title={problemsOnly ? 'No problems logged' : 'Nothing has happened yet'} testId="activity-empty" />
      ) : (
        <ol className="activity" aria-label="Activity log, newest first" data-testid="activity-list">
          {shown.map((e) => (
            <li key={e.id} className={`activity-item tone-${eventTone(e.type)}`} data-testid="activity-item" data-type={e.type}>
              <time className="activity-time" dateTime={new Date(e.at).toISOString()}>
                {formatClock(e.at, now)}
              </time>
              <span className="activity-dot" aria-hidden="true" />
              <span className="activity-name">{eventName(e.type)}</span>
              <span className="activity-summary">{eventSummary(e.type, e.data)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
