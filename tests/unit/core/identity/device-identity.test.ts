import { X509Certificate, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateDeviceIdentity, publicKeyFromCertDer, verifySignature } from '../../../../src/main/core/identity/device-identity.js';
import { parseDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { isInswarmError } from '../../../../src/main/core/errors.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'inswarm-identity-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Everything in a folder, name → bytes, to show that a failed load changed nothing. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) files.set(name, (await readFile(join(dir, name))).toString('hex'));
  return files;
}

async function loadError(dir: string): Promise<unknown> {
  try {
    await loadOrCreateDeviceIdentity(dir);
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The PEM with one bit flipped in byte `index` of its DER body. */
function flipDerBit(pem: string, index: number): string {
  const [, label, body] = /^-----BEGIN ([A-Z ]+)-----\n([\s\S]+?)-----END /.exec(pem)!;
  const der = Buffer.from(body!, 'base64');
  der[index]! ^= 0x01;
  const lines = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

function derLength(pem: string): number {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, ''), 'base64').length;
}

describe('loadOrCreateDeviceIdentity: creation and persistence', () => {
  it('creates an identity on first use and loads the same one afterwards', async () => {
    const dir = join(root, 'data', 'device');
    const first = await loadOrCreateDeviceIdentity(dir);
    expect(parseDeviceId(first.deviceId)).toBe(first.deviceId);
    expect((await readdir(dir)).sort()).toEqual(['cert.pem', 'key.pem']);
    expect(await readFile(join(dir, 'cert.pem'), 'utf8')).toBe(first.certPem);
    expect(await readFile(join(dir, 'key.pem'), 'utf8')).toBe(first.keyPem);

    const second = await loadOrCreateDeviceIdentity(dir);
    expect(second.deviceId).toBe(first.deviceId);
    expect(second.certDer.equals(first.certDer)).toBe(true);
    expect(second.keyPem).toBe(first.keyPem);
  });

  it.skipIf(process.platform === 'win32')('keeps the key and certificate 0600 in a 0700 folder', async () => {
    const dir = join(root, 'device');
    await mkdir(dir, { mode: 0o755 });
    await loadOrCreateDeviceIdentity(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'cert.pem'))).mode & 0o777).toBe(0o600);
  });

  it('makes a self-signed P-256 certificate for TLS client and server use, valid for 20 years', async () => {
    const a = await loadOrCreateDeviceIdentity(join(root, 'a'));
    const b = await loadOrCreateDeviceIdentity(join(root, 'b'));
    const cert = new X509Certificate(a.certPem);
    expect(cert.subject).toBe('CN=inswarm');
    expect(cert.issuer).toBe('CN=inswarm');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // ecdsa-with-SHA256 signature algorithm, and a critical KeyUsage of digitalSignature only.
    expect(a.certDer.includes(Buffer.from('06082a8648ce3d040302', 'hex'))).toBe(true);
    expect(a.certDer.includes(Buffer.from('0603551d0f0101ff040403020780', 'hex'))).toBe(true);
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 24 * 3600 * 1000);
    expect(years).toBeCloseTo(20, 1);
    expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(Date.now());
    expect(cert.serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
    expect(cert.serialNumber.length).toBe(32);
    expect(a.deviceId).not.toBe(b.deviceId);
  });

  it('starts afresh when a crash left a key without a certificate, and sweeps its temp files', async () => {
    const dir = join(root, 'device');
    const other = await loadOrCreateDeviceIdentity(join(root, 'other'));
    await mkdir(dir);
    await writeFile(join(dir, 'key.pem'), other.keyPem);
    await writeFile(join(dir, '.cert.pem.0123456789ab.tmp'), 'half a certificate');

    const fresh = await loadOrCreateDeviceIdentity(dir);
    expect(fresh.keyPem).not.toBe(other.keyPem);
    expect(fresh.deviceId).not.toBe(other.deviceId);
    expect((await readdir(dir)).sort()).toEqual(['cert.pem', 'key.pem']);
    expect((await loadOrCreateDeviceIdentity(dir)).deviceId).toBe(fresh.deviceId);
  });
});

