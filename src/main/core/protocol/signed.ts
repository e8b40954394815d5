// Signed statements: tickets, custody receipts, releases and delivery receipts. Each is a
// canonical JSON body signed by one device and carried as `Signed { body: base64, sig: base64 }`.
// The body names its signer's device ID and carries the signer's certificate, so anyone can check
// it without a directory: the certificate must hash to that device ID, and the signature must be
// valid under the certificate's key. Signatures are over the exact body bytes; nothing is
// re-serialized to verify. Pure: no clocks (callers pass `now`), no files, no sockets.
//
// Canonical form: UTF-8 JSON, no whitespace, object keys sorted by UTF-16 code units at every
// level, strings and numbers as JSON.stringify writes them. A verifier refuses any other spelling
// of the same statement, so one statement has exactly one byte string (and duplicate keys, which
// parsers resolve differently, cannot sneak in).

import { type DeviceIdentity, verifySignature } from '../identity/device-identity.js';
import { deviceIdFromCertDer, parseDeviceId } from '../identity/device-id.js';
import {
  MAX_CLOCK_SKEW_MS,
  MAX_DEVICE_CERT_BYTES,
  MAX_SIGNED_BODY_BYTES,
  MAX_TICKET_LIFETIME_MS,
  MAX_TICKET_TARGET_BYTES,
  MAX_TICKET_TARGET_DEPTH,
} from '../limits.js';
import type { Signed } from './messages.js';
import { ProtocolError } from './protocol-error.js';
import {
  type JsonObject,
  type ShapeContext,
  checkSigned,
  decodeBase64,
  malformed,
  own,
  readBase64,
  readBlobId,
  readObject,
  readString,
  readUint,
} from './shape.js';

/** The statement format version in every body's `v`; a change to any statement's fields bumps it. */
export const STATEMENT_VERSION = 1;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Where a ticket's blob is to be delivered; opaque to the protocol, filled in by delivery. */
export type TicketTarget = { readonly [key: string]: JsonValue };

/** Origin → holder: "hold blob X (this size) for me until `expires`, and deliver it to `target`". */
export interface Ticket {
  readonly v: 1;
  readonly kind: 'ticket';
  readonly blobId: string;
  readonly size: number;
  /** Milliseconds since the Unix epoch, as are all times in statements. */
  readonly created: number;
  readonly expires: number;
  /** Device ID of the signer; `originCert` (base64 DER) hashes to it. */
  readonly origin: string;
  readonly originCert: string;
  readonly target: TicketTarget;
}

/** Holder → origin: "I durably hold blob X for `origin` until `until`". */
export interface CustodyReceipt {
  readonly v: 1;
  readonly kind: 'custody';
  readonly blobId: string;
  readonly size: number;
  readonly origin: string;
  /** Device ID of the signer; `holderCert` hashes to it. */
  readonly holder: string;
  readonly holderCert: string;
  readonly until: number;
  readonly at: number;
}

/** Origin → holder: "blob X is safe; drop your copy". */
export interface Release {
  readonly v: 1;
  readonly kind: 'release';
  readonly blobId: string;
  /** Device ID of the signer; `originCert` hashes to it. */
  readonly origin: string;
  readonly originCert: string;
  readonly at: number;
}

/** Receiver → deliverer: "blob X arrived intact". */
export interface DeliveryReceipt {
  readonly v: 1;
  readonly kind: 'delivery';
  readonly blobId: string;
  readonly size: number;
  /** Device ID of the signer; `receiverCert` hashes to it. */
  readonly receiver: string;
  readonly receiverCert: string;
  readonly at: number;
}

/** What signing needs of a device identity. */
export type Signer = Pick<DeviceIdentity, 'deviceId' | 'certDer' | 'sign'>;

export interface TicketFields {
  readonly blobId: string;
  readonly size: number;
  readonly created: number;
  readonly expires: number;
  readonly target: TicketTarget;
}

export interface CustodyReceiptFields {
  readonly blobId: string;
  readonly size: number;
  readonly origin: string;
  readonly until: number;
  readonly at: number;
}

export interface ReleaseFields {
  readonly blobId: string;
  readonly at: number;
}

export interface DeliveryReceiptFields {
  readonly blobId: string;
  readonly size: number;
  readonly at: number;
}

/**
 * A ticket whose signature and fields check out but whose expiry has passed: the holder answers
 * decline 'expired' rather than 'bad-ticket'. Still an E_PROTO_TICKET for everyone else.
 */
export class TicketExpiredError extends ProtocolError {
  readonly expires: number;
  readonly now: number;

