import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DeviceIdentity, loadOrCreateDeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';
import { deviceIdFromCertDer } from '../../../../src/main/core/identity/device-id.js';
import { decodeFrame, encodeFrame } from '../../../../src/main/core/protocol/codec.js';
import {
  MAX_CLOCK_SKEW_MS,
  MAX_DEVICE_CERT_BYTES,
  MAX_SIGNED_BODY_BYTES,
  MAX_TICKET_LIFETIME_MS,
  MAX_TICKET_TARGET_BYTES,
  MAX_TICKET_TARGET_DEPTH,
} from '../../../../src/main/core/limits.js';
import type { Signed } from '../../../../src/main/core/protocol/messages.js';
import { ProtocolError } from '../../../../src/main/core/protocol/protocol-error.js';
import {
  type JsonValue,
  type Signer,
  type TicketFields,
  TicketExpiredError,
  canonicalJson,
  signCustodyReceipt,
  signDeliveryReceipt,
  signRelease,
  signTicket,
  verifyCustodyReceipt,
  verifyDeliveryReceipt,
  verifyRelease,
  verifyTicket,
} from '../../../../src/main/core/protocol/signed.js';
import { tempDir } from '../../../helpers/tmp.js';

const BLOB = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const OTHER_BLOB = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const T0 = 1_750_000_000_000; // 2025-06-15T15:06:40Z
const HOUR = 60 * 60 * 1000;

let a: DeviceIdentity;
let b: DeviceIdentity;
let c: DeviceIdentity;

