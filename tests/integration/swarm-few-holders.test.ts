// Fewer holders than replicas wanted (k = 2, one volunteer in the room) and more blobs than one
// placement pass looks at: every blob must still get the one copy it can get. Blobs that already
// have all the copies available must not fill every pass and starve the ones that have none.

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { inswarm } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually, freePort, startNode, type NodeProc } from '../helpers/node-proc.js';

/** More than a placement pass reads at once (PASS_BATCH, 200). */
const FILES = 230;

describe('one holder for k = 2', () => {
  it('gives every blob its one available copy, however many blobs wait', { timeout: 240_000 }, async () => {
    const work = await tempDir('few-holders');
    const [originDir, holderDir] = [join(work, 'origin'), join(work, 'holder')];
    const [originPort, holderPort] = [await freePort(), await freePort()];
    const key = await inswarm(['keygen', '--out', join(work, 'key.txt')], { data: originDir });
    expect((await inswarm(['dest', 'set', key.stdout.trim()], { data: originDir })).code).toBe(0);

    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const f = join(work, `photo-${String(i).padStart(3, '0')}.jpg`);
      await writeFile(f, randomBytes(2000));
      files.push(f);
    }
    const added = await inswarm(['add', ...files], { data: originDir });
    expect(added.code, added.stderr).toBe(0);

    const nodes: NodeProc[] = [
      startNode(holderDir, ['--listen', `127.0.0.1:${holderPort}`, '--no-mdns', '--name', 'holder']),
      startNode(originDir, ['--listen', `127.0.0.1:${originPort}`, '--no-mdns', '--name', 'origin', '--peer', `127.0.0.1:${holderPort}`]),
    ];
    try {
      await Promise.all(nodes.map((n) => n.waitFor('Listening for peers')));
      const ledger = new Database(join(originDir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
      try {
        const withCopy = () => (ledger.prepare("SELECT count(DISTINCT blob_id) AS n FROM placements WHERE state = 'stored'").get() as { n: number }).n;
        await eventually(async () => (withCopy() === FILES ? true : null), 200_000, `all ${FILES} blobs to get a copy on the one holder`);
        // Still two wanted and one available: none counts as placed, none is lost.
        const states = ledger.prepare('SELECT state, count(*) AS n FROM outbox GROUP BY state').all() as { state: string; n: number }[];
        expect(states).toEqual([{ state: 'placing', n: FILES }]);
      } finally {
        ledger.close();
      }
    } finally {
      for (const n of nodes) await n.stop();
    }
  });
});
