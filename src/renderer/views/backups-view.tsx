// My backups: the own photos and files this device sealed, as a grid of thumbnails with how many
// holders have a copy and whether it reached home. Live from placement and delivery events.

import { useEffect, useRef, useState } from 'react';
import type { BackupFilter, BackupView } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import type { Bridge } from '../bridge.js';
import { useCall } from '../hooks.js';
import { EmptyState, ErrorState, LoadingState, Notice } from '../components/states.js';
import {
  BACKUP_FILTERS,
  BACKUPS_PAGE_SIZE,
  LruCache,
  THUMB_CACHE_MAX,
  backupPhase,
  pageRange,
  phaseLabel,
  replicaBadge,
  replicasEnough,
  safeThumbnail,
} from './backups-model.js';
import './views-b.css';

/** Start loading a thumbnail a little before its tile scrolls into view. */
const THUMB_PRELOAD_MARGIN = '200px';

/** What an empty grid says, per filter: a title and a line on what fills it. */
const EMPTY_TEXT: Record<BackupFilter, readonly [string, string]> = {
  all: ['No backups yet', 'Photos and files you add are sealed, copied to people nearby, and shown here.'],
  pending: ['Nothing is waiting for holders', 'Everything of yours is on holders or already home.'],
  placed: ['Nothing is on holders right now', 'Backups show here once enough people nearby hold a copy.'],
  delivered: ['Nothing has been delivered home yet', 'Deliveries start when this laptop, or a holder, joins a home network.'],
};

export function BackupsView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const [filter, setFilter] = useState<BackupFilter>('all');
  const [offset, setOffset] = useState(0);
  const page = useCall(bridge, 'backups', { filter, offset, limit: BACKUPS_PAGE_SIZE }, ['placement:stored', 'blob:placed', 'delivery:delivered']);
  // One cache for the view's lifetime: paging back shows thumbnails without asking again.
  const thumbs = useRef(new LruCache<string | null>(THUMB_CACHE_MAX)).current;
  const data = page.data;

  // A page emptied by a change (its last items moved to another filter) steps back to a real page.
  useEffect(() => {
    if (data !== null && data.rows.length === 0 && data.total > 0 && offset > 0) {
      setOffset(Math.floor((data.total - 1) / BACKUPS_PAGE_SIZE) * BACKUPS_PAGE_SIZE);
    }
  }, [data, offset]);

  const choose = (f: BackupFilter): void => {
    setFilter(f);
    setOffset(0);
  };

  if (data === null && page.error !== null) return <ErrorState error={page.error} onRetry={page.refresh} />;
  const filterLabel = BACKUP_FILTERS.find((x) => x.filter === filter)?.label.toLowerCase() ?? '';
  return (
    <div className="view-backups">
      <div className="view-intro">
        <div className="segmented" role="group" aria-label="Show backups">
          {BACKUP_FILTERS.map(({ filter: f, label }) => (
            <button key={f} type="button" className="segmented-item" aria-pressed={filter === f} data-testid={`backups-filter-${f}`} onClick={() => choose(f)}>
              {label}
            </button>
          ))}
        </div>
        {data !== null && (
          <p className="totals" data-testid="backups-total" aria-live="polite">
            <strong>{data.total.toLocaleString('en')}</strong> {data.total === 1 ? 'backup' : 'backups'}
            {filter === 'all' ? '' : ` ${filterLabel}`}
          </p>
        )}
      </div>
      {page.error !== null && (
        <Notice tone="bad" testId="backups-stale">
          {page.error.message} The tiles below are from the last answer.
        </Notice>
      )}
      {data === null ? (
        <LoadingState label="Loading your backups…" />
      ) : data.total === 0 ? (
        <EmptyState title={EMPTY_TEXT[filter][0]} testId="backups-empty">
          {EMPTY_TEXT[filter][1]}
        </EmptyState>
      ) : (
        <ul className="backups-grid" data-testid="backups-grid" aria-label={`Backups, ${pageRange(offset, data.rows.length, data.total)}`}>
          {data.rows.map((b) => (
            <BackupTile key={b.blobId} backup={b} bridge={bridge} thumbs={thumbs} />
          ))}
        </ul>
      )}
      {data !== null && data.total > BACKUPS_PAGE_SIZE && (
        <nav className="backups-pager" aria-label="Pages of backups">
          <button type="button" className="button" data-testid="backups-prev" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - BACKUPS_PAGE_SIZE))}>
            Previous
          </button>
          <span className="muted" aria-live="polite" data-testid="backups-range">
            {pageRange(offset, data.rows.length, data.total)}
          </span>
          <button type="button" className="button" data-testid="backups-next" disabled={offset + BACKUPS_PAGE_SIZE >= data.total} onClick={() => setOffset(offset + BACKUPS_PAGE_SIZE)}>
            Next
          </button>
        </nav>
      )}
    </div>
  );
}

