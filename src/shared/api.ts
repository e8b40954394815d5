// The one contract between the UI and the core: every method the window may call, with its
// argument parser and result type, and every event the core pushes. Listed once, here. The
// Electron preload/IPC and the headless HTTP/WebSocket bridge are both generated from
// API_METHODS and API_EVENTS, and both call one dispatcher (src/main/api/dispatch.ts) that runs
// these parsers on the untrusted arguments before anything else. Pure: no node:, electron or react.

import type { CapsView, NetworkView, PeerStatusView, StateTotalView } from './status.js';

// ---- views (plain JSON results) ----

export interface OverviewView {
  readonly deviceId: string;
  readonly name: string;
  /** The network the node sees and whether it is home; null until the first probe. */
  readonly network: NetworkView | null;
  /** Linked peers now, and peers heard of (discovery + manual). */
  readonly peersLinked: number;
  readonly peersSeen: number;
  /** A plain-words sentence when discovery hears nobody, else null. */
  readonly discoveryWarning: string | null;
  readonly caps: CapsView;
  readonly volume: { readonly freeBytes: number; readonly totalBytes: number };
  /** Bytes and blobs held for others (receiving + held + delivering), and for how many origins. */
  readonly held: { readonly bytes: number; readonly count: number; readonly origins: number };
  /** Own blobs: waiting for replicas, on k holders, delivered. */
  readonly mine: { readonly pending: number; readonly placed: number; readonly delivered: number; readonly bytes: number };
  /** Bytes per second right now through the shared caps (placement up, receiving down). */
  readonly rates: { readonly upBps: number; readonly downBps: number; readonly deliverBps: number };
  readonly deliveries: readonly StateTotalView[];
}

export type HeldSort = 'received' | 'size' | 'expires';
export interface HeldQuery {
  readonly sort: HeldSort;
  readonly dir: 'asc' | 'desc';
  readonly offset: number;
  readonly limit: number;
}
export interface HeldRowView {
  readonly blobId: string;
  readonly size: number;
  readonly originId: string;
  readonly receivedAt: number;
  readonly expiresAt: number;
  readonly bytesReceived: number;
  readonly state: string;
}
export interface HeldPageView {
  /** Rows in states receiving, held, delivering (the list's universe), and their bytes. */
  readonly total: number;
  readonly totalBytes: number;
  readonly offset: number;
  readonly rows: readonly HeldRowView[];
}

export type BackupFilter = 'all' | 'pending' | 'placed' | 'delivered';
export interface BackupsQuery {
  readonly filter: BackupFilter;
  readonly offset: number;
  readonly limit: number;
}
export interface BackupView {
  readonly blobId: string;
  /** The (first) file's name. */
  readonly name: string;
  readonly fileCount: number;
  readonly size: number;
  readonly capturedAt: number | null;
  readonly createdAt: number;
  readonly state: string;
  /** Holders with a custody receipt, and how many the caps ask for. */
  readonly replicas: number;
  readonly wanted: number;
  readonly destination: string;
  /** Whether thumbnail() can show it. */
  readonly hasThumbnail: boolean;
}
export interface BackupsPageView {
  readonly total: number;
  readonly offset: number;
  readonly rows: readonly BackupView[];
}

export interface KnownPeerView {
  readonly deviceId: string;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly source: string;
  readonly lastSeen: number;
  readonly freeBytes: number | null;
  readonly throughputBps: number | null;
  /** Linked right now. */
  readonly linked: boolean;
}
export interface PeersView {
  readonly linked: readonly PeerStatusView[];
  readonly known: readonly KnownPeerView[];
  /** Addresses added by hand (`inswarm peer add`, or here). */
  readonly manual: readonly string[];
  readonly discoveryWarning: string | null;
}

export interface DeliveryRowView {
  readonly blobId: string;
  readonly source: 'outbox' | 'held';
  readonly destination: string;
  readonly target: string;
  readonly state: string;
  readonly size: number;
  readonly bytesSent: number;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: number | null;
  readonly updatedAt: number;
}
export interface DeliveriesView {
  readonly home: boolean;
  readonly running: boolean;
  readonly totals: readonly StateTotalView[];
  /** The most recent deliveries (active and failed first). */
  readonly rows: readonly DeliveryRowView[];
  /** Per destination: blobs still to deliver and bytes. */
  readonly destinations: readonly { readonly label: string; readonly kind: string; readonly pending: number; readonly pendingBytes: number; readonly delivered: number }[];
}

