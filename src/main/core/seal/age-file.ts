// A whole age v1 file, as two incremental state machines: AgeEncryptor (recipients → header,
// nonce, STREAM) and AgeDecryptor (bytes → header check → identities → MAC → STREAM). No I/O, so
// the same code serves sealing, opening, the CCTV vectors and the interop tests.

import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { base64 } from '@scure/base';
import { InswarmError } from '../errors.js';
import { AGE_MAX_ARMORED_BYTES } from '../limits.js';
import { encodeHeader, encodeHeaderMacInput, parseHeader, type AgeHeader } from './age-header.js';
import { FILE_KEY_SIZE, unwrapFileKey, wrapFileKey, type X25519Identity } from './age-keys.js';
import { derivePayloadKey, PAYLOAD_NONCE_SIZE, PayloadDecryptor, PayloadEncryptor } from './age-stream.js';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
/** Armor lines are 64 base64 characters; only the last may be shorter. */
const ARMOR_LINE_CHARS = 64;

function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  const key = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32));
  const mac = createHmac('sha256', key).update(macInput).digest();
  key.fill(0);
  return mac;
}

/** Encrypts to X25519 recipients: `begin()` once, `push()` plaintext, `final()`; all return ciphertext. */
export class AgeEncryptor {
  private readonly fileKey = randomBytes(FILE_KEY_SIZE);
  private payload: PayloadEncryptor | null = null;

  constructor(private readonly recipients: readonly Buffer[]) {
    if (recipients.length === 0) throw new Error('AgeEncryptor needs at least one recipient');
  }

  /** The header and payload nonce: the first bytes of the file. */
  begin(): Buffer[] {
    const macInput = encodeHeaderMacInput(this.recipients.map((r) => wrapFileKey(this.fileKey, r)));
    const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
    const header = encodeHeader(macInput, headerMac(this.fileKey, macInput));
    this.payload = new PayloadEncryptor(derivePayloadKey(this.fileKey, nonce));
    this.fileKey.fill(0);
    return [header, nonce];
  }

  push(plaintext: Uint8Array): Buffer[] {
    return this.stream().push(plaintext);
  }

  final(): Buffer[] {
    return this.stream().final();
  }

  private stream(): PayloadEncryptor {
    if (this.payload === null) throw new Error('AgeEncryptor: begin() first');
    return this.payload;
  }
}

/**
 * Decrypts an age file incrementally. `write()` returns plaintext that authenticated so far;
 * nothing is final until `end()` returns without throwing. Errors carry the CCTV categories as
 * codes: E_AGE_HEADER, E_AGE_NO_MATCH, E_AGE_HMAC, E_AGE_PAYLOAD, E_AGE_ARMOR.
 */
export class AgeDecryptor {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private header: AgeHeader | null = null;
  private payload: PayloadDecryptor | null = null;
  private armored: boolean | null;

  /** `armored`: true or false when the caller knows the encoding; left out, it is detected. */
  constructor(private readonly identities: readonly X25519Identity[], options: { armored?: boolean } = {}) {
    this.armored = options.armored ?? null;
  }

  /** Feeds ciphertext; returns authenticated plaintext chunks. */
  write(data: Uint8Array): Buffer[] {
    if (this.payload !== null) return this.payload.write(data);
    this.buffered.push(Buffer.from(data));
    this.bufferedBytes += data.length;
    if (this.armored === null) this.armored = looksArmored(this.joined());
    if (this.armored !== false) {
      // Armor (or the whitespace that may precede it) is decoded whole: it is for interop with
      // `age -a`; blobs are binary.
      if (this.bufferedBytes > AGE_MAX_ARMORED_BYTES) {
        throw new InswarmError('E_AGE_ARMOR', `The armored age file is larger than ${AGE_MAX_ARMORED_BYTES} bytes: decode it with "age -d" or pass the binary form.`);
      }
      return [];
    }
    return this.tryStart();
  }

