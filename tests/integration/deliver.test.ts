// Flush, end to end in one process with real parts: real nodes (ledger, store, swarm on loopback
// mTLS), a real receiver over HTTPS, a real s3rver, a real folder. Checks HEAD-first, proofs,
// dropped copies, backoff after a failure, and releases from an origin whose blob is delivered.

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/core/library/library.js';
import { InswarmNode } from '../../src/main/core/node.js';
import { verifyDeliveryReceipt } from '../../src/main/core/protocol/signed.js';
import { ReceiverServer } from '../../src/main/core/receiver/receiver-server.js';
import { generateIdentity, parseIdentity } from '../../src/main/core/seal/age-keys.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { eventually, freePort } from '../helpers/node-proc.js';
import { isolatedAwsEnv, startS3rver, useEnv, type S3rverHandle } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tmp.js';

const BUCKET = 'photos';
let s3: S3rverHandle;
let restoreEnv: () => void;
const open: InswarmNode[] = [];
const servers: ReceiverServer[] = [];

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  restoreEnv = useEnv(await isolatedAwsEnv());
});
afterAll(async () => {
  restoreEnv();
  await s3.close();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  for (const node of open.splice(0)) await node.close();
});

async function node(label: string, options: Parameters<typeof InswarmNode.open>[1] = {}): Promise<InswarmNode> {
  const n = await InswarmNode.open(await tempDir(`inswarm-deliver-${label}`), options);
  open.push(n);
  return n;
}

/** A home: the destination key, a receiver (its own node's identity and ledger) and its library. */
async function home(options: { port?: number } = {}) {
  const key = await generateIdentity();
  const receiverNode = await node('receiver');
  const library = join(await tempDir('inswarm-library'), 'Photos');
  const server = new ReceiverServer({
    identity: receiverNode.identity,
    ledger: receiverNode.ledger,
    library: new Library(receiverNode.ledger, library),
    identities: [parseIdentity(key.identity)],
    receivedDir: join(receiverNode.dataDir, 'received'),
  });
  servers.push(server);
  // With a port given, the receiver is not started: the test starts it (it is "down" until then).
  const port = options.port ?? (await server.start({ host: '127.0.0.1', port: 0 })).port;
  const url = `https://127.0.0.1:${port}`;
  return { key, receiverNode, server, library, url, receiverId: receiverNode.identity.deviceId };
}

