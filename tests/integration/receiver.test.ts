// The home receiver on a real HTTPS socket on 127.0.0.1, with a real ledger, a real photo library,
// real blobs sealed by the real sealer to a real age key, and real origin device identities
// signing tickets. The happy path goes through ReceiverClient; hostile and broken deliverers are
// raw TLS connections that send exactly the bytes each test writes. Every refusal is checked for
// its status and code, for leaving nothing behind (no row, no library file, no temp, no stored
// blob), and for leaving every earlier delivery intact.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../src/main/core/identity/device-identity.js';
import { Ledger } from '../../src/main/core/ledger/ledger.js';
import { Library } from '../../src/main/core/library/library.js';
import { RECEIVER_MAX_BLOB_BYTES } from '../../src/main/core/limits.js';
import type { Signed } from '../../src/main/core/protocol/messages.js';
import { canonicalJson, signDeliveryReceipt, verifyDeliveryReceipt, type JsonValue } from '../../src/main/core/protocol/signed.js';
import { ReceiverClient, ReceiverDeliveryError } from '../../src/main/core/receiver/receiver-client.js';
import { ReceiverServer, type ReceiverInit } from '../../src/main/core/receiver/receiver-server.js';
import { generateIdentity, parseIdentity, type X25519Identity } from '../../src/main/core/seal/age-keys.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { eventually } from '../helpers/node-proc.js';
import {
  RawConnection,
  ageBlob,
  escapingTar,
  exists,
  listFiles,
  requestHead,
  sealOne,
  ticketFor,
  ticketHeader,
  type RawResponse,
  type TestBlob,
} from '../helpers/receiver-kit.js';
import { tempDir } from '../helpers/tmp.js';

/** Short enough that the slow-sender test takes seconds, long enough for a loaded test machine. */
const IDLE_MS = 2_000;

interface Receiver {
  readonly dir: string;
  readonly identity: DeviceIdentity;
  readonly ledger: Ledger;
  readonly server: ReceiverServer;
  readonly port: number;
  readonly url: string;
  readonly libraryDir: string;
  readonly receivedDir: string;
  readonly client: ReceiverClient;
}

const receivers: Receiver[] = [];
let work: string;
let recipient: string;
let identities: X25519Identity[];
let origin: DeviceIdentity;
let stranger: DeviceIdentity;
let main: Receiver;
let photoSeed = 100;

/** Earlier successful deliveries to `main`, checked after every refusal. */
const delivered: { blob: TestBlob; libraryPath: string; photo: Buffer }[] = [];

async function makeReceiver(name: string, init: ReceiverInit = {}): Promise<Receiver> {
  const dir = join(work, name);
  const identity = await loadOrCreateDeviceIdentity(join(dir, 'device'));
  const ledger = Ledger.open(join(dir, 'ledger.sqlite'));
  const libraryDir = join(dir, 'library');
  const receivedDir = join(dir, 'received');
  const server = new ReceiverServer({ identity, ledger, library: new Library(ledger, libraryDir), identities, receivedDir }, { idleTimeoutMs: IDLE_MS, refusalLingerMs: 500, ...init });
  const { port } = await server.start({ host: '127.0.0.1', port: 0 });
  const url = `https://127.0.0.1:${port}`;
  server.store.enroll(origin.deviceId, 'phone');
  const r = { dir, identity, ledger, server, port, url, libraryDir, receivedDir, client: new ReceiverClient({ url, receiverId: identity.deviceId }) };
  receivers.push(r);
  return r;
}

/** A fresh photo (distinct pixels) sealed to the destination by the enrolled origin. */
async function newPhotoBlob(name = `IMG_${photoSeed}.jpg`, options: { to?: string; from?: DeviceIdentity } = {}): Promise<{ blob: TestBlob; photo: Buffer }> {
  const photo = makeJpeg('2023:06:15 10:20:30', { seed: photoSeed++ });
  const blob = await sealOne(work, name, photo, options.to ?? recipient, options.from ?? origin);
  return { blob, photo };
}

function blobPath(blobId: string): string {
  return `/v1/blobs/${blobId}`;
}

