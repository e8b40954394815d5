// Import: phones, cameras and cards plugged in over USB, their photos brought into the library and
// the backup. Sources come and go live (source:added/removed); an import shows its progress
// (import:progress) and ends with a summary (import:done). A grid of thumbnails picks a selection.

import { useEffect, useMemo, useRef, useState } from 'react';
import { API_MAX_PAGE, type ImportFileView, type ImportOutcomeView, type ImportRunningView, type ImportSourceView } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import { canThumbnail } from '../../shared/thumbnailable.js';
import { ApiError, type Bridge } from '../bridge.js';
import { useCall, useEvents } from '../hooks.js';
import { Panel } from '../components/panel.js';
import { ProgressBar } from '../components/progress-bar.js';
import { EmptyState, ErrorState, LoadingState, Notice } from '../components/states.js';
import { LruCache, safeThumbnail } from './backups-model.js';
import {
  IMPORT_GRID_PAGE,
  IMPORT_THUMB_CACHE_MAX,
  ThumbQueue,
  outcomeLine,
  progressLines,
  selectionProblem,
  sourceCounts,
  sourceKindLabel,
  toggled,
  toolHintLine,
} from './import-model.js';
import './import-view.css';

/** While an import runs, its state is also asked for this often, in case an event was missed. */
const RUNNING_POLL_MS = 3_000;
/** Start loading a thumbnail a little before its tile scrolls into view. */
const THUMB_PRELOAD_MARGIN = '200px';

const asApiError = (err: unknown): ApiError => (err instanceof ApiError ? err : new ApiError('E_IO', String((err as Error)?.message ?? err)));

export function ImportView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const state = useCall(bridge, 'importSources', undefined, ['import:done', 'source:added', 'source:removed']);
  // Live from events; undefined until the first event, so the last answer's view counts until then.
  const [liveRunning, setLiveRunning] = useState<ImportRunningView | null | undefined>(undefined);
  const [liveOutcome, setLiveOutcome] = useState<ImportOutcomeView | null>(null);
  const [picking, setPicking] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  useEvents(bridge, ['import:progress', 'import:done'], (m) => {
    if (m.event === 'import:progress') setLiveRunning(m.payload as ImportRunningView);
    else {
      setLiveRunning(null);
      setLiveOutcome(m.payload as ImportOutcomeView);
    }
  });

  const data = state.data;
  // A fresh answer is as new as any event before it: events after it take over again.
  useEffect(() => setLiveRunning(undefined), [data]);
  const runningNow = liveRunning === undefined ? (data?.running ?? null) : liveRunning;
  // Events can be missed (the event socket reconnecting): while an import runs, ask now and then too.
  useEffect(() => {
    if (runningNow === null) return undefined;
    const timer = setInterval(state.refresh, RUNNING_POLL_MS);
    return () => clearInterval(timer);
  }, [runningNow === null, state.refresh]);
  if (data === null && state.error !== null) return <ErrorState error={state.error} onRetry={state.refresh} />;
  if (data === null) return <LoadingState label="Looking for phones, cameras and cards…" />;

  const running = runningNow;
  const outcome = liveOutcome !== null && (data.last === null || liveOutcome.at >= data.last.at) ? liveOutcome : data.last;
  const act = (p: Promise<unknown>): void => {
    setActionError(null);
    p.then(
      () => state.refresh(),
      (err: unknown) => setActionError(asApiError(err)),
    );
  };
  const start = (source: string, mode: 'new' | 'all', only?: readonly string[]): void => {
    setLiveOutcome(null);
    act(bridge.call('importStart', only === undefined ? { source, mode } : { source, mode, only }));
  };
  const hints = data.hints.map(toolHintLine).filter((h): h is string => h !== null);
  const picked = data.sources.find((s) => s.id === picking) ?? null;

  return (
    <div className="import-view">
      <p className="view-intro muted">
        Plug in a phone, camera or card. New photos and videos are copied into your library ({data.library}), checked, sealed for your home and handed to people nearby.
      </p>
      {actionError !== null && (
        <Notice tone="bad" testId="import-error">
          {actionError.message}
        </Notice>
      )}
      {running !== null && <ProgressPanel running={running} onCancel={() => act(bridge.call('importCancel', undefined))} />}
      {running === null && outcome !== null && <SummaryPanel outcome={outcome} />}
      <Panel
        title="Connected"
        actions={
          <button type="button" className="button button-quiet" onClick={state.refresh} disabled={state.loading}>
            Look again
          </button>
        }
      >
        {data.sources.length === 0 ? (
          <EmptyState title="No phone, camera or card with photos is connected" testId="import-empty">
            Plug one in over USB (unlock the phone and allow access to its photos); it shows here within a few seconds.
          </EmptyState>
        ) : (
          <ul className="import-sources">
            {data.sources.map((s) => (
              <SourceRow
                key={s.id}
                source={s}
                busy={running !== null}
                picking={picking === s.id}
                onImport={(mode) => start(s.id, mode)}
                onPick={() => setPicking(picking === s.id ? null : s.id)}
              />
            ))}
          </ul>
        )}
        {hints.length > 0 && (
          <ul className="import-hints" data-testid="import-hints">
            {hints.map((h, i) => (
              <li key={i} className="hint">
                {h}
                <div className="muted small">{data.hints.filter((t) => !t.installed)[i]?.hint}</div>
              </li>
            ))}
          </ul>
        )}
        {data.sealPending > 0 && running === null && data.running === null && (
          <Notice tone="warn" testId="import-seal-pending">
            {data.sealPending.toLocaleString('en')} imported {data.sealPending === 1 ? 'item waits' : 'items wait'} for a destination before going into the backup: add one in Settings.
          </Notice>
        )}
      </Panel>
      {picked !== null && picked.kind !== 'ptp' && (
        <SelectionGrid key={picked.id} bridge={bridge} source={picked} busy={running !== null} onImport={(only) => start(picked.id, 'all', only)} />
      )}
      <LibraryPanel
        library={data.library}
        busy={running !== null}
        autoImport={data.autoImport}
        onSave={(path) => act(bridge.call('setImportLibrary', { path }))}
        onAutoImport={(on) => act(bridge.call('setAutoImport', { on }))}
      />
    </div>
  );
}

