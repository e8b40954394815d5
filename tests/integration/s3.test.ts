// S3 delivery against a real S3 server (s3rver on 127.0.0.1): the origin presigns PUT and HEAD
// for one key with the owner's credentials, a holder delivers real sealed photo blobs with those
// URLs alone, and the `aws` CLI plus `age -d | tar -x` — clients we did not write — list, fetch
// and restore what arrived, byte for byte.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Endpoint } from '../../src/main/core/delivery/endpoint.js';
import { S3PresignedClient } from '../../src/main/core/delivery/s3-client.js';
import { checksumOf } from '../../src/main/core/delivery/s3-client.js';
import { presignTarget } from '../../src/main/core/delivery/s3-presign.js';
import { isInswarmError } from '../../src/main/core/errors.js';
import { formatIdentityFile, generateIdentity, parseRecipient } from '../../src/main/core/seal/age-keys.js';
import { sealFiles } from '../../src/main/core/seal/seal.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { eventually } from '../helpers/node-proc.js';
import { run } from '../helpers/run.js';
import { AWS_CLI, S3_SECRET, isolatedAwsEnv, startS3rver, useEnv, type S3rverHandle } from '../helpers/s3rver.js';
import { startSigV4Proxy, type SigV4Proxy } from '../helpers/sigv4-proxy.js';
import { tempDir } from '../helpers/tmp.js';

const ORIGIN = 'AAAAAAA-BBBBBBB-CCCCCCC-DDDDDDD-EEEEEEE-FFFFFFF-GGGGGGG-HHHHHHH';
const BUCKET = 'inbox';
const PREFIX = 'home/photos';
const HOUR_S = 3600;

let s3: S3rverHandle;
let proxy: SigV4Proxy;
let env: NodeJS.ProcessEnv;
let restoreEnv: () => void;
let dir: string;
let keyFile: string;
let recipient: string;

interface Blob {
  path: string;
  blobId: string;
  size: number;
  photos: { name: string; bytes: Buffer }[];
}

function endpointAt(url: string, prefix = PREFIX): S3Endpoint {
  return { kind: 's3', bucket: BUCKET, prefix, region: 'us-east-1', endpoint: url, forcePathStyle: true };
}

/** Seals real JPEG photos (EXIF dates, known mtimes) into one blob with the real sealer. */
async function sealPhotos(label: string, photos: { name: string; bytes: Buffer }[]): Promise<Blob> {
  const src = join(dir, `src-${label}`);
  await mkdir(src, { recursive: true });
  for (const photo of photos) {
    await writeFile(join(src, photo.name), photo.bytes);
    await utimes(join(src, photo.name), new Date(), new Date('2024-05-06T07:08:09Z'));
  }
  const path = join(dir, `${label}.blob`);
  const handle = await open(path, 'wx');
  try {
    const result = await sealFiles(photos.map((p) => ({ path: join(src, p.name) })), handle, { recipients: [parseRecipient(recipient)], originDeviceId: ORIGIN });
    return { path, blobId: result.blobId, size: result.size, photos };
  } finally {
    await handle.close();
  }
}

function uploadRequest(blob: Blob, extra: Partial<Parameters<S3PresignedClient['upload']>[0]> = {}) {
  return { blobId: blob.blobId, size: blob.size, file: blob.path, ticket: null, ...extra };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err, `expected ${code}`).not.toBeNull();
  expect(isInswarmError(err) ? err.code : String(err)).toBe(code);
  return err!;
}

/** Whether the object is in s3rver, asked through a fresh presigned HEAD (no proxy). */
async function present(blobId: string): Promise<boolean> {
  const target = await presignTarget(endpointAt(s3.endpoint), blobId, HOUR_S);
  return (await new S3PresignedClient(target).head(blobId)).present;
}

beforeAll(async () => {
  expect((await run(AWS_CLI, ['--version'])).code, 'the aws CLI must be installed (apt-get install awscli)').toBe(0);
  dir = await tempDir('s3');
  s3 = await startS3rver([BUCKET]);
  proxy = await startSigV4Proxy(s3.port, S3_SECRET);
  env = await isolatedAwsEnv();
  restoreEnv = useEnv(env);
  const id = await generateIdentity();
  recipient = id.recipient;
  keyFile = join(dir, 'key.txt');
  await writeFile(keyFile, formatIdentityFile(id.identity, id.recipient), { mode: 0o600 });
});

