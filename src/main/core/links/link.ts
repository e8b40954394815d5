// What the rest of the core sees of peer links: an authenticated peer, where it is, who dialed,
// and a Channel to it. Shared by the listener, the dialer and LinkManager.

import type { Channel } from '../protocol/messages.js';

/** A peer's network address. For inbound links it is the dialer's source address. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** One open, authenticated link to one peer device. */
export interface Link {
  /** The peer's device ID, computed from the certificate it presented in the TLS handshake. */
  readonly deviceId: string;
  readonly address: PeerAddress;
  /** 'out' if this device dialed, 'in' if the peer did. */
  readonly direction: 'in' | 'out';
  readonly channel: Channel;
}

/** Why a link was refused before any application frame was exchanged. */
export type RefusalReason =
  | 'mismatch' // we dialed one device ID and the certificate said another
  | 'blocked' // the peer's device ID is in the blocklist
  | 'self' // the peer presented our own certificate
  | 'no-certificate' // the peer presented no client certificate
  | 'too-many-links' // the link limit is reached
  | 'bad-handshake'; // TLS was fine but what followed was not a WebSocket upgrade to our path

/** A refused link attempt, reported to LinkManager.onRefusal handlers and logged. */
export interface LinkRefusal {
  readonly reason: RefusalReason;
  readonly direction: 'in' | 'out';
  readonly address: PeerAddress;
  /** The device ID the peer's certificate hashes to, when it presented one. */
  readonly deviceId?: string;
  /** For 'mismatch': the device ID that was dialed. */
  readonly expectedDeviceId?: string;
}

/** The one HTTP path a link upgrades on; a new wire format would get a new path. */
export const LINK_PATH = '/inswarm/link';

/** Response header naming why the listener refused an upgrade (a RefusalReason). */
export const REFUSAL_HEADER = 'x-inswarm-refusal';

/** Formats an address for URLs and log lines (IPv6 in brackets). */
export function formatAddress(address: PeerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