beforeAll(async () => {
  const make = async (n: number): Promise<DeviceIdentity> => loadOrCreateDeviceIdentity(join(await tempDir(`inswarm-signed-${n}`), 'device'));
  [a, b, c] = await Promise.all([make(1), make(2), make(3)]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function ticketFields(overrides: Partial<TicketFields> = {}): TicketFields {
  return {
    blobId: BLOB,
    size: 123_456,
    created: T0,
    expires: T0 + 12 * HOUR,
    target: { kind: 'receiver', url: 'https://home.example:8443/inswarm', receiverId: 'opaque here' },
    ...overrides,
  };
}

function bodyText(signed: Signed): string {
  return Buffer.from(signed.body, 'base64').toString('utf8');
}

function bodyJson(signed: Signed): Record<string, unknown> {
  return JSON.parse(bodyText(signed)) as Record<string, unknown>;
}

/** Signs any body text with `signer`: how a hostile or buggy device would make statements. */
function signRaw(signer: Signer, text: string): Signed {
  const bytes = Buffer.from(text, 'utf8');
  return { body: bytes.toString('base64'), sig: signer.sign(bytes).toString('base64') };
}

/** Re-signs a statement after changing its body: the signature is valid, only the content is wrong. */
function resign(signer: Signer, signed: Signed, change: (body: Record<string, unknown>) => void): Signed {
  const body = bodyJson(signed);
  change(body);
  return signRaw(signer, canonicalJson(body as JsonValue));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, got a return');
}

/** Asserts a bad-statement failure and returns its sentence. */
function rejects(fn: () => unknown, pattern?: RegExp): string {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe('E_PROTO_TICKET');
  expect(err).not.toBeInstanceOf(TicketExpiredError);
  if (pattern !== undefined) expect((err as Error).message).toMatch(pattern);
  return (err as Error).message;
}

function flipByte(base64: string, index: number): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[index]! ^= 0x01;
  return bytes.toString('base64');
}

describe('tickets', () => {
  it('round-trips with a real identity and reads back every field', () => {
    const signed = signTicket(a, ticketFields());
    const ticket = verifyTicket(signed, { now: T0 + HOUR });
    expect(ticket).toStrictEqual({
      v: 1,
      kind: 'ticket',
      blobId: BLOB,
      size: 123_456,
      created: T0,
      expires: T0 + 12 * HOUR,
      origin: a.deviceId,
      originCert: a.certDer.toString('base64'),
      target: { kind: 'receiver', url: 'https://home.example:8443/inswarm', receiverId: 'opaque here' },
    });
    expect(verifyTicket(signed, { now: T0, expectedOrigin: a.deviceId, expectedBlobId: BLOB })).toStrictEqual(ticket);
  });

  it('signs canonical JSON: sorted keys, no whitespace, the certificate inside', () => {
    const signed = signTicket(a, ticketFields({ target: { z: 1, a: { y: [true, null], b: 'é' } } }));
    expect(bodyText(signed)).toBe(
      `{"blobId":"${BLOB}","created":${T0},"expires":${T0 + 12 * HOUR},"kind":"ticket","origin":"${a.deviceId}",` +
        `"originCert":"${a.certDer.toString('base64')}","size":123456,"target":{"a":{"b":"é","y":[true,null]},"z":1},"v":1}`,
    );
  });

  it('travels inside an offer frame, even with the largest target', () => {
    const url = `https://bucket.s3.example/${'k'.repeat(MAX_TICKET_TARGET_BYTES - 200)}`;
    const signed = signTicket(a, ticketFields({ target: { kind: 's3', putUrl: url } }));
    const decoded = decodeFrame(encodeFrame({ type: 'offer', ticket: signed }));
    expect(decoded).toEqual({ type: 'offer', ticket: signed });
    expect(verifyTicket((decoded as { ticket: Signed }).ticket, { now: T0 }).target).toEqual({ kind: 's3', putUrl: url });
  });

  it('fails for a flipped bit in any byte of the body', () => {
    const signed = signTicket(a, ticketFields());
    const length = Buffer.from(signed.body, 'base64').length;
    for (let i = 0; i < length; i++) {
      rejects(() => verifyTicket({ body: flipByte(signed.body, i), sig: signed.sig }, { now: T0 }));
    }
  });

  it('fails for a flipped bit in any byte of the signature', () => {
    const signed = signTicket(a, ticketFields());
    for (let i = 0; i < 64; i++) {
      rejects(() => verifyTicket({ body: signed.body, sig: flipByte(signed.sig, i) }, { now: T0 }), /signature/);
    }
  });

  it('fails when the certificate does not hash to the claimed origin', () => {
    // A signs with its own key and carries its own certificate, but claims to be B.
    const claimsB = resign(a, signTicket(a, ticketFields()), (body) => {
      body.origin = b.deviceId;
    });
    rejects(() => verifyTicket(claimsB, { now: T0 }), /certificate/);

    // B's ID and B's certificate, but A's signature: the signature does not match B's key.
    const forged = resign(a, signTicket(a, ticketFields()), (body) => {
      body.origin = b.deviceId;
      body.originCert = b.certDer.toString('base64');
    });
    rejects(() => verifyTicket(forged, { now: T0 }), /signature/);

    // The certificate is not a certificate at all, yet hashes to the ID it claims.
    const junk = Buffer.from('not a certificate');
    const unreadable = resign(a, signTicket(a, ticketFields()), (body) => {
      body.origin = deviceIdFromCertDer(junk);
      body.originCert = junk.toString('base64');
    });
    rejects(() => verifyTicket(unreadable, { now: T0 }), /certificate/);
  });

  it("fails when A's valid ticket is presented as coming from B", () => {
    const signed = signTicket(a, ticketFields());
    rejects(() => verifyTicket(signed, { now: T0, expectedOrigin: b.deviceId }), /origin/);
    rejects(() => verifyTicket(signed, { now: T0, expectedBlobId: OTHER_BLOB }), /blob/);
    // The expected ID may be given as a person typed it.
    expect(verifyTicket(signed, { now: T0, expectedOrigin: a.deviceId.toLowerCase() }).origin).toBe(a.deviceId);
  });

  it('detects expiry with its own error, only for otherwise valid tickets', () => {
    const signed = signTicket(a, ticketFields());
    const expires = T0 + 12 * HOUR;
    expect(verifyTicket(signed, { now: expires - 1 }).expires).toBe(expires);
    for (const now of [expires, expires + 1, expires + 365 * 24 * HOUR]) {
      const err = thrown(() => verifyTicket(signed, { now }));
      expect(err).toBeInstanceOf(TicketExpiredError);
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as TicketExpiredError).code).toBe('E_PROTO_TICKET');
      expect((err as TicketExpiredError).expires).toBe(expires);
      expect((err as Error).message).toMatch(/expired/);
    }
    // An expired ticket that is also forged is a bad ticket, not an expired one.
    rejects(() => verifyTicket({ body: signed.body, sig: flipByte(signed.sig, 5) }, { now: expires + 1 }));
    rejects(() => verifyTicket(signed, { now: expires + 1, expectedOrigin: b.deviceId }));
  });

  it('refuses insane times', () => {
    rejects(() => verifyTicket(signTicket(a, ticketFields()), { now: T0 - MAX_CLOCK_SKEW_MS - 1 }), /future/);
    expect(verifyTicket(signTicket(a, ticketFields()), { now: T0 - MAX_CLOCK_SKEW_MS }).created).toBe(T0);
    const far = signTicket(a, ticketFields({ expires: T0 + MAX_TICKET_LIFETIME_MS + 1 }));
    rejects(() => verifyTicket(far, { now: T0 }), /days/);
    expect(verifyTicket(far, { now: T0 + 1 }).expires).toBe(T0 + MAX_TICKET_LIFETIME_MS + 1);
    // Times and sizes a buggy or hostile origin might sign.
    const base = signTicket(a, ticketFields());
    const bad: Array<[string, unknown]> = [
      ['expires', T0],
      ['expires', T0 - 1],
      ['created', -1],
      ['created', 1.5],
      ['created', 2 ** 53],
      ['created', '1750000000000'],
      ['size', 0],
      ['size', -5],
      ['size', 1e400],
      ['size', null],
    ];
    for (const [key, value] of bad) {
      const text = canonicalJson({ ...bodyJson(base), [key]: value } as JsonValue);
      rejects(() => verifyTicket(signRaw(a, text), { now: T0 }), new RegExp(key === 'expires' ? 'expires' : key));
    }
    expect(() => verifyTicket(base, { now: Number.NaN })).toThrow(TypeError);
  });

  it('refuses a body of the wrong shape even when validly signed', () => {
    const base = signTicket(a, ticketFields());
    const cases: Array<[string, (body: Record<string, unknown>) => void, RegExp]> = [
      ['extra field', (body) => void (body.note = 'hi'), /field "note"/],
      ['missing field', (body) => void delete body.size, /"size" is missing/],
      ['missing target', (body) => void delete body.target, /"target"/],
      ['target not an object', (body) => void (body.target = ['receiver']), /"target"/],
      ['other version', (body) => void (body.v = 2), /version/],
      ['version as string', (body) => void (body.v = '1'), /version/],
      ['other kind', (body) => void (body.kind = 'custody'), /custody receipt, not a ticket/],
      ['unknown kind', (body) => void (body.kind = 'toString'), /not a signed statement/],
      ['bad blob ID', (body) => void (body.blobId = BLOB.toUpperCase()), /blobId/],
      ['origin with a typo', (body) => void (body.origin = `${a.deviceId.slice(0, -1)}${a.deviceId.endsWith('A') ? 'B' : 'A'}`), /origin/],
      ['origin in lowercase', (body) => void (body.origin = a.deviceId.toLowerCase()), /origin/],
      ['certificate not base64', (body) => void (body.originCert = `${a.certDer.toString('base64')}!`), /originCert/],
      ['oversized certificate', (body) => void (body.originCert = Buffer.alloc(MAX_DEVICE_CERT_BYTES + 1).toString('base64')), /originCert/],
      ['__proto__ in target', (body) => void (body.target = JSON.parse('{"__proto__":{"x":1}}')), /__proto__/],
    ];
    for (const [, change, pattern] of cases) rejects(() => verifyTicket(resign(a, base, change), { now: T0 }), pattern);
  });

  it('refuses a body that is valid JSON but not in canonical form', () => {
    const text = bodyText(signTicket(a, ticketFields()));
    const variants = [
      JSON.stringify(JSON.parse(text), null, 1), // whitespace
      `{"v":1,${text.slice(1, -7)}}`, // v moved to the front: same object, other key order
      text.replace('"size":123456', '"size":123456,"size":123456'), // a duplicate key
      text.replace('"size":123456', '"size":123456.0'), // same number, other spelling
      text.replace('"kind":"ticket"', '"kind":"\\u0074icket"'), // same string, other spelling
      `${text} `,
      `\ufeff${text}`, // a byte-order mark
    ];
    for (const variant of variants) {
      expect(variant).not.toBe(text);
      rejects(() => verifyTicket(signRaw(a, variant), { now: T0 }));
    }
  });

  it('refuses bodies that are not UTF-8 JSON objects', () => {
    for (const body of [Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from('[1,2]'), Buffer.from('null'), Buffer.from('{"v":1'), Buffer.from('"ticket"')]) {
      rejects(() => verifyTicket({ body: body.toString('base64'), sig: a.sign(body).toString('base64') }, { now: T0 }));
    }
  });

  it('caps the body before decoding its base64', () => {
    const huge = 'A'.repeat(4 * MAX_SIGNED_BODY_BYTES);
    const from = vi.spyOn(Buffer, 'from');
    rejects(() => verifyTicket({ body: huge, sig: signTicket(a, ticketFields()).sig }, { now: T0 }), /larger than/);
    expect(from.mock.calls.some((call) => call[0] === huge)).toBe(false);
  });

  it('refuses malformed envelopes', () => {
    const good = signTicket(a, ticketFields());
    const bad: unknown[] = [null, 'x', [], {}, { body: good.body }, { sig: good.sig }, { body: 1, sig: good.sig }, { body: good.body, sig: good.sig.slice(4) }, { body: `${good.body} `, sig: good.sig }];
    for (const envelope of bad) rejects(() => verifyTicket(envelope as Signed, { now: T0 }));
  });

  it('refuses to sign what it would refuse to verify', () => {
    const cases: Array<Partial<TicketFields>> = [
      { blobId: 'nope' },
      { size: Number.NaN },
      { size: 0 },
      { expires: T0 },
      { created: -1 },
      { target: { kind: 'x', big: 'y'.repeat(MAX_TICKET_TARGET_BYTES) } },
      { target: { kind: 'x', when: new Date(T0) } as unknown as TicketFields['target'] },
      { target: { kind: 'x', n: Number.POSITIVE_INFINITY } },
      { target: { kind: 'x', u: undefined } as unknown as TicketFields['target'] },
      { target: JSON.parse('{"__proto__":{"x":1}}') as TicketFields['target'] },
      { target: nested(MAX_TICKET_TARGET_DEPTH) },
      { target: ['receiver'] as unknown as TicketFields['target'] },
    ];
    for (const overrides of cases) rejects(() => signTicket(a, ticketFields(overrides)));
    // One level less deep is fine.
    expect(verifyTicket(signTicket(a, ticketFields({ target: nested(MAX_TICKET_TARGET_DEPTH - 1) })), { now: T0 }).target).toEqual(nested(MAX_TICKET_TARGET_DEPTH - 1));
    // A signer whose certificate is not its own would make tickets nobody can verify.
    rejects(() => signTicket({ ...a, sign: a.sign, deviceId: b.deviceId }, ticketFields()), /certificate/);
  });

  it('matches the golden ticket: the format and the verification of stored tickets do not drift', async () => {
    const dir = await tempDir('inswarm-golden');
    await writeFile(join(dir, 'cert.pem'), GOLDEN_CERT_PEM);
    await writeFile(join(dir, 'key.pem'), GOLDEN_KEY_PEM);
    const golden = await loadOrCreateDeviceIdentity(dir);
    expect(golden.deviceId).toBe(GOLDEN_DEVICE_ID);
    const fields = ticketFields({ target: { kind: 'receiver', url: 'https://home.example:8443/inswarm', receiverId: GOLDEN_DEVICE_ID } });
    // ECDSA signatures are randomized; the body is not.
    expect(signTicket(golden, fields).body).toBe(GOLDEN_TICKET.body);
    expect(verifyTicket(GOLDEN_TICKET, { now: T0 + 1000, expectedOrigin: GOLDEN_DEVICE_ID })).toStrictEqual({
      v: 1,
      kind: 'ticket',
      ...fields,
      origin: GOLDEN_DEVICE_ID,
      originCert: golden.certDer.toString('base64'),
    });
  });
});

