// C2SP CCTV age vectors (npm package cctv-age, from https://github.com/C2SP/CCTV/tree/main/age):
// every vector whose identities are all X25519 runs through our decrypt path, and must succeed or
// fail exactly as the vector's `expect` line says, with the payload's SHA-256 checked on success.

import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import * as vectors from 'cctv-age';
import { describe, expect, it } from 'vitest';
import { AgeDecryptor } from '../../../../src/main/core/seal/age-file.js';
import { parseIdentity } from '../../../../src/main/core/seal/age-keys.js';
import { isInswarmError } from '../../../../src/main/core/errors.js';

interface Vector {
  name: string;
  expect: string;
  payloadSha256?: string;
  identities: string[];
  passphrases: number;
  compressed?: string;
  armored: boolean;
  body: Buffer;
}

function parseVector(name: string, raw: Uint8Array): Vector {
  const data = Buffer.from(raw);
  const split = data.indexOf('\n\n');
  const headerLines = data.subarray(0, split).toString('utf8').split('\n');
  const v: Vector = { name, expect: '', identities: [], passphrases: 0, armored: false, body: data.subarray(split + 2) };
  for (const line of headerLines) {
    const [key, ...rest] = line.split(': ');
    const value = rest.join(': ');
    if (key === 'expect') v.expect = value;
    else if (key === 'payload') v.payloadSha256 = value;
    else if (key === 'identity') v.identities.push(value);
    else if (key === 'passphrase') v.passphrases++;
    else if (key === 'compressed') v.compressed = value;
    else if (key === 'armored') v.armored = value === 'yes';
  }
  if (v.compressed === 'zlib') v.body = inflateSync(v.body);
  else if (v.compressed !== undefined) throw new Error(`unknown compression ${v.compressed}`);
  return v;
}

const EXPECTED_CODE: Record<string, string> = {
  'header failure': 'E_AGE_HEADER',
  'no match': 'E_AGE_NO_MATCH',
  'HMAC failure': 'E_AGE_HMAC',
  'payload failure': 'E_AGE_PAYLOAD',
  'armor failure': 'E_AGE_ARMOR',
};

const all = Object.entries(vectors as Record<string, Uint8Array>).map(([name, raw]) => parseVector(name, raw));
const x25519 = all.filter((v) => v.passphrases === 0 && v.identities.length > 0 && v.identities.every((i) => i.startsWith('AGE-SECRET-KEY-1')));

function decrypt(v: Vector, splitEvery?: number): Buffer {
  // Like the reference harness, armored vectors are decoded as armor and the others as binary.
  const dec = new AgeDecryptor(v.identities.map(parseIdentity), { armored: v.armored });
  const out: Buffer[] = [];
  const step = Math.max(splitEvery ?? v.body.length, 1);
  for (let i = 0; i < v.body.length; i += step) out.push(...dec.write(v.body.subarray(i, i + step)));
  out.push(...dec.end());
  return Buffer.concat(out);
}

describe('C2SP CCTV age vectors (X25519 identities)', () => {
  it('selects the X25519 vectors and knows every expectation', () => {
    // 143 vectors in cctv-age 0.2.0; those with hybrid, scrypt or tag identities are out of scope.
    expect(x25519.length).toBeGreaterThanOrEqual(90);
    for (const v of x25519) expect(['success', ...Object.keys(EXPECTED_CODE)]).toContain(v.expect);
  });

  for (const v of x25519) {
    it(`${v.name}: ${v.expect}`, () => {
      if (v.expect === 'success') {
        const plain = decrypt(v);
        expect(createHash('sha256').update(plain).digest('hex')).toBe(v.payloadSha256);
        // The same bytes fed in awkward pieces must give the same plaintext.
        expect(decrypt(v, v.body.length < 200_000 ? 7 : 65_551).equals(plain)).toBe(true);
        return;
      }
      let caught: unknown;
      try {
        decrypt(v);
      } catch (err) {
        caught = err;
      }
      expect(isInswarmError(caught), String(caught)).toBe(true);
      expect((caught as { code: string }).code).toBe(EXPECTED_CODE[v.expect]);
    });
  }
});