async function photo(dir: string, name: string, date: string, seed: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = makeJpeg(date, { seed });
  const path = join(dir, name);
  await writeFile(path, bytes);
  await utimes(path, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
  return { path, bytes };
}

const heldBytes = (n: InswarmNode): number => n.ledger.heldSummary().filter((s) => ['receiving', 'held', 'delivering'].includes(s.state)).reduce((t, s) => t + s.bytes, 0);

describe('deliver --now from the origin', () => {
  it('delivers own blobs to a receiver, a bucket and a folder, keeps the proof and drops the sealed copies', async () => {
    const h = await home();
    const origin = await node('origin');
    h.server.store.enroll(origin.identity.deviceId, 'phone');
    const folder = await tempDir('inswarm-cloud-folder');
    origin.destinations.add({ label: 'home', recipient: h.key.recipient, endpoint: { kind: 'receiver', url: h.url, receiverId: h.receiverId } }, { makeDefault: true });
    origin.destinations.add({ label: 'bucket', recipient: h.key.recipient, endpoint: { kind: 's3', bucket: BUCKET, prefix: 'venue', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true } });
    origin.destinations.add({ label: 'cloud', recipient: h.key.recipient, endpoint: { kind: 'folder', path: folder } });
    const src = await tempDir('inswarm-src');
    const a = await photo(src, 'A.JPG', '2026:07:01 10:00:00', 1);
    const b = await photo(src, 'B.JPG', '2026:07:02 10:00:00', 2);
    const c = await photo(src, 'C.JPG', '2026:07:03 10:00:00', 3);
    const [ba] = await origin.addFiles([[{ path: a.path }]]);
    const [bb] = await origin.addFiles([[{ path: b.path }]], { destination: 'bucket' });
    const [bc] = await origin.addFiles([[{ path: c.path }]], { destination: 'cloud' });

    const report = await origin.deliverNow();
    expect(report).toMatchObject({ uploaded: 3, alreadyThere: 0, failed: 0 });
    expect(report.bytesUploaded).toBe(ba!.size + bb!.size + bc!.size);

    // Receiver: the photo is in the library under its day; the signed receipt is in the ledger.
    expect(await readFile(join(h.library, '2026/07/01/A.JPG'))).toEqual(a.bytes);
    const receipts = origin.ledger.receiptsOf(ba!.blobId).filter((r) => r.kind === 'delivery');
    expect(receipts).toHaveLength(1);
    const signed = { body: Buffer.from(receipts[0]!.body).toString('base64'), sig: Buffer.from(receipts[0]!.signature).toString('base64') };
    expect(verifyDeliveryReceipt(signed, { expectedReceiver: h.receiverId, expectedBlobId: ba!.blobId, expectedSize: ba!.size }).receiver).toBe(h.receiverId);
    // Bucket and folder hold the exact blob bytes under the blob's name.
    const object = await new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' }).send(new GetObjectCommand({ Bucket: BUCKET, Key: `venue/${bb!.blobId}` }));
    const objectBytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(createHash('sha256').update(objectBytes).digest('hex')).toBe(bb!.blobId);
    expect(await readdir(folder)).toEqual([bc!.blobId]);
    for (const blob of [ba!, bb!, bc!]) {
      expect(origin.ledger.getOutbox(blob.blobId)?.state).toBe('delivered');
      expect(await origin.store.has(blob.blobId)).toBe(false);
    }
    // Nothing is left to do: a second flush touches nothing.
    expect(await origin.deliverNow()).toMatchObject({ uploaded: 0, alreadyThere: 0, failed: 0 });
  });

  it('waits out a backoff after a failure, then delivers on a later pass', async () => {
    let skew = 0;
    const now = () => Date.now() + skew;
    const h = await home({ port: await freePort() });
    const origin = await node('origin-retry', { now });
    h.server.store.enroll(origin.identity.deviceId, 'phone');
    origin.destinations.add({ label: 'home', recipient: h.key.recipient, endpoint: { kind: 'receiver', url: h.url, receiverId: h.receiverId } }, { makeDefault: true });
    const src = await tempDir('inswarm-src');
    const [blob] = await origin.addFiles([[{ path: (await photo(src, 'R.JPG', '2026:05:05 05:05:05', 9)).path }]]);

    const first = await origin.deliverNow();
    expect(first.failed).toBe(1);
    expect(first.errors[0]!.error).toMatch(/receiver|reach|connect/i);
    const row = origin.deliverer.deliveries.get(blob!.blobId)!;
    expect(row.state).toBe('failed');
    // First backoff is 5 s with ±50% jitter.
    expect(row.nextAttemptAt! - now()).toBeGreaterThan(2_000);
    expect(row.nextAttemptAt! - now()).toBeLessThanOrEqual(7_500);
    // During the backoff nothing is tried, even with the receiver back.
    await h.server.start({ host: '127.0.0.1', port: Number(new URL(h.url).port) }); // the receiver is back
    expect(await origin.deliverNow()).toMatchObject({ uploaded: 0, failed: 0 });
    skew += 8_000;
    const third = await origin.deliverNow();
    expect(third.errors).toEqual([]);
    expect(third).toMatchObject({ uploaded: 1, failed: 0 });
    expect(origin.deliverer.deliveries.get(blob!.blobId)).toMatchObject({ state: 'delivered', attempts: 2 });
  });
});

describe('holders deliver replicas by their tickets', () => {
  async function venue(k: number, destination: (h: Awaited<ReturnType<typeof home>>) => Parameters<InswarmNode['destinations']['add']>[0]) {
    const h = await home();
    const origin = await node('origin');
    h.server.store.enroll(origin.identity.deviceId, 'phone');
    origin.destinations.add(destination(h), { makeDefault: true });
    await origin.setCaps({ replicas: k });
    const holders = [await node('holder-1'), await node('holder-2')].slice(0, k);
    const at = await origin.startSwarm({ host: '127.0.0.1', port: 0 }, 'origin');
    for (const holder of holders) {
      await holder.startSwarm({ host: '127.0.0.1', port: 0 }, 'holder');
      holder.swarm!.addTarget({ address: at, deviceId: origin.identity.deviceId, source: 'manual' });
    }
    return { h, origin, holders };
  }

  it('the first holder home uploads; the second finds it there and uploads nothing; both end with nothing held', async () => {
    const { h, origin, holders } = await venue(2, (h) => ({ label: 'home', recipient: h.key.recipient, endpoint: { kind: 'receiver', url: h.url, receiverId: h.receiverId } }));
    const src = await tempDir('inswarm-src');
    const p = await photo(src, 'H.JPG', '2026:08:08 08:08:08', 11);
    const [blob] = await origin.addFiles([[{ path: p.path }]]);
    await eventually(async () => origin.ledger.storedCount(blob!.blobId) === 2, 20_000, 'two replicas');
    await origin.close(); // the origin is gone; only the holders can deliver
    open.splice(open.indexOf(origin), 1);

    const first = await holders[0]!.deliverNow();
    expect(first).toMatchObject({ uploaded: 1, alreadyThere: 0, failed: 0, bytesUploaded: blob!.size });
    const second = await holders[1]!.deliverNow();
    expect(second).toMatchObject({ uploaded: 0, alreadyThere: 1, failed: 0, bytesUploaded: 0 });
    for (const holder of holders) {
      expect(heldBytes(holder)).toBe(0);
      expect(holder.ledger.getHeld(blob!.blobId)?.state).toBe('delivered');
      expect(await holder.store.has(blob!.blobId)).toBe(false);
      // Both hold the receiver's signed word for it, even the one that found it there.
      expect(holder.ledger.receiptsOf(blob!.blobId).some((r) => r.kind === 'delivery' && r.signerId === h.receiverId)).toBe(true);
    }
    expect(await readFile(join(h.library, '2026/08/08/H.JPG'))).toEqual(p.bytes);
  });

  it('a holder delivers to a bucket through the presigned URLs in its ticket, without credentials', async () => {
    const { origin, holders } = await venue(1, (h) => ({ label: 'bucket', recipient: h.key.recipient, endpoint: { kind: 's3', bucket: BUCKET, prefix: 'p', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true } }));
    const src = await tempDir('inswarm-src');
    const [blob] = await origin.addFiles([[{ path: (await photo(src, 'S.JPG', '2026:09:09 09:09:09', 12)).path }]]);
    await eventually(async () => origin.ledger.storedCount(blob!.blobId) === 1, 20_000, 'one replica');
    await origin.close();
    open.splice(open.indexOf(origin), 1);
    const ticket = JSON.parse(Buffer.from(JSON.parse(Buffer.from(holders[0]!.ledger.getHeld(blob!.blobId)!.ticket).toString()).body, 'base64').toString());
    expect(ticket.target.kind).toBe('s3');
    expect(JSON.stringify(ticket)).not.toContain(process.env['AWS_SECRET_ACCESS_KEY']!);
    const restore = useEnv({}); // the holder has no AWS credentials at all
    try {
      expect(await holders[0]!.deliverNow()).toMatchObject({ uploaded: 1, failed: 0 });
    } finally {
      restore();
    }
    expect(heldBytes(holders[0]!)).toBe(0);
  });

  it('an origin whose blob is delivered sends a signed release to a holder it meets, and the holder purges', async () => {
    const folder = await tempDir('inswarm-cloud-folder');
    const { origin, holders } = await venue(1, (h) => ({ label: 'cloud', recipient: h.key.recipient, endpoint: { kind: 'folder', path: folder } }));
    const src = await tempDir('inswarm-src');
    const [blob] = await origin.addFiles([[{ path: (await photo(src, 'L.JPG', '2026:10:10 10:10:10', 13)).path }]]);
    await eventually(async () => origin.ledger.storedCount(blob!.blobId) === 1, 20_000, 'one replica');
    // A folder target is the origin's own: the holder's ticket names none, so only a release frees it.
    expect(await holders[0]!.deliverNow()).toMatchObject({ uploaded: 0, alreadyThere: 0 });
    expect(await origin.deliverNow()).toMatchObject({ uploaded: 1 });
    await eventually(async () => holders[0]!.ledger.getHeld(blob!.blobId)?.state === 'delivered', 20_000, 'the holder to purge on release');
    expect(await holders[0]!.store.has(blob!.blobId)).toBe(false);
    await eventually(async () => origin.ledger.placementsOf(blob!.blobId)[0]?.state === 'released', 5_000, 'the release recorded');
    expect((await stat(join(folder, blob!.blobId))).size).toBe(blob!.size);
  });
});
