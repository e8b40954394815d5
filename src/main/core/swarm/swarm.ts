// The swarm: joins links, sessions, the holder and placement. Every link becomes a Session whose
// handler is this device's Holder; every session that said hello becomes a PeerLink placement can
// use. Peers to dial come from manual addresses and discovery; dropped links are redialed with
// backoff. This file owns the peer table the status and the UI show.

import type { PeerStatusView } from '../../../shared/status.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import type { EventBus } from '../events.js';
import type { Ledger } from '../ledger/ledger.js';
import { LinkManager, type Link } from '../links/link-manager.js';
import { Session, peerTransferLimit, transfersCapability, type SessionInit } from '../protocol/session.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Caps, Volume } from './caps.js';
import { Holder } from './holder.js';
import { Placement, type PeerLink, type PlacementParts } from './placement.js';
import { TokenBucket } from './token-bucket.js';

/** Redial backoff for a peer we lost: doubles up to the last value. */
const REDIAL_FIRST_MS = 500;
const REDIAL_MAX_MS = 30_000;
/** Longest the free space told to peers lags behind replicas arriving and leaving. */
const FREE_REFRESH_MS = 1_000;

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface DialTarget {
  readonly address: PeerAddress;
  /** Pinned device ID; undefined for a manual peer added by address only (learned on first link). */
  deviceId?: string;
  readonly source: 'manual' | 'mdns';
}

export interface SwarmParts {
  readonly identity: DeviceIdentity;
  readonly ledger: Ledger;
  readonly store: BlobStore;
  readonly events: EventBus;
  readonly now: () => number;
  readonly caps: () => Caps;
  readonly volume: () => Promise<Volume>;
  readonly incomingDir: string;
  /** Human-readable name in hello and mDNS. */
  readonly name: string;
  /** Options for every peer session (defaults in session.ts). */
  readonly session?: SessionInit;
  /** Delivery targets for tickets (see PlacementParts.targetFor). */
  readonly targetFor?: PlacementParts['targetFor'];
}

/** A linked peer as status and the UI show it. */
export type PeerView = PeerStatusView;

export class Swarm {
  readonly holder: Holder;
  readonly placement: Placement;
  readonly upload: TokenBucket;
  readonly download: TokenBucket;
  private readonly links: LinkManager;
  private readonly peersById = new Map<string, PeerLink & { name: string; address: string; direction: 'in' | 'out' }>();
  private readonly targets = new Map<string, DialTarget>(); // key: host:port
  private readonly dialing = new Set<string>();
  private readonly redialAttempts = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  listenAddress: PeerAddress | null = null;
  /** Free bytes this holder can accept, refreshed as replicas come and go (for hello and mDNS). */
  lastFreeBytes = 0;
  private freeTimer: NodeJS.Timeout | null = null;
  private freeRefreshedAt = 0;

  constructor(private readonly parts: SwarmParts) {
    const caps = parts.caps();
    this.upload = new TokenBucket(caps.upBytesPerSec);
    this.download = new TokenBucket(caps.downBytesPerSec);
    this.holder = new Holder({ ...parts, download: this.download });
    this.placement = new Placement({ ...parts, upload: this.upload, peers: () => [...this.peersById.values()] });
    this.links = new LinkManager({ identity: parts.identity });
    this.links.onLink((link: Link) => void this.adopt(link));
    for (const name of ['held:stored', 'held:purged', 'held:receiving', 'caps:changed'] as const) {
      parts.events.on(name, () => this.refreshFreeSoon());
    }
  }

  /**
   * Recomputes the advertised free space (a statfs and ledger sums) at most every FREE_REFRESH_MS
   * and at least once after the last change: a holder taking dozens of small blobs a second did
   * it twice per blob, while hello and mDNS only ever need a coarse figure.
   */
  private refreshFreeSoon(): void {
    if (this.freeTimer !== null || !this.running) return;
    const wait = Math.max(0, this.freeRefreshedAt + FREE_REFRESH_MS - Date.now());
    this.freeTimer = setTimeout(() => {
      this.freeTimer = null;
      this.freeRefreshedAt = Date.now();
      void this.refreshFree().catch(() => undefined);
    }, wait);
  }

  private async refreshFree(): Promise<void> {
    // Events may fire as the node closes (a purge finishing): the ledger is gone by then.
    if (!this.running) return;
    try {
      this.lastFreeBytes = await this.holder.freeBytes();
    } catch (err) {
      if (this.running) throw err;
    }
  }

  /** Listens, resumes incoming transfers' bookkeeping, starts placement. Idempotent. */
  async start(listen: PeerAddress): Promise<PeerAddress> {
    if (this.running && this.listenAddress !== null) return this.listenAddress;
    this.running = true;
    await this.holder.reconcileIncoming();
    await this.refreshFree();
    this.listenAddress = await this.links.start(listen);
    this.placement.start();
    return this.listenAddress;
  }