/** A PUT from a raw connection: the head, then `body` (if any), then the receiver's answer. */
async function rawPut(r: Receiver, blobId: string, headers: Record<string, string | number>, body?: Buffer): Promise<RawResponse> {
  const c = await RawConnection.open(r.port);
  await c.write(requestHead('PUT', blobPath(blobId), { Connection: 'close', ...headers }));
  if (body !== undefined) await c.write(body).catch(() => undefined);
  return c.response();
}

/** The headers of an honest upload of `blob` to `r` by `signer`. */
function uploadHeaders(r: Receiver, blob: TestBlob, signer: DeviceIdentity = origin): Record<string, string | number> {
  return { 'Content-Length': blob.size, 'Inswarm-Ticket': ticketHeader(ticketFor(signer, blob, r.identity.deviceId, { url: r.url })) };
}

function expectRefusal(res: RawResponse, status: number, code: string): void {
  expect({ status: res.status, error: res.json?.error }, res.body).toEqual({ status, error: code });
  expect(res.json?.message, 'a refusal carries a sentence').toMatch(/\w.*[.:]/);
  expect(res.headers['content-type']).toBe('application/json');
}

/**
 * Nothing of `blobId` was kept at `r` (no row, no stored blob, no temp, the library exactly as
 * `libraryBefore`), the refusal is in the activity log, and every earlier delivery is intact.
 */
async function expectNothingKept(r: Receiver, blobId: string, libraryBefore: string[], code?: string): Promise<void> {
  expect(r.server.store.received(blobId)).toBeUndefined();
  expect(await exists(join(r.receivedDir, blobId.slice(0, 2), blobId))).toBe(false);
  await eventually(async () => (await listFiles(join(r.receivedDir, 'tmp'))).length === 0, 10_000, 'the temp file to be removed');
  expect(await listFiles(r.libraryDir)).toEqual(libraryBefore);
  if (code !== undefined) {
    const events = r.ledger.listEvents({ limit: 1000 }).filter((e) => e.type === 'receiver:refused');
    expect(events.some((e) => (e.data as { blobId?: string; code?: string }).blobId === blobId && (e.data as { code?: string }).code === code), `a receiver:refused event with ${code}`).toBe(true);
  }
  if (r === main) await expectEarlierIntact();
}

async function expectEarlierIntact(): Promise<void> {
  for (const d of delivered) {
    expect(await readFile(join(main.libraryDir, d.libraryPath))).toEqual(d.photo);
    expect(main.server.store.received(d.blob.blobId)?.size).toBe(d.blob.size);
    const stored = await readFile(join(main.receivedDir, d.blob.blobId.slice(0, 2), d.blob.blobId));
    expect(createHash('sha256').update(stored).digest('hex')).toBe(d.blob.blobId);
  }
}

beforeAll(async () => {
  work = await tempDir('receiver');
  const key = await generateIdentity();
  recipient = key.recipient;
  identities = [parseIdentity(key.identity)];
  origin = await loadOrCreateDeviceIdentity(join(work, 'origin', 'device'));
  stranger = await loadOrCreateDeviceIdentity(join(work, 'stranger', 'device'));
  main = await makeReceiver('main');
});

afterAll(async () => {
  for (const r of receivers) {
    await r.server.stop();
    r.ledger.close();
  }
});

