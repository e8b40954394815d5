// Which rows of a long list to put in the DOM for a scroll position. Pure: the virtual table feeds
// it the scroll container's numbers and renders only `first..last`, so the DOM holds a screenful
// of rows (plus overscan) whether the list has 10 or 1,000,000 entries.

/**
 * Tallest scroll area we create. Browsers cap an element's height (Firefox near 17.9 M px, Chromium
 * near 33.5 M px) and lose sub-pixel precision well before; above this the scroll area is scaled
 * down and rows are placed relative to the scaled position, so 1,000,000 rows still scroll to the end.
 */
export const MAX_SCROLL_HEIGHT_PX = 8_000_000;

export interface VirtualWindowInput {
  readonly scrollTop: number;
  readonly viewportHeight: number;
  readonly rowHeight: number;
  readonly rowCount: number;
  /** Rows rendered beyond each edge of the viewport, so fast scrolling does not show blanks. */
  readonly overscan: number;
  /** Overridable for tests; defaults to MAX_SCROLL_HEIGHT_PX. */
  readonly maxScrollHeight?: number;
  /** Rows rendered at most, whatever the viewport claims; defaults to MAX_RENDERED_ROWS. */
  readonly maxRows?: number;
}

/**
 * Rows rendered at most. A screen of 40 px rows on a 4K display is ~55 rows; the cap only bites
 * when a layout bug lets the viewport grow with its content, which would otherwise render the
 * whole list and freeze the window.
 */
export const MAX_RENDERED_ROWS = 150;

export interface VirtualWindow {
  /** First row to render (inclusive) and last (exclusive). */
  readonly first: number;
  readonly last: number;
  /** Height of the scroll area's content. */
  readonly totalHeight: number;
  /** Row `i` is placed at `i * rowHeight - shift` inside the scroll content (0 unless scaled). */
  readonly shift: number;
}

/** The rows to render at `scrollTop`, and where to place them. */
export function virtualWindow(input: VirtualWindowInput): VirtualWindow {
  const rowHeight = Math.max(1, input.rowHeight);
  const rowCount = Math.max(0, Math.floor(input.rowCount));
  const viewport = Math.max(0, input.viewportHeight);
  const overscan = Math.max(0, Math.floor(input.overscan));
  const natural = rowCount * rowHeight;
  const totalHeight = Math.min(natural, input.maxScrollHeight ?? MAX_SCROLL_HEIGHT_PX);
  const scrollTop = clamp(input.scrollTop, 0, Math.max(0, totalHeight - viewport));
  const position = scrollTopToPosition(scrollTop, viewport, natural, totalHeight);
  const firstVisible = Math.floor(position / rowHeight);
  const lastVisible = Math.ceil((position + viewport) / rowHeight);
  const first = clamp(firstVisible - overscan, 0, rowCount);
  return {
    first,
    last: clamp(Math.min(lastVisible + overscan, first + (input.maxRows ?? MAX_RENDERED_ROWS)), 0, rowCount),
    totalHeight,
    shift: position - scrollTop,
  };
}

/**
 * Maps the scroll container's scrollTop to a position in the unscaled list (pixels from the first
 * row's top), so the end of the scroll area is always the end of the list.
 */
export function scrollTopToPosition(scrollTop: number, viewport: number, natural: number, total: number): number {
  if (total >= natural) return scrollTop;
  const scrollable = total - viewport;
  if (scrollable <= 0) return 0;
  return (scrollTop / scrollable) * (natural - viewport);
}

/** The inverse of scrollTopToPosition. */
export function positionToScrollTop(position: number, viewport: number, natural: number, total: number): number {
  if (total >= natural) return clamp(position, 0, Math.max(0, total - viewport));
  const naturalScrollable = natural - viewport;
  if (naturalScrollable <= 0) return 0;
  return clamp((position / naturalScrollable) * (total - viewport), 0, Math.max(0, total - viewport));
}

/**
 * Where a key press in the focused list scrolls to (in scrollTop units), or null for keys the list
 * does not handle. Steps are whole rows and pages of the unscaled list, even when it is scaled.
 */
export function scrollForKey(
  key: string,
  state: { readonly scrollTop: number; readonly viewportHeight: number; readonly rowHeight: number; readonly rowCount: number; readonly maxScrollHeight?: number },
): number | null {
  const natural = state.rowCount * state.rowHeight;
  const total = Math.min(natural, state.maxScrollHeight ?? MAX_SCROLL_HEIGHT_PX);
  const position = scrollTopToPosition(state.scrollTop, state.viewportHeight, natural, total);
  const page = Math.max(state.rowHeight, Math.floor(state.viewportHeight / state.rowHeight - 1) * state.rowHeight);
  let target: number;
  switch (key) {
    case 'ArrowDown':
      target = position + state.rowHeight;
      break;
    case 'ArrowUp':
      target = position - state.rowHeight;
      break;
    case 'PageDown':
    case ' ':
      target = position + page;
      break;
    case 'PageUp':
      target = position - page;
      break;
    case 'Home':
      target = 0;
      break;
    case 'End':
      target = natural;
      break;
    default:
      return null;
  }
  return positionToScrollTop(clamp(target, 0, Math.max(0, natural - state.viewportHeight)), state.viewportHeight, natural, total);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
