// A sparse index of one order of the held list: every Nth row's sort key, and how many rows come
// before it. SQLite cannot jump to "the 800,000th row" of an index (OFFSET walks every entry before
// it), but it can seek to a key: so a deep page starts at the nearest anchor's key and walks at most
// a few thousand entries from there. Pure bookkeeping, no SQL: held-list.ts reads and queries.

/** A place in one order: the sort key, then the blob ID that makes the order total. */
export interface ListKey {
  readonly key: number;
  readonly id: string;
}

/** A boundary in the ascending order, with the number of live rows strictly before it. */
export interface Anchor extends ListKey {
  before: number;
}

/**
 * Ascending (key, id) order, as the index sorts it. IDs are lowercase hex (the held table's CHECK),
 * so JS string order is SQLite's BINARY order.
 */
export function compareKeys(a: ListKey, b: ListKey): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

export class AnchorSet {
  /**
   * @param anchors ascending, as built: `before` never decreases along the array
   * @param total live rows in the list
   */
  constructor(
    private readonly anchors: Anchor[],
    public total: number,
  ) {}

  get size(): number {
    return this.anchors.length;
  }

  /** The anchor with the most rows before it, but at most `position`: where an ascending page starts. */
  floor(position: number): Anchor | undefined {
    const i = this.firstAfter(position) - 1;
    return i >= 0 ? this.anchors[i] : undefined;
  }

  /** The first anchor with more than `position` rows before it: where a descending page starts. */
  ceiling(position: number): Anchor | undefined {
    return this.anchors[this.firstAfter(position)];
  }

  /**
   * A row at `at` entered (+1) or left (-1) the list: anchors after it move by one. An anchor's own
   * row leaving changes nothing: the anchor stays a valid boundary without a row of its own.
   */
  apply(at: ListKey, delta: number): void {
    let lo = 0;
    let hi = this.anchors.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.anchors[mid]!, at) <= 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.anchors.length; i++) this.anchors[i]!.before += delta;
    this.total += delta;
  }

  /** The most rows a page may have to walk past: the longest stretch between anchors or the ends. */
  widestGap(): number {
    let widest = 0;
    let previous = 0;
    for (const a of this.anchors) {
      widest = Math.max(widest, a.before - previous);
      previous = a.before;
    }
    return Math.max(widest, this.total - previous);
  }

  /** Index of the first anchor with `before > position` (anchors.length if none). */
  private firstAfter(position: number): number {
    let lo = 0;
    let hi = this.anchors.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.anchors[mid]!.before <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
