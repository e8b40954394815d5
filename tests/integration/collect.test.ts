// `inswarm collect` as the owner runs it: blobs delivered into a real S3 server (s3rver) through
// presigned URLs, or into a folder by the folder client, come back as photos in a library —
// YYYY/MM/DD/name, byte-identical, mtime restored — exactly once. Bad objects are reported,
// remembered as failed and left where they are; --delete removes only what was opened.

import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Endpoint } from '../../src/main/core/delivery/endpoint.js';
import { Collector } from '../../src/main/core/collect/collector.js';
import { FolderInbox } from '../../src/main/core/collect/inbox.js';
import { FolderClient } from '../../src/main/core/delivery/folder-client.js';
import { S3PresignedClient } from '../../src/main/core/delivery/s3-client.js';
import { presignTarget } from '../../src/main/core/delivery/s3-presign.js';
import { isInswarmError } from '../../src/main/core/errors.js';
import { Ledger } from '../../src/main/core/ledger/ledger.js';
import { Library } from '../../src/main/core/library/library.js';
import { formatIdentityFile, generateIdentity, parseIdentityFile, parseRecipient } from '../../src/main/core/seal/age-keys.js';
import { sealFiles } from '../../src/main/core/seal/seal.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { ageBlob, escapingTar, exists, listFiles } from '../helpers/receiver-kit.js';
import { inswarm, type RunResult } from '../helpers/run.js';
import { S3_REGION, isolatedAwsEnv, startS3rver, useEnv, type S3rverHandle } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tmp.js';

const ORIGIN = 'AAAAAAA-BBBBBBB-CCCCCCC-DDDDDDD-EEEEEEE-FFFFFFF-GGGGGGG-HHHHHHH';
const BUCKET = 'photos';
const PREFIX = 'inbox';
const MTIME = new Date('2023-09-01T10:00:00Z');

let s3: S3rverHandle;
let sdk: S3Client;
let env: NodeJS.ProcessEnv;
let restoreEnv: () => void;
let work: string;
let keyFile: string;
let recipient: string;
let otherKeyFile: string;
let otherRecipient: string;

interface Photo {
  name: string;
  bytes: Buffer;
}
interface Blob {
  path: string;
  blobId: string;
  size: number;
  bytes: Buffer;
}

async function keyPair(name: string): Promise<{ file: string; recipient: string }> {
  const id = await generateIdentity();
  const file = join(work, name);
  await writeFile(file, formatIdentityFile(id.identity, id.recipient), { mode: 0o600 });
  return { file, recipient: id.recipient };
}

let sealed = 0;
/** Seals real JPEGs (EXIF dates, mtime MTIME) into one blob with the real sealer. */
async function seal(photos: Photo[], to = recipient): Promise<Blob> {
  const src = join(work, `src-${++sealed}`);
  await mkdir(src, { recursive: true });
  for (const p of photos) {
    await writeFile(join(src, p.name), p.bytes);
    await utimes(join(src, p.name), MTIME, MTIME);
  }
  const path = join(work, `blob-${sealed}`);
  const handle = await open(path, 'wx');
  try {
    const result = await sealFiles(photos.map((p) => ({ path: join(src, p.name) })), handle, { recipients: [parseRecipient(to)], originDeviceId: ORIGIN });
    return { path, blobId: result.blobId, size: result.size, bytes: await readFile(path) };
  } finally {
    await handle.close();
  }
}

function endpoint(): S3Endpoint {
  return { kind: 's3', bucket: BUCKET, prefix: PREFIX, region: S3_REGION, endpoint: s3.endpoint, forcePathStyle: true };
}

/** Delivers like a holder: presigned by the origin, uploaded with the URLs alone. */
async function deliver(blob: Blob): Promise<void> {
  const target = await presignTarget(endpoint(), blob.blobId, 3600);
  await new S3PresignedClient(target).upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: null });
}

