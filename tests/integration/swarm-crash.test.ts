// Promise 5 on real nodes over 127.0.0.1: nothing is lost by a crash, and every transfer resumes.
// One 200 MB blob, sent at a capped 20 MB/s so there is time to `kill -9` a node mid-transfer:
// first the holder mid-receive, then (placing the second replica) the origin mid-send. A TCP relay
// between the two counts the bytes that cross after the restart: fewer than the blob, exactly what
// was missing. Meanwhile both ledgers are sampled: a replica is 'receiving' until its whole,
// verified file is in the store, and the origin holds no custody receipt before that.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldCount, heldRows, ledgerEvents, readLedger, type StatusJson } from '../helpers/holder-view.js';
import { eventually, freePort, startNode, type NodeProc } from '../helpers/node-proc.js';
import { inswarmOk } from '../helpers/run.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { tempDir } from '../helpers/tmp.js';

const BLOB_PLAINTEXT = 200 * 1024 * 1024;
const RATE = '20MB/s';
/** What framing adds on the wire (41-byte data frame headers per 256 KiB, TLS records, control frames). */
const WIRE_OVERHEAD = 0.01;

let work: string;
let originDir: string;
let originId: string;
let originPort: number;
let blobId: string;
let blobSize: number;
const proxies: TcpProxy[] = [];

const ok = inswarmOk;

async function status(data: string): Promise<StatusJson> {
  return JSON.parse(await ok(['status', '--json'], data)) as StatusJson;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sizeOf = (path: string) => stat(path).then((s) => s.size, () => -1);
const partPath = (holder: string) => join(holder, 'incoming', `${blobId}.part`);
const blobPath = (data: string) => join(data, 'blobs', blobId.slice(0, 2), blobId);

/**
 * Samples the holder's and the origin's ledgers every 50 ms until stopped, recording every moment
 * a promise was broken: a replica 'held' without its whole file, or a custody receipt at the
 * origin for a replica the holder does not hold yet.
 */
function watch(holderDir: string, holderId: string): { stop(): Promise<{ samples: number; states: string[]; violations: string[] }> } {
  const violations: string[] = [];
  const states: string[] = [];
  let samples = 0;
  let running = true;
  const loop = (async () => {
    // Sample once more after stop() was asked for, so the state its caller just saw is recorded too.
    for (let last = false; !last; ) {
      last = !running;
      // Origin first: a receipt it recorded must already be backed by a held replica.
      const placements = readLedger(originDir, (db) => db.prepare('SELECT holder_id AS holderId, state FROM placements WHERE blob_id = ?').all(blobId) as { holderId: string; state: string }[]);
      const row = heldRows(holderDir).find((r) => r.blobId === blobId);
      const file = await sizeOf(blobPath(holderDir));
      samples++;
      if (row !== undefined && states.at(-1) !== row.state) states.push(row.state);
      if (row?.state === 'held' && file !== blobSize) violations.push(`held with a ${file}-byte file`);
      if (placements.some((p) => p.holderId === holderId && p.state === 'stored') && row?.state !== 'held') violations.push(`origin has a receipt while the holder's row is ${row?.state}`);
      if (row?.state === 'receiving' && file !== -1 && file !== blobSize) violations.push('a partial file in the store');
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, states, violations };
    },
  };
}

beforeAll(async () => {
  work = await tempDir('crash');
  originDir = join(work, 'origin');
  const key = await ok(['keygen', '--out', join(work, 'key.txt')], join(work, 'keydata'));
  await ok(['caps', 'set', '--up', RATE, '--replicas', '2'], originDir);
  await ok(['dest', 'set', key], originDir);
  originId = await ok(['id'], originDir);
  const file = join(work, 'video.bin');
  await writeFile(file, randomBytes(BLOB_PLAINTEXT));
  blobId = (await ok(['add', file], originDir)).split('\t')[0]!;
  blobSize = (await stat(blobPath(originDir))).size;
  originPort = await freePort();
}, 60_000);

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
});

let origin: NodeProc;
const startOrigin = (extra: string[]) => {
  origin = startNode(originDir, ['--listen', `127.0.0.1:${originPort}`, '--no-mdns', '--name', 'origin', ...extra]);
  return origin;
};

