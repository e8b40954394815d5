// The first rung of the discovery ladder: DNS-SD over multicast DNS (`_inswarm._tcp`), through
// bonjour-service. We advertise this device and keep a table of the Inswarm devices that answer,
// keyed by device ID. Discovery is only a hint: an advertisement proves nothing, and a link to a
// discovered peer still checks the device ID through mutual TLS before anything is trusted.
//
// bonjour-service is used with a UDP socket we own, because on its own it (1) swallows every send
// error, so a network without a multicast route just finds nothing, (2) throws from a failed bind
// with nobody listening, and (3) re-queries without telling us who is still there. Owning the
// socket lets us bind it, join the group on the interface we were given, count what we hear, and
// see every send error.

import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { Bonjour, type Browser, type Service, type ServiceConfig } from 'bonjour-service';
import { InswarmError } from '../errors.js';
import { parseDeviceId } from '../identity/device-id.js';
import {
  MDNS_ERROR_LOG_INTERVAL_MS,
  MDNS_GOODBYE_GRACE_MS,
  MDNS_MAX_PEERS,
  MDNS_PEER_TTL_MS,
  MDNS_REANNOUNCE_MIN_INTERVAL_MS,
  MDNS_REQUERY_INTERVAL_MS,
  MDNS_STOP_TIMEOUT_MS,
} from '../limits.js';
import { freeBucketGiB, inswarmTxt, instanceName, mdnsHostName, MDNS_SERVICE_TYPE, readAdvertisement, type Advertisement } from './mdns-records.js';

/** The mDNS group and port (RFC 6762). */
const MDNS_GROUP = '224.0.0.251';
const MDNS_PORT = 5353;
/** RFC 6762 §11: mDNS packets are link-local, sent with TTL 255 so a receiver can tell they were not routed. */
const MDNS_MULTICAST_TTL = 255;

/** Where discovery writes what an operator may need; the core passes its logger. */
export interface DiscoveryLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

/** An Inswarm device heard via mDNS. */
export interface DiscoveredPeer extends Advertisement {
  readonly via: 'mdns';
  /** The best address to dial: `addresses[0]`. */
  readonly address: string;
  /** When this device was first heard since it was last lost (ms since the epoch). */
  readonly firstSeen: number;
  /** When it last answered. */
  readonly lastSeen: number;
}

/** Why a device left the table: it said goodbye, went silent for the peer TTL, or discovery stopped. */
export type PeerLostReason = 'goodbye' | 'silent' | 'stopped';

export interface MdnsDiscoveryComponents {
  /** This device's ID (advertised in TXT `id`, and the host name `<id>.local`). */
  readonly deviceId: string;
  /** A human-readable name for this device ("Alice's laptop"); the short device ID is appended. */
  readonly name: string;
  /** The TCP port peer links listen on. */
  readonly port: number;
  /** Free donated space in bytes right now; advertised coarsely (see freeBucketGiB). */
  readonly freeBytes: () => number;
  readonly logger?: DiscoveryLogger;
  // The two events (the bus's peer:seen / peer:lost). A throwing handler is logged, never allowed to break discovery.
  /** A device appeared (isNew), or its name, addresses, port or free space changed. */
  readonly onPeerSeen?: (peer: DiscoveredPeer, isNew: boolean) => void;
  /** A device left the table; its last known addresses are in `peer`. */
  readonly onPeerLost?: (peer: DiscoveredPeer, reason: PeerLostReason) => void;
}

export interface MdnsDiscoveryInit {
  /** IPv4 address of the one interface to use (join the group and send there); default: all interfaces, sends routed by the OS. */
  readonly interfaceAddress?: string;
  /** How often the peer table is refreshed by a new query. */
  readonly requeryIntervalMs?: number;
  /** A device not heard for this long is forgotten. */
  readonly peerTtlMs?: number;
  /** A device that said goodbye is forgotten this long after, unless it answers again (RFC 6762 §10.1). */
  readonly goodbyeGraceMs?: number;
  /** Free-space re-announcements are at least this far apart. */
  readonly reannounceMinIntervalMs?: number;
  readonly now?: () => number;
}

/** Why mDNS is not finding anyone, when it can tell. */
export type MdnsProblem = 'send-failing' | 'nothing-heard';

