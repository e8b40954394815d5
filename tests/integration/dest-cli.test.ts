// `inswarm dest` and `inswarm add --dest` as a user runs them: real processes, a real ledger,
// QR codes read back with a decoder we did not write (jsQR; SVG rasterised by Chromium), blobs
// opened with the real age CLI.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCardLink } from '../../src/main/core/delivery/card.js';
import { formatDeviceId } from '../../src/main/core/identity/device-id.js';
import { CHROMIUM, decodeQrPng, decodeQrSvgFile, decodeQrText } from '../helpers/qr-decode.js';
import { CLI, inswarm, inswarmOk, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

/** A failure is exactly one line on stderr, prefixed "inswarm:", that says what to do. */
function expectOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^inswarm: .+[.:].*$/);
  expect(stderr).not.toMatch(/at .+\(.+:\d+:\d+\)/);
}

const RECEIVER_ID = formatDeviceId(Buffer.alloc(32, 5));

let work: string;
let homeKey: string;
let homeRecipient: string;
let bucketKey: string;
let bucketRecipient: string;

beforeAll(async () => {
  work = await tempDir('inswarm-dest-cli');
  const keys = join(work, 'keys');
  homeKey = join(work, 'home-key.txt');
  bucketKey = join(work, 'bucket-key.txt');
  homeRecipient = await inswarmOk(['keygen', '--out', homeKey], keys);
  bucketRecipient = await inswarmOk(['keygen', '--out', bucketKey], keys);
});

interface DestJson {
  id: number;
  label: string;
  recipient: string;
  endpoint: Record<string, unknown> | null;
  isDefault: boolean;
  link: string | null;
}
const listJson = async (data: string): Promise<DestJson[]> => JSON.parse(await inswarmOk(['dest', 'list', '--json'], data)) as DestJson[];