describe('delivering', () => {
  it('files the photo by capture date with its bytes and mtime, and answers with a receipt that verifies', async () => {
    const photo = makeJpeg('2023:06:15 10:20:30', { seed: 1 });
    const mtime = new Date('2023-06-16T08:09:10.000Z');
    const blob = await sealOne(work, 'IMG_0001.jpg', photo, recipient, origin, mtime);
    const progress: number[] = [];
    let throttled = 0;
    const proof = await main.client.upload({
      blobId: blob.blobId,
      size: blob.size,
      file: blob.path,
      ticket: ticketFor(origin, blob, main.identity.deviceId, { url: main.url }),
      throttle: async (bytes) => {
        throttled += bytes;
      },
      onProgress: (sent) => progress.push(sent),
    });
    expect(proof.kind).toBe('receipt');
    const receipt = verifyDeliveryReceipt((proof as { receipt: Signed }).receipt, { expectedReceiver: main.identity.deviceId, expectedBlobId: blob.blobId, expectedSize: blob.size, now: Date.now() });
    expect(receipt.receiver).toBe(main.identity.deviceId);
    expect(throttled).toBe(blob.size);
    expect(progress.at(-1)).toBe(blob.size);

    const placed = join(main.libraryDir, '2023', '06', '15', 'IMG_0001.jpg');
    expect(await readFile(placed)).toEqual(photo);
    expect((await stat(placed)).mtimeMs).toBe(mtime.getTime());
    expect(await listFiles(main.libraryDir)).toEqual(['2023/06/15/IMG_0001.jpg']);
    expect(main.server.store.received(blob.blobId)).toMatchObject({ originId: origin.deviceId, size: blob.size, fileCount: 1 });
    const stored = await readFile(join(main.receivedDir, blob.blobId.slice(0, 2), blob.blobId));
    expect(stored.equals(blob.bytes)).toBe(true);
    expect(main.ledger.listEvents({ limit: 100 }).some((e) => e.type === 'receiver:received' && (e.data as { blobId: string }).blobId === blob.blobId)).toBe(true);
    delivered.push({ blob, libraryPath: '2023/06/15/IMG_0001.jpg', photo });

    // HEAD: present, with a fresh receipt signed by this receiver for this blob.
    const head = await main.client.head(blob.blobId);
    expect(head.present).toBe(true);
    verifyDeliveryReceipt((head as { receipt: Signed }).receipt, { expectedReceiver: main.identity.deviceId, expectedBlobId: blob.blobId, expectedSize: blob.size });
    expect(await main.client.head(createHash('sha256').update('absent').digest('hex'))).toEqual({ present: false });
  });

  it('answers a repeated PUT with 200 and a receipt, without reading the body or filing anything twice', async () => {
    const { blob, photo } = delivered[0]!;
    const before = await listFiles(main.libraryDir);
    // Only the head: the answer must come without a body byte.
    const res = await rawPut(main, blob.blobId, uploadHeaders(main, blob));
    expect(res.status).toBe(200);
    expect(res.json?.files).toBe(1);
    verifyDeliveryReceipt(res.json!.receipt!, { expectedReceiver: main.identity.deviceId, expectedBlobId: blob.blobId, expectedSize: blob.size });
    // Through the client too.
    const proof = await main.client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: ticketFor(origin, blob, main.identity.deviceId) });
    expect(proof.kind).toBe('receipt');
    expect(await listFiles(main.libraryDir)).toEqual(before);
    expect(await listFiles(main.receivedDir)).toEqual([`${blob.blobId.slice(0, 2)}/${blob.blobId}`]);
    expect(await readFile(join(main.libraryDir, before[0]!))).toEqual(photo);
  });

  it('files the same photo once when a second blob carries it', async () => {
    const { photo } = delivered[0]!;
    const again = await sealOne(work, 'IMG_0001.jpg', photo, recipient, origin, new Date('2023-06-16T08:09:10.000Z'));
    expect(again.blobId).not.toBe(delivered[0]!.blob.blobId); // age encrypts with a fresh key each time
    const before = await listFiles(main.libraryDir);
    await main.client.upload({ blobId: again.blobId, size: again.size, file: again.path, ticket: ticketFor(origin, again, main.identity.deviceId) });
    expect(await listFiles(main.libraryDir)).toEqual(before);
    expect(main.server.store.received(again.blobId)).toMatchObject({ fileCount: 1 });
    const event = main.ledger.listEvents({ limit: 100 }).find((e) => e.type === 'receiver:received' && (e.data as { blobId: string }).blobId === again.blobId);
    expect(event?.data).toMatchObject({ added: 0, duplicates: 1 });
  });

  it('serves only its two routes', async () => {
    const get = await RawConnection.open(main.port);
    await get.write(requestHead('GET', blobPath(delivered[0]!.blob.blobId), { Connection: 'close' }));
    const res = await get.response();
    expectRefusal(res, 405, 'E_USAGE');
    expect(res.headers['allow']).toBe('HEAD, PUT');
    const other = await RawConnection.open(main.port);
    await other.write(requestHead('PUT', '/v1/blobs/../../etc/passwd', { Connection: 'close', 'Content-Length': 1 }));
    expectRefusal(await other.response(), 404, 'E_NOT_FOUND');
    const badId = await RawConnection.open(main.port);
    await badId.write(requestHead('PUT', '/v1/blobs/ABCDEF', { Connection: 'close', 'Content-Length': 1 }));
    expectRefusal(await badId.response(), 400, 'E_BLOB_ID');
  });
});