describe('kill -9 mid-transfer', () => {
  let holderA: string;
  let holderAId: string;
  let proxyA: TcpProxy;

  it('the holder, mid-receive: restarted, it resumes from its offset, verifies, and counts nothing partial as held', { timeout: 60_000 }, async () => {
    holderA = join(work, 'holder-a');
    holderAId = await ok(['id'], holderA);
    const port = await freePort();
    proxyA = await startTcpProxy(port);
    proxies.push(proxyA);
    let holder = startNode(holderA, ['--listen', `127.0.0.1:${port}`, '--no-mdns', '--name', 'holder-a']);
    await holder.waitFor('Listening for peers');
    startOrigin(['--peer', `${holderAId}@127.0.0.1:${proxyA.port}`]);
    const watcher = watch(holderA, holderAId);

    await eventually(async () => (await sizeOf(partPath(holderA))) > blobSize * 0.35, 40_000, 'the holder to receive a third of the blob');
    await holder.kill9();
    const atKill = await sizeOf(partPath(holderA));
    console.log(`holder killed at ${atKill} of ${blobSize} bytes`);
    expect(atKill).toBeLessThan(blobSize * 0.9);

    // Down, with a partial file: recorded as receiving, not held, and nothing in the store.
    const down = await status(holderA);
    expect(heldCount(down, 'receiving')).toBe(1);
    expect(heldCount(down, 'held')).toBe(0);
    expect(await sizeOf(blobPath(holderA))).toBe(-1);

    proxyA.reset();
    holder = startNode(holderA, ['--listen', `127.0.0.1:${port}`, '--no-mdns', '--name', 'holder-a']);
    await eventually(async () => heldRows(holderA).find((r) => r.blobId === blobId)?.state === 'held', 40_000, 'the replica to be held after the restart');
    const seen = await watcher.stop();
    console.log(`after the restart the origin sent ${proxyA.toTarget} bytes for the ${blobSize - atKill} missing; ${seen.samples} samples, states ${seen.states.join(' → ')}`);

    // Resumed: the holder asked for the rest only, and only the rest crossed the wire.
    const resumed = ledgerEvents(holderA, 'held:resumed').filter((e) => e.data['blobId'] === blobId);
    expect(resumed.map((e) => e.data['offset'])).toEqual([atKill]);
    expect(proxyA.toTarget).toBeGreaterThanOrEqual(blobSize - atKill);
    expect(proxyA.toTarget).toBeLessThan((blobSize - atKill) * (1 + WIRE_OVERHEAD) + 64 * 1024);

    // Whole and genuine, and never counted as held before it was.
    expect(await sha256File(blobPath(holderA))).toBe(blobId);
    expect(await sizeOf(partPath(holderA))).toBe(-1);
    expect(seen.violations).toEqual([]);
    expect(seen.states).toEqual(['receiving', 'held']);
    const up = await status(holderA);
    expect(heldCount(up, 'held')).toBe(1);
    expect(heldCount(up, 'receiving')).toBe(0);
    await eventually(async () => readLedger(originDir, (db) => db.prepare("SELECT count(*) AS n FROM placements WHERE blob_id = ? AND holder_id = ? AND state = 'stored'").get(blobId, holderAId) as { n: number }).n === 1, 10_000, 'the origin to record the custody receipt');
    expect(await holder.stop()).toBe(0);
  });

  it('the origin, mid-send: restarted, its placement completes from where it stopped', { timeout: 60_000 }, async () => {
    // The second replica goes to holder B, which links to the origin through a relay.
    const holderB = join(work, 'holder-b');
    const holderBId = await ok(['id'], holderB);
    const proxyB = await startTcpProxy(originPort);
    proxies.push(proxyB);
    const holder = startNode(holderB, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'holder-b', '--peer', `${originId}@127.0.0.1:${proxyB.port}`]);
    const watcher = watch(holderB, holderBId);

    await eventually(async () => (await sizeOf(partPath(holderB))) > blobSize * 0.35, 40_000, 'holder B to receive a third of the blob');
    await origin.kill9();
    // The holder notices the dropped link and keeps what it has for a resume.
    const paused = await eventually(async () => ledgerEvents(holderB, 'held:paused').find((e) => e.data['blobId'] === blobId), 10_000, 'holder B to pause the transfer');
    const atKill = await sizeOf(partPath(holderB));
    console.log(`origin killed; holder B has ${atKill} of ${blobSize} bytes (paused at ${String(paused.data['received'])})`);
    expect(atKill).toBe(paused.data['received']);
    expect(atKill).toBeLessThan(blobSize * 0.9);
    expect(heldRows(holderB).find((r) => r.blobId === blobId)?.state).toBe('receiving');

    proxyB.reset();
    startOrigin([]);
    await eventually(async () => (await status(originDir)).placed === 1, 45_000, 'both replicas to be placed after the origin restarted');
    const seen = await watcher.stop();
    console.log(`after the restart the origin sent ${proxyB.fromTarget} bytes for the ${blobSize - atKill} missing; ${seen.samples} samples, states ${seen.states.join(' → ')}`);

    const resumed = ledgerEvents(holderB, 'held:resumed').filter((e) => e.data['blobId'] === blobId);
    expect(resumed.map((e) => e.data['offset'])).toEqual([atKill]);
    expect(proxyB.fromTarget).toBeGreaterThanOrEqual(blobSize - atKill);
    expect(proxyB.fromTarget).toBeLessThan((blobSize - atKill) * (1 + WIRE_OVERHEAD) + 64 * 1024);

    expect(await sha256File(blobPath(holderB))).toBe(blobId);
    expect(seen.violations).toEqual([]);
    expect(seen.states).toEqual(['receiving', 'held']);
    const stored = readLedger(originDir, (db) => db.prepare("SELECT holder_id AS holderId FROM placements WHERE blob_id = ? AND state = 'stored'").all(blobId) as { holderId: string }[]);
    expect(stored.map((s) => s.holderId).sort()).toEqual([holderAId, holderBId].sort());
    expect(await holder.stop()).toBe(0);
    expect(await origin.stop()).toBe(0);
  });
});