export interface HomeNetworkView {
  readonly id: number;
  readonly label: string;
  readonly ssid: string | null;
  readonly gatewayMac: string | null;
}
export interface DestinationView {
  readonly label: string;
  readonly recipient: string;
  readonly kind: string | null;
  readonly where: string | null;
  readonly isDefault: boolean;
}
export interface SettingsView {
  readonly deviceId: string;
  readonly caps: CapsView;
  readonly volume: { readonly freeBytes: number; readonly totalBytes: number };
  readonly homes: readonly HomeNetworkView[];
  readonly network: NetworkView | null;
  readonly destinations: readonly DestinationView[];
}

export interface ActivityEventView {
  readonly id: number;
  readonly at: number;
  readonly type: string;
  readonly data: unknown;
}
export interface ActivityView {
  readonly events: readonly ActivityEventView[];
}

export interface CardView {
  readonly text: string;
  /** The QR code as an SVG document. */
  readonly svg: string;
}

export type ImportSourceKind = 'volume' | 'mtp' | 'ptp' | 'folder';
export interface ImportSourceView {
  /** What importScan/importStart take: the stable ID recorded with every import from it. */
  readonly id: string;
  readonly name: string;
  readonly kind: ImportSourceKind;
  /** The folder holding DCIM; null for a PTP camera (read through gphoto2). */
  readonly root: string | null;
  readonly photos: number;
  readonly videos: number;
  readonly bytes: number;
  /** Files not imported from this source before (PTP cameras: 0, counted when imported). */
  readonly newFiles: number;
  readonly newBytes: number;
  /** PTP cameras only: false until an import has listed the camera, so the counts above are 0. */
  readonly counted?: boolean;
}
export interface ToolHintView {
  readonly tool: string;
  readonly installed: boolean;
  /** What installing it adds, and how; empty when installed. */
  readonly hint: string;
}
export interface ImportProgressView {
  readonly phase: 'scanning' | 'downloading' | 'copying' | 'sealing' | 'done';
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly filesPerSec: number;
  readonly bytesPerSec: number;
  readonly etaSeconds: number | null;
}
export interface ImportSummaryView {
  readonly source: string;
  readonly library: string;
  readonly found: number;
  readonly considered: number;
  readonly imported: number;
  readonly importedBytes: number;
  readonly alreadyImported: number;
  readonly skippedKnown: number;
  readonly unreadable: number;
  readonly problems: readonly { readonly path: string; readonly reason: string }[];
  readonly sealedBlobs: number;
  readonly sealPending: number;
  readonly waitingForDestination: boolean;
  /** Why the import stopped early (the source was unplugged), else null. */
  readonly stopped: string | null;
  readonly seconds: number;
}
/** How an import ended: its summary, or cancelled, or an error in plain words (also the `import:done` payload). */
export interface ImportOutcomeView {
  readonly source: string;
  readonly name: string;
  readonly at: number;
  readonly summary: ImportSummaryView | null;
  readonly cancelled: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
}
/** The import running now (also the `import:progress` payload). */
export interface ImportRunningView {
  readonly source: string;
  readonly name: string;
  readonly progress: ImportProgressView;
}
export interface ImportStateView {
  readonly sources: readonly ImportSourceView[];
  readonly hints: readonly ToolHintView[];
  /** The photo library imports are copied into. */
  readonly library: string;
  readonly running: ImportRunningView | null;
  readonly last: ImportOutcomeView | null;
  /** Items in the library still waiting to be sealed (no destination yet). */
  readonly sealPending: number;
  /** Plugging in a phone or card starts an import of what is new on it. */
  readonly autoImport: boolean;
}
export interface ImportFileView {
  /** Relative to the source, as importStart's `only` and importThumbnail take it. */
  readonly path: string;
  readonly name: string;
  readonly kind: 'photo' | 'video';
  readonly size: number;
  readonly mtimeMs: number;
  /** Imported from this source before (same path and size). */
  readonly imported: boolean;
}
export interface ImportScanView {
  readonly total: number;
  readonly offset: number;
  readonly files: readonly ImportFileView[];
}
/** A source event's payload (`source:added`, `source:removed`). */
export interface SourceEventView {
  /** The folder; for a PTP camera (no folder), its source ID. */
  readonly root: string;
  readonly kind: 'volume' | 'mtp' | 'ptp';
  readonly name: string;
}

// ---- methods ----