  /** Finishes; throws if the file was truncated or any check failed. */
  end(): Buffer[] {
    if (this.armored === null) {
      throw new InswarmError('E_AGE_HEADER', 'The file is empty or blank: it is not an age file.');
    }
    if (this.armored) {
      const binary = decodeArmor(this.joined());
      this.buffered = [];
      this.bufferedBytes = 0;
      this.armored = false;
      const out = this.write(binary);
      return [...out, ...this.end()];
    }
    if (this.payload === null) {
      const out = this.tryStart();
      const payload = this.payload as PayloadDecryptor | null; // tryStart() may have set it
      if (payload === null) {
        if (this.header === null) {
          throw new InswarmError('E_AGE_HEADER', 'The age header is incomplete: the file is truncated or is not an age file.');
        }
        // The nonce belongs to the header in age's error taxonomy (CCTV: stream_no_nonce).
        throw new InswarmError('E_AGE_HEADER', 'The age file ends before its payload nonce: it was truncated; fetch another copy.');
      }
      return [...out, ...payload.end()];
    }
    return this.payload.end();
  }

  private joined(): Buffer {
    if (this.buffered.length > 1) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0] ?? Buffer.alloc(0);
  }

  /** Parses the header once it is complete, then hands the rest to the payload decryptor. */
  private tryStart(): Buffer[] {
    const data = this.joined();
    if (this.header === null) {
      const header = parseHeader(data);
      if (header === null) return [];
      this.header = header;
    }
    const afterHeader = this.header.length;
    if (data.length < afterHeader + PAYLOAD_NONCE_SIZE) return [];
    const fileKey = this.unwrap(this.header);
    const nonce = data.subarray(afterHeader, afterHeader + PAYLOAD_NONCE_SIZE);
    this.payload = new PayloadDecryptor(derivePayloadKey(fileKey, nonce));
    fileKey.fill(0);
    const rest = data.subarray(afterHeader + PAYLOAD_NONCE_SIZE);
    this.buffered = [];
    this.bufferedBytes = 0;
    return this.payload.write(rest);
  }

  private unwrap(header: AgeHeader): Buffer {
    // An scrypt stanza must stand alone (age spec): mixing it with others is a malformed header.
    if (header.stanzas.some((s) => s.type === 'scrypt') && header.stanzas.length > 1) {
      throw new InswarmError('E_AGE_HEADER', 'The age header mixes a passphrase stanza with other recipients, which age forbids: the file was crafted or damaged.');
    }
    const fileKey = unwrapFileKey(header.stanzas, this.identities);
    if (fileKey === null) {
      throw new InswarmError('E_AGE_NO_MATCH', 'None of the given identities can decrypt this file: it was sealed to another destination; use that destination\'s key file.');
    }
    const expected = headerMac(fileKey, header.macInput);
    if (!timingSafeEqual(expected, header.mac)) {
      fileKey.fill(0);
      throw new InswarmError('E_AGE_HMAC', 'The age header was altered (its MAC does not match): the blob was tampered with or damaged; fetch another copy.');
    }
    return fileKey;
  }
}

/** True for armor, false for binary, null while only whitespace has been seen. */
function looksArmored(data: Buffer): boolean | null {
  // A binary age file starts with "age-encryption.org"; armor starts with dashes, possibly
  // after whitespace, which age tolerates around armor.
  for (const byte of data) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === ARMOR_BEGIN.charCodeAt(0);
  }
  return null;
}

/**
 * Decodes age's ASCII armor (the spec's strict PEM subset): surrounding whitespace and CRLF are
 * tolerated, nothing else — every line but the last holds exactly 64 base64 characters, the last
 * 1–64 in whole groups of four, with canonical padding.
 */
function decodeArmor(data: Buffer): Buffer {
  const malformed = (why: string) =>
    new InswarmError('E_AGE_ARMOR', `The ASCII-armored age file is malformed (${why}): it was damaged (for example re-wrapped or re-encoded) in transit.`);
  const lines = data.toString('latin1').trim().replaceAll('\r\n', '\n').split('\n');
  if (lines.shift() !== ARMOR_BEGIN) throw malformed('its first line is not the BEGIN line');
  if (lines.pop() !== ARMOR_END) throw malformed('its last line is not the END line');
  if (lines.length === 0) throw malformed('it holds no data');
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    const lengthOk = last ? line.length > 0 && line.length <= ARMOR_LINE_CHARS && line.length % 4 === 0 : line.length === ARMOR_LINE_CHARS;
    if (!lengthOk) throw malformed(`line ${i + 2} has the wrong length`);
    if (!/^[A-Za-z0-9+/=]+$/.test(line)) throw malformed(`line ${i + 2} is not base64`);
  });
  try {
    // @scure/base refuses misplaced padding and non-zero trailing bits, as the spec requires.
    return Buffer.from(base64.decode(lines.join('')));
  } catch {
    throw malformed('its base64 is not canonical');
  }
}