describe('inswarm dest', { timeout: 120_000 }, () => {
  it('creates cards of every kind, lists them, and switches the default', async () => {
    const data = join(work, 'origin-1');
    const link = await inswarmOk(['dest', 'create', 'home', '--recipient', homeRecipient, '--receiver', 'https://192.168.1.20:8443/', '--receiver-id', RECEIVER_ID.toLowerCase()], data);
    expect(link).toBe(`inswarm://dest?v=1&label=home&recipient=${homeRecipient}&kind=receiver&url=https://192.168.1.20:8443&receiverId=${RECEIVER_ID}`);
    expect(parseCardLink(link).endpoint).toEqual({ kind: 'receiver', url: 'https://192.168.1.20:8443', receiverId: RECEIVER_ID });

    const s3 = await inswarm(['dest', 'create', 'bucket', '--recipient', bucketRecipient, '--s3', 's3://my-photos/inbox/', '--s3-endpoint', 'http://127.0.0.1:4569', '--path-style'], { data });
    expect(s3.code, s3.stderr).toBe(0);
    expect(s3.stderr).toBe('Created destination "bucket": s3://my-photos/inbox (us-east-1, http://127.0.0.1:4569, path-style).\n');
    const inbox = join(work, 'inbox');
    await mkdir(inbox);
    // A relative folder is taken from where the command runs.
    const folder = await run(process.execPath, [CLI, 'dest', 'create', 'box', '--recipient', homeRecipient, '--folder', 'inbox'], {
      cwd: work,
      env: { ...process.env, INSWARM_DATA: data },
    });
    expect(folder.code, folder.stderr).toBe(0);
    expect(parseCardLink(folder.stdout.trim()).endpoint).toEqual({ kind: 'folder', path: inbox });

    // The first one became the default.
    expect(await inswarmOk(['dest', 'show'], data)).toBe(`home\t${homeRecipient}\treceiver https://192.168.1.20:8443 (${RECEIVER_ID.slice(0, 7)})`);
    expect(await inswarmOk(['dest', 'list'], data)).toBe(
      [
        `home\treceiver https://192.168.1.20:8443 (${RECEIVER_ID.slice(0, 7)})\t${homeRecipient}\tdefault`,
        `bucket\ts3://my-photos/inbox (us-east-1, http://127.0.0.1:4569, path-style)\t${bucketRecipient}`,
        `box\tfolder ${inbox}\t${homeRecipient}`,
      ].join('\n'),
    );
    expect(await inswarmOk(['dest', 'default', 'bucket'], data)).toMatch(/^bucket\t/);
    const all = await listJson(data);
    expect(all.map((d) => [d.label, d.isDefault])).toEqual([['home', false], ['bucket', true], ['box', false]]);
    expect(all[0]!.link).toBe(link);
    expect(all[1]!.endpoint).toEqual({ kind: 's3', bucket: 'my-photos', prefix: 'inbox', region: 'us-east-1', endpoint: 'http://127.0.0.1:4569', forcePathStyle: true });
    expect(await inswarmOk(['dest', 'show', '--link'], data)).toBe(all[1]!.link);
    expect(await inswarmOk(['dest', 'show', 'home', '--link'], data)).toBe(link);
    expect((JSON.parse(await inswarmOk(['dest', 'show', 'box', '--json'], data)) as DestJson).endpoint).toEqual({ kind: 'folder', path: inbox });

    // The status line names the default too (the ledger's own accessor agrees with the store).
    expect((JSON.parse(await inswarmOk(['status', '--json'], data)) as { destination: { label: string } }).destination.label).toBe('bucket');

    // A duplicate label is refused and changes nothing.
    const dup = await inswarm(['dest', 'create', 'home', '--recipient', bucketRecipient, '--folder', inbox, '--default'], { data });
    expect(dup.code).toBe(1);
    expectOneSentence(dup.stderr);
    expect(dup.stderr).toContain('already exists');
    expect(await listJson(data)).toEqual(all);
  });

  it('imports a link on another device exactly, with --label and --default', async () => {
    const owner = join(work, 'owner');
    const link = await inswarmOk(['dest', 'create', 'NAS', '--recipient', homeRecipient, '--receiver', 'https://nas.example:8443', '--receiver-id', RECEIVER_ID], owner);
    const data = join(work, 'origin-2');
    const imported = await inswarm(['dest', 'import', `  ${link}\n`], { data });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout.trim()).toBe(`NAS\t${homeRecipient}\treceiver https://nas.example:8443 (${RECEIVER_ID.slice(0, 7)})`);
    expect(imported.stderr).toContain('(the default)');
    expect(await inswarmOk(['dest', 'show', 'NAS', '--link'], data)).toBe(link);

    const again = await inswarm(['dest', 'import', link], { data });
    expect(again.code).toBe(1);
    expectOneSentence(again.stderr);
    expect(again.stderr).toContain('--label NEW');

    await inswarmOk(['dest', 'import', link, '--label', 'NAS 2', '--default'], data);
    const all = await listJson(data);
    expect(all.map((d) => [d.label, d.isDefault])).toEqual([['NAS', false], ['NAS 2', true]]);
    expect(parseCardLink(all[1]!.link!)).toEqual({ ...parseCardLink(link), label: 'NAS 2' });
  });

  it('refuses bad links with exit 1 and one sentence, storing nothing', async () => {
    const data = join(work, 'origin-3');
    const good = await inswarmOk(['dest', 'create', 'x', '--recipient', homeRecipient, '--folder', join(work, 'x')], join(work, 'owner-3'));
    const bad: [string, RegExp][] = [
      ['https://example.com/card', /not a destination link/],
      ['inswarm://dest?v=2&label=x', /newer Inswarm/],
      [good.replace('kind=folder', 'kind=ftp'), /kind "ftp" is unknown/],
      [good.replace(homeRecipient, homeRecipient.slice(0, -2)), /recipient is wrong/],
      [`${good}&evil=1`, /does not know/],
      [good.replace('label=x', 'label=%1B%5B31m'), /control or direction-changing/],
      [`${good}${'a'.repeat(3000)}`, /characters long/],
    ];
    for (const [link, pattern] of bad) {
      const r = await inswarm(['dest', 'import', link], { data });
      expect(r.code, link).toBe(1);
      expectOneSentence(r.stderr);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toContain('\u001b'); // escapes from the link are never echoed raw
    }
    expect(await listJson(data)).toEqual([]);
  });

  it('writes the QR code as PNG and SVG, and prints it in the terminal, all decoding to the link', async () => {
    const data = join(work, 'origin-4');
    const link = await inswarmOk(['dest', 'create', 'home', '--recipient', homeRecipient, '--receiver', 'https://10.0.0.2:8443', '--receiver-id', RECEIVER_ID], data);
    const png = join(work, 'home.png');
    const r = await inswarm(['dest', 'show', '--qr-file', png], { data });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`to ${png}`);
    expect(decodeQrPng(await readFile(png))).toBe(link);

    // Never overwritten.
    const before = await readFile(png);
    const over = await inswarm(['dest', 'show', '--qr-file', png], { data });
    expect(over.code).toBe(1);
    expectOneSentence(over.stderr);
    expect((await readFile(png)).equals(before)).toBe(true);
    // An unknown image type is a usage error.
    expect((await inswarm(['dest', 'show', '--qr-file', join(work, 'home.gif')], { data })).code).toBe(2);

    if (CHROMIUM !== undefined) {
      const svg = join(work, 'home.svg');
      await inswarmOk(['dest', 'show', 'home', '--qr-file', svg], data);
      expect(await decodeQrSvgFile(svg)).toBe(link);
    }

    // Raw stdout: trimming would eat the quiet zone's blank lines and shift the first row.
    const shown = await inswarm(['dest', 'show', '--qr'], { data });
    expect(shown.code, shown.stderr).toBe(0);
    const terminal = shown.stdout.replace(/\n$/, '');
    const lines = terminal.split('\n');
    expect(lines.at(-1)).toBe(link);
    expect(terminal).not.toContain('\u001b'); // not a TTY: plain text
    expect(decodeQrText(lines.slice(0, -1).join('\n'))).toBe(link);
  });

  it('keeps "dest set" destinations working, and says they have no card to share', async () => {
    const data = join(work, 'origin-5');
    const none = await inswarm(['dest', 'show'], { data });
    expect(none.code).toBe(1);
    expectOneSentence(none.stderr);
    expect(await inswarmOk(['dest', 'set', homeRecipient], data)).toBe(`home\t${homeRecipient}`);
    expect(await inswarmOk(['dest', 'show'], data)).toBe(`home\t${homeRecipient}`);
    expect(await inswarmOk(['dest', 'list'], data)).toBe(`home\tno delivery endpoint (restore by hand)\t${homeRecipient}\tdefault`);
    for (const flag of [['--link'], ['--qr'], ['--qr-file', join(work, 'never.png')]]) {
      const r = await inswarm(['dest', 'show', ...flag], { data });
      expect(r.code, flag.join(' ')).toBe(1);
      expectOneSentence(r.stderr);
      expect(r.stderr).toContain('no card to share');
    }
    await expect(stat(join(work, 'never.png'))).rejects.toThrow();
    // The same label for another key is refused; the same again is fine.
    expect((await inswarm(['dest', 'set', bucketRecipient], { data })).code).toBe(1);
    expect(await inswarmOk(['dest', 'set', homeRecipient, '--label', 'home'], data)).toBe(`home\t${homeRecipient}`);
  });

  it('refuses wrong calls with exit 2', async () => {
    const data = join(work, 'origin-6');
    const calls = [
      ['dest', 'frobnicate'],
      ['dest', 'create', 'x', '--recipient', homeRecipient],
      ['dest', 'create', 'x', '--recipient', homeRecipient, '--folder', '/tmp', '--s3', 's3://bucket'],
      ['dest', 'create', 'x', '--folder', '/tmp'],
      ['dest', 'create', 'x', '--recipient', homeRecipient, '--receiver', 'https://a:1'],
      ['dest', 'create', 'x', '--recipient', homeRecipient, '--folder', '/tmp', '--region', 'eu-west-1'],
      ['dest', 'list', '--recipient', homeRecipient],
      ['dest', 'list', 'x'],
      ['dest', 'remove'],
      ['dest', 'show', '--json', '--qr'],
    ];
    for (const args of calls) {
      const r = await inswarm(args, { data });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^inswarm: .+\n\nUsage: inswarm dest/);
    }
    expect(await listJson(data)).toEqual([]);
  });
});