describe('refusing bad input', () => {
  it('a body that does not hash to the blob ID (422 E_BLOB_HASH)', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const altered = Buffer.from(blob.bytes);
    altered[altered.length - 100]! ^= 0x01;
    const res = await rawPut(main, blob.blobId, uploadHeaders(main, blob), altered);
    expectRefusal(res, 422, 'E_BLOB_HASH');
    await expectNothingKept(main, blob.blobId, before, 'E_BLOB_HASH');
  });

  it('an upload that stops mid-body (nothing kept, the slot freed)', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const c = await RawConnection.open(main.port);
    await c.write(requestHead('PUT', blobPath(blob.blobId), { ...uploadHeaders(main, blob), Expect: '100-continue' }));
    await c.waitFor('100 Continue');
    await c.write(blob.bytes.subarray(0, Math.floor(blob.size / 2)));
    await eventually(async () => (await listFiles(join(main.receivedDir, 'tmp'))).length === 1, 10_000, 'the upload to start');
    c.destroy();
    await expectNothingKept(main, blob.blobId, before, 'E_PROTO_SIZE');
    // The blob is not stuck as "being uploaded": a whole upload now succeeds.
    await main.client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: ticketFor(origin, blob, main.identity.deviceId) });
    expect(main.server.store.received(blob.blobId)).toBeDefined();

  });

  it('a blob sealed to another recipient (422 E_AGE_NO_MATCH)', async () => {
    const other = await generateIdentity();
    const { blob } = await newPhotoBlob(undefined, { to: other.recipient });
    const before = await listFiles(main.libraryDir);
    const res = await rawPut(main, blob.blobId, uploadHeaders(main, blob), blob.bytes);
    expectRefusal(res, 422, 'E_AGE_NO_MATCH');
    await expectNothingKept(main, blob.blobId, before, 'E_AGE_NO_MATCH');
  });

  it('an origin that is not enrolled (403 E_NOT_ENROLLED), refused on the headers alone', async () => {
    const { blob } = await newPhotoBlob(undefined, { from: stranger });
    const before = await listFiles(main.libraryDir);
    const c = await RawConnection.open(main.port);
    await c.write(requestHead('PUT', blobPath(blob.blobId), { Connection: 'close', Expect: '100-continue', ...uploadHeaders(main, blob, stranger) }));
    const res = await c.response();
    expectRefusal(res, 403, 'E_NOT_ENROLLED');
    expect(c.text()).not.toContain('100 Continue');
    await expectNothingKept(main, blob.blobId, before, 'E_NOT_ENROLLED');
    // The client reports it as a refusal carrying the receiver's sentence.
    const err = await main.client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: ticketFor(stranger, blob, main.identity.deviceId) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReceiverDeliveryError);
    expect(err).toMatchObject({ code: 'E_DELIVERY_REFUSED', status: 403, remoteCode: 'E_NOT_ENROLLED', retryAfterMs: null });
    expect((err as Error).message).toContain('not enrolled');
  });

  it('a forged ticket: an enrolled origin named, another key signing (403 E_PROTO_TICKET)', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const genuine = ticketFor(origin, blob, main.identity.deviceId);
    // The stranger re-signs the enrolled origin's ticket body with its own key.
    const bodyBytes = Buffer.from(genuine.body, 'base64');
    const forged: Signed = { body: genuine.body, sig: stranger.sign(bodyBytes).toString('base64') };
    let res = await rawPut(main, blob.blobId, { 'Content-Length': blob.size, 'Inswarm-Ticket': ticketHeader(forged) });
    expectRefusal(res, 403, 'E_PROTO_TICKET');
    expect(res.json?.message).toMatch(/signature/);
    // A genuine signature over an edited body (a later expiry) fails the same way.
    const edited = JSON.parse(bodyBytes.toString('utf8')) as Record<string, JsonValue>;
    edited['expires'] = (edited['expires'] as number) + 1000;
    res = await rawPut(main, blob.blobId, { 'Content-Length': blob.size, 'Inswarm-Ticket': ticketHeader({ body: Buffer.from(canonicalJson(edited)).toString('base64'), sig: genuine.sig }) });
    expectRefusal(res, 403, 'E_PROTO_TICKET');
    await expectNothingKept(main, blob.blobId, before, 'E_PROTO_TICKET');
  });

  it('a replayed ticket: for another blob, or made out to another receiver (403 E_PROTO_TICKET)', async () => {
    const a = (await newPhotoBlob()).blob;
    const b = (await newPhotoBlob()).blob;
    const before = await listFiles(main.libraryDir);
    let res = await rawPut(main, b.blobId, { 'Content-Length': b.size, 'Inswarm-Ticket': ticketHeader(ticketFor(origin, a, main.identity.deviceId)) });
    expectRefusal(res, 403, 'E_PROTO_TICKET');
    expect(res.json?.message).toMatch(/blob/);
    res = await rawPut(main, b.blobId, { 'Content-Length': b.size, 'Inswarm-Ticket': ticketHeader(ticketFor(origin, b, stranger.deviceId)) });
    expectRefusal(res, 403, 'E_PROTO_TICKET');
    expect(res.json?.message).toMatch(/another destination/);
    await expectNothingKept(main, b.blobId, before, 'E_PROTO_TICKET');
  });

  it('an expired ticket (403 E_PROTO_TICKET)', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const now = Date.now();
    const expired = ticketFor(origin, blob, main.identity.deviceId, { created: now - 2 * 3_600_000, expires: now - 3_600_000 });
    const res = await rawPut(main, blob.blobId, { 'Content-Length': blob.size, 'Inswarm-Ticket': ticketHeader(expired) });
    expectRefusal(res, 403, 'E_PROTO_TICKET');
    expect(res.json?.message).toMatch(/expired/);
    await expectNothingKept(main, blob.blobId, before, 'E_PROTO_TICKET');
  });

  it('a Content-Length above the limit (413 E_PROTO_LIMIT), before any body byte', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const res = await rawPut(main, blob.blobId, { ...uploadHeaders(main, blob), 'Content-Length': RECEIVER_MAX_BLOB_BYTES + 1 });
    expectRefusal(res, 413, 'E_PROTO_LIMIT');
    await expectNothingKept(main, blob.blobId, before, 'E_PROTO_LIMIT');
  });

  it('a body longer than the ticket says (400 E_PROTO_SIZE); bytes past Content-Length never join a blob', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const longer = Buffer.concat([blob.bytes, Buffer.alloc(10, 7)]);
    const res = await rawPut(main, blob.blobId, { ...uploadHeaders(main, blob), 'Content-Length': longer.length }, longer);
    expectRefusal(res, 400, 'E_PROTO_SIZE');
    await expectNothingKept(main, blob.blobId, before, 'E_PROTO_SIZE');

    // Declared right, then extra bytes on the same connection: the blob is exactly its declared
    // bytes, and the extra ones are read as a next request, which is malformed and refused. The
    // refusal waits for the upload before it: under a receive cap that takes the upload about two
    // seconds, so refusing (and closing) at once would abort it mid-body.
    const c = await RawConnection.open(main.port);
    main.server.setRate(Math.ceil(blob.size / 2));
    try {
      await c.write(Buffer.concat([Buffer.from(requestHead('PUT', blobPath(blob.blobId), uploadHeaders(main, blob))), blob.bytes, Buffer.from('EXTRA BYTES\r\n\r\n')]));
      const answers = await c.untilClosed();
      expect(answers).toMatch(/^HTTP\/1\.1 201 [^]*HTTP\/1\.1 400 [^]*E_PROTO_MALFORMED/);
    } finally {
      main.server.setRate(null);
    }
    expect(main.server.store.received(blob.blobId)).toBeDefined();
    const stored = await readFile(join(main.receivedDir, blob.blobId.slice(0, 2), blob.blobId));
    expect(stored.equals(blob.bytes)).toBe(true);
    const name = `IMG_${photoSeed - 1}.jpg`;
    delivered.push({ blob, libraryPath: `2023/06/15/${name}`, photo: await readFile(join(main.libraryDir, '2023', '06', '15', name)) });
    await expectEarlierIntact();

    // The same with a quick request pipelined between the upload and the bad bytes: the refusal
    // waits for every answer before it on the connection, not only for the last request.
    const secondName = `IMG_${photoSeed}.jpg`;
    const second = await newPhotoBlob(secondName);
    const c2 = await RawConnection.open(main.port);
    main.server.setRate(Math.ceil(second.blob.size / 2));
    try {
      await c2.write(
        Buffer.concat([
          Buffer.from(requestHead('PUT', blobPath(second.blob.blobId), uploadHeaders(main, second.blob))),
          second.blob.bytes,
          Buffer.from(requestHead('HEAD', blobPath(blob.blobId), {})),
          Buffer.from('EXTRA BYTES\r\n\r\n'),
        ]),
      );
      expect(await c2.untilClosed()).toMatch(/^HTTP\/1\.1 201 [^]*HTTP\/1\.1 200 [^]*HTTP\/1\.1 400 [^]*E_PROTO_MALFORMED/);
    } finally {
      main.server.setRate(null);
    }
    expect(main.server.store.received(second.blob.blobId)).toBeDefined();
    delivered.push({ blob: second.blob, libraryPath: `2023/06/15/${secondName}`, photo: second.photo });
    await expectEarlierIntact();
  });

  it('a sender that stalls mid-body (408 after the idle timeout, nothing kept)', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const c = await RawConnection.open(main.port);
    await c.write(requestHead('PUT', blobPath(blob.blobId), uploadHeaders(main, blob)));
    await c.write(blob.bytes.subarray(0, 1000));
    const res = await c.response(); // the receiver answers and closes; the sender never sent more
    expectRefusal(res, 408, 'E_DELIVERY_FAILED');
    await expectNothingKept(main, blob.blobId, before, 'E_DELIVERY_FAILED');
  });

  it('malformed headers: ticket not base64, not JSON, missing; chunked; no Content-Length; garbage; oversized', async () => {
    const { blob } = await newPhotoBlob();
    const before = await listFiles(main.libraryDir);
    const headers = uploadHeaders(main, blob);
    let res = await rawPut(main, blob.blobId, { ...headers, 'Inswarm-Ticket': 'not base64!' });
    expectRefusal(res, 400, 'E_PROTO_MALFORMED');
    res = await rawPut(main, blob.blobId, { ...headers, 'Inswarm-Ticket': Buffer.from('{"body": 1').toString('base64') });
    expectRefusal(res, 400, 'E_PROTO_MALFORMED');
    res = await rawPut(main, blob.blobId, { ...headers, 'Inswarm-Ticket': Buffer.from('{"body":"AA=="}').toString('base64') });
    expectRefusal(res, 400, 'E_PROTO_MALFORMED');
    res = await rawPut(main, blob.blobId, { 'Content-Length': blob.size });
    expectRefusal(res, 401, 'E_PROTO_TICKET');
    expect(res.headers['www-authenticate']).toBe('Inswarm-Ticket');
    res = await rawPut(main, blob.blobId, { 'Inswarm-Ticket': headers['Inswarm-Ticket']!, 'Transfer-Encoding': 'chunked' }, Buffer.from('0\r\n\r\n'));
    expectRefusal(res, 411, 'E_PROTO_MALFORMED');
    res = await rawPut(main, blob.blobId, { 'Inswarm-Ticket': headers['Inswarm-Ticket']! });
    expectRefusal(res, 411, 'E_PROTO_MALFORMED');

    const garbage = await RawConnection.open(main.port);
    await garbage.write('\x16\x03 this is not HTTP at all\r\n\r\n');
    expectRefusal(await garbage.response(), 400, 'E_PROTO_MALFORMED');
    const huge = await RawConnection.open(main.port);
    await huge.write(requestHead('PUT', blobPath(blob.blobId), { ...headers, 'X-Padding': 'a'.repeat(200 * 1024) }));
    expectRefusal(await huge.response(), 431, 'E_PROTO_LIMIT');
    await expectNothingKept(main, blob.blobId, before, 'E_PROTO_MALFORMED');
  });

  it('a tar that tries to escape the library (422 E_TAR_UNSAFE), nothing written in or beside it', async () => {
    const photo = makeJpeg('2023:06:15 10:20:30', { seed: photoSeed++ });
    const blob = await ageBlob(work, escapingTar('escape.jpg', photo, origin.deviceId), recipient);
    const before = await listFiles(main.libraryDir);
    const beside = await listFiles(main.dir);
    const res = await rawPut(main, blob.blobId, uploadHeaders(main, blob), blob.bytes);
    expectRefusal(res, 422, 'E_TAR_UNSAFE');
    expect(res.json?.message).toMatch(/\.\./);
    await expectNothingKept(main, blob.blobId, before, 'E_TAR_UNSAFE');
    expect(await exists(join(main.dir, 'escape.jpg'))).toBe(false);
    expect((await listFiles(main.dir)).filter((f) => !f.startsWith('ledger.sqlite'))).toEqual(beside.filter((f) => !f.startsWith('ledger.sqlite')));
  });

  it('too many uploads at once (503 + Retry-After) and the same blob twice at once (409)', async () => {
    const busy = await makeReceiver('busy', { maxConcurrentUploads: 1, idleTimeoutMs: 60_000 });
    const a = (await newPhotoBlob()).blob;
    const b = (await newPhotoBlob()).blob;
    const stall = await RawConnection.open(busy.port);
    await stall.write(requestHead('PUT', blobPath(a.blobId), { ...uploadHeaders(busy, a), Expect: '100-continue' }));
    await stall.waitFor('100 Continue'); // a's upload holds the only slot now
    await stall.write(a.bytes.subarray(0, 100));

    let res = await rawPut(busy, b.blobId, uploadHeaders(busy, b));
    expectRefusal(res, 503, 'E_DELIVERY_FAILED');
    expect(res.headers['retry-after']).toBe('5');
    res = await rawPut(busy, a.blobId, uploadHeaders(busy, a));
    expectRefusal(res, 409, 'E_DELIVERY_FAILED');
    expect(res.headers['retry-after']).toBe('5');
    const err = await busy.client.upload({ blobId: b.blobId, size: b.size, file: b.path, ticket: ticketFor(origin, b, busy.identity.deviceId) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DELIVERY_FAILED', status: 503, retryAfterMs: 5_000 });
    expect(await listFiles(join(busy.receivedDir, 'tmp'))).toHaveLength(1); // a's, still arriving

    stall.destroy();
    await expectNothingKept(busy, b.blobId, [], 'E_DELIVERY_FAILED');
    await expectNothingKept(busy, a.blobId, [], 'E_PROTO_SIZE');
    await eventually(
      async () => busy.client.upload({ blobId: b.blobId, size: b.size, file: b.path, ticket: ticketFor(origin, b, busy.identity.deviceId) }).then(() => true, () => false),
      20_000,
      'the slot to free up',
    );
    expect(busy.server.store.received(b.blobId)).toBeDefined();
    expect(busy.server.store.received(a.blobId)).toBeUndefined();
  });
});

