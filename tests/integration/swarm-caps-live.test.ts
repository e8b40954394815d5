// Caps change while the node runs (another process writes them, as `inswarm caps set` does): a
// holder that lowers its donation declines what no longer fits, and accepts again once raised.

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/main/core/ledger/ledger.js';
import { inswarm } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually, freePort, startNode } from '../helpers/node-proc.js';

interface Status {
  placed: number;
  running: { linked: unknown[] } | null;
}

describe('caps changed while the holder runs', () => {
  it('a lowered disk cap declines the next offer; raising it lets placement finish', { timeout: 120_000 }, async () => {
    const work = await tempDir('caps-live');
    const [origin, holder] = [join(work, 'origin'), join(work, 'holder')];
    const [po, ph] = [await freePort(), await freePort()];
    const key = await inswarm(['keygen', '--out', join(work, 'key.txt')], { data: origin });
    expect((await inswarm(['dest', 'set', key.stdout.trim()], { data: origin })).code).toBe(0);
    expect((await inswarm(['caps', 'set', '--replicas', '1'], { data: origin })).code).toBe(0);

    const h = startNode(holder, ['--listen', `127.0.0.1:${ph}`, '--no-mdns', '--name', 'holder']);
    const o = startNode(origin, ['--listen', `127.0.0.1:${po}`, '--no-mdns', '--name', 'origin', '--peer', `127.0.0.1:${ph}`]);
    await Promise.all([h.waitFor('Listening for peers'), o.waitFor('Listening for peers')]);
    const status = async (data: string) => JSON.parse((await inswarm(['status', '--json'], { data })).stdout) as Status;
    await eventually(async () => (await status(origin)).running?.linked.length === 1, 30_000, 'the two nodes to link');

    // The running holder is told, by another process, to donate almost nothing.
    expect((await inswarm(['caps', 'set', '--disk', '1KB'], { data: holder })).code).toBe(0);
    const file = join(work, 'photo.bin');
    await writeFile(file, randomBytes(200_000));
    const added = await inswarm(['add', file], { data: origin });
    expect(added.code).toBe(0);
    const blobId = added.stdout.split('\t')[0]!;
    // The offer is made and declined: the origin records the holder's decline for that blob.
    const ledger = Ledger.open(join(origin, 'ledger.sqlite'));
    try {
      await eventually(async () => ledger.placementsOf(blobId).some((p) => p.state === 'declined'), 30_000, 'the holder to decline the offer');
    } finally {
      ledger.close();
    }
    expect((await status(origin)).placed).toBe(0);
    expect(JSON.parse((await inswarm(['held', '--json'], { data: holder })).stdout)).toEqual([]);

    // Raised again: the origin's retry (after its backoff for a full holder) or a new blob gets through.
    expect((await inswarm(['caps', 'set', '--disk', '50MB'], { data: holder })).code).toBe(0);
    const second = join(work, 'photo2.bin');
    await writeFile(second, randomBytes(100_000));
    expect((await inswarm(['add', second], { data: origin })).code).toBe(0);
    await eventually(async () => ((await status(origin)).placed >= 1 ? true : null), 60_000, 'a blob to be placed after the cap was raised');
    const held = JSON.parse((await inswarm(['held', '--json'], { data: holder })).stdout) as { state: string }[];
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(held.every((r) => r.state === 'held')).toBe(true);
    expect(await o.stop()).toBe(0);
    expect(await h.stop()).toBe(0);
  });
});
