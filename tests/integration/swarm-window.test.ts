// How many transfers run to one holder at once, watched on the holder of two real nodes in one
// process (ledger, store, swarm over loopback mTLS). Small blobs spend most of their time in round
// trips and commits, so many run side by side (four left a link idle a third of the time); large
// ones stream one after the other within a byte window, so sixteen videos never crawl along
// together, each holding a reservation on the holder for sixteen times as long.

import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InswarmNode } from '../../src/main/core/node.js';
import { MAX_INBOUND_TRANSFERS } from '../../src/main/core/protocol/session.js';
import { generateIdentity } from '../../src/main/core/seal/age-keys.js';
import { LINK_WINDOW_BYTES } from '../../src/main/core/swarm/placement.js';
import { eventually } from '../helpers/node-proc.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
/** What the link allowed at once before the window (and what a session accepted): more shows it. */
const OLD_LIMIT = 4;

const open: InswarmNode[] = [];
afterEach(async () => {
  for (const node of open.splice(0)) await node.close();
});

async function node(label: string): Promise<InswarmNode> {
  const n = await InswarmNode.open(await tempDir(`inswarm-window-${label}`));
  open.push(n);
  return n;
}

async function files(label: string, count: number, bytes: number): Promise<string[]> {
  const dir = await tempDir(`inswarm-window-${label}`);
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${label}-${i}.mov`);
    await writeFile(path, randomBytes(bytes));
    paths.push(path);
  }
  return paths;
}

/** What the holder had going at once, from its own events. */
function watch(holder: InswarmNode) {
  const receiving = new Map<string, number>(); // blobId → size, offer accepted → stored
  const streaming = new Set<string>(); // some bytes received, not all
  const seen = { receiving: 0, receivingSmall: 0, streamingLarge: 0 };
  const small = () => [...receiving.values()].filter((size) => size < MiB).length;
  holder.events.on('held:receiving', ({ blobId, size }) => {
    receiving.set(blobId, size);
    seen.receiving = Math.max(seen.receiving, receiving.size);
    seen.receivingSmall = Math.max(seen.receivingSmall, small());
  });
  holder.events.on('held:progress', ({ blobId, received, size }) => {
    if (received < size) streaming.add(blobId);
    else streaming.delete(blobId);
    if (size > LINK_WINDOW_BYTES) seen.streamingLarge = Math.max(seen.streamingLarge, [...streaming].filter((id) => (receiving.get(id) ?? 0) > LINK_WINDOW_BYTES).length);
  });
  holder.events.on('held:stored', ({ blobId }) => {
    receiving.delete(blobId);
    streaming.delete(blobId);
  });
  return seen;
}

describe('transfers to one holder at once', () => {
  it('small blobs run many side by side; large ones stream at most two at a time, within the byte window', { timeout: 120_000 }, async () => {
    const key = await generateIdentity();
    const origin = await node('origin');
    origin.destinations.add({ label: 'home', recipient: key.recipient, endpoint: { kind: 'folder', path: await tempDir('inswarm-window-home') } }, { makeDefault: true });
    await origin.setCaps({ replicas: 1 });
    const holder = await node('holder');
    const seen = watch(holder);

    // Every small blob waits in the outbox before the link comes up, so placement sees them all.
    const smallBlobs = await origin.addFiles((await files('small', 40, 64 * 1024)).map((path) => [{ path }]));
    const at = await origin.startSwarm({ host: '127.0.0.1', port: 0 }, 'origin');
    await holder.startSwarm({ host: '127.0.0.1', port: 0 }, 'holder');
    holder.swarm!.addTarget({ address: at, deviceId: origin.identity.deviceId, source: 'manual' });
    const allStored = (blobs: readonly { blobId: string }[]) => async () => blobs.every((b) => origin.ledger.storedCount(b.blobId) === 1);
    await eventually(allStored(smallBlobs), 60_000, 'every small blob on the holder');
    expect(seen.receivingSmall).toBeGreaterThan(OLD_LIMIT);
    expect(seen.receiving).toBeLessThanOrEqual(MAX_INBOUND_TRANSFERS);

    // Each large blob is bigger than the window: one streams, and the next starts only once the
    // one before has less than the window left to send.
    const largeBlobs = await origin.addFiles((await files('large', 5, LINK_WINDOW_BYTES + 4 * MiB)).map((path) => [{ path }]));
    await eventually(allStored(largeBlobs), 90_000, 'every large blob on the holder');
    expect(seen.streamingLarge).toBeGreaterThanOrEqual(1);
    expect(seen.streamingLarge).toBeLessThanOrEqual(2);
    expect(seen.receiving).toBeLessThanOrEqual(MAX_INBOUND_TRANSFERS);
  });
});
