// Readers for untrusted JSON values, shared by the frame codec and the signed statements. Each
// reads one own field, checks its type and bounds, and fails with a sentence that names the field
// but never echoes what a peer sent (it may be huge or hostile). Pure: no I/O.

import { BLOB_ID_PATTERN } from '../limits.js';
import type { ProtocolErrorCode, Signed } from './messages.js';
import { ProtocolError } from './protocol-error.js';

/** What is being read and which codes its failures carry. */
export interface ShapeContext {
  /** Starts every sentence, e.g. "Malformed accept message" or "Invalid ticket". */
  readonly subject: string;
  /** Code for a wrong shape or value. */
  readonly malformed: ProtocolErrorCode;
  /** Code for a size or count above a limit. */
  readonly limit: ProtocolErrorCode;
}

export type JsonObject = Record<string, unknown>;

/** An ECDSA P-256 IEEE-P1363 signature is 64 bytes: 88 base64 characters with padding. */
const SIGNATURE_BYTES = 64;
const SIGNATURE_BASE64_CHARS = 88;

/**
 * Characters refused in display text from a peer: C0/C1 controls (a newline would forge a log
 * line; an escape sequence would drive a terminal) and lone surrogates (not text; they turn into
 * U+FFFD when written as UTF-8, so what we show would differ from what was sent).
 */
const UNSAFE_TEXT = /[\p{Cc}\p{Cs}]/u;

/** Throws the context's wrong-shape error with one sentence naming the problem. */
export function malformed(ctx: ShapeContext, problem: string): never {
  throw new ProtocolError(ctx.malformed, `${ctx.subject}: ${problem}.`);
}

/** Throws the context's over-a-limit error with one sentence naming the problem. */
export function overLimit(ctx: ShapeContext, problem: string): never {
  throw new ProtocolError(ctx.limit, `${ctx.subject}: ${problem}.`);
}

/** The base64 length of `bytes` bytes, with padding: lets a cap on decoded bytes be checked on the text. */
export function base64Chars(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** `value` as a plain JSON object (not null, not an array), or a failure naming `what`. */
export function readObject(value: unknown, ctx: ShapeContext, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed(ctx, `${what} is not a JSON object`);
  return value as JsonObject;
}

/** An own property only: something inherited (say, from a polluted Object.prototype) never reads as a field. */
export function own(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** True when an optional field is absent (JSON has no undefined; null is a wrong type, not absence). */
export function absent(obj: JsonObject, key: string): boolean {
  return own(obj, key) === undefined;
}

/** A whole number from `min` to `max` (default 0 to 2^53 − 1); above `max` is a limit failure. */
export function readUint(obj: JsonObject, key: string, ctx: ShapeContext, bounds: { min?: number; max?: number } = {}): number {
  const value = own(obj, key);
  if (value === undefined) malformed(ctx, `"${key}" is missing`);
  const min = bounds.min ?? 0;
  // isSafeInteger refuses NaN, ±Infinity (JSON.parse reads 1e400 as Infinity), fractions and 2^53 and up.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    malformed(ctx, `"${key}" must be a whole number from ${min} to ${Number.MAX_SAFE_INTEGER}`);
  }
  if (bounds.max !== undefined && value > bounds.max) overLimit(ctx, `"${key}" is above its limit of ${bounds.max}`);
  return value === 0 ? 0 : value; // -0 reads as 0, so a decoded message equals its re-encoding
}

/** A string of at most `maxChars` UTF-16 units, optionally matching `pattern` or checked as display text. */
export function readString(
  obj: JsonObject,
  key: string,
  ctx: ShapeContext,
  maxChars: number,
  check: { pattern?: RegExp; display?: boolean; minChars?: number } = {},
): string {
  const value = own(obj, key);
  if (value === undefined) malformed(ctx, `"${key}" is missing`);
  return checkString(value, `"${key}"`, ctx, maxChars, check);
}

/** The checks of readString for a value that is not a field (an array item). */
export function checkString(
  value: unknown,
  what: string,
  ctx: ShapeContext,
  maxChars: number,
  check: { pattern?: RegExp; display?: boolean; minChars?: number } = {},
): string {
  if (typeof value !== 'string') malformed(ctx, `${what} must be a string`);
  if (value.length > maxChars) overLimit(ctx, `${what} is longer than ${maxChars} characters`);
  if (value.length < (check.minChars ?? 0)) malformed(ctx, `${what} is empty`);
  if (check.pattern !== undefined && !check.pattern.test(value)) malformed(ctx, `${what} is not in the expected form`);
  if (check.display === true && UNSAFE_TEXT.test(value)) malformed(ctx, `${what} contains control characters or broken Unicode`);
  return value;
}

/** A blob ID: 64 lowercase hex characters. */
export function readBlobId(obj: JsonObject, key: string, ctx: ShapeContext): string {
  const value = own(obj, key);
  if (value === undefined) malformed(ctx, `"${key}" is missing`);
  if (typeof value !== 'string' || !BLOB_ID_PATTERN.test(value)) malformed(ctx, `"${key}" is not a blob ID (64 lowercase hex characters)`);
  return value;
}

/** One of a fixed list of strings (a decline reason, an error code). */
export function readOneOf<T extends string>(obj: JsonObject, key: string, ctx: ShapeContext, allowed: readonly T[]): T {
  const value = own(obj, key);
  if (value === undefined) malformed(ctx, `"${key}" is missing`);
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) malformed(ctx, `"${key}" is not one this version knows`);
  return value as T;
}

