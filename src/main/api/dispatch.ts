// The dispatcher behind both UI transports: looks the method up in the contract, parses the
// untrusted arguments with the contract's parser, runs the handler, and turns every outcome into
// an ApiReply with a code (never a stack). Handlers read views from the core; writes go through
// the node's own methods, so the UI can do nothing the CLI cannot.

import {
  API_EVENTS,
  API_MAX_PAGE,
  API_METHODS,
  ApiArgumentError,
  isApiMethod,
  type ApiArgs,
  type ApiEventMessage,
  type ApiMethod,
  type ApiReply,
  type ApiResult,
  type BackupView,
  type DestinationView,
  type SettingsView,
} from '../../shared/api.js';
import { isErrorCode } from '../../shared/error-codes.js';
import { canThumbnail } from '../../shared/thumbnailable.js';
import type { NetworkView, PeerStatusView } from '../../shared/status.js';
import { describeEndpoint, encodeCardLink, parseCardLink } from '../core/delivery/card.js';
import type { Endpoint } from '../core/delivery/endpoint.js';
import { renderQrSvg } from '../core/delivery/qr.js';
import { formatPeerAddress, MANUAL_PEERS_SETTING, parsePeerAddress, type ParsedPeerAddress } from '../core/discovery/manual-peers.js';
import { InswarmError, isInswarmError } from '../core/errors.js';
import { MANUAL_PEERS_MAX } from '../core/limits.js';
import type { InswarmNode } from '../core/node.js';
import { RateMeter } from '../core/rate-meter.js';
import { AppQueries } from '../core/views/app-queries.js';
import { OutboxFiles } from '../core/outbox/outbox-files.js';
import type { Thumbnails } from '../core/thumbs/thumbnails.js';
import type { ApiHost } from './api-host.js';

/** Deliveries listed at most, active and failed first. */
const DELIVERY_ROWS = 200;
/** Known peers listed at most. */
const KNOWN_PEERS = 200;
/** Activity events per page by default. */
const ACTIVITY_PAGE = 200;

/** What only the running service knows (links, discovery, the network). */
export interface RuntimeParts {
  readonly name: string;
  readonly linked: () => readonly PeerStatusView[];
  readonly seen: () => number;
  readonly discoveryWarning: () => string | null;
  readonly network: () => NetworkView | null;
  readonly addManualPeer: (address: ParsedPeerAddress) => void;
  readonly removeManualPeer: (address: ParsedPeerAddress) => void;
}

type Handlers = { [M in ApiMethod]: (args: ApiArgs<M>) => Promise<ApiResult<M>> };

export class CoreApi implements ApiHost {
  readonly queries: AppQueries;
  readonly rates: RateMeter;
  private readonly handlers: Handlers;

  constructor(
    private readonly node: InswarmNode,
    private readonly runtime: RuntimeParts,
  ) {
    this.queries = new AppQueries(node.ledger);
    this.rates = new RateMeter(node.events);
    this.handlers = this.makeHandlers();
  }

  async dispatch(method: string, args: unknown): Promise<ApiReply> {
    if (!isApiMethod(method)) return { ok: false, code: 'E_USAGE', message: `"${String(method).slice(0, 40)}" is not a method of this version's API: reload the window.` };
    try {
      const parsed = (API_METHODS[method] as (raw: unknown) => unknown)(args);
      const result = await (this.handlers[method] as (a: unknown) => Promise<unknown>)(parsed);
      return { ok: true, result: result as ApiResult<typeof method> };
    } catch (err) {
      return failure(err);
    }
  }

  subscribe(listener: (message: ApiEventMessage) => void): () => void {
    const wanted = new Set<string>(API_EVENTS);
    return this.node.events.onAny((name, payload) => {
      if (wanted.has(name)) listener({ event: name as ApiEventMessage['event'], payload });
    });
  }

  close(): void {
    this.rates.close();
  }

