// This device's identity: a self-signed ECDSA P-256 certificate and its key, kept as cert.pem and
// key.pem in the device folder. The certificate's SHA-256 is the device ID peers know us by; the
// same pair authenticates both ends of mutual TLS and signs tickets and receipts.

import {
  KeyObject,
  X509Certificate,
  createPrivateKey,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
} from 'node:crypto';
import { type FileHandle, chmod, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { InswarmError, fromFsError } from '../errors.js';
import { fsyncDir } from '../store/fsync.js';
import { DEVICE_IDENTITY_FILE_MAX_BYTES, PUBLIC_KEY_CACHE_ENTRIES } from '../limits.js';
import { deviceIdFromCertDer } from './device-id.js';

const KEY_FILE = 'key.pem';
const CERT_FILE = 'cert.pem';
/** Our own temporary files in the device folder, swept before a new identity is written. */
const TEMP_FILE = /^\.(?:key|cert)\.pem\.[0-9a-f]{12}\.tmp$/;
/** Like Syncthing's: a device ID is meant to last; replacing it means re-pairing with every peer. */
const CERT_VALIDITY_YEARS = 20;
const CERT_SUBJECT = 'CN=inswarm';
/** OpenSSL's name for P-256, as Node reports it in asymmetricKeyDetails. */
const P256 = 'prime256v1';
/** An IEEE-P1363 P-256 signature is r || s, 32 bytes each. */
const SIGNATURE_BYTES = 64;

/**
 * Signatures are ECDSA P-256 over SHA-256 in IEEE-P1363 form (r || s, always 64 bytes), not DER:
 * a fixed size is simpler to frame in tickets and receipts and has one encoding per (r, s).
 */
const SIGNATURE_ENCODING = 'ieee-p1363';

/** This device's certificate and key, loaded and checked against each other. */
export interface DeviceIdentity {
  /** Canonical device ID (8 groups of 7), the SHA-256 of `certDer`. */
  readonly deviceId: string;
  /** The certificate as written in cert.pem; hand it to TLS as `cert`. */
  readonly certPem: string;
  /** The PKCS#8 private key as written in key.pem; hand it to TLS as `key`. */
  readonly keyPem: string;
  /** The certificate's DER bytes: what a peer sees as `getPeerCertificate().raw`. */
  readonly certDer: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Signs `data` with the device key: ECDSA P-256, SHA-256, 64-byte IEEE-P1363 signature. */
  sign(data: Uint8Array): Buffer;
}

/**
 * Loads the identity kept in `dir` (e.g. `<data>/device`), creating it on first use. A damaged or
 * mismatched pair is never replaced silently: it throws E_IDENTITY and leaves the files as they are.
 * One process owns `dir` at a time; the caller holds the data-folder lock.
 */
export async function loadOrCreateDeviceIdentity(dir: string): Promise<DeviceIdentity> {
  const keyPem = await readIdentityFile(dir, KEY_FILE);
  const certPem = await readIdentityFile(dir, CERT_FILE);
  if (certPem !== undefined) {
    if (keyPem === undefined) throw damaged(dir, `${CERT_FILE} is there but ${KEY_FILE} is missing`);
    return identityFromPem(dir, certPem, keyPem);
  }
  // No certificate: first start, or a crash after the key was written. The key is written first
  // and the certificate last, so no peer can know a device ID from a lone key: start afresh.
  const fresh = await generateIdentityPem();
  await writeIdentity(dir, fresh.keyPem, fresh.certPem);
  return identityFromPem(dir, fresh.certPem, fresh.keyPem);
}

/**
 * Public keys of certificates read recently, by the certificate's bytes. Every ticket and receipt
 * carries its signer's certificate, and parsing one costs more than checking the signature: a
 * holder taking thousands of small blobs from a few origins would parse the same few all day.
 */
const publicKeys = new Map<string, KeyObject>();

/** The public key inside a DER certificate (a peer's `raw`, or one stored with a ticket). */
export function publicKeyFromCertDer(der: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const cached = publicKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  let key: KeyObject;
  try {
    key = new X509Certificate(der).publicKey;
  } catch (err) {
    throw new InswarmError('E_BAD_CERT', 'A device certificate could not be read: it is damaged or not a certificate.', { cause: err });
  }
  // Oldest out first: Map iteration follows insertion order.
  if (publicKeys.size >= PUBLIC_KEY_CACHE_ENTRIES) publicKeys.delete(publicKeys.keys().next().value!);
  publicKeys.set(cacheKey, key);
  return key;
}

/**
 * True only if `signature` is a valid ECDSA P-256 / SHA-256 IEEE-P1363 signature of `data` by the
 * given key or by the key of the given DER certificate. Throws E_BAD_CERT if the DER is unreadable.
 */
export function verifySignature(certDerOrPublicKey: Uint8Array | KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const key = certDerOrPublicKey instanceof KeyObject ? certDerOrPublicKey : publicKeyFromCertDer(certDerOrPublicKey);
  // Only a P-256 key can have made one of our signatures; refusing others keeps an RSA or Ed25519
  // certificate from having a different algorithm's signature accepted here.
  if (!isP256(key) || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return cryptoVerify('sha256', data, { key, dsaEncoding: SIGNATURE_ENCODING }, signature);
  } catch {
    return false;
  }
}

/** Builds the identity from the two PEM texts, checking that they are sound and belong together. */
function identityFromPem(dir: string, certPem: string, keyPem: string): DeviceIdentity {
  let cert: X509Certificate;
  let publicKey: KeyObject;
  let selfSigned: boolean;
  try {
    cert = new X509Certificate(certPem);
    publicKey = cert.publicKey; // parsed lazily: a damaged key field throws only here
    // A self-signature that fails means the certificate's bytes changed since it was made.
    selfSigned = isP256(publicKey) && cert.verify(publicKey);
  } catch (err) {
    throw damaged(dir, `${CERT_FILE} cannot be read`, err);
  }
  if (!selfSigned) throw damaged(dir, `${CERT_FILE} is not an intact Inswarm certificate`);

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (err) {
    throw damaged(dir, `${KEY_FILE} cannot be read`, err);
  }
  if (!isP256(privateKey)) throw damaged(dir, `${KEY_FILE} is not a P-256 key`);

  // Two checks, because a PKCS#8 EC key stores its public point beside the secret: comparing
  // public keys (what TLS does) misses a wrong secret, and a signing probe misses a wrong point.
  const probe = randomBytes(32);
  const probeSignature = cryptoSign('sha256', probe, { key: privateKey, dsaEncoding: SIGNATURE_ENCODING });
  if (!cert.checkPrivateKey(privateKey) || !verifySignature(publicKey, probe, probeSignature)) {
    throw damaged(dir, `${KEY_FILE} does not belong to ${CERT_FILE}`);
  }

  const certDer = cert.raw;
  return {
    deviceId: deviceIdFromCertDer(certDer),
    certPem,
    keyPem,
    certDer,
    privateKey,
    publicKey,
    sign: (data) => cryptoSign('sha256', data, { key: privateKey, dsaEncoding: SIGNATURE_ENCODING }),
  };
}

/** Makes a new key pair and self-signed certificate fit for mutual TLS 1.3 in both directions. */
async function generateIdentityPem(): Promise<{ keyPem: string; certPem: string }> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);

  // Start of the current UTC day, as Syncthing does: tolerates peers whose clocks run behind and
  // does not record the exact minute the device was set up.
  const notBefore = new Date();
  notBefore.setUTCHours(0, 0, 0, 0);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CERT_VALIDITY_YEARS);

  // 127 random bits (RFC 5280 asks for at least 64); the top bit clear keeps the INTEGER positive
  // and the next bit set keeps its DER encoding minimal.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;

  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: CERT_SUBJECT,
      notBefore,
      notAfter,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ],
    },
    webcrypto as unknown as Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[1],
  );

  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  try {
    const keyPem = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' });
    // Node's PEM of the DER, so cert.pem reads like any OpenSSL-written certificate.
    const certPem = new X509Certificate(Buffer.from(cert.rawData)).toString();
    return { keyPem: String(keyPem), certPem };
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * Loads @peculiar/x509 on first use only: it is needed once per device, to make the certificate.
 * Its dependency tsyringe needs the Reflect metadata API, which reflect-metadata provides.
 */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

/** Writes key then certificate, each durably, so a crash can leave a lone key but never a lone certificate. */
async function writeIdentity(dir: string, keyPem: string, certPem: string): Promise<void> {
  const doing = `creating the device identity in ${dir}`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await fsyncDir(dirname(dir));
    for (const name of await readdir(dir)) {
      if (TEMP_FILE.test(name)) await unlink(join(dir, name));
    }
  } catch (err) {
    throw fromFsError(err, doing);
  }
  await writeFileDurably(dir, KEY_FILE, keyPem, doing);
  await writeFileDurably(dir, CERT_FILE, certPem, doing);
}

/** Temp file, fsync, rename over `name`, fsync the folder: the file is whole or absent. */
async function writeFileDurably(dir: string, name: string, text: string, doing: string): Promise<void> {
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.chmod(0o600); // the umask may have narrowed the mode, never widened it; set it exactly
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
    await fsyncDir(dir);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw fromFsError(err, doing);
  }
}

/** Reads one identity file whole, or returns undefined if it does not exist. */
async function readIdentityFile(dir: string, name: string): Promise<string | undefined> {
  const path = join(dir, name);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(err, `reading ${path}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw damaged(dir, `${name} is not a file`);
    if (stat.size > DEVICE_IDENTITY_FILE_MAX_BYTES) throw damaged(dir, `${name} is far larger than an identity file`);
    return await handle.readFile('utf8');
  } catch (err) {
    throw fromFsError(err, `reading ${path}`);
  } finally {
    await handle.close();
  }
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === P256;
}

function damaged(dir: string, what: string, cause?: unknown): InswarmError {
  return new InswarmError(
    'E_IDENTITY',
    `The device identity in ${dir} is damaged (${what}). Move that folder aside and start Inswarm again to create a new identity; other devices will then see this one as a new device.`,
    cause === undefined ? undefined : { cause },
  );
}
