// The session state machine over an in-memory channel pair: the happy path, and every way a peer
// can send something that is not valid now. A violation must close that link with a coded error,
// never crash, and never reach the handler.

import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';
import { encodeFrame } from '../../../../src/main/core/protocol/codec.js';
import type { Signed } from '../../../../src/main/core/protocol/messages.js';
import {
  MAX_DECLINED_OFFERS_BURST,
  MAX_INBOUND_TRANSFERS,
  Session,
  UNANNOUNCED_INBOUND_TRANSFERS,
  peerTransferLimit,
  transfersCapability,
  type OfferDecision,
  type SessionHandler,
} from '../../../../src/main/core/protocol/session.js';
import { signCustodyReceipt, signTicket, verifyCustodyReceipt, verifyTicket } from '../../../../src/main/core/protocol/signed.js';
import { channelPair } from '../../../helpers/channel-pair.js';
import { tempDir } from '../../../helpers/tmp.js';

let origin: DeviceIdentity;
let holder: DeviceIdentity;
beforeAll(async () => {
  origin = await loadOrCreateDeviceIdentity(await tempDir('origin'));
  holder = await loadOrCreateDeviceIdentity(await tempDir('holder'));
});

/** A holder that keeps blobs in memory: the SessionHandler contract, with real signatures. */
class MemoryHolder implements SessionHandler {
  readonly blobs = new Map<string, Buffer[]>();
  readonly abandoned: string[] = [];
  decide: ((ticket: Signed) => OfferDecision) | null = null;
  dataGate: Promise<void> | null = null;

  offerGate: Promise<void> | null = null;
  async onOffer(_peer: string, ticket: Signed): Promise<OfferDecision> {
    const t = verifyTicket(ticket, { now: Date.now() });
    if (this.offerGate) await this.offerGate;
    if (this.decide) return this.decide(ticket);
    this.blobs.set(t.blobId, []);
    return { accept: true, offset: 0, size: t.size };
  }
  async onData(_peer: string, blobId: string, _offset: number, bytes: Uint8Array): Promise<void> {
    if (this.dataGate) await this.dataGate;
    this.blobs.get(blobId)!.push(Buffer.from(bytes));
  }
  commitGate: Promise<void> | null = null;
  async onCommit(_peer: string, blobId: string, size: number): Promise<Signed> {
    if (this.commitGate) await this.commitGate;
    const bytes = Buffer.concat(this.blobs.get(blobId)!);
    if (createHash('sha256').update(bytes).digest('hex') !== blobId) throw Object.assign(new Error('hash mismatch'), {});
    return signCustodyReceipt(holder, { blobId, size, origin: origin.deviceId, until: Date.now() + 3600_000, at: Date.now() });
  }
  async onAbandon(_peer: string, blobId: string): Promise<void> {
    this.abandoned.push(blobId);
  }
  async onRelease(): Promise<void> {}
}

async function connected() {
  const [a, b] = channelPair();
  const memory = new MemoryHolder();
  const idle: SessionHandler = { ...new MemoryHolder(), onOffer: async () => ({ accept: false, reason: 'full' }) } as SessionHandler;
  const originSession = new Session(a, holder.deviceId, { name: 'origin', capabilities: [], freeBytes: 0 }, idle);
  const holderSession = new Session(b, origin.deviceId, { name: 'holder', capabilities: ['resume'], freeBytes: 1e9 }, memory);
  const [helloAtOrigin] = await Promise.all([originSession.start(), holderSession.start()]);
  return { a, b, memory, originSession, holderSession, helloAtOrigin };
}

function blob(size: number) {
  const bytes = randomBytes(size);
  const blobId = createHash('sha256').update(bytes).digest('hex');
  const ticket = signTicket(origin, { blobId, size, created: Date.now(), expires: Date.now() + 3600_000, target: { kind: 'none' } });
  return { bytes, blobId, ticket };
}

const closedWith = (s: Session) => new Promise<string>((resolve) => s.onClose(resolve));

