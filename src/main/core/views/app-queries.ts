// The read side of the desktop app: the held list sorted three ways, "My backups" with replica
// counts, recent deliveries and per-destination progress. Every list is a page (offset + limit,
// both capped by the contract) read through an index, so a window over 10^6 held rows stays fast.

import type { DomainQueries, Ledger } from '../ledger/ledger.js';
import { HELD_RESERVED_STATES } from '../ledger/ledger.js';

const LIVE_HELD = HELD_RESERVED_STATES.map((s) => `'${s}'`).join(', ');
const HELD_COLUMNS = `blob_id AS blobId, size, origin_id AS originId, received_at AS receivedAt, expires_at AS expiresAt,
  bytes_received AS bytesReceived, state`;
/** ORDER BY per sort key; each has an index ending in blob_id, so pages are stable on ties. */
const HELD_ORDER = {
  received: { column: 'received_at', index: 'held_live_by_received' },
  size: { column: 'size', index: 'held_live_by_size' },
  expires: { column: 'expires_at', index: 'held_live_by_expires' },
} as const;

const BACKUP_STATES = {
  all: `('sealed', 'placing', 'placed', 'delivered', 'lost')`,
  pending: `('sealed', 'placing')`,
  placed: `('placed')`,
  delivered: `('delivered')`,
} as const;

/**
 * A page of live replicas in one order. The inner query walks the partial index of that order
 * (004-held-list.sql) and skips `offset` entries without touching the table; the outer one fetches
 * only the rows of the page. The IN list must read exactly as in the index's WHERE for SQLite to use it.
 */
function heldPageSql(order: { column: string; index: string }, dir: 'ASC' | 'DESC'): string {
  const by = `ORDER BY ${order.column} ${dir}, blob_id ${dir}`;
  // INDEXED BY: left to itself the planner prefers held_by_expiry's state prefix and sorts 10^6 rows.
  return `SELECT ${HELD_COLUMNS} FROM held WHERE rowid IN (
      SELECT rowid FROM held INDEXED BY ${order.index} WHERE state IN (${LIVE_HELD}) ${by} LIMIT @limit OFFSET @offset
    ) ${by}`;
}

function backupsSql(states: string): string {
  return `SELECT o.blob_id AS blobId, o.label, o.file_count AS fileCount, o.size, o.captured_at AS capturedAt, o.created_at AS createdAt,
      o.state, d.label AS destination,
      (SELECT count(*) FROM placements p WHERE p.blob_id = o.blob_id AND p.state IN ('stored', 'released')) AS replicas,
      (SELECT f.name FROM outbox_files f WHERE f.blob_id = o.blob_id AND f.idx = 0) AS firstName
    FROM outbox o JOIN destinations d ON d.id = o.destination_id
    WHERE o.state IN ${states} ORDER BY o.created_at DESC, o.blob_id DESC LIMIT @limit OFFSET @offset`;
}