describe('custody receipts', () => {
  const fields = (): Parameters<typeof signCustodyReceipt>[1] => ({ blobId: BLOB, size: 123_456, origin: a.deviceId, until: T0 + 12 * HOUR, at: T0 });

  it('round-trips, signed by the holder', () => {
    const signed = signCustodyReceipt(b, fields());
    const expected = { v: 1, kind: 'custody', ...fields(), holder: b.deviceId, holderCert: b.certDer.toString('base64') };
    expect(verifyCustodyReceipt(signed)).toStrictEqual(expected);
    expect(verifyCustodyReceipt(signed, { expectedHolder: b.deviceId, expectedBlobId: BLOB, expectedOrigin: a.deviceId, expectedSize: 123_456, now: T0 })).toStrictEqual(expected);
  });

  it('fails for the wrong holder, blob, origin or size', () => {
    const signed = signCustodyReceipt(b, fields());
    rejects(() => verifyCustodyReceipt(signed, { expectedHolder: c.deviceId }), /holder/);
    rejects(() => verifyCustodyReceipt(signed, { expectedBlobId: OTHER_BLOB }), /blob/);
    rejects(() => verifyCustodyReceipt(signed, { expectedOrigin: c.deviceId }), /origin/);
    rejects(() => verifyCustodyReceipt(signed, { expectedSize: 123_455 }), /bytes/);
    rejects(() => verifyCustodyReceipt(signed, { now: T0 - MAX_CLOCK_SKEW_MS - 1 }), /future/);
  });

  it('fails when C claims B holds the blob, or for any flipped byte', () => {
    const claimsB = resign(c, signCustodyReceipt(c, fields()), (body) => {
      body.holder = b.deviceId;
    });
    rejects(() => verifyCustodyReceipt(claimsB), /certificate/);
    const signed = signCustodyReceipt(b, fields());
    const length = Buffer.from(signed.body, 'base64').length;
    for (let i = 0; i < length; i += 7) rejects(() => verifyCustodyReceipt({ body: flipByte(signed.body, i), sig: signed.sig }));
    for (let i = 0; i < 64; i++) rejects(() => verifyCustodyReceipt({ body: signed.body, sig: flipByte(signed.sig, i) }));
  });

  it('is not a ticket, and a ticket is not a receipt', () => {
    rejects(() => verifyTicket(signCustodyReceipt(b, fields()), { now: T0 }), /custody receipt, not a ticket/);
    rejects(() => verifyCustodyReceipt(signTicket(a, ticketFields())), /ticket, not a custody receipt/);
  });

  it('refuses insane promises', () => {
    rejects(() => signCustodyReceipt(b, { ...fields(), until: T0 - 1 }), /before/);
    rejects(() => signCustodyReceipt(b, { ...fields(), until: T0 + MAX_TICKET_LIFETIME_MS + 1 }), /days/);
    rejects(() => signCustodyReceipt(b, { ...fields(), origin: 'not-a-device' }), /origin/);
  });
});

