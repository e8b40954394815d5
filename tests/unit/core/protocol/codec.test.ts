import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, encodeFrame, ProtocolError } from '../../../../src/main/core/protocol/codec.js';
import {
  DATA_FRAME_HEADER_BYTES,
  MAX_CAPABILITIES,
  MAX_CAPABILITY_CHARS,
  MAX_CONTROL_FRAME_BYTES,
  MAX_DATA_PAYLOAD_BYTES,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_FRAME_BYTES,
  MAX_PEER_NAME_CHARS,
  MAX_RETRY_AFTER_MS,
  MAX_SIGNED_BODY_BYTES,
} from '../../../../src/main/core/limits.js';
import { DECLINE_REASONS, type Frame, type Message, type ProtocolErrorCode } from '../../../../src/main/core/protocol/messages.js';

/** SHA-256 of "hello": any 64 lowercase hex characters would do. */
const BLOB = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
/** A well-formed envelope: the codec checks its base64 and sizes, not the signature (signed.ts does). */
const SIGNED = { body: 'eyJ2IjoxfQ==', sig: Buffer.alloc(64, 7).toString('base64') };

const PROTOCOL_ERROR_CODES: readonly ProtocolErrorCode[] = [
  'E_PROTO_MALFORMED',
  'E_PROTO_UNKNOWN',
  'E_PROTO_VERSION',
  'E_PROTO_STATE',
  'E_PROTO_LIMIT',
  'E_PROTO_SIZE',
  'E_PROTO_HASH',
  'E_PROTO_IO',
  'E_PROTO_TICKET',
];

/** One message of each type, with and without optional fields. */
const SAMPLES: readonly Message[] = [
  { type: 'hello', version: 1, name: "Alice's laptop", capabilities: ['resume'], freeBytes: 1024 ** 3 },
  { type: 'hello', version: 1, name: '📷 Ünïcode ‍👩‍👧', capabilities: [], freeBytes: 0 },
  { type: 'offer', ticket: SIGNED },
  { type: 'accept', blobId: BLOB, offset: 65536 },
  { type: 'decline', blobId: BLOB, reason: 'full' },
  { type: 'decline', blobId: BLOB, reason: 'busy', retryAfterMs: 30_000 },
  { type: 'data', blobId: BLOB, offset: 0, bytes: new Uint8Array([1, 2, 3]) },
  { type: 'commit', blobId: BLOB, size: 123_456 },
  { type: 'stored', blobId: BLOB, receipt: SIGNED },
  { type: 'release', blobId: BLOB, release: SIGNED },
  { type: 'released', blobId: BLOB },
  { type: 'cancel', blobId: BLOB },
  { type: 'error', code: 'E_PROTO_HASH', message: 'The bytes do not hash to the blob ID.', blobId: BLOB },
  { type: 'error', code: 'E_PROTO_VERSION', message: 'This device speaks protocol version 1.' },
];

function text(t: string): Frame {
  return { kind: 'text', text: t };
}

function binary(bytes: Uint8Array): Frame {
  return { kind: 'binary', bytes };
}

function hex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}

/** The error a call throws; fails the test if it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, got a return');
}

function expectCode(fn: () => unknown, code: ProtocolErrorCode): ProtocolError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  expect((err as ProtocolError).message).toMatch(/^[A-Z].*\.$/); // a sentence
  return err as ProtocolError;
}

/** Decoding a JSON value sent as a text frame. */
function decodeJson(value: unknown): Message {
  return decodeFrame(text(JSON.stringify(value)));
}