function BackupTile(props: { readonly backup: BackupView; readonly bridge: Bridge; readonly thumbs: LruCache<string | null> }): React.JSX.Element {
  const { backup: b, bridge, thumbs } = props;
  const ref = useRef<HTMLLIElement>(null);
  const [thumb, setThumb] = useState<string | null>(() => thumbs.get(b.blobId) ?? null);
  const [visible, setVisible] = useState(false);

  // Thumbnails are fetched only for tiles on (or near) the screen.
  useEffect(() => {
    const el = ref.current;
    if (el === null || !b.hasThumbnail || thumbs.has(b.blobId)) return undefined;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return undefined;
    }
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setVisible(true);
          io.disconnect();
        }
      },
      { rootMargin: THUMB_PRELOAD_MARGIN },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [b.blobId, b.hasThumbnail, thumbs]);

  useEffect(() => {
    if (!visible || thumbs.has(b.blobId)) return undefined;
    let live = true;
    bridge.call('thumbnail', { blobId: b.blobId }).then(
      (r) => {
        const url = safeThumbnail(r.dataUrl);
        thumbs.set(b.blobId, url);
        if (live) setThumb(url);
      },
      () => {
        // A missing thumbnail is no error worth a word: the tile keeps its placeholder.
      },
    );
    return () => {
      live = false;
    };
  }, [visible, b.blobId, bridge, thumbs]);

  const phase = backupPhase(b.state);
  const enough = replicasEnough(b);
  const when = new Date(b.capturedAt ?? b.createdAt);
  const more = b.fileCount > 1 ? ` + ${b.fileCount - 1} ${b.fileCount === 2 ? 'file' : 'files'}` : '';
  return (
    <li ref={ref} className="backup-tile" data-testid="backup-tile" data-state={phase} data-blob-id={b.blobId}>
      <div className="backup-thumb">
        {thumb !== null ? (
          <img src={thumb} alt="" decoding="async" />
        ) : (
          <div className="backup-placeholder" aria-hidden="true">
            <span className="backup-ext">{extensionOf(b.name)}</span>
            <span className="backup-placeholder-name">{b.name}</span>
          </div>
        )}
        <span
          className={`backup-badge ${enough || phase === 'delivered' ? 'is-good' : phase === 'lost' ? 'is-bad' : 'is-warn'}`}
          data-testid="backup-replicas"
          title={`${b.replicas} of the ${b.wanted} wanted holders have a copy`}
        >
          {replicaBadge(b)}
        </span>
      </div>
      <div className="backup-meta">
        <span className="backup-name" title={b.name + more}>
          {b.name}
          {more !== '' && <span className="muted">{more}</span>}
        </span>
        <span className="backup-line">
          <span className={`backup-state is-${phase}`} data-testid="backup-state">
            {phaseLabel(phase)}
          </span>
          <span className="muted small">
            {formatBytes(b.size)} · <time dateTime={when.toISOString()}>{when.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}</time>
          </span>
        </span>
      </div>
    </li>
  );
}

/** "HEIC" for a placeholder tile, so a list of names still says what kind of file each is. */
function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot >= name.length - 6 ? name.slice(dot + 1).toUpperCase() : 'FILE';
}
