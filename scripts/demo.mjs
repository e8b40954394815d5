#!/usr/bin/env node
// `npm run demo`: a simulated venue on this one machine. N real Inswarm nodes (default 5) on
// 127.0.0.1, each with its own data folder, linked by address; a home receiver on 127.0.0.1 with
// its photo library; sample photos (JPEGs with EXIF capture dates) added on node 1, the
// photographer, whose replicas spread to the volunteers. Then "go home" (on Enter, or at once with
// --auto): node 1 leaves (it is stopped), and every volunteer marks the network it is on as home
// (`inswarm home add --current`), so they deliver what they hold to the receiver. Open the printed
// address to watch it all in the app's window.
//
// Ctrl+C stops every process cleanly and removes the demo's folder (unless --keep). Needs a build
// (`npm run build`) and, for "go home", a default gateway (this machine's network is what becomes
// home). Everything listens on 127.0.0.1 only.

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import jpeg from 'jpeg-js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'inswarm.js');

/** Limits of the simulation: more nodes than this only slow a laptop down. */
const MAX_NODES = 16;
const MAX_PHOTOS = 200;
/** How often progress is read (`inswarm status --json` per node). */
const POLL_MS = 1_500;
/** Generous bounds for a loaded machine; the demo says what it waited for when one runs out. */
const START_WITHIN_MS = 60_000;
const LINK_WITHIN_MS = 60_000;
const PLACE_WITHIN_MS = 180_000;
const DELIVER_WITHIN_MS = 180_000;
/** A process gets this long to stop after SIGINT before it is killed. */
const STOP_GRACE_MS = 15_000;
const NAMES = ['ana', 'ben', 'chloe', 'dev', 'eli', 'fay', 'gus', 'hana', 'ivo', 'jun', 'kai', 'lea', 'mo', 'nia', 'oli', 'pia'];

const USAGE = `Usage: npm run demo -- [--nodes N] [--photos N] [--auto] [--keep] [--ui-port PORT]

A simulated venue on this machine: N Inswarm nodes on 127.0.0.1 (node 1 takes the photos, the
others volunteer), a home receiver, photos spreading as encrypted replicas, then "go home": node 1
leaves and the volunteers, now at home, deliver every photo to the receiver's library.

Options:
  --nodes N       nodes in the venue, 2 to ${MAX_NODES} (default 5)
  --photos N      sample photos to back up, 1 to ${MAX_PHOTOS} (default 12)
  --auto          go home as soon as every photo has its replicas, and exit when all are delivered
                  (without it: wait for Enter, and keep running until Ctrl+C)
  --keep          keep the demo's folder (data folders, library, logs) when it ends
  --ui-port PORT  the port of the window's address on 127.0.0.1 (default: a free one)`;

// ---- sample photos ----

