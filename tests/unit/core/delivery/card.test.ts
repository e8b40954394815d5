import { randomBytes } from 'node:crypto';
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeEndpoint,
  encodeCardLink,
  parseCardLink,
  parseS3Location,
  validateCard,
  validateLabel,
} from '../../../../src/main/core/delivery/card.js';
import type { DestinationCard, Endpoint } from '../../../../src/main/core/delivery/endpoint.js';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import { formatDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { CARD_LABEL_MAX_CHARS, CARD_LINK_MAX_CHARS } from '../../../../src/main/core/limits.js';

// Fixed keys so the documented example link below stays byte-for-byte stable.
const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const DEVICE_ID = formatDeviceId(Buffer.alloc(32, 7));
const RECEIVER: DestinationCard = {
  label: 'home',
  recipient: RECIPIENT,
  endpoint: { kind: 'receiver', url: 'https://192.168.1.20:8443', receiverId: DEVICE_ID },
};
const S3: DestinationCard = {
  label: 'bucket',
  recipient: RECIPIENT,
  endpoint: { kind: 's3', bucket: 'my-photos', prefix: 'inbox/2024', region: 'us-east-1', endpoint: 'http://127.0.0.1:4569', forcePathStyle: true },
};
const FOLDER: DestinationCard = { label: 'Dropbox', recipient: RECIPIENT, endpoint: { kind: 'folder', path: '/home/ann/Dropbox/inswarm' } };

/** Runs `fn`, expects E_BAD_CARD with one sentence matching `pattern`. */
function refused(fn: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(isInswarmError(error, 'E_BAD_CARD'), String(error)).toBe(true);
  const message = (error as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toContain('\n');
  expect(message).toMatch(/[.:]/);
}

const mutate = (card: DestinationCard, endpoint: Record<string, unknown>): unknown => ({ ...card, endpoint: { ...card.endpoint, ...endpoint } });

// ---- arbitraries for valid cards ----
const recipientArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bech32.encode('age', bech32.toWords(b)));
const deviceIdArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => formatDeviceId(b));
const isLabel = (s: string): boolean => {
  try {
    validateLabel(s);
    return true;
  } catch {
    return false;
  }
};
const labelArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }).filter(isLabel);
const segmentArb = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
  .filter((s) => !s.includes('/') && s !== '.' && s !== '..' && isLabel(s.replace(/^[-\s]+|\s+$/g, '') || 'x'))
  .filter((s) => !/[\p{Cc}\p{Cs}\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/u.test(s));
const hostArb = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((h) => `[${h}]`));
const originArb = (scheme: string) =>
  fc.tuple(hostArb, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([h, p]) => `${scheme}://${h}${p === undefined ? '' : `:${p}`}`);
const bucketArb = fc
  .stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/)
  .filter((b) => !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b) && !/^(xn--|sthree-)/.test(b));