export interface MdnsDiagnostics {
  readonly running: boolean;
  readonly startedAt: number | null;
  readonly interfaceAddress: string | null;
  /** True once any mDNS packet from another address arrived since start: multicast reaches us. */
  readonly heardAnything: boolean;
  readonly packetsHeard: number;
  readonly lastHeardAt: number | null;
  readonly packetsSent: number;
  readonly queriesSent: number;
  /** Times the advertisement was replaced because the free-space bucket changed. */
  readonly reannouncements: number;
  readonly sendErrors: number;
  readonly sendErrorsByCode: Readonly<Record<string, number>>;
  readonly lastSendError: { readonly code: string; readonly message: string; readonly at: number } | null;
  /** Interfaces where joining the mDNS group failed (all-interfaces mode), as `address: code`. */
  readonly membershipErrors: readonly string[];
  /** Advertisements of our type that were dropped, by reason. */
  readonly ignored: { readonly malformed: number; readonly incompatible: number; readonly ownId: number; readonly tableFull: number };
  readonly peers: number;
  readonly advertisedFreeGiB: number | null;
  readonly problem: MdnsProblem | null;
  /** A sentence for the status line (RuntimeView.discoveryWarning) when there is a problem, else null. */
  readonly warning: string | null;
}

interface PeerEntry {
  readonly peer: DiscoveredPeer;
  /** The DNS-SD instance this entry came from, so only its own goodbye removes it. */
  readonly fqdn: string;
  goodbyeAt: number | null;
}

/** Advertises this device and browses for others via mDNS. `start()` and `stop()` are idempotent. */
export class MdnsDiscovery {
  private readonly deviceId: string;
  private readonly instance: string;
  private readonly host: string;
  private readonly requeryIntervalMs: number;
  private readonly peerTtlMs: number;
  private readonly goodbyeGraceMs: number;
  private readonly reannounceMinIntervalMs: number;
  private readonly interfaceAddress: string | null;
  private readonly now: () => number;

  private running = false;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private socket: Socket | null = null;
  private bonjour: Bonjour | null = null;
  private service: Service | null = null;
  private browser: Browser | null = null;
  private requeryTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private reannounceTimer: NodeJS.Timeout | null = null;
  private readonly table = new Map<string, PeerEntry>();
  private readonly joined = new Set<string>();
  private ownAddresses = new Set<string>();
  /** This machine's non-internal addresses when the advertisement was published (bonjour-service lists them as A/AAAA records then). */
  private publishedAddresses = '';

  private startedAt: number | null = null;
  private packetsHeard = 0;
  private lastHeardAt: number | null = null;
  private packetsSent = 0;
  private lastSendOkAt: number | null = null;
  private queriesSent = 0;
  private reannouncements = 0;
  private lastAnnounceAt = 0;
  private advertisedFreeGiB: number | null = null;
  private sendErrors = 0;
  private readonly sendErrorsByCode: Record<string, number> = {};
  private lastSendError: MdnsDiagnostics['lastSendError'] = null;
  private readonly lastLoggedAt = new Map<string, number>();
  private membershipErrors: string[] = [];
  private readonly ignored = { malformed: 0, incompatible: 0, ownId: 0, tableFull: 0 };
  private freeWarned = false;

  constructor(
    private readonly components: MdnsDiscoveryComponents,
    init: MdnsDiscoveryInit = {},
  ) {
    this.deviceId = parseDeviceId(components.deviceId);
    if (!Number.isInteger(components.port) || components.port < 1 || components.port > 65535) {
      throw new RangeError(`MdnsDiscovery: port must be 1–65535, not ${components.port}`);
    }
    this.instance = instanceName(components.name, this.deviceId);
    this.host = mdnsHostName(this.deviceId);
    this.requeryIntervalMs = init.requeryIntervalMs ?? MDNS_REQUERY_INTERVAL_MS;
    this.peerTtlMs = init.peerTtlMs ?? MDNS_PEER_TTL_MS;
    this.goodbyeGraceMs = init.goodbyeGraceMs ?? MDNS_GOODBYE_GRACE_MS;
    this.reannounceMinIntervalMs = init.reannounceMinIntervalMs ?? MDNS_REANNOUNCE_MIN_INTERVAL_MS;
    this.interfaceAddress = init.interfaceAddress ?? null;
    this.now = init.now ?? Date.now;
    if (!(this.requeryIntervalMs >= 100)) throw new RangeError('MdnsDiscovery: requeryIntervalMs must be at least 100 ms');
    // A TTL shorter than two query rounds would drop live peers whenever one answer is lost.
    if (!(this.peerTtlMs >= 2 * this.requeryIntervalMs)) throw new RangeError('MdnsDiscovery: peerTtlMs must be at least twice requeryIntervalMs');
    if (this.interfaceAddress !== null && !/^\d{1,3}(\.\d{1,3}){3}$/.test(this.interfaceAddress)) {
      throw new RangeError(`MdnsDiscovery: interfaceAddress must be an IPv4 address, not ${this.interfaceAddress}`);
    }
  }

