// A table for long lists: fixed row height, and only the rows in view (plus overscan) in the DOM,
// so 100,000 rows scroll as smoothly as 100. Rows may arrive lazily: `row(i)` answers undefined
// for a row not loaded yet and a placeholder is shown until it is. Headers sort (aria-sort); the
// body is focusable and scrolls by row, page, Home and End from the keyboard.

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { ariaSort, type SortState } from './sort-state.js';
import { scrollForKey, virtualWindow } from './virtual-window.js';

export interface Column<T, K extends string> {
  readonly id: string;
  readonly header: string;
  /** A CSS grid track ("1fr", "9rem", "minmax(6rem, 1fr)"). */
  readonly width: string;
  readonly render: (row: T, index: number) => ReactNode;
  /** Set on columns the server can sort by. */
  readonly sortKey?: K;
  readonly align?: 'start' | 'end';
  /** Dropped when the table is narrower than NARROW_PX, to keep the rest readable. */
  readonly optional?: boolean;
}

export interface VirtualTableProps<T, K extends string> {
  /** The table's accessible name. */
  readonly label: string;
  readonly columns: readonly Column<T, K>[];
  readonly rowCount: number;
  readonly row: (index: number) => T | undefined;
  readonly rowKey?: (row: T, index: number) => string;
  readonly sort?: SortState<K>;
  readonly onSort?: (key: K) => void;
  /** Called with the rows in the DOM (first inclusive, last exclusive) whenever they change. */
  readonly onRangeChange?: (first: number, last: number) => void;
  readonly rowHeight?: number;
  readonly overscan?: number;
  readonly testId?: string;
  readonly rowTestId?: string;
  /** When this changes (e.g. a new sort), the list scrolls back to its first row. */
  readonly scrollResetKey?: string;
}

/** Row height in CSS pixels; the stylesheet's --row-height must agree. */
export const ROW_HEIGHT_PX = 40;
/** Rows rendered above and below the viewport. */
export const OVERSCAN_ROWS = 8;
/** Below this width optional columns are hidden. */
const NARROW_PX = 620;

export function VirtualTable<T, K extends string>(props: VirtualTableProps<T, K>): React.JSX.Element {
  const rowHeight = props.rowHeight ?? ROW_HEIGHT_PX;
  const body = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [size, setSize] = useState({ width: 800, height: 400 });
  const frame = useRef<number | null>(null);

  useLayoutEffect(() => {
    const el = body.current;
    if (el === null) return undefined;
    const measure = (): void => setSize({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      if (body.current !== null) setScrollTop(body.current.scrollTop);
    });
  }, []);
  useEffect(() => () => {
    if (frame.current !== null) cancelAnimationFrame(frame.current);
  }, []);

  const { scrollResetKey } = props;
  const lastResetKey = useRef(scrollResetKey);
  useLayoutEffect(() => {
    if (lastResetKey.current === scrollResetKey) return;
    lastResetKey.current = scrollResetKey;
    if (body.current !== null) body.current.scrollTop = 0;
    setScrollTop(0);
  }, [scrollResetKey]);

  const win = virtualWindow({ scrollTop, viewportHeight: size.height, rowHeight, rowCount: props.rowCount, overscan: props.overscan ?? OVERSCAN_ROWS });
  const { onRangeChange } = props;
  useEffect(() => {
    onRangeChange?.(win.first, win.last);
  }, [onRangeChange, win.first, win.last]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const el = body.current;
    if (el === null || e.altKey || e.ctrlKey || e.metaKey) return;
    const target = scrollForKey(e.key, { scrollTop: el.scrollTop, viewportHeight: el.clientHeight, rowHeight, rowCount: props.rowCount });
    if (target === null) return;
    e.preventDefault();
    el.scrollTop = target;
  };

  const columns = size.width < NARROW_PX ? props.columns.filter((c) => c.optional !== true) : props.columns;
  const template = columns.map((c) => c.width).join(' ');
  const rows: React.JSX.Element[] = [];
  for (let i = win.first; i < win.last; i++) {
    const item = props.row(i);
    const top = i * rowHeight - win.shift;
    rows.push(
      <div
        key={item === undefined || props.rowKey === undefined ? `i${i}` : props.rowKey(item, i)}
        role="row"
        aria-rowindex={i + 2}
        className={item === undefined ? 'vt-row is-placeholder' : 'vt-row'}
        style={{ transform: `translateY(${top}px)` }}
        data-testid={props.rowTestId}
        data-index={i}
      >
        {columns.map((c) =>
          item === undefined ? (
            <div key={c.id} role="cell" className="vt-cell">
              <span className="skeleton" aria-hidden="true" />
            </div>
          ) : (
            <div key={c.id} role="cell" className={c.align === 'end' ? 'vt-cell align-end' : 'vt-cell'}>
              {c.render(item, i)}
            </div>
          ),
        )}
      </div>,
    );
  }

  return (
    <div className="vt" role="table" aria-label={props.label} aria-rowcount={props.rowCount + 1} data-testid={props.testId} style={{ '--vt-cols': template, '--row-height': `${rowHeight}px` } as React.CSSProperties}>
      <div role="rowgroup" className="vt-head">
        <div role="row" aria-rowindex={1} className="vt-row vt-header-row">
          {columns.map((c) => {
            const sortable = c.sortKey !== undefined && props.sort !== undefined && props.onSort !== undefined;
            const state = sortable ? ariaSort(props.sort!, c.sortKey!) : undefined;
            return (
              <div key={c.id} role="columnheader" aria-sort={state} className={c.align === 'end' ? 'vt-cell align-end' : 'vt-cell'}>
                {sortable ? (
                  <button type="button" className={`vt-sort${state === 'none' ? '' : ' is-active'}`} onClick={() => props.onSort!(c.sortKey!)} data-testid={`sort-${c.id}`}>
                    {c.header}
                    <span className="vt-sort-arrow" aria-hidden="true">
                      {state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕'}
                    </span>
                  </button>
                ) : (
                  c.header
                )}
              </div>
            );
          })}
        </div>
      </div>
      <div
        ref={body}
        role="rowgroup"
        className="vt-body"
        tabIndex={0}
        aria-label={`${props.label}: ${props.rowCount} rows. Arrow keys, Page Up, Page Down, Home and End scroll.`}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
      >
        <div className="vt-spacer" style={{ height: `${win.totalHeight}px` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
