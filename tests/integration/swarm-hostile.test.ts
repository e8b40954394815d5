// Promises 2, 4 and 5 against bad peers, on a real holder over 127.0.0.1. The hostile peers live in
// the test process, built from the real building blocks (own device identity, LinkManager with
// mutual TLS, protocol Session and codec): they flip bytes, present the wrong certificate, lie
// about sizes, flood offers and stall. Each attack runs while an honest origin (a real node) is
// placing a blob on the same holder, and that placement must complete with identical bytes.

import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/main/core/protocol/codec.js';
import { MAX_DECLINED_OFFERS_BURST, MAX_INBOUND_TRANSFERS } from '../../src/main/core/protocol/session.js';
import { heldRows, ledgerEvents, readLedger, type StatusJson } from '../helpers/holder-view.js';
import { eventually, freePort, startNode, type NodeProc } from '../helpers/node-proc.js';
import { inswarmOk } from '../helpers/run.js';
import { randomBlob, TestPeer } from '../helpers/test-peer.js';
import { tempDir } from '../helpers/tmp.js';

/** The holder drops a stalled transfer after this long (test override of the protocol's 60 s). */
const STALL_MS = 3_000;

let work: string;
let holderDir: string;
let holderId: string;
let holderPort: number;
let originDir: string;
let holder: NodeProc;
let origin: NodeProc;
let placedSoFar = 0;
const peers: TestPeer[] = [];

const ok = inswarmOk;

async function status(data: string): Promise<StatusJson> {
  return JSON.parse(await ok(['status', '--json'], data)) as StatusJson;
}

async function newPeer(): Promise<TestPeer> {
  const peer = await TestPeer.create();
  peers.push(peer);
  return peer;
}

const exists = (path: string) => stat(path).then(() => true, () => false);
const storePath = (id: string) => join(holderDir, 'blobs', id.slice(0, 2), id);
const partPath = (id: string) => join(holderDir, 'incoming', `${id}.part`);

/**
 * The honest origin adds an 8 MB file; resolves once the holder is receiving it (so the attack
 * that follows overlaps it), with a `done` that checks the placement completed with equal bytes.
 */
async function honestTransfer(label: string): Promise<{ done: () => Promise<void> }> {
  const file = join(work, `${label}.bin`);
  await writeFile(file, randomBytes(8 * 1024 * 1024));
  const blobId = (await ok(['add', file], originDir)).split('\t')[0]!;
  await eventually(async () => heldRows(holderDir).find((r) => r.blobId === blobId)?.state === 'receiving', 20_000, `the honest ${label} transfer to start`);
  return {
    done: async () => {
      placedSoFar++;
      await eventually(async () => (await status(originDir)).placed === placedSoFar, 30_000, `the honest ${label} placement to complete`);
      expect(heldRows(holderDir).find((r) => r.blobId === blobId)?.state).toBe('held');
      const held = await readFile(storePath(blobId));
      expect(createHash('sha256').update(held).digest('hex')).toBe(blobId);
      expect(held.equals(await readFile(join(originDir, 'blobs', blobId.slice(0, 2), blobId)))).toBe(true);
    },
  };
}

/** The holder keeps no trace of `blobId`: no row, no partial, nothing in the store. */
async function expectNothingKept(blobId: string): Promise<void> {
  expect(heldRows(holderDir).find((r) => r.blobId === blobId)).toBeUndefined();
  expect(await exists(partPath(blobId))).toBe(false);
  expect(await exists(storePath(blobId))).toBe(false);
}

/** The error a refused request rejects with, as its stable protocol code. */
async function refusal(request: Promise<unknown>): Promise<string> {
  const err = await request.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtocolError);
  return (err as ProtocolError).code;
}