describe('releases', () => {
  it('round-trips, signed by the origin', () => {
    const signed = signRelease(a, { blobId: BLOB, at: T0 });
    expect(verifyRelease(signed, { expectedOrigin: a.deviceId, expectedBlobId: BLOB, now: T0 })).toStrictEqual({
      v: 1,
      kind: 'release',
      blobId: BLOB,
      origin: a.deviceId,
      originCert: a.certDer.toString('base64'),
      at: T0,
    });
  });

  it('fails for another origin, another blob, a flipped byte or a stolen identity', () => {
    const signed = signRelease(a, { blobId: BLOB, at: T0 });
    rejects(() => verifyRelease(signed, { expectedOrigin: b.deviceId }), /origin/);
    rejects(() => verifyRelease(signed, { expectedBlobId: OTHER_BLOB }), /blob/);
    rejects(() => verifyRelease({ body: flipByte(signed.body, 20), sig: signed.sig }));
    rejects(() => verifyRelease({ body: signed.body, sig: flipByte(signed.sig, 20) }));
    // C asks B's holders to drop B's blob by naming B as origin.
    const stolen = resign(c, signRelease(c, { blobId: BLOB, at: T0 }), (body) => {
      body.origin = b.deviceId;
    });
    rejects(() => verifyRelease(stolen, { expectedOrigin: b.deviceId }), /certificate/);
  });
});

