import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import { fsyncDir, writeFileDurable } from '../../../../src/main/core/store/fsync.js';
import { IS_ROOT, warnNotRoot, withTmpfs } from '../../../helpers/tmpfs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inswarm-fsync-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileDurable', () => {
  it('creates and replaces a file whole, private by default, with no temp left', async () => {
    const file = join(dir, 'config.json');
    await writeFileDurable(file, '{"a":1}');
    await writeFileDurable(file, Buffer.from('{"a":2}'));
    expect(await readFile(file, 'utf8')).toBe('{"a":2}');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['config.json']);
  });

  it('maps a missing folder to E_NOT_FOUND', async () => {
    const err = await writeFileDurable(join(dir, 'nope', 'x'), 'x').catch((e: unknown) => e);
    expect(isInswarmError(err, 'E_NOT_FOUND')).toBe(true);
  });

  if (!IS_ROOT) warnNotRoot('the writeFileDurable full-disk test');
  it.runIf(IS_ROOT)('on a full disk fails with E_DISK_FULL, keeps the old content and leaves no temp', async () => {
    await withTmpfs(1024 * 1024, async (mnt) => {
      const file = join(mnt, 'settings.json');
      await writeFileDurable(file, 'old');
      const err = await writeFileDurable(file, Buffer.alloc(2 * 1024 * 1024, 1)).catch((e: unknown) => e);
      expect(isInswarmError(err, 'E_DISK_FULL')).toBe(true);
      expect(await readFile(file, 'utf8')).toBe('old');
      expect(await readdir(mnt)).toEqual(['settings.json']);
    });
  });
});

describe('fsyncDir', () => {
  it('flushes an existing folder and rejects a missing one', async () => {
    await writeFile(join(dir, 'a'), 'a');
    await expect(fsyncDir(dir)).resolves.toBeUndefined();
    await expect(fsyncDir(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
