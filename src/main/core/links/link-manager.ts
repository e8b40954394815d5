// Owns this device's peer links: the listener, the dialer, and the rules that decide which links
// exist. At most one link per peer device, at most `maxLinks` in all, none with a blocked device
// or with ourselves, and none whose certificate does not hash to the device ID we meant.

import type { WebSocket } from 'ws';
import { InswarmError } from '../errors.js';
import { parseDeviceId, shortDeviceId } from '../identity/device-id.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import {
  LINK_HANDSHAKE_TIMEOUT_MS,
  LINK_IDLE_TIMEOUT_MS,
  LINK_MAX_LINKS,
  LINK_MAX_PENDING_HANDSHAKES,
  LINK_PING_INTERVAL_MS,
  LINK_SEND_HIGH_WATER_BYTES,
  LINK_STOP_GRACE_MS,
  MAX_FRAME_BYTES,
} from '../limits.js';
import { formatAddress, type Link, type LinkRefusal, type PeerAddress, type RefusalReason } from './link.js';
import { dialLink, probeDeviceId } from './link-client.js';
import { LinkListener, type InboundGate } from './link-server.js';
import { LINK_CLOSE_CODES, WsChannel } from './ws-channel.js';

// The link types live in link.ts (shared with the listener and dialer); users of LinkManager get them here.
export type { Link, LinkRefusal, PeerAddress, RefusalReason } from './link.js';

/** Where link events go as log lines. */
export interface LinkLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface LinkManagerComponents {
  readonly identity: DeviceIdentity;
  readonly logger?: LinkLogger;
  /** Devices never linked with, either way (canonical device IDs). Consulted on every attempt. */
  readonly blocklist?: { has(deviceId: string): boolean };
}

/** Options, each defaulting to its constant in limits.ts. */
export interface LinkManagerInit {
  readonly maxLinks?: number;
  readonly pingIntervalMs?: number;
  readonly idleTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  readonly highWaterMarkBytes?: number;
  readonly maxFrameBytes?: number;
  readonly stopGraceMs?: number;
}

type LinkHandler = (link: Link) => void;
type RefusalHandler = (refusal: LinkRefusal) => void;

interface PendingDial {
  readonly promise: Promise<Link>;
  readonly controller: AbortController;
  /** Callers still waiting; when the last one gives up, the dial is aborted. */
  waiters: number;
}

const NO_LOGGER: LinkLogger = { info: () => undefined, warn: () => undefined };

/** Peer links of one device: `new LinkManager({ identity }, init)`, then `start`, `connect`, `onLink`. */
export class LinkManager {
  private readonly identity: DeviceIdentity;
  private readonly logger: LinkLogger;
  private readonly blocklist: { has(deviceId: string): boolean } | undefined;
  private readonly maxLinks: number;
  private readonly handshakeTimeoutMs: number;
  private readonly maxFrameBytes: number;
  private readonly stopGraceMs: number;
  private readonly channelInit: { highWaterMarkBytes: number; pingIntervalMs: number; idleTimeoutMs: number; maxFrameBytes: number };

  /** The link in use for each peer device. */
  private readonly current = new Map<string, Link>();
  /** Outbound dials in progress, by the device ID dialed: each holds a link slot. */
  private readonly dials = new Map<string, PendingDial>();
  /** Every channel not yet fully closed, including links on their way out. */
  private readonly channels = new Set<WsChannel>();
  private readonly linkHandlers = new Set<LinkHandler>();
  private readonly refusalHandlers = new Set<RefusalHandler>();
  private listener: LinkListener | undefined;
  private bound: PeerAddress | undefined;
  private running = false;
  private starting: Promise<PeerAddress> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(components: LinkManagerComponents, init: LinkManagerInit = {}) {
    this.identity = components.identity;
    this.logger = components.logger ?? NO_LOGGER;
    this.blocklist = components.blocklist;
    this.maxLinks = init.maxLinks ?? LINK_MAX_LINKS;
    this.handshakeTimeoutMs = init.handshakeTimeoutMs ?? LINK_HANDSHAKE_TIMEOUT_MS;
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.stopGraceMs = init.stopGraceMs ?? LINK_STOP_GRACE_MS;
    this.channelInit = {
      highWaterMarkBytes: init.highWaterMarkBytes ?? LINK_SEND_HIGH_WATER_BYTES,
      pingIntervalMs: init.pingIntervalMs ?? LINK_PING_INTERVAL_MS,
      idleTimeoutMs: init.idleTimeoutMs ?? LINK_IDLE_TIMEOUT_MS,
      maxFrameBytes: this.maxFrameBytes,
    };
  }

