// More blobs waiting than one placement pass reads (PASS_BATCH, 200), and blobs at the front of
// that order that can get no further copy. They must not fill every pass and keep the ones behind
// them waiting for ever:
//   - fewer holders than replicas wanted (k = 2, one volunteer): blobs that already have the one
//     copy they can get must not starve those that have none;
//   - blobs larger than any holder's free space (a volunteer donating little): the smaller ones
//     added after them must still be placed, however many large ones come first.

import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually, freePort, startNode, type NodeProc } from '../helpers/node-proc.js';

/** More than a placement pass reads at once (PASS_BATCH, 200). */
const FILES = 230;

/** `count` files of `bytes` random bytes in a new folder `dir`. */
async function makeFiles(dir: string, count: number, bytes: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = join(dir, `photo-${String(i).padStart(3, '0')}.jpg`);
    await writeFile(f, randomBytes(bytes));
    files.push(f);
  }
  return files;
}

/**
 * An origin (its blobs added by `prepare`) and one holder (its caps set first) linked on loopback;
 * `check` runs against the origin's ledger, read-only, while both nodes run.
 */
async function withPair(
  work: string,
  holderCaps: readonly string[],
  prepare: (originDir: string) => Promise<void>,
  check: (ledger: Database.Database) => Promise<void>,
): Promise<void> {
  const [originDir, holderDir] = [join(work, 'origin'), join(work, 'holder')];
  const [originPort, holderPort] = [await freePort(), await freePort()];
  const recipient = await inswarmOk(['keygen', '--out', join(work, 'key.txt')], originDir);
  await inswarmOk(['dest', 'set', recipient], originDir);
  if (holderCaps.length > 0) await inswarmOk(['caps', 'set', ...holderCaps], holderDir);
  await prepare(originDir);
  const nodes: NodeProc[] = [
    startNode(holderDir, ['--listen', `127.0.0.1:${holderPort}`, '--no-mdns', '--name', 'holder']),
    startNode(originDir, ['--listen', `127.0.0.1:${originPort}`, '--no-mdns', '--name', 'origin', '--peer', `127.0.0.1:${holderPort}`]),
  ];
  try {
    await Promise.all(nodes.map((n) => n.waitFor('Listening for peers')));
    const ledger = new Database(join(originDir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
    try {
      await check(ledger);
    } finally {
      ledger.close();
    }
  } finally {
    for (const n of nodes) await n.stop();
  }
}

describe('placement with blobs that can get no further copy in front', () => {
  it('one holder for k = 2: gives every blob its one available copy, however many blobs wait', { timeout: 240_000 }, async () => {
    const work = await tempDir('few-holders');
    await withPair(
      work,
      [],
      async (originDir) => void (await inswarmOk(['add', ...(await makeFiles(join(work, 'photos'), FILES, 2000))], originDir)),
      async (ledger) => {
        const withCopy = () => (ledger.prepare("SELECT count(DISTINCT blob_id) AS n FROM placements WHERE state = 'stored'").get() as { n: number }).n;
        await eventually(async () => (withCopy() === FILES ? true : null), 200_000, `all ${FILES} blobs to get a copy on the one holder`);
        // Still two wanted and one available: none counts as placed, none is lost.
        const states = ledger.prepare('SELECT state, count(*) AS n FROM outbox GROUP BY state').all() as { state: string; n: number }[];
        expect(states).toEqual([{ state: 'placing', n: FILES }]);
      },
    );
  });

  it('places small blobs added after more large ones than two passes read, none of which the holder can take', { timeout: 120_000 }, async () => {
    // 450 blobs larger than the holder's whole donation are oldest, so they come first in every
    // pass's order; the five small ones behind them fit.
    const LARGE = 450;
    const SMALL = 5;
    // Sealed sizes: ~4.3 KB for a 100-byte photo, ~34 KB for a 30 KB one; the holder donates 25 KB.
    const SMALL_MAX = 10_000;
    const work = await tempDir('few-holders-large');
    await withPair(
      work,
      ['--disk', '25KB', '--share', '1'],
      async (originDir) => {
        await inswarmOk(['add', ...(await makeFiles(join(work, 'videos'), LARGE, 30_000))], originDir);
        await inswarmOk(['add', ...(await makeFiles(join(work, 'photos'), SMALL, 100))], originDir);
      },
      async (ledger) => {
        const small = ledger.prepare('SELECT blob_id AS blobId, size FROM outbox WHERE size < ?').all(SMALL_MAX) as { blobId: string; size: number }[];
        expect(small).toHaveLength(SMALL);
        const storedSmall = () =>
          (ledger.prepare("SELECT count(*) AS n FROM placements p JOIN outbox o USING (blob_id) WHERE p.state = 'stored' AND o.size < ?").get(SMALL_MAX) as { n: number }).n;
        await eventually(async () => (storedSmall() === SMALL ? true : null), 60_000, `the ${SMALL} small blobs to get a copy behind ${LARGE} that fit nowhere`);
        // The large ones were never sent: the holder said what it can take, and none fits.
        const large = ledger.prepare("SELECT count(*) AS n FROM placements p JOIN outbox o USING (blob_id) WHERE o.size >= ? AND p.state IN ('stored', 'sending')").get(SMALL_MAX) as { n: number };
        expect(large.n).toBe(0);
      },
    );
  });
});
