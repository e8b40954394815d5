// The held list's anchored pages (src/main/core/views/held-list.ts) against the plain answer: every
// offset, every order, both directions, on a real ledger file with ties in every sort key, and
// again after each kind of change (through the ledger, and from another connection as another
// process would) so stale anchors would show as wrong, missing or repeated rows. Anchors are placed
// every few rows here, so a few hundred rows have dozens of them. Also the per-origin counts that
// replace count(DISTINCT origin_id), including on a ledger migrated from 004 with rows in it.

import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HELD_RESERVED_STATES, HELD_STATES, Ledger, type HeldState, type NewHeld } from '../../src/main/core/ledger/ledger.js';
import { configure, loadMigrations, migrate } from '../../src/main/core/ledger/schema.js';
import { AppQueries } from '../../src/main/core/views/app-queries.js';
import { HELD_LIST_SQL, HeldList, type HeldDir, type HeldSort } from '../../src/main/core/views/held-list.js';
import { tempDir } from '../helpers/tmp.js';

const SQL_DIR = fileURLToPath(new URL('../../src/main/core/ledger/sql/', import.meta.url));
/** Rows between anchors: small, so a few hundred rows exercise many anchors and the gaps between. */
const EVERY = 7;
const LIVE = `state IN (${HELD_RESERVED_STATES.map((s) => `'${s}'`).join(', ')})`;
const COLUMNS = `blob_id AS blobId, size, origin_id AS originId, received_at AS receivedAt, expires_at AS expiresAt,
  bytes_received AS bytesReceived, state`;
const ORDERS: [HeldSort, string][] = [['received', 'received_at'], ['size', 'size'], ['expires', 'expires_at']];
const DIRS: HeldDir[] = ['asc', 'desc'];
const LIMITS = [1, 5, 40];
/** More changes than held_list_changes keeps (4096), to force a reader that fell behind to rebuild. */
const MORE_THAN_LOGGED = 4_200;

const idOf = (label: string): string => createHash('sha256').update(label).digest('hex');

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x % n;
  };
}

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const c of opened.splice(0).reverse()) c.close();
});

async function setup() {
  const file = join(await tempDir('inswarm-held-anchors'), 'ledger.db');
  const ledger = Ledger.open(file);
  opened.push(ledger);
  // Another connection, as another process sees the file; configured like the ledger's own so an
  // INSERT OR REPLACE fires the delete triggers there too.
  const other = new Database(file);
  other.pragma('busy_timeout = 5000');
  other.pragma('recursive_triggers = ON');
  opened.push(other);
  return { file, ledger, other };
}

/** A held row; keys drawn from a handful of values so every order has long runs of ties. */
function row(label: string, rand: (n: number) => number, over: Partial<NewHeld> = {}): NewHeld {
  const size = 1_000 * (1 + rand(4));
  const receivedAt = 1_700_000_000_000 + 1_000 * rand(6);
  const states: HeldState[] = ['receiving', 'held', 'held', 'delivering', 'delivered', 'expired', 'lost'];
  const r: NewHeld = {
    blobId: idOf(label),
    originId: `origin-${rand(9)}`,
    size,
    receivedAt,
    expiresAt: receivedAt + 3_600_000 * (1 + rand(3)),
    ticket: Buffer.from(`ticket ${label}`),
    state: states[rand(states.length)]!,
    ...over,
  };
  return { ...r, bytesReceived: r.state === 'receiving' ? 0 : r.size };
}

/** The plain answer, with indexes out of the way. */
function reference(db: Database.Database, column: string, dir: HeldDir, offset: number, limit: number): unknown[] {
  const d = dir.toUpperCase();
  return db.prepare(`SELECT ${COLUMNS} FROM held NOT INDEXED WHERE ${LIVE} ORDER BY ${column} ${d}, blob_id ${d} LIMIT ? OFFSET ?`).all(limit, offset);
}

function liveCount(db: Database.Database): number {
  return db.prepare(`SELECT count(*) FROM held WHERE ${LIVE}`).pluck().get() as number;
}

