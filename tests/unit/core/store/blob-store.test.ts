import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import { BlobStore } from '../../../../src/main/core/store/blob-store.js';
import { IS_ROOT, warnNotRoot, withTmpfs } from '../../../helpers/tmpfs.js';

let data: string;
let root: string;
beforeEach(async () => {
  data = await mkdtemp(join(tmpdir(), 'inswarm-store-'));
  root = join(data, 'blobs');
});
afterEach(async () => {
  await rm(data, { recursive: true, force: true });
});

const idOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Stores `bytes` the way seal and receive will: stream to a temp file, then commit under its hash. */
async function put(store: BlobStore, bytes: Uint8Array): Promise<string> {
  const { path } = await store.writeTemp([bytes]);
  const id = idOf(bytes);
  await store.commit(path, id);
  return id;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Files and bytes under the shard folders, counted independently of the store. */
async function walk(dir: string): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  for (const shard of await readdir(dir)) {
    if (shard === 'tmp') continue;
    for (const name of await readdir(join(dir, shard))) {
      total.files += 1;
      total.bytes += (await stat(join(dir, shard, name))).size;
    }
  }
  return total;
}

describe('commit', () => {
  it('stores into a shard folder someone removed by hand while the store was open', async () => {
    const store = new BlobStore(root);
    await store.reconcile([]);
    const first = randomBytes(1000);
    const id = await put(store, first);
    await rm(join(root, id.slice(0, 2)), { recursive: true });
    // Another blob for the same shard: the store had seen the folder, which is gone now.
    let second = randomBytes(1000);
    while (idOf(second).slice(0, 2) !== id.slice(0, 2)) second = randomBytes(1000);
    const id2 = await put(store, second);
    expect(await readFile(store.path(id2))).toEqual(second);
  });

  it('adopts a finished file from a folder of its own: moved in, counted, and a second copy of the same blob is dropped', async () => {
    const store = new BlobStore(root);
    await store.reconcile([]);
    const incoming = join(data, 'incoming');
    await mkdir(incoming);
    const bytes = randomBytes(70_000);
    const id = idOf(bytes);
    const part = join(incoming, `${id}.part`);
    await writeFile(part, bytes);
    await store.adopt(part, id, bytes.length);
    expect(await readFile(store.path(id))).toEqual(bytes);
    expect(await readdir(incoming)).toEqual([]);
    expect(store.usage()).toEqual({ files: 1, bytes: bytes.length });
    // The same blob arriving again (a resumed receive that had already been stored): kept once.
    await writeFile(part, bytes);
    await store.adopt(part, id, bytes.length);
    expect(await readdir(incoming)).toEqual([]);
    expect(store.usage()).toEqual({ files: 1, bytes: bytes.length });
    expect(await walk(root)).toEqual({ files: 1, bytes: bytes.length });
  });

  it('puts the bytes at <root>/ab/<id> and leaves no temp behind', async () => {
    const store = new BlobStore(root);
    const bytes = randomBytes(100_000);
    const id = await put(store, bytes);
    expect(store.path(id)).toBe(join(root, id.slice(0, 2), id));
    expect(await readFile(store.path(id))).toEqual(bytes);
    expect(await store.has(id)).toBe(true);
    expect((await store.stat(id))?.size).toBe(bytes.length);
    const handle = await store.openRead(id);
    const back = Buffer.alloc(bytes.length);
    await handle.read(back, 0, bytes.length, 0);
    await handle.close();
    expect(back).toEqual(bytes);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('is atomic: the blob name never shows a partial file', async () => {
    const store = new BlobStore(root);
    const bytes = randomBytes(32 * 1024 * 1024);
    const id = idOf(bytes);
    const { path: temp, handle } = await store.createTemp();
    const target = store.path(id);
    // Write in pieces while watching the blob name: nothing may appear there before commit.
    const sizesSeen: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const st = await lstat(target).catch(() => undefined);
        if (st) sizesSeen.push(st.size);
        await nextTurn();
      }
    })();
    for (let off = 0; off < bytes.length; off += 1024 * 1024) await handle.write(bytes, off, 1024 * 1024);
    await handle.close();
    expect(sizesSeen).toEqual([]);
    await store.commit(temp, id);
    watching = false;
    await watcher;
    expect(sizesSeen.every((size) => size === bytes.length)).toBe(true);
    expect((await stat(target)).size).toBe(bytes.length);
  });

  it('keeps the first copy when the same blob is committed twice, and drops the second temp', async () => {
    const store = new BlobStore(root);
    await store.reconcile([]);
    const bytes = randomBytes(5000);
    const id = await put(store, bytes);
    const inode = (await stat(store.path(id))).ino;
    const again = await store.writeTemp([bytes]);
    await store.commit(again.path, id);
    expect((await stat(store.path(id))).ino).toBe(inode);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(store.usage()).toEqual({ files: 1, bytes: 5000 });
  });

  it('sets a damaged copy under the same name aside, never deleting it', async () => {
    const store = new BlobStore(root);
    const bytes = randomBytes(5000);
    const id = await put(store, bytes);
    await truncate(store.path(id), 100); // damaged on disk
    await store.reconcile([]); // (it is a stray now: moved to quarantine)
    await mkdir(join(root, id.slice(0, 2)), { recursive: true });
    await writeFile(store.path(id), bytes.subarray(0, 200));
    const fresh = await store.writeTemp([bytes]);
    await store.commit(fresh.path, id);
    expect(await readFile(store.path(id))).toEqual(bytes);
    const quarantined = await readdir(join(data, 'quarantine'));
    expect(quarantined.sort()).toEqual([id, `${id}.1`]);
    const sizes = await Promise.all(quarantined.map(async (n) => (await stat(join(data, 'quarantine', n))).size));
    expect(sizes.sort((a, b) => a - b)).toEqual([100, 200]);
  });

  it('refuses malformed IDs and paths that are not its own temp files', async () => {
    const store = new BlobStore(root);
    const { path } = await store.writeTemp([Buffer.from('x')]);
    expect(isInswarmError(await rejection(store.commit(path, '../../etc/passwd')), 'E_BLOB_ID')).toBe(true);
    expect(isInswarmError(await rejection(store.commit(path, 'A'.repeat(64))), 'E_BLOB_ID')).toBe(true);
    const outside = join(data, 'elsewhere.tmp');
    await writeFile(outside, 'x');
    expect(isInswarmError(await rejection(store.commit(outside, idOf(Buffer.from('x')))), 'E_USAGE')).toBe(true);
    expect(isInswarmError(await rejection(store.discardTemp(outside)), 'E_USAGE')).toBe(true);
    expect(await readFile(outside, 'utf8')).toBe('x');
    await store.discardTemp(path);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('writeTemp removes its temp when the source fails or the caller aborts', async () => {
    const store = new BlobStore(root);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(1000);
      throw new Error('link dropped');
    }
    expect(await rejection(store.writeTemp(failing()))).toMatchObject({ message: 'link dropped' });
    const abort = new AbortController();
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield randomBytes(1000);
      abort.abort();
      yield randomBytes(1000);
    }
    expect(await rejection(store.writeTemp(slow(), { signal: abort.signal }))).toMatchObject({ name: 'AbortError' });
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });
});