const endpointArb: fc.Arbitrary<Endpoint> = fc.oneof(
  fc.record({ kind: fc.constant('receiver' as const), url: originArb('https'), receiverId: deviceIdArb }),
  fc.record({
    kind: fc.constant('s3' as const),
    bucket: bucketArb,
    prefix: fc.array(segmentArb, { maxLength: 4 }).map((s) => s.join('/')),
    region: fc.constantFrom('us-east-1', 'eu-west-3', 'auto', 'garage'),
    endpoint: fc.option(fc.oneof(originArb('http'), originArb('https')), { nil: null }),
    forcePathStyle: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('folder' as const), path: fc.array(segmentArb, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`) }),
);
const cardArb: fc.Arbitrary<DestinationCard> = fc.record({ label: labelArb, recipient: recipientArb, endpoint: endpointArb });

describe('destination card links', () => {
  it('have a stable, readable v1 form (the documented example)', () => {
    expect(encodeCardLink(RECEIVER)).toBe(
      `inswarm://dest?v=1&label=home&recipient=${RECIPIENT}&kind=receiver&url=https://192.168.1.20:8443&receiverId=${DEVICE_ID}`,
    );
    expect(encodeCardLink(S3)).toBe(
      `inswarm://dest?v=1&label=bucket&recipient=${RECIPIENT}&kind=s3&bucket=my-photos&prefix=inbox/2024&region=us-east-1&endpoint=http://127.0.0.1:4569&forcePathStyle=1`,
    );
    expect(encodeCardLink({ ...S3, endpoint: { ...S3.endpoint, endpoint: null, forcePathStyle: false } as Endpoint })).toMatch(/&region=us-east-1&forcePathStyle=0$/);
    expect(encodeCardLink({ ...FOLDER, label: 'My Dropbox & co' })).toContain('label=My%20Dropbox%20%26%20co&');
    // Small enough for a terminal QR code: a home-receiver card stays well under 300 characters.
    expect(encodeCardLink(RECEIVER).length).toBeLessThan(240);
  });

  it('round-trip every valid card exactly (property)', () => {
    fc.assert(
      fc.property(cardArb, (generated) => {
        let card: DestinationCard;
        try {
          card = validateCard(generated);
        } catch (err) {
          // Random multi-byte text can exceed the link limit; that refusal is tested on its own.
          fc.pre(!(isInswarmError(err, 'E_BAD_CARD') && /would make a link/.test(err.message)));
          throw err;
        }
        const link = encodeCardLink(card);
        expect(link.startsWith('inswarm://dest?v=1&')).toBe(true);
        expect(link.length).toBeLessThanOrEqual(CARD_LINK_MAX_CHARS);
        expect(parseCardLink(link)).toEqual(card);
        expect(validateCard(card)).toEqual(card); // canonical form is a fixed point
        expect(card.label).toBe(generated.label);
        expect(card.recipient).toBe(generated.recipient);
      }),
      { numRuns: 500 },
    );
  });

  it('never fail with anything but E_BAD_CARD, whatever is pasted (property)', () => {
    const link = encodeCardLink(S3);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: link.length }), fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 3 }), (at, cut, insert) => {
        const text = link.slice(0, at) + insert + link.slice(at + cut);
        try {
          validateCard(parseCardLink(text));
        } catch (err) {
          expect(isInswarmError(err, 'E_BAD_CARD'), String(err)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(() => parseCardLink(text)).toThrow(expect.objectContaining({ code: 'E_BAD_CARD' }));
      }),
    );
  });

  it('read keys in any order, with surrounding whitespace and an upper-case scheme', () => {
    const link = encodeCardLink(RECEIVER);
    const [head, query] = link.split('?') as [string, string];
    const shuffled = `${head.toUpperCase()}?${query.split('&').reverse().join('&')}`;
    expect(parseCardLink(`  ${shuffled}\n`)).toEqual(RECEIVER);
  });

  it('normalise what a person types: URL to its origin, device ID, prefix slashes, folder path', () => {
    const card = validateCard({
      label: 'x',
      recipient: RECIPIENT,
      endpoint: { kind: 'receiver', url: 'HTTPS://NAS.Example:8443/', receiverId: DEVICE_ID.replace(/-/g, '').toLowerCase() },
    });
    expect(card.endpoint).toEqual({ kind: 'receiver', url: 'https://nas.example:8443', receiverId: DEVICE_ID });
    expect(validateCard(mutate(S3, { prefix: '/inbox/2024/', endpoint: 'http://127.0.0.1:4569/' })).endpoint).toMatchObject({ prefix: 'inbox/2024', endpoint: 'http://127.0.0.1:4569' });
    expect(validateCard(mutate(S3, { prefix: '/' })).endpoint).toMatchObject({ prefix: '' });
    expect(validateCard(mutate(FOLDER, { path: '/home/ann/./x/../Dropbox/' })).endpoint).toEqual({ kind: 'folder', path: '/home/ann/Dropbox' });
    expect(parseS3Location('s3://my-photos/inbox/2024/')).toEqual({ bucket: 'my-photos', prefix: 'inbox/2024' });
    expect(parseS3Location('s3://my-photos')).toEqual({ bucket: 'my-photos', prefix: '' });
  });

  it('describe endpoints in one line', () => {
    expect(describeEndpoint(RECEIVER.endpoint)).toBe(`receiver https://192.168.1.20:8443 (${DEVICE_ID.slice(0, 7)})`);
    expect(describeEndpoint(S3.endpoint)).toBe('s3://my-photos/inbox/2024 (us-east-1, http://127.0.0.1:4569, path-style)');
    expect(describeEndpoint(FOLDER.endpoint)).toBe('folder /home/ann/Dropbox/inswarm');
    expect(describeEndpoint(null)).toMatch(/restore by hand/);
  });
});

