// An origin of this version and holders that take fewer transfers at once: one of an older version
// (its hello names no `transfers=` limit; it accepted 4 and declined the rest as busy), and one
// answering busy because it is full of other links' transfers. The origin must keep within what
// the holder takes and wait out its busy answers: a holder hangs up on an origin after
// MAX_DECLINED_OFFERS_BURST refused offers in a row. The origin is a real node in this process;
// the holder is a TestPeer (real link and session) with a handler of the test's making that signs
// real custody receipts.

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InswarmNode } from '../../src/main/core/node.js';
import type { Signed } from '../../src/main/core/protocol/messages.js';
import { UNANNOUNCED_INBOUND_TRANSFERS, type OfferDecision, type SessionHandler } from '../../src/main/core/protocol/session.js';
import { signCustodyReceipt, verifyTicket } from '../../src/main/core/protocol/signed.js';
import { generateIdentity } from '../../src/main/core/seal/age-keys.js';
import { eventually } from '../helpers/node-proc.js';
import { TestPeer } from '../helpers/test-peer.js';
import { tempDir } from '../helpers/tmp.js';

const BLOBS = 30;
const BUSY_RETRY_MS = 1_000;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** An origin node with BLOBS small blobs in its outbox, one replica wanted, listening on loopback. */
async function originWithBlobs() {
  const origin = await InswarmNode.open(await tempDir('inswarm-older-origin'));
  cleanup.push(() => origin.close());
  const key = await generateIdentity();
  origin.destinations.add({ label: 'home', recipient: key.recipient, endpoint: { kind: 'folder', path: await tempDir('inswarm-older-home') } }, { makeDefault: true });
  await origin.setCaps({ replicas: 1 });
  const dir = await tempDir('inswarm-older-photos');
  const groups = [];
  for (let i = 0; i < BLOBS; i++) {
    const path = join(dir, `IMG_${i}.JPG`);
    await writeFile(path, randomBytes(20_000));
    groups.push([{ path }]);
  }
  const blobs = await origin.addFiles(groups);
  const at = await origin.startSwarm({ host: '127.0.0.1', port: 0 }, 'origin');
  return { origin, blobs, port: at.port };
}

/** A holder that keeps nothing but answers like one: at most `limit` at once, busy beyond. */
function holderHandler(peer: TestPeer, decide: (open: number) => OfferDecision | null) {
  const open = new Set<string>();
  const seen = { most: 0, busy: 0, offers: [] as { at: number; busy: boolean }[] };
  const handler: SessionHandler = {
    async onOffer(_peerId: string, ticket: Signed) {
      const { blobId, size } = verifyTicket(ticket, { now: Date.now() });
      const refused = decide(open.size);
      seen.offers.push({ at: Date.now(), busy: refused !== null });
      if (refused !== null) {
        seen.busy++;
        return refused;
      }
      open.add(blobId);
      seen.most = Math.max(seen.most, open.size);
      return { accept: true, offset: 0, size };
    },
    async onData() {},
    async onCommit(originId: string, blobId: string, size: number) {
      open.delete(blobId);
      return signCustodyReceipt(peer.identity, { blobId, size, origin: originId, until: Date.now() + 3600_000, at: Date.now() });
    },
    async onAbandon(_peerId: string, blobId: string) {
      open.delete(blobId);
    },
    async onRelease() {},
  };
  return { handler, seen };
}

describe('an origin and a holder that takes fewer transfers', () => {
  it(`keeps to ${UNANNOUNCED_INBOUND_TRANSFERS} at once with a holder that announces no limit, so it never answers busy`, { timeout: 60_000 }, async () => {
    const { origin, blobs, port } = await originWithBlobs();
    const peer = await TestPeer.create();
    cleanup.push(() => peer.stop());
    const { handler, seen } = holderHandler(peer, (open) => (open >= UNANNOUNCED_INBOUND_TRANSFERS ? { accept: false, reason: 'busy', retryAfterMs: BUSY_RETRY_MS } : null));
    const link = await peer.connect(port, origin.identity.deviceId, { handler, freeBytes: 1e9 });
    await eventually(async () => blobs.every((b) => origin.ledger.storedCount(b.blobId) === 1), 45_000, 'every blob stored on the older holder');
    expect(seen.most).toBe(UNANNOUNCED_INBOUND_TRANSFERS);
    expect(seen.busy).toBe(0);
    expect(link.session.isClosed).toBe(false);
  });

  it('after a busy answer, offers nothing more to that holder until the retry time it named', { timeout: 60_000 }, async () => {
    const { origin, blobs, port } = await originWithBlobs();
    const peer = await TestPeer.create();
    cleanup.push(() => peer.stop());
    // Busy (full of other links' transfers) for its first answers, then free.
    let busyUntil = 0;
    const { handler, seen } = holderHandler(peer, () => {
      if (busyUntil === 0) busyUntil = Date.now() + 500;
      return Date.now() < busyUntil ? { accept: false, reason: 'busy', retryAfterMs: BUSY_RETRY_MS } : null;
    });
    await peer.connect(port, origin.identity.deviceId, { handler, capabilities: ['resume', 'transfers=16'], freeBytes: 1e9 });
    await eventually(async () => blobs.every((b) => origin.ledger.storedCount(b.blobId) === 1), 45_000, 'every blob stored once the holder is free');
    const firstBusy = seen.offers.find((o) => o.busy)!.at;
    // Offers already on the wire when the first busy came back may arrive just after it; none may
    // be made afresh before the retry time.
    const tooSoon = seen.offers.filter((o) => o.at > firstBusy + 200 && o.at < firstBusy + BUSY_RETRY_MS - 50);
    expect(tooSoon).toEqual([]);
    expect(seen.busy).toBeLessThanOrEqual(16);
  });
});