  /** Binds the mDNS socket, advertises this device and starts browsing. Rejects with E_MDNS_START when the socket cannot be set up. */
  async start(): Promise<void> {
    if (this.stopping !== null) await this.stopping;
    if (this.running) return;
    if (this.starting === null) {
      this.starting = this.doStart().finally(() => {
        this.starting = null;
      });
    }
    return this.starting;
  }

  /** Says goodbye (so peers forget us at once), stops browsing and closes the socket. Known peers are reported lost. */
  async stop(): Promise<void> {
    if (this.starting !== null) await this.starting.catch(() => undefined);
    if (this.stopping !== null) return this.stopping;
    if (!this.running) return;
    this.stopping = this.doStop().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  /** The devices heard and not yet lost, most recently seen first. */
  peers(): DiscoveredPeer[] {
    return [...this.table.values()].map((e) => e.peer).sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** True once any mDNS packet from another address arrived since start. */
  get heardAnything(): boolean {
    return this.packetsHeard > 0;
  }

  /** Counters and, when mDNS is clearly not working here, a sentence saying so and what to do. */
  diagnostics(): MdnsDiagnostics {
    const now = this.now();
    let problem: MdnsProblem | null = null;
    let warning: string | null = null;
    const last = this.lastSendError;
    if (this.running && last !== null && (this.lastSendOkAt === null || last.at >= this.lastSendOkAt)) {
      problem = 'send-failing';
      warning = `mDNS cannot send on this network (${last.code}${last.code === 'ENETUNREACH' ? ': no route for multicast' : ''}), so nearby devices cannot find this one: add a peer by address (inswarm peer add HOST:PORT).`;
    } else if (this.running && !this.heardAnything && this.startedAt !== null && now - this.startedAt >= this.requeryIntervalMs) {
      problem = 'nothing-heard';
      warning = 'No peers heard via mDNS: the network may block multicast or isolate clients; add a peer by address (inswarm peer add HOST:PORT).';
    }
    return {
      running: this.running,
      startedAt: this.startedAt,
      interfaceAddress: this.interfaceAddress,
      heardAnything: this.heardAnything,
      packetsHeard: this.packetsHeard,
      lastHeardAt: this.lastHeardAt,
      packetsSent: this.packetsSent,
      queriesSent: this.queriesSent,
      reannouncements: this.reannouncements,
      sendErrors: this.sendErrors,
      sendErrorsByCode: { ...this.sendErrorsByCode },
      lastSendError: last,
      membershipErrors: [...this.membershipErrors],
      ignored: { ...this.ignored },
      peers: this.table.size,
      advertisedFreeGiB: this.advertisedFreeGiB,
      problem,
      warning,
    };
  }

  /**
   * Re-reads free donated space and re-announces when its coarse bucket changed. The node calls
   * this when caps or holdings change; each query round calls it too. Re-announcements are spaced
   * by reannounceMinIntervalMs, so a donor hovering at a bucket edge does not flood the link.
   */
  updateFreeSpace(): void {
    if (!this.running || this.bonjour === null) return;
    const bucket = freeBucketGiB(this.readFreeBytes());
    if (bucket === this.advertisedFreeGiB) return;
    const wait = this.lastAnnounceAt + this.reannounceMinIntervalMs - this.now();
    if (wait > 0) {
      this.reannounceTimer ??= unref(
        setTimeout(() => {
          this.reannounceTimer = null;
          this.updateFreeSpace();
        }, wait),
      );
      return;
    }
    this.republish(bucket);
  }

  /**
   * bonjour-service cannot change a published record: withdraw it (a goodbye) and publish the new
   * one in the same tick. Peers keep a goodbye'd device for goodbyeGraceMs, so the new
   * announcement arrives first and the device never looks lost.
   */
  private republish(freeGiB: number): void {
    this.service?.stop();
    this.reannouncements++;
    this.publish(freeGiB);
  }

  private async doStart(): Promise<void> {
    this.resetCounters();
    this.refreshOwnAddresses();
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.watchSocket(socket);
    try {
      await bindSocket(socket);
      socket.on('error', (err: NodeJS.ErrnoException) => this.recordSendError(err));
      socket.setMulticastTTL(MDNS_MULTICAST_TTL);
      // Loopback lets a second Inswarm (or avahi) on this machine hear us; our own echo is filtered by address.
      socket.setMulticastLoopback(true);
      if (this.interfaceAddress !== null) {
        socket.addMembership(MDNS_GROUP, this.interfaceAddress);
        this.joined.add(this.interfaceAddress);
        socket.setMulticastInterface(this.interfaceAddress);
      } else {
        this.joinAllInterfaces(socket);
      }
    } catch (err) {
      socket.close();
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const where = this.interfaceAddress === null ? '' : ` on ${this.interfaceAddress}`;
      throw new InswarmError('E_MDNS_START', `mDNS discovery could not open UDP port ${MDNS_PORT}${where} (${code}): nearby devices will not be found automatically; add peers by address (inswarm peer add HOST:PORT).`, { cause: err });
    }
    this.socket = socket;
    // The socket is bound and in the group already, so multicast-dns must neither bind it nor join
    // on its own (it would join every interface and pick the outgoing one by route).
    const mdnsOptions = { socket, bind: false } as unknown as Partial<ServiceConfig>;
    // Send errors are counted in the socket wrapper; this callback only stops bonjour-service from
    // throwing them (its default), which would crash the process from inside a socket callback.
    this.bonjour = new Bonjour(mdnsOptions, () => undefined);
    this.running = true;
    this.startedAt = this.now();
    this.publish(freeBucketGiB(this.readFreeBytes()));
    this.requery();
    this.scheduleRequery();
    const sweepEvery = Math.max(50, Math.min(1_000, this.goodbyeGraceMs, this.peerTtlMs / 4));
    this.sweepTimer = unref(setInterval(() => this.sweep(), sweepEvery));
  }

  private async doStop(): Promise<void> {
    this.running = false;
    for (const timer of [this.requeryTimer, this.reannounceTimer]) if (timer !== null) clearTimeout(timer);
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.requeryTimer = this.reannounceTimer = this.sweepTimer = null;
    this.browser?.stop();
    this.browser?.removeAllListeners();
    this.browser = null;
    const bonjour = this.bonjour;
    this.bonjour = null;
    this.service = null;
    if (bonjour !== null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, MDNS_STOP_TIMEOUT_MS);
        bonjour.unpublishAll(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
    }
    this.socket = null;
    this.joined.clear();
    const lost = [...this.table.values()];
    this.table.clear();
    for (const entry of lost) this.emitLost(entry.peer, 'stopped');
  }

  private publish(freeGiB: number): void {
    if (this.bonjour === null) return;
    this.advertisedFreeGiB = freeGiB;
    this.lastAnnounceAt = this.now();
    this.publishedAddresses = localAddressKey();
    // No probing: the instance name carries the device ID's first group and the host name the
    // whole ID, so a clash means this same device twice; bonjour-service would react to a clash by
    // silently withdrawing the service and printing to the console, which is worse.
    const service = this.bonjour.publish({
      name: this.instance,
      type: MDNS_SERVICE_TYPE,
      protocol: 'tcp',
      port: this.components.port,
      host: this.host,
      txt: inswarmTxt(this.deviceId, freeGiB),
      probe: false,
    });
    service.on('error', (err: unknown) => this.log('warn', 'service', `mDNS advertisement failed: ${String(err)}`));
    this.service = service;
  }

  /**
   * One query round. A fresh Browser per round because bonjour-service's Browser reports a device
   * only when it is new or changed: `browser.update()` re-queries, but the answers would not tell
   * us who is still there. A new Browser queries at once and reports every device that answers.
   */
  private requery(): void {
    if (!this.running || this.bonjour === null) return;
    this.refreshOwnAddresses();
    if (this.interfaceAddress === null && this.socket !== null) this.joinAllInterfaces(this.socket);
    // A laptop that changed networks would otherwise keep answering with its old addresses.
    if (localAddressKey() !== this.publishedAddresses && this.advertisedFreeGiB !== null) this.republish(this.advertisedFreeGiB);
    this.updateFreeSpace();
    this.browser?.stop();
    this.browser?.removeAllListeners();
    const browser = this.bonjour.find({ type: MDNS_SERVICE_TYPE, protocol: 'tcp' });
    this.queriesSent++;
    const onAnswer = (service: Service): void => this.onAnswer(service);
    browser.on('up', onAnswer);
    browser.on('txt-update', onAnswer);
    browser.on('srv-update', onAnswer);
    browser.on('down', (service: Service) => this.onGoodbye(service));
    this.browser = browser;
  }

  private scheduleRequery(): void {
    // ±20 % jitter so devices that started together do not query in lockstep (RFC 6762 §5.2).
    const delay = this.requeryIntervalMs * (0.8 + 0.4 * Math.random());
    this.requeryTimer = unref(
      setTimeout(() => {
        this.requery();
        if (this.running) this.scheduleRequery();
      }, delay),
    );
  }

  private onAnswer(service: Service): void {
    try {
      const result = readAdvertisement(service);
      if (!result.ok) {
        this.ignored[result.reason]++;
        this.log('debug', `ignored:${result.reason}`, `mDNS: ignored an ${MDNS_SERVICE_TYPE} advertisement (${result.detail})`);
        return;
      }
      const advert = result.advert;
      if (advert.deviceId === this.deviceId) {
        // Our own answer looped back, or someone else claiming our ID: never a peer to dial.
        this.ignored.ownId++;
        return;
      }
      const known = this.table.get(advert.deviceId);
      if (known === undefined && this.table.size >= MDNS_MAX_PEERS) {
        // A hostile LAN could advertise endless fake devices; past the cap, new ones wait for a free slot.
        this.ignored.tableFull++;
        return;
      }
      const now = this.now();
      const peer: DiscoveredPeer = { ...advert, via: 'mdns', address: advert.addresses[0]!, firstSeen: known?.peer.firstSeen ?? now, lastSeen: now };
      this.table.set(advert.deviceId, { peer, fqdn: service.fqdn, goodbyeAt: null });
      if (known === undefined || changed(known.peer, peer)) this.emitSeen(peer, known === undefined);
    } catch (err) {
      this.log('warn', 'answer', `mDNS: could not read an advertisement: ${String(err)}`);
    }
  }

  private onGoodbye(service: Service): void {
    const fqdn = typeof service.fqdn === 'string' ? service.fqdn.toLowerCase() : '';
    for (const entry of this.table.values()) {
      if (entry.fqdn.toLowerCase() !== fqdn || entry.goodbyeAt !== null) continue;
      entry.goodbyeAt = this.now() + this.goodbyeGraceMs;
      unref(setTimeout(() => this.running && this.sweep(), this.goodbyeGraceMs + 10));
    }
  }

  /** Forgets devices that said goodbye (after the grace) or went silent for the peer TTL. */
  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.table) {
      let reason: PeerLostReason | null = null;
      if (entry.goodbyeAt !== null && now >= entry.goodbyeAt) reason = 'goodbye';
      else if (now - entry.peer.lastSeen > this.peerTtlMs) reason = 'silent';
      if (reason === null) continue;
      this.table.delete(id);
      this.emitLost(entry.peer, reason);
    }
  }