  /** Closes every link and stops placement. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.freeTimer !== null) clearTimeout(this.freeTimer);
    this.freeTimer = null;
    this.placement.stop();
    for (const peer of this.peersById.values()) peer.session.close('stopping');
    await this.links.stop();
  }

  /** Applies changed caps to the running node (bandwidth buckets; the rest is read per offer). */
  capsChanged(caps: Caps): void {
    this.upload.setRate(caps.upBytesPerSec);
    this.download.setRate(caps.downBytesPerSec);
    void this.refreshFree();
    this.placement.kick();
  }

  /** Adds a peer to keep a link with (manual address or discovery); dials it now. */
  addTarget(target: DialTarget): void {
    const key = `${target.address.host}:${target.address.port}`;
    const known = this.targets.get(key);
    if (known !== undefined) {
      if (target.deviceId !== undefined) known.deviceId = target.deviceId;
    } else {
      this.targets.set(key, { ...target });
    }
    void this.dial(key);
  }

  /** Forgets a discovered peer's address (it went silent); an existing link stays until it drops. */
  removeTarget(address: PeerAddress): void {
    this.targets.delete(`${address.host}:${address.port}`);
  }

  /** The peers linked right now. */
  peers(): PeerView[] {
    return [...this.peersById.values()].map((p) => ({ deviceId: p.deviceId, name: p.name, address: p.address, direction: p.direction, freeBytes: p.freeBytes, throughputBps: p.throughputBps }));
  }

  private async dial(key: string): Promise<void> {
    const target = this.targets.get(key);
    if (!this.running || target === undefined || this.dialing.has(key)) return;
    if (target.deviceId !== undefined && this.peersById.has(target.deviceId)) return;
    this.dialing.add(key);
    try {
      // Trust on first use for a peer added by address only; pinned from then on.
      target.deviceId ??= await this.links.learnDeviceId(target.address);
      if (target.deviceId === this.parts.identity.deviceId) {
        this.targets.delete(key); // our own address (e.g. a --peer list shared by all nodes)
        return;
      }
      await this.links.connect(target.address, target.deviceId);
      this.redialAttempts.delete(key);
    } catch (err) {
      this.parts.events.emit('peer:refused', { address: key, reason: (err as Error).message });
      this.scheduleRedial(key);
    } finally {
      this.dialing.delete(key);
    }
  }

  /** Redials every address we keep for `deviceId` (a link with it ended or never got going). */
  private redialPeer(deviceId: string): void {
    for (const [key, target] of this.targets) if (target.deviceId === deviceId) this.scheduleRedial(key);
  }

  private scheduleRedial(key: string): void {
    if (!this.running || !this.targets.has(key)) return;
    const n = (this.redialAttempts.get(key) ?? 0) + 1;
    this.redialAttempts.set(key, n);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.dial(key);
    }, Math.min(REDIAL_MAX_MS, REDIAL_FIRST_MS * 2 ** (n - 1)));
    timer.unref();
    this.timers.add(timer);
  }

  /** Turns a link into a session; once both said hello, placement may use it. */
  private async adopt(link: Link): Promise<void> {
    await this.refreshFree();
    const hello = { name: this.parts.name, capabilities: ['resume', transfersCapability()], freeBytes: this.lastFreeBytes };
    const session = new Session(link.channel, link.deviceId, hello, this.holder, this.parts.session);
    let peerHello;
    try {
      peerHello = await session.start();
    } catch (err) {
      session.close(`hello failed: ${(err as Error).message}`);
      this.redialPeer(link.deviceId); // the dial itself succeeded, so nothing else would try again
      return;
    }
    const address = `${link.address.host}:${link.address.port}`;
    const previous = this.peersById.get(link.deviceId);
    if (previous !== undefined && !previous.session.isClosed) {
      // The link layer keeps one link per peer; a stale session is replaced by the new one.
      previous.session.close('replaced by a newer link');
    }
    const peer = {
      deviceId: link.deviceId,
      session,
      freeBytes: peerHello.freeBytes,
      maxTransfers: peerTransferLimit(peerHello),
      throughputBps: previous?.throughputBps ?? 0,
      name: peerHello.name,
      address,
      direction: link.direction,
    };
    this.peersById.set(link.deviceId, peer);
    this.upsertPeerRow(peer.deviceId, peerHello.name, address, peerHello.freeBytes);
    this.parts.events.emit('peer:up', { deviceId: link.deviceId, name: peerHello.name, address, direction: link.direction, freeBytes: peerHello.freeBytes });
    session.onClose((reason) => {
      if (this.peersById.get(link.deviceId)?.session === session) this.peersById.delete(link.deviceId);
      this.parts.events.emit('peer:down', { deviceId: link.deviceId, reason });
      this.redialPeer(link.deviceId);
    });
    this.placement.kick();
  }

  private upsertPeerRow(deviceId: string, name: string, address: string, freeBytes: number): void {
    this.parts.ledger.upsertPeer({ deviceId, name, addresses: [address], source: 'link', seenAt: this.parts.now(), freeBytes });
  }
}
