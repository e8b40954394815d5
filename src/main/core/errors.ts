import { ERROR_CODES, type ErrorCode } from '../../shared/error-codes.js';

/**
 * The one error type the core throws on purpose. `message` is a sentence a user can act on
 * (what happened, what to do); `code` is stable and is what callers branch on.
 */
export class InswarmError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InswarmError';
    this.code = code;
  }
}

/** True when `err` is an InswarmError, optionally with the given code. */
export function isInswarmError(err: unknown, code?: ErrorCode): err is InswarmError {
  return err instanceof InswarmError && (code === undefined || err.code === code);
}

/**
 * Turns a Node file-system error into an InswarmError with context, so that a full disk or a
 * missing file reads as a sentence instead of an errno. Other errors pass through unchanged.
 */
export function fromFsError(err: unknown, doing: string): unknown {
  if (err instanceof InswarmError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new InswarmError('E_DISK_FULL', `The disk filled up while ${doing}: free some space and try again.`, { cause: err });
    case 'ENOENT':
      return new InswarmError('E_NOT_FOUND', `A file was missing while ${doing}: check the path and try again.`, { cause: err });
    case 'EEXIST':
      return new InswarmError('E_EXISTS', `The target already exists while ${doing}; Inswarm never overwrites: choose another name.`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new InswarmError('E_IO', `Permission was denied while ${doing}: check the folder's permissions.`, { cause: err });
    case 'EISDIR':
      return new InswarmError('E_NOT_A_FILE', `A folder was given where a file was expected while ${doing}.`, { cause: err });
    default:
      if (code !== undefined) {
        return new InswarmError('E_IO', `A file operation failed (${code}) while ${doing}.`, { cause: err });
      }
      return err;
  }
}

/** A short description of the code, for logs and the UI. */
export function describeCode(code: ErrorCode): string {
  return ERROR_CODES[code];
}
