// The composition root: builds a node from its parts (data folder → device identity → ledger →
// blob store) and hands each part its collaborators. Nothing else in the core reaches for globals.

import { mkdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { NodeStatusView, RuntimeView } from '../../shared/status.js';
import { EventBus } from './events.js';
import { loadCaps, saveCaps, volumeOf, type Caps, type Volume } from './swarm/caps.js';
import { Swarm, type PeerAddress } from './swarm/swarm.js';
import type { SessionInit } from './protocol/session.js';
import { writeFileDurable } from './store/fsync.js';
import { dataLayout } from './data-dir.js';
import { fromFsError } from './errors.js';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from './identity/device-identity.js';
import { Ledger } from './ledger/ledger.js';
import { addToOutbox, type AddedBlob } from './outbox/add-files.js';
import type { SealInput } from './seal/seal.js';
import { BlobStore, type ReconcileReport } from './store/blob-store.js';

/** statfs results are reused this long for status and default caps (the floor check reads it fresh). */
const VOLUME_CACHE_MS = 2_000;
/** Where a running node publishes its live view for other processes. */
const RUNTIME_FILE = 'runtime.json';

/** Expired replicas purged per ledger query, so a backlog never loads all IDs at once. */
const PURGE_BATCH = 500;

export interface NodeOptions {
  /** Reconcile blob files with the ledger (what `start` does); quick commands skip it. */
  readonly reconcile?: boolean;
  readonly now?: () => number;
}

/** One device's core: identity, ledger and blobs, opened from its data folder. */
export class InswarmNode {
  readonly events = new EventBus();
  private swarm_: Swarm | null = null;
  private volumeCache: { at: number; volume: Volume } | null = null;

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

  /**
   * Free and total bytes of the data folder's volume, cached briefly for status and defaults;
   * `fresh` reads it now (the holder's free-disk floor check must not see bytes from 2 s ago).
   */
  async volume(options: { fresh?: boolean } = {}): Promise<Volume> {
    const t = this.now();
    if (options.fresh === true || this.volumeCache === null || t - this.volumeCache.at > VOLUME_CACHE_MS) {
      this.volumeCache = { at: t, volume: await volumeOf(this.dataDir) };
    }
    return this.volumeCache.volume;
  }

  /** The caps in force (saved over defaults for this volume). */
  caps(): Caps {
    return loadCaps(this.ledger, this.volumeCache?.volume ?? { freeBytes: 0, totalBytes: 0 });
  }

  /** Validates, saves and applies a caps change. */
  async setCaps(change: Partial<Caps>): Promise<Caps> {
    const caps = saveCaps(this.ledger, await this.volume(), change);
    this.swarm_?.capsChanged(caps);
    this.events.emit('caps:changed', { ...caps });
    return caps;
  }

  /** The swarm, once started. */
  get swarm(): Swarm | null {
    return this.swarm_;
  }

  /** Joins the swarm: listens for peers and starts placing own blobs. */
  async startSwarm(listen: PeerAddress, name = hostname(), init: { session?: SessionInit } = {}): Promise<PeerAddress> {
    if (this.swarm_ === null) {
      await this.volume();
      this.swarm_ = new Swarm({
        identity: this.identity,
        ledger: this.ledger,
        store: this.store,
        events: this.events,
        now: this.now,
        caps: () => this.caps(),
        volume: () => this.volume({ fresh: true }),
        incomingDir: join(this.dataDir, 'incoming'),
        name,
        ...(init.session === undefined ? {} : { session: init.session }),
      });
    }
    return this.swarm_.start(listen);
  }

  /** Publishes what only the running node knows, for `inswarm status` from another process. */
  async publishRuntime(runtime: Omit<RuntimeView, 'pid' | 'updatedAt'>): Promise<void> {
    const view: RuntimeView = { ...runtime, pid: process.pid, updatedAt: this.now() };
    await writeFileDurable(join(this.dataDir, RUNTIME_FILE), JSON.stringify(view));
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
        if (this.swarm_ !== null) {
          await this.swarm_.holder.purge(blobId, 'expired');
        } else {
          this.ledger.transaction(() => {
            this.ledger.setHeldState(blobId, 'expired');
            this.ledger.appendEvent('held:expired', { blobId });
          });
          await rm(join(this.dataDir, 'incoming', `${blobId}.part`), { force: true });
          await this.store.remove(blobId);
        }
        purged++;
      }
    }
  }

  /** Counts and bytes per state, caps, and the running node's live view, for `inswarm status` and the UI. */
  async status(): Promise<NodeStatusView> {
    await this.volume();
    const dest = this.ledger.getDefaultDestination();
    const caps = this.caps();
    return {
      deviceId: this.identity.deviceId,
      dataDir: this.dataDir,
      destination: dest === undefined ? null : { label: dest.label, recipient: dest.recipient },
      outbox: this.ledger.outboxSummary(),
      placed: this.ledger.placedCount(caps.replicas),
      held: this.ledger.heldSummary(),
      caps,
      running: await this.readRuntime(),
    };
  }

  private async readRuntime(): Promise<RuntimeView | null> {
    let view: RuntimeView;
    try {
      view = JSON.parse(await readFile(join(this.dataDir, RUNTIME_FILE), 'utf8')) as RuntimeView;
    } catch {
      return null;
    }
    if (view.pid === process.pid) return view;
    try {
      process.kill(view.pid, 0); // is that node still alive?
      return view;
    } catch {
      return null;
    }
  }

  /** Leaves the swarm and closes the ledger; safe to call twice. */
  async close(): Promise<void> {
    await this.swarm_?.stop();
    this.ledger.close();
  }
}
