// The composition root: builds a node from its parts (data folder → device identity → ledger →
// blob store) and hands each part its collaborators. Nothing else in the core reaches for globals.

import { mkdir } from 'node:fs/promises';
import type { NodeStatusView } from '../../shared/status.js';
import { dataLayout } from './data-dir.js';
import { fromFsError } from './errors.js';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from './identity/device-identity.js';
import { Ledger } from './ledger/ledger.js';
import { addToOutbox, type AddedBlob } from './outbox/add-files.js';
import type { SealInput } from './seal/seal.js';
import { BlobStore, type ReconcileReport } from './store/blob-store.js';

/** Expired replicas purged per ledger query, so a backlog never loads all IDs at once. */
const PURGE_BATCH = 500;

export interface NodeOptions {
  /** Reconcile blob files with the ledger (what `start` does); quick commands skip it. */
  readonly reconcile?: boolean;
  readonly now?: () => number;
}

/** One device's core: identity, ledger and blobs, opened from its data folder. */
export class InswarmNode {
  private constructor(
    readonly dataDir: string,
    readonly identity: DeviceIdentity,
    readonly ledger: Ledger,
    readonly store: BlobStore,
    readonly reconciled: ReconcileReport | null,
    private readonly now: () => number,
  ) {}

  /** Opens (creating on first use) the node whose data lives in `dataDir`. */
  static async open(dataDir: string, options: NodeOptions = {}): Promise<InswarmNode> {
    const layout = dataLayout(dataDir);
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fromFsError(err, `creating the data folder ${dataDir}`);
    }
    const now = options.now ?? Date.now;
    const identity = await loadOrCreateDeviceIdentity(layout.device);
    const ledger = Ledger.open(layout.ledger, { now });
    try {
      const store = new BlobStore(layout.blobs);
      let report: ReconcileReport | null = null;
      if (options.reconcile) {
        report = await store.reconcile(ledger.allBlobRows());
        if (report.lost.length > 0) ledger.markLost(report.lost);
        if (report.tempsRemoved + report.lost.length + report.quarantined.length > 0) {
          ledger.appendEvent('store:reconciled', { tempsRemoved: report.tempsRemoved, lost: report.lost.length, quarantined: report.quarantined.length });
        }
      }
      return new InswarmNode(dataDir, identity, ledger, store, report, now);
    } catch (err) {
      ledger.close();
      throw err;
    }
  }

  /** Seals each group (a file, or files that belong together) into the outbox. */
  addFiles(groups: readonly (readonly SealInput[])[]): Promise<AddedBlob[]> {
    return addToOutbox({ ledger: this.ledger, store: this.store, deviceId: this.identity.deviceId, now: this.now }, groups);
  }

  /**
   * Purges replicas whose retention ended (promise 4: donors keep nothing longer than agreed).
   * The row is marked first, then the file removed: a crash in between leaves a file without a
   * live row, which the next reconcile sets aside, never a live row without its file.
   */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    for (;;) {
      const ids = this.ledger.expiredHeld(this.now(), PURGE_BATCH);
      if (ids.length === 0) return purged;
      for (const blobId of ids) {
        this.ledger.transaction(() => {
          this.ledger.setHeldState(blobId, 'expired');
          this.ledger.appendEvent('blob:expired', { blobId });
        });
        await this.store.remove(blobId);
        purged++;
      }
    }
  }

  /** Counts and bytes per state, for `inswarm status` and the UI. */
  status(): NodeStatusView {
    const dest = this.ledger.getDefaultDestination();
    return {
      deviceId: this.identity.deviceId,
      dataDir: this.dataDir,
      destination: dest === undefined ? null : { label: dest.label, recipient: dest.recipient },
      outbox: this.ledger.outboxSummary(),
      held: this.ledger.heldSummary(),
    };
  }

  /** Closes the ledger; safe to call twice. */
  close(): void {
    this.ledger.close();
  }
}