  constructor(expires: number, now: number) {
    super('E_PROTO_TICKET', `The ticket expired at ${isoTime(expires)}, before now (${isoTime(now)}): the origin must issue a new one.`);
    this.name = 'TicketExpiredError';
    this.expires = expires;
    this.now = now;
  }
}

type Kind = 'ticket' | 'custody' | 'release' | 'delivery';

const KIND_NAMES: Record<Kind, string> = {
  ticket: 'ticket',
  custody: 'custody receipt',
  release: 'release',
  delivery: 'delivery receipt',
};

/** Every field of each statement, no more: a body with any other key is refused. */
const FIELDS: Record<Kind, readonly string[]> = {
  ticket: ['v', 'kind', 'blobId', 'size', 'created', 'expires', 'origin', 'originCert', 'target'],
  custody: ['v', 'kind', 'blobId', 'size', 'origin', 'holder', 'holderCert', 'until', 'at'],
  release: ['v', 'kind', 'blobId', 'origin', 'originCert', 'at'],
  delivery: ['v', 'kind', 'blobId', 'size', 'receiver', 'receiverCert', 'at'],
};

/** A canonical device ID is 8 groups of 7 base32 characters. */
const DEVICE_ID_PATTERN = /^[A-Z2-7]{7}(?:-[A-Z2-7]{7}){7}$/;
const DEVICE_ID_CHARS = 63;
/** Strict UTF-8 that keeps a byte-order mark, so JSON.parse refuses it instead of it vanishing silently. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Signs a ticket for one of this device's blobs; the origin and its certificate come from `signer`. */
export function signTicket(signer: Signer, fields: TicketFields): Signed {
  const ctx = context('ticket');
  const body = readTicket(
    {
      v: STATEMENT_VERSION,
      kind: 'ticket',
      blobId: fields.blobId,
      size: fields.size,
      created: fields.created,
      expires: fields.expires,
      origin: signer.deviceId,
      originCert: Buffer.from(signer.certDer).toString('base64'),
      target: fields.target,
    },
    ctx,
  );
  return sign(signer, body, ctx);
}

/**
 * Checks a ticket: body shape, the origin's certificate and signature, sane times, and expiry at
 * `now` (ms since the epoch). Expired → TicketExpiredError; anything else wrong → E_PROTO_TICKET.
 */
export function verifyTicket(signed: Signed, options: { now: number; expectedOrigin?: string; expectedBlobId?: string }): Ticket {
  const now = checkNow(options.now);
  const ctx = context('ticket');
  const opened = open(signed, readTicket, ctx);
  const ticket = opened.statement;
  checkSigner(ctx, 'origin', ticket.origin, ticket.originCert, opened);
  expectDevice(ctx, 'origin', ticket.origin, options.expectedOrigin);
  expectBlob(ctx, ticket.blobId, options.expectedBlobId);
  // Expiry last: only a ticket that is genuine in every other way is "expired" rather than bad.
  if (now >= ticket.expires) throw new TicketExpiredError(ticket.expires, now);
  if (ticket.created > now + MAX_CLOCK_SKEW_MS) malformed(ctx, `it was created at ${isoTime(ticket.created)}, in the future: the origin's clock is wrong`);
  if (ticket.expires - now > MAX_TICKET_LIFETIME_MS) malformed(ctx, `it expires at ${isoTime(ticket.expires)}, more than ${days(MAX_TICKET_LIFETIME_MS)} days from now`);
  return ticket;
}

/** Signs a custody receipt as the holder of `fields.blobId`. */
export function signCustodyReceipt(signer: Signer, fields: CustodyReceiptFields): Signed {
  const ctx = context('custody');
  const body = readCustody(
    {
      v: STATEMENT_VERSION,
      kind: 'custody',
      blobId: fields.blobId,
      size: fields.size,
      origin: fields.origin,
      holder: signer.deviceId,
      holderCert: Buffer.from(signer.certDer).toString('base64'),
      until: fields.until,
      at: fields.at,
    },
    ctx,
  );
  return sign(signer, body, ctx);
}

/** Checks a custody receipt's shape, the holder's certificate and signature, and any expected values. */
export function verifyCustodyReceipt(
  signed: Signed,
  options: { expectedHolder?: string; expectedBlobId?: string; expectedOrigin?: string; expectedSize?: number; now?: number } = {},
): CustodyReceipt {
  const ctx = context('custody');
  const opened = open(signed, readCustody, ctx);
  const receipt = opened.statement;
  checkSigner(ctx, 'holder', receipt.holder, receipt.holderCert, opened);
  expectDevice(ctx, 'holder', receipt.holder, options.expectedHolder);
  expectDevice(ctx, 'origin', receipt.origin, options.expectedOrigin);
  expectBlob(ctx, receipt.blobId, options.expectedBlobId);
  expectSize(ctx, receipt.size, options.expectedSize);
  checkAt(ctx, receipt.at, options.now);
  return receipt;
}

