// The held list, paged by offset in three orders at 10^6 rows. The window scrolls to any depth at
// random, so "page at offset 800,000" must be as fast as the first page. A shallow page is one walk
// of its partial index (004-held-list.sql). A deep one seeks to the nearest anchor of a sparse
// in-memory index (held-anchors.ts) and walks at most a few thousand entries from there.
// The anchors follow the list through the change log that 005's triggers keep, so a replica
// arriving or leaving costs a few arithmetic steps, not a new walk of 10^6 entries.

import type Database from 'better-sqlite3';
import type { DomainQueries, Ledger } from '../ledger/ledger.js';
import { HELD_RESERVED_STATES } from '../ledger/ledger.js';
import { AnchorSet, type Anchor } from './held-anchors.js';

export type HeldSort = 'received' | 'size' | 'expires';
export type HeldDir = 'asc' | 'desc';

export interface HeldPageRow {
  blobId: string;
  size: number;
  originId: string;
  receivedAt: number;
  expiresAt: number;
  bytesReceived: number;
  state: string;
}

export interface HeldListOptions {
  /** Rows between anchors: a deep page walks about this many index entries (tests use a few). */
  anchorEvery?: number;
}

/**
 * A deep page walks about this many index entries past its anchor: ~0.5 ms (~0.2 µs an entry on a
 * 2-core dev box). At 10^6 rows that is 500 anchors per order, a few tens of kB.
 */
export const HELD_ANCHOR_EVERY = 2_000;
/**
 * Inserts between two anchors make pages there walk further; past this many times the spacing
 * the order is indexed again (one walk of the list) rather than let pages slow down.
 */
const ANCHOR_GAP_FACTOR = 4;

/** The same text as the partial indexes' WHERE, or SQLite will not use them. */
const LIVE = `state IN (${HELD_RESERVED_STATES.map((s) => `'${s}'`).join(', ')})`;
const COLUMNS = `blob_id AS blobId, size, origin_id AS originId, received_at AS receivedAt, expires_at AS expiresAt,
  bytes_received AS bytesReceived, state`;
/** Each order has a partial index on (column, blob_id): blob_id makes the order total, so anchors are exact. */
const ORDERS = {
  received: { column: 'received_at', index: 'held_live_by_received' },
  size: { column: 'size', index: 'held_live_by_size' },
  expires: { column: 'expires_at', index: 'held_live_by_expires' },
} as const satisfies Record<HeldSort, { column: string; index: string }>;
const SORTS = Object.keys(ORDERS) as HeldSort[];

/**
 * A page of live replicas. The inner query walks the order's partial index from `from` (a range on
 * (column, blob_id), or the start) and skips `offset` entries without touching the table; the outer
 * one fetches only the rows of the page. INDEXED BY: left to itself the planner prefers
 * held_by_expiry's state prefix and sorts 10^6 rows.
 */
function pageSql(sort: HeldSort, dir: 'ASC' | 'DESC', from = ''): string {
  const { column, index } = ORDERS[sort];
  const by = `ORDER BY ${column} ${dir}, blob_id ${dir}`;
  return `SELECT ${COLUMNS} FROM held WHERE rowid IN (
      SELECT rowid FROM held INDEXED BY ${index} WHERE ${LIVE} ${from} ${by} LIMIT @limit OFFSET @offset
    ) ${by}`;
}

type OrderQuery = `${HeldSort}${'Asc' | 'Desc' | 'AscFrom' | 'DescBefore' | 'WalkFirst' | 'WalkNext' | 'Count' | 'CountAfter'}`;
type Query = OrderQuery | 'changeBounds' | 'changesAfter' | 'liveTotal';

/** Every query of one order: plain pages, pages from an anchor, and the walk that places anchors. */
function orderSql(sort: HeldSort): Record<string, string> {
  const { column, index } = ORDERS[sort];
  const walk = (from: string) =>
    `SELECT ${column} AS key, blob_id AS id FROM held INDEXED BY ${index} WHERE ${LIVE} ${from}
      ORDER BY ${column}, blob_id LIMIT 1 OFFSET @skip`;
  const count = (from: string) => `SELECT count(*) FROM held INDEXED BY ${index} WHERE ${LIVE} ${from}`;
  const after = `AND (${column}, blob_id) > (@key, @id)`;
  return {
    [`${sort}Asc`]: pageSql(sort, 'ASC'),
    [`${sort}Desc`]: pageSql(sort, 'DESC'),
    // From an anchor on (it may be a row that has left since: the boundary still holds).
    [`${sort}AscFrom`]: pageSql(sort, 'ASC', `AND (${column}, blob_id) >= (@key, @id)`),
    // Back from just before an anchor.
    [`${sort}DescBefore`]: pageSql(sort, 'DESC', `AND (${column}, blob_id) < (@key, @id)`),
    [`${sort}WalkFirst`]: walk(''),
    [`${sort}WalkNext`]: walk(after),
    [`${sort}Count`]: count(''),
    [`${sort}CountAfter`]: count(after),
  };
}

/** Every query the held list runs, by name (exported for the query-plan checks). */
export const HELD_LIST_SQL: Readonly<Record<Query, string>> = {
  ...(Object.assign({}, ...SORTS.map(orderSql)) as Record<OrderQuery, string>),
  changeBounds: `SELECT min(seq) AS lo, max(seq) AS hi FROM held_list_changes`,
  changesAfter: `SELECT seq, blob_id AS id, received_at AS received, size, expires_at AS expires, delta
    FROM held_list_changes WHERE seq > @seen ORDER BY seq`,
  liveTotal: `SELECT coalesce(sum(blobs), 0) FROM blob_totals WHERE kind = 'held' AND ${LIVE}`,
};