/** EXIF APP1 segment carrying DateTimeOriginal ("YYYY:MM:DD HH:MM:SS"), as cameras write it. */
export function exifSegment(dateTimeOriginal) {
  const date = Buffer.from(`${dateTimeOriginal}\0`, 'latin1');
  const ifd0At = 8;
  const exifIfdAt = ifd0At + 2 + 12 + 4;
  const dataAt = exifIfdAt + 2 + 12 + 4;
  const tiff = Buffer.alloc(dataAt + date.length);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(ifd0At, 4);
  tiff.writeUInt16LE(1, ifd0At);
  tiff.writeUInt16LE(0x8769, ifd0At + 2); // ExifIFD pointer
  tiff.writeUInt16LE(4, ifd0At + 4);
  tiff.writeUInt32LE(1, ifd0At + 6);
  tiff.writeUInt32LE(exifIfdAt, ifd0At + 10);
  tiff.writeUInt16LE(1, exifIfdAt);
  tiff.writeUInt16LE(0x9003, exifIfdAt + 2); // DateTimeOriginal, ASCII
  tiff.writeUInt16LE(2, exifIfdAt + 4);
  tiff.writeUInt32LE(date.length, exifIfdAt + 6);
  tiff.writeUInt32LE(dataAt, exifIfdAt + 10);
  date.copy(tiff, dataAt);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/**
 * A landscape "photo" (sky, sun, hills, a lake) that differs with `seed`, as a real JPEG with its
 * capture date in EXIF right after the SOI marker. Deterministic: same seed, same bytes.
 */
export function makePhoto(seed, dateTimeOriginal, width = 480, height = 360) {
  let x = (seed * 2654435761) >>> 0 || 1;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const skies = [
    [[255, 140, 90], [255, 220, 160]], // sunset
    [[70, 130, 200], [190, 225, 250]], // day
    [[40, 40, 90], [230, 120, 110]], // dusk
    [[120, 170, 210], [250, 240, 220]], // haze
  ];
  const [top, bottom] = skies[seed % skies.length];
  const sun = { x: width * (0.2 + 0.6 * rand()), y: height * (0.15 + 0.25 * rand()), r: height * (0.05 + 0.05 * rand()) };
  const ridges = [0, 1, 2].map((i) => ({
    base: height * (0.45 + 0.1 * i + 0.05 * rand()),
    waves: [0, 1, 2].map(() => ({ a: height * (0.02 + 0.05 * rand()), f: (1 + 5 * rand()) / width, p: rand() * 6.3 })),
    shade: 0.55 - 0.17 * i,
  }));
  const hue = [60 + 80 * rand(), 90 + 60 * rand(), 60 + 50 * rand()];
  const lake = height * (0.78 + 0.1 * rand());
  const data = Buffer.alloc(width * height * 4);
  const mix = (a, b, t) => a + (b - a) * t;
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const t = py / height;
      let c = [mix(top[0], bottom[0], t), mix(top[1], bottom[1], t), mix(top[2], bottom[2], t)];
      const d = Math.hypot(px - sun.x, py - sun.y);
      if (d < sun.r) c = [255, 245, 200];
      else if (d < sun.r * 3) c = c.map((v) => mix(v, 255, 0.25 * (1 - d / (sun.r * 3))));
      for (const ridge of ridges) {
        const y = ridge.base + ridge.waves.reduce((s, w) => s + w.a * Math.sin(px * w.f * 6.3 + w.p), 0);
        if (py > y) c = hue.map((v) => v * ridge.shade + 20 * (1 - t));
      }
      if (py > lake) c = c.map((v, k) => mix(v, [40, 90, 140][k], 0.6) + 8 * Math.sin(py * 0.9 + px * 0.05));
      const i = (py * width + px) * 4;
      data[i] = Math.max(0, Math.min(255, c[0]));
      data[i + 1] = Math.max(0, Math.min(255, c[1]));
      data[i + 2] = Math.max(0, Math.min(255, c[2]));
      data[i + 3] = 255;
    }
  }
  const encoded = jpeg.encode({ data, width, height }, 85).data;
  return Buffer.concat([encoded.subarray(0, 2), exifSegment(dateTimeOriginal), encoded.subarray(2)]);
}

/** The demo's photos: names, EXIF dates and the library path each lands at. */
export function demoPhotos(count) {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const day = String(1 + (k % 28)).padStart(2, '0');
    const hour = String(9 + (k % 10)).padStart(2, '0');
    const name = `IMG_${String(1000 + i)}.JPG`;
    return { seed: i, name, date: `2026:07:${day} ${hour}:${String((k * 7) % 60).padStart(2, '0')}:00`, libraryPath: `2026/07/${day}/${name}` };
  });
}

// ---- processes ----