  /**
   * Listens for peers on `host:port` (port 0 picks a free one) and resolves with the bound
   * address. Idempotent: while running, resolves with the address already bound.
   */
  start(address: PeerAddress): Promise<PeerAddress> {
    if (this.stopping !== undefined) return this.stopping.then(() => this.start(address));
    this.starting ??= this.listen(address);
    return this.starting;
  }

  /** The address the listener is bound to, once started. */
  get address(): PeerAddress | undefined {
    return this.bound;
  }

  /**
   * Stops listening, cancels dials and closes every link (1001, going away); links that do not
   * finish their closing handshake within the grace period are cut. Idempotent.
   */
  stop(): Promise<void> {
    if (this.starting === undefined) return Promise.resolve();
    this.stopping ??= this.shutdown().finally(() => {
      this.starting = undefined;
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /**
   * A link to `expectedDeviceId` at `address`: the existing one if there is one, otherwise a new
   * authenticated dial. Rejects E_PEER_MISMATCH if another device answers (nothing is exchanged
   * with it), E_PEER_BLOCKED / E_PEER_SELF for devices never linked with, E_LINK_LIMIT when the
   * limit is reached here or at the peer, E_ABORTED on abort, E_LINK_FAILED otherwise. In a race
   * with the peer dialing us it may resolve with the peer's inbound link (see preferLink).
   */
  connect(address: PeerAddress, expectedDeviceId: string, options: { signal?: AbortSignal } = {}): Promise<Link> {
    const { signal } = options;
    try {
      if (!this.running || this.stopping !== undefined) {
        throw new InswarmError('E_USAGE', 'Peer links are not running: start the link manager before connecting.');
      }
      const deviceId = parseDeviceId(expectedDeviceId);
      if (deviceId === this.identity.deviceId) {
        throw new InswarmError('E_PEER_SELF', `${formatAddress(address)} was to be reached as this device itself: a device does not link with itself.`);
      }
      if (this.blocklist?.has(deviceId) === true) {
        this.refuse({ reason: 'blocked', direction: 'out', address, deviceId });
        throw new InswarmError('E_PEER_BLOCKED', `Device ${shortDeviceId(deviceId)} is blocked on this device, so no link was made: unblock it first.`);
      }
      const existing = this.current.get(deviceId);
      if (existing !== undefined) return Promise.resolve(existing);
      let dial = this.dials.get(deviceId);
      if (dial === undefined) {
        if (this.slotsInUse(deviceId) >= this.maxLinks) {
          this.refuse({ reason: 'too-many-links', direction: 'out', address, deviceId });
          throw new InswarmError('E_LINK_LIMIT', `No link was made to ${shortDeviceId(deviceId)}: ${this.maxLinks} links are already open, the most this device keeps.`);
        }
        dial = this.dial(address, deviceId);
      }
      return this.follow(dial, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The device ID answering at `address`, for a peer added by address only (trust on first use). */
  learnDeviceId(address: PeerAddress): Promise<string> {
    return probeDeviceId(this.identity, address, this.handshakeTimeoutMs);
  }

  /** Calls `handler` for every link that comes into use, inbound or outbound. Returns an unsubscribe function. */
  onLink(handler: LinkHandler): () => void {
    this.linkHandlers.add(handler);
    return () => this.linkHandlers.delete(handler);
  }

  /** Calls `handler` for every refused link attempt (also logged). Returns an unsubscribe function. */
  onRefusal(handler: RefusalHandler): () => void {
    this.refusalHandlers.add(handler);
    return () => this.refusalHandlers.delete(handler);
  }

  /** The links in use, one per peer device. */
  links(): Link[] {
    return [...this.current.values()];
  }

  private async listen(address: PeerAddress): Promise<PeerAddress> {
    const listener = new LinkListener(this.identity, this.gate(), {
      maxFrameBytes: this.maxFrameBytes,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      maxConnections: this.maxLinks + LINK_MAX_PENDING_HANDSHAKES,
    });
    try {
      this.bound = await listener.listen(address);
    } catch (err) {
      this.starting = undefined;
      await listener.close();
      throw new InswarmError('E_LINK_FAILED', `Could not listen for peers on ${formatAddress(address)}: ${(err as Error).message}.`, { cause: err });
    }
    this.listener = listener;
    this.running = true;
    this.logger.info(`links: listening on ${formatAddress(this.bound)} as ${shortDeviceId(this.identity.deviceId)}`);
    return this.bound;
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.running = false;
    const listenerClosed = this.listener?.close() ?? Promise.resolve();
    for (const dial of this.dials.values()) dial.controller.abort(new Error('stopping'));
    const dialsSettled = Promise.allSettled([...this.dials.values()].map((dial) => dial.promise));
    for (const channel of this.channels) channel.closeWith(LINK_CLOSE_CODES.goingAway, 'device stopping');
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.stopGraceMs);
    });
    await Promise.race([Promise.all([...this.channels].map((channel) => channel.closed)), grace]);
    clearTimeout(graceTimer);
    for (const channel of this.channels) channel.terminate('device stopping');
    this.listener?.destroyAll(); // sockets still in their TLS handshake
    await dialsSettled;
    await listenerClosed;
    this.listener = undefined;
    this.bound = undefined;
    this.current.clear();
    this.logger.info('links: stopped');
  }

  /** Starts one dial; its slot is held until it settles. */
  private dial(address: PeerAddress, deviceId: string): PendingDial {
    const controller = new AbortController();
    const promise = (async () => {
      try {
        const ws = await dialLink(this.identity, address, deviceId, {
          maxFrameBytes: this.maxFrameBytes,
          handshakeTimeoutMs: this.handshakeTimeoutMs,
          signal: controller.signal,
          onRefusal: (refusal) => this.refuse(refusal),
        });
        if (!this.running) {
          ws.terminate();
          throw new InswarmError('E_ABORTED', `Connecting to ${shortDeviceId(deviceId)} was cancelled: peer links are stopping.`);
        }
        return this.adopt(ws, deviceId, address, 'out');
      } catch (err) {
        this.logger.info(`links: dial to ${shortDeviceId(deviceId)} at ${formatAddress(address)} failed: ${(err as Error).message}`);
        throw err;
      } finally {
        this.dials.delete(deviceId);
      }
    })();
    const dial: PendingDial = { promise, controller, waiters: 0 };
    this.dials.set(deviceId, dial);
    return dial;
  }

  /** One caller's wait on a (possibly shared) dial; aborting it aborts the dial only if no one else waits. */
  private follow(dial: PendingDial, signal: AbortSignal | undefined): Promise<Link> {
    if (signal?.aborted === true) return Promise.reject(abortError(signal.reason));
    dial.waiters += 1;
    return new Promise<Link>((resolve, reject) => {
      let left = false;
      const leave = (): boolean => {
        if (left) return false;
        left = true;
        dial.waiters -= 1;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (!leave()) return;
        if (dial.waiters === 0) dial.controller.abort(signal?.reason);
        reject(abortError(signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      dial.promise.then(
        (link) => leave() && resolve(link),
        (err: unknown) => leave() && reject(err),
      );
    });
  }

  /** Wraps an authenticated, open WebSocket as a link and decides whether it is the one to use. */
  private adopt(ws: WebSocket, deviceId: string, address: PeerAddress, direction: 'in' | 'out'): Link {
    const channel = new WsChannel(ws, this.channelInit);
    const link: Link = Object.freeze({ deviceId, address, direction, channel });
    this.channels.add(channel);
    void channel.closed.then(() => this.channels.delete(channel));
    channel.onClose((reason) => {
      if (this.current.get(deviceId) !== link) return;
      this.current.delete(deviceId);
      this.logger.info(`links: ${direction === 'in' ? 'inbound' : 'outbound'} link with ${shortDeviceId(deviceId)} at ${formatAddress(address)} closed: ${reason}`);
    });

    const existing = this.current.get(deviceId);
    if (existing !== undefined) {
      const keep = preferLink(this.identity.deviceId, existing, link);
      const drop = keep === existing ? link : existing;
      this.logger.info(`links: two links with ${shortDeviceId(deviceId)}; keeping the one dialed by ${shortDeviceId(dialerOf(this.identity.deviceId, keep))}`);
      // Remove before closing, so the dropped link's close handler leaves the map to the winner.
      if (drop === existing) this.current.delete(deviceId);
      (drop.channel as WsChannel).closeWith(LINK_CLOSE_CODES.duplicate, 'duplicate link');
      if (keep === existing) return existing;
    }
    this.current.set(deviceId, link);
    this.logger.info(`links: ${direction === 'in' ? 'inbound' : 'outbound'} link with ${shortDeviceId(deviceId)} at ${formatAddress(address)}`);
    for (const handler of this.linkHandlers) {
      try {
        handler(link);
      } catch (err) {
        this.logger.warn(`links: a link handler failed: ${(err as Error).message}`);
      }
    }
    return link;
  }

  /** The listener's view of our rules. */
  private gate(): InboundGate {
    return {
      checkPeer: (deviceId, address) => {
        let reason: RefusalReason | undefined;
        if (deviceId === undefined) reason = 'no-certificate';
        else if (deviceId === this.identity.deviceId) reason = 'self';
        else if (this.blocklist?.has(deviceId) === true) reason = 'blocked';
        if (reason !== undefined) this.refuse({ reason, direction: 'in', address, ...(deviceId === undefined ? {} : { deviceId }) });
        return reason;
      },
      checkUpgrade: (deviceId, address) => {
        if (!this.running) return 'too-many-links'; // stopping: no room for anyone
        if (this.slotsInUse(deviceId) < this.maxLinks) return undefined;
        this.refuse({ reason: 'too-many-links', direction: 'in', address, deviceId });
        return 'too-many-links';
      },
      accept: (ws, deviceId, address) => {
        if (!this.running) {
          ws.close(LINK_CLOSE_CODES.goingAway, 'device stopping');
          return;
        }
        this.adopt(ws, deviceId, address, 'in');
      },
      refused: (refusal) => this.refuse(refusal),
      tlsFailed: (address, err) => this.logger.info(`links: TLS handshake from ${formatAddress(address)} failed: ${err.message}`),
    };
  }

  /** Link slots held by devices other than `deviceId` (a second link to one device replaces, not adds). */
  private slotsInUse(deviceId: string): number {
    let used = 0;
    for (const id of this.current.keys()) if (id !== deviceId) used += 1;
    for (const id of this.dials.keys()) if (id !== deviceId && !this.current.has(id)) used += 1;
    return used;
  }

  private refuse(refusal: LinkRefusal): void {
    this.logger.warn(`links: refused ${refusal.direction === 'in' ? 'inbound' : 'outbound'} link ${describeRefusal(refusal)}`);
    for (const handler of this.refusalHandlers) {
      try {
        handler(refusal);
      } catch (err) {
        this.logger.warn(`links: a refusal handler failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Of two links with one peer, the one both ends keep: the one dialed by the lower device ID, so
 * that when both devices dial each other at once each end closes the same link without talking.
 * Two links dialed by the same device mean it replaced a link it considers dead: the newer wins.
 */
export function preferLink(selfId: string, older: Link, newer: Link): Link {
  const olderDialer = dialerOf(selfId, older);
  const newerDialer = dialerOf(selfId, newer);
  if (olderDialer === newerDialer) return newer;
  return olderDialer < newerDialer ? older : newer;
}

function dialerOf(selfId: string, link: Link): string {
  return link.direction === 'out' ? selfId : link.deviceId;
}

function abortError(reason: unknown): InswarmError {
  return new InswarmError('E_ABORTED', 'Connecting to the peer was cancelled.', { cause: reason });
}

function describeRefusal(refusal: LinkRefusal): string {
  const where = formatAddress(refusal.address);
  const who = refusal.deviceId === undefined ? 'a peer' : `device ${shortDeviceId(refusal.deviceId)}`;
  switch (refusal.reason) {
    case 'mismatch':
      return `to ${where}: expected ${shortDeviceId(refusal.expectedDeviceId!)} but ${who} answered`;
    case 'blocked':
      return `with ${who} at ${where}: it is blocked`;
    case 'self':
      return `from ${where}: it presented this device's own certificate`;
    case 'no-certificate':
      return `from ${where}: it presented no device certificate`;
    case 'too-many-links':
      return `with ${who} at ${where}: too many links open`;
    case 'bad-handshake':
      return `from ${who} at ${where}: not a WebSocket upgrade to the link path`;
  }
}