describe('session', () => {
  it('offer → accept → data → commit → stored, with a custody receipt that verifies', async () => {
    const { originSession, memory, helloAtOrigin } = await connected();
    expect(helloAtOrigin.name).toBe('holder');
    const { bytes, blobId, ticket } = blob(600_000);
    const answer = await originSession.offer(blobId, ticket);
    expect(answer).toEqual({ accepted: true, offset: 0 });
    for (let off = 0; off < bytes.length; off += 256 * 1024) await originSession.sendData(blobId, off, bytes.subarray(off, off + 256 * 1024));
    const receipt = await originSession.commit(blobId, bytes.length);
    const custody = verifyCustodyReceipt(receipt, { expectedHolder: holder.deviceId, expectedBlobId: blobId, now: Date.now() });
    expect(custody.size).toBe(bytes.length);
    expect(Buffer.concat(memory.blobs.get(blobId)!).equals(bytes)).toBe(true);
  });

  it('a commit waiting for the disk does not hold up the data of other transfers on the link', async () => {
    const { originSession, memory } = await connected();
    const first = blob(1000);
    const second = blob(300_000);
    await originSession.offer(first.blobId, first.ticket);
    await originSession.offer(second.blobId, second.ticket);
    await originSession.sendData(first.blobId, 0, first.bytes);
    let openGate!: () => void;
    memory.commitGate = new Promise((resolve) => (openGate = resolve));
    const firstStored = originSession.commit(first.blobId, first.bytes.length);
    // The first commit is stuck on its "fsync"; the second blob still streams and is received.
    for (let off = 0; off < second.bytes.length; off += 64 * 1024) await originSession.sendData(second.blobId, off, second.bytes.subarray(off, off + 64 * 1024));
    await expect.poll(() => Buffer.concat(memory.blobs.get(second.blobId)!).length).toBe(second.bytes.length);
    let firstDone = false;
    void firstStored.then(() => (firstDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(firstDone).toBe(false);
    openGate();
    verifyCustodyReceipt(await firstStored, { expectedHolder: holder.deviceId, expectedBlobId: first.blobId, now: Date.now() });
    verifyCustodyReceipt(await originSession.commit(second.blobId, second.bytes.length), { expectedHolder: holder.deviceId, expectedBlobId: second.blobId, now: Date.now() });
  });

  it('an offer still being decided holds a transfer slot but not the data of other transfers', async () => {
    const { originSession, memory } = await connected();
    const streaming = blob(200_000);
    await originSession.offer(streaming.blobId, streaming.ticket);
    let openGate!: () => void;
    memory.offerGate = new Promise((resolve) => (openGate = resolve));
    const waiting = Array.from({ length: MAX_INBOUND_TRANSFERS - 1 }, () => blob(10));
    const answers = waiting.map((b) => originSession.offer(b.blobId, b.ticket));
    // Every slot is taken (one streaming, the rest being decided): one more is busy at once.
    const extra = blob(10);
    expect(await originSession.offer(extra.blobId, extra.ticket)).toMatchObject({ accepted: false, reason: 'busy' });
    for (let off = 0; off < streaming.bytes.length; off += 64 * 1024) await originSession.sendData(streaming.blobId, off, streaming.bytes.subarray(off, off + 64 * 1024));
    verifyCustodyReceipt(await originSession.commit(streaming.blobId, streaming.bytes.length), { expectedHolder: holder.deviceId, expectedBlobId: streaming.blobId, now: Date.now() });
    openGate();
    for (const answer of answers) expect(await answer).toEqual({ accepted: true, offset: 0 });
  });

  it('a cancel that arrives while the commit runs is too late: the commit answers', async () => {
    const { a, originSession, memory } = await connected();
    const { bytes, blobId, ticket } = blob(1000);
    await originSession.offer(blobId, ticket);
    await originSession.sendData(blobId, 0, bytes);
    let openGate!: () => void;
    memory.commitGate = new Promise((resolve) => (openGate = resolve));
    const stored = originSession.commit(blobId, bytes.length);
    await a.send(encodeFrame({ type: 'cancel', blobId }));
    await new Promise((resolve) => setImmediate(resolve));
    openGate();
    verifyCustodyReceipt(await stored, { expectedHolder: holder.deviceId, expectedBlobId: blobId, now: Date.now() });
    expect(memory.abandoned).not.toContain(blobId);
  });

  it('a second commit of a blob whose commit is still running closes the link', async () => {
    const { a, originSession, holderSession, memory } = await connected();
    const { bytes, blobId, ticket } = blob(1000);
    await originSession.offer(blobId, ticket);
    await originSession.sendData(blobId, 0, bytes);
    memory.commitGate = new Promise(() => undefined); // never done
    void originSession.commit(blobId, bytes.length).catch(() => undefined);
    const closed = closedWith(holderSession);
    await a.send(encodeFrame({ type: 'commit', blobId, size: bytes.length }));
    expect(await closed).toMatch(/E_PROTO_STATE/);
  });

  it('a holder refusal at commit (bad hash) rejects the commit and keeps the link', async () => {
    const { originSession, memory } = await connected();
    const { bytes, blobId, ticket } = blob(1000);
    await originSession.offer(blobId, ticket);
    const tampered = Buffer.from(bytes);
    tampered[10]! ^= 1;
    await originSession.sendData(blobId, 0, tampered);
    await expect(originSession.commit(blobId, bytes.length)).rejects.toMatchObject({ code: 'E_PROTO_IO' });
    expect(originSession.isClosed).toBe(false);
    expect(memory.abandoned).toContain(blobId);
  });

  it('declines are passed through with their reason', async () => {
    const { originSession, memory } = await connected();
    memory.decide = () => ({ accept: false, reason: 'origin-share' });
    const { blobId, ticket } = blob(10);
    expect(await originSession.offer(blobId, ticket)).toEqual({ accepted: false, reason: 'origin-share' });
  });

  it('data before accept closes the link with E_PROTO_STATE and never reaches the handler', async () => {
    const { a, holderSession, memory } = await connected();
    const { blobId } = blob(10);
    const closed = closedWith(holderSession);
    await a.send(encodeFrame({ type: 'data', blobId, offset: 0, bytes: new Uint8Array([1, 2, 3]) }));
    expect(await closed).toMatch(/E_PROTO_STATE/);
    expect(memory.blobs.size).toBe(0);
  });

  it('data at the wrong offset, or past the ticket size, closes the link', async () => {
    for (const [offset, size, code] of [[5, 10, 'E_PROTO_STATE'], [0, 20, 'E_PROTO_SIZE']] as const) {
      const { a, originSession, holderSession } = await connected();
      const { blobId, ticket } = blob(10);
      await originSession.offer(blobId, ticket);
      const closed = closedWith(holderSession);
      await a.send(encodeFrame({ type: 'data', blobId, offset, bytes: new Uint8Array(size) }));
      expect(await closed).toMatch(code);
    }
  });

  it('a frame that does not decode closes the link with its code', async () => {
    const { a, holderSession } = await connected();
    const closed = closedWith(holderSession);
    await a.send({ kind: 'text', text: '{"type":"offer","ticket":42}' });
    expect(await closed).toMatch(/E_PROTO_MALFORMED/);
    const second = await connected();
    const closed2 = closedWith(second.holderSession);
    await second.a.send({ kind: 'text', text: '{"type":"teleport"}' });
    expect(await closed2).toMatch(/E_PROTO_UNKNOWN/);
  });

  it('a second hello, or a different protocol version, ends the session', async () => {
    const { a, holderSession } = await connected();
    const closed = closedWith(holderSession);
    await a.send(encodeFrame({ type: 'hello', version: 1, name: 'again', capabilities: [], freeBytes: 0 }));
    expect(await closed).toMatch(/E_PROTO_STATE/);

    const [x, y] = channelPair();
    const s = new Session(y, origin.deviceId, { name: 'h', capabilities: [], freeBytes: 0 }, new MemoryHolder());
    const started = s.start();
    await x.send(encodeFrame({ type: 'hello', version: 2, name: 'future', capabilities: [], freeBytes: 0 }));
    await expect(started).rejects.toThrow(/E_PROTO_VERSION|version/);
  });

  it('a hello that arrives before start() is not lost', async () => {
    const [x, y] = channelPair();
    const early = new Session(x, holder.deviceId, { name: 'early', capabilities: [], freeBytes: 0 }, new MemoryHolder());
    const startedEarly = early.start();
    await new Promise((r) => setTimeout(r, 20)); // its hello is now buffered at y's side
    const late = new Session(y, origin.deviceId, { name: 'late', capabilities: [], freeBytes: 0 }, new MemoryHolder());
    await new Promise((r) => setTimeout(r, 20)); // and handled by the constructor's listener
    const [a, b] = await Promise.all([startedEarly, late.start()]);
    expect(a.name).toBe('late');
    expect(b.name).toBe('early');
  });

  it('more open transfers than allowed are declined as busy', async () => {
    const { originSession } = await connected();
    const answers = [];
    for (let i = 0; i <= MAX_INBOUND_TRANSFERS; i++) {
      const { blobId, ticket } = blob(100 + i);
      answers.push(await originSession.offer(blobId, ticket));
    }
    expect(answers.slice(0, MAX_INBOUND_TRANSFERS).every((a) => a.accepted)).toBe(true);
    expect(answers[MAX_INBOUND_TRANSFERS]).toMatchObject({ accepted: false, reason: 'busy' });
  });

  it('a peer that floods refused offers is cut off', async () => {
    const { originSession, holderSession, memory } = await connected();
    memory.decide = () => ({ accept: false, reason: 'full' });
    const closed = closedWith(holderSession);
    const { blobId, ticket } = blob(10);
    for (let i = 0; i <= MAX_DECLINED_OFFERS_BURST; i++) await originSession.offer(blobId, ticket).catch(() => undefined);
    expect(await closed).toMatch(/E_PROTO_LIMIT/);
  });

  it('pauses the channel while the handler is still writing (backpressure)', async () => {
    const { b, originSession, memory } = await connected();
    const { bytes, blobId, ticket } = blob(1000);
    await originSession.offer(blobId, ticket);
    let release!: () => void;
    memory.dataGate = new Promise((r) => (release = r));
    await originSession.sendData(blobId, 0, bytes.subarray(0, 500));
    await new Promise((r) => setTimeout(r, 20));
    expect(b.isPaused).toBe(true);
    release();
    memory.dataGate = null;
    await originSession.sendData(blobId, 500, bytes.subarray(500));
    await originSession.commit(blobId, 1000);
    expect(b.isPaused).toBe(false);
  });

  it('a closed link fails pending requests and abandons inbound transfers', async () => {
    const { a, originSession, memory } = await connected();
    const { blobId, ticket } = blob(1000);
    await originSession.offer(blobId, ticket);
    const commit = originSession.commit(blobId, 1000);
    a.close('cable pulled');
    await expect(commit).rejects.toThrow(/closed/);
    await new Promise((r) => setTimeout(r, 10));
    expect(memory.abandoned).toContain(blobId);
  });
});

describe('how many transfers a peer takes at once', () => {
  it('is what its hello announces, never more than this side runs, and 4 when it does not say', () => {
    expect(peerTransferLimit({ capabilities: ['resume', transfersCapability()] })).toBe(MAX_INBOUND_TRANSFERS);
    expect(peerTransferLimit({ capabilities: ['transfers=2'] })).toBe(2);
    expect(peerTransferLimit({ capabilities: ['transfers=9999'] })).toBe(MAX_INBOUND_TRANSFERS);
    // An older peer: it accepts UNANNOUNCED_INBOUND_TRANSFERS and declines the rest as busy.
    expect(peerTransferLimit({ capabilities: ['resume'] })).toBe(UNANNOUNCED_INBOUND_TRANSFERS);
    for (const odd of ['transfers=0', 'transfers=-3', 'transfers=', 'transfers=1e3', 'transfers=16x', 'Transfers=16']) {
      expect(peerTransferLimit({ capabilities: [odd] })).toBe(UNANNOUNCED_INBOUND_TRANSFERS);
    }
  });
});