describe('delivery receipts', () => {
  it('round-trips, signed by the receiver', () => {
    const signed = signDeliveryReceipt(c, { blobId: BLOB, size: 42, at: T0 });
    expect(verifyDeliveryReceipt(signed, { expectedReceiver: c.deviceId, expectedBlobId: BLOB, expectedSize: 42, now: T0 })).toStrictEqual({
      v: 1,
      kind: 'delivery',
      blobId: BLOB,
      size: 42,
      receiver: c.deviceId,
      receiverCert: c.certDer.toString('base64'),
      at: T0,
    });
  });

  it('fails for another receiver, blob or size, or a flipped byte', () => {
    const signed = signDeliveryReceipt(c, { blobId: BLOB, size: 42, at: T0 });
    rejects(() => verifyDeliveryReceipt(signed, { expectedReceiver: a.deviceId }), /receiver/);
    rejects(() => verifyDeliveryReceipt(signed, { expectedBlobId: OTHER_BLOB }), /blob/);
    rejects(() => verifyDeliveryReceipt(signed, { expectedSize: 43 }), /bytes/);
    rejects(() => verifyDeliveryReceipt({ body: flipByte(signed.body, 3), sig: signed.sig }));
    rejects(() => verifyDeliveryReceipt(signRelease(c, { blobId: BLOB, at: T0 })), /release, not a delivery receipt/);
  });
});

