// Deliveries: whether this network is home, what is on its way to each destination, and every
// upload with a live progress bar, its rate and time left, and its error with a way to retry.

import { useEffect, useRef, useState } from 'react';
import type { ApiEventMessage, DeliveriesView as DeliveriesData, DeliveryRowView } from '../../shared/api.js';
import { formatBytes, shortBlobId } from '../../shared/format.js';
import { ApiError, type Bridge } from '../bridge.js';
import { useCall, useEvents } from '../hooks.js';
import { Icon } from '../components/icons.js';
import { Panel, Stat } from '../components/panel.js';
import { ProgressBar } from '../components/progress-bar.js';
import { EmptyState, ErrorState, LoadingState, Notice } from '../components/states.js';
import { formatRate } from '../components/time-format.js';
import { useNow } from '../components/use-now.js';
import { DELIVERY_PROGRESS_EVENTS, etaMs, formatEta, isDeliveryProgressEvent, nextLiveProgress, percentOf, pruneFinished, rateBps, shownSent, type LiveProgress } from './deliveries-rate.js';
import './views-b.css';

/** Progress events come many per second; the bars redraw at most this often. */
const REDRAW_MIN_INTERVAL_MS = 250;
/** Rate, time left, "stalled" and "next try in" change with the clock even without events. */
const CLOCK_TICK_MS = 1_000;

const STATE_LABELS: Record<string, string> = {
  pending: 'Waiting',
  checking: 'Checking',
  uploading: 'Uploading',
  delivered: 'Delivered',
  failed: 'Failed',
};
/** Totals read in the order a delivery moves, failures last but one. */
const STATE_ORDER = ['uploading', 'checking', 'pending', 'failed', 'delivered'];

export function DeliveriesView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const list = useCall(bridge, 'deliveries', undefined, ['delivery:started', 'delivery:delivered', 'delivery:failed', 'delivery:released', 'network:changed']);
  const live = useLiveProgress(bridge);
  // One clock for rates, times left and "next try in" of every row.
  const now = useNow(CLOCK_TICK_MS);
  const [action, setAction] = useState<{ readonly busy: boolean; readonly error: string | null; readonly done: boolean }>({ busy: false, error: null, done: false });
  const data = list.data;

  const deliverNow = (): void => {
    setAction({ busy: true, error: null, done: false });
    bridge.call('deliverNow', undefined).then(
      () => {
        setAction({ busy: false, error: null, done: true });
        list.refresh();
      },
      (err: unknown) => setAction({ busy: false, error: messageOf(err), done: false }),
    );
  };

  if (data === null) return list.error !== null ? <ErrorState error={list.error} onRetry={list.refresh} /> : <LoadingState label="Loading deliveries…" />;
  return (
    <div className="view-deliveries">
      {list.error !== null && (
        <Notice tone="bad" testId="deliveries-stale">
          {list.error.message} The list below is from the last answer.
        </Notice>
      )}
      <div className={`deliveries-top${data.home ? ' is-home' : ''}`}>
        <div className="deliveries-where" data-testid="deliveries-home" data-home={data.home} data-running={data.running} role="status">
          <p className="place">{data.home ? 'At home' : 'Not at home'}</p>
          <p className="muted">
            {data.home
              ? data.running
                ? 'Delivering now.'
                : 'Deliveries run here; nothing is being sent right now.'
              : 'Deliveries wait until this laptop joins one of its home networks. Mark one in Settings.'}
          </p>
        </div>
        <div className="deliveries-action">
          <button type="button" className="button button-primary" data-testid="deliver-now" disabled={action.busy} onClick={deliverNow}>
            <Icon name="deliveries" size={18} />
            {action.busy ? 'Starting…' : 'Deliver now'}
          </button>
          {action.done && !data.running && (
            <span className="muted small" role="status">
              Asked for a delivery pass.
            </span>
          )}
        </div>
      </div>
      {action.error !== null && (
        <Notice tone="bad" testId="deliver-now-error">
          {action.error}
        </Notice>
      )}

      <div className="deliveries-panels">
        <Totals data={data} />
        <Destinations data={data} />
        <Panel title="Recent deliveries" testId="deliveries-rows">
          {data.rows.length === 0 ? (
            <EmptyState title="Nothing to deliver yet" testId="deliveries-empty">
              Your own backups and the copies you hold for others are delivered from here once this laptop is home.
            </EmptyState>
          ) : (
            <ul className="delivery-list">
              {data.rows.map((r) => (
                <DeliveryRow key={`${r.source}:${r.blobId}`} row={r} live={live.get(r.blobId)} now={now} bridge={bridge} onChanged={list.refresh} />
              ))}
            </ul>
          )}
        </Panel>
      </div>
    </div>
  );
}

function Totals(props: { readonly data: DeliveriesData }): React.JSX.Element | null {
  const totals = [...props.data.totals].filter((t) => t.count > 0).sort((a, b) => stateRank(a.state) - stateRank(b.state));
  if (totals.length === 0) return null;
  return (
    <Panel title="By state" testId="deliveries-totals">
      <div className="stats stats-compact">
        {totals.map((t) => (
          <Stat key={t.state} label={STATE_LABELS[t.state] ?? t.state} value={t.count.toLocaleString('en')} detail={<span className="muted small">{formatBytes(t.bytes)}</span>} testId={`delivery-total-${t.state}`} />
        ))}
      </div>
    </Panel>
  );
}

