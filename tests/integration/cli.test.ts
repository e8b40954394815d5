// The `inswarm` command as a user runs it: real processes, real files, real age CLI, exit codes
// 0 ok / 1 failure with one sentence / 2 usage, and nothing partial left behind.

import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, inswarm, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { IS_ROOT, warnNotRoot, withTmpfs } from '../helpers/tmpfs.js';

const SUBCOMMANDS = ['start', 'status', 'peers', 'peer', 'held', 'caps', 'id', 'dest', 'add', 'net', 'home', 'deliver', 'import', 'receive', 'collect', 'keygen', 'seal', 'open', 'verify'];

/** A failure is exactly one line on stderr, prefixed "inswarm:", that says what to do. */
function expectOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^inswarm: .+[.:].*$/);
  expect(stderr).not.toMatch(/at .+\(.+:\d+:\d+\)/); // never a stack trace
}

let work: string;
let key: string;
let recipient: string;

beforeAll(async () => {
  work = await tempDir('cli');
  key = join(work, 'key.txt');
  const made = await inswarm(['keygen', '--out', key], { data: join(work, 'keydata') });
  expect(made.code, made.stderr).toBe(0);
  recipient = made.stdout.trim();
});

describe('usage and help', () => {
  it('every subcommand has --help, exit 0', async () => {
    for (const name of SUBCOMMANDS) {
      const r = await inswarm([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`^Usage: inswarm ${name}`));
    }
  });

  it('no command, an unknown command or option, or a missing argument exits 2', async () => {
    expect((await inswarm([])).code).toBe(2);
    expect((await inswarm(['frobnicate'])).code).toBe(2);
    expect((await inswarm(['seal', '--bogus'])).code).toBe(2);
    expect((await inswarm(['open', '--identity', key])).code).toBe(2);
    expect((await inswarm(['keygen'])).code).toBe(2);
  });
});

describe('keygen', () => {
  it('writes an age key file (0600) that the age CLI accepts and never overwrites it', async () => {
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const text = await readFile(key, 'utf8');
    expect(text).toContain(`# public key: ${recipient}`);
    const plain = join(work, 'hello.txt');
    await writeFile(plain, 'hello age');
    const enc = await run('age', ['-r', recipient, '-o', `${plain}.age`, plain]);
    expect(enc.code).toBe(0);
    const dec = await run('age', ['-d', '-i', key, `${plain}.age`]);
    expect(dec.stdout).toBe('hello age');

    const again = await inswarm(['keygen', '--out', key]);
    expect(again.code).toBe(1);
    expectOneSentence(again.stderr);
    expect(await readFile(key, 'utf8')).toBe(text);
  });
});

