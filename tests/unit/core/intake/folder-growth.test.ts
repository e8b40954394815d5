// A download's progress read from its folder: real files in a temp folder, gphoto2's in-progress
// temp files left out, and the last count taken at stop().

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderTotals, watchFolderGrowth } from '../../../../src/main/core/intake/folder-growth.js';
import { eventually } from '../../../helpers/node-proc.js';
import { tempDir } from '../../../helpers/tmp.js';

describe('folder growth', () => {
  it('counts complete files and their bytes at any depth, not gphoto2 temp files, and 0 for a missing folder', async () => {
    const dir = await tempDir('inswarm-growth');
    await mkdir(join(dir, 'store_00010001', 'DCIM', '100APPLE'), { recursive: true });
    await writeFile(join(dir, 'store_00010001', 'DCIM', '100APPLE', 'IMG_0001.HEIC'), Buffer.alloc(3000));
    await writeFile(join(dir, 'store_00010001', 'DCIM', '100APPLE', 'IMG_0001.MOV'), Buffer.alloc(7000));
    await writeFile(join(dir, 'tmpfileAb12Cd'), Buffer.alloc(5000));
    expect(await folderTotals(dir)).toEqual({ files: 2, bytes: 10_000 });
    expect(await folderTotals(join(dir, 'gone'))).toEqual({ files: 0, bytes: 0 });
  });

  it('reports the folder as it grows, and its final totals when stopped', async () => {
    const dir = await tempDir('inswarm-growth-watch');
    const seen: [number, number][] = [];
    // As gphoto2 saves: a temp file in the folder, renamed to its name once complete.
    const save = async (name: string, bytes: number) => {
      await writeFile(join(dir, 'tmpfileQ1w2E3'), Buffer.alloc(bytes));
      await rename(join(dir, 'tmpfileQ1w2E3'), join(dir, name));
    };
    const watch = watchFolderGrowth(dir, (files, bytes) => seen.push([files, bytes]), 20);
    await save('a.jpg', 100);
    await eventually(async () => seen.some(([files]) => files === 1), 10_000, 'a count with the first file');
    await save('b.jpg', 50);
    await watch.stop();
    expect(seen).toContainEqual([1, 100]);
    expect(seen[seen.length - 1]).toEqual([2, 150]);
    const after = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toHaveLength(after); // no count after stop()
  });
});
