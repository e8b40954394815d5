// The importer copies several files at once (IMPORT_LANES) and batches its ledger commits: these
// check that doing so keeps its promises. The same photo in several folders, all in flight
// together, lands in the library once; every library file has a 'copied' row whose hash it
// matches, and nothing is left 'copying'; the group commit resolves each caller with its own
// result and rejects the whole batch when its transaction fails.

import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { InswarmNode } from '../../../../src/main/core/node.js';
import { IMPORT_LANES, Importer, STAGING_DIR } from '../../../../src/main/core/intake/importer.js';
import { GroupCommit } from '../../../../src/main/core/intake/intake-store.js';
import { VerifyHasher, hashFile } from '../../../../src/main/core/intake/copy.js';
import { makeJpeg } from '../../../helpers/jpeg.js';
import { tempDir } from '../../../helpers/tmp.js';

const open: InswarmNode[] = [];
afterEach(async () => {
  for (const node of open.splice(0)) await node.close();
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .filter((p) => !p.startsWith(STAGING_DIR))
    .sort();
}

describe('importing several files at once', () => {
  test('one photo in many folders, all in flight together, is filed once; the rest are duplicates', async () => {
    expect(IMPORT_LANES).toBeGreaterThan(1); // otherwise this would not test concurrency at all
    const dir = await tempDir('inswarm-lanes');
    const card = join(dir, 'card');
    const same = makeJpeg('2023:03:03 09:00:00', { seed: 7 });
    // Each copy is its own group (different folders), so IMPORT_LANES of them are copied together.
    const copies = IMPORT_LANES * 2;
    for (let i = 0; i < copies; i++) {
      await mkdir(join(card, 'DCIM', `${100 + i}APPLE`), { recursive: true });
      await writeFile(join(card, 'DCIM', `${100 + i}APPLE`, `IMG_${i}.JPG`), same);
    }
    // Other photos in a folder that sorts last, so the copies above are what the lanes start with.
    await mkdir(join(card, 'DCIM', '999OTHER'));
    for (let i = 0; i < 5; i++) await writeFile(join(card, 'DCIM', '999OTHER', `OTHER_${i}.JPG`), makeJpeg('2023:03:04 09:00:00', { seed: 100 + i }));
    const node = await InswarmNode.open(join(dir, 'data'));
    open.push(node);
    const library = join(dir, 'Photos');
    const importer = new Importer({ ledger: node.ledger, library, seal: (g) => node.addFiles(g), hasDestination: () => false });

    const summary = await importer.run({ id: 'card', name: 'card', root: card }, { mode: 'all' });
    expect(summary.imported).toBe(6);
    expect(summary.alreadyImported).toBe(copies - 1);
    expect(summary.unreadable).toBe(0);

    const files = await filesUnder(library);
    expect(files).toHaveLength(6);
    const sameSha = createHash('sha256').update(same).digest('hex');
    expect(importer.store.copyingRows(100)).toEqual([]);
    const copied = importer.store.unsealed(0, 100);
    // Duplicates get rows too (so --new skips them), pointing at the one library copy.
    expect(copied).toHaveLength(6 + copies - 1);
    expect(new Set(copied.filter((r) => r.sha256 === sameSha).map((r) => r.libraryPath)).size).toBe(1);
    expect([...new Set(copied.map((r) => r.libraryPath))].sort()).toEqual(files);
    // Every library file is recorded, and matches the hash its row carries.
    for (const row of copied) expect((await hashFile(join(library, row.libraryPath!))).sha256).toBe(row.sha256);
    // Nothing left in staging.
    expect(await readdir(join(library, STAGING_DIR))).toEqual([]);
  });
});

describe('GroupCommit', () => {
  test('queued writes commit together, each caller getting its own result; a failing one fails the batch and rolls it back', async () => {
    const dir = await tempDir('inswarm-group');
    const node = await InswarmNode.open(join(dir, 'data'));
    open.push(node);
    const store = new Importer({ ledger: node.ledger, library: join(dir, 'Photos'), seal: async () => [], hasDestination: () => false }).store;
    const row = (n: number) => ({ source: 's', sourcePath: `DCIM/${n}.JPG`, sha256: String(n).repeat(64).slice(0, 64), size: n, capturedAt: null });
    const synced: string[] = [];
    const commits = new GroupCommit(node.ledger, async (d) => {
      synced.push(d);
    });
    const ids = await Promise.all([1, 2, 3].map((n) => commits.run(() => store.beginCopyAt(row(n), `2023/01/01/${n}.JPG`), [`/dir${n % 2}`])));
    expect(ids.map((id) => store.get(id)?.sourcePath)).toEqual(['DCIM/1.JPG', 'DCIM/2.JPG', 'DCIM/3.JPG']);
    expect(synced.sort()).toEqual(['/dir0', '/dir1']); // each folder once per batch
    expect(store.copyingRows(100)).toHaveLength(3);

    const settled = await Promise.allSettled([
      commits.run(() => store.beginCopyAt(row(4), '2023/01/01/4.JPG')),
      commits.run(() => {
        throw new Error('boom');
      }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(store.copyingRows(100)).toHaveLength(3); // row 4 rolled back with the batch
  });
});

describe('VerifyHasher', () => {
  test('hashes on its thread exactly as hashFile does, and reports a missing file as an error with its code', async () => {
    const dir = await tempDir('inswarm-verify');
    const path = join(dir, 'big.bin');
    const bytes = Buffer.alloc(9 * 1024 * 1024 + 123);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
    await writeFile(path, bytes);
    const hasher = new VerifyHasher();
    try {
      const [a, b] = await Promise.all([hasher.hash(path), hashFile(path)]);
      expect(a).toEqual(b);
      expect(a.sha256).toBe(createHash('sha256').update(await readFile(path)).digest('hex'));
      await expect(hasher.hash(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await hasher.close();
    }
  });
});