describe('seal, verify, open', () => {
  it('round-trips files and checks names', async () => {
    const data = join(work, 'node-a');
    const a = join(work, 'a.bin');
    const b = join(work, 'b.txt');
    const aBytes = randomBytes(200_000);
    await writeFile(a, aBytes);
    await writeFile(b, 'bee');
    const blob = join(work, 'two.blob');
    const sealed = await inswarm(['--data', data, 'seal', '--to', recipient, '--out', blob, a, b]);
    expect(sealed.code, sealed.stderr).toBe(0);
    const id = sealed.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    expect((await inswarm(['verify', '--id', id, blob])).stdout.trim()).toBe(id);
    const named = join(work, id);
    await writeFile(named, await readFile(blob));
    expect((await inswarm(['verify', named])).code).toBe(0);
    const bad = await readFile(blob);
    bad[bad.length - 5]! ^= 0xff;
    await writeFile(named, bad);
    const refused = await inswarm(['verify', named]);
    expect(refused.code).toBe(1);
    expectOneSentence(refused.stderr);

    const out = join(work, 'out');
    const opened = await inswarm(['open', '--identity', key, '--out', out, blob]);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout.trim().split('\n')).toEqual(['a.bin', 'b.txt']);
    expect((await readFile(join(out, 'a.bin'))).equals(aBytes)).toBe(true);

    // The same blob is readable without Inswarm.
    const tarOut = join(work, 'tar-out');
    await mkdir(tarOut);
    const dec = await run('age', ['-d', '-i', key, blob]);
    expect((await run('tar', ['-x', '-C', tarOut], { input: dec.stdoutBytes })).code).toBe(0);
    expect(await readFile(join(tarOut, 'b.txt'), 'utf8')).toBe('bee');

    // Sealing over an existing file is refused and leaves it alone.
    const before = await readFile(blob);
    const over = await inswarm(['--data', data, 'seal', '--to', recipient, '--out', blob, a]);
    expect(over.code).toBe(1);
    expectOneSentence(over.stderr);
    expect((await readFile(blob)).equals(before)).toBe(true);
    expect((await readdir(work)).filter((n) => n.includes('inswarm-tmp'))).toEqual([]);
  });

  it('a wrong key, a folder or a missing file fails with one sentence and leaves nothing', async () => {
    const other = join(work, 'other-key.txt');
    await inswarm(['keygen', '--out', other]);
    const f = join(work, 'x.txt');
    await writeFile(f, 'x');
    const blob = join(work, 'x.blob');
    expect((await inswarm(['--data', join(work, 'node-b'), 'seal', '--to', recipient, '--out', blob, f])).code).toBe(0);
    const out = join(work, 'never');
    const wrong = await inswarm(['open', '--identity', other, '--out', out, blob]);
    expect(wrong.code).toBe(1);
    expectOneSentence(wrong.stderr);
    await expect(stat(out)).rejects.toThrow();

    for (const input of [work, join(work, 'missing.jpg')]) {
      const r = await inswarm(['--data', join(work, 'node-b'), 'seal', '--to', recipient, '--out', join(work, 'y.blob'), input]);
      expect(r.code, input).toBe(1);
      expectOneSentence(r.stderr);
      await expect(stat(join(work, 'y.blob'))).rejects.toThrow();
    }
  });
});

describe('the node: id, dest, add, status', () => {
  it('keeps a stable device ID, seals into the outbox and reports counts and bytes', async () => {
    const data = join(work, 'node-c');
    const id1 = (await inswarm(['id'], { data })).stdout.trim();
    expect(id1).toMatch(/^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$/);
    expect((await inswarm(['id', '--data', data])).stdout.trim()).toBe(id1);

    const photo = join(work, 'IMG_1.JPG');
    await writeFile(photo, randomBytes(50_000));
    const noDest = await inswarm(['add', photo], { data });
    expect(noDest.code).toBe(1);
    expectOneSentence(noDest.stderr);
    expect(noDest.stderr).toContain('inswarm dest set');

    expect((await inswarm(['dest', 'set', recipient, '--label', 'NAS'], { data })).code).toBe(0);
    expect((await inswarm(['dest', 'set', 'age1notarecipient'], { data })).code).toBe(1);
    const added = await inswarm(['add', photo, photo], { data });
    expect(added.code, added.stderr).toBe(0);
    const ids = added.stdout.trim().split('\n').map((l) => l.split('\t')[0]!);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]); // every seal has a fresh file key

    // Bad input changes nothing: a folder among the files. (Caps are left out of the comparison:
    // their defaults follow the disk's free space, which other processes change.)
    const ledgerView = (json: string) => {
      const v = JSON.parse(json) as { outbox: unknown; held: unknown; placed: unknown };
      return JSON.stringify([v.outbox, v.held, v.placed]);
    };
    const before = (await inswarm(['status', '--json'], { data })).stdout;
    const bad = await inswarm(['add', work], { data });
    expect(bad.code).toBe(1);
    expectOneSentence(bad.stderr);
    expect(ledgerView((await inswarm(['status', '--json'], { data })).stdout)).toBe(ledgerView(before));

    const status = JSON.parse(before) as { deviceId: string; destination: { label: string }; outbox: { state: string; count: number; bytes: number }[] };
    expect(status.deviceId).toBe(id1);
    expect(status.destination.label).toBe('NAS');
    const sealedRow = status.outbox.find((r) => r.state === 'sealed')!;
    expect(sealedRow.count).toBe(2);
    let bytes = 0;
    for (const id of ids) bytes += (await stat(join(data, 'blobs', id.slice(0, 2), id))).size;
    expect(sealedRow.bytes).toBe(bytes);

    // Each outbox blob opens with the destination key.
    const out = join(work, 'outbox-open');
    const opened = await inswarm(['open', '--identity', key, '--out', out, join(data, 'blobs', ids[0]!.slice(0, 2), ids[0]!)]);
    expect(opened.code, opened.stderr).toBe(0);
    expect((await readFile(join(out, 'IMG_1.JPG'))).equals(await readFile(photo))).toBe(true);
    const text = await inswarm(['status'], { data });
    expect(text.stdout).toContain('sealed 2');
  });
});