async function putRaw(name: string, bytes: Buffer): Promise<void> {
  await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${name}`, Body: bytes }));
}

async function bucketKeys(): Promise<string[]> {
  const page = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}/` }));
  return (page.Contents ?? []).map((o) => o.Key!.slice(PREFIX.length + 1)).sort();
}

function photo(name: string, date: string, seed: number): Photo {
  return { name, bytes: makeJpeg(date, { seed }) };
}

function s3Args(library: string, extra: string[] = [], key = keyFile): string[] {
  return ['collect', '--s3', `s3://${BUCKET}/${PREFIX}`, '--endpoint', s3.endpoint, '--path-style', '--identity', key, '--library', library, ...extra];
}

function collectRun(args: string[], data: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return inswarm(args, { data, env: { ...env, ...extraEnv } });
}

function json(r: RunResult) {
  return JSON.parse(r.stdout) as {
    opened: number;
    files: number;
    duplicates: number;
    failed: number;
    notBlobs: number;
    alreadyCollected: number;
    previouslyFailed: number;
    deleted: number;
    events: { key: string; outcome: string; blobId: string | null; error?: { code: string; message: string } }[];
  };
}

/** A failure is exactly one line on stderr, prefixed "inswarm:", never a stack. */
function expectOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^inswarm: .+[.:].*$/);
  expect(stderr).not.toMatch(/at .+\(.+:\d+:\d+\)/);
}

function collectedRows(data: string): { key: string; state: string; error: string | null; blob_id: string }[] {
  const db = new Database(join(data, 'ledger.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT key, state, error, blob_id FROM collected ORDER BY key').all() as never;
  } finally {
    db.close();
  }
}

async function expectPhoto(library: string, relPath: string, bytes: Buffer): Promise<void> {
  const path = join(library, relPath);
  expect((await readFile(path)).equals(bytes), relPath).toBe(true);
  expect((await stat(path)).mtime.toISOString()).toBe(MTIME.toISOString());
}

