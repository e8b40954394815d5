// The ledger: every durable fact about blobs, peers, destinations and settings, in one SQLite file
// (WAL). The schema lives in ./sql/NNN-*.sql (see schema.ts for how it is applied).
// Every method is synchronous (better-sqlite3): a call that returns has committed, and with
// synchronous=FULL a commit is on disk, so callers may acknowledge right after (promise 5).
// groupCommit() is the one exception: committed at once, on disk when its promise resolves.

import Database from 'better-sqlite3';
import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { InswarmError, fromFsError } from '../errors.js';
import { BLOB_ID_PATTERN, EVENTS_MAX_ROWS, LEDGER_MAX_PAGE } from '../limits.js';
import { SharedRun } from '../shared-run.js';
import { MIGRATIONS_DIR, configure, loadMigrations, migrate } from './schema.js';

export type OutboxState = 'sealed' | 'placing' | 'placed' | 'delivered' | 'lost';
export type HeldState = 'receiving' | 'held' | 'delivering' | 'delivered' | 'expired' | 'lost';
/** Pipeline order, which is also the order summaries are returned in. */
export const OUTBOX_STATES: readonly OutboxState[] = ['sealed', 'placing', 'placed', 'delivered', 'lost'];
export const HELD_STATES: readonly HeldState[] = ['receiving', 'held', 'delivering', 'delivered', 'expired', 'lost'];
/** States whose blob file must be on disk; reconciliation checks exactly these rows. */
export const OUTBOX_FILE_STATES: readonly OutboxState[] = ['sealed', 'placing', 'placed'];
export const HELD_FILE_STATES: readonly HeldState[] = ['held', 'delivering'];
/**
 * States that count against a donor's caps: a transfer in progress has its full size reserved, so
 * concurrent offers can never overcommit. Receiving blobs live in incoming/, not the store.
 */
export const HELD_RESERVED_STATES: readonly HeldState[] = ['receiving', 'held', 'delivering'];

/** Rows per query when walking every blob: bounded memory, and no statement stays open between pages. */
const BLOB_SCAN_PAGE = 1_000;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface OutboxRow {
  blobId: string;
  size: number;
  destinationId: number;
  /** Shown only to the owner (a file name); never leaves this device. */
  label: string;
  fileCount: number;
  plaintextBytes: number;
  capturedAt: number | null;
  createdAt: number;
  state: OutboxState;
}

/** An own blob still short of its replicas, as placement reads it: with its custody receipt count. */
export interface PlaceableRow extends OutboxRow {
  /** Custody receipts recorded when the row was read. */
  readonly stored: number;
}

/** Where a page of blobs to place ends: the next page starts after it. */
export interface PlaceKey {
  readonly stored: number;
  readonly createdAt: number;
  readonly blobId: string;
}

export interface HeldRow {
  blobId: string;
  originId: string;
  size: number;
  bytesReceived: number;
  receivedAt: number;
  expiresAt: number;
  /** The origin's signed ticket, kept as received so it can be re-verified and used to deliver. */
  ticket: Uint8Array;
  state: HeldState;
}

export type NewHeld = Omit<HeldRow, 'bytesReceived'> & { bytesReceived?: number };
/** One row of the held list; tickets stay out of lists. */
export type HeldListItem = Omit<HeldRow, 'ticket'>;
export interface StateTotal<S extends string> {
  state: S;
  count: number;
  bytes: number;
}

export type PlacementState = 'offered' | 'sending' | 'stored' | 'declined' | 'released';

export interface Placement {
  holderId: string;
  state: PlacementState;
  bytesSent: number;
  updatedAt: number;
}

export interface PeerRow {
  deviceId: string;
  name: string;
  addresses: string[];
  source: string;
  firstSeen: number;
  lastSeen: number;
  freeBytes: number | null;
  throughputBps: number | null;
}

export interface Destination {
  id: number;
  label: string;
  recipient: string;
  endpoint: JsonValue | null;
  receiverKey: string | null;
  isDefault: boolean;
  createdAt: number;
}

