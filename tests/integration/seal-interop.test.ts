// Sealed blobs are standard files: the real `age` CLI and GNU tar restore ours, and we open what
// `age -r` encrypted. Sizes straddle the 64 KiB STREAM chunk edges.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, parseIdentityFile, parseRecipient, formatIdentityFile } from '../../src/main/core/seal/age-keys.js';
import { sealFiles } from '../../src/main/core/seal/seal.js';
import { openBlob } from '../../src/main/core/seal/open.js';
import { tempDir } from '../helpers/tmp.js';
import { run } from '../helpers/run.js';
import { makeJpeg } from '../helpers/jpeg.js';

const SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 1024 * 1024 + 17];
const ORIGIN = 'AAAAAAA-BBBBBBB-CCCCCCC-DDDDDDD-EEEEEEE-FFFFFFF-GGGGGGG-HHHHHHH';

let dir: string;
let keyFile: string;
let recipient: string;

beforeAll(async () => {
  const age = await run('age', ['--version']);
  expect(age.code, 'the age CLI must be installed (apt-get install age)').toBe(0);
  dir = await tempDir('seal-interop');
  const id = await generateIdentity();
  recipient = id.recipient;
  keyFile = join(dir, 'key.txt');
  await writeFile(keyFile, formatIdentityFile(id.identity, id.recipient), { mode: 0o600 });
});

async function makeFile(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  // A recognisable mtime with no sub-second part, so tar's whole-second field carries it exactly.
  await utimes(path, new Date(), new Date('2024-03-04T05:06:07Z'));
  return { path, bytes };
}

async function sealTo(paths: string[], blobPath: string) {
  const handle = await open(blobPath, 'wx');
  try {
    return await sealFiles(paths.map((path) => ({ path })), handle, { recipients: [parseRecipient(recipient)], originDeviceId: ORIGIN });
  } finally {
    await handle.close();
  }
}

async function identities() {
  return parseIdentityFile(await readFile(keyFile, 'utf8'));
}

describe('our blobs open with age -d | tar -x', () => {
  for (const size of SIZES) {
    it(`a ${size}-byte file`, async () => {
      const { path, bytes } = await makeFile(`f-${size}.bin`, size);
      const blob = join(dir, `blob-${size}.age`);
      const result = await sealTo([path], blob);
      const blobBytes = await readFile(blob);
      expect(result.blobId).toBe(createHash('sha256').update(blobBytes).digest('hex'));
      expect(result.size).toBe(blobBytes.length);

      const plain = await run('age', ['-d', '-i', keyFile, blob]);
      expect(plain.code, plain.stderr).toBe(0);
      const out = await tempDir('tar-x');
      const tar = await run('tar', ['-x', '-C', out], { input: plain.stdoutBytes });
      expect(tar.code, tar.stderr).toBe(0);
      expect(tar.stderr).toBe(''); // our records must not make GNU tar warn
      expect(await readdir(out)).toEqual([`f-${size}.bin`]);
      expect((await readFile(join(out, `f-${size}.bin`))).equals(bytes)).toBe(true);
      expect((await stat(join(out, `f-${size}.bin`))).mtime.toISOString()).toBe('2024-03-04T05:06:07.000Z');
    });
  }
});