beforeAll(async () => {
  work = await tempDir('collect');
  s3 = await startS3rver([BUCKET]);
  env = await isolatedAwsEnv();
  restoreEnv = useEnv(env);
  sdk = new S3Client({ region: S3_REGION, endpoint: s3.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  ({ file: keyFile, recipient } = await keyPair('key.txt'));
  ({ file: otherKeyFile, recipient: otherRecipient } = await keyPair('other-key.txt'));
});

afterAll(async () => {
  sdk?.destroy();
  restoreEnv?.();
  await s3?.close();
});

describe('collect --s3', () => {
  const data = () => join(work, 'data');
  const library = () => join(work, 'library');
  const a = photo('IMG_A.jpg', '2023:07:01 09:00:00', 1);
  const b = photo('IMG_B.jpg', '2023:07:02 18:30:00', 2);
  const c = photo('IMG_C.jpg', '2023:08:15 12:00:00', 3);
  const good: Blob[] = [];
  const bad: Record<string, string> = {};

  it('opens every delivered blob into YYYY/MM/DD/name, byte-identical with its mtime, duplicates once', async () => {
    good.push(await seal([a, b]), await seal([c]), await seal([a])); // the third carries A again
    for (const blob of good) await deliver(blob);

    const r = await collectRun(s3Args(library(), ['--json']), data());
    expect(r.code, r.stderr).toBe(0);
    const summary = json(r);
    expect(summary).toMatchObject({ opened: 3, files: 3, duplicates: 1, failed: 0, deleted: 0 });
    expect(await listFiles(library())).toEqual(['2023/07/01/IMG_A.jpg', '2023/07/02/IMG_B.jpg', '2023/08/15/IMG_C.jpg'].map((p) => join(...p.split('/'))));
    await expectPhoto(library(), '2023/07/01/IMG_A.jpg', a.bytes);
    await expectPhoto(library(), '2023/07/02/IMG_B.jpg', b.bytes);
    await expectPhoto(library(), '2023/08/15/IMG_C.jpg', c.bytes);
    expect(collectedRows(data()).map((row) => [row.key, row.state])).toEqual(good.map((g) => [`${PREFIX}/${g.blobId}`, 'opened']).sort());
    // Without --delete the inbox is left as it was.
    expect(await bucketKeys()).toEqual(good.map((g) => g.blobId).sort());
  });

  it('a second run collects nothing (the endpoint may come from AWS_ENDPOINT_URL_S3)', async () => {
    const args = s3Args(library()).filter((arg, i, all) => arg !== '--endpoint' && all[i - 1] !== '--endpoint');
    const r = await collectRun(args, data(), { AWS_ENDPOINT_URL_S3: s3.endpoint });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('collected 0 new blobs (0 files, 0 duplicates), 0 failed; 3 collected earlier');
    expect(await listFiles(library())).toHaveLength(3);
  });

  it('bad objects are reported, recorded as failed and left in the bucket; the library does not change', async () => {
    const wrongName = await seal([photo('IMG_W.jpg', '2023:01:01 00:00:00', 4)]);
    const forOther = await seal([photo('IMG_O.jpg', '2023:02:02 00:00:00', 5)], otherRecipient);
    const whole = await seal([photo('IMG_T.jpg', '2023:03:03 00:00:00', 6)]);
    const truncated = whole.bytes.subarray(0, whole.bytes.length - 100);
    const escaping = await ageBlob(work, escapingTar('escape.jpg', makeJpeg('2023:04:04 00:00:00', { seed: 7 }), ORIGIN), recipient);
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

    bad['name ≠ hash'] = sha(Buffer.from('some other blob'));
    await putRaw(bad['name ≠ hash'], wrongName.bytes);
    bad['other recipient'] = forOther.blobId;
    await putRaw(forOther.blobId, forOther.bytes);
    bad['truncated'] = sha(truncated);
    await putRaw(bad['truncated'], truncated);
    bad['tar escape'] = escaping.blobId;
    await putRaw(escaping.blobId, escaping.bytes);
    await putRaw('notes.txt', Buffer.from('not a blob'));
    const before = await listFiles(library());

    const r = await collectRun(s3Args(library(), ['--json']), data());
    expect(r.code).toBe(1);
    const summary = json(r);
    expect(summary).toMatchObject({ opened: 0, files: 0, failed: 4, notBlobs: 1, alreadyCollected: 3 });
    const codes = Object.fromEntries(summary.events.filter((e) => e.outcome === 'failed').map((e) => [e.blobId, e.error?.code]));
    expect(codes).toEqual({
      [bad['name ≠ hash']!]: 'E_BLOB_HASH',
      [bad['other recipient']!]: 'E_AGE_NO_MATCH',
      [bad['truncated']!]: 'E_AGE_PAYLOAD',
      [bad['tar escape']!]: 'E_TAR_UNSAFE',
    });
    for (const id of Object.values(bad)) expect(r.stderr).toContain(`failed ${PREFIX}/${id}: `);
    expect(r.stderr).toContain(`skipped ${PREFIX}/notes.txt`);

    const failedRows = collectedRows(data()).filter((row) => row.state === 'failed');
    expect(failedRows.map((row) => row.blob_id).sort()).toEqual(Object.values(bad).sort());
    for (const row of failedRows) expect(row.error).toMatch(/\S.*[.:]/);
    expect(await bucketKeys()).toEqual([...good.map((g) => g.blobId), ...Object.values(bad), 'notes.txt'].sort());
    // Nothing new anywhere: not in the library, not beside it (the escaping entry), no downloads left.
    expect(await listFiles(library())).toEqual(before);
    expect((await listFiles(work)).filter((p) => p.includes('escape'))).toEqual([]);
    expect(await listFiles(join(data(), 'collect-tmp'))).toEqual([]);
  });

  it('failed objects are skipped next time, and --retry-failed tries them again (here with the right key)', async () => {
    const skipped = await collectRun(s3Args(library()), data());
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain('collected 0 new blobs (0 files, 0 duplicates), 0 failed; 3 collected earlier, 4 failed earlier');

    const retried = await collectRun(s3Args(library(), ['--json', '--retry-failed'], otherKeyFile), data());
    expect(retried.code).toBe(1);
    const summary = json(retried);
    expect(summary.opened).toBe(1);
    expect(summary.events.find((e) => e.outcome === 'opened')?.blobId).toBe(bad['other recipient']);
    expect(await exists(join(library(), '2023', '02', '02', 'IMG_O.jpg'))).toBe(true);
  });

  it('--delete removes only objects that were opened and recorded', async () => {
    const d = photo('IMG_D.jpg', '2023:10:10 10:10:10', 8);
    const fresh = await seal([d]);
    await deliver(fresh);

    const r = await collectRun(s3Args(library(), ['--json', '--delete']), data());
    expect(r.code, r.stderr).toBe(0);
    const summary = json(r);
    expect(summary).toMatchObject({ opened: 1, files: 1, failed: 0, deleted: 5, previouslyFailed: 3 });
    await expectPhoto(library(), '2023/10/10/IMG_D.jpg', d.bytes);
    // Left: the three still-failed objects and the file that is not a blob.
    const failedIds = [bad['name ≠ hash']!, bad['truncated']!, bad['tar escape']!];
    expect(await bucketKeys()).toEqual([...failedIds, 'notes.txt'].sort());
    const states = Object.fromEntries(collectedRows(data()).map((row) => [row.blob_id, row.state]));
    for (const g of [...good, fresh]) expect(states[g.blobId]).toBe('deleted');
    expect(states[bad['other recipient']!]).toBe('deleted');
    for (const id of failedIds) expect(states[id]).toBe('failed');
  });

  it('an object re-delivered after --delete (a late holder) is deleted again without refiling its photo', async () => {
    await deliver(good[1]!);
    const r = await collectRun(s3Args(library(), ['--json', '--delete']), data());
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ opened: 0, files: 0, deleted: 1 });
    expect(await bucketKeys()).not.toContain(good[1]!.blobId);
    expect(await listFiles(join(library(), '2023', '08'))).toEqual([join('15', 'IMG_C.jpg')]);
  });
});

