// A running Inswarm node as an app runs it: the core (InswarmNode) joined to the swarm, mDNS,
// manual peers, the home-network watch, periodic upkeep (expiry purge, the runtime view for other
// processes) and the API host the UI talks to, with the headless web UI when asked for. One
// composition of the running parts, shared by `inswarm start`, the Electron shell and the demo.

import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../shared/format.js';
import type { NetworkView } from '../shared/status.js';
import { CoreApi } from './api/dispatch.js';
import type { ApiHost } from './api/api-host.js';
import { MdnsDiscovery } from './core/discovery/mdns-discovery.js';
import { MANUAL_PEERS_SETTING, parsePeerAddress, type ParsedPeerAddress } from './core/discovery/manual-peers.js';
import { InswarmNode } from './core/node.js';
import { DEFAULT_PORT } from './core/protocol/messages.js';
import type { SessionInit } from './core/protocol/session.js';
import { RateMeter } from './core/rate-meter.js';
import type { PeerAddress } from './core/swarm/swarm.js';
import { UiServer } from './headless/ui-server.js';

/** How often the running node purges expired replicas (one indexed query; see held_by_expiry). */
const PURGE_INTERVAL_MS = 1_000;
/** How often the running node republishes its live view for `inswarm status`. */
const RUNTIME_INTERVAL_MS = 2_000;
/** How often the running node seals imported photos that wait for a destination (one count query when none wait). */
const SEAL_PENDING_INTERVAL_MS = 5_000;

export interface ServiceOptions {
  readonly dataDir: string;
  /** Where to accept peer links (default 0.0.0.0:22100; port 0 picks a free one). */
  readonly listen?: PeerAddress;
  /** Peers to link with by address ([ID@]HOST:PORT), besides the saved ones. */
  readonly peers?: readonly ParsedPeerAddress[];
  /** Advertise and browse with mDNS (default true). */
  readonly mdns?: boolean;
  readonly name?: string;
  readonly session?: SessionInit;
  /** Serve the web UI on 127.0.0.1 (port 0 picks one); false for none (Electron has its window). */
  readonly ui?: false | { readonly port: number; readonly rendererDir?: string };
  /** One line for the user (the terminal, a log). */
  readonly note?: (line: string) => void;
}

/** The built renderer, next to the compiled main code (dist/renderer beside dist/main). */
export const RENDERER_DIR = join(import.meta.dirname, '..', 'renderer');

export class InswarmService {
  private readonly timers: NodeJS.Timeout[] = [];
  private upkeep: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private appliedCaps: string;
  readonly rates: RateMeter;
  readonly startedAt = Date.now();

  private constructor(
    readonly node: InswarmNode,
    readonly api: CoreApi,
    readonly listen: PeerAddress,
    private readonly mdns: MdnsDiscovery | null,
    private readonly manual: readonly ParsedPeerAddress[],
    private readonly ui: UiServer | null,
    readonly uiUrl: string | null,
    private readonly note: (line: string) => void,
  ) {
    this.appliedCaps = JSON.stringify(node.caps());
    this.rates = api.rates;
  }

