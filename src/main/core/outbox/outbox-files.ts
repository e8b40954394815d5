// The files sealed into each own blob (name, where they were added from, hash, capture time): what
// "My backups" shows and where its thumbnails come from. Written in the transaction that records
// the blob in the outbox; rows go with the outbox row (ON DELETE CASCADE).

import type { DomainQueries, Ledger } from '../ledger/ledger.js';

/** One file sealed into an own blob. */
export interface OutboxFileRow {
  idx: number;
  name: string;
  /** Absolute path it was added from; it may have moved or gone since. */
  sourcePath: string;
  size: number;
  sha256: string;
  capturedAt: number | null;
}

const SQL = {
  add: `INSERT INTO outbox_files (blob_id, idx, name, source_path, size, sha256, captured_at)
    VALUES (@blobId, @idx, @name, @sourcePath, @size, @sha256, @capturedAt)`,
  of: `SELECT idx, name, source_path AS sourcePath, size, sha256, captured_at AS capturedAt FROM outbox_files WHERE blob_id = @blobId ORDER BY idx`,
} as const;

export class OutboxFiles {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(private readonly ledger: Ledger) {
    this.q = ledger.prepare(SQL);
  }

  /** Call inside the transaction that adds the outbox row. */
  add(row: OutboxFileRow & { blobId: string }): void {
    this.ledger.guarded('recording a file of an own blob', () => this.q.add.run(row));
  }

  /** The files of an own blob, in archive order. */
  of(blobId: string): OutboxFileRow[] {
    return this.ledger.guarded("reading an own blob's files", () => this.q.of.all({ blobId })) as OutboxFileRow[];
  }
}
