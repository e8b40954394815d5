// The mission in one test (issue 4 §7). Real `inswarm` processes, each in its own network
// namespace on one LAN: an origin and 3 volunteers at a "venue" whose default gateway is the venue
// router. A home router (another MAC) owns an upstream address where a home receiver and an s3rver
// listen: reachable only by hosts whose default route goes through it, like the internet from home.
//
// Run 1: the origin adds 30 JPEGs with EXIF dates (15 bound for the receiver, 15 for the bucket);
// each reaches 2 volunteers; the origin is destroyed (killed, data folder deleted). The volunteers'
// gateway switches to the home router: their fingerprint matches their home network, they deliver;
// the owner collects the bucket. Every photo is in the library byte-identical, under its date and
// name, exactly once; receipts verify; every volunteer ends with zero held bytes.
// Run 2: the origin gets home first and delivers everything; then the volunteers get home, find
// everything delivered, and purge having uploaded 0 bytes.
//
// Needs root and iproute2 (INSWARM_REQUIRE_LAN=1, as CI sets, makes their absence a failure).

import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NodeStatusView } from '../../src/shared/status.js';
import { dataLayout } from '../../src/main/core/data-dir.js';
import { Ledger } from '../../src/main/core/ledger/ledger.js';
import { verifyDeliveryReceipt } from '../../src/main/core/protocol/signed.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { createLan, netnsProblem, warnLanNotRun, type Lan, type LanHost } from '../helpers/netns.js';
import { addRouters, switchGateway, type Router } from '../helpers/routers.js';
import { CLI, inswarm } from '../helpers/run.js';
import { isolatedAwsEnv } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tmp.js';

const problem = await netnsProblem();
const required = process.env['INSWARM_REQUIRE_LAN'] === '1';
if (problem !== null) warnLanNotRun('tests/lan/mission.test.ts (venue → home delivery across network namespaces)', problem);
if (problem !== null && required) {
  test('LAN tests can run here (INSWARM_REQUIRE_LAN=1)', () => {
    throw new Error(`LAN tests are required but cannot run: ${problem}`);
  });
}

const PREFIX = '10.77.52';
/** Only reachable through the home router. */
const UPSTREAM = '10.77.53.1';
const RECEIVER_PORT = 8443;
const S3_PORT = 4568;
const BUCKET = 'photos';
const PEER_PORT = 22_100;
const PHOTOS = 30;
/** Hosts: 1 origin, 2–4 volunteers, 5 venue router, 6 home router. */
const ORIGIN = 1;
const VOLUNTEERS = [2, 3, 4];
/** Generous bounds for a loaded 2-core machine. */
const PLACE_WITHIN_MS = 90_000;
const DELIVER_WITHIN_MS = 90_000;
const STOP_WITHIN_MS = 15_000;

interface Photo {
  readonly name: string;
  readonly bytes: Buffer;
  /** Where it belongs in the library, from its EXIF date. */
  readonly libraryPath: string;
  readonly mtimeMs: number;
  readonly dest: 'home' | 'bucket';
}

class Proc {
  out = '';
  readonly exited: Promise<number | null>;
  constructor(
    readonly lan: Lan,
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async waitFor(text: string, timeoutMs = 20_000): Promise<void> {
    const started = Date.now();
    while (!this.out.includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) before printing "${text}":\n${this.out}`);
      if (Date.now() - started > timeoutMs) throw new Error(`${this.name} did not print "${text}" within ${timeoutMs} ms:\n${this.out}`);
      await sleep(50);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    process.kill(this.child.pid!, signal);
    const code = await Promise.race([this.exited, sleep(STOP_WITHIN_MS).then(() => 'timeout' as const)]);
    if (code === 'timeout') await this.lan.kill(this.child, 'SIGKILL');
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | null | undefined | false>, explain: () => Promise<string> = async () => ''): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${await explain()}`);
    await sleep(500);
  }
}

