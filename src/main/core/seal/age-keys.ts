// age X25519 recipients and identities (https://age-encryption.org/v1, "X25519 recipient type").
// Bech32 comes from @scure/base; key generation and the per-file key wrap run on native
// node:crypto (X25519, HKDF-SHA-256, ChaCha20-Poly1305).

import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { InswarmError } from '../errors.js';
import { decodeBase64Strict, encodeBase64NoPad, type Stanza } from './age-header.js';

const X25519_LABEL = 'age-encryption.org/v1/X25519';
const RECIPIENT_HRP = 'age';
const IDENTITY_HRP = 'age-secret-key-';
/** age file keys are 16 bytes; a wrapped key is the key plus a 16-byte Poly1305 tag. */
export const FILE_KEY_SIZE = 16;
const WRAPPED_KEY_SIZE = FILE_KEY_SIZE + 16;
const X25519_KEY_SIZE = 32;
// DER prefixes that turn 32 raw bytes into the PKCS#8 / SPKI forms node:crypto imports (RFC 8410).
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const ZERO_NONCE = Buffer.alloc(12);

/** A parsed X25519 identity: the secret scalar and its public recipient, ready for unwrapping. */
export interface X25519Identity {
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
}

/** Creates a new destination identity; returns age's text forms (the same as `age-keygen`). */
export async function generateIdentity(): Promise<{ identity: string; recipient: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  // Bech32 forbids mixed case; age writes identities in uppercase and recipients in lowercase.
  const identity = bech32.encode(IDENTITY_HRP, bech32.toWords(pkcs8.subarray(PKCS8_X25519_PREFIX.length)), false).toUpperCase();
  pkcs8.fill(0);
  const recipient = bech32.encode(RECIPIENT_HRP, bech32.toWords(rawPublicKey(publicKey)), false);
  return { identity, recipient };
}

/** Decodes an `age1…` recipient to its 32-byte X25519 public key, or throws E_BAD_RECIPIENT. */
export function parseRecipient(text: string): Buffer {
  const bad = (why: string) =>
    new InswarmError('E_BAD_RECIPIENT', `"${shorten(text)}" is not an age X25519 recipient (${why}): it should look like age1… as printed by "inswarm keygen" or age-keygen.`);
  if (text !== text.toLowerCase()) throw bad('recipients are lowercase');
  let decoded;
  try {
    decoded = bech32.decode(text as `${string}1${string}`, false);
  } catch {
    throw bad('its Bech32 encoding or checksum is wrong');
  }
  if (decoded.prefix !== RECIPIENT_HRP) throw bad(`its prefix is "${decoded.prefix}", not "age"`);
  const key = Buffer.from(bech32.fromWords(decoded.words));
  if (key.length !== X25519_KEY_SIZE) throw bad('its key has the wrong length');
  return key;
}

/** Decodes one `AGE-SECRET-KEY-1…` line to an identity, or throws E_BAD_IDENTITY. */
export function parseIdentity(text: string): X25519Identity {
  const bad = (why: string) => new InswarmError('E_BAD_IDENTITY', `The identity is not an age X25519 secret key (${why}): use a key file made by "inswarm keygen" or age-keygen.`);
  // Bech32 forbids mixed case; age writes identities in uppercase.
  if (text !== text.toUpperCase()) throw bad('identities are uppercase');
  let decoded;
  try {
    decoded = bech32.decode(text.toLowerCase() as `${string}1${string}`, false);
  } catch {
    throw bad('its Bech32 encoding or checksum is wrong');
  }
  if (decoded.prefix !== IDENTITY_HRP) throw bad('its prefix is not AGE-SECRET-KEY-');
  const secret = Buffer.from(bech32.fromWords(decoded.words));
  if (secret.length !== X25519_KEY_SIZE) throw bad('its key has the wrong length');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  secret.fill(0);
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
}

/**
 * Parses an identity file as age does: one identity per line, `#` comments and blank lines
 * ignored. Only X25519 identities are supported; anything else is a clear error, not a skip.
 */
