// The ledger side of delivery: which blobs are due, each delivery's state and retry time, and
// which holders still keep copies of blobs that are already delivered (they get a release).

import type { DomainQueries, Ledger } from '../ledger/ledger.js';
import type { DeliveryTargetKind } from './endpoint.js';

export type DeliveryState = 'pending' | 'checking' | 'uploading' | 'delivered' | 'failed';

export interface DeliveryRow {
  readonly blobId: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly bytesSent: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: number | null;
  readonly targetKind: string | null;
  readonly updatedAt: number;
}

/** An own blob due for delivery. */
export interface DueOwn {
  readonly blobId: string;
  readonly size: number;
  readonly destinationId: number;
}

/** A held replica due for delivery; `ticket` is the origin's Signed JSON as stored. */
export interface DueHeld {
  readonly blobId: string;
  readonly size: number;
  readonly originId: string;
  readonly expiresAt: number;
  readonly ticket: Uint8Array;
}

const NOT_WAITING = `(d.blob_id IS NULL OR d.state <> 'delivered' AND coalesce(d.next_attempt_at, 0) <= @now)`;

const SQL = {
  get: `SELECT blob_id AS blobId, state, attempts, bytes_sent AS bytesSent, last_error AS lastError,
    next_attempt_at AS nextAttemptAt, target_kind AS targetKind, updated_at AS updatedAt FROM deliveries WHERE blob_id = @blobId`,
  begin: `INSERT INTO deliveries (blob_id, destination_id, state, attempts, bytes_sent, target_kind, updated_at)
    VALUES (@blobId, @destinationId, 'checking', 1, 0, @targetKind, @now)
    ON CONFLICT (blob_id) DO UPDATE SET state = 'checking', attempts = attempts + 1, bytes_sent = 0,
      target_kind = excluded.target_kind, updated_at = excluded.updated_at`,
  setState: `UPDATE deliveries SET state = @state, bytes_sent = @bytesSent, updated_at = @now WHERE blob_id = @blobId`,
  delivered: `UPDATE deliveries SET state = 'delivered', bytes_sent = @bytesSent, last_error = NULL, next_attempt_at = NULL,
    updated_at = @now WHERE blob_id = @blobId`,
  failed: `UPDATE deliveries SET state = 'failed', last_error = @error, next_attempt_at = @retryAt, updated_at = @now WHERE blob_id = @blobId`,
  dueOwn: `SELECT o.blob_id AS blobId, o.size, o.destination_id AS destinationId FROM outbox o
    JOIN destinations t ON t.id = o.destination_id AND t.endpoint IS NOT NULL
    LEFT JOIN deliveries d ON d.blob_id = o.blob_id
    WHERE o.state IN ('sealed', 'placing', 'placed') AND o.blob_id > @after AND ${NOT_WAITING}
    ORDER BY o.blob_id LIMIT @limit`,
  dueHeld: `SELECT h.blob_id AS blobId, h.size, h.origin_id AS originId, h.expires_at AS expiresAt, h.ticket FROM held h
    LEFT JOIN deliveries d ON d.blob_id = h.blob_id
    WHERE h.state = 'held' AND h.expires_at > @now AND h.blob_id > @after AND ${NOT_WAITING}
    ORDER BY h.blob_id LIMIT @limit`,
  toRelease: `SELECT p.blob_id AS blobId FROM placements p JOIN outbox o ON o.blob_id = p.blob_id
    WHERE p.holder_id = @holderId AND p.state = 'stored' AND o.state = 'delivered' LIMIT @limit`,
  released: `UPDATE placements SET state = 'released', updated_at = @now WHERE blob_id = @blobId AND holder_id = @holderId`,
  setEndpointless: `SELECT count(*) AS n FROM outbox o JOIN destinations t ON t.id = o.destination_id
    WHERE o.state IN ('sealed', 'placing', 'placed') AND t.endpoint IS NULL`,
  summary: `SELECT state, count(*) AS count, coalesce(sum(bytes_sent), 0) AS bytes FROM deliveries GROUP BY state`,
} as const;

export class DeliveryStore {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(
    readonly ledger: Ledger,
    private readonly now: () => number,
  ) {
    this.q = ledger.prepare(SQL);
  }

  get(blobId: string): DeliveryRow | undefined {
    return this.ledger.guarded('reading a delivery', () => this.q.get.get({ blobId })) as DeliveryRow | undefined;
  }

  /** Own blobs with a delivery endpoint, not delivered and not waiting out a backoff; paged by blob ID. */
  dueOwn(after: string, limit: number): DueOwn[] {
    return this.ledger.guarded('listing blobs to deliver', () => this.q.dueOwn.all({ after, limit, now: this.now() })) as DueOwn[];
  }

  /** Held replicas not expired, not delivered and not waiting out a backoff; paged by blob ID. */
  dueHeld(after: string, limit: number): DueHeld[] {
    return this.ledger.guarded('listing replicas to deliver', () => this.q.dueHeld.all({ after, limit, now: this.now() })) as DueHeld[];
  }

  /** Own blobs whose destination has no endpoint (set with a bare recipient): restored by hand. */
  endpointlessCount(): number {
    return (this.ledger.guarded('counting blobs', () => this.q.setEndpointless.get()) as { n: number }).n;
  }

  begin(blobId: string, destinationId: number | null, targetKind: DeliveryTargetKind): void {
    this.ledger.guarded('starting a delivery', () => this.q.begin.run({ blobId, destinationId, targetKind, now: this.now() }));
  }

  setState(blobId: string, state: 'checking' | 'uploading', bytesSent: number): void {
    this.ledger.guarded('updating a delivery', () => this.q.setState.run({ blobId, state, bytesSent, now: this.now() }));
  }

  /** Call inside the transaction that also records the proof and the blob's new state. */
  delivered(blobId: string, bytesSent: number): void {
    this.ledger.guarded('recording a delivery', () => this.q.delivered.run({ blobId, bytesSent, now: this.now() }));
  }

  failed(blobId: string, error: string, retryAt: number): void {
    this.ledger.guarded('recording a failed delivery', () => this.q.failed.run({ blobId, error, retryAt, now: this.now() }));
  }

  /** Delivered own blobs this holder still keeps (placement 'stored'). */
  toRelease(holderId: string, limit: number): string[] {
    return (this.ledger.guarded('listing releases', () => this.q.toRelease.all({ holderId, limit })) as { blobId: string }[]).map((r) => r.blobId);
  }

  released(blobId: string, holderId: string): void {
    this.ledger.guarded('recording a release', () => this.q.released.run({ blobId, holderId, now: this.now() }));
  }

  summary(): { state: DeliveryState; count: number; bytes: number }[] {
    return this.ledger.guarded('summing deliveries', () => this.q.summary.all()) as { state: DeliveryState; count: number; bytes: number }[];
  }
}
