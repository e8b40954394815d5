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
import { addToOutbox, type AddedBlob, type AddOptions } from './outbox/add-files.js';
import type { SealInput } from './seal/seal.js';
import { BlobStore, type ReconcileReport } from './store/blob-store.js';
import { deliveryClients, ticketTarget } from './delivery/clients.js';
import { DestinationStore } from './delivery/destinations.js';
import { Deliverer, type DeliveryClients, type FlushReport } from './delivery/flush.js';
import { HomeWatch } from './delivery/home-watch.js';
import { probeForPlatform, type NetworkProbe } from './homenet/fingerprint.js';
import { HomeNetworkStore } from './homenet/home-networks.js';
import { TokenBucket } from './swarm/token-bucket.js';
import { Intake } from './intake/intake.js';
import { sourceRoots } from './intake/resolve.js';
import { Thumbnails } from './thumbs/thumbnails.js';
import type { SourceRoots } from './intake/sources.js';
import type { UsbProbe } from './intake/usb-probe.js';
import { SharedRun } from './shared-run.js';

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
  /** How this device reaches destinations; defaults to the real receiver, S3 and folder clients. */
  readonly clients?: DeliveryClients;
  /** How this device tells which network it is on; defaults to this OS's probe. */
  readonly probe?: NetworkProbe;
  /** Where phones, cameras and cards are looked for (default: this OS's mount folders, or INSWARM_SOURCE_ROOTS). */
  readonly sourceRoots?: SourceRoots;
  /** Look for PTP cameras through gphoto2 (default true). */
  readonly ptp?: boolean;
  /** The USB bus PTP cameras are found on (default: this machine's, through gphoto2). */
  readonly usb?: UsbProbe;
}

/** One device's core: identity, ledger and blobs, opened from its data folder. */
export class InswarmNode {
  readonly events = new EventBus();
  readonly destinations: DestinationStore;
  readonly homes: HomeNetworkStore;
  readonly deliverer: Deliverer;
  /** Importing from phones, cameras and cards (the app's Import view). */
  readonly intake: Intake;
  /** Thumbnails for the app's grids, cached in the data folder; sharp loads on the first one. */
  readonly thumbnails: Thumbnails;
  /** The delivery upload cap, shared by all deliveries. */
  private readonly deliveryBandwidth: TokenBucket;
  private homeWatch_: HomeWatch | null = null;
  /** Aborted by close(): running deliveries stop before the ledger closes. */
  private readonly closing = new AbortController();
  private swarm_: Swarm | null = null;
  private volumeCache: { at: number; volume: Volume } | null = null;
  /** statfs, shared by callers that asked at once (each still sees the volume as of its call). */
  private readonly volumeRead = new SharedRun(() => volumeOf(this.dataDir));