describe('hostile statements (properties)', () => {
  const verifiers: Array<(s: Signed) => unknown> = [
    (s) => verifyTicket(s, { now: T0 }),
    (s) => verifyCustodyReceipt(s),
    (s) => verifyRelease(s),
    (s) => verifyDeliveryReceipt(s),
  ];

  function onlyProtocolErrors(signed: Signed): void {
    for (const verify of verifiers) {
      try {
        verify(signed);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
      }
    }
  }

  it('random envelopes and bodies give a statement or a ProtocolError, nothing else', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
      fc.string({ maxLength: 100 }),
    );
    const sig = fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')), fc.string({ maxLength: 100 }));
    fc.assert(
      fc.property(body, sig, (bodyB64, sigB64) => onlyProtocolErrors({ body: bodyB64, sig: sigB64 })),
      { numRuns: 500 },
    );
  });

  it('single-byte mutations of valid statements never verify and throw only ProtocolError', () => {
    const statements = [
      signTicket(a, ticketFields()),
      signCustodyReceipt(b, { blobId: BLOB, size: 1, origin: a.deviceId, until: T0 + HOUR, at: T0 }),
      signRelease(a, { blobId: BLOB, at: T0 }),
      signDeliveryReceipt(c, { blobId: BLOB, size: 1, at: T0 }),
    ];
    fc.assert(
      fc.property(fc.nat(statements.length - 1), fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, inBody, at, xor) => {
        const signed = statements[which]!;
        const bytes = Buffer.from(inBody ? signed.body : signed.sig, 'base64');
        bytes[at % bytes.length]! ^= xor;
        const mutated = inBody ? { body: bytes.toString('base64'), sig: signed.sig } : { body: signed.body, sig: bytes.toString('base64') };
        expect(() => verifiers[which]!(mutated)).toThrow(ProtocolError);
        onlyProtocolErrors(mutated);
      }),
      { numRuns: 400 },
    );
  });
});

function nested(depth: number): TicketFields['target'] {
  let value: JsonValue = 'leaf';
  for (let i = 1; i < depth; i++) value = { d: value };
  return { kind: 'x', d: value } as TicketFields['target'];
}