/** Method name → [argument type, result type]. */
export interface ApiMethods {
  overview: [void, OverviewView];
  heldPage: [HeldQuery, HeldPageView];
  backups: [BackupsQuery, BackupsPageView];
  thumbnail: [{ blobId: string }, { dataUrl: string | null }];
  peers: [void, PeersView];
  addPeer: [{ address: string }, PeersView];
  removePeer: [{ address: string }, PeersView];
  deliveries: [void, DeliveriesView];
  deliverNow: [void, null];
  retryDelivery: [{ blobId: string }, null];
  settings: [void, SettingsView];
  setCaps: [Partial<CapsView>, CapsView];
  markHome: [{ label?: string }, SettingsView];
  removeHome: [{ id: number }, SettingsView];
  importCard: [{ link: string; makeDefault?: boolean }, SettingsView];
  destinationCard: [{ label: string }, CardView];
  deviceCard: [void, CardView];
  activity: [{ afterId?: number; limit?: number }, ActivityView];
  importSources: [void, ImportStateView];
  importScan: [{ source: string; offset?: number; limit?: number }, ImportScanView];
  importThumbnail: [{ source: string; path: string }, { dataUrl: string | null }];
  importStart: [{ source: string; mode?: 'new' | 'all'; only?: readonly string[] }, null];
  importCancel: [void, null];
  setImportLibrary: [{ path: string }, ImportStateView];
  setAutoImport: [{ on: boolean }, ImportStateView];
}
export type ApiMethod = keyof ApiMethods;
export type ApiArgs<M extends ApiMethod> = ApiMethods[M][0];
export type ApiResult<M extends ApiMethod> = ApiMethods[M][1];

/** What a call answers over either transport. */
export type ApiReply<M extends ApiMethod = ApiMethod> =
  | { readonly ok: true; readonly result: ApiResult<M> }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Limits on what the UI may ask for at once. */
export const API_MAX_PAGE = 500;
export const API_MAX_STRING_CHARS = 4096;
/**
 * The biggest call is an importStart selection: API_MAX_IMPORT_SELECTION paths of up to ~125
 * characters (MTP paths such as "Internal shared storage/DCIM/Camera/PXL_….jpg" are long) fit.
 */
export const API_MAX_ARGS_BYTES = 256 * 1024;
/** Files one importStart may name; API_MAX_ARGS_BYTES bounds it first for long paths. */
export const API_MAX_IMPORT_SELECTION = 2_000;

/** Thrown by a parser; the dispatcher answers E_USAGE with its sentence. */
export class ApiArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiArgumentError';
  }
}

type Parser<T> = (raw: unknown) => T;