/** Signs a release of one of this device's blobs: holders may drop their copies. */
export function signRelease(signer: Signer, fields: ReleaseFields): Signed {
  const ctx = context('release');
  const body = readRelease(
    {
      v: STATEMENT_VERSION,
      kind: 'release',
      blobId: fields.blobId,
      origin: signer.deviceId,
      originCert: Buffer.from(signer.certDer).toString('base64'),
      at: fields.at,
    },
    ctx,
  );
  return sign(signer, body, ctx);
}

/** Checks a release's shape, the origin's certificate and signature, and any expected values. */
export function verifyRelease(signed: Signed, options: { expectedOrigin?: string; expectedBlobId?: string; now?: number } = {}): Release {
  const ctx = context('release');
  const opened = open(signed, readRelease, ctx);
  const release = opened.statement;
  checkSigner(ctx, 'origin', release.origin, release.originCert, opened);
  expectDevice(ctx, 'origin', release.origin, options.expectedOrigin);
  expectBlob(ctx, release.blobId, options.expectedBlobId);
  checkAt(ctx, release.at, options.now);
  return release;
}

/** Signs a delivery receipt as the receiver that stored `fields.blobId` intact. */
export function signDeliveryReceipt(signer: Signer, fields: DeliveryReceiptFields): Signed {
  const ctx = context('delivery');
  const body = readDelivery(
    {
      v: STATEMENT_VERSION,
      kind: 'delivery',
      blobId: fields.blobId,
      size: fields.size,
      receiver: signer.deviceId,
      receiverCert: Buffer.from(signer.certDer).toString('base64'),
      at: fields.at,
    },
    ctx,
  );
  return sign(signer, body, ctx);
}

/** Checks a delivery receipt's shape, the receiver's certificate and signature, and any expected values. */
export function verifyDeliveryReceipt(
  signed: Signed,
  options: { expectedReceiver?: string; expectedBlobId?: string; expectedSize?: number; now?: number } = {},
): DeliveryReceipt {
  const ctx = context('delivery');
  const opened = open(signed, readDelivery, ctx);
  const receipt = opened.statement;
  checkSigner(ctx, 'receiver', receipt.receiver, receipt.receiverCert, opened);
  expectDevice(ctx, 'receiver', receipt.receiver, options.expectedReceiver);
  expectBlob(ctx, receipt.blobId, options.expectedBlobId);
  expectSize(ctx, receipt.size, options.expectedSize);
  checkAt(ctx, receipt.at, options.now);
  return receipt;
}

// ---- body readers: the same checks when signing and when verifying ----

function readTicket(obj: JsonObject, ctx: ShapeContext): Ticket {
  header(obj, 'ticket', ctx);
  const created = readUint(obj, 'created', ctx);
  const expires = readUint(obj, 'expires', ctx);
  if (expires <= created) malformed(ctx, 'it expires before it was created');
  return {
    v: STATEMENT_VERSION,
    kind: 'ticket',
    blobId: readBlobId(obj, 'blobId', ctx),
    size: readUint(obj, 'size', ctx, { min: 1 }),
    created,
    expires,
    origin: readDeviceId(obj, 'origin', ctx),
    originCert: readBase64(obj, 'originCert', ctx, MAX_DEVICE_CERT_BYTES),
    target: readTarget(obj, ctx),
  };
}

function readCustody(obj: JsonObject, ctx: ShapeContext): CustodyReceipt {
  header(obj, 'custody', ctx);
  const until = readUint(obj, 'until', ctx);
  const at = readUint(obj, 'at', ctx);
  if (until < at) malformed(ctx, 'it promises to hold the blob until a time before it was signed');
  if (until - at > MAX_TICKET_LIFETIME_MS) malformed(ctx, `it promises to hold the blob for more than ${days(MAX_TICKET_LIFETIME_MS)} days`);
  return {
    v: STATEMENT_VERSION,
    kind: 'custody',
    blobId: readBlobId(obj, 'blobId', ctx),
    size: readUint(obj, 'size', ctx, { min: 1 }),
    origin: readDeviceId(obj, 'origin', ctx),
    holder: readDeviceId(obj, 'holder', ctx),
    holderCert: readBase64(obj, 'holderCert', ctx, MAX_DEVICE_CERT_BYTES),
    until,
    at,
  };
}

