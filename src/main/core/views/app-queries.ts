// The read side of the desktop app: the held list sorted three ways (held-list.ts), "My backups"
// with replica counts, recent deliveries and per-destination progress. Every list is a page (offset
// + limit, both capped by the contract) read through an index, so a window over 10^6 held rows stays fast.

import type { DomainQueries, Ledger } from '../ledger/ledger.js';
import { HeldList, type HeldDir, type HeldListOptions, type HeldPageRow, type HeldSort } from './held-list.js';

export type { HeldPageRow } from './held-list.js';

const BACKUP_STATES = {
  all: `('sealed', 'placing', 'placed', 'delivered', 'lost')`,
  pending: `('sealed', 'placing')`,
  placed: `('placed')`,
  delivered: `('delivered')`,
} as const;

function backupsSql(states: string): string {
  return `SELECT o.blob_id AS blobId, o.label, o.file_count AS fileCount, o.size, o.captured_at AS capturedAt, o.created_at AS createdAt,
      o.state, d.label AS destination,
      (SELECT count(*) FROM placements p WHERE p.blob_id = o.blob_id AND p.state IN ('stored', 'released')) AS replicas,
      (SELECT f.name FROM outbox_files f WHERE f.blob_id = o.blob_id AND f.idx = 0) AS firstName
    FROM outbox o JOIN destinations d ON d.id = o.destination_id
    WHERE o.state IN ${states} ORDER BY o.created_at DESC, o.blob_id DESC LIMIT @limit OFFSET @offset`;
}

const SQL = {
  // One row per origin with live replicas, kept by 005's triggers: O(origins), not O(rows).
  heldOrigins: `SELECT count(*) AS n FROM held_origins`,
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

export class AppQueries {
  private readonly q: DomainQueries<keyof typeof SQL>;
  private readonly held: HeldList;

  constructor(
    private readonly ledger: Ledger,
    options: { held?: HeldListOptions } = {},
  ) {
    this.q = ledger.prepare(SQL);
    this.held = new HeldList(ledger, options.held);
  }

  /** A page of live replicas in one order, as fast at offset 10^6 as at 0 (see held-list.ts). */
  heldPage(sort: HeldSort, dir: HeldDir, offset: number, limit: number): HeldPageRow[] {
    return this.held.page(sort, dir, offset, limit);
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