/** Anything decodeFrame may do with hostile input: return a message or throw ProtocolError. */
function decodeOrProtocolError(frame: Frame): Message | undefined {
  try {
    return decodeFrame(frame);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return undefined;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('limits', () => {
  it('lets ws carry the largest frame of either kind and nothing more', () => {
    expect(DATA_FRAME_HEADER_BYTES).toBe(41);
    expect(MAX_DATA_PAYLOAD_BYTES).toBe(256 * 1024);
    expect(MAX_FRAME_BYTES).toBe(Math.max(MAX_CONTROL_FRAME_BYTES, DATA_FRAME_HEADER_BYTES + MAX_DATA_PAYLOAD_BYTES));
  });

  it('fits an offer with the largest signed body in one control frame', () => {
    const body = Buffer.alloc(MAX_SIGNED_BODY_BYTES, 0x41).toString('base64');
    const frame = encodeFrame({ type: 'offer', ticket: { body, sig: SIGNED.sig } });
    expect(frame.kind).toBe('text');
    expect(Buffer.byteLength((frame as { text: string }).text)).toBeLessThanOrEqual(MAX_CONTROL_FRAME_BYTES);
    expect(decodeFrame(frame)).toEqual({ type: 'offer', ticket: { body, sig: SIGNED.sig } });
  });
});

describe('golden frames', () => {
  // If one of these fails, the wire format changed: peers of this version would no longer agree.
  it('encodes and decodes a data frame byte for byte', () => {
    const golden = hex(`
      01
      2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
      0000000102030405
      deadbeef`);
    const message: Message = { type: 'data', blobId: BLOB, offset: 0x01_0203_0405, bytes: hex('deadbeef') };
    const frame = encodeFrame(message);
    expect(frame.kind).toBe('binary');
    expect(Buffer.from((frame as { bytes: Uint8Array }).bytes).toString('hex')).toBe(Buffer.from(golden).toString('hex'));
    const decoded = decodeFrame(binary(golden));
    expect(decoded).toEqual(message);
  });

  it('encodes the largest safe offset as 001fffffffffffff', () => {
    const frame = encodeFrame({ type: 'data', blobId: BLOB, offset: Number.MAX_SAFE_INTEGER - 1, bytes: hex('00') });
    expect(Buffer.from((frame as { bytes: Uint8Array }).bytes).subarray(33, 41).toString('hex')).toBe('001ffffffffffffe');
  });

  const CONTROL: ReadonlyArray<[Message, string]> = [
    [
      { type: 'hello', version: 1, name: "Alice's laptop", capabilities: ['resume'], freeBytes: 1073741824 },
      `{"type":"hello","version":1,"name":"Alice's laptop","capabilities":["resume"],"freeBytes":1073741824}`,
    ],
    [{ type: 'offer', ticket: SIGNED }, `{"type":"offer","ticket":{"body":"eyJ2IjoxfQ==","sig":"${'BwcH'.repeat(21)}Bw=="}}`],
    [{ type: 'accept', blobId: BLOB, offset: 65536 }, `{"type":"accept","blobId":"${BLOB}","offset":65536}`],
    [
      { type: 'decline', blobId: BLOB, reason: 'busy', retryAfterMs: 30000 },
      `{"type":"decline","blobId":"${BLOB}","reason":"busy","retryAfterMs":30000}`,
    ],
    [{ type: 'commit', blobId: BLOB, size: 123456 }, `{"type":"commit","blobId":"${BLOB}","size":123456}`],
    [
      { type: 'error', code: 'E_PROTO_HASH', message: 'Altered in transit.', blobId: BLOB },
      `{"type":"error","code":"E_PROTO_HASH","message":"Altered in transit.","blobId":"${BLOB}"}`,
    ],
  ];

  it.each(CONTROL)('encodes %j as its golden text and back', (message, golden) => {
    expect(encodeFrame(message)).toEqual({ kind: 'text', text: golden });
    expect(decodeFrame(text(golden))).toStrictEqual(message);
  });
});

describe('round trips', () => {
  it.each(SAMPLES.map((m) => [m.type, m] as const))('round-trips a %s message', (_type, message) => {
    const frame = encodeFrame(message);
    expect(frame.kind).toBe(message.type === 'data' ? 'binary' : 'text');
    const decoded = decodeFrame(frame);
    expect(decoded).toEqual(message);
    expect(encodeFrame(decoded)).toEqual(frame);
  });

  it('covers every message type', () => {
    expect(new Set(SAMPLES.map((m) => m.type))).toEqual(
      new Set(['hello', 'offer', 'accept', 'decline', 'data', 'commit', 'stored', 'release', 'released', 'cancel', 'error']),
    );
  });

  it('round-trips every decline reason and every error code', () => {
    for (const reason of DECLINE_REASONS) {
      expect(decodeFrame(encodeFrame({ type: 'decline', blobId: BLOB, reason }))).toEqual({ type: 'decline', blobId: BLOB, reason });
    }
    for (const code of PROTOCOL_ERROR_CODES) {
      expect(decodeFrame(encodeFrame({ type: 'error', code, message: 'x' }))).toEqual({ type: 'error', code, message: 'x' });
    }
  });

  it('round-trips random valid messages (property)', () => {
    fc.assert(
      fc.property(arbitraryMessage(), (message) => {
        const frame = encodeFrame(message);
        const decoded = decodeFrame(frame);
        expect(decoded).toEqual(message);
        expect(encodeFrame(decoded)).toEqual(frame);
      }),
      { numRuns: 500 },
    );
  });

  it('hands back a data payload as a view of the frame, not a copy', () => {
    const frame = (encodeFrame({ type: 'data', blobId: BLOB, offset: 7, bytes: new Uint8Array(1000).fill(9) }) as { bytes: Uint8Array }).bytes;
    const decoded = decodeFrame(binary(frame)) as Extract<Message, { type: 'data' }>;
    expect(decoded.bytes.buffer).toBe(frame.buffer);
    expect(decoded.bytes.byteOffset).toBe(frame.byteOffset + DATA_FRAME_HEADER_BYTES);
    expect(decoded.bytes.length).toBe(1000);
  });

  it('reads a data frame that sits at an offset inside a larger buffer', () => {
    const inner = (encodeFrame({ type: 'data', blobId: BLOB, offset: 2 ** 40, bytes: hex('0102') }) as { bytes: Uint8Array }).bytes;
    const outer = new Uint8Array(inner.length + 13);
    outer.set(inner, 5);
    expect(decodeFrame(binary(outer.subarray(5, 5 + inner.length)))).toEqual({ type: 'data', blobId: BLOB, offset: 2 ** 40, bytes: hex('0102') });
  });

  it('accepts a payload of exactly MAX_DATA_PAYLOAD_BYTES and a control text of exactly MAX_CONTROL_FRAME_BYTES', () => {
    const big = new Uint8Array(MAX_DATA_PAYLOAD_BYTES);
    const frame = encodeFrame({ type: 'data', blobId: BLOB, offset: 0, bytes: big });
    expect((frame as { bytes: Uint8Array }).bytes.length).toBe(DATA_FRAME_HEADER_BYTES + MAX_DATA_PAYLOAD_BYTES);
    expect((decodeFrame(frame) as { bytes: Uint8Array }).bytes.length).toBe(MAX_DATA_PAYLOAD_BYTES);

    const json = `{"type":"cancel","blobId":"${BLOB}"}`;
    const padded = json + ' '.repeat(MAX_CONTROL_FRAME_BYTES - json.length); // JSON allows trailing whitespace
    expect(decodeFrame(text(padded))).toEqual({ type: 'cancel', blobId: BLOB });
  });

  it('ignores unknown fields and never copies them into the message', () => {
    const decoded = decodeJson({ type: 'accept', blobId: BLOB, offset: 5, extra: { deep: [1, 2] }, __proto__x: 1 });
    expect(decoded).toStrictEqual({ type: 'accept', blobId: BLOB, offset: 5 });
    expect(Object.keys(decoded)).toEqual(['type', 'blobId', 'offset']);

    // An own "__proto__" key from JSON.parse must neither show up nor change the prototype.
    const sneaky = decodeFrame(text(`{"type":"cancel","blobId":"${BLOB}","__proto__":{"polluted":true}}`));
    expect(Object.getPrototypeOf(sneaky)).toBe(Object.prototype);
    expect((sneaky as unknown as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(sneaky)).toEqual(['type', 'blobId']);

    // Extra fields in nested envelopes are dropped as well.
    const offer = decodeJson({ type: 'offer', ticket: { ...SIGNED, note: 'x' } });
    expect(offer).toStrictEqual({ type: 'offer', ticket: SIGNED });
  });

  it('reads own fields only, even if something polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.retryAfterMs = 5;
      proto.blobId = BLOB;
      proto.offset = 7;
      expect(decodeJson({ type: 'decline', blobId: BLOB, reason: 'full' })).toStrictEqual({ type: 'decline', blobId: BLOB, reason: 'full' });
      expect(Object.keys(decodeJson({ type: 'error', code: 'E_PROTO_IO', message: 'x' }))).toEqual(['type', 'code', 'message']);
      expectCode(() => decodeJson({ type: 'accept', blobId: BLOB }), 'E_PROTO_MALFORMED');
    } finally {
      delete proto.retryAfterMs;
      delete proto.blobId;
      delete proto.offset;
    }
  });

  it('drops extra properties of our own messages when encoding', () => {
    const message = { type: 'cancel', blobId: BLOB, secret: 'do not send' } as unknown as Message;
    expect(encodeFrame(message)).toEqual({ kind: 'text', text: `{"type":"cancel","blobId":"${BLOB}"}` });
  });

  it('reads -0 as 0, so a decoded message equals its re-encoding', () => {
    const decoded = decodeFrame(text(`{"type":"accept","blobId":"${BLOB}","offset":-0}`));
    expect(Object.is((decoded as { offset: number }).offset, 0)).toBe(true);
  });
});

describe('refusing malformed control messages', () => {
  const controls = SAMPLES.filter((m) => m.type !== 'data');
  const REQUIRED: Record<string, readonly string[]> = {
    hello: ['type', 'version', 'name', 'capabilities', 'freeBytes'],
    offer: ['type', 'ticket'],
    accept: ['type', 'blobId', 'offset'],
    decline: ['type', 'blobId', 'reason'],
    commit: ['type', 'blobId', 'size'],
    stored: ['type', 'blobId', 'receipt'],
    release: ['type', 'blobId', 'release'],
    released: ['type', 'blobId'],
    cancel: ['type', 'blobId'],
    error: ['type', 'code', 'message'],
  };

  it('refuses every message with any required field missing', () => {
    let checked = 0;
    for (const message of controls) {
      for (const key of REQUIRED[message.type]!) {
        const copy: Record<string, unknown> = { ...message };
        delete copy[key];
        expectCode(() => decodeJson(copy), 'E_PROTO_MALFORMED');
        expectCode(() => encodeFrame(copy as unknown as Message), 'E_PROTO_MALFORMED');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('refuses every field with a value of the wrong type', () => {
    const wrong: readonly unknown[] = [null, true, 'x', 7, [], {}, [1], { body: 1 }];
    const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
    let checked = 0;
    for (const message of controls) {
      for (const [key, value] of Object.entries(message)) {
        if (key === 'type') continue;
        for (const replacement of wrong) {
          if (kindOf(replacement) === kindOf(value)) continue;
          expectCode(() => decodeJson({ ...message, [key]: replacement }), 'E_PROTO_MALFORMED');
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('refuses negative, fractional, unsafe and non-finite numbers', () => {
    const numeric: ReadonlyArray<[Message, string]> = [
      [{ type: 'accept', blobId: BLOB, offset: 0 }, 'offset'],
      [{ type: 'commit', blobId: BLOB, size: 0 }, 'size'],
      [{ type: 'hello', version: 1, name: 'a', capabilities: [], freeBytes: 0 }, 'version'],
      [{ type: 'hello', version: 1, name: 'a', capabilities: [], freeBytes: 0 }, 'freeBytes'],
      [{ type: 'decline', blobId: BLOB, reason: 'busy', retryAfterMs: 0 }, 'retryAfterMs'],
    ];
    for (const [message, key] of numeric) {
      const json = JSON.stringify(message);
      for (const bad of ['-1', '1.5', '9007199254740992', '1e400', '-1e400', '"1"']) {
        const mutated = json.replace(`"${key}":${(message as unknown as Record<string, number>)[key]}`, `"${key}":${bad}`);
        expect(mutated).not.toBe(json);
        expectCode(() => decodeFrame(text(mutated)), 'E_PROTO_MALFORMED');
      }
      for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
        expectCode(() => encodeFrame({ ...message, [key]: bad } as Message), 'E_PROTO_MALFORMED');
      }
    }
    expect(decodeJson({ type: 'accept', blobId: BLOB, offset: Number.MAX_SAFE_INTEGER })).toEqual({ type: 'accept', blobId: BLOB, offset: Number.MAX_SAFE_INTEGER });
  });

  it('refuses blob IDs that are not 64 lowercase hex characters', () => {
    for (const bad of [BLOB.toUpperCase(), BLOB.slice(1), `${BLOB}0`, `${BLOB.slice(1)}g`, ` ${BLOB.slice(1)}`, `${BLOB.slice(1)}\n`, '']) {
      expectCode(() => decodeJson({ type: 'cancel', blobId: bad }), 'E_PROTO_MALFORMED');
      expectCode(() => decodeJson({ type: 'error', code: 'E_PROTO_IO', message: 'x', blobId: bad }), 'E_PROTO_MALFORMED');
      expectCode(() => encodeFrame({ type: 'data', blobId: bad, offset: 0, bytes: hex('00') }), 'E_PROTO_MALFORMED');
    }
  });

  it('refuses unknown decline reasons and error codes, and null for optional fields', () => {
    for (const reason of ['Full', 'full ', 'other', '', 'constructor']) {
      expectCode(() => decodeJson({ type: 'decline', blobId: BLOB, reason }), 'E_PROTO_MALFORMED');
    }
    for (const code of ['E_PROTO_OTHER', 'E_IO', 'e_proto_hash', 'toString', '__proto__']) {
      expectCode(() => decodeJson({ type: 'error', code, message: 'x' }), 'E_PROTO_MALFORMED');
    }
    expectCode(() => decodeJson({ type: 'decline', blobId: BLOB, reason: 'busy', retryAfterMs: null }), 'E_PROTO_MALFORMED');
    expectCode(() => decodeJson({ type: 'error', code: 'E_PROTO_IO', message: 'x', blobId: null }), 'E_PROTO_MALFORMED');
  });

  it('refuses display text with control characters, broken Unicode or no name', () => {
    for (const name of ['line\nbreak', 'esc\u001b[31m', 'nul\u0000', 'c1\u0085', 'lone \ud800 surrogate', '']) {
      expectCode(() => decodeJson({ type: 'hello', version: 1, name, capabilities: [], freeBytes: 0 }), 'E_PROTO_MALFORMED');
    }
    expectCode(() => decodeJson({ type: 'error', code: 'E_PROTO_IO', message: 'two\nlines' }), 'E_PROTO_MALFORMED');
    // JSON's \ud800 escape is how a lone surrogate arrives over the wire.
    expectCode(() => decodeFrame(text('{"type":"hello","version":1,"name":"a\\ud800","capabilities":[],"freeBytes":0}')), 'E_PROTO_MALFORMED');
    for (const capability of ['', 'with space', 'tab\t', 'ünï']) {
      expectCode(() => decodeJson({ type: 'hello', version: 1, name: 'a', capabilities: [capability], freeBytes: 0 }), 'E_PROTO_MALFORMED');
    }
  });

  it('refuses malformed signed envelopes', () => {
    const bad: readonly unknown[] = [
      { body: '', sig: SIGNED.sig }, // empty body
      { body: 'eyJ2IjoxfQ', sig: SIGNED.sig }, // no padding
      { body: 'eyJ2IjoxfR==', sig: SIGNED.sig }, // non-zero padding bits
      { body: 'eyJ2Ijox fQ==', sig: SIGNED.sig }, // stray character
      { body: 'eyJ2Ijox-Q==', sig: SIGNED.sig }, // base64url
      { body: SIGNED.body, sig: Buffer.alloc(63).toString('base64') }, // short signature
      { body: SIGNED.body, sig: Buffer.alloc(65).toString('base64') }, // long signature
      { body: SIGNED.body, sig: `${SIGNED.sig.slice(0, -3)}x==` }, // non-zero padding bits in the signature
      { body: SIGNED.body, sig: `${SIGNED.sig.slice(0, -2)}A=` }, // 88 characters, but 65 bytes
      { body: SIGNED.body },
      { sig: SIGNED.sig },
      [SIGNED.body, SIGNED.sig],
      'eyJ2IjoxfQ==',
    ];
    for (const ticket of bad) {
      expectCode(() => decodeJson({ type: 'offer', ticket }), 'E_PROTO_MALFORMED');
      expectCode(() => decodeJson({ type: 'stored', blobId: BLOB, receipt: ticket }), 'E_PROTO_MALFORMED');
      expectCode(() => decodeJson({ type: 'release', blobId: BLOB, release: ticket }), 'E_PROTO_MALFORMED');
    }
  });

  it('refuses values that are not messages', () => {
    for (const t of ['null', '[]', '42', '"hello"', 'true', '{}', '', '{"type":"hello"', 'nope', '\ufeff{}']) {
      expectCode(() => decodeFrame(text(t)), 'E_PROTO_MALFORMED');
    }
    for (const type of [1, null, ['hello'], { hello: 1 }]) {
      expectCode(() => decodeJson({ type, blobId: BLOB }), 'E_PROTO_MALFORMED');
    }
    for (const frame of [null, undefined, {}, { kind: 'text' }, { kind: 'text', text: 5 }, { kind: 'binary', bytes: [1, 2] }, { kind: 'ping', text: '{}' }]) {
      expectCode(() => decodeFrame(frame as unknown as Frame), 'E_PROTO_MALFORMED');
    }
    expectCode(() => encodeFrame(null as unknown as Message), 'E_PROTO_MALFORMED');
  });

  it('answers an unknown message type with E_PROTO_UNKNOWN, including prototype names', () => {
    for (const type of ['ping', 'Hello', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '', 'x'.repeat(10_000)]) {
      const err = expectCode(() => decodeJson({ type, blobId: BLOB }), 'E_PROTO_UNKNOWN');
      expect(err.message.length).toBeLessThan(200); // a peer's text is never echoed at length
      expectCode(() => encodeFrame({ type, blobId: BLOB } as unknown as Message), 'E_PROTO_UNKNOWN');
    }
  });

  it('refuses a data message sent as text', () => {
    expectCode(() => decodeJson({ type: 'data', blobId: BLOB, offset: 0, bytes: 'AAEC' }), 'E_PROTO_MALFORMED');
  });
});

describe('limits on control messages', () => {
  it('refuses oversized text with E_PROTO_LIMIT before JSON.parse sees it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const json = `{"type":"cancel","blobId":"${BLOB}"}`;
    expectCode(() => decodeFrame(text(json + ' '.repeat(MAX_CONTROL_FRAME_BYTES - json.length + 1))), 'E_PROTO_LIMIT');
    // Few characters but many bytes: 'é' is one UTF-16 unit and two UTF-8 bytes.
    const wide = `{"type":"hello","version":1,"name":"${'é'.repeat(MAX_CONTROL_FRAME_BYTES / 2)}","capabilities":[],"freeBytes":0}`;
    expect(wide.length).toBeLessThan(MAX_CONTROL_FRAME_BYTES);
    expectCode(() => decodeFrame(text(wide)), 'E_PROTO_LIMIT');
    expectCode(() => decodeFrame(text('['.repeat(10 * MAX_CONTROL_FRAME_BYTES))), 'E_PROTO_LIMIT');
    expect(parse).not.toHaveBeenCalled();
  });

  it('refuses strings, lists and numbers above their caps with E_PROTO_LIMIT', () => {
    const hello = { type: 'hello', version: 1, name: 'a', capabilities: [] as string[], freeBytes: 0 };
    expect(decodeJson({ ...hello, name: 'n'.repeat(MAX_PEER_NAME_CHARS) })).toMatchObject({ name: 'n'.repeat(MAX_PEER_NAME_CHARS) });
    expectCode(() => decodeJson({ ...hello, name: 'n'.repeat(MAX_PEER_NAME_CHARS + 1) }), 'E_PROTO_LIMIT');
    const caps = Array.from({ length: MAX_CAPABILITIES }, (_, i) => `c${i}`);
    expect(decodeJson({ ...hello, capabilities: caps })).toMatchObject({ capabilities: caps });
    expectCode(() => decodeJson({ ...hello, capabilities: [...caps, 'one-more'] }), 'E_PROTO_LIMIT');
    expectCode(() => decodeJson({ ...hello, capabilities: ['c'.repeat(MAX_CAPABILITY_CHARS + 1)] }), 'E_PROTO_LIMIT');
    expectCode(() => decodeJson({ type: 'error', code: 'E_PROTO_IO', message: 'm'.repeat(MAX_ERROR_MESSAGE_CHARS + 1) }), 'E_PROTO_LIMIT');
    expectCode(() => decodeJson({ type: 'decline', blobId: BLOB, reason: 'busy', retryAfterMs: MAX_RETRY_AFTER_MS + 1 }), 'E_PROTO_LIMIT');
    const body = Buffer.alloc(MAX_SIGNED_BODY_BYTES + 1).toString('base64');
    expectCode(() => decodeJson({ type: 'offer', ticket: { body, sig: SIGNED.sig } }), 'E_PROTO_LIMIT');
  });

  it('refuses to encode a message a peer would refuse', () => {
    expectCode(() => encodeFrame({ type: 'hello', version: 1, name: 'n'.repeat(MAX_PEER_NAME_CHARS + 1), capabilities: [], freeBytes: 0 }), 'E_PROTO_LIMIT');
    expectCode(() => encodeFrame({ type: 'hello', version: 1.5, name: 'a', capabilities: [], freeBytes: 0 }), 'E_PROTO_MALFORMED');
    expectCode(() => encodeFrame({ type: 'decline', blobId: BLOB, reason: 'nope' as 'full' }), 'E_PROTO_MALFORMED');
  });
});

describe('refusing malformed data frames', () => {
  const golden = hex(`01 ${BLOB} 0000000000000010 aabbcc`);

  it('refuses every truncation of a data frame that cuts into the header or leaves no payload', () => {
    for (let end = 0; end <= DATA_FRAME_HEADER_BYTES; end++) {
      expectCode(() => decodeFrame(binary(golden.subarray(0, end))), 'E_PROTO_MALFORMED');
    }
    for (let end = DATA_FRAME_HEADER_BYTES + 1; end <= golden.length; end++) {
      expect(decodeFrame(binary(golden.subarray(0, end)))).toEqual({ type: 'data', blobId: BLOB, offset: 16, bytes: golden.subarray(DATA_FRAME_HEADER_BYTES, end) });
    }
  });

  it('answers an unknown binary frame type with E_PROTO_UNKNOWN', () => {
    for (const type of [0x00, 0x02, 0x7b, 0xff]) {
      const frame = golden.slice();
      frame[0] = type;
      expectCode(() => decodeFrame(binary(frame)), 'E_PROTO_UNKNOWN');
    }
  });

  it('refuses offsets beyond 2^53 − 1, and payloads that would end beyond it', () => {
    const at = (offsetHex: string, payload = 'aa'): Uint8Array => hex(`01 ${BLOB} ${offsetHex} ${payload}`);
    expect(expectCode(() => decodeFrame(binary(at('0020000000000000'))), 'E_PROTO_MALFORMED').message).toMatch(/offset is above/);
    expect(expectCode(() => decodeFrame(binary(at('ffffffffffffffff'))), 'E_PROTO_MALFORMED').message).toMatch(/offset is above/);
    expectCode(() => decodeFrame(binary(at('001fffffffffffff'))), 'E_PROTO_MALFORMED'); // its one byte would sit at 2^53 − 1
    expect(decodeFrame(binary(at('001ffffffffffffe')))).toMatchObject({ offset: Number.MAX_SAFE_INTEGER - 1 });
    expectCode(() => decodeFrame(binary(at('001ffffffffffffe', 'aabb'))), 'E_PROTO_MALFORMED');
  });

  it('refuses a frame above the payload limit with E_PROTO_LIMIT before reading it', () => {
    const big = new Uint8Array(DATA_FRAME_HEADER_BYTES + MAX_DATA_PAYLOAD_BYTES + 1);
    big.set(golden.subarray(0, DATA_FRAME_HEADER_BYTES));
    expectCode(() => decodeFrame(binary(big)), 'E_PROTO_LIMIT');
    big[0] = 0x09; // even with an unknown type: its size alone is refused
    expectCode(() => decodeFrame(binary(big)), 'E_PROTO_LIMIT');
  });

  it('refuses to encode data a peer would refuse', () => {
    const ok = { type: 'data', blobId: BLOB, offset: 0, bytes: hex('00') } as const;
    expectCode(() => encodeFrame({ ...ok, bytes: new Uint8Array(0) }), 'E_PROTO_MALFORMED');
    expectCode(() => encodeFrame({ ...ok, bytes: new Uint8Array(MAX_DATA_PAYLOAD_BYTES + 1) }), 'E_PROTO_LIMIT');
    expectCode(() => encodeFrame({ ...ok, bytes: [0] as unknown as Uint8Array }), 'E_PROTO_MALFORMED');
    for (const offset of [-1, 0.5, Number.NaN, 2 ** 53, Number.MAX_SAFE_INTEGER]) {
      expectCode(() => encodeFrame({ ...ok, offset }), 'E_PROTO_MALFORMED');
    }
  });
});

describe('hostile input (properties)', () => {
  /** Wraps JSON.parse to record the longest text it was ever handed. */
  function watchParse(): { longest: () => number } {
    const real = JSON.parse.bind(JSON);
    let longest = 0;
    vi.spyOn(JSON, 'parse').mockImplementation((t: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
      longest = Math.max(longest, t.length);
      return real(t, reviver);
    });
    return { longest: () => longest };
  }

  /** What a successful decode of hostile input must still satisfy. */
  function checkDecoded(message: Message, input: Frame): void {
    // Whatever got through re-encodes to a frame that decodes to the same message.
    expect(decodeFrame(encodeFrame(message))).toEqual(message);
    if (message.type === 'data') {
      expect(input.kind).toBe('binary');
      // No copy was made: the payload is a view of the frame it came in.
      expect(message.bytes.buffer).toBe((input as { bytes: Uint8Array }).bytes.buffer);
      expect(message.bytes.length).toBeLessThanOrEqual(MAX_DATA_PAYLOAD_BYTES);
    }
  }

  it('random bytes as binary frames give a message or a ProtocolError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, typed) => {
        if (typed && bytes.length > 0) bytes[0] = 0x01;
        const frame = binary(bytes);
        const message = decodeOrProtocolError(frame);
        if (message !== undefined) checkDecoded(message, frame);
      }),
      { numRuns: 2000 },
    );
  });

  it('random strings and JSON as text frames give a message or a ProtocolError, never parsing beyond the limit', () => {
    const parse = watchParse();
    const jsonish = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.record({ type: fc.constantFrom('hello', 'offer', 'accept', 'decline', 'data', 'commit', 'stored', 'release', 'released', 'cancel', 'error', 'x') }, { requiredKeys: [] }).chain((head) =>
        fc.dictionary(fc.constantFrom('blobId', 'offset', 'size', 'reason', 'code', 'message', 'name', 'version', 'capabilities', 'freeBytes', 'ticket', 'receipt', 'release', 'retryAfterMs', 'other'), fc.jsonValue({ maxDepth: 2 })).map((rest) => JSON.stringify({ ...rest, ...head })),
      ),
    );
    fc.assert(
      fc.property(jsonish, (t) => {
        const frame = text(t);
        const message = decodeOrProtocolError(frame);
        if (message !== undefined) checkDecoded(message, frame);
      }),
      { numRuns: 3000 },
    );
    expect(parse.longest()).toBeLessThanOrEqual(MAX_CONTROL_FRAME_BYTES);
  });

  it('never parses a text above the limit, however it is built', () => {
    const parse = watchParse();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * MAX_CONTROL_FRAME_BYTES }), fc.constantFrom(' ', 'é', '😀', '['), (extra, pad) => {
        const json = `{"type":"cancel","blobId":"${BLOB}"}`;
        const t = json + pad.repeat(Math.ceil(extra / pad.length));
        const message = decodeOrProtocolError(text(t));
        if (Buffer.byteLength(t) > MAX_CONTROL_FRAME_BYTES) expect(message).toBeUndefined();
      }),
      { numRuns: 200 },
    );
    expect(parse.longest()).toBeLessThanOrEqual(MAX_CONTROL_FRAME_BYTES);
  });

  it('truncations and single-byte mutations of valid frames give a message or a ProtocolError', () => {
    const parse = watchParse();
    const mutation = fc.record({ cut: fc.nat(), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), mode: fc.constantFrom('truncate', 'mutate', 'both') });
    fc.assert(
      fc.property(arbitraryMessage(), mutation, (message, { cut, at, value, mode }) => {
        const valid = encodeFrame(message);
        let bytes = valid.kind === 'binary' ? valid.bytes.slice() : new Uint8Array(Buffer.from(valid.text, 'utf8'));
        if (mode !== 'mutate') bytes = bytes.subarray(0, cut % (bytes.length + 1));
        if (mode !== 'truncate' && bytes.length > 0) bytes[at % bytes.length] = value;
        // ws hands text frames over as (validated) UTF-8; a mutation may break it, so decode leniently.
        const frame = valid.kind === 'binary' ? binary(bytes) : text(Buffer.from(bytes).toString('utf8'));
        const decoded = decodeOrProtocolError(frame);
        if (decoded !== undefined) checkDecoded(decoded, frame);
      }),
      { numRuns: 3000 },
    );
    expect(parse.longest()).toBeLessThanOrEqual(MAX_CONTROL_FRAME_BYTES);
  });

  it('every truncation of every sample control frame is refused as malformed', () => {
    for (const message of SAMPLES.filter((m) => m.type !== 'data')) {
      const t = (encodeFrame(message) as { text: string }).text;
      for (let end = 0; end < t.length; end++) expectCode(() => decodeFrame(text(t.slice(0, end))), 'E_PROTO_MALFORMED');
    }
  });
});