  /** Counts what we hear and every send error; the rest of the socket belongs to multicast-dns. */
  private watchSocket(socket: Socket): void {
    socket.on('message', (_msg: Buffer, rinfo: { address: string }) => {
      if (this.ownAddresses.has(rinfo.address)) return;
      this.packetsHeard++;
      this.lastHeardAt = this.now();
    });
    // multicast-dns always passes a callback to send(), so errors (ENETUNREACH with no multicast
    // route, EHOSTUNREACH, ENOBUFS…) reach only that callback, where bonjour-service drops them.
    // Wrap send on our own socket so each one is counted, logged and shown in diagnostics.
    const send = socket.send.bind(socket) as (...args: unknown[]) => void;
    const wrapped = (...args: unknown[]): void => {
      const last = args[args.length - 1];
      const callback = typeof last === 'function' ? (last as (err: Error | null, bytes?: number) => void) : null;
      const observe = (err: Error | null, bytes?: number): void => {
        if (err) this.recordSendError(err as NodeJS.ErrnoException);
        else {
          this.packetsSent++;
          this.lastSendOkAt = this.now();
        }
        callback?.(err, bytes);
      };
      if (callback !== null) args[args.length - 1] = observe;
      else args.push(observe);
      try {
        send(...args);
      } catch (err) {
        observe(err as Error);
      }
    };
    socket.send = wrapped as unknown as Socket['send'];
  }

