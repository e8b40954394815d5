// The peer protocol's frame codec, v1. Pure: messages in, frames out and back; no sockets, timers
// or files. Control messages are JSON text frames; blob bytes travel in binary `data` frames:
//
//   0      1                         33                 41
//   ┌──────┬─────────────────────────┬──────────────────┬───────────────────────┐
//   │ 0x01 │ blob ID, 32 raw bytes   │ offset, u64 BE   │ payload (1…256 KiB)   │
//   └──────┴─────────────────────────┴──────────────────┴───────────────────────┘
//
// Decoding trusts nothing: every length is checked before the bytes are parsed or copied, every
// field is read by type and bound, and the result is a fresh object holding only known fields, so
// nothing a peer adds ever reaches the app. Encoding runs the same checks, so this build never
// sends a frame a peer of the same version would refuse.

import {
  DATA_FRAME_HEADER_BYTES,
  MAX_CAPABILITIES,
  MAX_CAPABILITY_CHARS,
  MAX_CONTROL_FRAME_BYTES,
  MAX_DATA_PAYLOAD_BYTES,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_PEER_NAME_CHARS,
  MAX_RETRY_AFTER_MS,
  MAX_SIGNED_BODY_BYTES,
} from '../limits.js';
import {
  DECLINE_REASONS,
  type AcceptMessage,
  type CancelMessage,
  type CommitMessage,
  type DataMessage,
  type DeclineMessage,
  type ErrorMessage,
  type Frame,
  type HelloMessage,
  type Message,
  type OfferMessage,
  type ReleaseMessage,
  type ReleasedMessage,
  type StoredMessage,
} from './messages.js';
import { ProtocolError, isProtocolErrorCode } from './protocol-error.js';
import {
  type JsonObject,
  type ShapeContext,
  absent,
  checkString,
  malformed,
  overLimit,
  own,
  readBlobId,
  readObject,
  readOneOf,
  readSigned,
  readString,
  readUint,
} from './shape.js';

// Callers of the codec catch this one error type; it lives in protocol-error.ts so signed.ts can share it.
export { ProtocolError } from './protocol-error.js';

/** First byte of a binary frame: what follows. v1 has one binary frame type. */
export const DATA_FRAME_TYPE = 0x01;
const BLOB_ID_BYTES = 32;
const OFFSET_AT = 1 + BLOB_ID_BYTES;
/** An offset is a u64 on the wire but must be a safe integer: its high 32 bits may not exceed 2^21 − 1. */
const MAX_OFFSET_HIGH_WORD = 0x1f_ffff;
const TWO_POW_32 = 2 ** 32;
/** Capabilities are short feature tokens in printable ASCII. */
const CAPABILITY_PATTERN = /^[\x21-\x7e]+$/;

/** Turns a message into the one frame that carries it. Throws ProtocolError for a message that would not decode. */
export function encodeFrame(message: Message): Frame {
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'data') {
    return { kind: 'binary', bytes: encodeData(message as DataMessage) };
  }
  const control = readControl(message as unknown);
  const text = JSON.stringify(control);
  if (Buffer.byteLength(text, 'utf8') > MAX_CONTROL_FRAME_BYTES) {
    throw new ProtocolError('E_PROTO_LIMIT', `A ${control.type} message would be larger than ${MAX_CONTROL_FRAME_BYTES} bytes, the most a peer accepts.`);
  }
  return { kind: 'text', text };
}

/** Reads one frame from a peer. Returns a fresh, fully checked message or throws ProtocolError. */
export function decodeFrame(frame: Frame): Message {
  const f = frame as { kind?: unknown; text?: unknown; bytes?: unknown } | null;
  if (typeof f === 'object' && f !== null) {
    if (f.kind === 'text' && typeof f.text === 'string') return decodeText(f.text);
    if (f.kind === 'binary' && f.bytes instanceof Uint8Array) return decodeData(f.bytes);
  }
  throw new ProtocolError('E_PROTO_MALFORMED', 'A frame is neither a text nor a binary WebSocket frame.');
}

