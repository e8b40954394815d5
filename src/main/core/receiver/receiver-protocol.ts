// The home receiver's HTTP contract, shared by its server and its client: routes, header names,
// how a signed statement travels in a header, and the JSON answers. Pure: strings in, values out;
// no sockets, clocks or files, so both ends (and tests) read the contract from one place.
//
//   HEAD /v1/blobs/<id>  → 200 + Inswarm-Receipt (already received) | 404
//   PUT  /v1/blobs/<id>  Content-Length, Inswarm-Ticket, body = the blob's bytes
//                        → 201 {receipt, files} | 200 {receipt, files} (already received) | refusal
//   every refusal        → {error: CODE, message: sentence}

import { InswarmError } from '../errors.js';
import { BLOB_ID_PATTERN, MAX_ERROR_MESSAGE_CHARS, MAX_RETRY_AFTER_MS, MAX_SIGNED_BODY_BYTES } from '../limits.js';
import type { Signed } from '../protocol/messages.js';
import { checkSigned, type ShapeContext } from '../protocol/shape.js';
import { isErrorCode, type ErrorCode } from '../../../shared/error-codes.js';

/** The one route prefix; the version lets a later receiver keep serving older deliverers. */
export const BLOBS_PATH = '/v1/blobs/';
/** The origin's signed ticket, as `base64(JSON {body, sig})`. */
export const TICKET_HEADER = 'inswarm-ticket';
/** A delivery receipt signed by the receiver, on HEAD answers, in the same form as the ticket. */
export const RECEIPT_HEADER = 'inswarm-receipt';

/**
 * A header carrying a Signed is at most this long: the largest body (MAX_SIGNED_BODY_BYTES) and a
 * signature, base64 inside JSON, base64 again. Checked before any decoding.
 */
export const MAX_SIGNED_HEADER_CHARS = Math.ceil((Math.ceil((MAX_SIGNED_BODY_BYTES * 4) / 3) + 4 + 200) / 3) * 4;

/** Canonical base64 with padding, the only spelling a header may use. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What a route names, or why it names nothing. */
export type Route =
  | { readonly kind: 'blob'; readonly blobId: string }
  | { readonly kind: 'bad-id'; readonly text: string }
  | { readonly kind: 'unknown' };

/** Reads a request target: only `/v1/blobs/<64 lowercase hex>` exists; no query, no other path. */
export function parseRoute(target: string | undefined): Route {
  if (target === undefined || !target.startsWith(BLOBS_PATH)) return { kind: 'unknown' };
  const rest = target.slice(BLOBS_PATH.length);
  if (rest.includes('/')) return { kind: 'unknown' };
  if (!BLOB_ID_PATTERN.test(rest)) return { kind: 'bad-id', text: rest.slice(0, 80) };
  return { kind: 'blob', blobId: rest };
}

/** The path of a blob's route. */
export function blobPath(blobId: string): string {
  return `${BLOBS_PATH}${blobId}`;
}

/** A Signed as a header value: base64 of its JSON, so it is plain ASCII without separators. */
export function encodeSignedHeader(signed: Signed): string {
  return Buffer.from(JSON.stringify({ body: signed.body, sig: signed.sig }), 'utf8').toString('base64');
}

/**
 * Reads a header made by encodeSignedHeader into a well-formed Signed (its body is not verified
 * here). Refuses, with E_PROTO_MALFORMED, anything too long, not canonical base64, not JSON or
 * not a {body, sig} envelope; `what` names the header in the sentence.
 */
export function decodeSignedHeader(value: string | string[] | undefined, what: string): Signed {
  const ctx: ShapeContext = { subject: `The ${what} header is malformed`, malformed: 'E_PROTO_MALFORMED', limit: 'E_PROTO_LIMIT' };
  const refuse = (why: string): never => {
    throw new InswarmError('E_PROTO_MALFORMED', `The ${what} header is malformed: ${why}.`);
  };
  if (Array.isArray(value)) refuse('it appears more than once');
  if (typeof value !== 'string' || value === '') refuse('it is missing');
  const text = value as string;
  if (text.length > MAX_SIGNED_HEADER_CHARS) refuse(`it is longer than ${MAX_SIGNED_HEADER_CHARS} characters`);
  if (!BASE64.test(text)) refuse('it is not base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    refuse('its base64 does not hold JSON');
  }
  try {
    return checkSigned(parsed, 'the envelope', ctx, MAX_SIGNED_BODY_BYTES);
  } catch (err) {
    throw new InswarmError('E_PROTO_MALFORMED', (err as Error).message, { cause: err });
  }
}

/** The JSON of a refusal. */
export function refusalBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: code, message });
}

/** The JSON of an accepted (201) or already-received (200) upload. */
export function acceptedBody(receipt: Signed, files: number): string {
  return JSON.stringify({ receipt: { body: receipt.body, sig: receipt.sig }, files });
}

/** What a receiver's answer body says, read without trusting it. */
export interface Answer {
  /** A well-formed Signed when the body holds one (not yet verified). */
  readonly receipt: Signed | null;
  readonly files: number | null;
  /** The refusal's code, when it is one Inswarm knows. */
  readonly error: ErrorCode | null;
  /** The refusal's sentence, cut to one line of printable text. */
  readonly message: string | null;
}

/** Reads an answer body (JSON or not); never throws: a deliverer must still report a garbled refusal. */
export function parseAnswer(text: string): Answer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { receipt: null, files: null, error: null, message: text === '' ? null : printable(text) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { receipt: null, files: null, error: null, message: null };
  const obj = value as Record<string, unknown>;
  let receipt: Signed | null = null;
  if (Object.hasOwn(obj, 'receipt')) {
    try {
      receipt = checkSigned(obj['receipt'], 'the receipt', { subject: 'The receipt', malformed: 'E_PROTO_MALFORMED', limit: 'E_PROTO_LIMIT' }, MAX_SIGNED_BODY_BYTES);
    } catch {
      receipt = null;
    }
  }
  const files = Object.hasOwn(obj, 'files') && Number.isSafeInteger(obj['files']) && (obj['files'] as number) >= 0 ? (obj['files'] as number) : null;
  const error = Object.hasOwn(obj, 'error') && isErrorCode(obj['error']) ? obj['error'] : null;
  const message = Object.hasOwn(obj, 'message') && typeof obj['message'] === 'string' ? printable(obj['message']) : null;
  return { receipt, files, error, message };
}

/**
 * Retry-After as milliseconds: delta-seconds only (a receiver never sends a date), capped at
 * MAX_RETRY_AFTER_MS so a hostile receiver cannot park a deliverer for days; null when absent or bad.
 */
export function parseRetryAfter(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string' || !/^\s*\d{1,9}\s*$/.test(value)) return null;
  return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
}

/** Text from the other side made safe for one log line: no control characters, bounded length. */
export function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return clean.length > MAX_ERROR_MESSAGE_CHARS ? `${clean.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…` : clean;
}

/**
 * The HTTP status for an error a blob caused while it was checked or opened (a client problem the
 * client cannot fix by retrying: 422), or by this machine (full disk: 507; anything else: 500).
 */
export function statusForOpenError(code: ErrorCode): number {
  if (code === 'E_DISK_FULL') return 507;
  if (code.startsWith('E_AGE_') || code.startsWith('E_TAR_') || code === 'E_BLOB_HASH' || code === 'E_BLOB_ID') return 422;
  return 500;
}