describe('lifecycle', () => {
  it('stopping mid-upload cancels it and leaves no temp; a restart clears leftovers and keeps what arrived', async () => {
    const r = await makeReceiver('lifecycle', { idleTimeoutMs: 60_000 });
    const kept = (await newPhotoBlob()).blob;
    await r.client.upload({ blobId: kept.blobId, size: kept.size, file: kept.path, ticket: ticketFor(origin, kept, r.identity.deviceId) });
    const { blob } = await newPhotoBlob();
    const c = await RawConnection.open(r.port);
    await c.write(requestHead('PUT', blobPath(blob.blobId), { ...uploadHeaders(r, blob), Expect: '100-continue' }));
    await c.waitFor('100 Continue');
    await c.write(blob.bytes.subarray(0, 500));
    await eventually(async () => (await listFiles(join(r.receivedDir, 'tmp'))).length === 1, 10_000, 'the upload to start');
    await r.server.stop();
    expect(await listFiles(join(r.receivedDir, 'tmp'))).toEqual([]);
    expect(r.server.store.received(blob.blobId)).toBeUndefined();

    // A crash leaves a temp file and a stray file behind; the next start clears both away.
    await writeFile(join(r.receivedDir, 'tmp', `${'0'.repeat(32)}.tmp`), 'partial');
    await mkdir(join(r.receivedDir, 'ab'), { recursive: true });
    await writeFile(join(r.receivedDir, 'ab', `ab${'1'.repeat(62)}`), 'unrecorded');
    const again = new ReceiverServer({ identity: r.identity, ledger: r.ledger, library: new Library(r.ledger, r.libraryDir), identities, receivedDir: r.receivedDir });
    await again.start({ host: '127.0.0.1', port: 0 });
    try {
      expect(await listFiles(r.receivedDir)).toEqual([`${kept.blobId.slice(0, 2)}/${kept.blobId}`]);
      expect(r.ledger.listEvents({ limit: 1000 }).find((e) => e.type === 'receiver:reconciled')?.data).toEqual({ tempsRemoved: 1, lost: 0, quarantined: 1 });
      expect(again.store.received(kept.blobId)).toBeDefined();
    } finally {
      await again.stop();
    }
  });
});