describe('folder destination and collect --folder', () => {
  it('delivers durably as DIR/<blob-id>, HEAD is idempotent, and collect opens the blobs while ignoring a crashed temp file', async () => {
    const dir = join(work, 'cloud-folder');
    const client = new FolderClient({ kind: 'folder', path: dir });
    const e = photo('IMG_E.jpg', '2022:12:24 18:00:00', 9);
    const f = photo('IMG_F.jpg', '2022:12:25 08:00:00', 10);
    const blobs = [await seal([e]), await seal([f])];
    // A missing folder (an unplugged drive) is a retryable failure, never silently created.
    const missing = await client.upload({ blobId: blobs[0]!.blobId, size: blobs[0]!.size, file: blobs[0]!.path, ticket: null }).catch((err: unknown) => err);
    expect(isInswarmError(missing, 'E_DELIVERY_FAILED'), String(missing)).toBe(true);
    expect(await exists(dir)).toBe(false);
    await mkdir(dir);

    for (const blob of blobs) {
      expect(await client.head(blob.blobId)).toEqual({ present: false });
      const request = { blobId: blob.blobId, size: blob.size, file: blob.path, ticket: null };
      expect(await client.upload(request)).toEqual({ kind: 'folder', path: join(dir, blob.blobId) });
      expect(await client.head(blob.blobId)).toEqual({ present: true, receipt: null });
      expect(await client.head(blob.blobId)).toEqual({ present: true, receipt: null });
      const first = await stat(join(dir, blob.blobId));
      // Delivering again (a second copy arriving) changes nothing.
      expect(await client.upload(request)).toEqual({ kind: 'folder', path: join(dir, blob.blobId) });
      expect((await stat(join(dir, blob.blobId))).ino).toBe(first.ino);
      expect((await readFile(join(dir, blob.blobId))).equals(blob.bytes)).toBe(true);
    }
    // A delivery that crashed mid-copy leaves a dot-prefixed temp file behind.
    await writeFile(join(dir, `.inswarm-${blobs[0]!.blobId.slice(0, 16)}-deadbeef0000.tmp`), blobs[0]!.bytes.subarray(0, 100));
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual(blobs.map((b) => b.blobId).sort());

    const data = join(work, 'folder-data');
    const library = join(work, 'folder-library');
    const r = await collectRun(['collect', '--folder', dir, '--identity', keyFile, '--library', library, '--json'], data);
    expect(r.code, r.stderr).toBe(0);
    const summary = json(r);
    expect(summary).toMatchObject({ opened: 2, files: 2, failed: 0, notBlobs: 0 });
    expect(summary.events.map((ev) => ev.key).sort()).toEqual(blobs.map((b) => b.blobId).sort());
    await expectPhoto(library, '2022/12/24/IMG_E.jpg', e.bytes);
    await expectPhoto(library, '2022/12/25/IMG_F.jpg', f.bytes);

    const again = await collectRun(['collect', '--folder', dir, '--identity', keyFile, '--library', library, '--delete'], data);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('2 deleted from the inbox');
    expect(await readdir(dir)).toEqual([`.inswarm-${blobs[0]!.blobId.slice(0, 16)}-deadbeef0000.tmp`]);
  });

  it('never overwrites another file of the same name, and a damaged copy leaves nothing behind', async () => {
    const dir = join(work, 'guarded-folder');
    await mkdir(dir);
    const blob = await seal([photo('IMG_G.jpg', '2022:01:01 00:00:00', 11)]);
    const squatter = Buffer.from('someone else’s file');
    await writeFile(join(dir, blob.blobId), squatter);
    const client = new FolderClient({ kind: 'folder', path: dir });
    const err = await client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: null }).catch((e: unknown) => e);
    expect(isInswarmError(err, 'E_DELIVERY_REFUSED'), String(err)).toBe(true);
    expect((await readFile(join(dir, blob.blobId))).equals(squatter)).toBe(true);
    // A head() told the expected size does not mistake the squatter for the blob.
    expect(await new FolderClient({ kind: 'folder', path: dir }, { sizeOf: () => blob.size }).head(blob.blobId)).toEqual({ present: false });

    const other = await seal([photo('IMG_H.jpg', '2022:01:02 00:00:00', 12)]);
    const damaged = join(work, 'damaged-copy');
    const bytes = Buffer.from(other.bytes);
    bytes[bytes.length - 1] ^= 1;
    await writeFile(damaged, bytes);
    const hashErr = await client.upload({ blobId: other.blobId, size: other.size, file: damaged, ticket: null }).catch((e: unknown) => e);
    expect(isInswarmError(hashErr, 'E_BLOB_HASH'), String(hashErr)).toBe(true);
    expect(await readdir(dir)).toEqual([blob.blobId]);
  });
});

