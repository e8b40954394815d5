// The ledger at the size DESIGN.md promises: 10^6 held blobs (a venue operator's NAS). Each query
// the UI and the caps run often must use an index, never a full scan or a sort of the whole table;
// that is asserted on the query plan (timings vary by machine, so they are printed, not asserted).
// Results are also checked against brute-force answers computed with indexes disabled.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELD_FILE_STATES, LEDGER_SQL, Ledger } from '../../../../src/main/core/ledger/ledger.js';

const ROWS = 1_000_000;
const ORIGINS = 500;
const BASE_TIME = 1_700_000_000_000;

let dir: string;
let file: string;
let ledger: Ledger;
let check: Database.Database;

function timed<T>(label: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  console.log(`[10^6 held] ${label}: ${(performance.now() - start).toFixed(1)} ms`);
  return result;
}

/** The plan's detail lines for one of the ledger's own queries. */
function planOf(sql: string, params: Record<string, unknown>): string[] {
  return (check.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
}

/** No full scan of a big table, no sort of the whole result, and the named index is used. */
function expectIndexed(plan: string[], index: string): void {
  expect(plan.filter((d) => /^SCAN (held|outbox)\b/.test(d) && !d.includes(' USING '))).toEqual([]);
  expect(plan.filter((d) => d.includes('TEMP B-TREE'))).toEqual([]);
  expect(plan.join(' | ')).toContain(index);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'inswarm-ledger-scale-'));
  file = join(dir, 'ledger.db');
  Ledger.open(file).close(); // schema, triggers and indexes exactly as shipped

  // One transaction of generated rows: a JS call per row would add ~15 s without testing anything
  // the unit tests do not. IDs are random (as real blob IDs are), so the b-trees get their real shape;
  // tickets are 64 bytes here (real ones are a few hundred), to keep the file ~0.4 GB.
  const bulk = new Database(file);
  bulk.pragma('cache_size = -262144');
  timed(`insert ${ROWS} rows in one transaction`, () =>
    bulk.transaction(() =>
      bulk.prepare(`
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${ROWS})
        INSERT INTO held (blob_id, origin_id, size, bytes_received, received_at, expires_at, ticket, state)
        SELECT printf('%016x%016x%016x%016x', random(), random(), random(), i),
               'origin-' || (i % ${ORIGINS}), 1000 + i % 9973, 1000 + i % 9973,
               ${BASE_TIME} + i * 10, ${BASE_TIME} + i * 10 + 43200000, zeroblob(64),
               CASE i % 7 WHEN 0 THEN 'receiving' WHEN 4 THEN 'delivering' WHEN 5 THEN 'delivered'
                          WHEN 6 THEN 'expired' ELSE 'held' END
        FROM n`).run(),
    )(),
  );
  bulk.close();
  ledger = Ledger.open(file);
  check = new Database(file, { readonly: true });
}, 180_000);

afterAll(() => {
  check?.close();
  ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ledger at 10^6 held rows', () => {
  it('byte and count totals per state: exact, and read without touching the held table', () => {
    const summary = timed('heldSummary()', () => ledger.heldSummary());
    const brute = check
      .prepare('SELECT state, count(*) AS count, sum(size) AS bytes FROM held NOT INDEXED GROUP BY state')
      .all() as { state: string; count: number; bytes: number }[];
    expect(summary.filter((s) => s.count > 0).sort((a, b) => a.state.localeCompare(b.state))).toEqual(brute);
    expect(summary.reduce((n, s) => n + s.count, 0)).toBe(ROWS);

    const plan = planOf(LEDGER_SQL.totals, { kind: 'held' });
    expect(plan.join(' | ')).toMatch(/^SEARCH blob_totals USING PRIMARY KEY/);
    expect(plan.join(' | ')).not.toContain('held ');
  });

  it('a page of 100 rows by received_at, and the next page, from the index', () => {
    const first = timed('heldPage(first 100)', () => ledger.heldPage({ limit: 100 }));
    const last = first.at(-1)!;
    const second = timed('heldPage(next 100)', () => ledger.heldPage({ before: last, limit: 100 }));
    const brute = check
      .prepare('SELECT blob_id AS blobId FROM held NOT INDEXED ORDER BY received_at DESC, blob_id DESC LIMIT 200')
      .pluck()
      .all();
    expect([...first, ...second].map((r) => r.blobId)).toEqual(brute);

    expectIndexed(planOf(LEDGER_SQL.heldPageFirst, { limit: 100 }), 'held_by_received');
    expectIndexed(planOf(LEDGER_SQL.heldPageBefore, { receivedAt: 0, blobId: '', limit: 100 }), 'held_by_received');
  });

  it('per-origin share reads one row kept by triggers', () => {
    const bytes = timed('heldBytesByOrigin()', () => ledger.heldBytesByOrigin('origin-7'));
    const brute = check
      .prepare(`SELECT sum(size) FROM held NOT INDEXED WHERE origin_id = 'origin-7' AND state IN ('receiving', 'held', 'delivering')`)
      .pluck()
      .get();
    expect(bytes).toBe(brute);
    expectIndexed(planOf(LEDGER_SQL.heldBytesByOrigin, { originId: 'origin-7' }), 'held_origins USING PRIMARY KEY');
  });

  it('the purge finds expired replicas through the expiry index', () => {
    const now = BASE_TIME + 43_200_000 + 5_000_000;
    const expired = timed('expiredHeld(1000)', () => ledger.expiredHeld(now, 1000));
    expect(expired).toHaveLength(1000);
    const due = new Set(
      check
        .prepare(`SELECT blob_id FROM held NOT INDEXED WHERE expires_at <= ${now} AND state IN ('receiving', 'held', 'delivering')`)
        .pluck()
        .all() as string[],
    );
    expect(expired.filter((id) => !due.has(id))).toEqual([]);
    expectIndexed(planOf(LEDGER_SQL.expiredHeld, { now, limit: 1000 }), 'held_by_expiry');
  });

  it('walks every file-bearing row in blob ID order by merging two index scans, never sorting', () => {
    expectIndexed(planOf(LEDGER_SQL.blobRowsFrom, { after: '', limit: 1001 }), 'sqlite_autoindex_held_1');
    let count = 0;
    let previous = '';
    let ordered = true;
    timed('allBlobRows() full walk', () => {
      for (const row of ledger.allBlobRows()) {
        if (row.blobId <= previous) ordered = false;
        previous = row.blobId;
        count += 1;
      }
    });
    const brute = check
      .prepare(`SELECT count(*) FROM held NOT INDEXED WHERE state IN (${HELD_FILE_STATES.map((s) => `'${s}'`).join(', ')})`)
      .pluck()
      .get();
    expect(ordered).toBe(true);
    expect(count).toBe(brute);
  });
});
