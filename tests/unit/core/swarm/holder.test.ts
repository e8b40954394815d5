// The holder's commit on real parts (ledger in a temp dir, blob store, device identities): a
// replica is stored and recorded before its receipt is signed, and a reservation that went away
// while the bytes arrived (expired, purged) yields no receipt and leaves nothing behind.

import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../../src/main/core/events.js';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';
import { Ledger } from '../../../../src/main/core/ledger/ledger.js';
import { signTicket, verifyCustodyReceipt } from '../../../../src/main/core/protocol/signed.js';
import { BlobStore } from '../../../../src/main/core/store/blob-store.js';
import { defaultCaps, volumeOf } from '../../../../src/main/core/swarm/caps.js';
import { Holder, MAX_PARALLEL_HASHERS, MAX_RECEIVING_TRANSFERS } from '../../../../src/main/core/swarm/holder.js';
import { TokenBucket } from '../../../../src/main/core/swarm/token-bucket.js';
import { tempDir } from '../../../helpers/tmp.js';

let origin: DeviceIdentity;
let holderId: DeviceIdentity;
beforeAll(async () => {
  origin = await loadOrCreateDeviceIdentity(await tempDir('holder-test-origin'));
  holderId = await loadOrCreateDeviceIdentity(await tempDir('holder-test-holder'));
});

const ledgers: Ledger[] = [];
afterEach(() => {
  for (const ledger of ledgers.splice(0)) ledger.close();
});

async function makeHolder(options: { volume?: () => Promise<{ freeBytes: number; totalBytes: number }>; floorBytes?: number } = {}) {
  const data = await tempDir('holder-test-data');
  const ledger = Ledger.open(join(data, 'ledger.sqlite'));
  ledgers.push(ledger);
  const store = new BlobStore(join(data, 'blobs'));
  await store.reconcile([]);
  const incomingDir = join(data, 'incoming');
  const volume = await volumeOf(data);
  const caps = { ...defaultCaps(volume), diskBytes: 100 * 1024 * 1024, floorBytes: options.floorBytes ?? 0, originShare: 1 };
  const holder = new Holder({
    identity: holderId,
    ledger,
    store,
    incomingDir,
    caps: () => caps,
    volume: options.volume ?? (() => volumeOf(data)),
    download: new TokenBucket(null),
    events: new EventBus(),
    now: () => Date.now(),
  });
  await holder.reconcileIncoming();
  return { holder, ledger, store, incomingDir };
}

function blob(size: number) {
  const bytes = randomBytes(size);
  const blobId = createHash('sha256').update(bytes).digest('hex');
  const ticket = signTicket(origin, { blobId, size, created: Date.now(), expires: Date.now() + 3600_000, target: { kind: 'none' } });
  return { bytes, blobId, ticket };
}

describe('holder commit', () => {
  it('stores, records and only then signs: the receipt names the blob, the part file is gone', async () => {
    const { holder, ledger, store, incomingDir } = await makeHolder();
    const { bytes, blobId, ticket } = blob(300_000);
    expect(await holder.onOffer(origin.deviceId, ticket)).toEqual({ accept: true, offset: 0, size: bytes.length });
    await holder.onData(origin.deviceId, blobId, 0, bytes.subarray(0, 100_000));
    await holder.onData(origin.deviceId, blobId, 100_000, bytes.subarray(100_000));
    const receipt = await holder.onCommit(origin.deviceId, blobId, bytes.length);
    expect(verifyCustodyReceipt(receipt, { expectedHolder: holderId.deviceId, expectedBlobId: blobId, now: Date.now() }).size).toBe(bytes.length);
    expect(ledger.getHeld(blobId)?.state).toBe('held');
    expect(await readFile(store.path(blobId))).toEqual(bytes);
    expect(await readdir(incomingDir)).toEqual([]);
  });

  it('an offer decided while another blob commits counts that blob as on disk, not as still to arrive', async () => {
    // The volume as statfs would report it with the first blob already written: room above the
    // floor for the second blob (and the bookkeeping margin), not for the first one twice.
    const FLOOR = 100 * 1024 * 1024;
    const first = blob(3 * 1024 * 1024);
    const second = blob(1024 * 1024);
    let free = FLOOR + 1024 * 1024 + second.bytes.length + 512 * 1024 + first.bytes.length;
    const { holder, ledger } = await makeHolder({ floorBytes: FLOOR, volume: async () => ({ freeBytes: free, totalBytes: 10 * free }) });
    expect((await holder.onOffer(origin.deviceId, first.ticket)).accept).toBe(true);
    await holder.onData(origin.deviceId, first.blobId, 0, first.bytes);
    free -= first.bytes.length; // what statfs says once those bytes are on disk
    // Hold the first commit at its ledger flush, after its bytes went into the store.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reachedFlush!: () => void;
    const atFlush = new Promise<void>((resolve) => (reachedFlush = resolve));
    const realGroupCommit = ledger.groupCommit.bind(ledger);
    ledger.groupCommit = async <T>(fn: () => T): Promise<T> => {
      reachedFlush();
      await gate;
      return realGroupCommit(fn);
    };
    const committing = holder.onCommit(origin.deviceId, first.blobId, first.bytes.length);
    await atFlush;
    expect(await holder.onOffer(origin.deviceId, second.ticket)).toEqual({ accept: true, offset: 0, size: second.bytes.length });
    release();
    verifyCustodyReceipt(await committing, { expectedHolder: holderId.deviceId, expectedBlobId: first.blobId, now: Date.now() });
    // The second transfer ends here, as a cancelled one does, so its part file is closed now (no
    // link will drop to close it; left open, the garbage collector closed it later in the worker).
    await holder.onAbandon(origin.deviceId, second.blobId, 'cancel: the test is over');
  });

  it.each([
    ['deleted', (ledger: Ledger, blobId: string) => void ledger.deleteHeld(blobId), undefined],
    ['marked expired', (ledger: Ledger, blobId: string) => void ledger.setHeldState(blobId, 'expired'), 'expired'],
  ] as const)('a reservation %s before the commit gives no receipt and keeps no bytes', async (_how, goAway, stateAfter) => {
    const { holder, ledger, store, incomingDir } = await makeHolder();
    const { bytes, blobId, ticket } = blob(50_000);
    await holder.onOffer(origin.deviceId, ticket);
    await holder.onData(origin.deviceId, blobId, 0, bytes);
    goAway(ledger, blobId); // what an expiry sweep or a hand-run statement does meanwhile
    await expect(holder.onCommit(origin.deviceId, blobId, bytes.length)).rejects.toMatchObject({ code: 'E_PROTO_STATE' });
    expect(ledger.getHeld(blobId)?.state).toBe(stateAfter);
    expect(await store.has(blobId)).toBe(false);
    expect(await readdir(incomingDir)).toEqual([]);
    expect(store.usage()).toEqual({ files: 0, bytes: 0 });
  });
});

