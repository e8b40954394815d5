import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32nopad } from '@scure/base';
import { deviceIdFromCertDer, formatDeviceId, parseDeviceId, shortDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { isInswarmError } from '../../../../src/main/core/errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CANONICAL = /^[A-Z2-7]{7}(?:-[A-Z2-7]{7}){7}$/;

// Vectors from Syncthing's lib/protocol/deviceid_test.go (github.com/syncthing/syncthing,
// `formatted`, `formatCases`, `validateCases`, TestShortIDString). Syncthing also accepts the
// 52-character form without check characters and the empty string; we deliberately refuse both
// (see parseDeviceId), so those cases are asserted as rejections below.
const SYNCTHING_FORMATTED = 'P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2';
const SYNCTHING_CASES_WITH_CHECK = [
  'P56IOI-7MZJNU2Y-IQGDR-EYDM2M-GTI-MGL3-BXNPQ6-W5BM-TBB-Z4TJXZ-WICQ2',
  'P56IOI7 MZJNU2Y IQGDREY DM2MGTI MGL3BXN PQ6W5BM TBBZ4TJ XZWICQ2',
  'P56IOI7MZJNU2YIQGDREYDM2MGTIMGL3BXNPQ6W5BMTBBZ4TJXZWICQ2',
  'P561017MZJNU2YIQGDREYDM2MGTIMGL3BXNPQ6W5BMT88Z4TJXZWICQ2',
  'p56ioi7mzjnu2yiqgdreydm2mgtimgl3bxnpq6w5bmtbbz4tjxzwicq2',
  'p561017mzjnu2yiqgdreydm2mgtimgl3bxnpq6w5bmt88z4tjxzwicq2',
  'P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2',
];
const SYNCTHING_CASES_WITHOUT_CHECK = [
  'P56IOI-7MZJNU-2IQGDR-EYDM2M-GTMGL3-BXNPQ6-W5BTBB-Z4TJXZ-WICQ',
  'P56IOI7 MZJNU2I QGDREYD M2MGTMGL 3BXNPQ6W 5BTB BZ4T JXZWICQ',
  'P56IOI7MZJNU2IQGDREYDM2MGTMGL3BXNPQ6W5BTBBZ4TJXZWICQ',
  'p56ioi7mzjnu2iqgdreydm2mgtmgl3bxnpq6w5btbbz4tjxzwicq',
];
const SYNCTHING_INVALID = ['a', 'P56IOI7MZJNU2IQGDREYDM2MGTMGL3BXNPQ6W5BTBBZ4TJXZWICQCCCC', 'p56ioi7mzjnu2iqgdreydm2mgtmgl3bxnpq6w5btbbz4tjxzwicqCCCC'];

// A certificate made by `syncthing generate` (Debian syncthing v1.19.2), and the device ID that
// Syncthing printed for it. Only the public certificate; its key was discarded.
const SYNCTHING_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIICHTCCAaOgAwIBAgIJALhquhsDneZYMAoGCCqGSM49BAMCMEoxEjAQBgNVBAoT
CVN5bmN0aGluZzEgMB4GA1UECxMXQXV0b21hdGljYWxseSBHZW5lcmF0ZWQxEjAQ
BgNVBAMTCXN5bmN0aGluZzAeFw0yNjExMjgwMDAwMDBaFw00NjExMjMwMDAwMDBa
MEoxEjAQBgNVBAoTCVN5bmN0aGluZzEgMB4GA1UECxMXQXV0b21hdGljYWxseSBH
ZW5lcmF0ZWQxEjAQBgNVBAMTCXN5bmN0aGluZzB2MBAGByqGSM49AgEGBSuBBAAi
A2IABDU87kDcYJQb4O76qOoCmbDFOTSehQpxgM7/FHmbHx7LEyC9/hIOQO71jjmJ
64PMy7ZqTU1RfgyTAjGzSWvP8j+P5A9eWv5PXfopVUJ9Qm5/1KjYSyGs6VJTPBlC
HlV0RaNVMFMwDgYDVR0PAQH/BAQDAgWgMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggr
BgEFBQcDAjAMBgNVHRMBAf8EAjAAMBQGA1UdEQQNMAuCCXN5bmN0aGluZzAKBggq
hkjOPQQDAgNoADBlAjEA0+9X8um4WNwapoZtdRi+FioXigW99WHGg0zH5jW3bAge
6PQ/yQ3PCJmREi+VBjWkAjB2thkHv3ScUmQfUdXYWCu4cQZz4WuFB6GLCGEO8/JR
opMI7luHzsvPU2tRqSTL0/c=
-----END CERTIFICATE-----
`;
const SYNCTHING_CERT_ID = 'UI5MQJJ-UGC454W-7ZHBXJ3-O265HF6-O6UWP62-QZ23EMQ-XFIQ5SX-TK5VKQY';

function expectBadId(text: string): void {
  let thrown: unknown;
  try {
    parseDeviceId(text);
  } catch (err) {
    thrown = err;
  }
  expect(isInswarmError(thrown, 'E_BAD_DEVICE_ID'), `expected E_BAD_DEVICE_ID for ${JSON.stringify(text)}`).toBe(true);
}

describe('deviceIdFromCertDer', () => {
  it('gives the device ID Syncthing printed for its own certificate', () => {
    const der = new X509Certificate(SYNCTHING_CERT_PEM).raw;
    expect(deviceIdFromCertDer(der)).toBe(SYNCTHING_CERT_ID);
  });

  it('is the SHA-256 of the DER in base32, with a check character after every 13 characters', () => {
    const der = randomBytes(300);
    const id = deviceIdFromCertDer(der);
    expect(id).toMatch(CANONICAL);
    const compact = id.replaceAll('-', '');
    const data = [0, 14, 28, 42].map((i) => compact.slice(i, i + 13)).join('');
    expect(data).toBe(base32nopad.encode(createHash('sha256').update(der).digest()));
    expect(deviceIdFromCertDer(Buffer.concat([der, Buffer.from([0])]))).not.toBe(id);
  });
});

describe('formatDeviceId', () => {
  it("reproduces Syncthing's formatted vector from its raw 52-character form", () => {
    const digest = base32nopad.decode('P56IOI7MZJNU2IQGDREYDM2MGTMGL3BXNPQ6W5BTBBZ4TJXZWICQ');
    expect(formatDeviceId(digest)).toBe(SYNCTHING_FORMATTED);
  });

  it('refuses a digest that is not 32 bytes', () => {
    expect(() => formatDeviceId(new Uint8Array(31))).toThrow(/32-byte/);
    expect(() => formatDeviceId(new Uint8Array(33))).toThrow(/32-byte/);
  });
});

describe('parseDeviceId', () => {
  it("accepts Syncthing's typed variants of an ID with check characters", () => {
    for (const typed of SYNCTHING_CASES_WITH_CHECK) expect(parseDeviceId(typed), typed).toBe(SYNCTHING_FORMATTED);
  });

  it('accepts other ways people paste an ID', () => {
    const compact = SYNCTHING_FORMATTED.replaceAll('-', '');
    for (const typed of [
      `  ${SYNCTHING_FORMATTED}\n`,
      SYNCTHING_FORMATTED.toLowerCase(),
      SYNCTHING_FORMATTED.replaceAll('-', '\t'),
      `${compact}==`,
      compact.replace('B', 'b').replace('Q', 'q'),
    ]) {
      expect(parseDeviceId(typed), JSON.stringify(typed)).toBe(SYNCTHING_FORMATTED);
    }
  });

  it("rejects Syncthing's invalid vectors, the empty ID and the form without check characters", () => {
    for (const typed of [...SYNCTHING_INVALID, '', ...SYNCTHING_CASES_WITHOUT_CHECK]) expectBadId(typed);
    expect(() => parseDeviceId(SYNCTHING_CASES_WITHOUT_CHECK[0]!)).toThrow(/missing its check characters/);
  });

  it('rejects every single-character substitution, in the data or the check characters', () => {
    const compact = deviceIdFromCertDer(randomBytes(64)).replaceAll('-', '');
    let rejected = 0;
    for (let i = 0; i < compact.length; i++) {
      for (const c of ALPHABET) {
        if (c === compact[i]) continue;
        expectBadId(compact.slice(0, i) + c + compact.slice(i + 1));
        rejected++;
      }
    }
    expect(rejected).toBe(56 * 31);
  });

  it('names the run of characters that holds the typo', () => {
    const chars = [...SYNCTHING_FORMATTED.replaceAll('-', '')];
    chars[20] = chars[20] === 'A' ? 'B' : 'A';
    expect(() => parseDeviceId(chars.join(''))).toThrow(/characters 15 to 28/);
  });

  it('rejects characters outside the alphabet, over-long input and a non-canonical last data character', () => {
    expectBadId(SYNCTHING_FORMATTED.replace('P56', 'P5!'));
    expectBadId(SYNCTHING_FORMATTED.replace('-', '_'));
    expectBadId(`${SYNCTHING_FORMATTED} ${' '.repeat(300)}`);
    // "Q" ends the last data run; "R" leaves non-zero padding bits, so no digest encodes to it.
    // Of the 32 possible check characters after it, exactly one is right, and only the padding
    // check can refuse that one.
    const compact = SYNCTHING_FORMATTED.replaceAll('-', '');
    const messages = [...ALPHABET].map((check) => {
      try {
        parseDeviceId(`${compact.slice(0, 42)}${compact.slice(42, 54)}R${check}`);
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(messages.filter((m) => m.includes('typo'))).toHaveLength(31);
    expect(messages.filter((m) => m.includes('cannot belong to any device'))).toHaveLength(1);
  });
});

describe('shortDeviceId', () => {
  it("is the first group, as in Syncthing's TestShortIDString", () => {
    expect(shortDeviceId(SYNCTHING_FORMATTED)).toBe('P56IOI7');
    expect(shortDeviceId(SYNCTHING_FORMATTED.toLowerCase())).toBe('P56IOI7');
  });

  it('refuses an invalid ID rather than shortening it', () => {
    expectBadId('P56IOI7');
    expect(() => shortDeviceId('P56IOI7')).toThrow();
  });
});
