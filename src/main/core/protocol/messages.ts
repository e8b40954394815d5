// The peer protocol's messages, listed once. A link carries WebSocket frames: control messages are
// JSON text frames, blob bytes are binary `data` frames (see codec.ts). Version 1.
//
//   origin                                holder
//   hello ───────────────────────────────► hello           (both ways, first, once)
//   offer(signed ticket) ────────────────►
//                        ◄──────────────── accept(offset) | decline(reason)
//   data(blobId, offset, bytes)… ────────►                  (backpressure: TCP + ws pause)
//   commit(blobId, size) ────────────────►
//                        ◄──────────────── stored(signed custody receipt) | error
//   release(signed by origin) ───────────►
//                        ◄──────────────── released
//   cancel(blobId) ──────────────────────►                  (origin gives up a transfer)
//   error(code, message) ◄──────────────►                   (either side, any time)

/** Protocol version spoken by this build; a peer with another version gets E_PROTO_VERSION. */
export const PROTOCOL_VERSION = 1;
/** The TCP port peers link on when none is given (mDNS advertises the real one). */
export const DEFAULT_PORT = 22_100;

/** Why a holder declines an offer; the origin chooses its next move from it. */
export type DeclineReason =
  | 'full' // donated disk cap or free-disk floor would be crossed
  | 'origin-share' // this origin already uses its share of the donation
  | 'duplicate' // already held (or delivered) here
  | 'expired' // the ticket's expiry is past, or beyond what this holder keeps
  | 'too-large' // larger than this holder accepts at all
  | 'busy' // too many transfers in flight; retry later
  | 'bad-ticket'; // signature, origin or fields do not check out

export const DECLINE_REASONS: readonly DeclineReason[] = ['full', 'origin-share', 'duplicate', 'expired', 'too-large', 'busy', 'bad-ticket'];

/** Protocol error codes, stable on the wire. */
export type ProtocolErrorCode =
  | 'E_PROTO_MALFORMED' // a frame that does not decode
  | 'E_PROTO_UNKNOWN' // a message type this version does not know
  | 'E_PROTO_VERSION' // incompatible protocol version
  | 'E_PROTO_STATE' // a message that is not valid now (data before accept, a second hello…)
  | 'E_PROTO_LIMIT' // a size or count above a limit
  | 'E_PROTO_SIZE' // a blob's bytes do not add up to its announced size
  | 'E_PROTO_HASH' // a blob's bytes do not hash to its ID
  | 'E_PROTO_IO' // the receiver could not store the bytes
  | 'E_PROTO_TICKET'; // a ticket, receipt or release whose signature or fields are wrong

/** A signed statement: the exact bytes signed (UTF-8 JSON, base64) and the signer's signature. */
export interface Signed {
  /** base64 of the canonical JSON body; receivers verify these bytes, then parse them. */
  readonly body: string;
  /** base64 ECDSA P-256 / SHA-256 signature (IEEE P1363) over the body bytes. */
  readonly sig: string;
}

export interface HelloMessage {
  readonly type: 'hello';
  readonly version: number;
  /** Human-readable name of the device (shown in peer lists). */
  readonly name: string;
  /** Optional features, e.g. "resume". Unknown ones are ignored. */
  readonly capabilities: readonly string[];
  /** Coarse bytes this peer can still accept as a holder (0 when it donates nothing). */
  readonly freeBytes: number;
}

export interface OfferMessage {
  readonly type: 'offer';
  /** The origin-signed ticket (see tickets.ts). */
  readonly ticket: Signed;
}

export interface AcceptMessage {
  readonly type: 'accept';
  readonly blobId: string;
  /** Bytes the holder already has from an interrupted transfer; the origin resumes here. */
  readonly offset: number;
}

export interface DeclineMessage {
  readonly type: 'decline';
  readonly blobId: string;
  readonly reason: DeclineReason;
  /** When `busy`, how long to wait before offering again. */
  readonly retryAfterMs?: number;
}

export interface DataMessage {
  readonly type: 'data';
  readonly blobId: string;
  /** Offset of `bytes` in the blob; must equal what the receiver has so far. */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface CommitMessage {
  readonly type: 'commit';
  readonly blobId: string;
  readonly size: number;
}

export interface StoredMessage {
  readonly type: 'stored';
  readonly blobId: string;
  /** The holder-signed custody receipt: "I durably hold blob X until T". */
  readonly receipt: Signed;
}

export interface ReleaseMessage {
  readonly type: 'release';
  readonly blobId: string;
  /** The origin-signed release: the holder may purge its copy. */
  readonly release: Signed;
}

export interface ReleasedMessage {
  readonly type: 'released';
  readonly blobId: string;
}

export interface CancelMessage {
  readonly type: 'cancel';
  readonly blobId: string;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ProtocolErrorCode;
  /** One sentence for logs and the UI. */
  readonly message: string;
  /** The transfer it concerns, if any; without one the link is being closed. */
  readonly blobId?: string;
}

export type Message =
  | HelloMessage
  | OfferMessage
  | AcceptMessage
  | DeclineMessage
  | DataMessage
  | CommitMessage
  | StoredMessage
  | ReleaseMessage
  | ReleasedMessage
  | CancelMessage
  | ErrorMessage;

export type MessageType = Message['type'];

/**
 * What a session sees of a link: frames in, frames out. One file adapts `ws` to it; tests join two
 * sessions with an in-memory pair. `send` resolves when the frame was handed to the socket and the
 * socket's buffer is below its high-water mark (backpressure); `pause`/`resume` stop and restart
 * delivery of incoming frames (the receiver's backpressure while it writes to disk).
 */
export interface Channel {
  send(frame: Frame): Promise<void>;
  onFrame(handler: (frame: Frame) => void): void;
  onClose(handler: (reason: string) => void): void;
  pause(): void;
  resume(): void;
  close(reason: string): void;
}

/** One WebSocket frame: text (control JSON) or binary (data). */
export type Frame = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'binary'; readonly bytes: Uint8Array };