/** Valid messages of every type, for round trips and as seeds for mutations. */
function arbitraryMessage(): fc.Arbitrary<Message> {
  const blobId = fc.stringMatching(/^[0-9a-f]{64}$/);
  const uint = fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
  const base64 = (min: number, max: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString('base64'));
  const signed = fc.record({ body: base64(1, 200), sig: base64(64, 64) });
  const display = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !/[\p{Cc}\p{Cs}]/u.test(s));
  const capability = fc.stringMatching(/^[\x21-\x7e]{1,20}$/);
  return fc.oneof(
    fc.record({ type: fc.constant('hello' as const), version: fc.nat(10), name: display, capabilities: fc.array(capability, { maxLength: 5 }), freeBytes: uint }),
    fc.record({ type: fc.constant('offer' as const), ticket: signed }),
    fc.record({ type: fc.constant('accept' as const), blobId, offset: uint }),
    fc.record(
      { type: fc.constant('decline' as const), blobId, reason: fc.constantFrom(...DECLINE_REASONS), retryAfterMs: fc.nat(MAX_RETRY_AFTER_MS) },
      { requiredKeys: ['type', 'blobId', 'reason'] },
    ),
    fc
      .record({ blobId, offset: fc.nat(2 ** 40), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) })
      .map(({ blobId: id, offset, bytes }) => ({ type: 'data' as const, blobId: id, offset, bytes })),
    fc.record({ type: fc.constant('commit' as const), blobId, size: uint }),
    fc.record({ type: fc.constant('stored' as const), blobId, receipt: signed }),
    fc.record({ type: fc.constant('release' as const), blobId, release: signed }),
    fc.record({ type: fc.constant('released' as const), blobId }),
    fc.record({ type: fc.constant('cancel' as const), blobId }),
    fc.record(
      { type: fc.constant('error' as const), code: fc.constantFrom(...PROTOCOL_ERROR_CODES), message: fc.string({ maxLength: 80 }).filter((s) => !/[\p{Cc}\p{Cs}]/u.test(s)), blobId },
      { requiredKeys: ['type', 'code', 'message'] },
    ),
  );
}