  /** Opens the node in `dataDir` and starts every running part; stop() undoes it. */
  static async start(options: ServiceOptions): Promise<InswarmService> {
    const note = options.note ?? (() => undefined);
    const node = await InswarmNode.open(options.dataDir, { reconcile: true });
    let mdns: MdnsDiscovery | null = null;
    let ui: UiServer | null = null;
    try {
      const report = node.reconciled;
      if (report !== null && report.tempsRemoved + report.lost.length + report.quarantined.length > 0) {
        note(`Reconciled the blob store: ${report.tempsRemoved} temp file(s) removed, ${report.lost.length} missing blob(s) marked lost, ${report.quarantined.length} stray file(s) quarantined.`);
      }
      await node.purgeExpired();
      const name = (options.name ?? hostname()).slice(0, 64);
      const bound = await node.startSwarm(options.listen ?? { host: '0.0.0.0', port: DEFAULT_PORT }, name, options.session === undefined ? {} : { session: options.session });
      const swarm = node.swarm!;
      const peers = [...(options.peers ?? [])];
      for (const text of (node.ledger.getSetting(MANUAL_PEERS_SETTING) as string[] | undefined) ?? []) {
        try {
          peers.push(parsePeerAddress(text));
        } catch {
          note(`Ignoring the saved peer "${text}": it is not HOST:PORT.`);
        }
      }
      for (const p of peers) swarm.addTarget({ address: { host: p.host, port: p.port }, ...(p.deviceId ? { deviceId: p.deviceId } : {}), source: 'manual' });
      if (options.mdns !== false) {
        mdns = new MdnsDiscovery({
          deviceId: node.identity.deviceId,
          name,
          port: bound.port,
          freeBytes: () => swarm.lastFreeBytes,
          onPeerSeen: (peer) => swarm.addTarget({ address: { host: peer.address, port: peer.port }, deviceId: peer.deviceId, source: 'mdns' }),
          onPeerLost: (peer) => swarm.removeTarget({ host: peer.address, port: peer.port }),
        });
        try {
          await mdns.start();
        } catch (err) {
          note(`mDNS could not start (${(err as Error).message}): add peers by address with --peer.`);
          mdns = null;
        }
      }
      // Deliver whenever this device is on one of its home networks ("inswarm home add").
      node.watchHome();
      // Notice phones and cards being plugged in, and seal what an earlier import left waiting.
      node.intake.watch();
      void node.intake.sealIfReady();
      const found = mdns;
      const api = new CoreApi(node, {
        name,
        linked: () => swarm.peers(),
        seen: () => (found?.peers().length ?? 0) + peers.length,
        discoveryWarning: () => (found === null ? null : found.diagnostics().warning),
        network: () => networkView(node),
        addManualPeer: (address) => swarm.addTarget({ address: { host: address.host, port: address.port }, ...(address.deviceId ? { deviceId: address.deviceId } : {}), source: 'manual' }),
        removeManualPeer: (address) => swarm.removeTarget({ host: address.host, port: address.port }),
      });
      let uiUrl: string | null = null;
      if (options.ui !== undefined && options.ui !== false) {
        ui = new UiServer(api, { rendererDir: options.ui.rendererDir ?? RENDERER_DIR, port: options.ui.port, log: note });
        uiUrl = (await ui.start()).url;
      }
      const service = new InswarmService(node, api, bound, mdns, peers, ui, uiUrl, note);
      await service.publish();
      const later = (fn: () => Promise<unknown>) => () => {
        service.upkeep = service.upkeep.then(fn).catch((err: unknown) => note(`Upkeep failed: ${(err as Error).message}`));
      };
      service.timers.push(
        setInterval(later(() => node.purgeExpired()), PURGE_INTERVAL_MS),
        setInterval(later(() => service.publish()), RUNTIME_INTERVAL_MS),
        // A destination set from another process ("inswarm dest import") is noticed here; runs beside upkeep, not in it.
        setInterval(() => void node.intake.sealIfReady(), SEAL_PENDING_INTERVAL_MS),
      );
      return service;
    } catch (err) {
      await ui?.stop().catch(() => undefined);
      await mdns?.stop().catch(() => undefined);
      await node.close();
      throw err;
    }
  }

  /** The API host the UI transports call (Electron IPC, the headless bridge). */
  get host(): ApiHost {
    return this.api;
  }

  /** Peers heard of (discovery and manual), linked or not. */
  get seen(): number {
    return (this.mdns?.peers().length ?? 0) + this.manual.length;
  }

  /** One line for a tray or a terminal title: "Holding 3.2 GB for 14 people · 2 of yours pending". */
  statusLine(): string {
    const held = this.node.ledger.heldSummary().filter((s) => s.state === 'held' || s.state === 'receiving' || s.state === 'delivering');
    const heldBytes = held.reduce((n, s) => n + s.bytes, 0);
    const origins = this.api.queries.heldOrigins();
    const pending = this.node.ledger
      .outboxSummary()
      .filter((s) => s.state === 'sealed' || s.state === 'placing' || s.state === 'placed')
      .reduce((n, s) => n + s.count, 0);
    const holding = heldBytes === 0 ? 'Holding nothing for others' : `Holding ${formatBytes(heldBytes)} for ${origins} ${origins === 1 ? 'person' : 'people'}`;
    const mine = pending === 0 ? 'all of yours delivered' : `${pending} of yours pending`;
    return `${holding} · ${mine}`;
  }

  /** Stops the UI, discovery and the node (the ledger closes last); safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      await this.upkeep;
      await this.ui?.stop();
      await this.mdns?.stop();
      this.api.close();
      await this.node.close();
      await rm(join(this.node.dataDir, 'runtime.json'), { force: true });
    })();
    return this.stopping;
  }

  /** Publishes the live view for `inswarm status` in other processes, and applies caps changed there. */
  private async publish(): Promise<void> {
    const caps = this.node.caps();
    if (JSON.stringify(caps) !== this.appliedCaps) {
      this.appliedCaps = JSON.stringify(caps);
      this.node.applyCaps(caps);
    }
    const swarm = this.node.swarm!;
    await this.node.publishRuntime({
      listen: `${this.listen.host}:${this.listen.port}`,
      startedAt: this.startedAt,
      linked: swarm.peers(),
      seen: this.seen,
      discoveryWarning: this.mdns === null ? null : this.mdns.diagnostics().warning,
      network: networkView(this.node),
    });
  }
}

/** The network as the home watch last saw it, for status and the UI. */
function networkView(node: InswarmNode): NetworkView | null {
  const state = node.homeWatch?.state;
  if (state === undefined || state.fingerprint === null) return null;
  return { ssid: state.fingerprint.ssid, gatewayMac: state.fingerprint.gatewayMac, home: state.home?.label ?? null };
}