describe('age -r encrypted tars open with openBlob', () => {
  for (const size of SIZES) {
    it(`a ${size}-byte file`, async () => {
      const src = await tempDir('src');
      const bytes = randomBytes(size);
      await writeFile(join(src, 'photo.bin'), bytes);
      const tarFile = join(dir, `ext-${size}.tar`);
      expect((await run('tar', ['--format=pax', '-cf', tarFile, '-C', src, 'photo.bin'])).code).toBe(0);
      const blob = join(dir, `ext-${size}.age`);
      const enc = await run('age', ['-r', recipient, '-o', blob, tarFile]);
      expect(enc.code, enc.stderr).toBe(0);
      const out = await tempDir('open');
      const result = await openBlob(blob, out, { identities: await identities() });
      expect(result.files.map((f) => f.placedAt)).toEqual(['photo.bin']);
      expect((await readFile(join(out, 'photo.bin'))).equals(bytes)).toBe(true);
      expect(result.files[0]!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    });
  }

  it('an armored file from age -a', async () => {
    const src = await tempDir('src');
    await writeFile(join(src, 'note.txt'), 'hello');
    const tarFile = join(dir, 'armored.tar');
    await run('tar', ['--format=pax', '-cf', tarFile, '-C', src, 'note.txt']);
    const blob = join(dir, 'armored.age');
    expect((await run('age', ['-a', '-r', recipient, '-o', blob, tarFile])).code).toBe(0);
    const out = await tempDir('open');
    await openBlob(blob, out, { identities: await identities() });
    expect(await readFile(join(out, 'note.txt'), 'utf8')).toBe('hello');
  });
});

describe('sealing records what a restore needs', () => {
  it('keeps names, mtimes, modes, per-file hashes, origin and capture time; open never overwrites', async () => {
    const photoDir = await tempDir('photos');
    const jpegBytes = makeJpeg('2023:07:14 21:05:33', { offset: '+02:00', seed: 7 });
    const photo = join(photoDir, 'IMG_0001.JPG');
    await writeFile(photo, jpegBytes, { mode: 0o640 });
    const other = join(await tempDir('elsewhere'), 'IMG_0001.JPG'); // same base name
    await writeFile(other, 'not a photo');
    const blob = join(dir, 'photos.age');
    const sealed = await sealTo([photo, other], blob);
    expect(sealed.files.map((f) => f.name)).toEqual(['IMG_0001.JPG', 'IMG_0001 (2).JPG']);
    expect(sealed.files[0]!.capturedAt).toBe('2023-07-14T21:05:33+02:00');
    expect(sealed.files[1]!.capturedAt).toBeNull();

    const out = join(await tempDir('restore'), 'nested', 'folder');
    const first = await openBlob(blob, out, { identities: await identities(), expectedId: sealed.blobId });
    expect(first.origin).toBe(ORIGIN);
    expect(first.files.map((f) => [f.placedAt, f.capturedAt, f.sha256])).toEqual([
      ['IMG_0001.JPG', '2023-07-14T21:05:33+02:00', createHash('sha256').update(jpegBytes).digest('hex')],
      ['IMG_0001 (2).JPG', null, createHash('sha256').update('not a photo').digest('hex')],
    ]);
    expect((await stat(join(out, 'IMG_0001.JPG'))).mode & 0o777).toBe(0o640);

    const second = await openBlob(blob, out, { identities: await identities() });
    expect(second.files.map((f) => f.placedAt)).toEqual(['IMG_0001 (3).JPG', 'IMG_0001 (2) (2).JPG']);
    expect((await readFile(join(out, 'IMG_0001.JPG'))).equals(jpegBytes)).toBe(true);
    expect((await readdir(out)).sort()).toEqual(['IMG_0001 (2) (2).JPG', 'IMG_0001 (2).JPG', 'IMG_0001 (3).JPG', 'IMG_0001.JPG']);
  });
});

describe('bad blobs leave nothing behind', () => {
  async function expectRefused(blob: string, code: string, options: { identities?: Awaited<ReturnType<typeof identities>>; expectedId?: string } = {}) {
    const parent = await tempDir('refused');
    const out = join(parent, 'deep', 'out'); // missing parents are created, and removed on failure
    await expect(openBlob(blob, out, { identities: options.identities ?? (await identities()), ...(options.expectedId ? { expectedId: options.expectedId } : {}) })).rejects.toMatchObject({ code });
    // The output folder did not exist before and must not exist after.
    expect(await readdir(parent)).toEqual([]);
  }

  async function ageTar(build: (src: string) => Promise<string[]>, tarArgs: string[] = []): Promise<string> {
    const src = await tempDir('hostile');
    const members = await build(src);
    const tarFile = join(src, '..', `${randomBytes(4).toString('hex')}.tar`);
    const t = await run('tar', ['--format=pax', ...tarArgs, '-cf', tarFile, '-C', src, ...members]);
    expect(t.code, t.stderr).toBe(0);
    const blob = `${tarFile}.age`;
    expect((await run('age', ['-r', recipient, '-o', blob, tarFile])).code).toBe(0);
    return blob;
  }

  let good: string;
  let goodBytes: Buffer;
  beforeAll(async () => {
    const { path } = await makeFile('victim.bin', 200_000);
    good = join(dir, 'victim.age');
    await sealTo([path], good);
    goodBytes = await readFile(good);
  });

  it('wrong identity', async () => {
    const other = await generateIdentity();
    await expectRefused(good, 'E_AGE_NO_MATCH', { identities: parseIdentityFile(other.identity) });
  });

  it('a blob sealed to another recipient', async () => {
    const other = await generateIdentity();
    const { path } = await makeFile('other.bin', 10);
    const blob = join(dir, 'for-other.age');
    const handle = await open(blob, 'wx');
    await sealFiles([{ path }], handle, { recipients: [parseRecipient(other.recipient)], originDeviceId: ORIGIN });
    await handle.close();
    await expectRefused(blob, 'E_AGE_NO_MATCH');
  });

  it('truncated at several points', async () => {
    for (const cut of [10, 150, goodBytes.length - 70_000, goodBytes.length - 1]) {
      const blob = join(dir, `trunc-${cut}.age`);
      await writeFile(blob, goodBytes.subarray(0, cut));
      const err = await openBlob(blob, await tempDir('o'), { identities: await identities() }).catch((e: unknown) => e);
      expect(['E_AGE_HEADER', 'E_AGE_PAYLOAD']).toContain((err as { code: string }).code);
    }
    await writeFile(join(dir, 'trunc.age'), goodBytes.subarray(0, goodBytes.length - 1));
    await expectRefused(join(dir, 'trunc.age'), 'E_AGE_PAYLOAD');
  });

  it('one flipped bit anywhere is refused, and the name check catches it first', async () => {
    const id = createHash('sha256').update(goodBytes).digest('hex');
    const positions = [0, 30, 100, 180, 200, 250, 1000, 65_600, 131_000, goodBytes.length - 17, goodBytes.length - 1];
    for (const at of positions) {
      const bad = Buffer.from(goodBytes);
      bad[at]! ^= 0x01;
      const blob = join(dir, `flip-${at}.age`);
      await writeFile(blob, bad);
      const out = await tempDir('o');
      const err = await openBlob(blob, out, { identities: await identities() }).catch((e: unknown) => e);
      expect(['E_AGE_HEADER', 'E_AGE_HMAC', 'E_AGE_PAYLOAD', 'E_AGE_NO_MATCH'], `flip at ${at}`).toContain((err as { code: string }).code);
      expect(await readdir(out), `flip at ${at}`).toEqual([]);
      await expectRefused(blob, 'E_BLOB_HASH', { expectedId: id });
    }
  });

  it('plaintext that is not a tar', async () => {
    const raw = join(dir, 'raw.bin');
    await writeFile(raw, randomBytes(5000));
    const blob = join(dir, 'raw.age');
    await run('age', ['-r', recipient, '-o', blob, raw]);
    await expectRefused(blob, 'E_TAR_FORMAT');
  });

  it('a tar with a path escaping the folder', async () => {
    const blob = await ageTar(async (src) => {
      await mkdir(join(src, 'sub'));
      await writeFile(join(src, 'escape.txt'), 'x');
      return ['sub/../escape.txt'];
    }, ['--transform=s,^,../,']);
    await expectRefused(blob, 'E_TAR_UNSAFE');
  });

  it('a tar with an absolute path', async () => {
    const src = await tempDir('abs');
    await writeFile(join(src, 'etc-passwd'), 'x');
    const tarFile = join(src, 'abs.tar');
    expect((await run('tar', ['--format=pax', '-P', '-cf', tarFile, join(src, 'etc-passwd')])).code).toBe(0);
    const blob = `${tarFile}.age`;
    await run('age', ['-r', recipient, '-o', blob, tarFile]);
    await expectRefused(blob, 'E_TAR_UNSAFE');
  });

  it('a tar with a symbolic link, a hard link, or a directory', async () => {
    const withSymlink = await ageTar(async (src) => {
      await symlink('/etc/passwd', join(src, 'link'));
      return ['link'];
    });
    await expectRefused(withSymlink, 'E_TAR_UNSAFE');
    const withHardLink = await ageTar(async (src) => {
      await writeFile(join(src, 'a'), 'x');
      await (await import('node:fs/promises')).link(join(src, 'a'), join(src, 'b'));
      return ['a', 'b'];
    });
    await expectRefused(withHardLink, 'E_TAR_UNSAFE');
    const withDir = await ageTar(async (src) => {
      await mkdir(join(src, 'd'));
      await writeFile(join(src, 'd', 'f'), 'x');
      return ['d'];
    });
    await expectRefused(withDir, 'E_TAR_UNSAFE');
  });

  it('a tar with an oversized pax header', async () => {
    const src = await tempDir('pax');
    await writeFile(join(src, 'f'), 'x');
    const tarFile = join(src, 'big-pax.tar');
    const t = await run('tar', ['--format=pax', `--pax-option=comment=${'x'.repeat(70_000)}`, '-cf', tarFile, '-C', src, 'f']);
    expect(t.code, t.stderr).toBe(0);
    const blob = `${tarFile}.age`;
    await run('age', ['-r', recipient, '-o', blob, tarFile]);
    await expectRefused(blob, 'E_TAR_LIMIT');
  });
});
