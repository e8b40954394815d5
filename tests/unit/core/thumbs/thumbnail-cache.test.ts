// The thumbnail cache on disk: entries survive a restart, the charged total (and what is on disk)
// never passes the cap, the least recently used entry goes first, negatives are recorded, a temp file
// left by an interrupted write is removed and never served, and only hex keys become file names.
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { THUMB_CACHE_ENTRY_MIN_BYTES, ThumbnailCache } from '../../../../src/main/core/thumbs/thumbnail-cache.js';
import { tempDir } from '../../../helpers/tmp.js';

const key = (n: number) => n.toString(16).padStart(64, '0');
const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

async function onDisk(dir: string): Promise<{ names: string[]; total: number }> {
  const names = (await readdir(dir)).sort();
  let total = 0;
  for (const name of names) total += (await stat(join(dir, name))).size;
  return { names, total };
}

describe('ThumbnailCache', () => {
  it('keeps thumbnails and negatives across a restart', async () => {
    const dir = join(await tempDir('inswarm-thumbcache'), 'thumbs');
    const cache = new ThumbnailCache(dir);
    expect(await cache.get(key(1))).toBeNull();
    await cache.putThumbnail(key(1), bytes(5000, 1));
    await cache.putUndecodable(key(2));
    expect(await cache.get(key(1))).toEqual({ kind: 'jpeg', bytes: bytes(5000, 1) });
    expect(await cache.get(key(2))).toEqual({ kind: 'undecodable' });
    expect((await onDisk(dir)).names).toEqual([`${key(1)}.jpg`, `${key(2)}.none`]);

    const again = new ThumbnailCache(dir);
    expect(await again.get(key(1))).toEqual({ kind: 'jpeg', bytes: bytes(5000, 1) });
    expect(await again.get(key(2))).toEqual({ kind: 'undecodable' });
    expect(again.chargedBytes).toBe(5000 + THUMB_CACHE_ENTRY_MIN_BYTES);
    // A file that later renders replaces its negative (and the other way round): one file per key.
    await again.putThumbnail(key(2), bytes(4500, 2));
    expect(await again.get(key(2))).toEqual({ kind: 'jpeg', bytes: bytes(4500, 2) });
    expect((await onDisk(dir)).names).toEqual([`${key(1)}.jpg`, `${key(2)}.jpg`]);
  });

  it('evicts the least recently used entries beyond the cap, on disk too', async () => {
    const dir = await tempDir('inswarm-thumbcache');
    const cap = 20_000;
    const cache = new ThumbnailCache(dir, cap);
    await cache.putThumbnail(key(1), bytes(6000, 1));
    await cache.putThumbnail(key(2), bytes(6000, 2));
    await cache.putThumbnail(key(3), bytes(6000, 3));
    expect(await cache.get(key(1))).not.toBeNull(); // now key 2 is the least recently used
    await cache.putThumbnail(key(4), bytes(6000, 4));
    expect(await cache.get(key(2))).toBeNull();
    for (const k of [1, 3, 4]) expect(await cache.get(key(k)), `key ${k}`).not.toBeNull();
    const disk = await onDisk(dir);
    expect(disk.names).toEqual([`${key(1)}.jpg`, `${key(3)}.jpg`, `${key(4)}.jpg`]);
    expect(disk.total).toBeLessThanOrEqual(cap);
    expect(cache.chargedBytes).toBe(18_000);

    // Many more writes: the cap holds throughout, and negatives count too (a block each).
    for (let i = 10; i < 40; i++) {
      await (i % 3 === 0 ? cache.putUndecodable(key(i)) : cache.putThumbnail(key(i), bytes(3000 + i * 37, i)));
      expect(cache.chargedBytes).toBeLessThanOrEqual(cap);
      expect((await onDisk(dir)).total).toBeLessThanOrEqual(cap);
    }
    expect((await onDisk(dir)).names.length).toBeLessThanOrEqual(Math.floor(cap / THUMB_CACHE_ENTRY_MIN_BYTES));
    expect(await cache.get(key(39))).not.toBeNull();

    // A restart with a lower cap trims the oldest-written entries.
    const smaller = new ThumbnailCache(dir, 9_000);
    expect(await smaller.get(key(39))).not.toBeNull();
    expect(smaller.chargedBytes).toBeLessThanOrEqual(9_000);
    expect((await onDisk(dir)).total).toBeLessThanOrEqual(9_000);
  });

  it('never keeps an entry larger than the whole cap', async () => {
    const dir = await tempDir('inswarm-thumbcache');
    const cache = new ThumbnailCache(dir, 10_000);
    await cache.putThumbnail(key(1), bytes(9000, 1));
    await cache.putThumbnail(key(2), bytes(12_000, 2));
    expect(await cache.get(key(2))).toBeNull();
    expect(await cache.get(key(1))).not.toBeNull();
  });

  it('removes temp files of an interrupted write and never serves them; leaves no temp files itself', async () => {
    const dir = await tempDir('inswarm-thumbcache');
    await writeFile(join(dir, `${key(7)}.jpg.123.0.abcd.tmp`), bytes(100, 7)); // a crash before the rename
    await writeFile(join(dir, 'notes.txt'), 'not ours');
    const cache = new ThumbnailCache(dir);
    expect(await cache.get(key(7))).toBeNull();
    expect((await onDisk(dir)).names).toEqual(['notes.txt']);
    await Promise.all([1, 2, 3].map((k) => cache.putThumbnail(key(k), bytes(5000, k))));
    expect((await onDisk(dir)).names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(cache.chargedBytes).toBe(15_000);
  });

  it('takes only hex SHA-256 keys, so no key is ever a path', async () => {
    const cache = new ThumbnailCache(await tempDir('inswarm-thumbcache'));
    for (const bad of ['../../etc/passwd', key(0xabc).toUpperCase(), key(1).slice(1), `${key(1)}/x`]) {
      await expect(cache.get(bad), bad).rejects.toThrow(/not a thumbnail cache key/);
      await expect(cache.putThumbnail(bad, bytes(1, 1)), bad).rejects.toThrow(/not a thumbnail cache key/);
    }
  });
});