beforeAll(async () => {
  work = await tempDir('hostile');
  holderDir = join(work, 'holder');
  originDir = join(work, 'origin');
  holderId = await ok(['id'], holderDir);
  holderPort = await freePort();
  const key = await ok(['keygen', '--out', join(work, 'key.txt')], join(work, 'keydata'));
  // 4 MB/s: an 8 MB placement takes about 2 s, long enough for an attack to run beside it.
  await ok(['caps', 'set', '--up', '4MB/s', '--replicas', '1'], originDir);
  await ok(['dest', 'set', key], originDir);
  holder = startNode(holderDir, ['--listen', `127.0.0.1:${holderPort}`, '--no-mdns', '--name', 'holder'], { INSWARM_TEST_TRANSFER_STALL_MS: String(STALL_MS) });
  await holder.waitFor('Listening for peers');
  origin = startNode(originDir, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'honest', '--peer', `${holderId}@127.0.0.1:${holderPort}`]);
  await origin.waitFor('Listening for peers');
}, 60_000);

afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  expect(await origin.stop()).toBe(0);
  expect(await holder.stop()).toBe(0);
});

describe('a real holder against hostile peers', () => {
  it('(a) flipped bytes are refused at commit with E_PROTO_HASH and nothing is kept', async () => {
    const honest = await honestTransfer('a');
    const peer = await newPeer();
    const { session } = await peer.connect(holderPort, holderId);
    const blob = randomBlob(1_000_000);
    expect(await session.offer(blob.blobId, peer.ticket({ blobId: blob.blobId, size: blob.bytes.length }))).toEqual({ accepted: true, offset: 0 });
    const tampered = Buffer.from(blob.bytes);
    tampered[654_321]! ^= 0x01;
    await TestPeer.send(session, blob.blobId, tampered);
    expect(await refusal(session.commit(blob.blobId, blob.bytes.length))).toBe('E_PROTO_HASH');
    await expectNothingKept(blob.blobId);
    await honest.done();
  });

  it('(b) a certificate that is not the pinned device ID gets no link', async () => {
    const honest = await honestTransfer('b');
    // A real node told to find some other device at the holder's address.
    const other = await newPeer();
    const misled = join(work, 'misled');
    const misledId = await ok(['id'], misled);
    const node = startNode(misled, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'misled', '--peer', `${other.deviceId}@127.0.0.1:${holderPort}`]);
    await node.waitFor('Listening for peers');
    // The same from the test: the dial stops at the certificate.
    const err = await other.links.connect({ host: '127.0.0.1', port: holderPort }, misledId).then(() => null, (e: unknown) => e as { code?: string });
    expect(err?.code).toBe('E_PEER_MISMATCH');
    // Several redials (0.5 s, 1 s, 2 s…) later there is still no link, on either side.
    await new Promise((r) => setTimeout(r, 4_000));
    const misledStatus = await status(misled);
    expect(misledStatus.running?.linked).toEqual([]);
    expect((await status(holderDir)).running?.linked.map((p) => p.deviceId)).not.toContain(misledId);
    expect(readLedger(misled, (db) => db.prepare('SELECT count(*) AS n FROM peers').get() as { n: number }).n).toBe(0);
    expect(await node.stop()).toBe(0);
    await honest.done();
  });

  it('(c) a peer that sends more than its ticket says is cut off; one that commits a wrong size is refused', async () => {
    const honest = await honestTransfer('c');
    // More data than announced: the ticket says 100 kB, the frame carries 200 kB.
    const liar = await newPeer();
    const link = await liar.connect(holderPort, holderId);
    const big = randomBlob(200_000);
    expect(await link.session.offer(big.blobId, liar.ticket({ blobId: big.blobId, size: 100_000 }))).toEqual({ accepted: true, offset: 0 });
    await link.session.sendData(big.blobId, 0, big.bytes);
    expect(await link.closed).toMatch(/E_PROTO_SIZE/);
    await expectNothingKept(big.blobId);

    // A commit that claims another size than the ticket and the bytes: refused, not stored.
    const fibber = await newPeer();
    const { session } = await fibber.connect(holderPort, holderId);
    const blob = randomBlob(100_000);
    expect(await session.offer(blob.blobId, fibber.ticket({ blobId: blob.blobId, size: blob.bytes.length }))).toEqual({ accepted: true, offset: 0 });
    await TestPeer.send(session, blob.blobId, blob.bytes);
    expect(await refusal(session.commit(blob.blobId, blob.bytes.length + 1))).toBe('E_PROTO_SIZE');
    const row = heldRows(holderDir).find((r) => r.blobId === blob.blobId);
    expect(row?.state).not.toBe('held');
    expect(await exists(storePath(blob.blobId))).toBe(false);
    await honest.done();
  });

  it('(d) a peer that floods offers is declined, then cut off with E_PROTO_LIMIT', async () => {
    const honest = await honestTransfer('d');
    const peer = await newPeer();
    const link = await peer.connect(holderPort, holderId);
    // Offers for 10 TB blobs: each one is genuine and signed, and each is refused as too large.
    const offers = Array.from({ length: MAX_DECLINED_OFFERS_BURST + 50 }, () => {
      const blobId = randomBytes(32).toString('hex');
      return link.session.offer(blobId, peer.ticket({ blobId, size: 10 ** 13 }));
    });
    const answers = await Promise.allSettled(offers);
    const declined = answers.filter((a) => a.status === 'fulfilled');
    expect(declined).toHaveLength(MAX_DECLINED_OFFERS_BURST);
    for (const a of declined) expect(a.value).toEqual({ accepted: false, reason: 'too-large' });
    expect(await link.closed).toMatch(/E_PROTO_LIMIT/);
    expect(heldRows(holderDir).filter((r) => r.originId === peer.deviceId)).toEqual([]);
    await honest.done();
  });

  it('(e) a peer that stalls after accept loses its slots after the stall timeout; its partials wait for a resume', async () => {
    const honest = await honestTransfer('e');
    const peer = await newPeer();
    const { session } = await peer.connect(holderPort, holderId);
    const blobs = Array.from({ length: MAX_INBOUND_TRANSFERS + 1 }, () => randomBlob(1_000_000));
    const ticket = (b: (typeof blobs)[number]) => peer.ticket({ blobId: b.blobId, size: b.bytes.length });
    // Fill every slot the holder gives one peer, send a little of each, then go quiet.
    for (const b of blobs.slice(0, MAX_INBOUND_TRANSFERS)) {
      expect(await session.offer(b.blobId, ticket(b))).toEqual({ accepted: true, offset: 0 });
      await TestPeer.send(session, b.blobId, b.bytes, 0, 300_000);
    }
    const stalledAt = Date.now();
    const extra = blobs[MAX_INBOUND_TRANSFERS]!;
    expect(await session.offer(extra.blobId, ticket(extra))).toMatchObject({ accepted: false, reason: 'busy' });

    // After the stall timeout the slots are free again (the link itself stays up).
    const paused = await eventually(
      async () => {
        const events = ledgerEvents(holderDir, 'held:paused').filter((e) => blobs.some((b) => b.blobId === e.data['blobId']));
        return events.length === MAX_INBOUND_TRANSFERS ? events : null;
      },
      STALL_MS + 5_000,
      'the stalled transfers to be dropped',
    );
    for (const e of paused) {
      expect(e.data['why']).toBe('it stalled');
      expect(e.data['received']).toBe(300_000);
      expect(e.at - stalledAt).toBeGreaterThanOrEqual(STALL_MS - 500);
    }
    expect(await session.offer(extra.blobId, ticket(extra))).toEqual({ accepted: true, offset: 0 });
    // A stalled transfer's partial is kept (still 'receiving', never held): offering it again resumes.
    const first = blobs[0]!;
    expect(heldRows(holderDir).find((r) => r.blobId === first.blobId)?.state).toBe('receiving');
    expect(await session.offer(first.blobId, ticket(first))).toEqual({ accepted: true, offset: 300_000 });
    await TestPeer.send(session, first.blobId, first.bytes, 300_000);
    await session.commit(first.blobId, first.bytes.length);
    expect(heldRows(holderDir).find((r) => r.blobId === first.blobId)?.state).toBe('held');
    await honest.done();
  });
});