interface Change {
  seq: number;
  id: string;
  received: number;
  size: number;
  expires: number;
  delta: number;
}

export class HeldList {
  private readonly q: DomainQueries<Query>;
  private readonly every: number;
  /** The connection's handle, for its transaction state (see page()). */
  private readonly db: Database.Database;
  /** Anchors per order, built on the first deep page in that order; one set serves both directions. */
  private sets: Partial<Record<HeldSort, AnchorSet>> = {};
  /** seq of the last change in held_list_changes the sets include. */
  private seen = 0;
  /** How many times an order was walked to place its anchors (tests check that changes do not). */
  builds = 0;

  constructor(
    private readonly ledger: Ledger,
    options: HeldListOptions = {},
  ) {
    this.every = options.anchorEvery ?? HELD_ANCHOR_EVERY;
    if (!Number.isInteger(this.every) || this.every < 1) throw new RangeError('anchorEvery must be a positive integer');
    this.q = ledger.prepare(HELD_LIST_SQL);
    this.db = this.q.changeBounds.database;
  }

  page(sort: HeldSort, dir: HeldDir, offset: number, limit: number): HeldPageRow[] {
    return this.ledger.guarded('reading the held list', () => {
      // A shallow page walks no further than an anchored one would. Inside a caller's transaction
      // the change log may hold changes a rollback will take back: the sets must not learn them.
      if (offset < this.every || this.db.inTransaction) return this.plain(sort, dir, offset, limit);
      // One read transaction: the sets are brought up to date and the page read on the same snapshot,
      // so a commit from another connection in between cannot shift the page.
      return this.db.transaction(() => this.anchored(this.setFor(sort), sort, dir, offset, limit)).deferred();
    });
  }

  private anchored(set: AnchorSet, sort: HeldSort, dir: HeldDir, offset: number, limit: number): HeldPageRow[] {
    if (dir === 'asc') {
      const from = set.floor(offset);
      if (from === undefined) return this.plain(sort, dir, offset, limit);
      return this.rows(`${sort}AscFrom`, from, offset - from.before, limit);
    }
    // Descending offset `offset` is ascending position `top`; walk down from the first anchor above it.
    const top = set.total - 1 - offset;
    if (top < 0) return [];
    const above = set.ceiling(top);
    if (above === undefined) return this.plain(sort, dir, offset, limit);
    return this.rows(`${sort}DescBefore`, above, above.before - 1 - top, limit);
  }

  private plain(sort: HeldSort, dir: HeldDir, offset: number, limit: number): HeldPageRow[] {
    return this.q[`${sort}${dir === 'asc' ? 'Asc' : 'Desc'}`].all({ offset, limit }) as HeldPageRow[];
  }

  private rows(query: OrderQuery, from: Anchor, offset: number, limit: number): HeldPageRow[] {
    return this.q[query].all({ key: from.key, id: from.id, offset, limit }) as HeldPageRow[];
  }

  /** The order's anchors as of this snapshot: caught up with the change log, or built. */
  private setFor(sort: HeldSort): AnchorSet {
    this.catchUp();
    let set = this.sets[sort];
    // The running totals are kept by other triggers: a set that disagrees with them is not trusted.
    const live = this.q.liveTotal.pluck().get() as number;
    if (set === undefined || set.total !== live || set.widestGap() > ANCHOR_GAP_FACTOR * this.every) {
      set = this.build(sort);
      this.sets[sort] = set;
    }
    return set;
  }

  /** Applies the changes logged since `seen` to every set, or drops the sets when some are gone. */
  private catchUp(): void {
    const { lo, hi } = this.q.changeBounds.get() as { lo: number | null; hi: number | null };
    const head = hi ?? 0;
    if (head === this.seen) return;
    const sets = Object.entries(this.sets) as [HeldSort, AnchorSet][];
    // Behind by more than the log keeps (lo past seen + 1), or a log that went back: start over.
    if (sets.length === 0 || head < this.seen || lo === null || lo > this.seen + 1) {
      this.sets = {};
      this.seen = head;
      return;
    }
    // Read all before changing anything: a failed read leaves the sets as they were, not half-moved.
    const changes = this.q.changesAfter.all({ seen: this.seen }) as Change[];
    for (const c of changes) {
      for (const [sort, set] of sets) set.apply({ key: c[sort], id: c.id }, c.delta);
    }
    this.seen = head;
  }

  /** One walk of the order's index, noting every `every`-th row. */
  private build(sort: HeldSort): AnchorSet {
    this.builds += 1;
    const anchors: Anchor[] = [];
    let at = this.q[`${sort}WalkFirst`].get({ skip: this.every }) as { key: number; id: string } | undefined;
    while (at !== undefined) {
      anchors.push({ key: at.key, id: at.id, before: (anchors.length + 1) * this.every });
      at = this.q[`${sort}WalkNext`].get({ key: at.key, id: at.id, skip: this.every - 1 }) as { key: number; id: string } | undefined;
    }
    const last = anchors.at(-1);
    const total =
      last === undefined
        ? (this.q[`${sort}Count`].pluck().get() as number)
        : last.before + 1 + (this.q[`${sort}CountAfter`].pluck().get({ key: last.key, id: last.id }) as number);
    return new AnchorSet(anchors, total);
  }
}
