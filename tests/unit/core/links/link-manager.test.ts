// Peer links between real LinkManagers: real sockets on 127.0.0.1, real TLS 1.3 with device
// certificates. What matters to a user: a link reaches exactly the device it was meant for, both
// ends know who the other is, and nothing is exchanged with anyone else.

import { once } from 'node:events';
import { connect as connectTcp, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import type { DeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';
import { LINK_PATH, type Link } from '../../../../src/main/core/links/link.js';
import type { Frame } from '../../../../src/main/core/protocol/messages.js';
import { IdentityPool, LOCALHOST, Nodes, closeReason, linkPair, record, settle, sleep, waitFor, type Node } from './link-fixtures.js';

const pool = await IdentityPool.create();
let alice: DeviceIdentity;
let bob: DeviceIdentity;
let carol: DeviceIdentity;
let mallory: DeviceIdentity;
const nodes = new Nodes();
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  [alice, bob, carol, mallory] = await Promise.all([pool.identity('alice'), pool.identity('bob'), pool.identity('carol'), pool.identity('mallory')]);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await nodes.stopAll();
});
afterAll(async () => {
  await pool.remove();
});

/** A raw TLS connection to a listener, optionally presenting a device certificate. */
async function rawTls(to: Node, as: DeviceIdentity | undefined, extra: { maxVersion?: 'TLSv1.2' } = {}): Promise<TLSSocket> {
  const socket = tlsConnect({
    host: LOCALHOST,
    port: to.address.port,
    rejectUnauthorized: false,
    ...(as === undefined ? {} : { key: as.keyPem, cert: as.certPem }),
    ...extra,
  });
  cleanups.push(() => socket.destroy());
  await once(socket, 'secureConnect');
  return socket;
}

/** Everything a socket receives until it closes, and when it closed. */
function drain(socket: Socket): { text: () => string; closed: Promise<void> } {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  return { text: () => Buffer.concat(chunks).toString('latin1'), closed: once(socket, 'close').then(() => undefined) };
}