describe('inswarm add --dest', { timeout: 120_000 }, () => {
  it('seals to the named destination, records its id, and guards removal', async () => {
    const data = join(work, 'origin-7');
    await inswarmOk(['dest', 'create', 'home', '--recipient', homeRecipient, '--receiver', 'https://10.0.0.2:8443', '--receiver-id', RECEIVER_ID], data);
    await inswarmOk(['dest', 'create', 'bucket', '--recipient', bucketRecipient, '--s3', 's3://my-photos'], data);
    await inswarmOk(['dest', 'create', 'spare', '--recipient', bucketRecipient, '--folder', join(work, 'spare')], data);
    const ids = Object.fromEntries((await listJson(data)).map((d) => [d.label, d.id]));
    const photo = join(work, 'IMG_7.JPG');
    await writeFile(photo, randomBytes(20_000));

    const toBucket = (await inswarmOk(['add', '--dest', 'bucket', photo], data)).split('\t')[0]!;
    const toDefault = (await inswarmOk(['add', photo], data)).split('\t')[0]!;
    const db = new Database(join(data, 'ledger.sqlite'), { readonly: true });
    const destOf = (id: string) => (db.prepare('SELECT destination_id AS d FROM outbox WHERE blob_id = ?').get(id) as { d: number }).d;
    expect(destOf(toBucket)).toBe(ids['bucket']);
    expect(destOf(toDefault)).toBe(ids['home']);
    db.close();

    // Sealed to the bucket's key: it opens with that key and not with the home key.
    const blob = (id: string) => join(data, 'blobs', id.slice(0, 2), id);
    const withBucket = await run('age', ['-d', '-i', bucketKey, blob(toBucket)]);
    expect(withBucket.code, withBucket.stderr).toBe(0);
    expect(withBucket.stdoutBytes.includes(await readFile(photo))).toBe(true);
    expect((await run('age', ['-d', '-i', homeKey, blob(toBucket)])).code).not.toBe(0);
    expect((await run('age', ['-d', '-i', homeKey, blob(toDefault)])).code).toBe(0);

    // An unknown label fails before sealing anything.
    const outboxCount = async () => (JSON.parse(await inswarmOk(['status', '--json'], data)) as { outbox: { count: number }[] }).outbox.reduce((n, r) => n + r.count, 0);
    const before = await outboxCount();
    const unknown = await inswarm(['add', '--dest', 'nowhere', photo], { data });
    expect(unknown.code).toBe(1);
    expectOneSentence(unknown.stderr);
    expect(unknown.stderr).toContain('"nowhere"');
    expect(await outboxCount()).toBe(before);

    // A destination with blobs waiting is kept; an unused one goes.
    const busy = await inswarm(['dest', 'remove', 'bucket'], { data });
    expect(busy.code).toBe(1);
    expectOneSentence(busy.stderr);
    expect(busy.stderr).toContain('1 blob in the outbox');
    const removed = await inswarm(['dest', 'remove', 'spare'], { data });
    expect(removed.code, removed.stderr).toBe(0);
    expect((await listJson(data)).map((d) => d.label)).toEqual(['home', 'bucket']);
    const gone = await inswarm(['dest', 'remove', 'spare'], { data });
    expect(gone.code).toBe(1);
    expectOneSentence(gone.stderr);
  });

  it('removing the default says so; add then asks for a destination', async () => {
    const data = join(work, 'origin-8');
    await inswarmOk(['dest', 'create', 'only', '--recipient', homeRecipient, '--folder', join(work, 'only')], data);
    const r = await inswarm(['dest', 'remove', 'only'], { data });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no default destination now');
    const photo = join(work, 'IMG_8.JPG');
    await writeFile(photo, 'x');
    const add = await inswarm(['add', photo], { data });
    expect(add.code).toBe(1);
    expectOneSentence(add.stderr);
    expect(add.stderr).toContain('inswarm dest import');
  });
});
