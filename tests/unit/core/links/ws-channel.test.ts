// The Channel a session gets from a link, over real TLS WebSockets on 127.0.0.1: backpressure
// that really stops a sender, keepalive and idle timers that really close links, a frame-size
// limit that closes only the offending link, and a close reason that arrives exactly once.

import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import type { DeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';
import { MAX_FRAME_BYTES } from '../../../../src/main/core/limits.js';
import { LINK_PATH, type Link } from '../../../../src/main/core/links/link.js';
import { WsChannel } from '../../../../src/main/core/links/ws-channel.js';
import type { Frame } from '../../../../src/main/core/protocol/messages.js';
import { IdentityPool, LOCALHOST, Nodes, closeReason, linkPair, record, settle, sleep, waitFor, type Node } from './link-fixtures.js';

const pool = await IdentityPool.create();
let alice: DeviceIdentity;
let bob: DeviceIdentity;
let carol: DeviceIdentity;
const nodes = new Nodes();

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([pool.identity('alice'), pool.identity('bob'), pool.identity('carol')]);
});
afterEach(async () => {
  await nodes.stopAll();
});
afterAll(async () => {
  await pool.remove();
});

function wsChannel(link: Link): WsChannel {
  expect(link.channel).toBeInstanceOf(WsChannel);
  return link.channel as WsChannel;
}

function bytesOf(frame: Frame): Buffer {
  if (frame.kind !== 'binary') throw new Error(`expected a binary frame, got text ${frame.text}`);
  return Buffer.from(frame.bytes);
}

/** Sends a text frame each way and checks it arrives. */
async function expectWorking(one: Link, other: Link): Promise<void> {
  const atOther = record(other.channel);
  const atOne = record(one.channel);
  await one.channel.send({ kind: 'text', text: 'ping' });
  await other.channel.send({ kind: 'text', text: 'pong' });
  await waitFor(() => atOther.frames.length > 0 && atOne.frames.length > 0, 'a frame each way');
  expect(atOther.frames).toEqual([{ kind: 'text', text: 'ping' }]);
  expect(atOne.frames).toEqual([{ kind: 'text', text: 'pong' }]);
}