export interface LedgerEvent {
  id: number;
  at: number;
  type: string;
  data: JsonValue;
}

/** A row whose blob file must exist, as reconciliation sees it. */
export interface BlobRow {
  blobId: string;
  size: number;
  table: 'outbox' | 'held';
  state: OutboxState | HeldState;
}

export interface LedgerOptions {
  /** Clock for created/received/event times; tests pass a fixed one. */
  now?: () => number;
  /** Folder of NNN-*.sql migrations; defaults to the one shipped next to this module. */
  migrationsDir?: string;
}

const inList = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');
const HELD_COLUMNS = `blob_id AS blobId, origin_id AS originId, size, bytes_received AS bytesReceived,
  received_at AS receivedAt, expires_at AS expiresAt, state`;

/** Every query the ledger runs, prepared once at open (which also checks each against the schema). */
export const LEDGER_SQL = {
  addOutbox: `INSERT INTO outbox (blob_id, size, destination_id, label, file_count, plaintext_bytes, captured_at, created_at, state)
    VALUES (@blobId, @size, @destinationId, @label, @fileCount, @plaintextBytes, @capturedAt, @createdAt, @state)`,
  getOutbox: `SELECT blob_id AS blobId, size, destination_id AS destinationId, label, file_count AS fileCount,
    plaintext_bytes AS plaintextBytes, captured_at AS capturedAt, created_at AS createdAt, state
    FROM outbox WHERE blob_id = @blobId`,
  totals: `SELECT state, blobs AS count, bytes FROM blob_totals WHERE kind = @kind`,
  addHeld: `INSERT INTO held (blob_id, origin_id, size, bytes_received, received_at, expires_at, ticket, state)
    VALUES (@blobId, @originId, @size, @bytesReceived, @receivedAt, @expiresAt, @ticket, @state)`,
  getHeld: `SELECT ${HELD_COLUMNS}, ticket FROM held WHERE blob_id = @blobId`,
  setHeldState: `UPDATE held SET state = @state WHERE blob_id = @blobId`,
  heldPageFirst: `SELECT ${HELD_COLUMNS} FROM held ORDER BY received_at DESC, blob_id DESC LIMIT @limit`,
  heldPageBefore: `SELECT ${HELD_COLUMNS} FROM held WHERE (received_at, blob_id) < (@receivedAt, @blobId)
    ORDER BY received_at DESC, blob_id DESC LIMIT @limit`,
  // Kept by triggers over the states in HELD_RESERVED_STATES (sql/006-held-origin-bytes.sql).
  heldBytesByOrigin: `SELECT coalesce((SELECT bytes FROM held_origins WHERE origin_id = @originId), 0) AS bytes`,
  expiredHeld: `SELECT blob_id AS blobId FROM held
    WHERE state IN (${inList(HELD_RESERVED_STATES)}) AND expires_at <= @now LIMIT @limit`,
  // `+state` keeps the planner on the blob_id index: filtering through the state index would sort
  // the whole table for every page (measured: minutes at 10^6 rows instead of seconds).
  blobRowsFrom: `SELECT blob_id AS blobId, size, 'outbox' AS tbl, state FROM outbox
      WHERE blob_id >= @after AND +state IN (${inList(OUTBOX_FILE_STATES)})
    UNION ALL
    SELECT blob_id, size, 'held', state FROM held
      WHERE blob_id >= @after AND +state IN (${inList(HELD_FILE_STATES)})
    ORDER BY 1 LIMIT @limit`,
  deleteHeld: `DELETE FROM held WHERE blob_id = @blobId`,
  completeReceiving: `UPDATE held SET bytes_received = size, state = 'held' WHERE blob_id = @blobId AND state = 'receiving'`,
  receivingHeld: `SELECT ${HELD_COLUMNS} FROM held WHERE state = 'receiving'`,
  setOutboxState: `UPDATE outbox SET state = @state WHERE blob_id = @blobId`,
  startPlacing: `UPDATE outbox SET state = 'placing' WHERE blob_id = @blobId AND state = 'sealed'`,
  // Fewest custody receipts first, then oldest; pages continue after a (stored, created, blob) key.
  outboxToPlace: `SELECT * FROM (SELECT blob_id AS blobId, size, destination_id AS destinationId, label,
      file_count AS fileCount, plaintext_bytes AS plaintextBytes, captured_at AS capturedAt, created_at AS createdAt, state,
      (SELECT count(*) FROM placements p WHERE p.blob_id = o.blob_id AND p.state = 'stored') AS stored
      FROM outbox o WHERE state IN ('sealed', 'placing'))
    WHERE @afterBlobId IS NULL OR (stored, createdAt, blobId) > (@afterStored, @afterCreatedAt, @afterBlobId)
    ORDER BY stored, createdAt, blobId LIMIT @limit`,
  upsertPlacement: `INSERT INTO placements (blob_id, holder_id, state, bytes_sent, updated_at)
    VALUES (@blobId, @holderId, @state, @bytesSent, @now)
    ON CONFLICT (blob_id, holder_id) DO UPDATE SET state = excluded.state, bytes_sent = excluded.bytes_sent, updated_at = excluded.updated_at`,
  placementsOf: `SELECT holder_id AS holderId, state, bytes_sent AS bytesSent, updated_at AS updatedAt FROM placements WHERE blob_id = @blobId`,
  storedCount: `SELECT count(*) AS n FROM placements WHERE blob_id = @blobId AND state = 'stored'`,
  placedSummary: `SELECT count(*) AS n FROM outbox o WHERE o.state IN ('sealed', 'placing', 'placed')
    AND (SELECT count(*) FROM placements p WHERE p.blob_id = o.blob_id AND p.state = 'stored') >= @k`,
  addReceipt: `INSERT INTO receipts (kind, blob_id, signer_id, body, signature, created_at)
    VALUES (@kind, @blobId, @signerId, @body, @signature, @now)`,
  receiptsOf: `SELECT kind, signer_id AS signerId, body, signature, created_at AS createdAt FROM receipts WHERE blob_id = @blobId ORDER BY id`,
  upsertPeer: `INSERT INTO peers (device_id, name, addresses, source, first_seen, last_seen, free_bytes)
    VALUES (@deviceId, @name, @addresses, @source, @seenAt, @seenAt, @freeBytes)
    ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, addresses = excluded.addresses,
      last_seen = excluded.last_seen, free_bytes = excluded.free_bytes`,
  listPeers: `SELECT device_id AS deviceId, name, addresses, source, first_seen AS firstSeen, last_seen AS lastSeen,
    free_bytes AS freeBytes, throughput_bps AS throughputBps FROM peers ORDER BY last_seen DESC LIMIT @limit`,
  markOutboxLost: `UPDATE outbox SET state = 'lost' WHERE blob_id = @blobId AND state IN (${inList(OUTBOX_FILE_STATES)})`,
  markHeldLost: `UPDATE held SET state = 'lost' WHERE blob_id = @blobId AND state IN (${inList(HELD_FILE_STATES)})`,
  defaultDestination: `SELECT id, label, recipient, endpoint, receiver_key AS receiverKey, is_default AS isDefault,
    created_at AS createdAt FROM destinations WHERE is_default = 1`,
  destinationByRecipient: `SELECT id FROM destinations WHERE recipient = @recipient ORDER BY id LIMIT 1`,
  clearDefaultDestination: `UPDATE destinations SET is_default = 0 WHERE is_default = 1`,
  makeDefaultDestination: `UPDATE destinations SET is_default = 1, label = @label WHERE id = @id`,
  addDefaultDestination: `INSERT INTO destinations (label, recipient, is_default, created_at) VALUES (@label, @recipient, 1, @now)`,
  getSetting: `SELECT value FROM settings WHERE key = @key`,
  setSetting: `INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  appendEvent: `INSERT INTO events (at, type, data) VALUES (@at, @type, @data)`,
  trimEvents: `DELETE FROM events WHERE id <= @newest - ${EVENTS_MAX_ROWS}`,
  eventsAfter: `SELECT id, at, type, data FROM events WHERE id > @afterId ORDER BY id LIMIT @limit`,
  eventsNewest: `SELECT * FROM (SELECT id, at, type, data FROM events ORDER BY id DESC LIMIT @limit) ORDER BY id`,
} as const;

type Statements = { [K in keyof typeof LEDGER_SQL]: Database.Statement };
/** A domain's prepared queries, by name. */
export type DomainQueries<K extends string> = { readonly [Q in K]: Database.Statement };

export class Ledger {
  private readonly q: Statements;

  private readonly syncNormal: Database.Statement;
  private readonly syncFull: Database.Statement;
  /** The write-ahead log: groupCommit() flushes it with an fsync of its own, off the main thread. */
  private readonly walFile: string;
  private walFd: number | undefined;
  /** WAL fsyncs groupCommit() has completed: fewer than its calls when they overlap. */
  private walFlushes = 0;
  /** Resolves once an fsync of the WAL that began after the call has finished. */
  private readonly flushWal = new SharedRun(() => this.fsyncWal());

  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    this.walFile = `${db.name}-wal`;
    const entries = Object.entries(LEDGER_SQL).map(([name, sql]) => [name, db.prepare(sql)]);
    this.q = Object.fromEntries(entries) as Statements;
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
  }

  /** Opens the ledger at `file`, creating or migrating it; refuses one written by a newer Inswarm. */
  static open(file: string, options: LedgerOptions = {}): Ledger {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true });
      db = new Database(file);
      configure(db);
      migrate(db, loadMigrations(options.migrationsDir ?? MIGRATIONS_DIR));
      return new Ledger(db, options.now ?? Date.now);
    } catch (err) {
      db?.close();
      throw fromLedgerError(err, `opening the ledger at ${file}`);
    }
  }

  /** Closes the file; WAL content is checkpointed. Safe to call twice. */
  close(): void {
    // Before the connection, which removes the log (Windows refuses while a handle is open). A
    // flush still running then fails and its commit is not acknowledged; close() syncs it anyway.
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` atomically (one fsync for all of it); nested calls become savepoints. `fn` must not await. */
  transaction<T>(fn: () => T): T {
    const run = this.db.transaction(() => {
      const result = fn();
      if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
        throw new Error('Ledger.transaction needs a synchronous function: after an await, the rest would run outside it.');
      }
      return result;
    });
    // IMMEDIATE takes the write lock up front, so a read-then-write never fails halfway with SQLITE_BUSY.
    return guard('writing to the ledger', () => (this.db.inTransaction ? run() : run.immediate()));
  }

  /**
   * Like transaction(), but its commit is not flushed before returning (synchronous=NORMAL for this
   * commit only). In WAL mode it is still atomic and in order: a crash may lose it, never tear it,
   * and the next flushed commit makes it durable too. Each flush costs a journal commit that, on a
   * busy disk, waits for other writes (several ms per blob with many small transfers), so this is
   * for progress that acknowledges nothing to anyone and is rebuilt after a crash: an offer
   * accepted, a transfer started. Never for what a receipt or an answer depends on.
   */
  unflushedTransaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.transaction(fn);
    this.syncNormal.run();
    try {
      return this.transaction(fn);
    } finally {
      this.syncFull.run();
    }
  }

  /**
   * Commits `fn` at once and resolves once the commit is on disk, like transaction() but without
   * blocking: better-sqlite3 runs a flushed commit's fsync on the main thread, where every link
   * and timer waits for the disk (1–3 ms a commit, one or two per small blob received or
   * placed). Here the commit goes into the WAL unflushed and the WAL file is then fsynced on
   * libuv's threads, one fsync shared by every commit made while the previous one ran (a group
   * commit). Until the promise resolves the commit is visible but may not survive a power loss:
   * acknowledge nothing before. A WAL fsync is what synchronous=FULL does itself.
   */
  async groupCommit<T>(fn: () => T): Promise<T> {
    if (this.db.inTransaction) throw new Error('Ledger.groupCommit cannot run inside a transaction: the outer one decides when it is flushed.');
    const result = this.unflushedTransaction(fn);
    await this.flushWal.run();
    return result;
  }

  /** An fsync of the WAL file, on libuv's threads. */
  private fsyncWal(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failed = (err: unknown) => reject(fromFsError(err, 'writing to the ledger'));
      try {
        // Kept open: SQLite reuses the log file from its start after a checkpoint and removes it
        // only when the last connection closes, so this stays the file commits are written to.
        this.walFd ??= openSync(this.walFile, 'r+');
      } catch (err) {
        failed(err);
        return;
      }
      fdatasync(this.walFd, (err) => {
        if (err) return failed(err);
        this.walFlushes++;
        resolve();
      });
    });
  }

  /**
   * Prepares one domain's queries (delivery, receiver, library, home networks…) on this ledger's
   * connection. Each domain keeps its SQL beside its code in a small store class, while all of them
   * share one file, one transaction and one fsync. Run them through `guarded` for coded errors.
   */
  prepare<K extends string>(sql: Readonly<Record<K, string>>): DomainQueries<K> {
    const entries = Object.entries<string>(sql).map(([name, text]) => [name, guard('preparing ledger queries', () => this.db.prepare(text))]);
    return Object.fromEntries(entries) as DomainQueries<K>;
  }

  /** Runs `fn` (a domain query) mapping SQLite errors to coded sentences about `doing`. */
  guarded<T>(doing: string, fn: () => T): T {
    return guard(doing, fn);
  }

  /** Records a sealed blob; the caller has already committed its file (file first, then row). */
  addOutbox(row: OutboxRow): void {
    assertBlobId(row.blobId);
    guard(`adding blob ${short(row.blobId)} to the outbox`, () => this.q.addOutbox.run(row));
  }

  /** One outbox row, for placement and delivery decisions. */
  getOutbox(blobId: string): OutboxRow | undefined {
    assertBlobId(blobId);
    return guard('reading the outbox', () => this.q.getOutbox.get({ blobId }) as OutboxRow | undefined);
  }

  /** Counts and bytes per outbox state, read from running totals (constant time at any size). */
  outboxSummary(): StateTotal<OutboxState>[] {
    return this.totals('outbox', OUTBOX_STATES);
  }

  /** Counts and bytes per held state, the donor's usage at a glance; constant time at 10^6 rows. */
  heldSummary(): StateTotal<HeldState>[] {
    return this.totals('held', HELD_STATES);
  }

  /** Records a replica we accepted; bytesReceived defaults to 0 (a transfer about to start). */
  addHeld(row: NewHeld): void {
    assertBlobId(row.blobId);
    const params = { ...row, bytesReceived: row.bytesReceived ?? 0 };
    guard(`recording held blob ${short(row.blobId)}`, () => this.q.addHeld.run(params));
  }

  /** One held row with its ticket, to deliver or re-verify it. */
  getHeld(blobId: string): HeldRow | undefined {
    assertBlobId(blobId);
    return guard('reading held blobs', () => this.q.getHeld.get({ blobId }) as HeldRow | undefined);
  }

  /** Moves a replica along its life; false when there is no such row (e.g. purged meanwhile). */
  setHeldState(blobId: string, state: HeldState): boolean {
    assertBlobId(blobId);
    return guard(`updating held blob ${short(blobId)}`, () => this.q.setHeldState.run({ blobId, state }).changes === 1);
  }

  /** A page of the held list, newest first; pass the last item of a page as `before` for the next. */
  heldPage(options: { before?: { receivedAt: number; blobId: string }; limit: number }): HeldListItem[] {
    const limit = clampLimit(options.limit);
    return guard('listing held blobs', () =>
      (options.before
        ? this.q.heldPageBefore.all({ receivedAt: options.before.receivedAt, blobId: options.before.blobId, limit })
        : this.q.heldPageFirst.all({ limit })) as HeldListItem[],
    );
  }

  /** Bytes we keep (or are receiving) for one origin, so one stranger cannot fill a donor (promise 4). */
  heldBytesByOrigin(originId: string): number {
    return guard('summing held bytes', () => (this.q.heldBytesByOrigin.get({ originId }) as { bytes: number }).bytes);
  }

  /** Bytes reserved for all origins together: what the donation cap is checked against. */
  heldReservedBytes(): number {
    return this.heldSummary()
      .filter((t) => HELD_RESERVED_STATES.includes(t.state))
      .reduce((sum, t) => sum + t.bytes, 0);
  }

  /** Forgets a replica (an abandoned or failed transfer); false when there was none. */
  deleteHeld(blobId: string): boolean {
    return guard('forgetting a held blob', () => this.q.deleteHeld.run({ blobId }).changes > 0);
  }

  /**
   * receiving → held once every byte arrived and verified. False when the reservation is no longer
   * receiving (expired, purged or deleted meanwhile): then nothing may be promised for it.
   */
  completeReceiving(blobId: string): boolean {
    return guard('updating a held blob', () => this.q.completeReceiving.run({ blobId }).changes > 0);
  }

  /** Transfers that were in progress, for resuming and for reconciling incoming/ at start. */
  receivingHeld(): HeldListItem[] {
    return guard('listing incoming blobs', () => this.q.receivingHeld.all() as HeldListItem[]);
  }

  /** Moves an own blob along its life (sealed → placing → placed → delivered). */
  setOutboxState(blobId: string, state: OutboxState): boolean {
    return guard('updating an outbox blob', () => this.q.setOutboxState.run({ blobId, state }).changes > 0);
  }

  /** sealed → placing once a first holder accepts; a blob already further along keeps its state. */
  startPlacing(blobId: string): void {
    guard('updating an outbox blob', () => this.q.startPlacing.run({ blobId }));
  }

  /**
   * Own blobs that may still need replicas: those with the fewest custody receipts first, then the
   * oldest. One copy of everything before a second of anything; and when fewer holders are around
   * than replicas wanted, blobs that already have all the copies they can get do not fill every
   * batch and starve the ones that have none. With `after`, the page that follows that row.
   */
  outboxToPlace(limit: number, after?: PlaceKey): PlaceableRow[] {
    const key = { afterStored: after?.stored ?? null, afterCreatedAt: after?.createdAt ?? null, afterBlobId: after?.blobId ?? null };
    return guard('listing blobs to place', () => this.q.outboxToPlace.all({ limit: clampLimit(limit), ...key }) as PlaceableRow[]);
  }

  /** Records where a replica of an own blob stands with one holder. */
  setPlacement(blobId: string, holderId: string, state: PlacementState, bytesSent = 0): void {
    guard('recording a placement', () => this.q.upsertPlacement.run({ blobId, holderId, state, bytesSent, now: this.now() }));
  }

  /** Every holder's placement of one own blob. */
  placementsOf(blobId: string): Placement[] {
    return guard('listing placements', () => this.q.placementsOf.all({ blobId }) as Placement[]);
  }

  /** Holders that sent a custody receipt for the blob. */
  storedCount(blobId: string): number {
    return guard('counting replicas', () => (this.q.storedCount.get({ blobId }) as { n: number }).n);
  }

  /** Own blobs (not yet delivered) that have at least `k` custody receipts. */
  placedCount(k: number): number {
    return guard('counting placed blobs', () => (this.q.placedSummary.get({ k }) as { n: number }).n);
  }

  /** Keeps a signed receipt (custody, delivery or release) as evidence. */
  addReceipt(receipt: { kind: 'custody' | 'delivery' | 'release'; blobId: string; signerId: string; body: Uint8Array; signature: Uint8Array }): void {
    guard('recording a receipt', () => this.q.addReceipt.run({ ...receipt, now: this.now() }));
  }

  /** The receipts kept for one blob. */
  receiptsOf(blobId: string): { kind: string; signerId: string; body: Uint8Array; signature: Uint8Array; createdAt: number }[] {
    return guard('listing receipts', () => this.q.receiptsOf.all({ blobId }) as { kind: string; signerId: string; body: Uint8Array; signature: Uint8Array; createdAt: number }[]);
  }

  /** Remembers a peer we linked with (name, address, free space) for lists and redials. */
  upsertPeer(peer: { deviceId: string; name: string; addresses: string[]; source: string; seenAt: number; freeBytes: number | null }): void {
    guard('recording a peer', () => this.q.upsertPeer.run({ ...peer, addresses: JSON.stringify(peer.addresses) }));
  }

  /** Peers seen, most recent first. */
  listPeers(limit: number): PeerRow[] {
    const rows = guard('listing peers', () => this.q.listPeers.all({ limit: clampLimit(limit) }) as (Omit<PeerRow, 'addresses'> & { addresses: string })[]);
    return rows.map((r) => ({ ...r, addresses: JSON.parse(r.addresses) as string[] }));
  }

  /** Replicas whose retention ended by `now`, in batches, for the purge. */
  expiredHeld(now: number, limit: number): string[] {
    const rows = guard('finding expired blobs', () => this.q.expiredHeld.all({ now, limit: clampLimit(limit) }));
    return (rows as { blobId: string }[]).map((r) => r.blobId);
  }

  /** Every row whose file must exist, sorted by blob ID so the store can merge it with its folders. */
  *allBlobRows(): Iterable<BlobRow> {
    // Paged by blob ID (>= plus skipping what was already yielded, in case one ID sits in both tables).
    let after = '';
    let yieldedAtAfter: string[] = [];
    for (;;) {
      const page = guard('listing blobs', () =>
        this.q.blobRowsFrom.all({ after, limit: BLOB_SCAN_PAGE + 1 }),
      ) as { blobId: string; size: number; tbl: 'outbox' | 'held'; state: BlobRow['state'] }[];
      for (const r of page) {
        if (r.blobId === after && yieldedAtAfter.includes(r.tbl)) continue;
        if (r.blobId !== after) yieldedAtAfter = [];
        after = r.blobId;
        yieldedAtAfter.push(r.tbl);
        yield { blobId: r.blobId, size: r.size, table: r.tbl, state: r.state };
      }
      if (page.length <= BLOB_SCAN_PAGE) return;
    }
  }

  /** Marks rows whose file is gone as lost, so nobody promises or delivers them; returns rows changed. */
  markLost(blobIds: Iterable<string>): number {
    return this.transaction(() => {
      let changed = 0;
      for (const blobId of blobIds) {
        changed += this.q.markOutboxLost.run({ blobId }).changes + this.q.markHeldLost.run({ blobId }).changes;
      }
      return changed;
    });
  }

  /** Sets where new blobs are sealed to, reusing the row for a known recipient (its history stays). */
  setDefaultDestination(card: { recipient: string; label: string }): Destination {
    if (!/^age1[02-9ac-hj-np-z]+$/.test(card.recipient)) {
      throw new InswarmError('E_BAD_RECIPIENT', 'The destination key must be an age recipient (age1…): copy it again from the receiver.');
    }
    return this.transaction(() => {
      const existing = this.q.destinationByRecipient.get({ recipient: card.recipient }) as { id: number } | undefined;
      this.q.clearDefaultDestination.run();
      if (existing) this.q.makeDefaultDestination.run({ id: existing.id, label: card.label });
      else this.q.addDefaultDestination.run({ recipient: card.recipient, label: card.label, now: this.now() });
      return this.getDefaultDestination() as Destination;
    });
  }

  /** Where new blobs go; undefined until the user picks one (sealing then fails with E_NO_DESTINATION). */
  getDefaultDestination(): Destination | undefined {
    const row = guard('reading destinations', () => this.q.defaultDestination.get()) as
      | (Omit<Destination, 'endpoint' | 'isDefault'> & { endpoint: string | null; isDefault: number })
      | undefined;
    if (!row) return undefined;
    return { ...row, endpoint: row.endpoint === null ? null : (JSON.parse(row.endpoint) as JsonValue), isDefault: row.isDefault === 1 };
  }

  /** A setting as stored; the caller checks its shape (the file may be older or edited by hand). */
  getSetting<T extends JsonValue = JsonValue>(key: string): T | undefined {
    const row = guard('reading settings', () => this.q.getSetting.get({ key })) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  /** Stores a setting durably, replacing any previous value. */
  setSetting(key: string, value: JsonValue): void {
    guard(`saving setting ${key}`, () => this.q.setSetting.run({ key, value: JSON.stringify(value) }));
  }

  /** Appends to the activity log and trims it to EVENTS_MAX_ROWS in the same commit; returns the id. */
  appendEvent(type: string, data: JsonValue = null): number {
    return this.transaction(() => {
      const id = Number(this.q.appendEvent.run({ at: this.now(), type, data: JSON.stringify(data) }).lastInsertRowid);
      this.q.trimEvents.run({ newest: id });
      return id;
    });
  }

  /** Events after `afterId` in order (to follow the log), or without it the newest `limit` (to show its tail). */
  listEvents(options: { afterId?: number; limit: number }): LedgerEvent[] {
    const limit = clampLimit(options.limit);
    const rows = guard('reading the activity log', () =>
      options.afterId === undefined
        ? this.q.eventsNewest.all({ limit })
        : this.q.eventsAfter.all({ afterId: options.afterId, limit }),
    ) as (Omit<LedgerEvent, 'data'> & { data: string })[];
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as JsonValue }));
  }

  /** The connection settings actually in effect, for `inswarm doctor` and for tests that hold us to them. */
  diagnostics(): { journalMode: string; synchronous: number; foreignKeys: number; busyTimeoutMs: number; userVersion: number; walFlushes: number } {
    const p = (name: string): unknown => this.db.pragma(name, { simple: true });
    return {
      journalMode: String(p('journal_mode')),
      synchronous: Number(p('synchronous')),
      foreignKeys: Number(p('foreign_keys')),
      busyTimeoutMs: Number(p('busy_timeout')),
      userVersion: Number(p('user_version')),
      walFlushes: this.walFlushes,
    };
  }

  private totals<S extends string>(kind: 'outbox' | 'held', order: readonly S[]): StateTotal<S>[] {
    const rows = guard('reading totals', () => this.q.totals.all({ kind })) as StateTotal<S>[];
    return rows.sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state));
  }
}