describe('start', () => {
  it('reconciles, prints data folder and status, and stops cleanly on SIGINT', async () => {
    const data = join(work, 'node-d');
    await inswarm(['id'], { data });
    // Debris of a crash: a temp file and a stray blob with no ledger row.
    await mkdir(join(data, 'blobs', 'tmp'), { recursive: true });
    await writeFile(join(data, 'blobs', 'tmp', 'half-written.tmp'), 'partial');
    const strayId = 'ab'.repeat(32);
    await mkdir(join(data, 'blobs', 'ab'), { recursive: true });
    await writeFile(join(data, 'blobs', 'ab', strayId), 'stray');

    const child = spawn(process.execPath, [CLI, 'start', '--headless', '--listen', '127.0.0.1:0', '--no-mdns'], { env: { ...process.env, INSWARM_DATA: data } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`start did not come up: ${stdout} ${stderr}`)), 30_000);
      child.stdout.on('data', () => {
        if (stdout.includes('Listening for peers')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(stdout).toContain(`Data folder:  ${data}`);
    expect(stderr).toContain('1 temp file(s) removed');
    expect(stderr).toContain('1 stray file(s) quarantined');
    child.kill('SIGINT');
    const code = await new Promise<string>((resolve) => child.on('close', (c, s) => resolve(`${c}/${s}`)));
    expect(code, `${stdout}\n${stderr}`).toBe('0/null');
    expect(stderr).toContain('Stopped cleanly');
    expect(await readdir(join(data, 'blobs', 'tmp'))).toEqual([]);
    await expect(stat(join(data, 'blobs', 'ab', strayId))).rejects.toThrow();
  });
});

describe('a disk that fills while sealing', () => {
  it.runIf(IS_ROOT)('seal and add fail with one sentence, leave no partial file, and keep the ledger unchanged', async () => {
    const big = join(work, 'big.bin');
    await writeFile(big, randomBytes(3 * 1024 * 1024));
    await withTmpfs(1024 * 1024, async (small) => {
      const r = await inswarm(['--data', join(work, 'node-e'), 'seal', '--to', recipient, '--out', join(small, 'big.blob'), big]);
      expect(r.code).toBe(1);
      expectOneSentence(r.stderr);
      expect(r.stderr).toMatch(/disk/i);
      expect(await readdir(small)).toEqual([]);
    });
    await withTmpfs(2 * 1024 * 1024, async (small) => {
      const data = join(small, 'data');
      expect((await inswarm(['dest', 'set', recipient], { data })).code).toBe(0);
      const outbox = async () => JSON.stringify((JSON.parse((await inswarm(['status', '--json'], { data })).stdout) as { outbox: unknown }).outbox);
      const before = await outbox();
      const r = await inswarm(['add', big], { data });
      expect(r.code).toBe(1);
      expectOneSentence(r.stderr);
      expect(r.stderr).toMatch(/disk/i);
      expect(await outbox()).toBe(before);
      expect(await readdir(join(data, 'blobs', 'tmp'))).toEqual([]);
    });
  });
  if (!IS_ROOT) warnNotRoot('the full-disk sealing test');
});