/** A long-running `inswarm` process whose output goes to a log file and is kept for matching. */
class Proc {
  constructor(name, args, env, logFile) {
    this.name = name;
    this.out = '';
    // Its own process group: a Ctrl+C in the terminal reaches only the demo, which then stops
    // each child exactly once (a second SIGINT would kill a node before it finishes stopping).
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const log = createWriteStream(logFile);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream.on('data', (d) => {
        this.out += d.toString();
        log.write(d);
      });
    }
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => {
      log.end();
      resolve(code ?? signal);
    }));
    procs.add(this);
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitFor(text, timeoutMs = START_WITHIN_MS) {
    const started = Date.now();
    while (!this.out.includes(text)) {
      if (!this.running) throw new Error(`${this.name} stopped (${this.child.exitCode ?? this.child.signalCode}) before it printed "${text}":\n${this.out}`);
      if (Date.now() - started > timeoutMs) throw new Error(`${this.name} did not print "${text}" within ${timeoutMs / 1000} s:\n${this.out}`);
      await sleep(50);
    }
  }

  /** SIGINT once, then SIGKILL after a grace period; resolves with the exit status. */
  async stop() {
    if (this.running) {
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    procs.delete(this);
    return this.exited;
  }
}

const procs = new Set();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Short commands in flight (status, home add…): stopped too before the folder is removed. */
const commands = new Set();

/** Runs `inswarm args…` to completion on data folder `data` and resolves with its trimmed stdout. */
function inswarm(args, data) {
  if (stopping !== null) return new Promise(() => undefined); // shutting down: start nothing new
  const env = { ...process.env };
  if (data !== undefined) env.INSWARM_DATA = data;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    commands.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      commands.delete(child);
      if (code === 0) resolve(out.trim());
      else if (stopping === null) reject(new Error(`inswarm ${args.join(' ')} failed (${code ?? signal}): ${err.trim()}`));
    });
  });
}

