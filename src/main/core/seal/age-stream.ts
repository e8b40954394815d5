// The age payload STREAM (https://age-encryption.org/v1, "Payload"): ChaCha20-Poly1305 over 64 KiB
// chunks, nonce = 11-byte big-endian chunk counter || last-chunk flag. Runs on native node:crypto
// (about 10x faster than pure JS on our machines). No I/O: buffers in, buffers out.

import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { InswarmError } from '../errors.js';
import { AGE_CHUNK_SIZE, AGE_TAG_SIZE } from '../limits.js';

/** Size of the random nonce that precedes the payload and salts the payload key. */
export const PAYLOAD_NONCE_SIZE = 16;
const ENCRYPTED_CHUNK_SIZE = AGE_CHUNK_SIZE + AGE_TAG_SIZE;

/** The payload key: HKDF-SHA-256(file key, salt = payload nonce, info = "payload"). */
export function derivePayloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  // Counters above 2^53 would need files of 2^69 bytes; a JS number covers every real file.
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Encrypts a payload of unknown length. A full chunk is only sealed once a byte beyond it
 * arrives, because only the final chunk may carry the last flag and it may itself be full.
 */
export class PayloadEncryptor {
  // A fixed buffer for the tail, so tiny pushes cost a copy of themselves, not of the chunk.
  private readonly pending = Buffer.allocUnsafe(AGE_CHUNK_SIZE);
  private pendingLength = 0;
  private counter = 0;
  private finished = false;

  constructor(private readonly key: Buffer) {}

  /** Returns the ciphertext pieces (chunk bodies and tags) that `data` completes. */
  push(data: Uint8Array): Buffer[] {
    if (this.finished) throw new Error('PayloadEncryptor: push after final');
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < input.length) {
      if (this.pendingLength === AGE_CHUNK_SIZE) {
        // More data exists, so the buffered full chunk is not the last one.
        this.seal(this.pending, false, out);
        this.pendingLength = 0;
      } else if (this.pendingLength === 0 && input.length - offset > AGE_CHUNK_SIZE) {
        this.seal(input.subarray(offset, offset + AGE_CHUNK_SIZE), false, out);
        offset += AGE_CHUNK_SIZE;
      } else {
        const take = Math.min(AGE_CHUNK_SIZE - this.pendingLength, input.length - offset);
        input.copy(this.pending, this.pendingLength, offset, offset + take);
        this.pendingLength += take;
        offset += take;
      }
    }
    return out;
  }

  /** Seals the last chunk (possibly empty, possibly full) and returns its pieces. */
  final(): Buffer[] {
    if (this.finished) throw new Error('PayloadEncryptor: final called twice');
    const out: Buffer[] = [];
    this.seal(this.pending.subarray(0, this.pendingLength), true, out);
    this.pendingLength = 0;
    this.finished = true;
    this.key.fill(0);
    return out;
  }

  private seal(chunk: Buffer, last: boolean, out: Buffer[]): void {
    const cipher = createCipheriv('chacha20-poly1305', this.key, chunkNonce(this.counter++, last), { authTagLength: AGE_TAG_SIZE });
    const body = cipher.update(chunk);
    cipher.final();
    out.push(body, cipher.getAuthTag());
  }
}

/**
 * Decrypts a payload incrementally. Plaintext is released chunk by chunk only after that chunk
 * authenticated; the caller must still treat everything as tentative until `end()` succeeds,
 * because truncation is only detectable at the end.
 */
export class PayloadDecryptor {
  private readonly pending = Buffer.allocUnsafe(ENCRYPTED_CHUNK_SIZE);
  private pendingLength = 0;
  private counter = 0;
  private finished = false;

  constructor(private readonly key: Buffer) {}

  /** Returns the authenticated plaintext chunks that `data` completes. */
  write(data: Uint8Array): Buffer[] {
    if (this.finished) throw new Error('PayloadDecryptor: write after end');
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < input.length) {
      if (this.pendingLength === ENCRYPTED_CHUNK_SIZE) {
        // A full chunk is known not to be the last only once a byte beyond it exists.
        out.push(this.open(this.pending, false));
        this.pendingLength = 0;
      } else if (this.pendingLength === 0 && input.length - offset > ENCRYPTED_CHUNK_SIZE) {
        out.push(this.open(input.subarray(offset, offset + ENCRYPTED_CHUNK_SIZE), false));
        offset += ENCRYPTED_CHUNK_SIZE;
      } else {
        const take = Math.min(ENCRYPTED_CHUNK_SIZE - this.pendingLength, input.length - offset);
        input.copy(this.pending, this.pendingLength, offset, offset + take);
        this.pendingLength += take;
        offset += take;
      }
    }
    return out;
  }

  /** Authenticates the final chunk; throws E_AGE_PAYLOAD if the payload is truncated or altered. */
  end(): Buffer[] {
    if (this.finished) throw new Error('PayloadDecryptor: end called twice');
    this.finished = true;
    try {
      if (this.pendingLength < AGE_TAG_SIZE) throw payloadError('it is truncated');
      const last = this.open(this.pending.subarray(0, this.pendingLength), true);
      if (last.length === 0 && this.counter > 1) throw payloadError('its final chunk is empty');
      return last.length === 0 ? [] : [last];
    } finally {
      this.key.fill(0);
      this.pendingLength = 0;
    }
  }

  private open(chunk: Buffer, last: boolean): Buffer {
    if (chunk.length < AGE_TAG_SIZE) throw payloadError('a chunk is shorter than its tag');
    const decipher = createDecipheriv('chacha20-poly1305', this.key, chunkNonce(this.counter++, last), { authTagLength: AGE_TAG_SIZE });
    decipher.setAuthTag(chunk.subarray(chunk.length - AGE_TAG_SIZE));
    const plain = decipher.update(chunk.subarray(0, chunk.length - AGE_TAG_SIZE));
    try {
      decipher.final();
    } catch (cause) {
      plain.fill(0);
      throw payloadError(last ? 'its final chunk does not authenticate (truncated or altered)' : 'a chunk does not authenticate', cause);
    }
    return plain;
  }
}

function payloadError(why: string, cause?: unknown): InswarmError {
  return new InswarmError('E_AGE_PAYLOAD', `The encrypted payload is damaged (${why}): the blob was truncated or altered; fetch another copy.`, { cause });
}