async function ok(args: readonly string[], options: { data?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await inswarm(args, options);
  if (r.code !== 0) throw new Error(`inswarm ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

async function status(data: string): Promise<NodeStatusView> {
  return JSON.parse(await ok(['status', '--json'], { data })) as NodeStatusView;
}

const heldBytes = (s: NodeStatusView): number => s.held.filter((r) => ['receiving', 'held', 'delivering'].includes(r.state)).reduce((n, r) => n + r.bytes, 0);
const heldCount = (s: NodeStatusView): number => s.held.filter((r) => ['receiving', 'held', 'delivering'].includes(r.state)).reduce((n, r) => n + r.count, 0);
const outboxCount = (s: NodeStatusView, state: string): number => s.outbox.find((r) => r.state === state)?.count ?? 0;

async function listLibrary(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else found.push(relative(root, path));
    }
  };
  await walk(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  return found.sort();
}

/** 30 photos on 30 different days, half for the receiver, half for the bucket. */
async function makePhotos(dir: string, seedBase: number): Promise<Photo[]> {
  await mkdir(dir, { recursive: true });
  const photos: Photo[] = [];
  for (let i = 1; i <= PHOTOS; i++) {
    const day = String(((i - 1) % 28) + 1).padStart(2, '0');
    const month = i <= 28 ? '06' : '07';
    const name = `IMG_${String(seedBase + i).padStart(4, '0')}.JPG`;
    const bytes = makeJpeg(`2026:${month}:${day} 1${i % 10}:2${i % 10}:3${i % 10}`, { seed: seedBase + i });
    const path = join(dir, name);
    await writeFile(path, bytes);
    const mtime = new Date(Date.UTC(2026, 7, 1, 12, 0, i));
    await utimes(path, mtime, mtime);
    photos.push({ name, bytes, libraryPath: `2026/${month}/${day}/${name}`, mtimeMs: mtime.getTime(), dest: i % 2 === 0 ? 'home' : 'bucket' });
  }
  return photos;
}

let lan: Lan;
let venue: Router;
let home: Router;
let aws: NodeJS.ProcessEnv;
/** The volunteers never hold credentials: no AWS_* at all in their environment. */
let noAws: NodeJS.ProcessEnv;
const procs: Proc[] = [];

function spawn(host: LanHost, name: string, args: readonly string[], env: NodeJS.ProcessEnv): Proc {
  const proc = new Proc(lan, name, lan.spawn(host, process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  procs.push(proc);
  return proc;
}

/** A home: a receiver and an s3rver on the home router's upstream address, and the owner's key. */
async function startHome(label: string) {
  const dir = await tempDir(`inswarm-mission-home-${label}`);
  const key = join(dir, 'key.txt');
  const recipient = await ok(['keygen', '--out', key]);
  const receiverData = join(dir, 'receiver');
  const receiverId = await ok(['id'], { data: receiverData });
  const library = join(dir, 'Photos');
  const s3Dir = join(dir, 's3');
  await mkdir(s3Dir);
  const s3 = new Proc(lan, `s3rver-${label}`, lan.spawn(home.host, process.execPath, [join(import.meta.dirname, '../helpers/s3rver-main.mjs'), UPSTREAM, String(S3_PORT), s3Dir, BUCKET], { stdio: ['ignore', 'pipe', 'pipe'] }));
  procs.push(s3);
  await s3.waitFor('s3rver listening');
  return { dir, key, recipient, receiverData, receiverId, library, s3 };
}

type Home = Awaited<ReturnType<typeof startHome>>;

async function startReceiver(h: Home): Promise<Proc> {
  const receiver = spawn(home.host, 'receiver', ['receive', '--library', h.library, '--identity', h.key, '--listen', `${UPSTREAM}:${RECEIVER_PORT}`, '--data', h.receiverData], noAws);
  await receiver.waitFor('Receiver ID');
  return receiver;
}

/** Origin data folder with both destinations and its photos added (15 each). */
async function prepareOrigin(h: Home, photos: readonly Photo[], label: string): Promise<string> {
  const data = join(await tempDir(`inswarm-mission-origin-${label}`), 'data');
  const originId = await ok(['id'], { data });
  await ok(['receive', 'enroll', originId, '--label', 'phone'], { data: h.receiverData });
  await ok(['dest', 'create', 'home', '--recipient', h.recipient, '--receiver', `https://${UPSTREAM}:${RECEIVER_PORT}`, '--receiver-id', h.receiverId, '--default'], { data });
  await ok(['dest', 'create', 'bucket', '--recipient', h.recipient, '--s3', `s3://${BUCKET}/venue-${label}`, '--s3-endpoint', `http://${UPSTREAM}:${S3_PORT}`, '--path-style', '--region', 'us-east-1'], { data });
  await ok(['home', 'add', '--gateway-mac', home.mac, '--label', 'home'], { data });
  const src = join(await tempDir(`inswarm-mission-src-${label}`), 'DCIM');
  await mkdir(src, { recursive: true });
  for (const p of photos) {
    const path = join(src, p.name);
    await writeFile(path, p.bytes);
    await utimes(path, new Date(p.mtimeMs), new Date(p.mtimeMs));
    await ok(['add', '--dest', p.dest, path], { data, env: aws });
  }
  return data;
}

async function prepareVolunteers(label: string): Promise<string[]> {
  const datas: string[] = [];
  for (const i of VOLUNTEERS) {
    const data = join(await tempDir(`inswarm-mission-volunteer-${label}-${i}`), 'data');
    await ok(['home', 'add', '--gateway-mac', home.mac, '--label', 'home'], { data });
    datas.push(data);
  }
  return datas;
}

function startNode(hostIndex: number, name: string, data: string, peers: readonly number[], env: NodeJS.ProcessEnv, listenHost = '0.0.0.0'): Proc {
  const args = ['start', '--headless', '--name', name, '--no-mdns', '--listen', `${listenHost}:${PEER_PORT}`, ...peers.flatMap((p) => ['--peer', `${lan.host(p).address}:${PEER_PORT}`])];
  return spawn(lan.host(hostIndex), name, args, { ...env, INSWARM_DATA: data });
}

async function waitPlaced(originData: string): Promise<void> {
  await eventually(`all ${PHOTOS} photos on 2 volunteers`, PLACE_WITHIN_MS, async () => (await status(originData)).placed === PHOTOS, async () => `: ${JSON.stringify((await status(originData)).outbox)}`);
}

/** Collects the bucket into the library (from the home router's namespace, where s3rver is). */
async function collect(h: Home, label: string): Promise<void> {
  const r = await lan.run(home.host, process.execPath, [CLI, 'collect', '--s3', `s3://${BUCKET}/venue-${label}`, '--endpoint', `http://${UPSTREAM}:${S3_PORT}`, '--path-style', '--region', 'us-east-1', '--identity', h.key, '--library', h.library, '--data', h.receiverData], { env: aws });
  if (r.code !== 0) throw new Error(`collect failed (${r.code}): ${r.stderr}`);
}

/** Every photo exactly once, at its dated path, byte-identical, with its mtime. */
async function expectLibrary(h: Home, photos: readonly Photo[]): Promise<void> {
  expect(await listLibrary(h.library)).toEqual(photos.map((p) => p.libraryPath).sort());
  for (const p of photos) {
    const path = join(h.library, p.libraryPath);
    expect(createHash('sha256').update(await readFile(path)).digest('hex'), p.name).toBe(createHash('sha256').update(p.bytes).digest('hex'));
    expect((await stat(path)).mtimeMs, p.name).toBe(p.mtimeMs);
  }
}

/** The blobs a volunteer holds a delivery receipt for, each receipt verified against the receiver's ID. */
function verifiedReceipts(data: string, receiverId: string): Set<string> {
  const ledger = Ledger.open(dataLayout(data).ledger);
  try {
    const rows = ledger.prepare({ all: `SELECT blob_id AS blobId, body, signature FROM receipts WHERE kind = 'delivery'` }).all.all() as { blobId: string; body: Uint8Array; signature: Uint8Array }[];
    for (const row of rows) {
      const signed = { body: Buffer.from(row.body).toString('base64'), sig: Buffer.from(row.signature).toString('base64') };
      verifyDeliveryReceipt(signed, { expectedReceiver: receiverId, expectedBlobId: row.blobId });
    }
    return new Set(rows.map((r) => r.blobId));
  } finally {
    ledger.close();
  }
}

describe.skipIf(problem !== null)('the mission: venue to home', () => {
  beforeAll(async () => {
    lan = await createLan({ hosts: 6, prefix: PREFIX, multicastRoute: false });
    ({ venue, home } = await addRouters(lan, { venue: 5, home: 6 }, { home: { upstream: UPSTREAM } }));
    await switchGateway([ORIGIN, ...VOLUNTEERS].map((i) => lan.host(i)), venue);
    aws = await isolatedAwsEnv();
    noAws = Object.fromEntries(Object.entries(aws).filter(([k]) => !k.startsWith('AWS_')));
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL').catch(() => undefined);
    await lan?.destroy();
  });

  test('run 1: the origin is destroyed; volunteers get home and deliver every photo exactly once', async () => {
    const h = await startHome('one');
    const receiver = await startReceiver(h);
    const photos = await makePhotos(join(h.dir, 'camera'), 0);
    const originData = await prepareOrigin(h, photos, 'one');
    const volunteerData = await prepareVolunteers('one');
    const origin = startNode(ORIGIN, 'origin', originData, [], aws);
    const volunteers = volunteerData.map((data, i) => startNode(VOLUNTEERS[i]!, `volunteer-${i + 1}`, data, [ORIGIN], noAws));
    await waitPlaced(originData);
    // At the venue nobody can reach home: nothing was delivered yet.
    expect(await listLibrary(h.library)).toEqual([]);

    await origin.stop('SIGKILL');
    await rm(originData, { recursive: true, force: true });
    await switchGateway(VOLUNTEERS.map((i) => lan.host(i)), home);

    await eventually('every volunteer to deliver and purge', DELIVER_WITHIN_MS, async () => {
      const all = await Promise.all(volunteerData.map(status));
      return all.every((s) => heldBytes(s) === 0);
    }, async () => `: ${JSON.stringify(await Promise.all(volunteerData.map(async (d) => ({ held: (await status(d)).held, deliveries: (await status(d)).deliveries }))))}`);
    for (const v of volunteers) await v.stop();
    await collect(h, 'one');
    await receiver.stop();
    await expectLibrary(h, photos);
    // Each receiver-bound photo has a verified receipt at some volunteer.
    const withReceipt = new Set<string>();
    for (const data of volunteerData) for (const blobId of verifiedReceipts(data, h.receiverId)) withReceipt.add(blobId);
    expect(withReceipt.size).toBe(photos.filter((p) => p.dest === 'home').length);
    for (const data of volunteerData) expect(heldBytes(await status(data))).toBe(0);
  }, 300_000);

  test('run 2: the origin gets home first; volunteers find everything delivered and upload 0 bytes', async () => {
    await switchGateway([ORIGIN, ...VOLUNTEERS].map((i) => lan.host(i)), venue);
    for (const p of procs.splice(0)) await p.stop().catch(() => undefined);
    const h = await startHome('two');
    const receiver = await startReceiver(h);
    const photos = await makePhotos(join(h.dir, 'camera'), 100);
    const originData = await prepareOrigin(h, photos, 'two');
    const volunteerData = await prepareVolunteers('two');
    const origin = startNode(ORIGIN, 'origin', originData, [], aws);
    const volunteers = volunteerData.map((data, i) => startNode(VOLUNTEERS[i]!, `volunteer-${i + 1}`, data, [ORIGIN], noAws));
    await waitPlaced(originData);
    const held = await Promise.all(volunteerData.map(async (d) => heldCount(await status(d))));
    expect(held.reduce((a, b) => a + b, 0)).toBe(2 * PHOTOS);

    // The origin leaves the venue (its links drop) and reaches home before anyone else.
    await origin.stop();
    await switchGateway(lan.host(ORIGIN), home);
    // Listening on loopback only: the volunteers, still dialling its venue address, cannot reach it,
    // so what they learn about delivery they learn from the destinations (HEAD), not from releases.
    const atHome = startNode(ORIGIN, 'origin-at-home', originData, [], aws, '127.0.0.1');
    await eventually('the origin to deliver all its photos', DELIVER_WITHIN_MS, async () => outboxCount(await status(originData), 'delivered') === PHOTOS, async () => `: ${JSON.stringify((await status(originData)).deliveries)}`);
    await atHome.stop();

    await switchGateway(VOLUNTEERS.map((i) => lan.host(i)), home);
    await eventually('every volunteer to purge', DELIVER_WITHIN_MS, async () => (await Promise.all(volunteerData.map(status))).every((s) => heldBytes(s) === 0));
    for (const [i, data] of volunteerData.entries()) {
      const s = await status(data);
      const delivered = s.deliveries.find((d) => d.state === 'delivered');
      expect(delivered?.count ?? 0, `volunteer ${i + 1} deliveries`).toBe(held[i]);
      expect(s.deliveries.reduce((n, d) => n + d.bytes, 0), `volunteer ${i + 1} bytes uploaded`).toBe(0);
    }
    for (const v of volunteers) await v.stop();
    await collect(h, 'two');
    await receiver.stop();
    await expectLibrary(h, photos);
  }, 300_000);
});
