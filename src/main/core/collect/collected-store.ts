// What `collect` has taken from each inbox (the `collected` table), so a second run fetches only
// new objects and `--delete` removes only what was opened and recorded.

import type { DomainQueries, Ledger } from '../ledger/ledger.js';

export type CollectedState = 'opened' | 'failed' | 'deleted';

export interface CollectedRow {
  readonly blobId: string;
  readonly size: number;
  readonly state: CollectedState;
  readonly error: string | null;
  readonly collectedAt: number;
}

const SQL = {
  get: `SELECT blob_id AS blobId, size, state, error, collected_at AS collectedAt FROM collected WHERE source = @source AND key = @key`,
  record: `INSERT INTO collected (source, key, blob_id, size, state, error, collected_at)
    VALUES (@source, @key, @blobId, @size, @state, @error, @now)
    ON CONFLICT (source, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size,
      state = excluded.state, error = excluded.error, collected_at = excluded.collected_at`,
  markDeleted: `UPDATE collected SET state = 'deleted', collected_at = @now
    WHERE source = @source AND key = @key AND state IN ('opened', 'deleted')`,
} as const;

/** The `collected` rows of one inbox source. */
export class CollectedStore {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(
    private readonly ledger: Ledger,
    private readonly source: string,
    private readonly now: () => number = Date.now,
  ) {
    this.q = ledger.prepare(SQL);
  }

  get(key: string): CollectedRow | undefined {
    return this.ledger.guarded('reading what was collected', () => this.q.get.get({ source: this.source, key })) as CollectedRow | undefined;
  }

  /** Records an object as opened into the library, or as failed with the sentence why. */
  record(key: string, row: { blobId: string; size: number; state: 'opened' | 'failed'; error?: string }): void {
    this.ledger.guarded('recording a collected object', () =>
      this.q.record.run({ source: this.source, key, blobId: row.blobId, size: row.size, state: row.state, error: row.error ?? null, now: this.now() }),
    );
  }

  /** Marks an opened object as deleted from its inbox; false when it was not recorded as opened. */
  markDeleted(key: string): boolean {
    return this.ledger.guarded('recording a deleted object', () => this.q.markDeleted.run({ source: this.source, key, now: this.now() })).changes === 1;
  }
}