/** A raw ws client presenting `as`'s certificate: a peer that does not play by our rules. */
function rawPeer(to: Node, as: DeviceIdentity): Promise<WebSocket> {
  const ws = new WebSocket(`wss://${LOCALHOST}:${to.address.port}${LINK_PATH}`, {
    key: as.keyPem,
    cert: as.certPem,
    rejectUnauthorized: false,
    perMessageDeflate: false,
    maxPayload: 4 * MAX_FRAME_BYTES,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('WsChannel over a real link', () => {
  it('stops a sender once the high-water mark is reached while the receiver is paused, and lets it go on resume', async () => {
    const highWater = 256 * 1024;
    const frameBytes = 64 * 1024;
    // Keepalive and idle off: a paused receiver would otherwise (rightly) be cut off.
    const init = { highWaterMarkBytes: highWater, pingIntervalMs: 0, idleTimeoutMs: 0 };
    const a = await nodes.start(alice, init);
    const b = await nodes.start(bob, init);
    const { out, in: inbound } = await linkPair(a, b);
    const sender = wsChannel(out);
    const received = record(inbound.channel);
    inbound.channel.pause();

    const frame = (seq: number): Frame => {
      const bytes = randomBytes(frameBytes);
      bytes.writeUInt32BE(seq, 0);
      return { kind: 'binary', bytes };
    };
    const sent: Buffer[] = [];
    let maxBufferedAfterSend = 0;
    let stalled: Promise<void> | undefined;
    // Send until a send does not resolve: the kernel buffers (a few MiB on loopback) fill first.
    while (sent.length < 2_000) {
      const next = frame(sent.length);
      sent.push(Buffer.from(next.kind === 'binary' ? next.bytes : []));
      const sending = out.channel.send(next);
      const result = await settle(sending, 500);
      if (result.pending === true) {
        stalled = sending;
        break;
      }
      maxBufferedAfterSend = Math.max(maxBufferedAfterSend, sender.bufferedAmount);
    }
    expect(stalled, 'a send should stall while the receiver is paused').toBeDefined();
    // Memory stays bounded: a resolved send leaves less than the mark queued, a stalled one at most one frame more.
    expect(maxBufferedAfterSend).toBeLessThan(highWater);
    expect(sender.bufferedAmount).toBeGreaterThanOrEqual(highWater);
    expect(sender.bufferedAmount).toBeLessThanOrEqual(highWater + frameBytes + 64);
    // Paused means paused: nothing was delivered, and the sender stays stuck while it lasts.
    await sleep(300);
    expect(received.frames).toHaveLength(0);
    expect((await settle(stalled!, 200)).pending).toBe(true);
    const sentWhilePaused = sent.length;
    expect(sentWhilePaused * frameBytes).toBeLessThan(64 * 1024 * 1024);

    inbound.channel.resume();
    expect((await settle(stalled!, 5_000)).error).toBeUndefined();
    for (let i = 0; i < 20; i++) {
      const next = frame(sent.length);
      sent.push(Buffer.from(next.kind === 'binary' ? next.bytes : []));
      await out.channel.send(next);
    }
    await waitFor(() => received.frames.length === sent.length, `all ${sent.length} frames to arrive`, 15_000);
    received.frames.forEach((f, i) => {
      const bytes = bytesOf(f);
      expect(bytes.readUInt32BE(0)).toBe(i);
      expect(bytes.equals(sent[i]!)).toBe(true);
    });
  });

  it('closes a link whose peer stops answering pings, and keeps one that answers', async () => {
    const init = { pingIntervalMs: 100, idleTimeoutMs: 0 };
    const a = await nodes.start(alice, init);
    const b = await nodes.start(bob, init);
    const { out, in: inbound } = await linkPair(a, b);
    const atAlice = record(out.channel);
    record(inbound.channel);

    await sleep(700); // several intervals: pongs come back, nothing closes
    expect(atAlice.closed).toBeUndefined();
    expect(a.manager.links()).toEqual([out]);

    const started = Date.now();
    inbound.channel.pause(); // bob stops reading its socket, so pings go unanswered
    await waitFor(() => atAlice.closed !== undefined, 'alice to close the silent link', 3_000);
    expect(atAlice.closed).toMatch(/keepalive/);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(a.manager.links()).toEqual([]);
    await expect(out.channel.send({ kind: 'text', text: 'late' })).rejects.toSatisfy((err) => isInswarmError(err, 'E_LINK_CLOSED'));
  });

  it('closes a link without application frames after the idle timeout, and keeps a busy one', async () => {
    const idleMs = 400;
    const init = { idleTimeoutMs: idleMs };
    const a = await nodes.start(alice, init);
    const b = await nodes.start(bob, init);
    const c = await nodes.start(carol, init);
    const started = Date.now(); // the quiet link's idle clock starts after this
    const quiet = await linkPair(a, b);
    const busy = await linkPair(a, c);
    const quietClosed = closeReason(quiet.out.channel);
    const busyAtCarol = record(busy.in.channel);
    const busyAtAlice = record(busy.out.channel);
    const ticker = setInterval(() => void busy.out.channel.send({ kind: 'text', text: 'tick' }).catch(() => undefined), 50);
    try {
      expect(await quietClosed).toMatch(/idle/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(idleMs - 10); // timers may fire a hair early
      await waitFor(() => b.manager.links().length === 0, 'bob to drop the idle link');
      await sleep(2 * idleMs);
      expect(busyAtAlice.closed).toBeUndefined();
      expect(busyAtCarol.closed).toBeUndefined();
      expect(busyAtCarol.frames.length).toBeGreaterThan(5);
      expect(a.manager.links().map((l) => l.deviceId)).toEqual([carol.deviceId]);
    } finally {
      clearInterval(ticker);
    }
  });

  it('closes a link with 1009 when the peer sends a frame above the limit; other links live on', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    const good = await linkPair(a, b);

    const hostile = await rawPeer(b, carol);
    await waitFor(() => b.links.length === 2, 'the raw peer to be linked');
    const carolLink = b.links[1]!;
    expect(carolLink.deviceId).toBe(carol.deviceId);
    const atBob = record(carolLink.channel);

    // Exactly at the limit is fine…
    hostile.send(randomBytes(MAX_FRAME_BYTES));
    await waitFor(() => atBob.frames.length === 1, 'the largest allowed frame');
    expect(bytesOf(atBob.frames[0]!).length).toBe(MAX_FRAME_BYTES);

    // …one byte more closes the link.
    const hostileClosed = new Promise<number>((resolve) => hostile.once('close', (code) => resolve(code)));
    hostile.send(randomBytes(MAX_FRAME_BYTES + 1));
    expect(await hostileClosed).toBe(1009);
    await waitFor(() => atBob.closed !== undefined, 'bob to report the closed link');
    expect(atBob.closed).toMatch(new RegExp(`above ${MAX_FRAME_BYTES} bytes`));
    expect(atBob.frames).toHaveLength(1);
    expect(b.manager.links()).toEqual([good.in]);
    await expectWorking(good.out, good.in);

    // Our own side refuses to send such a frame instead of getting the link killed.
    const tooBig = await settle(good.out.channel.send({ kind: 'binary', bytes: new Uint8Array(MAX_FRAME_BYTES + 1) }));
    expect(isInswarmError(tooBig.error, 'E_LINK_FRAME_TOO_LARGE')).toBe(true);
    const tooLongText = await settle(good.out.channel.send({ kind: 'text', text: 'é'.repeat(MAX_FRAME_BYTES / 2 + 1) }));
    expect(isInswarmError(tooLongText.error, 'E_LINK_FRAME_TOO_LARGE')).toBe(true);
    await expectWorking(good.out, good.in);
  });

  it('reports one close reason on each side, rejects later sends, and tells late listeners', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    const { out, in: inbound } = await linkPair(a, b);
    const reasonsAtAlice: string[] = [];
    const reasonsAtBob: string[] = [];
    out.channel.onClose((r) => reasonsAtAlice.push(r));
    inbound.channel.onClose((r) => reasonsAtBob.push(r));
    inbound.channel.onFrame(() => undefined);

    out.channel.close('E_PROTO_STATE: a second hello ' + 'x'.repeat(200) + ' ünïcödé');
    out.channel.close('again');
    await waitFor(() => reasonsAtBob.length > 0, 'bob to see the close');
    await sleep(100);
    expect(reasonsAtAlice).toHaveLength(1);
    expect(reasonsAtAlice[0]).toMatch(/^E_PROTO_STATE: a second hello/);
    expect(reasonsAtBob).toHaveLength(1);
    expect(reasonsAtBob[0]).toMatch(/^closed by the peer: E_PROTO_STATE: a second hello x+$/);
    expect(Buffer.byteLength(reasonsAtBob[0]!.replace('closed by the peer: ', ''))).toBeLessThanOrEqual(123);
    await expect(out.channel.send({ kind: 'text', text: 'late' })).rejects.toSatisfy((err) => isInswarmError(err, 'E_LINK_CLOSED'));
    await expect(inbound.channel.send({ kind: 'text', text: 'late' })).rejects.toSatisfy((err) => isInswarmError(err, 'E_LINK_CLOSED'));
    expect(await closeReason(out.channel)).toBe(reasonsAtAlice[0]);
    await wsChannel(out).closed;
  });

  it('closes the link (1011) when a frame handler throws, instead of breaking the socket', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    const { out, in: inbound } = await linkPair(a, b);
    const atAlice = closeReason(out.channel);
    inbound.channel.onFrame(() => {
      throw new Error('bug in a session');
    });
    await out.channel.send({ kind: 'text', text: 'boom' });
    expect(await atAlice).toMatch(/code 1011.*bug in a session/);
    expect(await closeReason(inbound.channel)).toMatch(/frame handler failed/);
  });
});
