// The receiver's HTTP contract as pure functions: routes, signed headers, answers, Retry-After.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';
import { MAX_ERROR_MESSAGE_CHARS, MAX_RETRY_AFTER_MS, MAX_SIGNED_BODY_BYTES } from '../../../../src/main/core/limits.js';
import { signDeliveryReceipt } from '../../../../src/main/core/protocol/signed.js';
import {
  MAX_SIGNED_HEADER_CHARS,
  acceptedBody,
  decodeSignedHeader,
  encodeSignedHeader,
  parseAnswer,
  parseRetryAfter,
  parseRoute,
  printable,
  refusalBody,
  statusForOpenError,
} from '../../../../src/main/core/receiver/receiver-protocol.js';
import { tempDir } from '../../../helpers/tmp.js';

const ID = createHash('sha256').update('blob').digest('hex');
let signer: DeviceIdentity;

beforeAll(async () => {
  signer = await loadOrCreateDeviceIdentity(join(await tempDir('receiver-protocol'), 'device'));
});

describe('routes', () => {
  it('names only /v1/blobs/<64 lowercase hex>', () => {
    expect(parseRoute(`/v1/blobs/${ID}`)).toEqual({ kind: 'blob', blobId: ID });
    expect(parseRoute(`/v1/blobs/${ID.toUpperCase()}`)).toMatchObject({ kind: 'bad-id' });
    expect(parseRoute(`/v1/blobs/${ID}?x=1`)).toMatchObject({ kind: 'bad-id' });
    expect(parseRoute('/v1/blobs/')).toMatchObject({ kind: 'bad-id' });
    for (const target of [undefined, '/', '/v1/blobs', `/v1/blobs/${ID}/x`, `/v1/blobs/x/../${ID}`, `/v2/blobs/${ID}`, `//v1/blobs/${ID}`]) {
      expect(parseRoute(target), String(target)).toEqual({ kind: 'unknown' });
    }
  });

  it('quotes at most 80 characters of a bad ID', () => {
    const route = parseRoute(`/v1/blobs/${'x'.repeat(5000)}`);
    expect(route).toMatchObject({ kind: 'bad-id' });
    expect((route as { text: string }).text).toHaveLength(80);
  });
});

describe('signed statements in headers', () => {
  it('round-trips a real receipt', () => {
    const receipt = signDeliveryReceipt(signer, { blobId: ID, size: 1234, at: 1_700_000_000_000 });
    const header = encodeSignedHeader(receipt);
    expect(header).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodeSignedHeader(header, 'Inswarm-Receipt')).toEqual(receipt);
  });

  it('refuses what is missing, repeated, not base64, not JSON, or not an envelope', () => {
    const receipt = signDeliveryReceipt(signer, { blobId: ID, size: 1, at: 1 });
    const good = encodeSignedHeader(receipt);
    const cases: [unknown, RegExp][] = [
      [undefined, /missing/],
      ['', /missing/],
      [[good, good], /more than once/],
      ['not base64!', /not base64/],
      [`${good.slice(0, -2)}A`, /not base64/],
      [Buffer.from('{"body":').toString('base64'), /JSON/],
      [Buffer.from('[1,2]').toString('base64'), /malformed/],
      [Buffer.from(JSON.stringify({ body: receipt.body })).toString('base64'), /"sig" is missing/],
      [Buffer.from(JSON.stringify({ body: receipt.body, sig: 'AAAA' })).toString('base64'), /signature/],
      ['A'.repeat(MAX_SIGNED_HEADER_CHARS + 4), /longer than/],
    ];
    for (const [value, message] of cases) {
      let err: unknown;
      try {
        decodeSignedHeader(value as string, 'Inswarm-Ticket');
      } catch (e) {
        err = e;
      }
      expect(err, String(value).slice(0, 40)).toMatchObject({ code: 'E_PROTO_MALFORMED' });
      expect((err as Error).message, String(value).slice(0, 40)).toMatch(message);
      expect((err as Error).message).toMatch(/^The Inswarm-Ticket header is malformed/);
    }
  });

  it('has room for the largest body a statement may have', () => {
    const body = Buffer.alloc(MAX_SIGNED_BODY_BYTES, 0x41).toString('base64');
    const header = encodeSignedHeader({ body, sig: Buffer.alloc(64, 1).toString('base64') });
    expect(header.length).toBeLessThanOrEqual(MAX_SIGNED_HEADER_CHARS);
    expect(decodeSignedHeader(header, 'Inswarm-Ticket').body).toBe(body);
  });
});

describe('answers', () => {
  it('reads accepted and refused bodies', () => {
    const receipt = signDeliveryReceipt(signer, { blobId: ID, size: 9, at: 5 });
    expect(parseAnswer(acceptedBody(receipt, 2))).toEqual({ receipt, files: 2, error: null, message: null });
    expect(parseAnswer(refusalBody('E_NOT_ENROLLED', 'Not enrolled.'))).toEqual({ receipt: null, files: null, error: 'E_NOT_ENROLLED', message: 'Not enrolled.' });
  });

  it('never throws on a garbled answer, and keeps foreign text to one bounded line', () => {
    expect(parseAnswer('')).toEqual({ receipt: null, files: null, error: null, message: null });
    expect(parseAnswer('<html>bad gateway</html>').message).toBe('<html>bad gateway</html>');
    expect(parseAnswer('null').error).toBeNull();
    expect(parseAnswer('{"error":"E_MADE_UP","message":7,"files":-1,"receipt":{"body":1}}')).toEqual({ receipt: null, files: null, error: null, message: null });
    expect(parseAnswer(JSON.stringify({ message: `a\u001b[31mred\nline\u2028x` })).message).toBe('a [31mred line x');
    expect(printable('x'.repeat(5000))).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
  });

  it('reads Retry-After as bounded delta-seconds only', () => {
    expect(parseRetryAfter('5')).toBe(5_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('999999999')).toBe(MAX_RETRY_AFTER_MS);
    for (const bad of [undefined, '', '-1', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT', ['5', '6']]) expect(parseRetryAfter(bad as string)).toBeNull();
  });

  it('maps errors from opening a blob to the status a deliverer acts on', () => {
    expect(statusForOpenError('E_AGE_NO_MATCH')).toBe(422);
    expect(statusForOpenError('E_TAR_UNSAFE')).toBe(422);
    expect(statusForOpenError('E_BLOB_HASH')).toBe(422);
    expect(statusForOpenError('E_DISK_FULL')).toBe(507);
    expect(statusForOpenError('E_IO')).toBe(500);
  });
});