describe('per-run limits (the Collector in-process)', () => {
  it('stops at the object limit and says more are waiting; an oversized object is recorded failed, not fetched, not deleted', async () => {
    const dir = join(work, 'limits-folder');
    await mkdir(dir);
    const client = new FolderClient({ kind: 'folder', path: dir });
    const blobs = [await seal([photo('L1.jpg', '2021:01:01 00:00:00', 20)]), await seal([photo('L2.jpg', '2021:01:02 00:00:00', 21)])];
    for (const blob of blobs) await client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: null });
    const ledger = Ledger.open(join(work, 'limits-data', 'ledger.sqlite'));
    try {
      const identities = parseIdentityFile(await readFile(keyFile, 'utf8'));
      const collector = () => new Collector({ ledger, library: new Library(ledger, join(work, 'limits-library')), inbox: new FolderInbox(dir), workDir: join(work, 'limits-data', 'collect-tmp') });
      const first = await collector().run({ identities, maxObjects: 1, delete: true });
      expect(first).toMatchObject({ opened: 1, more: true, deleted: 1 });
      const smallest = Math.min(...blobs.map((b) => b.size));
      const second = await collector().run({ identities, maxObjectBytes: smallest - 1, delete: true });
      expect(second).toMatchObject({ opened: 0, failed: 1, more: false, deleted: 0 });
      expect(second.events[0]?.error?.message).toMatch(/more than the \d+ bytes a blob may have/);
      expect((await readdir(dir)).length).toBe(1);
    } finally {
      ledger.close();
    }
  });
});