describe('holder receiving many at once', () => {
  it(`hashes large blobs on at most ${MAX_PARALLEL_HASHERS} workers at once, the rest inline, and every hash is right`, async () => {
    const { holder, store } = await makeHolder();
    // Each one large enough for a worker (16 MiB and up); 100 MiB donated holds them all.
    const blobs = Array.from({ length: MAX_PARALLEL_HASHERS + 1 }, () => blob(16 * 1024 * 1024 + 1));
    for (const b of blobs) expect((await holder.onOffer(origin.deviceId, b.ticket)).accept).toBe(true);
    expect(holder.parallelHashersRunning).toBe(MAX_PARALLEL_HASHERS);
    // Interleaved, as frames of several transfers arrive on one link.
    const CHUNK = 256 * 1024;
    for (let at = 0; at < blobs[0]!.bytes.length; at += CHUNK) {
      for (const b of blobs) await holder.onData(origin.deviceId, b.blobId, at, b.bytes.subarray(at, at + CHUNK));
    }
    for (const b of blobs) {
      const receipt = await holder.onCommit(origin.deviceId, b.blobId, b.bytes.length);
      verifyCustodyReceipt(receipt, { expectedHolder: holderId.deviceId, expectedBlobId: b.blobId, now: Date.now() });
      // Not toEqual: comparing 16 MiB key by key would take the test runner's whole heap.
      expect((await readFile(store.path(b.blobId))).equals(b.bytes)).toBe(true);
    }
    expect(holder.parallelHashersRunning).toBe(0);
  });

  it('a worker given up with its transfer is free for the next large blob', async () => {
    const { holder } = await makeHolder();
    const [first, second] = [blob(16 * 1024 * 1024), blob(16 * 1024 * 1024)];
    await holder.onOffer(origin.deviceId, first.ticket);
    expect(holder.parallelHashersRunning).toBe(1);
    await holder.onAbandon(origin.deviceId, first.blobId, 'cancelled by the origin');
    expect(holder.parallelHashersRunning).toBe(0);
    await holder.onOffer(origin.deviceId, second.ticket);
    expect(holder.parallelHashersRunning).toBe(1);
    await holder.onAbandon(origin.deviceId, second.blobId, 'the link closed');
    expect(holder.parallelHashersRunning).toBe(0);
  });
});

describe('holder receiving from many links', () => {
  it(`takes at most ${MAX_RECEIVING_TRANSFERS} transfers at once across links, answering busy beyond, and takes more once one ends`, async () => {
    const { holder } = await makeHolder();
    const blobs = Array.from({ length: MAX_RECEIVING_TRANSFERS + 1 }, () => blob(1000));
    const answers = await Promise.all(blobs.slice(0, MAX_RECEIVING_TRANSFERS).map((b) => holder.onOffer(origin.deviceId, b.ticket)));
    expect(answers.every((a) => a.accept)).toBe(true);
    const last = blobs[MAX_RECEIVING_TRANSFERS]!;
    expect(await holder.onOffer(origin.deviceId, last.ticket)).toMatchObject({ accept: false, reason: 'busy' });
    const first = blobs[0]!;
    await holder.onData(origin.deviceId, first.blobId, 0, first.bytes);
    await holder.onCommit(origin.deviceId, first.blobId, first.bytes.length);
    expect(await holder.onOffer(origin.deviceId, last.ticket)).toMatchObject({ accept: true });
  });
});