/** Every offset from 0 past the end, every order and direction, a few page sizes. */
function expectAllPages(list: HeldList, db: Database.Database, when: string): void {
  const total = liveCount(db);
  for (const [sort, column] of ORDERS) {
    for (const dir of DIRS) {
      for (const limit of LIMITS) {
        for (let offset = 0; offset <= total + 2; offset++) {
          const got = list.page(sort, dir, offset, limit);
          const want = reference(db, column, dir, offset, limit);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            expect(got, `${when}: ${sort} ${dir} offset ${offset} limit ${limit} of ${total}`).toEqual(want);
          }
        }
      }
    }
  }
}

/** Walking the whole list page by page yields every live row once, in order. */
function expectWalk(list: HeldList, db: Database.Database, sort: HeldSort, column: string, dir: HeldDir): void {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 13) {
    const page = list.page(sort, dir, offset, 13);
    ids.push(...page.map((r) => r.blobId));
    if (page.length < 13) break;
  }
  expect(ids).toEqual(reference(db, column, dir, 0, 1_000_000).map((r) => (r as { blobId: string }).blobId));
}

function expectOrigins(queries: AppQueries, db: Database.Database): void {
  const distinct = db.prepare(`SELECT count(DISTINCT origin_id) FROM held NOT INDEXED WHERE ${LIVE}`).pluck().get();
  expect(queries.heldOrigins()).toBe(distinct);
  const perOrigin = db.prepare(`SELECT origin_id, count(*) AS live, sum(size) AS bytes FROM held NOT INDEXED WHERE ${LIVE} GROUP BY origin_id ORDER BY origin_id`).all();
  expect(db.prepare('SELECT origin_id, live, bytes FROM held_origins ORDER BY origin_id').all()).toEqual(perOrigin);
}