function Destinations(props: { readonly data: DeliveriesData }): React.JSX.Element | null {
  const { destinations } = props.data;
  if (destinations.length === 0) return null;
  return (
    <Panel title="By destination" testId="deliveries-destinations">
      <ul className="delivery-list">
        {destinations.map((d) => {
          const all = d.pending + d.delivered;
          return (
            <li key={d.label} className="delivery-item" data-testid="delivery-destination">
              <div className="delivery-head">
                <span className="delivery-name">
                  <strong>{d.label}</strong> <span className="muted small">{d.kind}</span>
                </span>
                <span className="muted small">
                  {d.delivered.toLocaleString('en')} delivered · {d.pending.toLocaleString('en')} to go{d.pending > 0 ? ` (${formatBytes(d.pendingBytes)})` : ''}
                </span>
              </div>
              <ProgressBar
                value={percentOf(d.delivered, all, true)}
                max={100}
                tone={d.pending === 0 ? 'good' : 'accent'}
                label={`Delivered to ${d.label}`}
                valueText={`${d.delivered} of ${all} delivered`}
              />
            </li>
          );
        })}
      </ul>
    </Panel>
  );
}

function DeliveryRow(props: { readonly row: DeliveryRowView; readonly live: LiveProgress | undefined; readonly now: number; readonly bridge: Bridge; readonly onChanged: () => void }): React.JSX.Element {
  const { row: r, live, now, bridge, onChanged } = props;
  const [retry, setRetry] = useState<{ readonly busy: boolean; readonly error: string | null }>({ busy: false, error: null });
  const sent = shownSent(r, live);
  const done = r.state === 'delivered';
  const pct = percentOf(sent, r.size, done);
  const active = r.state === 'uploading' || r.state === 'checking';
  const rate = active && live !== undefined ? rateBps(live, now) : null;
  const eta = active && live !== undefined ? etaMs(live, now) : null;
  const failed = !done && (r.state === 'failed' || r.lastError !== null);
  const short = shortBlobId(r.blobId);

  const doRetry = (): void => {
    setRetry({ busy: true, error: null });
    bridge.call('retryDelivery', { blobId: r.blobId }).then(
      () => {
        setRetry({ busy: false, error: null });
        onChanged();
      },
      (err: unknown) => setRetry({ busy: false, error: messageOf(err) }),
    );
  };

  return (
    <li className={`delivery-item${failed ? ' is-failed' : ''}`} data-testid="delivery-row" data-blob-id={r.blobId} data-state={r.state}>
      <div className="delivery-head">
        <span className="delivery-name">
          <code title={r.blobId}>{short}</code>{' '}
          <span className="muted small">
            {r.source === 'outbox' ? 'yours' : 'held for someone'} → {r.destination}
          </span>
        </span>
        <span className={`badge delivery-state is-${r.state}`}>{STATE_LABELS[r.state] ?? r.state}</span>
      </div>
      <ProgressBar
        value={pct}
        max={100}
        tone={done ? 'good' : failed ? 'bad' : 'accent'}
        label={`Delivery of blob ${short}`}
        valueText={`${pct}%, ${formatBytes(sent)} of ${formatBytes(r.size)}`}
        testId="delivery-progress"
      />
      <p className="muted small delivery-numbers">
        <span>
          {formatBytes(sent)} of {formatBytes(r.size)}
        </span>
        {rate !== null && <span data-testid="delivery-rate">{rate > 0 ? formatRate(rate) : 'stalled'}</span>}
        {eta !== null && <span data-testid="delivery-eta">{formatEta(eta)} left</span>}
      </p>
      {failed && (
        <div className="delivery-error">
          <p className="field-error" data-testid="delivery-error">
            {r.lastError ?? 'The last attempt failed.'}
            {r.attempts > 1 ? ` (${r.attempts} attempts so far.)` : ''}
            {r.nextAttemptAt !== null && r.nextAttemptAt > now ? ` Next try in ${formatEta(r.nextAttemptAt - now)}.` : ''}
          </p>
          <button type="button" className="button" data-testid="delivery-retry" disabled={retry.busy} onClick={doRetry} aria-label={`Retry delivery of blob ${short}`}>
            {retry.busy ? 'Retrying…' : 'Retry'}
          </button>
        </div>
      )}
      {retry.error !== null && (
        <p className="field-error" role="alert">
          {retry.error}
        </p>
      )}
    </li>
  );
}

/** Upload progress from events, redrawn at a calm pace however fast the events come. */
function useLiveProgress(bridge: Bridge): ReadonlyMap<string, LiveProgress> {
  const progress = useRef(new Map<string, LiveProgress>());
  const [shown, setShown] = useState<ReadonlyMap<string, LiveProgress>>(() => new Map());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEvents(bridge, DELIVERY_PROGRESS_EVENTS, (m: ApiEventMessage) => {
    // Event payloads cross a process boundary: read them as unknown.
    const p = m.payload as Record<string, unknown> | null;
    if (p === null || typeof p !== 'object' || typeof p['blobId'] !== 'string' || !isDeliveryProgressEvent(m.event)) return;
    const blobId = p['blobId'];
    const map = progress.current;
    const at = Date.now();
    const next = nextLiveProgress(map.get(blobId), m.event, p, at);
    if (next === undefined) map.delete(blobId);
    else map.set(blobId, next);
    pruneFinished(map, at);
    if (timer.current === null) {
      timer.current = setTimeout(() => {
        timer.current = null;
        setShown(new Map(progress.current));
      }, REDRAW_MIN_INTERVAL_MS);
    }
  });

  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    },
    [],
  );
  return shown;
}

function stateRank(state: string): number {
  const i = STATE_ORDER.indexOf(state);
  return i < 0 ? STATE_ORDER.length : i;
}

function messageOf(err: unknown): string {
  return err instanceof ApiError || err instanceof Error ? err.message : 'The core did not answer: try again.';
}