async function status(data) {
  return JSON.parse(await inswarm(['status', '--json'], data));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function filesUnder(root) {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

async function eventually(what, timeoutMs, fn) {
  const started = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

const LIVE = ['receiving', 'held', 'delivering'];
const heldCount = (s) => s.held.filter((r) => LIVE.includes(r.state)).reduce((n, r) => n + r.count, 0);

/** A line that rewrites itself on a terminal, and is printed only when it changes elsewhere. */
function progress() {
  let last = '';
  return {
    show(text) {
      if (text === last) return;
      last = text;
      if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${text}`);
      else console.log(text);
    },
    done() {
      if (process.stdout.isTTY && last !== '') process.stdout.write('\n');
      last = '';
    },
  };
}

function waitForEnter(prompt) {
  process.stdout.write(prompt);
  return new Promise((resolve) => {
    const done = () => {
      process.stdin.off('data', done);
      process.stdin.off('end', done);
      process.stdin.pause();
      resolve();
    };
    process.stdin.on('data', done);
    process.stdin.on('end', done);
    process.stdin.resume();
  });
}

// ---- the demo ----

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '5' },
      photos: { type: 'string', default: '12' },
      auto: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'ui-port': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const nodes = Number(values.nodes);
  const photos = Number(values.photos);
  const uiPort = Number(values['ui-port']);
  if (!Number.isInteger(nodes) || nodes < 2 || nodes > MAX_NODES) throw new Error(`--nodes needs a whole number from 2 to ${MAX_NODES}.`);
  if (!Number.isInteger(photos) || photos < 1 || photos > MAX_PHOTOS) throw new Error(`--photos needs a whole number from 1 to ${MAX_PHOTOS}.`);
  if (!Number.isInteger(uiPort) || uiPort < 0 || uiPort > 65_535) throw new Error('--ui-port needs a port from 0 to 65535.');
  return { nodes, photos, auto: values.auto, keep: values.keep, uiPort, help: values.help };
}

let workDir = null;
let keep = false;
let stopping = null;

/** Stops every process (each once), then removes the demo's folder unless --keep. */
function shutdown(exitCode) {
  stopping ??= (async () => {
    await Promise.all([
      ...[...procs].map((p) => p.stop()),
      ...[...commands].map((child) => {
        child.kill('SIGKILL');
        return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('close', resolve)));
      }),
    ]);
    if (workDir !== null) {
      if (keep) console.log(`Kept the demo's folder: ${workDir}`);
      else {
        await rm(workDir, { recursive: true, force: true });
        console.log(`Removed the demo's folder ${workDir}.`);
      }
    }
    process.exit(exitCode);
  })();
  return stopping;
}

async function main(argv) {
  let options;
  try {
    options = parse(argv);
  } catch (err) {
    console.error(`demo: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  for (const built of ['dist/main/cli.js', 'dist/renderer/index.html']) {
    if (!existsSync(join(ROOT, built))) {
      console.error(`demo: ${built} is missing: run "npm run build" first.`);
      process.exit(1);
    }
  }
  keep = options.keep;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      console.log(`\n${signal === 'SIGINT' ? 'Ctrl+C' : signal}: stopping every node…`);
      void shutdown(130);
    });
  }
  // Last resort if the demo itself dies: its children have their own process group.
  process.on('exit', () => {
    for (const p of procs) if (p.running) p.child.kill('SIGKILL');
    for (const child of commands) child.kill('SIGKILL');
  });

  workDir = await mkdtemp(join(tmpdir(), 'inswarm-demo-'));
  const logs = join(workDir, 'logs');
  await mkdir(logs);
  const n = options.nodes;
  console.log(`Inswarm demo: a venue with ${n} laptops on 127.0.0.1, and a home receiver.`);
  console.log(`Demo folder:  ${workDir} (logs in logs/)`);

  // The home: its key, its receiver (enrolling the photographer's laptop), its photo library.
  const home = join(workDir, 'home');
  const key = join(home, 'key.txt');
  const library = join(home, 'Photos');
  const receiverData = join(home, 'receiver');
  await mkdir(home);
  const recipient = await inswarm(['keygen', '--out', key], receiverData);
  const receiverId = await inswarm(['id'], receiverData);
  const receiverPort = await freePort();

  const nodes = [];
  for (let i = 1; i <= n; i++) {
    const name = i <= NAMES.length ? `${NAMES[i - 1]}-laptop` : `laptop-${i}`;
    const data = join(workDir, `node-${i}`);
    nodes.push({ i, name, data, id: await inswarm(['id'], data), port: await freePort(), proc: null });
  }
  const [photographer, ...volunteers] = nodes;
  await inswarm(['receive', 'enroll', photographer.id, '--label', photographer.name], receiverData);
  const receiver = new Proc('receiver', ['receive', '--library', library, '--identity', key, '--listen', `127.0.0.1:${receiverPort}`, '--data', receiverData], {}, join(logs, 'receiver.log'));
  await receiver.waitFor('Receiver ID');
  await inswarm(['dest', 'create', 'home', '--recipient', recipient, '--receiver', `https://127.0.0.1:${receiverPort}`, '--receiver-id', receiverId, '--default'], photographer.data);
  for (const node of nodes) console.log(`  node ${node.i}  ${node.name.padEnd(13)} ${node.data}`);
  console.log(`  receiver          https://127.0.0.1:${receiverPort}, library ${library}`);

  // The venue: every laptop links with the ones started before it (no mDNS: loopback only).
  // The window is served by node 2, a volunteer, which stays for the whole story; node 1's
  // window is printed too (it closes when node 1 leaves).
  const uiNodes = new Set([1, 2]);
  for (const node of nodes) {
    const args = ['start', '--headless', '--listen', `127.0.0.1:${node.port}`, '--no-mdns', '--name', node.name];
    for (const other of nodes.slice(0, node.i - 1)) args.push('--peer', `127.0.0.1:${other.port}`);
    if (uiNodes.has(node.i)) args.push('--ui-port', String(node.i === 2 ? options.uiPort : 0));
    else args.push('--no-ui');
    node.proc = new Proc(node.name, args, { INSWARM_DATA: node.data }, join(logs, `${node.name}.log`));
  }
  // A node prints its window's address last, after "Listening for peers".
  await Promise.all(nodes.map((node) => node.proc.waitFor(uiNodes.has(node.i) ? 'Open the app:' : 'Listening for peers')));
  const urlOf = (node) => /Open the app: (\S+)/.exec(node.proc.out)?.[1] ?? '(no address printed)';
  console.log('');
  console.log(`Open the app (node 2, ${volunteers[0].name}, a volunteer): ${urlOf(volunteers[0])}`);
  console.log(`              (node 1, ${photographer.name}, the photographer; it closes when node 1 leaves): ${urlOf(photographer)}`);
  console.log('');

  const line = progress();
  await eventually('the laptops to link', LINK_WITHIN_MS, async () => {
    const linked = await Promise.all(nodes.map(async (node) => (await status(node.data)).running?.linked.length ?? 0));
    line.show(`Linking: ${linked.map((l, k) => `node ${k + 1}: ${l}`).join(', ')} of ${n - 1} peers`);
    return linked.every((l) => l === n - 1);
  });
  line.done();

  // The photos: taken on node 1 and backed up there.
  const camera = join(workDir, 'camera');
  await mkdir(camera);
  const photos = demoPhotos(options.photos);
  const files = [];
  for (const p of photos) {
    const file = join(camera, p.name);
    await writeFile(file, makePhoto(p.seed, p.date));
    const [d, t] = p.date.split(' ');
    const when = new Date(`${d.replaceAll(':', '-')}T${t}`);
    await utimes(file, when, when);
    files.push(file);
  }
  console.log(`Node 1 backs up ${photos.length} photos from ${camera}:`);
  await inswarm(['add', ...files], photographer.data);
  const wanted = (await status(photographer.data)).caps.replicas;
  await eventually('every photo to reach its holders', PLACE_WITHIN_MS, async () => {
    const [mine, ...held] = await Promise.all(nodes.map((node) => status(node.data)));
    line.show(`Replicas spreading: ${mine.placed} of ${photos.length} photos on ${wanted} holders · held: ${held.map((s, k) => `node ${k + 2} ${heldCount(s)}`).join(', ')}`);
    return mine.placed === photos.length;
  });
  line.done();
  console.log(`Every photo is on at least ${wanted} other laptops, encrypted. Nothing has reached home yet.`);

  if (!options.auto) await waitForEnter('\nPress Enter to go home: node 1 leaves, and the volunteers reach their home networks… ');
  console.log('\nGoing home.');
  await photographer.proc.stop();
  console.log(`  node 1 (${photographer.name}) left the venue (stopped): its photos now depend on the volunteers.`);
  for (const node of volunteers) {
    await inswarm(['home', 'add', '--current', '--label', 'home'], node.data);
  }
  console.log(`  nodes 2–${n} each marked the network they are on as home ("inswarm home add --current"): they deliver.`);
  await eventually('every photo to reach the library', DELIVER_WITHIN_MS, async () => {
    const got = await filesUnder(library);
    const held = await Promise.all(volunteers.map(async (node) => heldCount(await status(node.data))));
    line.show(`Delivering: ${got.length} of ${photos.length} photos in the library · still held: ${held.map((h, k) => `node ${k + 2} ${h}`).join(', ')}`);
    return got.length === photos.length;
  });
  line.done();
  const got = await filesUnder(library);
  console.log(`All ${photos.length} photos are in the library ${library}:`);
  for (const file of got) console.log(`  ${file}`);

  if (options.auto) {
    await shutdown(0);
    return;
  }
  console.log('\nThe nodes keep running so you can look around the window. Press Ctrl+C to stop.');
  await new Promise(() => undefined);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`\ndemo: ${err.message}`);
    void shutdown(1);
  });
}