afterAll(async () => {
  restoreEnv?.();
  await proxy?.close();
  await s3?.close();
});

describe('presigned delivery of a sealed photo blob', () => {
  let blob: Blob;
  let target: { kind: 's3'; put: string; head: string };

  beforeAll(async () => {
    blob = await sealPhotos('two-photos', [
      { name: 'IMG_0001.jpg', bytes: makeJpeg('2024:05:06 10:11:12', { seed: 1 }) },
      { name: 'IMG_0002.jpg', bytes: makeJpeg('2024:05:07 13:14:15', { seed: 2 }) },
    ]);
    target = await presignTarget(endpointAt(s3.endpoint), blob.blobId, 12 * HOUR_S);
  });

  it('presigns PREFIX/BLOB-ID with the checksum signed and no secret in the URLs', () => {
    const put = new URL(target.put);
    const head = new URL(target.head);
    expect(put.pathname).toBe(`/${BUCKET}/${PREFIX}/${blob.blobId}`);
    expect(head.pathname).toBe(put.pathname);
    expect(put.searchParams.get('X-Amz-Expires')).toBe(String(12 * HOUR_S));
    expect(put.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-amz-checksum-sha256');
    expect(put.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    expect(JSON.stringify(target)).not.toContain(S3_SECRET);
  });

  it('HEAD says absent, the upload streams with progress and an ETag that is the MD5, then HEAD says present', async () => {
    const client = new S3PresignedClient(target);
    expect(await client.head(blob.blobId)).toEqual({ present: false });
    const progress: number[] = [];
    const throttled: number[] = [];
    const proof = await client.upload(uploadRequest(blob, { onProgress: (n) => progress.push(n), throttle: async (n) => void throttled.push(n) }));
    const md5 = createHash('md5').update(await readFile(blob.path)).digest('hex');
    expect(proof).toEqual({ kind: 's3', etag: md5 });
    expect(progress.at(-1)).toBe(blob.size);
    expect(throttled.reduce((a, b) => a + b, 0)).toBe(blob.size);
    expect(await client.head(blob.blobId)).toEqual({ present: true, receipt: null });
    // A repeated delivery (a second holder) overwrites with the same bytes and the same proof.
    expect(await client.upload(uploadRequest(blob))).toEqual(proof);
  });

  it('the aws CLI lists and fetches it, and age -d | tar -x restores the photos byte-identical', async () => {
    const url = ['--endpoint-url', s3.endpoint];
    const ls = await run(AWS_CLI, [...url, 's3', 'ls', `s3://${BUCKET}/${PREFIX}/`], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`\\s${blob.size}\\s+${blob.blobId}\\s*$`, 'm'));

    const fetched = join(dir, 'fetched.age');
    const cp = await run(AWS_CLI, [...url, 's3', 'cp', `s3://${BUCKET}/${PREFIX}/${blob.blobId}`, fetched], { env });
    expect(cp.code, cp.stderr).toBe(0);
    expect((await readFile(fetched)).equals(await readFile(blob.path))).toBe(true);

    const plain = await run('age', ['-d', '-i', keyFile, fetched]);
    expect(plain.code, plain.stderr).toBe(0);
    const out = await tempDir('restored');
    const tar = await run('tar', ['-x', '-C', out], { input: plain.stdoutBytes });
    expect(tar.code, tar.stderr).toBe(0);
    for (const photo of blob.photos) {
      expect((await readFile(join(out, photo.name))).equals(photo.bytes)).toBe(true);
      expect((await stat(join(out, photo.name))).mtime.toISOString()).toBe('2024-05-06T07:08:09.000Z');
    }
  });
});

describe('what a presigned URL does not allow', () => {
  it('an expired URL is refused for HEAD and PUT, and nothing is stored', async () => {
    const blob = await sealPhotos('expired', [{ name: 'late.jpg', bytes: makeJpeg('2024:01:01 00:00:00', { seed: 3 }) }]);
    const target = await presignTarget(endpointAt(s3.endpoint), blob.blobId, 1);
    // X-Amz-Date has whole seconds, so wait past date + 1 s for certain.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const client = new S3PresignedClient(target);
    const headErr = await expectCode(client.head(blob.blobId), 'E_DELIVERY_REFUSED');
    expect(headErr.message).toMatch(/expired or is not valid/);
    const putErr = await expectCode(client.upload(uploadRequest(blob)), 'E_DELIVERY_REFUSED');
    expect(putErr.message).toMatch(/AccessDenied/);
    expect(await present(blob.blobId)).toBe(false);
  });

  it('the signature covers the key and the checksum: URLs for another blob cannot write this one', async () => {
    const a = await sealPhotos('key-a', [{ name: 'a.jpg', bytes: makeJpeg('2024:02:02 02:02:02', { seed: 4 }) }]);
    const b = await sealPhotos('key-b', [{ name: 'b.jpg', bytes: makeJpeg('2024:02:03 02:02:02', { seed: 5 }) }]);
    const forA = await presignTarget(endpointAt(proxy.endpoint), a.blobId, HOUR_S);

    // The client itself refuses to send blob B with URLs naming blob A.
    await expectCode(new S3PresignedClient(forA).upload(uploadRequest(b)), 'E_DELIVERY_REFUSED');
    expect(proxy.refused).toHaveLength(0);

    // A holder editing the key in A's URLs: the signature no longer matches, S3 refuses.
    const edited = { kind: 's3' as const, put: forA.put.replace(a.blobId, b.blobId), head: forA.head.replace(a.blobId, b.blobId) };
    await expectCode(new S3PresignedClient(edited).upload(uploadRequest(b)), 'E_DELIVERY_REFUSED');
    await expectCode(new S3PresignedClient(edited).head(b.blobId), 'E_DELIVERY_REFUSED');
    expect(proxy.refused).toHaveLength(2);
    expect(await present(b.blobId)).toBe(false);

    // A's URL with B's checksum header (B's bytes): the signed header does not match either.
    const status = await rawPut(forA.put, await readFile(b.path), checksumOf(b.blobId));
    expect(status).toBe(403);
    expect(proxy.refused).toHaveLength(3);
    expect(await present(a.blobId)).toBe(false);

    // The same gate lets the genuine URLs through (so the refusals above are about the key).
    await new S3PresignedClient(forA).upload(uploadRequest(a));
    expect(await new S3PresignedClient(forA).head(a.blobId)).toEqual({ present: true, receipt: null });
    expect(proxy.refused).toHaveLength(3);
  });

  it('the signature gate also accepts a URL presigned by the aws CLI, and refuses it edited', async () => {
    const key = `${PREFIX}/aws-cli-check.txt`;
    const body = join(dir, 'aws-cli-check.txt');
    await writeFile(body, 'signed by botocore');
    expect((await run(AWS_CLI, ['--endpoint-url', s3.endpoint, 's3', 'cp', body, `s3://${BUCKET}/${key}`], { env })).code).toBe(0);
    const presigned = await run(AWS_CLI, ['--endpoint-url', proxy.endpoint, 's3', 'presign', `s3://${BUCKET}/${key}`, '--expires-in', '300'], { env });
    expect(presigned.code, presigned.stderr).toBe(0);
    const url = presigned.stdout.trim();
    expect(await rawGet(url)).toEqual({ status: 200, body: 'signed by botocore' });
    expect((await rawGet(url.replace('aws-cli-check', 'aws-cli-chock'))).status).toBe(403);
  });

  it('a damaged local copy is cut off before its last byte, so nothing is stored', async () => {
    const blob = await sealPhotos('damaged', [{ name: 'd.jpg', bytes: makeJpeg('2024:03:03 03:03:03', { seed: 6 }) }]);
    // Through the gate, which stores a PUT only when its whole body arrived, as S3 does.
    const target = await presignTarget(endpointAt(proxy.endpoint), blob.blobId, HOUR_S);
    const cut = proxy.incomplete.length;
    const bytes = await readFile(blob.path);
    bytes[bytes.length - 1] ^= 0xff;
    const damaged = join(dir, 'damaged-copy.blob');
    await writeFile(damaged, bytes);
    await expectCode(new S3PresignedClient(target).upload({ ...uploadRequest(blob), file: damaged }), 'E_BLOB_HASH');
    await eventually(async () => proxy.incomplete.length === cut + 1, 10_000, 'the cut upload reaching the gate');
    expect(proxy.incomplete.at(-1)).toContain(blob.blobId);
    expect(await present(blob.blobId)).toBe(false);
  });

  it('a cancelled upload stops and stores nothing', async () => {
    const big = join(dir, 'big.bin');
    await writeFile(big, randomBytes(3 * 1024 * 1024));
    const blob = await sealPhotos('big', [{ name: 'big.bin', bytes: await readFile(big) }]);
    const target = await presignTarget(endpointAt(proxy.endpoint), blob.blobId, HOUR_S);
    const cut = proxy.incomplete.length;
    const controller = new AbortController();
    let sent = 0;
    const upload = new S3PresignedClient(target).upload(
      uploadRequest(blob, {
        signal: controller.signal,
        onProgress: (n) => {
          sent = n;
          if (n >= 512 * 1024) controller.abort();
        },
      }),
    );
    await expectCode(upload, 'E_ABORTED');
    expect(sent).toBeLessThan(blob.size);
    await eventually(async () => proxy.incomplete.length === cut + 1, 10_000, 'the cut upload reaching the gate');
    expect(await present(blob.blobId)).toBe(false);
  });

  it('a blob above 5 GiB is refused before a byte is sent', async () => {
    const sparse = join(dir, 'huge.blob');
    await writeFile(sparse, '');
    await truncate(sparse, 5 * 1024 ** 3 + 1);
    const blobId = 'c'.repeat(64);
    const target = await presignTarget(endpointAt(s3.endpoint), blobId, HOUR_S);
    let progressed = false;
    const err = await expectCode(
      new S3PresignedClient(target).upload({ blobId, size: 5 * 1024 ** 3 + 1, file: sparse, ticket: null, onProgress: () => void (progressed = true) }),
      'E_DELIVERY_REFUSED',
    );
    expect(err.message).toMatch(/5 GiB/);
    expect(progressed).toBe(false);
  });

  it('an unreachable bucket is a retryable failure', async () => {
    const blob = await sealPhotos('unreachable', [{ name: 'u.jpg', bytes: makeJpeg('2024:04:04 04:04:04', { seed: 7 }) }]);
    const target = await presignTarget(endpointAt('http://127.0.0.1:1'), blob.blobId, HOUR_S);
    const err = await expectCode(new S3PresignedClient(target).head(blob.blobId), 'E_DELIVERY_FAILED');
    expect(err.message).toMatch(/ECONNREFUSED/);
    await expectCode(new S3PresignedClient(target).upload(uploadRequest(blob)), 'E_DELIVERY_FAILED');
  });
});

describe('presigning refuses what it cannot promise', () => {
  const id = 'd'.repeat(64);

  it('no credentials: one sentence naming the environment variables and profile', async () => {
    const restore = useEnv({ ...env, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    try {
      const err = await expectCode(presignTarget(endpointAt(s3.endpoint), id, HOUR_S), 'E_S3_CREDENTIALS');
      expect(err.message).toMatch(/AWS_ACCESS_KEY_ID/);
      expect(err.message).toMatch(/AWS_PROFILE/);
    } finally {
      restore();
    }
  });

  it('more than the 7 days SigV4 allows', async () => {
    expect((await presignTarget(endpointAt(s3.endpoint), id, 7 * 24 * HOUR_S)).put).toContain('X-Amz-Expires=604800');
    const err = await expectCode(presignTarget(endpointAt(s3.endpoint), id, 7 * 24 * HOUR_S + 1), 'E_DELIVERY_REFUSED');
    expect(err.message).toMatch(/7 days/);
  });

  it('temporary credentials that expire before the URLs must stop working', async () => {
    const soon = new Date(Date.now() + 30 * 60_000).toISOString();
    const restore = useEnv({ ...env, AWS_SESSION_TOKEN: 'session-token-abc', AWS_CREDENTIAL_EXPIRATION: soon });
    try {
      const err = await expectCode(presignTarget(endpointAt(s3.endpoint), id, 12 * HOUR_S), 'E_S3_CREDENTIALS');
      expect(err.message).toMatch(/expire/);
      // Within their lifetime they sign; the session token travels in the URL, as SigV4 requires.
      const target = await presignTarget(endpointAt(s3.endpoint), id, 10 * 60);
      expect(new URL(target.put).searchParams.get('X-Amz-Security-Token')).toBe('session-token-abc');
      expect(JSON.stringify(target)).not.toContain(S3_SECRET);
    } finally {
      restore();
    }
  });
});

/** A PUT of `body` to `url` with a checksum header, sent as is; resolves with the status. */
function rawPut(url: string, body: Buffer, checksum: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': body.length, 'x-amz-checksum-sha256': checksum } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function rawGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    })
      .on('error', reject)
      .end();
  });
}