async function listenOn<T extends NetServer>(server: T): Promise<number> {
  server.listen(0, LOCALHOST);
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

function codeOf(error: unknown): string | undefined {
  return isInswarmError(error) ? error.code : undefined;
}

/** Sends a text frame each way and checks it arrives: the link is alive and joins these two ends. */
async function expectWorking(one: Link, other: Link): Promise<void> {
  const atOther = record(other.channel);
  const atOne = record(one.channel);
  const word = randomBytes(8).toString('hex');
  await one.channel.send({ kind: 'text', text: `to-other ${word}` });
  await other.channel.send({ kind: 'text', text: `to-one ${word}` });
  await waitFor(() => atOther.frames.length > 0 && atOne.frames.length > 0, 'a frame each way');
  expect(atOther.frames).toEqual([{ kind: 'text', text: `to-other ${word}` }]);
  expect(atOne.frames).toEqual([{ kind: 'text', text: `to-one ${word}` }]);
}

describe('LinkManager: authenticated links', () => {
  it('links two devices that exchange text and binary frames both ways, each knowing the other', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    expect(a.address.port).toBeGreaterThan(0);

    const { out, in: inbound } = await linkPair(a, b);
    expect(out.deviceId).toBe(bob.deviceId);
    expect(out.direction).toBe('out');
    expect(out.address).toEqual(b.address);
    expect(inbound.deviceId).toBe(alice.deviceId);
    expect(inbound.direction).toBe('in');
    expect(inbound.address.host).toBe(LOCALHOST);
    expect(a.links).toEqual([out]); // onLink reports outbound links too
    expect(a.manager.links()).toEqual([out]);
    expect(b.manager.links()).toEqual([inbound]);

    const atBob = record(inbound.channel);
    const atAlice = record(out.channel);
    const fromAlice = randomBytes(200_000);
    const fromBob = randomBytes(70_000);
    await out.channel.send({ kind: 'text', text: '{"type":"hello","name":"Alice’s laptop"}' });
    await out.channel.send({ kind: 'binary', bytes: fromAlice });
    await inbound.channel.send({ kind: 'binary', bytes: fromBob });
    await inbound.channel.send({ kind: 'text', text: 'ünïcödé ✓' });
    await waitFor(() => atBob.frames.length === 2 && atAlice.frames.length === 2, 'two frames each way');

    expect(atBob.frames[0]).toEqual({ kind: 'text', text: '{"type":"hello","name":"Alice’s laptop"}' });
    expect(atBob.frames[1]!.kind).toBe('binary');
    expect(Buffer.from((atBob.frames[1] as Extract<Frame, { kind: 'binary' }>).bytes).equals(fromAlice)).toBe(true);
    expect(atAlice.frames[0]!.kind).toBe('binary');
    expect(Buffer.from((atAlice.frames[0] as Extract<Frame, { kind: 'binary' }>).bytes).equals(fromBob)).toBe(true);
    expect(atAlice.frames[1]).toEqual({ kind: 'text', text: 'ünïcödé ✓' });
    expect(a.refusals).toEqual([]);
    expect(b.refusals).toEqual([]);
  });

  it('delivers frames that arrive before anyone listens, in order, once a handler is added', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    const { out, in: inbound } = await linkPair(a, b);
    for (let i = 0; i < 5; i++) await out.channel.send({ kind: 'text', text: `early ${i}` });
    await sleep(200);
    const seen = record(inbound.channel);
    await waitFor(() => seen.frames.length === 5, 'the early frames');
    expect(seen.frames.map((f) => (f.kind === 'text' ? f.text : '?'))).toEqual(['early 0', 'early 1', 'early 2', 'early 3', 'early 4']);
  });

  it('speaks TLS 1.3 only, as listener and as dialer', async () => {
    const b = await nodes.start(bob);
    const modern = await rawTls(b, alice);
    expect(modern.getProtocol()).toBe('TLSv1.3');

    const old = tlsConnect({ host: LOCALHOST, port: b.address.port, rejectUnauthorized: false, key: alice.keyPem, cert: alice.certPem, maxVersion: 'TLSv1.2' });
    cleanups.push(() => old.destroy());
    const [err] = (await once(old, 'error')) as [Error & { code?: string }];
    expect(err.code ?? err.message).toMatch(/VERSION|PROTOCOL/i);

    // A listener that offers only TLS 1.2 (with bob's real certificate) is not dialed.
    const legacy = createTlsServer({ key: bob.keyPem, cert: bob.certPem, maxVersion: 'TLSv1.2' }, (s) => s.on('error', () => undefined));
    legacy.on('tlsClientError', () => undefined);
    const port = await listenOn(legacy);
    const a = await nodes.start(alice);
    const result = await settle(a.manager.connect({ host: LOCALHOST, port }, bob.deviceId));
    expect(codeOf(result.error)).toBe('E_LINK_FAILED');
    expect(a.manager.links()).toEqual([]);
  });

  it('refuses a listener with another device ID before writing a byte to it', async () => {
    // mallory's listener, reached by someone who expects bob there.
    const received: Buffer[] = [];
    let connections = 0;
    const impostor = createTlsServer({ key: mallory.keyPem, cert: mallory.certPem, requestCert: true, rejectUnauthorized: false }, (socket) => {
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', () => undefined);
    });
    impostor.on('connection', () => {
      connections += 1;
    });
    impostor.on('tlsClientError', () => undefined);
    const port = await listenOn(impostor);
    const a = await nodes.start(alice);
    const result = await settle(a.manager.connect({ host: LOCALHOST, port }, bob.deviceId));
    expect(codeOf(result.error)).toBe('E_PEER_MISMATCH');
    expect((result.error as Error).message).toContain(mallory.deviceId.slice(0, 7));
    await sleep(200);
    expect(connections).toBe(1); // the dial reached mallory, saw its certificate…
    expect(Buffer.concat(received).length).toBe(0); // …and wrote nothing after TLS, not even the HTTP upgrade.
    expect(a.refusals).toEqual([{ reason: 'mismatch', direction: 'out', address: { host: LOCALHOST, port }, deviceId: mallory.deviceId, expectedDeviceId: bob.deviceId }]);
    expect(a.warnings.join('\n')).toMatch(/refused outbound link.*expected/);
    expect(a.manager.links()).toEqual([]);
  });

  it('refuses a real peer reached under the wrong device ID: the peer never gets a link or a frame', async () => {
    const b = await nodes.start(bob);
    const c = await nodes.start(carol);
    const frames: Frame[] = [];
    b.manager.onLink((link) => link.channel.onFrame((frame) => frames.push(frame)));
    const result = await settle(c.manager.connect(b.address, alice.deviceId));
    expect(codeOf(result.error)).toBe('E_PEER_MISMATCH');
    await sleep(200);
    expect(b.links).toEqual([]);
    expect(frames).toEqual([]);
    expect(b.manager.links()).toEqual([]);
    expect(c.manager.links()).toEqual([]);
    expect(c.refusals.map((r) => r.reason)).toEqual(['mismatch']);
  });

  it('refuses a client that presents no certificate', async () => {
    const b = await nodes.start(bob);
    const bare = await rawTls(b, undefined);
    const seen = drain(bare);
    bare.write(`GET ${LINK_PATH} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await seen.closed;
    expect(seen.text()).toBe(''); // no HTTP answer at all, let alone a 101

    const ws = new WebSocket(`wss://${LOCALHOST}:${b.address.port}${LINK_PATH}`, { rejectUnauthorized: false, perMessageDeflate: false });
    let opened = false;
    ws.on('open', () => {
      opened = true;
    });
    ws.on('error', () => undefined);
    await new Promise((resolve) => ws.once('close', resolve));
    expect(opened).toBe(false);
    expect(b.links).toEqual([]);
    expect(b.refusals.map((r) => r.reason)).toEqual(['no-certificate', 'no-certificate']);
  });

  it('cuts off a TLS client that sends garbage or nothing instead of an upgrade, without touching a live link', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob, { handshakeTimeoutMs: 400 });
    const { out, in: inbound } = await linkPair(a, b);

    const garbage = await rawTls(b, carol);
    const answer = drain(garbage);
    garbage.write(Buffer.concat([Buffer.from('\x16\x03\x01 NOT HTTP \x00\xff'), randomBytes(64), Buffer.from('\r\n\r\n')]));
    await answer.closed;
    expect(answer.text()).toMatch(/^HTTP\/1\.1 400/);

    const plain = await rawTls(b, carol);
    const plainAnswer = drain(plain);
    plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await plainAnswer.closed;
    expect(plainAnswer.text()).toMatch(/^HTTP\/1\.1 426/);

    const wrongPath = await rawTls(b, carol);
    const wrongPathAnswer = drain(wrongPath);
    wrongPath.write('GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await wrongPathAnswer.closed;
    expect(wrongPathAnswer.text()).toMatch(/^HTTP\/1\.1 400/);

    const started = Date.now();
    const silent = await rawTls(b, carol);
    await drain(silent).closed;
    expect(Date.now() - started).toBeLessThan(3_000);

    expect(b.refusals.map((r) => r.reason)).toEqual(['bad-handshake', 'bad-handshake', 'bad-handshake', 'bad-handshake']);
    expect(b.refusals.every((r) => r.deviceId === carol.deviceId)).toBe(true);
    expect(b.links).toHaveLength(1);
    await expectWorking(out, inbound);
  });

  it('refuses blocked devices both ways, and links with itself', async () => {
    const blocked = new Set<string>();
    const a = await nodes.start(alice);
    const b = await nodes.start(bob, {}, { blocklist: blocked });
    blocked.add(alice.deviceId); // consulted per attempt, so it may change while running

    const inbound = await settle(a.manager.connect(b.address, bob.deviceId));
    expect(codeOf(inbound.error)).toBe('E_LINK_FAILED');
    expect(b.refusals).toEqual([expect.objectContaining({ reason: 'blocked', direction: 'in', deviceId: alice.deviceId })]);
    expect(b.links).toEqual([]);

    const outbound = await settle(b.manager.connect(a.address, alice.deviceId));
    expect(codeOf(outbound.error)).toBe('E_PEER_BLOCKED');
    expect(a.links).toEqual([]);

    const self = await settle(a.manager.connect(a.address, alice.deviceId));
    expect(codeOf(self.error)).toBe('E_PEER_SELF');

    // Someone presenting bob's own certificate to bob.
    const twin = await rawTls(b, bob);
    await drain(twin).closed;
    expect(b.refusals.at(-1)).toEqual(expect.objectContaining({ reason: 'self', deviceId: bob.deviceId }));

    blocked.delete(alice.deviceId);
    await linkPair(a, b);
  });

  it('keeps at most maxLinks links and says why it refuses more', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob, { maxLinks: 1 });
    const c = await nodes.start(carol);
    const { out } = await linkPair(a, b);

    const third = await settle(c.manager.connect(b.address, bob.deviceId));
    expect(codeOf(third.error)).toBe('E_LINK_LIMIT');
    expect((third.error as Error).message).toMatch(/too many links/);
    expect(b.refusals).toEqual([expect.objectContaining({ reason: 'too-many-links', direction: 'in', deviceId: carol.deviceId })]);
    expect(b.warnings.join('\n')).toMatch(/too many links/);

    const dialOut = await settle(b.manager.connect(c.address, carol.deviceId));
    expect(codeOf(dialOut.error)).toBe('E_LINK_LIMIT');
    expect(b.manager.links()).toHaveLength(1);
    expect(c.links).toEqual([]);

    // A second connect to a device already linked is not a new link and is not refused.
    expect(await b.manager.connect(a.address, alice.deviceId)).toBe(b.manager.links()[0]);

    out.channel.close('done');
    await waitFor(() => b.manager.links().length === 0, 'bob to drop the closed link');
    await linkPair(c, b);
  });

  it('answers concurrent and repeated connects to one device with one link', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    const [first, second] = await Promise.all([a.manager.connect(b.address, bob.deviceId), a.manager.connect(b.address, bob.deviceId)]);
    expect(second).toBe(first);
    expect(await a.manager.connect(b.address, bob.deviceId)).toBe(first);
    await sleep(100);
    expect(b.links).toHaveLength(1);
    expect(a.links).toHaveLength(1);
  });

  it('collapses two devices dialing each other at once to the link dialed by the lower device ID', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    const lowerIsAlice = alice.deviceId < bob.deviceId;
    for (let round = 0; round < 4; round++) {
      const [fromA, fromB] = await Promise.allSettled([a.manager.connect(b.address, bob.deviceId), b.manager.connect(a.address, alice.deviceId)]);
      expect(fromA.status).toBe('fulfilled');
      expect(fromB.status).toBe('fulfilled');
      await waitFor(() => a.manager.links().length === 1 && b.manager.links().length === 1, 'one link each');
      await sleep(100); // let any duplicate finish closing
      const [atA] = a.manager.links();
      const [atB] = b.manager.links();
      expect(a.manager.links()).toHaveLength(1);
      expect(b.manager.links()).toHaveLength(1);
      expect(atA!.direction).toBe(lowerIsAlice ? 'out' : 'in');
      expect(atB!.direction).toBe(lowerIsAlice ? 'in' : 'out');
      await expectWorking(atA!, atB!);
      atA!.channel.close('next round');
      await waitFor(() => a.manager.links().length === 0 && b.manager.links().length === 0, 'the round to end');
    }
    // The race really happened: both ends saw two links and each kept the lower device's dial.
    const lower = (lowerIsAlice ? alice : bob).deviceId.slice(0, 7);
    for (const node of [a, b]) {
      const resolved = node.infos.filter((line) => line.includes('two links'));
      expect(resolved.length).toBeGreaterThan(0);
      expect(resolved.every((line) => line.endsWith(`keeping the one dialed by ${lower}`))).toBe(true);
    }
  });

  it('replaces a link when the same device dials again (it lost the old one)', async () => {
    const b = await nodes.start(bob);
    const a1 = await nodes.start(alice);
    const { out: old } = await linkPair(a1, b);
    const oldClosed = closeReason(old.channel);
    const a2 = await nodes.start(alice); // alice restarted: same identity, a new process
    const { out: fresh, in: inbound } = await linkPair(a2, b);
    expect(await oldClosed).toMatch(/duplicate/);
    expect(b.manager.links()).toEqual([inbound]);
    await expectWorking(fresh, inbound);
  });

  it('cancels a dial on abort, and gives up on a peer that never finishes its handshake', async () => {
    const silent = createNetServer((socket) => socket.on('error', () => undefined));
    const port = await listenOn(silent);
    const a = await nodes.start(alice, { handshakeTimeoutMs: 300 });

    const controller = new AbortController();
    const dialing = a.manager.connect({ host: LOCALHOST, port }, bob.deviceId, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const aborted = await settle(dialing, 2_000);
    expect(codeOf(aborted.error)).toBe('E_ABORTED');

    const started = Date.now();
    const timedOut = await settle(a.manager.connect({ host: LOCALHOST, port }, bob.deviceId), 3_000);
    expect(codeOf(timedOut.error)).toBe('E_LINK_FAILED');
    expect(Date.now() - started).toBeLessThan(2_000);

    const alreadyAborted = await settle(a.manager.connect({ host: LOCALHOST, port }, bob.deviceId, { signal: AbortSignal.abort() }));
    expect(codeOf(alreadyAborted.error)).toBe('E_ABORTED');
  });

  it('starts and stops idempotently, closing links as going away', async () => {
    const a = await nodes.start(alice);
    const b = await nodes.start(bob);
    expect(await b.manager.start({ host: LOCALHOST, port: 0 })).toEqual(b.address);
    const { in: inbound } = await linkPair(a, b);
    const atBob = closeReason(inbound.channel);
    // A connection stuck before its TLS handshake must not hold stop up for the handshake timeout.
    const stuck = connectTcp(a.address.port);
    cleanups.push(() => stuck.destroy());
    await once(stuck, 'connect');
    const stopping = Date.now();
    await Promise.all([a.manager.stop(), a.manager.stop()]);
    expect(Date.now() - stopping).toBeLessThan(3_000);
    await a.manager.stop();
    expect(await atBob).toMatch(/going away/);
    expect(a.manager.links()).toEqual([]);
    await waitFor(() => b.manager.links().length === 0, 'bob to drop the link');
    expect(codeOf((await settle(a.manager.connect(b.address, bob.deviceId))).error)).toBe('E_USAGE');
    const dial = await settle(tlsConnectTo(a.address.port));
    expect(dial.error).toBeDefined(); // nothing listens any more

    const again = await a.manager.start({ host: LOCALHOST, port: 0 });
    expect(again.port).toBeGreaterThan(0);
    await linkPair(a, b);
  });
});

function tlsConnectTo(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: LOCALHOST, port, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