/** Maps SQLite and file errors to coded sentences; a constraint bug keeps SQLite's own message. */
function fromLedgerError(err: unknown, doing: string): unknown {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (err instanceof InswarmError || typeof code !== 'string' || !code.startsWith('SQLITE_')) return fromFsError(err, doing);
  const opts = { cause: err };
  if (code === 'SQLITE_FULL') return new InswarmError('E_DISK_FULL', `The disk filled up while ${doing}: free some space and try again.`, opts);
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new InswarmError('E_EXISTS', `The ledger already has this record (${doing}).`, opts);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new InswarmError('E_NOT_FOUND', `A record this refers to is missing (${doing}).`, opts);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new InswarmError('E_LEDGER', `The ledger is damaged (${doing}): restore it from a backup or move it away to start afresh.`, opts);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new InswarmError('E_LEDGER', `The ledger stayed locked by another Inswarm process while ${doing}: close the other one and try again.`, opts);
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new InswarmError('E_IO', `The ledger file could not be read or written (${code}) while ${doing}: check the disk and the folder's permissions.`, opts);
  }
  return err;
}

function guard<T>(doing: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromLedgerError(err, doing);
  }
}

function assertBlobId(id: string): void {
  if (typeof id !== 'string' || !BLOB_ID_PATTERN.test(id)) {
    throw new InswarmError('E_BLOB_ID', `"${String(id).slice(0, 80)}" is not a blob ID (64 lowercase hex characters).`);
  }
}

function clampLimit(limit: number): number {
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, LEDGER_MAX_PAGE) : LEDGER_MAX_PAGE;
}

const short = (blobId: string): string => `${blobId.slice(0, 8)}…`;