  private makeHandlers(): Handlers {
    const { node, runtime, queries } = this;
    const ledger = node.ledger;
    const outboxFiles = new OutboxFiles(ledger); // prepared once, not per thumbnail
    const liveHeld = () => ledger.heldSummary().filter((s) => s.state === 'receiving' || s.state === 'held' || s.state === 'delivering');
    const manualList = (): string[] => (ledger.getSetting(MANUAL_PEERS_SETTING) as string[] | undefined) ?? [];
    const settings = async (): Promise<SettingsView> => {
      const volume = await node.volume();
      return {
        deviceId: node.identity.deviceId,
        caps: node.caps(),
        volume,
        homes: node.homes.list().map((h) => ({ id: h.id, label: h.label, ssid: h.ssid, gatewayMac: h.gatewayMac })),
        network: runtime.network(),
        destinations: node.destinations.list().map(
          (d): DestinationView => ({
            label: d.card.label,
            recipient: d.card.recipient,
            kind: d.card.endpoint?.kind ?? null,
            where: d.card.endpoint === null ? null : describeEndpoint(d.card.endpoint),
            isDefault: d.isDefault,
          }),
        ),
      };
    };
    const peers = async () => {
      const linked = runtime.linked();
      const up = new Set(linked.map((p) => p.deviceId));
      return {
        linked,
        known: ledger.listPeers(KNOWN_PEERS).map((p) => ({ ...p, linked: up.has(p.deviceId) })),
        manual: manualList(),
        discoveryWarning: runtime.discoveryWarning(),
      };
    };
    return {
      overview: async () => {
        const volume = await node.volume();
        const held = liveHeld();
        const caps = node.caps();
        const outbox = ledger.outboxSummary();
        const count = (states: string[]) => outbox.filter((s) => states.includes(s.state)).reduce((n, s) => n + s.count, 0);
        const placed = ledger.placedCount(caps.replicas);
        return {
          deviceId: node.identity.deviceId,
          name: runtime.name,
          network: runtime.network(),
          peersLinked: runtime.linked().length,
          // A peer that dialled us was never "heard of" by discovery, but it is certainly nearby.
          peersSeen: Math.max(runtime.seen(), runtime.linked().length),
          discoveryWarning: runtime.discoveryWarning(),
          caps,
          volume,
          held: { bytes: held.reduce((n, s) => n + s.bytes, 0), count: held.reduce((n, s) => n + s.count, 0), origins: queries.heldOrigins() },
          mine: {
            pending: count(['sealed', 'placing', 'placed']) - placed,
            placed,
            delivered: count(['delivered']),
            bytes: outbox.filter((s) => s.state !== 'lost').reduce((n, s) => n + s.bytes, 0),
          },
          rates: { upBps: this.rates.rate('up'), downBps: this.rates.rate('down'), deliverBps: this.rates.rate('deliver') },
          deliveries: node.deliverer.deliveries.summary(),
        };
      },
      heldPage: async ({ sort, dir, offset, limit }) => {
        const held = liveHeld();
        return {
          total: held.reduce((n, s) => n + s.count, 0),
          totalBytes: held.reduce((n, s) => n + s.bytes, 0),
          offset,
          rows: queries.heldPage(sort, dir, offset, limit),
        };
      },
      backups: async ({ filter, offset, limit }) => {
        const wanted = node.caps().replicas;
        const states = { all: ['sealed', 'placing', 'placed', 'delivered', 'lost'], pending: ['sealed', 'placing'], placed: ['placed'], delivered: ['delivered'] }[filter];
        const total = ledger.outboxSummary().filter((s) => states.includes(s.state)).reduce((n, s) => n + s.count, 0);
        const rows = queries.backups(filter, offset, limit).map(
          (r): BackupView => ({
            blobId: r.blobId,
            name: r.firstName ?? r.label,
            fileCount: r.fileCount,
            size: r.size,
            capturedAt: r.capturedAt,
            createdAt: r.createdAt,
            state: r.state,
            replicas: r.replicas,
            wanted,
            destination: r.destination,
            hasThumbnail: r.firstName !== null && canThumbnail(r.firstName),
          }),
        );
        return { total, offset, rows };
      },
      thumbnail: async ({ blobId }) => ({ dataUrl: await thumbnailOf(node.thumbnails, outboxFiles, blobId) }),
      peers,
      addPeer: async ({ address }) => {
        const parsed = parsePeerAddress(address);
        const list = new Set(manualList());
        const text = formatPeerAddress(parsed);
        if (!list.has(text) && list.size >= MANUAL_PEERS_MAX) throw new InswarmError('E_PEER_LIST_FULL', `At most ${MANUAL_PEERS_MAX} peers can be added by hand: remove one first.`);
        list.add(text);
        ledger.setSetting(MANUAL_PEERS_SETTING, [...list]);
        runtime.addManualPeer(parsed);
        return peers();
      },
      removePeer: async ({ address }) => {
        const parsed = parsePeerAddress(address);
        const text = formatPeerAddress(parsed);
        ledger.setSetting(MANUAL_PEERS_SETTING, manualList().filter((a) => a !== text && a !== address));
        runtime.removeManualPeer(parsed);
        return peers();
      },
      deliveries: async () => ({
        home: runtime.network()?.home != null,
        running: node.deliverer.busy,
        totals: node.deliverer.deliveries.summary(),
        rows: queries.recentDeliveries(DELIVERY_ROWS).map((r) => ({
          blobId: r.blobId,
          source: r.source,
          destination: r.destination ?? (r.source === 'held' ? 'replica' : '?'),
          target: r.targetKind ?? '?',
          state: r.state,
          size: r.size,
          bytesSent: r.bytesSent,
          attempts: r.attempts,
          lastError: r.lastError,
          nextAttemptAt: r.nextAttemptAt,
          updatedAt: r.updatedAt,
        })),
        destinations: queries.perDestination().map((d) => ({
          label: d.label,
          kind: d.endpoint === null ? 'none' : ((JSON.parse(d.endpoint) as Endpoint).kind ?? 'none'),
          pending: d.pending ?? 0,
          pendingBytes: d.pendingBytes ?? 0,
          delivered: d.delivered ?? 0,
        })),
      }),
      deliverNow: async () => {
        void node.deliverNow().catch(() => undefined); // runs in the background; progress arrives as events
        return null;
      },
      retryDelivery: async ({ blobId }) => {
        queries.retryNow(blobId);
        void node.deliverNow().catch(() => undefined);
        return null;
      },
      settings,
      setCaps: async (change) => node.setCaps(change),
      markHome: async ({ label }) => {
        const watch = node.watchHome();
        await watch.check();
        const fp = watch.state.fingerprint;
        if (fp === null || (fp.ssid === null && fp.gatewayMac === null)) {
          throw new InswarmError('E_NET_PROBE', 'This network cannot be recognised (no Wi-Fi name and no gateway answered): connect to it and try again.');
        }
        node.homes.add({ ...(label === undefined ? {} : { label }), ssid: fp.ssid, gatewayMac: fp.gatewayMac });
        await watch.check(); // at home now: deliveries start
        return settings();
      },
      removeHome: async ({ id }) => {
        node.homes.remove(id);
        await node.homeWatch?.check();
        return settings();
      },
      importCard: async ({ link, makeDefault }) => {
        node.destinations.add(parseCardLink(link), { makeDefault: makeDefault ?? false });
        void node.intake.sealIfReady(); // imported photos waiting for a destination now have one
        return settings();
      },
      destinationCard: async ({ label }) => {
        const d = node.destinations.byLabel(label);
        if (d.card.endpoint === null) throw new InswarmError('E_BAD_CARD', `The destination "${label}" has no delivery endpoint, so it has no card to share.`);
        const text = encodeCardLink({ label: d.card.label, recipient: d.card.recipient, endpoint: d.card.endpoint });
        return { text, svg: await renderQrSvg(text) };
      },
      deviceCard: async () => {
        const text = node.identity.deviceId;
        return { text, svg: await renderQrSvg(text) };
      },
      activity: async ({ afterId, limit }) => ({
        events: ledger.listEvents({ ...(afterId === undefined ? {} : { afterId }), limit: limit ?? ACTIVITY_PAGE }).reverse(),
      }),
      importSources: async () => node.intake.state(),
      importScan: async ({ source, offset, limit }) => node.intake.scan(source, offset ?? 0, limit ?? API_MAX_PAGE),
      importThumbnail: async ({ source, path }) => {
        // Only a file the source's own scan lists: the UI never names an arbitrary path to read.
        const file = await node.intake.sourceFile(source, path);
        if (file === null) throw new InswarmError('E_NOT_FOUND', `${path.slice(0, 200)} is not a photo on that source: look at the source again.`);
        return { dataUrl: jpegDataUrl(await node.thumbnails.of({ path: file.file, size: file.size })) };
      },
      importStart: async ({ source, mode, only }) => {
        await node.intake.start(source, { ...(mode === undefined ? {} : { mode }), ...(only === undefined ? {} : { only }) });
        return null; // runs in the background; progress and the summary arrive as events
      },
      importCancel: async () => {
        node.intake.cancel();
        return null;
      },
      setImportLibrary: async ({ path }) => {
        await node.intake.setLibrary(path);
        return node.intake.state();
      },
      setAutoImport: async ({ on }) => {
        node.intake.setAutoImport(on);
        return node.intake.state();
      },
    };
  }
}

/** The reply for a failed call: coded errors as they are, argument errors as E_USAGE, the rest hidden. */
function failure(err: unknown): ApiReply {
  if (err instanceof ApiArgumentError) return { ok: false, code: 'E_USAGE', message: err.message };
  if (isInswarmError(err) && isErrorCode(err.code)) return { ok: false, code: err.code, message: err.message };
  return { ok: false, code: 'E_INTERNAL', message: 'Something went wrong inside Inswarm; the details are in its log. Try again, or restart it.' };
}

/**
 * A small picture of an own blob's first photo, from the file it was added from (for imports, the
 * library copy), keyed by its content hash. Null when the file moved or is no picture.
 */
async function thumbnailOf(thumbnails: Thumbnails, outboxFiles: OutboxFiles, blobId: string): Promise<string | null> {
  const file = outboxFiles.of(blobId)[0];
  if (file === undefined) return null;
  return jpegDataUrl(await thumbnails.of({ path: file.sourcePath, size: file.size, sha256: file.sha256 }));
}

/** Thumbnails are always JPEG: rendered ones, EXIF ones, and the small JPEGs shown whole without sharp. */
function jpegDataUrl(jpeg: Buffer | null): string | null {
  return jpeg === null ? null : `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