/**
 * Standard base64 with padding, in its one canonical spelling, of at most `maxBytes` bytes. The
 * length is checked on the text before anything is decoded. Returns the text.
 */
export function readBase64(obj: JsonObject, key: string, ctx: ShapeContext, maxBytes: number, minBytes = 1): string {
  const value = own(obj, key);
  if (value === undefined) malformed(ctx, `"${key}" is missing`);
  if (typeof value !== 'string') malformed(ctx, `"${key}" must be a base64 string`);
  decodeBase64(value, `"${key}"`, ctx, { min: minBytes, max: maxBytes });
  return value;
}

/**
 * Decodes canonical base64 of `min` to `max` bytes; the length is checked on the text before
 * anything is decoded. Node's decoder skips stray characters and ignores non-zero padding bits, so
 * many texts decode to the same bytes; re-encoding and comparing accepts exactly one.
 */
export function decodeBase64(text: string, what: string, ctx: ShapeContext, bytes: { min: number; max: number }): Buffer {
  if (text.length > base64Chars(bytes.max)) overLimit(ctx, `${what} is larger than ${bytes.max} bytes`);
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64') !== text) malformed(ctx, `${what} is not canonical base64`);
  if (decoded.length > bytes.max) overLimit(ctx, `${what} is larger than ${bytes.max} bytes`);
  if (decoded.length < bytes.min) malformed(ctx, bytes.min === 1 ? `${what} is empty` : `${what} is shorter than ${bytes.min} bytes`);
  return decoded;
}

/** A signed statement's envelope: a canonical base64 body of at most `maxBodyBytes`, and a 64-byte signature. */
export function readSigned(obj: JsonObject, key: string, ctx: ShapeContext, maxBodyBytes: number): Signed {
  const value = own(obj, key);
  if (value === undefined) malformed(ctx, `"${key}" is missing`);
  return checkSigned(value, `"${key}"`, ctx, maxBodyBytes);
}

/** The checks of readSigned for a value on its own. Returns a fresh `{ body, sig }` without other fields. */
export function checkSigned(value: unknown, what: string, ctx: ShapeContext, maxBodyBytes: number): Signed {
  const envelope = readObject(value, ctx, what);
  const inner: ShapeContext = { ...ctx, subject: `${ctx.subject}: ${what}` };
  const body = readBase64(envelope, 'body', inner, maxBodyBytes);
  const sig = own(envelope, 'sig');
  if (sig === undefined) malformed(inner, '"sig" is missing');
  const wrongSize = `"sig" is not a ${SIGNATURE_BYTES}-byte signature in base64`;
  if (typeof sig !== 'string' || sig.length !== SIGNATURE_BASE64_CHARS) malformed(inner, wrongSize);
  // 88 characters can also spell 65 or 66 bytes.
  if (decodeBase64(sig, '"sig"', inner, { min: 0, max: SIGNATURE_BYTES + 2 }).length !== SIGNATURE_BYTES) malformed(inner, wrongSize);
  return { body, sig };
}
