import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import {
  HELD_STATES,
  Ledger,
  OUTBOX_STATES,
  type HeldState,
  type NewHeld,
  type OutboxRow,
} from '../../../../src/main/core/ledger/ledger.js';
import { EVENTS_MAX_ROWS, LEDGER_BUSY_TIMEOUT_MS } from '../../../../src/main/core/limits.js';
import { IS_ROOT, warnNotRoot, withTmpfs } from '../../../helpers/tmpfs.js';

const SQL_DIR = fileURLToPath(new URL('../../../../src/main/core/ledger/sql/', import.meta.url));
const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const RECIPIENT_2 = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj';
const PRODUCT_TABLES = [
  'outbox', 'held', 'placements', 'peers', 'deliveries', 'receipts', 'destinations', 'settings',
  'home_networks', 'imports', 'events', 'blob_totals', 'enrolled_origins', 'received', 'library_files', 'collected', 'outbox_files',
  'held_list_changes', 'held_origins',
];

const idOf = (label: string): string => createHash('sha256').update(label).digest('hex');

let dir: string;
let file: string;
const open: Ledger[] = [];
function openLedger(options?: Parameters<typeof Ledger.open>[1]): Ledger {
  const ledger = Ledger.open(file, options);
  open.push(ledger);
  return ledger;
}
/** A second, independent connection: what another process (or a test) sees on disk. */
function raw(): Database.Database {
  return new Database(file);
}
function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function held(label: string, over: Partial<NewHeld> = {}): NewHeld {
  return {
    blobId: idOf(label),
    originId: 'origin-a',
    size: 1000,
    receivedAt: 1_700_000_000_000,
    expiresAt: 1_700_043_200_000,
    ticket: Buffer.from(`ticket ${label}`),
    state: 'held',
    ...over,
  };
}
function outbox(label: string, destinationId: number, over: Partial<OutboxRow> = {}): OutboxRow {
  return {
    blobId: idOf(label),
    size: 2000,
    destinationId,
    label: `${label}.heic`,
    fileCount: 1,
    plaintextBytes: 1900,
    capturedAt: null,
    createdAt: 1_700_000_000_000,
    state: 'sealed',
    ...over,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inswarm-ledger-'));
  file = join(dir, 'ledger.db');
});
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('creates every product table as STRICT and records the schema version', () => {
    const ledger = openLedger();
    const migrations = readdirSync(SQL_DIR).filter((n) => n.endsWith('.sql')).length;
    expect(ledger.diagnostics().userVersion).toBe(migrations);
    const db = raw();
    const tables = db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'`).all() as { name: string; strict: number }[];
    db.close();
    expect(tables.map((t) => t.name).sort()).toEqual([...PRODUCT_TABLES].sort());
    expect(tables.filter((t) => t.strict !== 1)).toEqual([]);
  });

  it('re-opening applies nothing twice and keeps the data', () => {
    const first = openLedger();
    first.setSetting('donate.capBytes', 5e9);
    first.addHeld(held('a'));
    first.close();
    const again = openLedger();
    expect(again.getSetting('donate.capBytes')).toBe(5e9);
    expect(again.heldSummary().find((s) => s.state === 'held')).toEqual({ state: 'held', count: 1, bytes: 1000 });
    const db = raw();
    // The seed rows of blob_totals would double if 001 ran again.
    expect((db.prepare('SELECT count(*) AS n FROM blob_totals').get() as { n: number }).n).toBe(OUTBOX_STATES.length + HELD_STATES.length);
    db.close();
  });

  it('applies numbered files in order inside one transaction: a failing one leaves the ledger as it was', () => {
    // Every shipped migration first (the ledger's statements need the schema they build), then
    // test ones numbered after them.
    const migrations = join(dir, 'sql');
    mkdirSync(migrations);
    const shipped = readdirSync(SQL_DIR).filter((n) => n.endsWith('.sql')).sort();
    for (const name of shipped) copyFileSync(join(SQL_DIR, name), join(migrations, name));
    openLedger({ migrationsDir: migrations }).close();
    const n = shipped.length;
    const numbered = (k: number, what: string) => join(migrations, `${String(k).padStart(3, '0')}-${what}.sql`);

    writeFileSync(numbered(n + 1, 'add-notes'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY) STRICT;\nTHIS IS NOT SQL;');
    const err = errorOf(() => Ledger.open(file, { migrationsDir: migrations }));
    expect(isInswarmError(err, 'E_LEDGER')).toBe(true);
    expect((err as Error).message).toMatch(/add-notes\.sql.*unchanged/);
    let db = raw();
    expect(db.pragma('user_version', { simple: true })).toBe(n);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'notes'`).get()).toBeUndefined();
    db.close();

    writeFileSync(numbered(n + 1, 'add-notes'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY) STRICT;');
    writeFileSync(numbered(n + 2, 'add-note-text'), 'ALTER TABLE notes ADD COLUMN body TEXT;');
    expect(openLedger({ migrationsDir: migrations }).diagnostics().userVersion).toBe(n + 2);
    db = raw();
    expect(db.prepare(`SELECT name FROM pragma_table_info('notes')`).all()).toEqual([{ name: 'id' }, { name: 'body' }]);
    db.close();
  });

  it('refuses a gap in the numbering', () => {
    const migrations = join(dir, 'sql');
    mkdirSync(migrations);
    copyFileSync(join(SQL_DIR, '001-initial.sql'), join(migrations, '001-initial.sql'));
    writeFileSync(join(migrations, '003-skipped-two.sql'), 'SELECT 1;');
    const err = errorOf(() => Ledger.open(file, { migrationsDir: migrations }));
    expect(isInswarmError(err, 'E_LEDGER')).toBe(true);
    expect((err as Error).message).toMatch(/003-skipped-two\.sql is misnumbered/);
  });

  it('refuses a ledger from a newer version and leaves it untouched', () => {
    openLedger().close();
    let db = raw();
    db.pragma('user_version = 99');
    db.close();
    const err = errorOf(() => Ledger.open(file));
    expect(isInswarmError(err, 'E_LEDGER')).toBe(true);
    expect((err as Error).message).toMatch(/newer Inswarm \(schema 99, this one knows \d+\): update Inswarm/);
    db = raw();
    expect(db.pragma('user_version', { simple: true })).toBe(99);
    db.close();
  });

  it('refuses an SQLite file that is not a ledger, and a file that is not a database', () => {
    const db = raw();
    db.exec('CREATE TABLE photos (id INTEGER)');
    db.close();
    expect((errorOf(() => Ledger.open(file)) as Error).message).toMatch(/is not an Inswarm ledger/);

    const junk = join(dir, 'junk.db');
    writeFileSync(junk, Buffer.alloc(4096, 0x5a));
    const err = errorOf(() => Ledger.open(junk));
    expect(isInswarmError(err, 'E_LEDGER')).toBe(true);
    expect((err as Error).message).toMatch(/damaged/);
  });
});

describe('schema constraints', () => {
  it('STRICT refuses values of the wrong type instead of storing them', () => {
    const ledger = openLedger();
    const wrong: unknown[] = [{ size: 'big' }, { size: 1.5 }, { receivedAt: 'yesterday' }, { ticket: 'not bytes' }];
    for (const over of wrong) {
      const err = errorOf(() => ledger.addHeld(held('x', over as Partial<NewHeld>)));
      expect((err as { code?: string }).code).toBe('SQLITE_CONSTRAINT_DATATYPE');
    }
    expect(ledger.getHeld(idOf('x'))).toBeUndefined();
  });

  it('CHECK refuses unknown states, malformed IDs and invalid JSON', () => {
    const ledger = openLedger();
    ledger.addHeld(held('a'));
    const err = errorOf(() => ledger.setHeldState(idOf('a'), 'misplaced' as HeldState));
    expect((err as { code?: string }).code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(ledger.getHeld(idOf('a'))?.state).toBe('held');

    const destination = ledger.setDefaultDestination({ recipient: RECIPIENT, label: 'Home' });
    const bad = errorOf(() => ledger.addOutbox(outbox('b', destination.id, { state: 'shipped' as OutboxRow['state'] })));
    expect((bad as { code?: string }).code).toBe('SQLITE_CONSTRAINT_CHECK');

    const db = raw();
    const insert = db.prepare(`INSERT INTO receipts (kind, blob_id, signer_id, body, signature, created_at) VALUES (?, ?, 's', x'00', x'00', 0)`);
    expect(() => insert.run('custody', idOf('c').toUpperCase())).toThrow(/CHECK constraint/);
    expect(() => insert.run('gossip', idOf('c'))).toThrow(/CHECK constraint/);
    expect(() => db.prepare(`INSERT INTO settings VALUES ('k', '{not json')`).run()).toThrow(/CHECK constraint/);
    insert.run('custody', idOf('c'));
    db.close();
  });

  it('the API refuses a malformed blob ID before touching SQL', () => {
    const ledger = openLedger();
    expect(isInswarmError(errorOf(() => ledger.addHeld(held('a', { blobId: '../../etc/passwd' }))), 'E_BLOB_ID')).toBe(true);
    expect(isInswarmError(errorOf(() => ledger.getOutbox('ABC')), 'E_BLOB_ID')).toBe(true);
  });
});

describe('connection settings', () => {
  it('runs in WAL with synchronous=FULL, foreign keys and a busy timeout', () => {
    const ledger = openLedger();
    ledger.setSetting('x', 1);
    expect(ledger.diagnostics()).toMatchObject({
      journalMode: 'wal',
      synchronous: 2, // FULL
      foreignKeys: 1,
      busyTimeoutMs: LEDGER_BUSY_TIMEOUT_MS,
    });
    expect(existsSync(`${file}-wal`)).toBe(true);
  });

  it('an unflushed transaction is atomic, and every later commit is flushed again', () => {
    const ledger = openLedger();
    ledger.unflushedTransaction(() => ledger.setSetting('a', 1));
    expect(ledger.getSetting('a')).toBe(1);
    expect(ledger.diagnostics().synchronous).toBe(2);
    // A failure inside rolls the whole transaction back and still restores FULL.
    expect(() =>
      ledger.unflushedTransaction(() => {
        ledger.setSetting('b', 2);
        throw new Error('halfway');
      }),
    ).toThrow('halfway');
    expect(ledger.getSetting('b')).toBeUndefined();
    expect(ledger.diagnostics().synchronous).toBe(2);
    // Inside a flushed transaction it is part of that transaction (and of its flush).
    ledger.transaction(() => ledger.unflushedTransaction(() => ledger.setSetting('c', 3)));
    expect(ledger.getSetting('c')).toBe(3);
    expect(ledger.diagnostics().synchronous).toBe(2);
  });

  it('a group commit is visible at once, resolves after a WAL flush that began after it, and shares flushes', async () => {
    const ledger = openLedger();
    const flushes = () => ledger.diagnostics().walFlushes;
    // One at a time: each waits for a flush of its own.
    for (let i = 1; i <= 3; i++) {
      const done = ledger.groupCommit(() => ledger.setSetting(`one.${i}`, i));
      expect(ledger.getSetting(`one.${i}`)).toBe(i); // committed before the flush
      await done;
      expect(flushes()).toBe(i);
    }
    expect(ledger.diagnostics().synchronous).toBe(2);
    // Forty at once: the first flush starts at once, and every later commit shares the one queued
    // behind it, which must start after the first ends (those commits may have missed the first).
    const before = flushes();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => ledger.groupCommit(() => (ledger.setSetting(`many.${i}`, i), i))));
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(flushes() - before).toBe(2);
    // A failure rolls back and rejects; nothing is flushed for it. Nesting is refused.
    await expect(ledger.groupCommit(() => { ledger.setSetting('bad', 1); throw new Error('halfway'); })).rejects.toThrow('halfway');
    expect(ledger.getSetting('bad')).toBeUndefined();
    let nested: Promise<unknown> | undefined;
    ledger.transaction(() => {
      nested = ledger.groupCommit(() => undefined);
    });
    await expect(nested).rejects.toThrow(/inside a transaction/);
    // Another connection sees every row.
    const other = raw();
    try {
      expect((other.prepare("SELECT count(*) AS n FROM settings WHERE key LIKE 'many.%'").get() as { n: number }).n).toBe(40);
    } finally {
      other.close();
    }
  });
});

describe('outbox and destinations', () => {
  it('records sealed blobs against the default destination', () => {
    const ledger = openLedger({ now: () => 42 });
    expect(ledger.getDefaultDestination()).toBeUndefined();
    const home = ledger.setDefaultDestination({ recipient: RECIPIENT, label: 'Home NAS' });
    expect(home).toMatchObject({ label: 'Home NAS', recipient: RECIPIENT, isDefault: true, endpoint: null, createdAt: 42 });

    ledger.addOutbox(outbox('p1', home.id, { capturedAt: 1_699_000_000_000 }));
    ledger.addOutbox(outbox('p2', home.id, { size: 3000, state: 'placed' }));
    expect(ledger.getOutbox(idOf('p1'))).toEqual(outbox('p1', home.id, { capturedAt: 1_699_000_000_000 }));
    expect(ledger.getOutbox(idOf('nope'))).toBeUndefined();
    expect(ledger.outboxSummary()).toEqual([
      { state: 'sealed', count: 1, bytes: 2000 },
      { state: 'placing', count: 0, bytes: 0 },
      { state: 'placed', count: 1, bytes: 3000 },
      { state: 'delivered', count: 0, bytes: 0 },
      { state: 'lost', count: 0, bytes: 0 },
    ]);

    expect(isInswarmError(errorOf(() => ledger.addOutbox(outbox('p1', home.id))), 'E_EXISTS')).toBe(true);
    expect(isInswarmError(errorOf(() => ledger.addOutbox(outbox('p3', home.id + 100))), 'E_NOT_FOUND')).toBe(true);
  });

  it('keeps exactly one default, and reuses the row of a recipient seen before', () => {
    const ledger = openLedger();
    const a = ledger.setDefaultDestination({ recipient: RECIPIENT, label: 'Home' });
    const b = ledger.setDefaultDestination({ recipient: RECIPIENT_2, label: 'Bucket' });
    expect(b.id).not.toBe(a.id);
    expect(ledger.getDefaultDestination()?.recipient).toBe(RECIPIENT_2);
    const again = ledger.setDefaultDestination({ recipient: RECIPIENT, label: 'Home (renamed)' });
    expect(again).toMatchObject({ id: a.id, label: 'Home (renamed)', isDefault: true });
    const db = raw();
    expect(db.prepare('SELECT count(*) AS n FROM destinations WHERE is_default = 1').get()).toEqual({ n: 1 });
    expect(() => db.prepare('UPDATE destinations SET is_default = 1').run()).toThrow(/UNIQUE/);
    db.close();
    expect(isInswarmError(errorOf(() => ledger.setDefaultDestination({ recipient: 'ssh-ed25519 AAAA', label: 'x' })), 'E_BAD_RECIPIENT')).toBe(true);
  });
});

describe('blobs to place', () => {
  it('reads fewest receipts first, then oldest, then by blob ID, in pages that continue after a key', () => {
    const ledger = openLedger();
    const home = ledger.setDefaultDestination({ recipient: RECIPIENT, label: 'Home' });
    // Twelve blobs in four ages; every third has one receipt, one has two; one is placed already.
    const labels = Array.from({ length: 12 }, (_, i) => `b${i}`);
    labels.forEach((label, i) => ledger.addOutbox(outbox(label, home.id, { createdAt: 1000 + (i % 4), state: i % 2 === 0 ? 'sealed' : 'placing' })));
    ledger.addOutbox(outbox('done', home.id, { state: 'placed' }));
    for (const label of ['b0', 'b3', 'b6', 'b9']) ledger.setPlacement(idOf(label), 'holder-1', 'stored', 2000);
    ledger.setPlacement(idOf('b9'), 'holder-2', 'stored', 2000);
    ledger.setPlacement(idOf('b1'), 'holder-2', 'sending', 10);

    const stored = (label: string) => (label === 'b9' ? 2 : ['b0', 'b3', 'b6'].includes(label) ? 1 : 0);
    const expected = labels
      .map((label, i) => ({ blobId: idOf(label), stored: stored(label), createdAt: 1000 + (i % 4) }))
      .sort((a, b) => a.stored - b.stored || a.createdAt - b.createdAt || (a.blobId < b.blobId ? -1 : 1));
    const all = ledger.outboxToPlace(100);
    expect(all.map((r) => ({ blobId: r.blobId, stored: r.stored, createdAt: r.createdAt }))).toEqual(expected);

    // Pages of five, each after the last row of the one before, give the same rows once each.
    const paged = [];
    for (let page = ledger.outboxToPlace(5); page.length > 0; ) {
      paged.push(...page);
      const last = page[page.length - 1]!;
      page = ledger.outboxToPlace(5, { stored: last.stored, createdAt: last.createdAt, blobId: last.blobId });
    }
    expect(paged.map((r) => r.blobId)).toEqual(expected.map((r) => r.blobId));
    // After a key that is not a row (a row that moved on meanwhile): the rows ordered after it.
    const cut = expected[6]!;
    expect(ledger.outboxToPlace(100, { stored: cut.stored, createdAt: cut.createdAt, blobId: '0'.repeat(64) }).map((r) => r.blobId)).toEqual(
      expected.filter((r) => r.stored > cut.stored || (r.stored === cut.stored && r.createdAt >= cut.createdAt)).map((r) => r.blobId),
    );
  });
});

describe('held blobs and running totals', () => {
  it('totals follow inserts, state changes and deletes exactly', () => {
    const ledger = openLedger();
    const expected = new Map<string, { state: HeldState; size: number }>();
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const db = raw();
    for (let i = 0; i < 600; i++) {
      const id = idOf(`h${rand(150)}`);
      const op = rand(3);
      if (!expected.has(id)) {
        const row = held('', { blobId: id, size: 1 + rand(10_000), state: HELD_STATES[rand(HELD_STATES.length)]! });
        ledger.addHeld(row);
        expected.set(id, { state: row.state, size: row.size });
      } else if (op === 0) {
        db.prepare('DELETE FROM held WHERE blob_id = ?').run(id); // later work will purge rows; totals must follow
        expected.delete(id);
      } else {
        const state = HELD_STATES[rand(HELD_STATES.length)]!;
        expect(ledger.setHeldState(id, state)).toBe(true);
        expected.get(id)!.state = state;
      }
    }
    db.close();
    const want = HELD_STATES.map((state) => {
      const rows = [...expected.values()].filter((r) => r.state === state);
      return { state, count: rows.length, bytes: rows.reduce((sum, r) => sum + r.size, 0) };
    });
    expect(ledger.heldSummary()).toEqual(want);
    expect(ledger.setHeldState(idOf('never added'), 'held')).toBe(false);
  });

  it('sums bytes per origin over the replicas still kept', () => {
    const ledger = openLedger();
    ledger.addHeld(held('a', { originId: 'o1', size: 10 }));
    ledger.addHeld(held('b', { originId: 'o1', size: 20, state: 'receiving' }));
    ledger.addHeld(held('c', { originId: 'o1', size: 40, state: 'delivered' }));
    ledger.addHeld(held('d', { originId: 'o2', size: 80 }));
    expect(ledger.heldBytesByOrigin('o1')).toBe(30);
    expect(ledger.heldBytesByOrigin('nobody')).toBe(0);
    // Kept by triggers: every change of state, origin or size, and a delete, moves the sum.
    ledger.setHeldState(idOf('b'), 'held');
    expect(ledger.heldBytesByOrigin('o1')).toBe(30);
    ledger.setHeldState(idOf('a'), 'delivered');
    expect(ledger.heldBytesByOrigin('o1')).toBe(20);
    ledger.setHeldState(idOf('c'), 'delivering');
    expect(ledger.heldBytesByOrigin('o1')).toBe(60);
    ledger.deleteHeld(idOf('b'));
    expect(ledger.heldBytesByOrigin('o1')).toBe(40);
    const db = raw();
    try {
      db.prepare('UPDATE held SET size = 45 WHERE blob_id = ?').run(idOf('c')); // a hand-run fix
      db.prepare("UPDATE held SET origin_id = 'o1' WHERE blob_id = ?").run(idOf('d'));
    } finally {
      db.close();
    }
    expect(ledger.heldBytesByOrigin('o1')).toBe(125);
    expect(ledger.heldBytesByOrigin('o2')).toBe(0);
    ledger.setHeldState(idOf('c'), 'expired');
    ledger.setHeldState(idOf('d'), 'lost');
    expect(ledger.heldBytesByOrigin('o1')).toBe(0);
  });

  it('pages the held list newest first, with ties on received_at broken by blob ID', () => {
    const ledger = openLedger();
    for (let i = 0; i < 25; i++) ledger.addHeld(held(`p${i}`, { receivedAt: 1000 + Math.floor(i / 3) }));
    const seen: string[] = [];
    let page = ledger.heldPage({ limit: 7 });
    while (page.length > 0) {
      seen.push(...page.map((r) => r.blobId));
      const last = page.at(-1)!;
      page = ledger.heldPage({ before: { receivedAt: last.receivedAt, blobId: last.blobId }, limit: 7 });
    }
    const want = Array.from({ length: 25 }, (_, i) => ({ id: idOf(`p${i}`), at: 1000 + Math.floor(i / 3) }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    expect(seen).toEqual(want);
  });

  it('lists expired replicas for the purge', () => {
    const ledger = openLedger();
    ledger.addHeld(held('old', { expiresAt: 100 }));
    ledger.addHeld(held('old-but-delivered', { expiresAt: 100, state: 'delivered' }));
    ledger.addHeld(held('fresh', { expiresAt: 10_000 }));
    expect(ledger.expiredHeld(5_000, 100)).toEqual([idOf('old')]);
  });
});

describe('reconciliation rows', () => {
  it('yields every row that must have a file, sorted by blob ID, across pages and both tables', () => {
    const ledger = openLedger();
    const home = ledger.setDefaultDestination({ recipient: RECIPIENT, label: 'Home' });
    const heldIds = Array.from({ length: 2500 }, (_, i) => idOf(`r${i}`)).sort();
    const straddling = heldIds.filter((_, i) => i % 10 !== 0)[1000]!;
    ledger.transaction(() => {
      heldIds.forEach((blobId, i) => ledger.addHeld(held('', { blobId, state: i % 10 === 0 ? 'delivered' : 'held', size: i })));
      // The 1001st walked held row is also in the outbox: its two copies straddle the first page break.
      ledger.addOutbox(outbox('', home.id, { blobId: straddling }));
      ledger.addOutbox(outbox('o-lost', home.id, { state: 'lost' }));
    });
    const rows = [...ledger.allBlobRows()];
    const want = [
      ...heldIds.flatMap((blobId, i) => (i % 10 === 0 ? [] : [{ blobId, size: i, table: 'held', state: 'held' }])),
      { blobId: straddling, size: 2000, table: 'outbox', state: 'sealed' },
    ];
    const byKey = (list: { blobId: string; table: string }[]) => new Map(list.map((r) => [`${r.blobId}/${r.table}`, r]));
    expect(rows).toHaveLength(want.length);
    expect(byKey(rows)).toEqual(byKey(want));
    const ids = rows.map((r) => r.blobId);
    expect(ids).toEqual([...ids].sort());
  });

  it('markLost changes only rows that should have had a file', () => {
    const ledger = openLedger();
    ledger.addHeld(held('kept'));
    ledger.addHeld(held('done', { state: 'delivered' }));
    expect(ledger.markLost([idOf('kept'), idOf('done'), idOf('unknown')])).toBe(1);
    expect(ledger.getHeld(idOf('kept'))?.state).toBe('lost');
    expect(ledger.getHeld(idOf('done'))?.state).toBe('delivered');
  });
});

describe('settings, events and transactions', () => {
  it('stores settings as JSON', () => {
    const ledger = openLedger();
    expect(ledger.getSetting('missing')).toBeUndefined();
    ledger.setSetting('caps', { diskBytes: 5e9, floorBytes: 1e9, homes: ['a', 'b'] });
    ledger.setSetting('caps', { diskBytes: 6e9, floorBytes: 1e9, homes: [] });
    expect(ledger.getSetting('caps')).toEqual({ diskBytes: 6e9, floorBytes: 1e9, homes: [] });
  });

  it('keeps the newest EVENTS_MAX_ROWS events and pages through them', () => {
    let clock = 0;
    const ledger = openLedger({ now: () => ++clock });
    const extra = 5;
    ledger.transaction(() => {
      for (let i = 1; i <= EVENTS_MAX_ROWS + extra; i++) ledger.appendEvent('blob:stored', { n: i });
    });
    const db = raw();
    expect(db.prepare('SELECT count(*) AS n, min(id) AS lo FROM events').get()).toEqual({ n: EVENTS_MAX_ROWS, lo: extra + 1 });
    db.close();
    const tail = ledger.listEvents({ limit: 3 });
    expect(tail.map((e) => e.id)).toEqual([EVENTS_MAX_ROWS + 3, EVENTS_MAX_ROWS + 4, EVENTS_MAX_ROWS + 5]);
    expect(tail[2]).toEqual({ id: EVENTS_MAX_ROWS + 5, at: EVENTS_MAX_ROWS + 5, type: 'blob:stored', data: { n: EVENTS_MAX_ROWS + 5 } });
    const next = ledger.appendEvent('peer:up', { name: 'Ana' });
    expect(ledger.listEvents({ afterId: tail[2]!.id, limit: 10 })).toEqual([{ id: next, at: clock, type: 'peer:up', data: { name: 'Ana' } }]);
    // That append trimmed one more from the head.
    expect(ledger.listEvents({ afterId: 0, limit: 2 }).map((e) => e.id)).toEqual([extra + 2, extra + 3]);
  });

  it('rolls a transaction back entirely when it throws, and refuses async functions', () => {
    const ledger = openLedger();
    expect(() =>
      ledger.transaction(() => {
        ledger.addHeld(held('a'));
        ledger.addHeld(held('b'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() => ledger.transaction(async () => ledger.addHeld(held('c')))).toThrow(/synchronous/);
    expect([ledger.getHeld(idOf('a')), ledger.getHeld(idOf('b')), ledger.getHeld(idOf('c'))]).toEqual([undefined, undefined, undefined]);
    expect(ledger.heldSummary().every((s) => s.count === 0)).toBe(true);
  });
});

describe('full disk', () => {
  if (!IS_ROOT) warnNotRoot('the ledger full-disk test');
  it.runIf(IS_ROOT)('a write that does not fit fails with E_DISK_FULL and keeps every earlier commit', async () => {
    await withTmpfs(1024 * 1024, async (mnt) => {
      const ledger = Ledger.open(join(mnt, 'ledger.db'));
      const big = 'x'.repeat(16 * 1024);
      const committed: number[] = [];
      let failure: unknown;
      try {
        for (let i = 0; i < 1000; i++) committed.push(ledger.appendEvent('test:fill', { i, big }));
      } catch (err) {
        failure = err;
      }
      expect(isInswarmError(failure, 'E_DISK_FULL')).toBe(true);
      expect(committed.length).toBeGreaterThan(0);
      expect(ledger.listEvents({ afterId: 0, limit: 1000 }).map((e) => e.id)).toEqual(committed);
      ledger.close();
    });
  });
});