describe('usage and remove', () => {
  it('usage stays exact through adds and removes, and matches a fresh count', async () => {
    const store = new BlobStore(root);
    expect(() => store.usage()).toThrow(/reconcile/);
    expect(await store.reconcile([])).toEqual({ tempsRemoved: 0, lost: [], quarantined: [] });
    expect(store.usage()).toEqual({ files: 0, bytes: 0 });
    const ids = [];
    for (const size of [10, 2000, 30_000, 400_000]) ids.push(await put(store, randomBytes(size)));
    expect(store.usage()).toEqual({ files: 4, bytes: 432_010 });
    expect(await store.remove(ids[1]!)).toBe(true);
    expect(await store.remove(ids[1]!)).toBe(false);
    expect(await store.has(ids[1]!)).toBe(false);
    expect(store.usage()).toEqual({ files: 3, bytes: 430_010 });
    expect(store.usage()).toEqual(await walk(root));

    const sizes = new Map<string, number>();
    for (const id of ids) {
      const st = await store.stat(id);
      if (st) sizes.set(id, st.size);
    }
    const fresh = new BlobStore(root);
    await fresh.reconcile([...sizes].map(([blobId, size]) => ({ blobId, size })).sort((a, b) => (a.blobId < b.blobId ? -1 : 1)));
    expect(fresh.usage()).toEqual({ files: 3, bytes: 430_010 });
  });

  it('concurrent commits of one blob count it once', async () => {
    const store = new BlobStore(root);
    await store.reconcile([]);
    const bytes = randomBytes(7000);
    const temps = await Promise.all([1, 2, 3, 4].map(() => store.writeTemp([bytes])));
    await Promise.all(temps.map((t) => store.commit(t.path, idOf(bytes))));
    expect(store.usage()).toEqual({ files: 1, bytes: 7000 });
    expect(await walk(root)).toEqual({ files: 1, bytes: 7000 });
  });
});

