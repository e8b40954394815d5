// The receiver's rows in the ledger: origin devices whose tickets it accepts, and blobs it has
// received (what HEAD and a repeated PUT answer from). Tables in sql/002-delivery.sql.

import { parseDeviceId } from '../identity/device-id.js';
import type { DomainQueries, Ledger } from '../ledger/ledger.js';
import { LEDGER_MAX_PAGE } from '../limits.js';

/** An origin device allowed to deliver here. */
export interface EnrolledOrigin {
  readonly deviceId: string;
  readonly label: string;
  readonly addedAt: number;
}

/** A blob this receiver accepted and opened into the library. */
export interface ReceivedRow {
  readonly blobId: string;
  readonly originId: string;
  readonly size: number;
  readonly fileCount: number;
  readonly receivedAt: number;
}

/** Longest label kept for an enrolled origin (it is shown in one list line). */
export const ENROLL_LABEL_MAX_CHARS = 64;

const SQL = {
  enroll: `INSERT INTO enrolled_origins (device_id, label, added_at) VALUES (@deviceId, @label, @addedAt)
    ON CONFLICT (device_id) DO UPDATE SET label = excluded.label`,
  unenroll: `DELETE FROM enrolled_origins WHERE device_id = @deviceId`,
  isEnrolled: `SELECT 1 AS yes FROM enrolled_origins WHERE device_id = @deviceId`,
  enrolledPage: `SELECT device_id AS deviceId, label, added_at AS addedAt FROM enrolled_origins
    ORDER BY added_at, device_id LIMIT @limit`,
  getReceived: `SELECT blob_id AS blobId, origin_id AS originId, size, file_count AS fileCount, received_at AS receivedAt
    FROM received WHERE blob_id = @blobId`,
  addReceived: `INSERT INTO received (blob_id, origin_id, size, file_count, received_at)
    VALUES (@blobId, @originId, @size, @fileCount, @receivedAt)`,
  receivedFrom: `SELECT blob_id AS blobId, size FROM received WHERE blob_id > @after ORDER BY blob_id LIMIT @limit`,
} as const;

export class ReceiverStore {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {
    this.q = ledger.prepare(SQL);
  }

  /** Allows `deviceId` (any spelling parseDeviceId reads) to deliver here; re-enrolling updates the label. */
  enroll(deviceId: string, label = ''): EnrolledOrigin {
    const canonical = parseDeviceId(deviceId);
    const row = { deviceId: canonical, label: cleanLabel(label), addedAt: this.now() };
    this.ledger.guarded('enrolling an origin device', () => this.q.enroll.run(row));
    return row;
  }

  /** Stops accepting tickets from `deviceId`; false when it was not enrolled. Blobs received stay. */
  unenroll(deviceId: string): boolean {
    const canonical = parseDeviceId(deviceId);
    return this.ledger.guarded('removing an enrolled origin', () => this.q.unenroll.run({ deviceId: canonical }).changes > 0);
  }

  /** True when tickets signed by `deviceId` (canonical form) are accepted. */
  isEnrolled(deviceId: string): boolean {
    return this.ledger.guarded('reading enrolled origins', () => this.q.isEnrolled.get({ deviceId }) !== undefined);
  }

  /** Enrolled origins, oldest first (at most one ledger page). */
  enrolled(): EnrolledOrigin[] {
    return this.ledger.guarded('listing enrolled origins', () => this.q.enrolledPage.all({ limit: LEDGER_MAX_PAGE }) as EnrolledOrigin[]);
  }

  /** The received row of a blob, if it arrived. */
  received(blobId: string): ReceivedRow | undefined {
    return this.ledger.guarded('reading received blobs', () => this.q.getReceived.get({ blobId }) as ReceivedRow | undefined);
  }

  /** Records a received blob and its event in one commit; the blob file is already durable. */
  addReceived(row: ReceivedRow, event: { type: string; data: Record<string, string | number> }): void {
    this.ledger.transaction(() => {
      this.q.addReceived.run(row);
      this.ledger.appendEvent(event.type, event.data);
    });
  }

  /** Every received blob's ID and size in ID order, paged, as BlobStore.reconcile() wants them. */
  *allReceived(): Iterable<{ blobId: string; size: number }> {
    let after = '';
    for (;;) {
      const page = this.ledger.guarded('listing received blobs', () => this.q.receivedFrom.all({ after, limit: LEDGER_MAX_PAGE })) as { blobId: string; size: number }[];
      yield* page;
      if (page.length < LEDGER_MAX_PAGE) return;
      after = page[page.length - 1]!.blobId;
    }
  }
}

/** One printable line, bounded: labels come from the command line and are shown in lists. */
function cleanLabel(label: string): string {
  return label.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, ENROLL_LABEL_MAX_CHARS);
}
