// The node's status as the CLI (--json), the headless bridge and the UI see it. Plain JSON.

export interface StateTotalView {
  readonly state: string;
  readonly count: number;
  readonly bytes: number;
}

/** What a donor gives, and how many replicas its own blobs get. */
export interface CapsView {
  /** Bytes donated to others' replicas (receiving + held). */
  readonly diskBytes: number;
  /** Free bytes on the volume that accepting a replica must never go below. */
  readonly floorBytes: number;
  /** Largest fraction of diskBytes one origin may use. */
  readonly originShare: number;
  /** Longest time a replica is kept; a ticket may ask for less, not more. */
  readonly retentionMs: number;
  /** Upload cap in bytes/s shared by all links, null for none. */
  readonly upBytesPerSec: number | null;
  /** Download cap in bytes/s shared by all links, null for none. */
  readonly downBytesPerSec: number | null;
  /** How many distinct holders each own blob should reach. */
  readonly replicas: number;
  /** Delivery upload cap in bytes/s (home uplink), null for none. */
  readonly deliverBytesPerSec: number | null;
  /** Deliveries run at once. */
  readonly deliveries: number;
}

export interface PeerStatusView {
  readonly deviceId: string;
  readonly name: string;
  readonly address: string;
  readonly direction: 'in' | 'out';
  readonly freeBytes: number;
  readonly throughputBps: number;
}

/** What only a running node knows (published by it to <data>/runtime.json). */
export interface RuntimeView {
  readonly pid: number;
  readonly listen: string | null;
  readonly startedAt: number;
  readonly updatedAt: number;
  /** Peers linked right now. */
  readonly linked: readonly PeerStatusView[];
  /** Peers heard of (discovery or manual) but maybe not linked. */
  readonly seen: number;
  /** A sentence when discovery hears nothing, else null. */
  readonly discoveryWarning: string | null;
  /** The network the node last saw, and the home network it matched (null: not at home). */
  readonly network?: NetworkView | null;
}

export interface NetworkView {
  readonly ssid: string | null;
  readonly gatewayMac: string | null;
  readonly home: string | null;
}

export interface DeliveryTotalView {
  readonly state: string;
  readonly count: number;
  readonly bytes: number;
}

export interface NodeStatusView {
  readonly deviceId: string;
  readonly dataDir: string;
  readonly destination: { readonly label: string; readonly recipient: string } | null;
  readonly outbox: readonly StateTotalView[];
  /** Own blobs (not yet delivered) with at least `caps.replicas` custody receipts. */
  readonly placed: number;
  readonly held: readonly StateTotalView[];
  readonly caps: CapsView;
  /** null when no node is running on this data folder. */
  readonly running: RuntimeView | null;
  /** Deliveries by state (bytes = bytes uploaded). */
  readonly deliveries: readonly DeliveryTotalView[];
}