/** Every method with the parser of its (untrusted) arguments: the list both transports are built from. */
export const API_METHODS: { readonly [M in ApiMethod]: Parser<ApiArgs<M>> } = {
  overview: none,
  heldPage: (raw) => {
    const o = object(raw);
    return {
      sort: oneOf(o['sort'] ?? 'received', ['received', 'size', 'expires'] as const, 'sort'),
      dir: oneOf(o['dir'] ?? 'desc', ['asc', 'desc'] as const, 'dir'),
      offset: uint(o['offset'] ?? 0, 'offset'),
      limit: Math.min(API_MAX_PAGE, uint(o['limit'] ?? 100, 'limit')),
    };
  },
  backups: (raw) => {
    const o = object(raw);
    return {
      filter: oneOf(o['filter'] ?? 'all', ['all', 'pending', 'placed', 'delivered'] as const, 'filter'),
      offset: uint(o['offset'] ?? 0, 'offset'),
      limit: Math.min(API_MAX_PAGE, uint(o['limit'] ?? 100, 'limit')),
    };
  },
  thumbnail: (raw) => ({ blobId: blobId(object(raw)['blobId']) }),
  peers: none,
  addPeer: (raw) => ({ address: string(object(raw)['address'], 'address') }),
  removePeer: (raw) => ({ address: string(object(raw)['address'], 'address') }),
  deliveries: none,
  deliverNow: none,
  retryDelivery: (raw) => ({ blobId: blobId(object(raw)['blobId']) }),
  settings: none,
  setCaps: (raw) => {
    const o = object(raw);
    const out: { -readonly [K in keyof CapsView]?: CapsView[K] } = {};
    for (const key of Object.keys(o)) {
      const v = o[key];
      switch (key) {
        case 'diskBytes':
        case 'floorBytes':
        case 'retentionMs':
        case 'replicas':
        case 'deliveries':
          out[key] = uint(v, key);
          break;
        case 'originShare':
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new ApiArgumentError('originShare must be a number.');
          out.originShare = v;
          break;
        case 'upBytesPerSec':
        case 'downBytesPerSec':
        case 'deliverBytesPerSec':
          out[key] = v === null ? null : uint(v, key);
          break;
        default:
          throw new ApiArgumentError(`"${key.slice(0, 40)}" is not a cap.`);
      }
    }
    return out;
  },
  markHome: (raw) => {
    const o = object(raw);
    return o['label'] === undefined ? {} : { label: string(o['label'], 'label') };
  },
  removeHome: (raw) => ({ id: uint(object(raw)['id'], 'id') }),
  importCard: (raw) => {
    const o = object(raw);
    const link = string(o['link'], 'link');
    return o['makeDefault'] === undefined ? { link } : { link, makeDefault: bool(o['makeDefault'], 'makeDefault') };
  },
  destinationCard: (raw) => ({ label: string(object(raw)['label'], 'label') }),
  deviceCard: none,
  activity: (raw) => {
    const o = object(raw ?? {});
    const out: { afterId?: number; limit?: number } = {};
    if (o['afterId'] !== undefined) out.afterId = uint(o['afterId'], 'afterId');
    if (o['limit'] !== undefined) out.limit = Math.min(API_MAX_PAGE, uint(o['limit'], 'limit'));
    return out;
  },
  importSources: none,
  importScan: (raw) => {
    const o = object(raw);
    return {
      source: string(o['source'], 'source'),
      offset: uint(o['offset'] ?? 0, 'offset'),
      limit: Math.min(API_MAX_PAGE, uint(o['limit'] ?? 100, 'limit')),
    };
  },
  importThumbnail: (raw) => {
    const o = object(raw);
    return { source: string(o['source'], 'source'), path: string(o['path'], 'path') };
  },
  importStart: (raw) => {
    const o = object(raw);
    const out: { source: string; mode?: 'new' | 'all'; only?: string[] } = { source: string(o['source'], 'source') };
    if (o['mode'] !== undefined) out.mode = oneOf(o['mode'], ['new', 'all'] as const, 'mode');
    if (o['only'] !== undefined) {
      const only = o['only'];
      if (!Array.isArray(only) || only.length === 0 || only.length > API_MAX_IMPORT_SELECTION) {
        throw new ApiArgumentError(`only must list 1 to ${API_MAX_IMPORT_SELECTION} files.`);
      }
      out.only = only.map((p) => string(p, 'each file in only'));
    }
    return out;
  },
  importCancel: none,
  setImportLibrary: (raw) => ({ path: string(object(raw)['path'], 'path') }),
  setAutoImport: (raw) => ({ on: bool(object(raw)['on'], 'on') }),
};

export const API_METHOD_NAMES = Object.keys(API_METHODS) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(API_METHODS, name);
}

// ---- events ----

/** Core events pushed to the UI as they happen (payloads as in src/main/core/events.ts). */
export const API_EVENTS = [
  'peer:up',
  'peer:down',
  'peer:seen',
  'peer:lost',
  'placement:progress',
  'placement:stored',
  'placement:failed',
  'blob:placed',
  'held:receiving',
  'held:progress',
  'held:stored',
  'held:purged',
  'caps:changed',
  'network:changed',
  'delivery:started',
  'delivery:progress',
  'delivery:delivered',
  'delivery:failed',
  'delivery:released',
  'import:progress',
  'import:done',
  'source:added',
  'source:removed',
] as const;
export type ApiEvent = (typeof API_EVENTS)[number];
export interface ApiEventMessage {
  readonly event: ApiEvent;
  readonly payload: unknown;
}

// ---- argument checks ----

function none(raw: unknown): void {
  if (raw !== undefined && raw !== null && !(typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0)) {
    throw new ApiArgumentError('This method takes no arguments.');
  }
}

function object(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ApiArgumentError('The arguments must be an object.');
  return raw as Record<string, unknown>;
}

function uint(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ApiArgumentError(`${name} must be a whole number, 0 or more.`);
  return v;
}

function string(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > API_MAX_STRING_CHARS) throw new ApiArgumentError(`${name} must be text of 1 to ${API_MAX_STRING_CHARS} characters.`);
  return v;
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new ApiArgumentError(`${name} must be true or false.`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], name: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new ApiArgumentError(`${name} must be one of ${allowed.join(', ')}.`);
  return v as T;
}

function blobId(v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new ApiArgumentError('blobId must be 64 lowercase hex characters.');
  return v;
}