function readRelease(obj: JsonObject, ctx: ShapeContext): Release {
  header(obj, 'release', ctx);
  return {
    v: STATEMENT_VERSION,
    kind: 'release',
    blobId: readBlobId(obj, 'blobId', ctx),
    origin: readDeviceId(obj, 'origin', ctx),
    originCert: readBase64(obj, 'originCert', ctx, MAX_DEVICE_CERT_BYTES),
    at: readUint(obj, 'at', ctx),
  };
}

function readDelivery(obj: JsonObject, ctx: ShapeContext): DeliveryReceipt {
  header(obj, 'delivery', ctx);
  return {
    v: STATEMENT_VERSION,
    kind: 'delivery',
    blobId: readBlobId(obj, 'blobId', ctx),
    size: readUint(obj, 'size', ctx, { min: 1 }),
    receiver: readDeviceId(obj, 'receiver', ctx),
    receiverCert: readBase64(obj, 'receiverCert', ctx, MAX_DEVICE_CERT_BYTES),
    at: readUint(obj, 'at', ctx),
  };
}

/** Version, kind and the exact key set, checked before any field is read. */
function header(obj: JsonObject, kind: Kind, ctx: ShapeContext): void {
  const v = own(obj, 'v');
  if (v !== STATEMENT_VERSION) malformed(ctx, `its format version is not ${STATEMENT_VERSION}`);
  const actual = own(obj, 'kind');
  if (actual !== kind) {
    const named = typeof actual === 'string' && Object.hasOwn(KIND_NAMES, actual) ? `a ${KIND_NAMES[actual as Kind]}` : 'not a signed statement this version knows';
    malformed(ctx, `it is ${named}, not a ${KIND_NAMES[kind]}`);
  }
  const allowed = FIELDS[kind];
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) malformed(ctx, `it has a field ${JSON.stringify(key.slice(0, 32))} that a ${KIND_NAMES[kind]} does not have`);
  }
}

function readDeviceId(obj: JsonObject, key: string, ctx: ShapeContext): string {
  const id = readString(obj, key, ctx, DEVICE_ID_CHARS, { pattern: DEVICE_ID_PATTERN });
  let canonical: string;
  try {
    canonical = parseDeviceId(id);
  } catch {
    malformed(ctx, `"${key}" is not a device ID (a check character is wrong)`);
  }
  if (canonical !== id) malformed(ctx, `"${key}" is not a device ID in canonical form`);
  return id;
}

/** The ticket's target: a plain JSON object, not too deep, at most MAX_TICKET_TARGET_BYTES as canonical JSON. */
function readTarget(obj: JsonObject, ctx: ShapeContext): TicketTarget {
  const target = readObject(own(obj, 'target'), ctx, '"target"');
  checkJson(target, 1, ctx);
  if (Buffer.byteLength(canonicalJson(target as TicketTarget), 'utf8') > MAX_TICKET_TARGET_BYTES) {
    malformed(ctx, `"target" is larger than ${MAX_TICKET_TARGET_BYTES} bytes`);
  }
  return target as TicketTarget;
}

/**
 * Refuses what JSON cannot carry (undefined, functions, NaN, class instances such as Date) so the
 * signer's view and the verifier's agree, and `__proto__` keys, which code that later copies the
 * target with Object.assign would turn into a prototype.
 */