describe('the client', () => {
  /** A raw TLS server presenting `identity`, recording every application byte a client sends. */
  async function recordingServer(identity: DeviceIdentity, onData?: (socket: TLSSocket) => void): Promise<{ port: number; bytes: () => Buffer; closedConnections: () => number; close: () => Promise<void> }> {
    const chunks: Buffer[] = [];
    let closed = 0;
    const server = createTlsServer({ key: identity.keyPem, cert: identity.certPem, minVersion: 'TLSv1.3' }, (socket) => {
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        onData?.(socket);
      });
      socket.on('error', () => undefined);
    });
    // Counted on the TCP sockets: a client that hangs up right after the handshake may never
    // become a TLS connection on this side.
    server.on('connection', (tcp: Socket) => tcp.once('close', () => closed++));
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      port: (server.address() as AddressInfo).port,
      bytes: () => Buffer.concat(chunks),
      closedConnections: () => closed,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it('pins the receiver: a server with another certificate sees no request byte', async () => {
    const impostor = await loadOrCreateDeviceIdentity(join(work, 'impostor', 'device'));
    const { blob } = await newPhotoBlob();
    const fake = await recordingServer(impostor);
    try {
      const client = new ReceiverClient({ url: `https://127.0.0.1:${fake.port}`, receiverId: main.identity.deviceId });
      await expect(client.head(blob.blobId)).rejects.toMatchObject({ code: 'E_RECEIVER_PIN' });
      await expect(client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: ticketFor(origin, blob, main.identity.deviceId) })).rejects.toMatchObject({ code: 'E_RECEIVER_PIN' });
      await eventually(async () => fake.closedConnections() === 2, 10_000, 'both connections to close');
      expect(fake.bytes().length).toBe(0);
    } finally {
      await fake.close();
    }

    // Control: the same recorder presenting the right certificate does receive the request.
    const real = await recordingServer(main.identity, (socket) => socket.destroy());
    try {
      const client = new ReceiverClient({ url: `https://127.0.0.1:${real.port}`, receiverId: main.identity.deviceId });
      await expect(client.head(blob.blobId)).rejects.toMatchObject({ code: 'E_DELIVERY_FAILED' });
      expect(real.bytes().toString('latin1')).toContain(`HEAD /v1/blobs/${blob.blobId} HTTP/1.1`);
    } finally {
      await real.close();
    }
  });

  it('refuses an accepted upload whose receipt does not check out', async () => {
    const { blob } = await newPhotoBlob();
    const impostor = await loadOrCreateDeviceIdentity(join(work, 'impostor', 'device'));
    const receipts: Signed[] = [
      signDeliveryReceipt(main.identity, { blobId: blob.blobId, size: blob.size + 1, at: Date.now() }), // wrong size
      signDeliveryReceipt(impostor, { blobId: blob.blobId, size: blob.size, at: Date.now() }), // wrong signer
    ];
    let next = 0;
    const server = createHttpsServer({ key: main.identity.keyPem, cert: main.identity.certPem, minVersion: 'TLSv1.3' });
    server.on('checkContinue', (req, res) => {
      res.writeContinue();
      req.resume();
      req.on('end', () => res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ receipt: receipts[next++], files: 1 })));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = new ReceiverClient({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, receiverId: main.identity.deviceId });
      for (let i = 0; i < receipts.length; i++) {
        await expect(client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: ticketFor(origin, blob, main.identity.deviceId) })).rejects.toMatchObject({ code: 'E_DELIVERY_RECEIPT' });
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