  private recordSendError(err: NodeJS.ErrnoException): void {
    const code = typeof err.code === 'string' ? err.code : 'EUNKNOWN';
    this.sendErrors++;
    this.sendErrorsByCode[code] = (this.sendErrorsByCode[code] ?? 0) + 1;
    this.lastSendError = { code, message: err.message, at: this.now() };
    this.log('warn', `send:${code}`, `mDNS send failed (${code}): ${err.message}${code === 'ENETUNREACH' ? ' — this network has no route for multicast; peers must be added by address' : ''}`);
  }

  /** Joins the mDNS group on every interface's first IPv4 address not joined yet (as multicast-dns does), so a network joined later is heard too. */
  private joinAllInterfaces(socket: Socket): void {
    const errors: string[] = [];
    for (const addrs of Object.values(networkInterfaces())) {
      const v4 = addrs?.find((a) => a.family === 'IPv4');
      if (v4 === undefined || this.joined.has(v4.address)) continue;
      try {
        socket.addMembership(MDNS_GROUP, v4.address);
        this.joined.add(v4.address);
      } catch (err) {
        errors.push(`${v4.address}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    this.membershipErrors = errors;
  }

  private refreshOwnAddresses(): void {
    const own = new Set<string>();
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) own.add(a.address);
    this.ownAddresses = own;
  }

  private readFreeBytes(): number {
    try {
      const bytes = this.components.freeBytes();
      if (typeof bytes === 'number' && Number.isFinite(bytes) && bytes >= 0) return bytes;
      throw new TypeError(`freeBytes() returned ${String(bytes)}`);
    } catch (err) {
      if (!this.freeWarned) this.components.logger?.warn(`mDNS: advertising no free space, because reading it failed: ${String(err)}`);
      this.freeWarned = true;
      return 0;
    }
  }

  private emitSeen(peer: DiscoveredPeer, isNew: boolean): void {
    try {
      this.components.onPeerSeen?.(peer, isNew);
    } catch (err) {
      this.components.logger?.warn(`mDNS: the peer:seen handler failed: ${String(err)}`);
    }
  }

  private emitLost(peer: DiscoveredPeer, reason: PeerLostReason): void {
    try {
      this.components.onPeerLost?.(peer, reason);
    } catch (err) {
      this.components.logger?.warn(`mDNS: the peer:lost handler failed: ${String(err)}`);
    }
  }

  /** Logs at most once per MDNS_ERROR_LOG_INTERVAL_MS per key: a broken network would otherwise log every few seconds forever. */
  private log(level: 'warn' | 'debug', key: string, message: string): void {
    const logger = this.components.logger;
    if (logger === undefined) return;
    const now = this.now();
    const last = this.lastLoggedAt.get(key);
    if (last !== undefined && now - last < MDNS_ERROR_LOG_INTERVAL_MS) return;
    this.lastLoggedAt.set(key, now);
    if (level === 'warn') logger.warn(message);
    else logger.debug?.(message);
  }

  private resetCounters(): void {
    this.startedAt = null;
    this.packetsHeard = this.packetsSent = this.queriesSent = this.reannouncements = this.sendErrors = 0;
    this.lastHeardAt = this.lastSendOkAt = this.lastSendError = null;
    for (const code of Object.keys(this.sendErrorsByCode)) delete this.sendErrorsByCode[code];
    this.ignored.malformed = this.ignored.incompatible = this.ignored.ownId = this.ignored.tableFull = 0;
    this.membershipErrors = [];
    this.lastLoggedAt.clear();
    this.advertisedFreeGiB = null;
  }
}

/**
 * Binds to 0.0.0.0:5353 even when an interface is given: Linux delivers multicast only to sockets
 * bound to the wildcard (or the group) address, never to one bound to a unicast address. The
 * interface is chosen by joining the group there and sending from there.
 */
function bindSocket(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ port: MDNS_PORT, address: '0.0.0.0', exclusive: false }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** The addresses bonjour-service puts in A/AAAA records (every non-internal one), as one comparable string. */
function localAddressKey(): string {
  const all: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (!a.internal) all.push(a.address);
  return all.sort().join(',');
}

function changed(a: DiscoveredPeer, b: DiscoveredPeer): boolean {
  return a.name !== b.name || a.host !== b.host || a.port !== b.port || a.freeGiB !== b.freeGiB || a.addresses.join() !== b.addresses.join();
}

function unref<T extends NodeJS.Timeout>(timer: T): T {
  timer.unref();
  return timer;
}