// A fixed test identity (never used outside tests) and one ticket it signed, kept as bytes.
const GOLDEN_DEVICE_ID = 'M4DCW5C-6FJ3HJ3-Z5537YS-BENR6TV-HQKHURQ-W2JQOW6-OR7D5LQ-IE22WAX';
const GOLDEN_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBYTCCAQegAwIBAgIQQizfznmofZcAilSO3d37jDAKBggqhkjOPQQDAjASMRAw
DgYDVQQDEwdpbnN3YXJtMB4XDTI2MTEyODAwMDAwMFoXDTQ2MTEyODAwMDAwMFow
EjEQMA4GA1UEAxMHaW5zd2FybTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABH/j
yIlTaW+ChB9KgSqUy3nx4JfLLoacxm0BdhBW+Rrw2IxUaLezc/unJ5p1b1LqULA7
iHU6bBqlrMP/Hqz7XHyjPzA9MAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeA
MB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAKBggqhkjOPQQDAgNIADBF
AiEAtktq5efOHP5zMinGivPimswU8CVFrGIcuKH2CZz6I4gCIAWr92CWZ7xP0E2o
SqW9/iHHRTv+1x8fphc4fzZGeBUx
-----END CERTIFICATE-----
`;
const GOLDEN_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBw7NC5GAVw3Hgyz4
iwZo61lWCtdgiUlFrcpZFpFLKuKhRANCAAR/48iJU2lvgoQfSoEqlMt58eCXyy6G
nMZtAXYQVvka8NiMVGi3s3P7pyeadW9S6lCwO4h1OmwapazD/x6s+1x8
-----END PRIVATE KEY-----
`;
const GOLDEN_TICKET: Signed = {
  body:
    'eyJibG9iSWQiOiIyY2YyNGRiYTVmYjBhMzBlMjZlODNiMmFjNWI5ZTI5ZTFiMTYxZTVjMWZhNzQyNWU3MzA0MzM2MjkzOGI5ODI0IiwiY3JlYXRlZCI6MTc1MDAwMDAwMDAwMCwiZXhwaXJlcyI6MTc1MDA0MzIwMDAwMCwia2luZCI6InRpY2tldCIsIm9yaWdpbiI6Ik00RENXNUMtNkZKM0hKMy1aNTUzN1lTLUJFTlI2VFYtSFFLSFVSUS1XMkpRT1c2LU9SN0Q1TFEtSUUyMldBWCIsIm9yaWdpbkNlcnQiOiJNSUlCWVRDQ0FRZWdBd0lCQWdJUVFpemZ6bm1vZlpjQWlsU08zZDM3akRBS0JnZ3Foa2pPUFFRREFqQVNNUkF3RGdZRFZRUURFd2RwYm5OM1lYSnRNQjRYRFRJMk1URXlPREF3TURBd01Gb1hEVFEyTVRFeU9EQXdNREF3TUZvd0VqRVFNQTRHQTFVRUF4TUhhVzV6ZDJGeWJUQlpNQk1HQnlxR1NNNDlBZ0VHQ0NxR1NNNDlBd0VIQTBJQUJIL2p5SWxUYVcrQ2hCOUtnU3FVeTNueDRKZkxMb2FjeG0wQmRoQlcrUnJ3Mkl4VWFMZXpjL3VuSjVwMWIxTHFVTEE3aUhVNmJCcWxyTVAvSHF6N1hIeWpQekE5TUF3R0ExVWRFd0VCL3dRQ01BQXdEZ1lEVlIwUEFRSC9CQVFEQWdlQU1CMEdBMVVkSlFRV01CUUdDQ3NHQVFVRkJ3TUJCZ2dyQmdFRkJRY0RBakFLQmdncWhrak9QUVFEQWdOSUFEQkZBaUVBdGt0cTVlZk9IUDV6TWluR2l2UGltc3dVOENWRnJHSWN1S0gyQ1p6Nkk0Z0NJQVdyOTJDV1o3eFAwRTJvU3FXOS9pSEhSVHYrMXg4ZnBoYzRmelpHZUJVeCIsInNpemUiOjEyMzQ1NiwidGFyZ2V0Ijp7ImtpbmQiOiJyZWNlaXZlciIsInJlY2VpdmVySWQiOiJNNERDVzVDLTZGSjNISjMtWjU1MzdZUy1CRU5SNlRWLUhRS0hVUlEtVzJKUU9XNi1PUjdENUxRLUlFMjJXQVgiLCJ1cmwiOiJodHRwczovL2hvbWUuZXhhbXBsZTo4NDQzL2luc3dhcm0ifSwidiI6MX0=',
  sig: 'lXp2WtjuqDUlvpg/SyizlQvHmOS1XciEVO++L+moL6/xRfd+aWxonRKtcMx67/246/1mi06WgWOxLTYYlDjHPQ==',
};
