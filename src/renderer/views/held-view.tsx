// Held for others: every encrypted copy this laptop keeps for someone else, in a virtualized table
// sorted and paged by the core, so it stays smooth at 100,000 rows and beyond.

import { useCallback, useMemo, useState } from 'react';
import type { HeldPageView, HeldRowView, HeldSort } from '../../shared/api.js';
import { formatBytes, shortBlobId } from '../../shared/format.js';
import type { Bridge } from '../bridge.js';
import { Countdown } from '../components/countdown.js';
import { ProgressBar } from '../components/progress-bar.js';
import { nextSort, type SortState } from '../components/sort-state.js';
import { EmptyState, ErrorState, LoadingState } from '../components/states.js';
import { formatAgo, shortDeviceId } from '../components/time-format.js';
import { useEventRefresh } from '../components/use-event-refresh.js';
import { usePagedRows } from '../components/use-paged-rows.js';
import { useNow } from '../components/use-now.js';
import { VirtualTable, type Column } from '../components/virtual-table.js';

/** Rows per request: a few screens, well under the API's page limit. */
const PAGE_SIZE = 100;
/** Pages kept in memory (10,000 rows); older ones are fetched again if scrolled back to. */
const MAX_PAGES = 100;
/** Countdowns tick this often. */
const CLOCK_MS = 1_000;
/** Shortest gap between refreshes caused by held:* events (progress comes many times a second). */
const REFRESH_GAP_MS = 1_000;

const STATE_LABELS: Record<string, string> = { receiving: 'Receiving', held: 'Held', delivering: 'Delivering' };

export function HeldView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const [sort, setSort] = useState<SortState<HeldSort>>({ key: 'received', dir: 'desc' });
  const now = useNow(CLOCK_MS);
  const fetchPage = useCallback((offset: number, limit: number) => bridge.call('heldPage', { sort: sort.key, dir: sort.dir, offset, limit }), [bridge, sort]);
  const paged = usePagedRows<HeldRowView, HeldPageView>({
    key: `${sort.key}:${sort.dir}`,
    pageSize: PAGE_SIZE,
    maxPages: MAX_PAGES,
    fetchPage,
    rowsOf: (p) => p.rows,
    totalOf: (p) => p.total,
  });

  const { refresh } = paged;
  useEventRefresh(bridge, ['held:receiving', 'held:progress', 'held:stored', 'held:purged', 'delivery:started', 'delivery:delivered'], REFRESH_GAP_MS, refresh);

  const columns = useMemo<Column<HeldRowView, HeldSort>[]>(
    () => [
      { id: 'blob', header: 'Blob', width: 'minmax(7rem, 1.2fr)', render: (r) => <code title={r.blobId}>{shortBlobId(r.blobId)}</code> },
      { id: 'size', header: 'Size', width: 'minmax(5rem, 0.8fr)', sortKey: 'size', align: 'end', render: (r) => formatBytes(r.size) },
      { id: 'origin', header: 'From', width: 'minmax(6rem, 1fr)', optional: true, render: (r) => <code title={r.originId}>{shortDeviceId(r.originId)}</code> },
      { id: 'received', header: 'Received', width: 'minmax(6rem, 1fr)', sortKey: 'received', optional: true, render: (r) => <time dateTime={new Date(r.receivedAt).toISOString()}>{formatAgo(r.receivedAt, now)}</time> },
      { id: 'expires', header: 'Expires in', width: 'minmax(6.5rem, 1fr)', sortKey: 'expires', render: (r) => <Countdown until={r.expiresAt} now={now} /> },
      { id: 'state', header: 'State', width: 'minmax(7rem, 1.1fr)', render: (r) => <HeldState row={r} /> },
    ],
    [now],
  );

  const latest = paged.latest;
  if (latest === null && paged.error !== null) return <ErrorState error={paged.error} onRetry={refresh} />;
  if (latest === null) return <LoadingState label="Loading the list of held copies…" />;
  return (
    <div className="view-held">
      <div className="view-intro">
        <p className="totals" data-testid="held-totals" aria-live="polite">
          <strong>{latest.total.toLocaleString('en')}</strong> {latest.total === 1 ? 'copy' : 'copies'} · <strong>{formatBytes(latest.totalBytes)}</strong>
        </p>
      </div>
      {paged.error !== null && <ErrorState error={paged.error} onRetry={refresh} />}
      {latest.total === 0 ? (
        <EmptyState title="Holding nothing for others yet" testId="held-empty">
          When people nearby back up their photos, encrypted copies land here and are kept until they reach home.
        </EmptyState>
      ) : (
        <VirtualTable<HeldRowView, HeldSort>
          label="Copies held for others"
          testId="held-table"
          rowTestId="held-row"
          columns={columns}
          rowCount={paged.total}
          row={paged.row}
          rowKey={(r) => r.blobId}
          sort={sort}
          onSort={(key) => setSort((s) => nextSort(s, key, key === 'expires' ? 'asc' : 'desc'))}
          onRangeChange={paged.setRange}
          scrollResetKey={`${sort.key}:${sort.dir}`}
        />
      )}
    </div>
  );
}

function HeldState(props: { readonly row: HeldRowView }): React.JSX.Element {
  const r = props.row;
  const label = STATE_LABELS[r.state] ?? r.state;
  if (r.state !== 'receiving') return <span className={`badge badge-${r.state}`}>{label}</span>;
  return (
    <span className="held-receiving">
      <ProgressBar size="small" value={r.bytesReceived} max={r.size} label={`Receiving blob ${shortBlobId(r.blobId)}`} valueText={`${formatBytes(r.bytesReceived)} of ${formatBytes(r.size)}`} />
      <span className="muted">{Math.floor((r.bytesReceived / Math.max(1, r.size)) * 100)}%</span>
    </span>
  );
}