describe('inswarm collect: usage and failures', () => {
  const data = () => join(work, 'cli-data');
  const library = () => join(work, 'cli-library');

  it('--help exits 0; a wrong call exits 2 with the usage', async () => {
    const help = await inswarm(['collect', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: inswarm collect/);
    const wrong = [
      ['collect', '--identity', keyFile, '--library', library()],
      ['collect', '--s3', 's3://b/p', '--folder', work, '--identity', keyFile, '--library', library()],
      ['collect', '--folder', work, '--region', 'eu-west-1', '--identity', keyFile, '--library', library()],
      ['collect', '--s3', 'https://bucket/prefix', '--identity', keyFile, '--library', library()],
      ['collect', '--s3', `s3://${BUCKET}/${PREFIX}`, '--library', library()],
      ['collect', '--s3', `s3://${BUCKET}/${PREFIX}`, '--endpoint', 'not a url', '--identity', keyFile, '--library', library()],
    ];
    for (const args of wrong) {
      const r = await collectRun(args, data());
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^inswarm: .+\n\nUsage: inswarm collect/);
    }
  });

  it('no credentials, a missing bucket, an unreachable server or a missing folder: exit 1 with one sentence', async () => {
    const noCreds = await collectRun(s3Args(library()), data(), { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    expect(noCreds.code).toBe(1);
    expectOneSentence(noCreds.stderr);
    expect(noCreds.stderr).toMatch(/AWS_ACCESS_KEY_ID/);

    const noBucket = await collectRun(['collect', '--s3', 's3://no-such-bucket/x', '--endpoint', s3.endpoint, '--path-style', '--identity', keyFile, '--library', library()], data());
    expect(noBucket.code).toBe(1);
    expectOneSentence(noBucket.stderr);
    expect(noBucket.stderr).toMatch(/no-such-bucket.*does not exist/);

    const down = await collectRun(['collect', '--s3', `s3://${BUCKET}/${PREFIX}`, '--endpoint', 'http://127.0.0.1:1', '--path-style', '--identity', keyFile, '--library', library()], data());
    expect(down.code).toBe(1);
    expectOneSentence(down.stderr);
    expect(down.stderr).toMatch(/Could not reach S3 at http:\/\/127\.0\.0\.1:1/);

    // (inswarm() starts from this process's environment, so an empty value stands for "unset".)
    const noRegion = await collectRun(s3Args(library()), data(), { AWS_REGION: '', AWS_CONFIG_FILE: join(work, 'no-config') });
    expect(noRegion.code).toBe(1);
    expectOneSentence(noRegion.stderr);
    expect(noRegion.stderr).toMatch(/No AWS region is set.*--region/);

    const noFolder = await collectRun(['collect', '--folder', join(work, 'nope'), '--identity', keyFile, '--library', library()], data());
    expect(noFolder.code).toBe(1);
    expectOneSentence(noFolder.stderr);
    expect(await exists(library())).toBe(false);
  });
});
