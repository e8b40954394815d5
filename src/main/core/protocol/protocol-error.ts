// The error every protocol decoder and verifier throws on purpose. It is an InswarmError, so the UI
// and logs map it like any other; its code is one of the wire codes a session can send back in an
// `error` message.

import { InswarmError } from '../errors.js';
import type { ProtocolErrorCode } from './messages.js';

/** Every wire error code, checked by the compiler against ProtocolErrorCode in both directions. */
const PROTOCOL_ERROR_CODES = {
  E_PROTO_MALFORMED: true,
  E_PROTO_UNKNOWN: true,
  E_PROTO_VERSION: true,
  E_PROTO_STATE: true,
  E_PROTO_LIMIT: true,
  E_PROTO_SIZE: true,
  E_PROTO_HASH: true,
  E_PROTO_IO: true,
  E_PROTO_TICKET: true,
} as const satisfies Record<ProtocolErrorCode, true>;

/** A frame, message or signed statement that is refused; `message` is one sentence saying why. */
export class ProtocolError extends InswarmError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}

/** True for the codes listed in messages.ts: what an `error` message may carry. */
export function isProtocolErrorCode(value: unknown): value is ProtocolErrorCode {
  return typeof value === 'string' && Object.hasOwn(PROTOCOL_ERROR_CODES, value);
}

/** True when `err` is a ProtocolError, optionally with the given code. */
export function isProtocolError(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
  return err instanceof ProtocolError && (code === undefined || err.code === code);
}