const SQL = {
  heldReceivedAsc: heldPageSql(HELD_ORDER.received, 'ASC'),
  heldReceivedDesc: heldPageSql(HELD_ORDER.received, 'DESC'),
  heldSizeAsc: heldPageSql(HELD_ORDER.size, 'ASC'),
  heldSizeDesc: heldPageSql(HELD_ORDER.size, 'DESC'),
  heldExpiresAsc: heldPageSql(HELD_ORDER.expires, 'ASC'),
  heldExpiresDesc: heldPageSql(HELD_ORDER.expires, 'DESC'),
  heldOrigins: `SELECT count(DISTINCT origin_id) AS n FROM held WHERE state IN (${LIVE_HELD})`,
  backupsAll: backupsSql(BACKUP_STATES.all),
  backupsPending: backupsSql(BACKUP_STATES.pending),
  backupsPlaced: backupsSql(BACKUP_STATES.placed),
  backupsDelivered: backupsSql(BACKUP_STATES.delivered),
  // Active and failed first, then the most recent.
  recentDeliveries: `SELECT d.blob_id AS blobId, d.state, d.attempts, d.bytes_sent AS bytesSent, d.last_error AS lastError,
      d.next_attempt_at AS nextAttemptAt, d.updated_at AS updatedAt, d.target_kind AS targetKind,
      coalesce(o.size, h.size, 0) AS size, CASE WHEN o.blob_id IS NOT NULL THEN 'outbox' ELSE 'held' END AS source,
      t.label AS destination
    FROM deliveries d LEFT JOIN outbox o ON o.blob_id = d.blob_id LEFT JOIN held h ON h.blob_id = d.blob_id
      LEFT JOIN destinations t ON t.id = d.destination_id
    ORDER BY CASE d.state WHEN 'uploading' THEN 0 WHEN 'checking' THEN 1 WHEN 'failed' THEN 2 ELSE 3 END, d.updated_at DESC
    LIMIT @limit`,
  perDestination: `SELECT t.label, t.endpoint,
      sum(CASE WHEN o.state IN ('sealed', 'placing', 'placed') THEN 1 ELSE 0 END) AS pending,
      sum(CASE WHEN o.state IN ('sealed', 'placing', 'placed') THEN o.size ELSE 0 END) AS pendingBytes,
      sum(CASE WHEN o.state = 'delivered' THEN 1 ELSE 0 END) AS delivered
    FROM destinations t LEFT JOIN outbox o ON o.destination_id = t.id GROUP BY t.id ORDER BY t.id`,
  retry: `UPDATE deliveries SET next_attempt_at = NULL WHERE blob_id = @blobId AND state <> 'delivered'`,
} as const;

export interface HeldPageRow {
  blobId: string;
  size: number;
  originId: string;
  receivedAt: number;
  expiresAt: number;
  bytesReceived: number;
  state: string;
}

export interface BackupRow {
  blobId: string;
  label: string;
  fileCount: number;
  size: number;
  capturedAt: number | null;
  createdAt: number;
  state: string;
  destination: string;
  replicas: number;
  firstName: string | null;
}

export interface RecentDeliveryRow {
  blobId: string;
  state: string;
  attempts: number;
  bytesSent: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  updatedAt: number;
  targetKind: string | null;
  size: number;
  source: 'outbox' | 'held';
  destination: string | null;
}

export interface DestinationProgressRow {
  label: string;
  endpoint: string | null;
  pending: number;
  pendingBytes: number;
  delivered: number;
}

type HeldKey = `held${'Received' | 'Size' | 'Expires'}${'Asc' | 'Desc'}`;

export class AppQueries {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(private readonly ledger: Ledger) {
    this.q = ledger.prepare(SQL);
  }

  heldPage(sort: keyof typeof HELD_ORDER, dir: 'asc' | 'desc', offset: number, limit: number): HeldPageRow[] {
    const key = `held${capital(sort)}${capital(dir)}` as HeldKey;
    return this.ledger.guarded('reading the held list', () => this.q[key].all({ offset, limit })) as HeldPageRow[];
  }

  /** How many distinct origins the live replicas belong to. */
  heldOrigins(): number {
    return (this.ledger.guarded('counting origins', () => this.q.heldOrigins.get()) as { n: number }).n;
  }

  backups(filter: keyof typeof BACKUP_STATES, offset: number, limit: number): BackupRow[] {
    const key = `backups${capital(filter)}` as `backups${'All' | 'Pending' | 'Placed' | 'Delivered'}`;
    return this.ledger.guarded('reading own blobs', () => this.q[key].all({ offset, limit })) as BackupRow[];
  }

  recentDeliveries(limit: number): RecentDeliveryRow[] {
    return this.ledger.guarded('reading deliveries', () => this.q.recentDeliveries.all({ limit })) as RecentDeliveryRow[];
  }

  perDestination(): DestinationProgressRow[] {
    return this.ledger.guarded('reading destinations', () => this.q.perDestination.all()) as DestinationProgressRow[];
  }

  /** Ends a delivery's backoff so the next pass tries it at once. */
  retryNow(blobId: string): boolean {
    return this.ledger.guarded('retrying a delivery', () => this.q.retry.run({ blobId })).changes > 0;
  }
}

function capital<T extends string>(s: T): Capitalize<T> {
  return (s.charAt(0).toUpperCase() + s.slice(1)) as Capitalize<T>;
}