export function parseIdentityFile(text: string): X25519Identity[] {
  const identities: X25519Identity[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith('AGE-SECRET-KEY-1')) {
      throw new InswarmError('E_BAD_IDENTITY', `Line ${index + 1} of the identity file is not an age X25519 secret key (AGE-SECRET-KEY-1…): Inswarm only supports X25519 identities.`);
    }
    identities.push(parseIdentity(line));
  }
  if (identities.length === 0) {
    throw new InswarmError('E_BAD_IDENTITY', 'The identity file holds no AGE-SECRET-KEY-1… line: pass the key file made by "inswarm keygen".');
  }
  return identities;
}

/** The age key-file text for an identity, as age-keygen writes it. */
export function formatIdentityFile(identity: string, recipient: string, created = new Date()): string {
  return `# created: ${created.toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`;
}

/** Wraps a file key to one recipient: the `-> X25519 <share>` stanza of the age spec. */
export function wrapFileKey(fileKey: Uint8Array, recipient: Buffer): Stanza {
  const ephemeral = generateKeyPairSync('x25519');
  const share = rawPublicKey(ephemeral.publicKey);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: publicKeyFromRaw(recipient) });
  const wrapKey = deriveWrapKey(shared, share, recipient);
  const cipher = createCipheriv('chacha20-poly1305', wrapKey, ZERO_NONCE, { authTagLength: 16 });
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  wrapKey.fill(0);
  return { type: 'X25519', args: [encodeBase64NoPad(share)], body };
}

/**
 * Tries to unwrap the file key from X25519 stanzas with the given identities. Returns null when
 * none matches (age's "no match"); throws E_AGE_HEADER for a malformed X25519 stanza, because
 * age treats a stanza of a known type that cannot be parsed as a broken header, not a mismatch.
 */
export function unwrapFileKey(stanzas: readonly Stanza[], identities: readonly X25519Identity[]): Buffer | null {
  for (const stanza of stanzas) {
    if (stanza.type !== 'X25519') continue;
    if (stanza.args.length !== 1) throw headerError('an X25519 stanza must have exactly one argument');
    const share = decodeBase64Strict(stanza.args[0] ?? '');
    if (share === null || share.length !== X25519_KEY_SIZE) throw headerError('an X25519 stanza has a malformed share');
    if (stanza.body.length !== WRAPPED_KEY_SIZE) throw headerError('an X25519 stanza has a body of the wrong size');
    for (const identity of identities) {
      let shared: Buffer;
      try {
        shared = diffieHellman({ privateKey: identity.privateKey, publicKey: publicKeyFromRaw(share) });
      } catch (cause) {
        // OpenSSL refuses an all-zero shared secret, which only a low-order share produces.
        throw new InswarmError('E_AGE_HEADER', 'The age header holds an invalid X25519 share (low order point): the file was crafted or damaged.', { cause });
      }
      if (shared.every((b) => b === 0)) throw headerError('an X25519 share is a low order point');
      const wrapKey = deriveWrapKey(shared, share, identity.publicKey);
      const decipher = createDecipheriv('chacha20-poly1305', wrapKey, ZERO_NONCE, { authTagLength: 16 });
      decipher.setAuthTag(stanza.body.subarray(FILE_KEY_SIZE));
      const fileKey = decipher.update(stanza.body.subarray(0, FILE_KEY_SIZE));
      try {
        decipher.final();
        return fileKey;
      } catch {
        fileKey.fill(0);
        // Wrong identity for this stanza: keep looking, as age does.
      } finally {
        wrapKey.fill(0);
      }
    }
  }
  return null;
}

function deriveWrapKey(shared: Buffer, share: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([share, recipient]), X25519_LABEL, 32));
}

function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519_PREFIX.length);
}

function headerError(why: string): InswarmError {
  return new InswarmError('E_AGE_HEADER', `The age header is malformed (${why}): the file was damaged or was not written by age.`);
}

function shorten(text: string): string {
  return text.length > 24 ? `${text.slice(0, 20)}…` : text;
}