describe('held list pages at any offset', () => {
  it('match ORDER BY … LIMIT/OFFSET in every order and direction, with ties in every key', async () => {
    const { ledger, other } = await setup();
    const rand = random(11);
    for (let i = 0; i < 300; i++) ledger.addHeld(row(`r${i}`, rand));
    const list = new HeldList(ledger, { anchorEvery: EVERY });
    expect(liveCount(other)).toBeGreaterThan(20 * EVERY);
    expectAllPages(list, other, 'fresh');
    // One walk per order placed the anchors; pages in either direction shared them.
    expect(list.builds).toBe(3);
    for (const [sort, column] of ORDERS) for (const dir of DIRS) expectWalk(list, other, sort, column, dir);
  });

  it('stay exact through inserts, deletes, state and key changes, here and from another connection, without walking the list again', async () => {
    const { ledger, other } = await setup();
    const queries = new AppQueries(ledger, { held: { anchorEvery: EVERY } });
    const list = new HeldList(ledger, { anchorEvery: EVERY });
    const rand = random(23);
    const ids: string[] = [];
    const add = (over: Partial<NewHeld> = {}) => {
      const r = row(`c${ids.length}`, rand, over);
      ledger.addHeld(r);
      ids.push(r.blobId);
    };
    for (let i = 0; i < 250; i++) add();
    expectAllPages(list, other, 'before changes');
    expectOrigins(queries, other);
    const builds = list.builds;

    const steps: [string, () => void][] = [
      ['inserts, live and not, tied with existing keys', () => {
        for (let i = 0; i < 12; i++) add();
      }],
      ['inserts before the first anchor of every order', () => {
        for (let i = 0; i < 3; i++) add({ size: 0, receivedAt: 1, expiresAt: 2, state: 'held' });
      }],
      ['deletes through the ledger', () => {
        for (let i = 0; i < 10; i++) ledger.deleteHeld(ids[rand(ids.length)]!);
      }],
      ['live ↔ not live', () => {
        for (let i = 0; i < 15; i++) ledger.setHeldState(ids[rand(ids.length)]!, HELD_STATES[rand(HELD_STATES.length)]!);
      }],
      ['transfer progress and receiving → held, which log nothing', () => {
        const logged = () => other.prepare('SELECT max(seq) FROM held_list_changes').pluck().get();
        const before = logged();
        const receiving = other.prepare(`SELECT blob_id FROM held WHERE state = 'receiving'`).pluck().all() as string[];
        expect(receiving.length).toBeGreaterThan(5);
        for (const id of receiving) other.prepare('UPDATE held SET bytes_received = size WHERE blob_id = ?').run(id);
        for (const id of receiving) ledger.completeReceiving(id);
        expect(logged()).toBe(before);
      }],
      ['dead rows brought back to life', () => {
        for (const id of ids.slice(0, 40)) ledger.setHeldState(id, 'held');
      }],
      ['deletes from another connection', () => {
        for (let i = 0; i < 8; i++) other.prepare('DELETE FROM held WHERE blob_id = ?').run(ids[rand(ids.length)]!);
      }],
      ['sort keys changed from another connection', () => {
        const stmt = other.prepare('UPDATE held SET size = ?, bytes_received = 0, expires_at = expires_at + ? WHERE blob_id = ?');
        for (let i = 0; i < 20; i++) stmt.run(1_000 * rand(5), 1_000 * rand(3), ids[rand(ids.length)]!);
        other.prepare('UPDATE held SET received_at = received_at - 1000 WHERE rowid % 9 = 0').run();
      }],
      ['INSERT OR REPLACE from another connection', () => {
        const stmt = other.prepare(`INSERT OR REPLACE INTO held (blob_id, origin_id, size, bytes_received, received_at, expires_at, ticket, state)
          VALUES (?, 'origin-new', 2000, 0, 1700000003000, 1700003603000, x'00', ?)`);
        for (let i = 0; i < 10; i++) stmt.run(ids[rand(ids.length)]!, i % 3 === 0 ? 'expired' : 'receiving');
      }],
      ['origins moved', () => {
        other.prepare(`UPDATE held SET origin_id = 'origin-0' WHERE origin_id = 'origin-3'`).run();
      }],
      ['everything of one origin leaves', () => {
        other.prepare(`UPDATE held SET state = 'delivered' WHERE origin_id = 'origin-5'`).run();
      }],
    ];
    for (const [what, change] of steps) {
      change();
      expectAllPages(list, other, what);
      expectOrigins(queries, other);
      for (const [sort, column] of ORDERS) expect(queries.heldPage(sort, 'desc', 3 * EVERY, 9)).toEqual(reference(other, column, 'desc', 3 * EVERY, 9));
    }
    // Every change above was caught up from held_list_changes: no order was walked again.
    expect(list.builds).toBe(builds);
  });

  it('rebuilds when it fell behind the change log, or when changes pile up between two anchors', async () => {
    const { ledger, other } = await setup();
    const rand = random(5);
    for (let i = 0; i < 120; i++) ledger.addHeld(row(`b${i}`, rand, { state: 'held' }));
    const list = new HeldList(ledger, { anchorEvery: EVERY });
    expectAllPages(list, other, 'before');
    let builds = list.builds;

    // Rows move to the front of the size order, then one row leaves and comes back more times than
    // the log keeps. The log's tail alone nets to nothing and the count still agrees: only the gap
    // in seq tells the reader that the moves are gone from the log.
    other.prepare(`UPDATE held SET size = 1, bytes_received = 0 WHERE rowid % 10 = 0`).run();
    const flip = other.prepare('UPDATE held SET state = ? WHERE blob_id = ?');
    other.transaction(() => {
      for (let i = 0; i < MORE_THAN_LOGGED; i++) flip.run(i % 2 === 0 ? 'delivered' : 'held', idOf('b0'));
    })();
    expect(other.prepare('SELECT count(*) FROM held_list_changes').pluck().get()).toBe(4096);
    expectAllPages(list, other, 'after more changes than the log keeps');
    expect(list.builds).toBe(builds + 3);
    builds = list.builds;

    // Many rows between the same two anchors: pages there would walk far, so the order is indexed anew.
    for (let i = 0; i < 5 * EVERY; i++) ledger.addHeld(row(`pile${i}`, rand, { size: 2_500, state: 'held' }));
    expectAllPages(list, other, 'after a pile-up');
    expect(list.builds).toBeGreaterThan(builds);
  });

  it('ignores, inside a transaction, changes that a rollback takes back', async () => {
    const { ledger, other } = await setup();
    const rand = random(3);
    for (let i = 0; i < 100; i++) ledger.addHeld(row(`t${i}`, rand, { state: 'held' }));
    const list = new HeldList(ledger, { anchorEvery: EVERY });
    expectAllPages(list, other, 'before');
    expect(() =>
      ledger.transaction(() => {
        for (let i = 0; i < 5; i++) ledger.addHeld(row(`gone${i}`, rand, { state: 'held', size: 0 }));
        // Read inside the transaction: it sees its own rows, and must not teach them to the anchors.
        expect(list.page('size', 'asc', 0, 5).map((r) => r.size)).toEqual([0, 0, 0, 0, 0]);
        expect(list.page('size', 'asc', 3 * EVERY, 5)).toHaveLength(5);
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    // As many new changes, elsewhere in the list: they take the sequence numbers the rolled-back
    // ones had and leave the count where those did, so anchors that learnt those would pass for current.
    for (let i = 0; i < 5; i++) ledger.addHeld(row(`new${i}`, rand, { state: 'held', size: 9_000 }));
    expectAllPages(list, other, 'after the rollback and new changes');
  });

  it('pages deep into the list from the partial indexes, seeking to an anchor, never scanning or sorting the table', async () => {
    const { other } = await setup();
    const plan = (sql: string) =>
      (other.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ key: 0, id: '', offset: 0, limit: 1, skip: 1, seen: 0 }) as { detail: string }[]).map((r) => r.detail).join(' | ');
    for (const [sort, column] of ORDERS) {
      for (const name of [`${sort}AscFrom`, `${sort}DescBefore`, `${sort}WalkNext`, `${sort}CountAfter`] as const) {
        const p = plan(HELD_LIST_SQL[name]);
        expect(p, name).toContain(`SEARCH held USING INDEX held_live_by_${sort} ((${column},blob_id)`);
        expect(p, name).not.toMatch(/SCAN held\b/);
        // Pages sort their own few rows after the deferred join; the walks sort nothing.
        if (name.includes('Walk') || name.includes('Count')) expect(p, name).not.toContain('TEMP B-TREE');
      }
    }
    expect(plan(HELD_LIST_SQL.changesAfter)).toContain('SEARCH held_list_changes USING INTEGER PRIMARY KEY');
  });
});

describe('held origins', () => {
  it('are counted per live origin on a ledger migrated from 004 with replicas in it, and follow changes', async () => {
    const before005 = join(await tempDir('inswarm-held-anchors-sql'), 'sql');
    mkdirSync(before005);
    for (const name of readdirSync(SQL_DIR).filter((n) => n < '005')) copyFileSync(join(SQL_DIR, name), join(before005, name));
    // Written as a 004 install would: the schema runner and plain SQL (today's Ledger class needs
    // today's schema for its statements).
    const file = join(await tempDir('inswarm-held-anchors'), 'ledger.db');
    const old = new Database(file);
    configure(old);
    migrate(old, loadMigrations(before005));
    const insert = old.prepare(`INSERT INTO held (blob_id, origin_id, size, bytes_received, received_at, expires_at, ticket, state)
      VALUES (@blobId, @originId, @size, @bytesReceived, @receivedAt, @expiresAt, @ticket, @state)`);
    const rand = random(17);
    for (let i = 0; i < 200; i++) insert.run(row(`o${i}`, rand));
    old.close();

    const ledger = Ledger.open(file); // migrates 005 and 006 over the rows
    opened.push(ledger);
    const other = new Database(file);
    other.pragma('busy_timeout = 5000');
    other.pragma('recursive_triggers = ON');
    opened.push(other);
    const queries = new AppQueries(ledger);
    expectOrigins(queries, other);
    expect(queries.heldOrigins()).toBeGreaterThan(1);
    ledger.addHeld(row('o-new', rand, { originId: 'origin-brand-new', state: 'receiving' }));
    expectOrigins(queries, other);
    ledger.setHeldState(idOf('o-new'), 'lost');
    expectOrigins(queries, other);
    other.prepare(`DELETE FROM held WHERE origin_id IN ('origin-1', 'origin-2')`).run();
    expectOrigins(queries, other);
    other.prepare(`UPDATE held SET state = 'held' WHERE state = 'expired'`).run();
    expectOrigins(queries, other);
    other.prepare(`DELETE FROM held`).run();
    expect(queries.heldOrigins()).toBe(0);
  });
});