function checkJson(value: unknown, depth: number, ctx: ShapeContext): void {
  if (depth > MAX_TICKET_TARGET_DEPTH) malformed(ctx, `"target" is nested deeper than ${MAX_TICKET_TARGET_DEPTH} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) malformed(ctx, '"target" holds a number JSON cannot carry');
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) checkJson(item, depth + 1, ctx);
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) malformed(ctx, '"target" holds an object that is not plain JSON');
    for (const key of Object.keys(value)) {
      if (key === '__proto__') malformed(ctx, '"target" holds a "__proto__" key');
      checkJson((value as JsonObject)[key], depth + 1, ctx);
    }
    return;
  }
  malformed(ctx, '"target" holds a value JSON cannot carry');
}

// ---- signing and opening ----

function sign(signer: Signer, statement: Ticket | CustodyReceipt | Release | DeliveryReceipt, ctx: ShapeContext): Signed {
  // A certificate that does not hash to the signer's ID would make statements nobody can verify.
  if (deviceIdFromCertDer(signer.certDer) !== signer.deviceId) malformed(ctx, "the signer's certificate does not belong to its device ID");
  const bytes = Buffer.from(canonicalJson(statement as unknown as JsonValue), 'utf8');
  if (bytes.length > MAX_SIGNED_BODY_BYTES) malformed(ctx, `its body would be larger than ${MAX_SIGNED_BODY_BYTES} bytes`);
  return { body: bytes.toString('base64'), sig: Buffer.from(signer.sign(bytes)).toString('base64') };
}

/** What open found: the checked statement and the exact bytes its signature covers. */
interface Opened<T> {
  readonly statement: T;
  readonly bytes: Buffer;
  readonly sig: Buffer;
}

/** Envelope, base64, UTF-8, JSON, shape and canonical form; the signature is checked by checkSigner. */
function open<T>(signed: Signed, read: (obj: JsonObject, ctx: ShapeContext) => T, ctx: ShapeContext): Opened<T> {
  // Sizes are capped on the base64 text inside checkSigned, before anything is decoded.
  const envelope = checkSigned(signed as unknown, 'the envelope', ctx, MAX_SIGNED_BODY_BYTES);
  const bytes = decodeBase64(envelope.body, 'its body', ctx, { min: 1, max: MAX_SIGNED_BODY_BYTES });
  const sig = Buffer.from(envelope.sig, 'base64'); // checked by checkSigned: canonical, 64 bytes
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    malformed(ctx, 'its body is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    malformed(ctx, 'its body is not JSON');
  }
  const statement = read(readObject(value, ctx, 'its body'), ctx);
  if (canonicalJson(statement as unknown as JsonValue) !== text) malformed(ctx, 'its body is not in canonical form');
  return { statement, bytes, sig };
}

/** The certificate must hash to the signer's device ID, and the signature must be valid under its key. */
function checkSigner(ctx: ShapeContext, role: string, deviceId: string, certBase64: string, opened: Opened<unknown>): void {
  const certDer = Buffer.from(certBase64, 'base64');
  if (deviceIdFromCertDer(certDer) !== deviceId) malformed(ctx, `the certificate in it is not the one of its ${role} ${short(deviceId)}`);
  let valid: boolean;
  try {
    valid = verifySignature(certDer, opened.bytes, opened.sig);
  } catch {
    malformed(ctx, `the certificate of its ${role} ${short(deviceId)} cannot be read`);
  }
  if (!valid) malformed(ctx, `its signature is not valid for its body and the certificate of its ${role} ${short(deviceId)}`);
}

function expectDevice(ctx: ShapeContext, role: string, actual: string, expected: string | undefined): void {
  if (expected === undefined) return;
  if (actual !== parseDeviceId(expected)) malformed(ctx, `its ${role} is ${short(actual)}, not the expected ${short(expected)}`);
}

function expectBlob(ctx: ShapeContext, actual: string, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) malformed(ctx, `it is for blob ${actual.slice(0, 12)}…, not for ${expected.slice(0, 12)}…`);
}

function expectSize(ctx: ShapeContext, actual: number, expected: number | undefined): void {
  if (expected !== undefined && actual !== expected) malformed(ctx, `it says the blob has ${actual} bytes, not ${expected}`);
}

function checkAt(ctx: ShapeContext, at: number, now: number | undefined): void {
  if (now === undefined) return;
  if (at > checkNow(now) + MAX_CLOCK_SKEW_MS) malformed(ctx, `it was signed at ${isoTime(at)}, in the future: the signer's clock is wrong`);
}

function checkNow(now: number): number {
  if (!Number.isSafeInteger(now) || now < 0) throw new TypeError('`now` must be milliseconds since the Unix epoch, a whole number.');
  return now;
}

function context(kind: Kind): ShapeContext {
  return { subject: `Invalid ${KIND_NAMES[kind]}`, malformed: 'E_PROTO_TICKET', limit: 'E_PROTO_TICKET' };
}

/**
 * Canonical JSON of a value already checked to be JSON: keys sorted at every level, no whitespace.
 * Exported for tests and for code that must store or compare bodies byte for byte.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(canonicalJson).join(',')}]`;
  const obj = value as { readonly [key: string]: JsonValue };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(obj[key]!)}`).join(',')}}`;
}

function short(deviceId: string): string {
  return deviceId.slice(0, 7);
}

function days(ms: number): number {
  return ms / (24 * 60 * 60 * 1000);
}

/** ISO time for sentences; a safe integer can lie beyond what Date can show. */
function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms after 1970` : date.toISOString();
}