function decodeText(text: string): Message {
  // Both checks come before JSON.parse. A string never has more UTF-16 units than UTF-8 bytes, so
  // the O(1) length check refuses the grossly oversized at once; byteLength then counts exactly
  // without allocating.
  if (text.length > MAX_CONTROL_FRAME_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CONTROL_FRAME_BYTES) {
    throw new ProtocolError('E_PROTO_LIMIT', `A control message is larger than ${MAX_CONTROL_FRAME_BYTES} bytes, the most this device accepts.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError('E_PROTO_MALFORMED', 'A text frame is not valid JSON.', { cause: err });
  }
  return readControl(value);
}

type ControlMessage = Exclude<Message, DataMessage>;

function context(type: string): ShapeContext {
  return { subject: `Malformed ${type} message`, malformed: 'E_PROTO_MALFORMED', limit: 'E_PROTO_LIMIT' };
}

/** Checks a control message (parsed JSON, or one of ours before encoding) and rebuilds it from known fields only. */
function readControl(value: unknown): ControlMessage {
  const obj = readObject(value, context('control'), 'The control message');
  const type = own(obj, 'type');
  if (typeof type !== 'string') throw new ProtocolError('E_PROTO_MALFORMED', 'A control message has no "type" string.');
  // A switch, not a lookup table: a type such as "constructor" or "__proto__" must fall to default.
  switch (type) {
    case 'hello':
      return readHello(obj, context(type));
    case 'offer':
      return readOffer(obj, context(type));
    case 'accept':
      return readAccept(obj, context(type));
    case 'decline':
      return readDecline(obj, context(type));
    case 'commit':
      return readCommit(obj, context(type));
    case 'stored':
      return readStored(obj, context(type));
    case 'release':
      return readRelease(obj, context(type));
    case 'released':
      return { type, blobId: readBlobId(obj, 'blobId', context(type)) } satisfies ReleasedMessage;
    case 'cancel':
      return { type, blobId: readBlobId(obj, 'blobId', context(type)) } satisfies CancelMessage;
    case 'error':
      return readError(obj, context(type));
    case 'data':
      throw new ProtocolError('E_PROTO_MALFORMED', 'A data message arrived in a text frame; blob bytes travel only in binary frames.');
    default:
      throw new ProtocolError('E_PROTO_UNKNOWN', `A control message has the type ${JSON.stringify(type.slice(0, 32))}, which this version does not know.`);
  }
}

function readHello(obj: JsonObject, ctx: ShapeContext): HelloMessage {
  const version = readUint(obj, 'version', ctx);
  const name = readString(obj, 'name', ctx, MAX_PEER_NAME_CHARS, { display: true, minChars: 1 });
  const list = own(obj, 'capabilities');
  if (list === undefined) malformed(ctx, '"capabilities" is missing');
  if (!Array.isArray(list)) malformed(ctx, '"capabilities" must be an array');
  if (list.length > MAX_CAPABILITIES) overLimit(ctx, `"capabilities" lists more than ${MAX_CAPABILITIES} entries`);
  const capabilities = list.map((item: unknown) =>
    checkString(item, 'a capability', ctx, MAX_CAPABILITY_CHARS, { pattern: CAPABILITY_PATTERN, minChars: 1 }),
  );
  const freeBytes = readUint(obj, 'freeBytes', ctx);
  return { type: 'hello', version, name, capabilities, freeBytes };
}

function readOffer(obj: JsonObject, ctx: ShapeContext): OfferMessage {
  return { type: 'offer', ticket: readSigned(obj, 'ticket', ctx, MAX_SIGNED_BODY_BYTES) };
}

function readAccept(obj: JsonObject, ctx: ShapeContext): AcceptMessage {
  return { type: 'accept', blobId: readBlobId(obj, 'blobId', ctx), offset: readUint(obj, 'offset', ctx) };
}

function readDecline(obj: JsonObject, ctx: ShapeContext): DeclineMessage {
  const blobId = readBlobId(obj, 'blobId', ctx);
  const reason = readOneOf(obj, 'reason', ctx, DECLINE_REASONS);
  if (absent(obj, 'retryAfterMs')) return { type: 'decline', blobId, reason };
  return { type: 'decline', blobId, reason, retryAfterMs: readUint(obj, 'retryAfterMs', ctx, { max: MAX_RETRY_AFTER_MS }) };
}

function readCommit(obj: JsonObject, ctx: ShapeContext): CommitMessage {
  return { type: 'commit', blobId: readBlobId(obj, 'blobId', ctx), size: readUint(obj, 'size', ctx) };
}

function readStored(obj: JsonObject, ctx: ShapeContext): StoredMessage {
  return { type: 'stored', blobId: readBlobId(obj, 'blobId', ctx), receipt: readSigned(obj, 'receipt', ctx, MAX_SIGNED_BODY_BYTES) };
}

function readRelease(obj: JsonObject, ctx: ShapeContext): ReleaseMessage {
  return { type: 'release', blobId: readBlobId(obj, 'blobId', ctx), release: readSigned(obj, 'release', ctx, MAX_SIGNED_BODY_BYTES) };
}

function readError(obj: JsonObject, ctx: ShapeContext): ErrorMessage {
  const code = own(obj, 'code');
  if (code === undefined) malformed(ctx, '"code" is missing');
  if (!isProtocolErrorCode(code)) malformed(ctx, '"code" is not one this version knows');
  const message = readString(obj, 'message', ctx, MAX_ERROR_MESSAGE_CHARS, { display: true });
  if (absent(obj, 'blobId')) return { type: 'error', code, message };
  return { type: 'error', code, message, blobId: readBlobId(obj, 'blobId', ctx) };
}

/** Builds a data frame. One copy of the payload: a Frame holds a single buffer. */
function encodeData(message: DataMessage): Uint8Array {
  const ctx = context('data');
  const obj = message as unknown as JsonObject;
  const blobId = readBlobId(obj, 'blobId', ctx);
  const offset = readUint(obj, 'offset', ctx);
  const payload = own(obj, 'bytes');
  if (!(payload instanceof Uint8Array)) malformed(ctx, '"bytes" must be a Uint8Array');
  checkPayload(payload.length, offset, ctx);

  // allocUnsafe is safe here: every byte is written below.
  const frame = Buffer.allocUnsafe(DATA_FRAME_HEADER_BYTES + payload.length);
  frame[0] = DATA_FRAME_TYPE;
  frame.write(blobId, 1, BLOB_ID_BYTES, 'hex');
  frame.writeUInt32BE(Math.floor(offset / TWO_POW_32), OFFSET_AT);
  frame.writeUInt32BE(offset % TWO_POW_32, OFFSET_AT + 4);
  frame.set(payload, DATA_FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Reads a binary frame. The payload is a view into `bytes`, not a copy: the caller writes it to
 * disk and lets go. The whole length is checked first, so a frame above the limit is refused
 * whatever it claims to be.
 */
function decodeData(bytes: Uint8Array): DataMessage {
  const ctx = context('data');
  if (bytes.length > DATA_FRAME_HEADER_BYTES + MAX_DATA_PAYLOAD_BYTES) {
    throw new ProtocolError('E_PROTO_LIMIT', `A binary frame is larger than ${DATA_FRAME_HEADER_BYTES + MAX_DATA_PAYLOAD_BYTES} bytes, the most this device accepts.`);
  }
  if (bytes.length === 0) throw new ProtocolError('E_PROTO_MALFORMED', 'A binary frame is empty.');
  if (bytes[0] !== DATA_FRAME_TYPE) {
    throw new ProtocolError('E_PROTO_UNKNOWN', `A binary frame has the type 0x${bytes[0]!.toString(16).padStart(2, '0')}, which this version does not know.`);
  }
  if (bytes.length < DATA_FRAME_HEADER_BYTES) malformed(ctx, `the frame is shorter than its ${DATA_FRAME_HEADER_BYTES}-byte header`);

  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blobId = view.toString('hex', 1, OFFSET_AT); // lowercase hex of 32 bytes: always a well-formed ID
  const high = view.readUInt32BE(OFFSET_AT);
  if (high > MAX_OFFSET_HIGH_WORD) malformed(ctx, `the offset is above ${Number.MAX_SAFE_INTEGER}`);
  const offset = high * TWO_POW_32 + view.readUInt32BE(OFFSET_AT + 4);
  // A plain Uint8Array view whatever came in (a Buffer's subarray would be a Buffer).
  const payload = new Uint8Array(bytes.buffer, bytes.byteOffset + DATA_FRAME_HEADER_BYTES, bytes.length - DATA_FRAME_HEADER_BYTES);
  checkPayload(payload.length, offset, ctx);
  return { type: 'data', blobId, offset, bytes: payload };
}

function checkPayload(length: number, offset: number, ctx: ShapeContext): void {
  if (length > MAX_DATA_PAYLOAD_BYTES) overLimit(ctx, `the payload is larger than ${MAX_DATA_PAYLOAD_BYTES} bytes`);
  // An empty data frame moves nothing and would let a peer keep a transfer busy for free.
  if (length === 0) malformed(ctx, 'the frame carries no blob bytes');
  if (offset > Number.MAX_SAFE_INTEGER - length) malformed(ctx, `the payload ends beyond byte ${Number.MAX_SAFE_INTEGER}`);
}