function SourceRow(props: {
  readonly source: ImportSourceView;
  readonly busy: boolean;
  readonly picking: boolean;
  readonly onImport: (mode: 'new' | 'all') => void;
  readonly onPick: () => void;
}): React.JSX.Element {
  const { source: s, busy } = props;
  return (
    <li className="import-source" data-testid="import-source" data-source-id={s.id}>
      <div className="import-source-text">
        <strong>{s.name}</strong> <span className="muted small">{sourceKindLabel(s.kind)}</span>
        <div className="muted">{sourceCounts(s)}</div>
      </div>
      <div className="import-source-actions">
        <button type="button" className="button button-primary" data-testid="import-new" disabled={busy || (s.kind !== 'ptp' && s.newFiles === 0)} onClick={() => props.onImport('new')}>
          Import new
        </button>
        <button type="button" className="button" data-testid="import-all" disabled={busy} onClick={() => props.onImport('all')}>
          Import all
        </button>
        {s.kind !== 'ptp' && (
          <button type="button" className="button button-quiet" aria-expanded={props.picking} data-testid="import-choose" onClick={props.onPick}>
            {props.picking ? 'Hide photos' : 'Choose photos…'}
          </button>
        )}
      </div>
    </li>
  );
}

function ProgressPanel(props: { readonly running: ImportRunningView; readonly onCancel: () => void }): React.JSX.Element {
  const lines = progressLines(props.running.progress);
  return (
    <Panel
      title={`Importing from ${props.running.name}`}
      testId="import-progress"
      actions={
        <button type="button" className="button" data-testid="import-cancel" onClick={props.onCancel}>
          Cancel
        </button>
      }
    >
      <p>
        <strong>{lines.title}</strong>
      </p>
      <ProgressBar value={lines.value} max={lines.max} label={`Import from ${props.running.name}`} valueText={lines.valueText} />
      <p className="muted" aria-live="polite">
        {lines.detail}
      </p>
    </Panel>
  );
}

