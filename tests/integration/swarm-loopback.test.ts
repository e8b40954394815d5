// Four real nodes on 127.0.0.1: one origin adds 50 files of mixed sizes (0 B to 20 MB); every blob
// reaches k = 2 distinct holders, the holders' bytes equal the origin's, and the ledgers agree.

import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/main/core/ledger/ledger.js';
import { inswarm } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually, freePort, startNode, type NodeProc } from '../helpers/node-proc.js';

const FILES = 50;
const MAX_FILE = 20 * 1024 * 1024;

/** Sizes from 0 B to 20 MB: the edges, then a spread weighted towards photo sizes. */
function sizes(): number[] {
  const out = [0, 1, 65_535, 65_536, 65_537, MAX_FILE];
  let x = 12345;
  while (out.length < FILES) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(x % 8 === 0 ? x % MAX_FILE : x % 4_000_000);
  }
  return out;
}

describe('a swarm of 4 nodes on loopback', () => {
  it('places every blob on 2 distinct holders with identical bytes and agreeing ledgers', { timeout: 300_000 }, async () => {
    const work = await tempDir('swarm');
    const names = ['origin', 'h1', 'h2', 'h3'];
    const dirs = names.map((n) => join(work, n));
    const ports = await Promise.all(names.map(() => freePort()));
    const key = await inswarm(['keygen', '--out', join(work, 'key.txt')], { data: dirs[0] });
    expect((await inswarm(['dest', 'set', key.stdout.trim()], { data: dirs[0] })).code).toBe(0);

    const nodes: NodeProc[] = names.map((_, i) =>
      startNode(dirs[i]!, ['--listen', `127.0.0.1:${ports[i]}`, '--no-mdns', '--name', names[i]!, ...ports.filter((_, j) => j !== i).flatMap((p) => ['--peer', `127.0.0.1:${p}`])]),
    );
    await Promise.all(nodes.map((n) => n.waitFor('Listening for peers')));

    const files: string[] = [];
    for (const [i, size] of sizes().entries()) {
      const f = join(work, `file-${i}.bin`);
      await writeFile(f, randomBytes(size));
      files.push(f);
    }
    const added = await inswarm(['add', ...files], { data: dirs[0] });
    expect(added.code, added.stderr).toBe(0);
    const blobIds = added.stdout.trim().split('\n').map((l) => l.split('\t')[0]!);
    expect(blobIds).toHaveLength(FILES);

    const status = await eventually(
      async () => {
        const s = JSON.parse((await inswarm(['status', '--json'], { data: dirs[0] })).stdout) as { placed: number; running: { linked: unknown[] } | null };
        return s.placed === FILES ? s : null;
      },
      240_000,
      'all 50 blobs to reach 2 holders',
    );
    expect(status.running?.linked).toHaveLength(3);
    for (const n of nodes) expect(await n.stop()).toBe(0);

    const origin = Ledger.open(join(dirs[0]!, 'ledger.sqlite'));
    const holderLedgers = dirs.slice(1).map((d) => Ledger.open(join(d, 'ledger.sqlite')));
    try {
      const fromOrigin = new Set<string>();
      for (const blobId of blobIds) {
        const stored = origin.placementsOf(blobId).filter((p) => p.state === 'stored');
        expect(new Set(stored.map((p) => p.holderId)).size, blobId).toBeGreaterThanOrEqual(2);
        expect(origin.receiptsOf(blobId).filter((r) => r.kind === 'custody').length).toBe(stored.length);
        for (const p of stored) fromOrigin.add(`${blobId}/${p.holderId}`);
      }
      const fromHolders = new Set<string>();
      for (const [i, ledger] of holderLedgers.entries()) {
        const holderId = (await inswarm(['id'], { data: dirs[i + 1] })).stdout.trim();
        for (const row of ledger.heldPage({ limit: 1000 })) {
          expect(row.state).toBe('held');
          expect(row.bytesReceived).toBe(row.size);
          const bytes = await readFile(join(dirs[i + 1]!, 'blobs', row.blobId.slice(0, 2), row.blobId));
          expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.blobId);
          const mine = await readFile(join(dirs[0]!, 'blobs', row.blobId.slice(0, 2), row.blobId));
          expect(bytes.equals(mine)).toBe(true);
          fromHolders.add(`${row.blobId}/${holderId}`);
        }
      }
      expect([...fromHolders].sort()).toEqual([...fromOrigin].sort());
    } finally {
      origin.close();
      for (const l of holderLedgers) l.close();
    }
  });
});