describe('reconcile', () => {
  it('removes temps, reports missing and wrong-size blobs as lost, and quarantines the unknown', async () => {
    const first = new BlobStore(root);
    const kept = await put(first, randomBytes(3000));
    const missing = await put(first, randomBytes(4000));
    const shrunk = await put(first, randomBytes(5000));
    const stray = await put(first, randomBytes(6000)); // a file the ledger does not know
    const neverStored = idOf(Buffer.from('no file ever'));
    await rm(first.path(missing));
    await truncate(first.path(shrunk), 10);
    await first.writeTemp([randomBytes(100)]); // an interrupted write
    await first.writeTemp([randomBytes(100)]);
    await writeFile(join(root, 'notes.txt'), 'hello'); // foreign file in the root
    await writeFile(join(root, kept.slice(0, 2), 'IMG_0001.JPG'), 'photo'); // foreign name in a shard
    await symlink('/etc/passwd', join(root, kept.slice(0, 2), idOf(Buffer.from('link')).replace(/^../, kept.slice(0, 2))));
    await mkdir(join(root, 'zz'));

    const known = [
      { blobId: kept, size: 3000 },
      { blobId: missing, size: 4000 },
      { blobId: shrunk, size: 5000 },
      { blobId: neverStored, size: 1 },
    ].sort((a, b) => (a.blobId < b.blobId ? -1 : 1));

    const store = new BlobStore(root); // a fresh process
    const report = await store.reconcile(known);
    expect(report.tempsRemoved).toBe(2);
    expect(report.lost).toEqual([missing, shrunk, neverStored].sort());
    const linkName = idOf(Buffer.from('link')).replace(/^../, kept.slice(0, 2));
    expect(report.quarantined).toEqual(
      [
        'notes.txt',
        'zz',
        join(kept.slice(0, 2), 'IMG_0001.JPG'),
        join(kept.slice(0, 2), linkName),
        join(shrunk.slice(0, 2), shrunk),
        join(stray.slice(0, 2), stray),
      ].sort(),
    );

    // Nothing was deleted but the temps: every odd file is in the quarantine with its bytes.
    const quarantine = join(data, 'quarantine');
    expect((await readdir(quarantine)).sort()).toEqual(['IMG_0001.JPG', 'notes.txt', 'zz', linkName, shrunk, stray].sort());
    expect(await readFile(join(quarantine, 'notes.txt'), 'utf8')).toBe('hello');
    expect((await stat(join(quarantine, stray))).size).toBe(6000);
    expect((await lstat(join(quarantine, linkName))).isSymbolicLink()).toBe(true);

    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await store.has(kept)).toBe(true);
    expect(store.usage()).toEqual({ files: 1, bytes: 3000 });
    expect(await walk(root)).toEqual({ files: 1, bytes: 3000 });

    // A second pass finds everything in order.
    const again = await new BlobStore(root).reconcile([{ blobId: kept, size: 3000 }]);
    expect(again).toEqual({ tempsRemoved: 0, lost: [], quarantined: [] });
  });

  it('requires rows sorted by blob ID', async () => {
    const store = new BlobStore(root);
    const a = await put(store, Buffer.from('a'));
    const b = await put(store, Buffer.from('b'));
    const rows = [a, b].sort().reverse().map((blobId) => ({ blobId, size: 1 }));
    expect(await rejection(store.reconcile(rows))).toMatchObject({ message: expect.stringMatching(/sorted by blobId/) });
  });
});

describe('full disk', () => {
  if (!IS_ROOT) warnNotRoot('the blob store full-disk test');
  it.runIf(IS_ROOT)('a temp write that does not fit fails with E_DISK_FULL and leaves no temp; the store still works', async () => {
    await withTmpfs(2 * 1024 * 1024, async (mnt) => {
      const store = new BlobStore(join(mnt, 'blobs'));
      await store.reconcile([]);
      const chunks = Array.from({ length: 4 }, () => randomBytes(1024 * 1024));
      const err = await rejection(store.writeTemp(chunks));
      expect(isInswarmError(err, 'E_DISK_FULL')).toBe(true);
      expect((err as Error).message).toMatch(/disk filled up while writing a blob/);
      expect(await readdir(join(mnt, 'blobs', 'tmp'))).toEqual([]);
      // The space came back: a blob that fits is stored.
      const id = await put(store, randomBytes(512 * 1024));
      expect(store.usage()).toEqual({ files: 1, bytes: 512 * 1024 });
      expect(await store.has(id)).toBe(true);
    });
  });
});

describe('reading', () => {
  it('never follows a link planted under a blob name', async () => {
    const store = new BlobStore(root);
    const id = idOf(Buffer.from('planted'));
    await mkdir(join(root, id.slice(0, 2)), { recursive: true });
    await writeFile(join(data, 'secret'), 'not a blob');
    await symlink(join(data, 'secret'), store.path(id));
    expect(await store.has(id)).toBe(false);
    expect(await rejection(store.openRead(id))).toMatchObject({ code: 'E_IO' });
  });
});