function SummaryPanel(props: { readonly outcome: ImportOutcomeView }): React.JSX.Element {
  const line = outcomeLine(props.outcome);
  return (
    <Notice tone={line.tone} testId="import-summary">
      <strong>{line.text}</strong>
      {line.notes.length > 0 && (
        <ul className="import-notes">
          {line.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
    </Notice>
  );
}

function SelectionGrid(props: { readonly bridge: Bridge; readonly source: ImportSourceView; readonly busy: boolean; readonly onImport: (only: readonly string[]) => void }): React.JSX.Element {
  const { bridge, source } = props;
  const [files, setFiles] = useState<ImportFileView[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const [selection, setSelection] = useState<ReadonlySet<string>>(new Set());
  const cache = useRef(new LruCache<string | null>(IMPORT_THUMB_CACHE_MAX)).current;
  const queue = useMemo(
    () =>
      new ThumbQueue(async (path) => {
        const r = await bridge.call('importThumbnail', { source: source.id, path });
        return safeThumbnail(r.dataUrl);
      }),
    [bridge, source.id],
  );

  const loadMore = (offset: number, limit = IMPORT_GRID_PAGE): void => {
    setLoading(true);
    bridge.call('importScan', { source: source.id, offset, limit }).then(
      (page) => {
        setFiles((prev) => (offset === 0 ? [...page.files] : [...prev, ...page.files]));
        setTotal(page.total);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        setError(asApiError(err));
        setLoading(false);
      },
    );
  };
  useEffect(() => loadMore(0, IMPORT_GRID_PAGE), [bridge, source.id]);
  // After an import the tiles show what is now imported, and the done selection clears.
  useEvents(bridge, ['import:done'], () => {
    setSelection(new Set());
    loadMore(0, Math.min(API_MAX_PAGE, Math.max(IMPORT_GRID_PAGE, files.length)));
  });

  const paths = [...selection];
  const problem = selection.size === 0 ? null : selectionProblem(source.id, paths);
  return (
    <Panel
      title={`Photos on ${source.name}`}
      actions={
        <>
          <button type="button" className="button button-quiet" disabled={files.length === 0} onClick={() => setSelection(new Set(files.filter((f) => !f.imported).map((f) => f.path)))}>
            Select new
          </button>
          <button type="button" className="button button-quiet" disabled={selection.size === 0} onClick={() => setSelection(new Set())}>
            Clear
          </button>
          <button
            type="button"
            className="button button-primary"
            data-testid="import-selected"
            disabled={props.busy || selection.size === 0 || problem !== null}
            onClick={() => props.onImport(paths)}
          >
            Import selected{selection.size > 0 ? ` (${selection.size.toLocaleString('en')})` : ''}
          </button>
        </>
      }
    >
      {error !== null && <ErrorState error={error} onRetry={() => loadMore(files.length)} testId="import-grid-error" />}
      {problem !== null && <Notice tone="warn">{problem}</Notice>}
      {total === null && error === null ? (
        <LoadingState label={`Listing the photos on ${source.name}…`} />
      ) : total === 0 ? (
        <EmptyState title="No photos or videos on it" />
      ) : (
        <ul className="import-grid" data-testid="import-grid" aria-label={`Photos on ${source.name}: ${selection.size} selected`}>
          {files.map((f) => (
            <Tile key={f.path} file={f} selected={selection.has(f.path)} queue={queue} cache={cache} onToggle={() => setSelection((s) => toggled(s, f.path))} />
          ))}
        </ul>
      )}
      {total !== null && files.length < total && (
        <button type="button" className="button" disabled={loading} onClick={() => loadMore(files.length)}>
          Show more ({(total - files.length).toLocaleString('en')} left)
        </button>
      )}
    </Panel>
  );
}

function Tile(props: { readonly file: ImportFileView; readonly selected: boolean; readonly queue: ThumbQueue; readonly cache: LruCache<string | null>; readonly onToggle: () => void }): React.JSX.Element {
  const { file: f, queue, cache } = props;
  const ref = useRef<HTMLLIElement>(null);
  const [thumb, setThumb] = useState<string | null>(() => cache.get(f.path) ?? null);
  const canThumb = f.kind === 'photo' && canThumbnail(f.name);

  // Only tiles on (or near) the screen ask for their thumbnail; one scrolled away stops waiting.
  useEffect(() => {
    const el = ref.current;
    if (el === null || !canThumb || cache.has(f.path)) return undefined;
    let cancel: (() => void) | null = null;
    const ask = (): void => {
      cancel ??= queue.request(f.path, (url) => {
        cache.set(f.path, url);
        setThumb(url);
      });
    };
    if (typeof IntersectionObserver === 'undefined') {
      ask();
      return () => cancel?.();
    }
    const io = new IntersectionObserver(
      (entries) => {
        const on = entries.some((e) => e.isIntersecting);
        if (on) ask();
        else if (cancel !== null) {
          cancel();
          cancel = null;
        }
      },
      { rootMargin: THUMB_PRELOAD_MARGIN },
    );
    io.observe(el);
    return () => {
      io.disconnect();
      cancel?.();
    };
  }, [f.path, canThumb, queue, cache]);

  return (
    <li ref={ref} className="import-tile" data-testid="import-tile" data-path={f.path} data-imported={f.imported}>
      <button type="button" className="import-tile-button" aria-pressed={props.selected} onClick={props.onToggle} title={`${f.path} · ${formatBytes(f.size)}`}>
        {thumb !== null ? (
          <img src={thumb} alt="" decoding="async" />
        ) : (
          <span className="import-tile-placeholder" aria-hidden="true">
            {f.kind === 'video' ? 'VIDEO' : (f.name.split('.').pop() ?? '').toUpperCase()}
          </span>
        )}
        <span className="import-tile-name">{f.name}</span>
        {f.imported && <span className="import-tile-badge">Imported</span>}
      </button>
    </li>
  );
}

function LibraryPanel(props: {
  readonly library: string;
  readonly busy: boolean;
  readonly autoImport: boolean;
  readonly onSave: (path: string) => void;
  readonly onAutoImport: (on: boolean) => void;
}): React.JSX.Element {
  const [path, setPath] = useState(props.library);
  useEffect(() => setPath(props.library), [props.library]);
  return (
    <Panel title="Photo library">
      <label className="check">
        <input type="checkbox" checked={props.autoImport} onChange={(e) => props.onAutoImport(e.currentTarget.checked)} data-testid="import-auto" /> Import new photos when a phone
        or card is plugged in
      </label>
      <form
        className="input-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim() !== '' && path !== props.library) props.onSave(path.trim());
        }}
      >
        <label className="muted small" htmlFor="import-library">
          Imports are copied into this folder, by date (YYYY/MM/DD):
        </label>
        <input id="import-library" data-testid="import-library" value={path} onChange={(e) => setPath(e.target.value)} spellCheck={false} />
        <button type="submit" className="button" disabled={props.busy || path.trim() === '' || path === props.library}>
          Use this folder
        </button>
      </form>
    </Panel>
  );
}