describe('links that are refused', () => {
  const good = encodeCardLink(RECEIVER);
  const q = good.slice('inswarm://dest?'.length);
  const swap = (key: string, raw: string) => `inswarm://dest?${q.split('&').map((p) => (p.startsWith(`${key}=`) ? `${key}=${raw}` : p)).join('&')}`;
  const without = (key: string) => `inswarm://dest?${q.split('&').filter((p) => !p.startsWith(`${key}=`)).join('&')}`;

  it('longer than the limit, before parsing', () => {
    refused(() => parseCardLink(`${good}&${'x'.repeat(CARD_LINK_MAX_CHARS)}`), /characters long/);
  });
  it('not a link at all', () => refused(() => parseCardLink('age1ql3z7hjy54pw3'), /is not a destination link/));
  it('another inswarm:// link', () => refused(() => parseCardLink('inswarm://peer?id=x'), /not a destination card/));
  it('a part without "="', () => refused(() => parseCardLink(`${good}&junk`), /malformed part/));
  it('an unknown key', () => refused(() => parseCardLink(`${good}&colour=red`), /field "colour" this Inswarm does not know/));
  it('a repeated key', () => refused(() => parseCardLink(`${good}&label=other`), /"label" twice/));
  it('a raw space or line break', () => refused(() => parseCardLink(swap('label', 'ho me')), /characters a link never contains/));
  it('a broken %-escape', () => refused(() => parseCardLink(swap('label', 'ho%zzme')), /broken %-escape/));
  it('no version', () => refused(() => parseCardLink(without('v')), /no version/));
  it('a newer version', () => refused(() => parseCardLink(swap('v', '2')), /newer Inswarm \(card version 2/));
  it('a version that is not a number', () => refused(() => parseCardLink(swap('v', 'one')), /invalid version/));
  it('no kind', () => refused(() => parseCardLink(without('kind')), /does not say where to deliver/));
  it('an unknown kind', () => refused(() => parseCardLink(swap('kind', 'ftp')), /kind "ftp" is unknown/));
  it('no label', () => refused(() => parseCardLink(without('label')), /has no "label"/));
  it('no receiver ID', () => refused(() => parseCardLink(without('receiverId')), /receiver endpoint has no "receiverId"/));
  it('a field of another kind', () => refused(() => parseCardLink(`${good}&bucket=b`), /receiver endpoint has a field "bucket"/));
  it('a path-style flag other than 0 or 1', () => {
    refused(() => parseCardLink(encodeCardLink(S3).replace('forcePathStyle=1', 'forcePathStyle=yes')), /path-style setting must be true or false/);
  });
  it('a receiver ID with a typo', () => {
    const typo = DEVICE_ID.slice(0, 3) + (DEVICE_ID[3] === 'A' ? 'B' : 'A') + DEVICE_ID.slice(4);
    refused(() => parseCardLink(swap('receiverId', typo)), /receiver ID is wrong: that device ID has a typo/);
  });
});

describe('cards that are refused', () => {
  it('not an object, an array, or a class instance', () => {
    refused(() => validateCard('inswarm://dest?v=1'), /not a set of fields/);
    refused(() => validateCard([RECEIVER]), /not a set of fields/);
    refused(() => validateCard(new Map()), /not a plain set of fields/);
    refused(() => validateCard(null), /not a set of fields/);
  });
  it('an unknown top-level field', () => refused(() => validateCard({ ...RECEIVER, secret: 'x' }), /field "secret"/));
  it('a missing endpoint', () => refused(() => validateCard({ label: 'x', recipient: RECIPIENT }), /has no "endpoint"/));
  it('an endpoint without kind', () => refused(() => validateCard({ ...RECEIVER, endpoint: { url: 'https://a:1' } }), /does not say where to deliver/));

  describe('labels', () => {
    it('empty', () => refused(() => validateCard({ ...RECEIVER, label: '' }), /needs a label/));
    it('not text', () => refused(() => validateCard({ ...RECEIVER, label: 7 }), /needs a label/));
    it('too long', () => refused(() => validateCard({ ...RECEIVER, label: 'x'.repeat(CARD_LABEL_MAX_CHARS + 1) }), /longer than 64 characters/));
    it('at the limit is fine', () => expect(validateCard({ ...RECEIVER, label: 'é'.repeat(CARD_LABEL_MAX_CHARS) }).label).toHaveLength(CARD_LABEL_MAX_CHARS));
    it('a control character, escaped in the message', () => {
      refused(() => validateCard({ ...RECEIVER, label: 'home\u001b[31m' }), /"home\\u001b\[31m" contains control/);
    });
    it('a direction override', () => refused(() => validateCard({ ...RECEIVER, label: 'gpj.\u202Eexe' }), /direction-changing/));
    it('a lone surrogate', () => refused(() => validateCard({ ...RECEIVER, label: 'a\uD800b' }), /control or direction-changing/));
    it('surrounding spaces', () => refused(() => validateCard({ ...RECEIVER, label: ' home' }), /starts or ends with a space/));
    it('a leading dash', () => refused(() => validateCard({ ...RECEIVER, label: '--home' }), /read as an option/));
  });

  describe('recipients', () => {
    it('a wrong checksum', () => refused(() => validateCard({ ...RECEIVER, recipient: `${RECIPIENT.slice(0, -1)}q` }), /recipient is wrong: .*checksum/));
    it('upper case', () => refused(() => validateCard({ ...RECEIVER, recipient: RECIPIENT.toUpperCase() }), /recipient is wrong: .*lowercase/));
    it('another key type', () => {
      const other = bech32.encode('age1pq', bech32.toWords(randomBytes(32)));
      refused(() => validateCard({ ...RECEIVER, recipient: other }), /recipient is wrong/);
    });
    it('non-printable', () => refused(() => validateCard({ ...RECEIVER, recipient: 'age1\u0000' }), /not an age recipient/));
  });

  describe('receiver endpoints', () => {
    it('plain http', () => refused(() => validateCard(mutate(RECEIVER, { url: 'http://nas:8443' })), /must start with https:\/\//));
    it('a path', () => refused(() => validateCard(mutate(RECEIVER, { url: 'https://nas:8443/inbox' })), /path, query or fragment/));
    it('a query', () => refused(() => validateCard(mutate(RECEIVER, { url: 'https://nas:8443/?a=1' })), /path, query or fragment/));
    it('an empty query', () => refused(() => validateCard(mutate(RECEIVER, { url: 'https://nas:8443?' })), /path, query or fragment/));
    it('a fragment', () => refused(() => validateCard(mutate(RECEIVER, { url: 'https://nas:8443#x' })), /path, query or fragment/));
    it('credentials', () => refused(() => validateCard(mutate(RECEIVER, { url: 'https://ann:pw@nas:8443' })), /user name or password/));
    it('not a URL', () => refused(() => validateCard(mutate(RECEIVER, { url: 'nas:8443 x' })), /is not a URL/));
    it('too long', () => refused(() => validateCard(mutate(RECEIVER, { url: `https://${'a'.repeat(300)}.example` })), /longer than 256/));
    it('a receiver ID that is not text', () => refused(() => validateCard(mutate(RECEIVER, { receiverId: 42 })), /receiver ID is not a device ID/));
    it('a short receiver ID', () => refused(() => validateCard(mutate(RECEIVER, { receiverId: 'ABCDEFG' })), /receiver ID is wrong/));
  });

  describe('S3 endpoints', () => {
    for (const bucket of ['ab', 'My-Photos', 'a_b', '-abc', 'abc-', 'a..b', '192.168.1.1', 'xn--abc', 'abc-s3alias', 'a'.repeat(64)]) {
      it(`bucket ${JSON.stringify(bucket)}`, () => refused(() => validateCard(mutate(S3, { bucket })), /is not an S3 bucket name/));
    }
    for (const prefix of ['a/../b', '..', 'a//b', './a']) {
      it(`prefix ${JSON.stringify(prefix)}`, () => refused(() => validateCard(mutate(S3, { prefix })), /empty, "\." or "\.\." part/));
    }
    it('a prefix with a control character', () => refused(() => validateCard(mutate(S3, { prefix: 'a\nb' })), /control characters/));
    it('a prefix that is too long', () => refused(() => validateCard(mutate(S3, { prefix: 'p'.repeat(513) })), /longer than 512 bytes/));
    it('a bad region', () => refused(() => validateCard(mutate(S3, { region: 'US East' })), /not a region name/));
    it('an endpoint that is not http(s)', () => refused(() => validateCard(mutate(S3, { endpoint: 'ftp://host:21' })), /must start with https:\/\/ or http:\/\//));
    it('an endpoint with a path', () => refused(() => validateCard(mutate(S3, { endpoint: 'https://host/bucket' })), /path, query or fragment/));
    it('an endpoint with credentials', () => refused(() => validateCard(mutate(S3, { endpoint: 'https://key:secret@host' })), /user name or password/));
    it('path style that is not a boolean', () => refused(() => validateCard(mutate(S3, { forcePathStyle: 'true' })), /true or false/));
    it('a missing endpoint field', () => {
      const { endpoint: _, ...rest } = S3.endpoint as unknown as Record<string, unknown>;
      refused(() => validateCard({ ...S3, endpoint: rest }), /has no "endpoint"/);
    });
    it('an s3:// location typed wrongly', () => {
      refused(() => parseS3Location('https://bucket/prefix'), /is not an S3 location/);
      refused(() => parseS3Location('s3://Bad_Bucket/x'), /not an S3 bucket name/);
    });
  });

  describe('folder endpoints', () => {
    it('a relative path', () => refused(() => validateCard(mutate(FOLDER, { path: 'Dropbox/inswarm' })), /not an absolute path/));
    it('an empty path', () => refused(() => validateCard(mutate(FOLDER, { path: '' })), /needs the folder's path/));
    it('a control character', () => refused(() => validateCard(mutate(FOLDER, { path: '/tmp/a\u0007' })), /control characters/));
    it('too long', () => refused(() => validateCard(mutate(FOLDER, { path: `/${'d'.repeat(1100)}` })), /longer than 1024 bytes/));
  });

  it('a card whose link would be too long for a QR code', () => {
    // 1000 spaces are 1000 bytes but 3000 characters once %-encoded.
    refused(() => validateCard(mutate(FOLDER, { path: `/${' '.repeat(1000)}` })), /would make a link of \d+ characters/);
  });
});