  private constructor(
    readonly dataDir: string,
    readonly identity: DeviceIdentity,
    readonly ledger: Ledger,
    readonly store: BlobStore,
    readonly reconciled: ReconcileReport | null,
    private readonly now: () => number,
    private readonly options: NodeOptions,
  ) {
    this.destinations = new DestinationStore(ledger);
    this.homes = new HomeNetworkStore(ledger);
    this.deliveryBandwidth = new TokenBucket(null);
    this.deliverer = new Deliverer({
      identity,
      ledger,
      store,
      events: this.events,
      clients: options.clients ?? deliveryClients(now),
      bandwidth: this.deliveryBandwidth,
      concurrency: () => this.caps().deliveries,
      endpointOf: (id) => this.destinations.get(id).card.endpoint,
      purgeHeld: (blobId) => this.purgeHeld(blobId, 'delivered'),
      now,
    });
    this.intake = new Intake({
      ledger,
      events: this.events,
      dataDir,
      seal: (groups) => this.addFiles(groups),
      hasDestination: () => this.destinations.getDefault() !== undefined,
      roots: options.sourceRoots ?? sourceRoots(),
      ...(options.ptp === undefined ? {} : { ptp: options.ptp }),
      ...(options.usb === undefined ? {} : { usb: options.usb }),
      now,
    });
    this.thumbnails = new Thumbnails({ dir: dataLayout(dataDir).thumbs, log: (type, data) => ledger.appendEvent(type, data) });
  }

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
      const node = new InswarmNode(dataDir, identity, ledger, store, report, now, options);
      node.deliveryBandwidth.setRate(node.caps().deliverBytesPerSec);
      return node;
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
      this.volumeCache = { at: t, volume: await this.volumeRead.run() };
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
    this.applyCaps(caps);
    this.events.emit('caps:changed', { ...caps });
    return caps;
  }

  /** Puts caps in force in the running parts (also for caps another process saved). */
  applyCaps(caps: Caps): void {
    this.swarm_?.capsChanged(caps);
    this.deliveryBandwidth.setRate(caps.deliverBytesPerSec);
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
        targetFor: (blob, expires) => ticketTarget(this.destinations.get(blob.destinationId).card.endpoint, blob, expires, this.now()),
        ...(init.session === undefined ? {} : { session: init.session }),
      });
    }
    return this.swarm_.start(listen);
  }

  /** Delivers everything deliverable now, wherever this device is (`inswarm deliver --now`). */
  deliverNow(): Promise<FlushReport> {
    return this.deliverer.flush(this.closing.signal);
  }

  /** Watches the network and delivers whenever it is one of the home networks. */
  watchHome(intervals: { checkIntervalMs?: number; flushIntervalMs?: number } = {}): HomeWatch {
    this.homeWatch_ ??= new HomeWatch({
      probe: this.options.probe ?? probeForPlatform(),
      isHome: (fp) => this.homes.isHome(fp),
      flush: () => this.deliverer.flush(this.closing.signal),
      events: this.events,
      log: (type, data) => this.ledger.appendEvent(type, data),
      ...intervals,
    });
    this.homeWatch_.start();
    return this.homeWatch_;
  }

  get homeWatch(): HomeWatch | null {
    return this.homeWatch_;
  }

  /** Publishes what only the running node knows, for `inswarm status` from another process. */
  async publishRuntime(runtime: Omit<RuntimeView, 'pid' | 'updatedAt'>): Promise<void> {
    const view: RuntimeView = { ...runtime, pid: process.pid, updatedAt: this.now() };
    await writeFileDurable(join(this.dataDir, RUNTIME_FILE), JSON.stringify(view));
  }

  /** Seals each group (a file, or files that belong together) into the outbox. */
  addFiles(groups: readonly (readonly SealInput[])[], options: AddOptions = {}): Promise<AddedBlob[]> {
    const parts = { ledger: this.ledger, store: this.store, deviceId: this.identity.deviceId, now: this.now, destinations: this.destinations };
    return addToOutbox(parts, groups, options).then((added) => {
      this.swarm_?.placement.kick();
      return added;
    });
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
        await this.purgeHeld(blobId, 'expired');
        purged++;
      }
    }
  }

  /**
   * Drops a held replica: through the running holder (which also ends a receive in progress), or
   * directly when no swarm runs. Row first, then bytes (see purgeExpired).
   */
  private async purgeHeld(blobId: string, state: 'expired' | 'delivered'): Promise<void> {
    if (this.swarm_ !== null) {
      await this.swarm_.holder.purge(blobId, state);
      return;
    }
    this.ledger.transaction(() => {
      this.ledger.setHeldState(blobId, state);
      this.ledger.appendEvent(state === 'expired' ? 'held:expired' : 'held:released', { blobId });
    });
    await rm(join(this.dataDir, 'incoming', `${blobId}.part`), { force: true });
    await this.store.remove(blobId);
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
      deliveries: this.deliverer.deliveries.summary(),
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
    await this.intake.stop();
    await this.homeWatch_?.stop();
    this.closing.abort();
    await this.deliverer.idle();
    await this.swarm_?.stop();
    await this.thumbnails.close();
    this.ledger.close();
  }
}