describe('loadOrCreateDeviceIdentity: damage is reported, never repaired by replacement', () => {
  it('refuses a certificate whose key is missing', async () => {
    const dir = join(root, 'device');
    await loadOrCreateDeviceIdentity(dir);
    await rm(join(dir, 'key.pem'));
    const before = await snapshot(dir);
    const err = await loadError(dir);
    expect(isInswarmError(err, 'E_IDENTITY')).toBe(true);
    expect((err as Error).message).toMatch(/key\.pem is missing.*Move that folder aside/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('detects a key that belongs to another certificate', async () => {
    const dir = join(root, 'device');
    await loadOrCreateDeviceIdentity(dir);
    const other = await loadOrCreateDeviceIdentity(join(root, 'other'));
    await writeFile(join(dir, 'key.pem'), other.keyPem);
    const before = await snapshot(dir);
    const err = await loadError(dir);
    expect(isInswarmError(err, 'E_IDENTITY')).toBe(true);
    expect((err as Error).message).toContain('key.pem does not belong to cert.pem');
    expect(await snapshot(dir)).toEqual(before);
  });

  it("detects a key holding this device's secret but another key's public point", async () => {
    // Such a key signs as this device, so a signing probe alone passes; TLS compares public keys
    // and would refuse it at the first connection. It must be refused at load instead.
    const dir = join(root, 'device');
    const { keyPem } = await loadOrCreateDeviceIdentity(dir);
    const other = await loadOrCreateDeviceIdentity(join(root, 'other'));
    const der = (pem: string): Buffer => Buffer.from(pem.replace(/-----[A-Z ]+-----/g, ''), 'base64');
    const ours = der(keyPem);
    // OpenSSL's P-256 PKCS#8 layout: [1] { BIT STRING { 00, 65-byte point } } starts at byte 68.
    expect(ours.subarray(68, 73).toString('hex')).toBe('a144034200');
    const spliced = Buffer.concat([ours.subarray(0, 73), der(other.keyPem).subarray(73)]);
    await writeFile(join(dir, 'key.pem'), `-----BEGIN PRIVATE KEY-----\n${spliced.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`);
    const err = await loadError(dir);
    expect(isInswarmError(err, 'E_IDENTITY')).toBe(true);
    expect((err as Error).message).toContain('key.pem does not belong to cert.pem');
  });

  it('detects a flipped bit anywhere in the certificate', async () => {
    const dir = join(root, 'device');
    const { certPem } = await loadOrCreateDeviceIdentity(dir);
    for (let i = 0; i < derLength(certPem); i++) {
      await writeFile(join(dir, 'cert.pem'), flipDerBit(certPem, i));
      const before = await snapshot(dir);
      const err = await loadError(dir);
      expect(isInswarmError(err, 'E_IDENTITY'), `byte ${i}`).toBe(true);
      expect(await snapshot(dir)).toEqual(before);
    }
  });

  it('never runs on a key with a flipped bit unless it is still exactly the same key', async () => {
    const dir = join(root, 'device');
    const { keyPem, deviceId, certDer } = await loadOrCreateDeviceIdentity(dir);
    // OpenSSL ignores three fields of an unencrypted P-256 PKCS#8 key when it reads one: the
    // PKCS#8 version (byte 5), the ECPrivateKey version (byte 33) and the unused-bits count of the
    // embedded public key (byte 72). A flip there leaves the key itself unchanged, so it is accepted.
    const harmless = new Set([5, 33, 72]);
    const accepted: number[] = [];
    for (let i = 0; i < derLength(keyPem); i++) {
      await writeFile(join(dir, 'key.pem'), flipDerBit(keyPem, i));
      const before = await snapshot(dir);
      const err = await loadError(dir);
      if (err === undefined) {
        accepted.push(i);
        const loaded = await loadOrCreateDeviceIdentity(dir);
        expect(loaded.deviceId).toBe(deviceId);
        expect(verifySignature(certDer, Buffer.from('probe'), loaded.sign(Buffer.from('probe')))).toBe(true);
      } else {
        expect(isInswarmError(err, 'E_IDENTITY'), `byte ${i}`).toBe(true);
      }
      expect(await snapshot(dir)).toEqual(before);
    }
    expect(accepted.filter((i) => !harmless.has(i))).toEqual([]);
  });

  it('refuses truncated, empty, foreign and oversized files', async () => {
    const dir = join(root, 'device');
    const { certPem, keyPem } = await loadOrCreateDeviceIdentity(dir);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const cases: Array<[string, string]> = [
      ['cert.pem', certPem.slice(0, certPem.length / 2)],
      ['cert.pem', ''],
      ['cert.pem', 'x'.repeat(20_000)],
      ['key.pem', keyPem.slice(0, keyPem.length / 2)],
      ['key.pem', ''],
      ['key.pem', rsa],
    ];
    for (const [name, text] of cases) {
      await writeFile(join(dir, 'cert.pem'), certPem);
      await writeFile(join(dir, 'key.pem'), keyPem);
      await writeFile(join(dir, name), text);
      const before = await snapshot(dir);
      const err = await loadError(dir);
      expect(isInswarmError(err, 'E_IDENTITY'), `${name}: ${text.slice(0, 20)}`).toBe(true);
      expect(await snapshot(dir)).toEqual(before);
    }
  });
});

describe('signatures', () => {
  it('verifies what the device signed, by certificate or by key, and nothing else', async () => {
    const a = await loadOrCreateDeviceIdentity(join(root, 'a'));
    const b = await loadOrCreateDeviceIdentity(join(root, 'b'));
    const data = Buffer.from('ticket: blob 3fa2 held until 2030-01-01');
    const signature = a.sign(data);
    expect(signature.length).toBe(64);
    expect(verifySignature(a.certDer, data, signature)).toBe(true);
    expect(verifySignature(a.publicKey, data, signature)).toBe(true);
    expect(verifySignature(b.certDer, data, signature)).toBe(false);

    for (let i = 0; i < signature.length; i++) {
      const flipped = Buffer.from(signature);
      flipped[i]! ^= 0x80;
      expect(verifySignature(a.certDer, data, flipped), `signature byte ${i}`).toBe(false);
    }
    for (let i = 0; i < data.length; i++) {
      const flipped = Buffer.from(data);
      flipped[i]! ^= 0x01;
      expect(verifySignature(a.certDer, flipped, signature), `data byte ${i}`).toBe(false);
    }
    expect(verifySignature(a.certDer, data, signature.subarray(0, 63))).toBe(false);
    expect(verifySignature(a.certDer, data, Buffer.concat([signature, Buffer.alloc(1)]))).toBe(false);
  });

  it('accepts only the IEEE-P1363 form, not the same signature in DER', async () => {
    const a = await loadOrCreateDeviceIdentity(join(root, 'a'));
    const data = Buffer.from('receipt');
    const der = cryptoSign('sha256', data, { key: a.privateKey, dsaEncoding: 'der' });
    expect(verifySignature(a.publicKey, data, der)).toBe(false);
  });

  it('refuses keys of other algorithms, even with a valid 64-byte signature of their own', () => {
    const data = Buffer.from('receipt');
    // Same signature size as ours, different curve.
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const k1Signature = cryptoSign('sha256', data, { key: k1.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(k1Signature.length).toBe(64);
    expect(verifySignature(k1.publicKey, data, k1Signature)).toBe(false);
    // A 512-bit RSA key also makes 64-byte signatures; RSA must never verify as ECDSA.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 512 });
    const rsaSignature = cryptoSign('sha256', data, rsa.privateKey);
    expect(rsaSignature.length).toBe(64);
    expect(verifySignature(rsa.publicKey, data, rsaSignature)).toBe(false);
    const ed = generateKeyPairSync('ed25519');
    expect(verifySignature(ed.publicKey, data, cryptoSign(null, data, ed.privateKey))).toBe(false);
  });

  it('reads the public key from a certificate and refuses bytes that are not one', async () => {
    const a = await loadOrCreateDeviceIdentity(join(root, 'a'));
    const key = publicKeyFromCertDer(a.certDer);
    expect(key.export({ format: 'der', type: 'spki' }).equals(a.publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
    const garbage = Buffer.from(a.certDer.subarray(0, 100));
    expect(() => publicKeyFromCertDer(garbage)).toThrow(expect.objectContaining({ code: 'E_BAD_CERT' }));
    expect(() => verifySignature(garbage, Buffer.alloc(1), Buffer.alloc(64))).toThrow(expect.objectContaining({ code: 'E_BAD_CERT' }));
  });
});
