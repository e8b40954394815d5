// The transfer suite: how fast a placement moves a blob from an origin to a holder over a real
// peer link (TLS 1.3 + WebSocket on loopback, the holder hashing, fsyncing and signing a custody
// receipt), compared with a plain node:tls file-to-file copy; what many small blobs cost against
// one big one; how closely an upload cap holds; and how much memory both nodes need meanwhile.
//
// The nodes are unmodified `inswarm start` processes (one per node, as users run them). Timing
// comes from the nodes' own events, forwarded by event-tap.js preloaded with `node --import` and
// stamped inside the process that emits them (with the process's CPU time, so the CPU a node
// spends per blob is measured too); peak RSS from rss-reporter.js the same way.

import { randomFillSync } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, MiB, ROOT, UsageError, closed, median, start, tempDir, timed, verdict } from './harness.js';
import { openLink, unavailable as linkUnavailable } from './netns-link.js';

export const name = 'transfer';
export const summary = 'placement origin → holder vs plain node:tls; many small blobs vs one (and their CPU per blob); upload-cap accuracy; peak RSS of both nodes';
export const usage = 'transfer [--size MiB] [--count N] [--cap-size MB] [--runs N]\n      defaults: one 1024 MiB blob; 2000 blobs of 1 MiB vs one of 2000 MiB; 200 MB at a 20 MB/s cap; 5 runs (N ≥ 3)';

/** Goals from the issue. */
const GOAL_OURS_PER_TLS = 0.7;
const GOAL_PER_BLOB_OVERHEAD = 0.1;
const CAP_BYTES_PER_SEC = 20e6;
const CAP_TOLERANCE = 0.05;
const GOAL_PEAK_RSS_MB = 200;
/**
 * A venue's link, for (2) once more: about what gigabit Ethernet or a good Wi-Fi 6 link carries
 * (100 MB/s). On loopback both nodes share this machine's cores and the CPU is the limit; over
 * this link (netns-link.js: veth shaped by tbf) the link is, as it is between two laptops.
 */
const LINK_BYTES_PER_SEC = 100e6;
/** The same as tc writes it (each direction). */
const LINK_RATE = `${(LINK_BYTES_PER_SEC * 8) / 1e6}mbit`;
/** A median of fewer runs is mostly noise. */
const MIN_RUNS = 3;
/** Write size while making inputs. */
const WRITE_CHUNK = 8 * MiB;
/** Paths per `inswarm add`, well inside any command-line length limit. */
const ADD_BATCH = 400;
/** How long a node may take to say it listens. */
const START_TIMEOUT_MS = 30_000;
/** How long a stopping node's event tap may take to send its last batch. */
const FLUSH_TIMEOUT_MS = 5_000;
/** A placement slower than this (bytes/s) is taken as stuck rather than slow. */
const STUCK_BYTES_PER_SEC = 2e6;

const RSS_REPORTER = new URL('./rss-reporter.js', import.meta.url).href;
const EVENT_TAP = new URL('./event-tap.js', import.meta.url).href;
const TLS_COPY = new URL('./tls-copy.js', import.meta.url).pathname;

const ORIGIN_EVENTS = ['peer:up', 'placement:offered', 'placement:progress', 'placement:stored', 'placement:declined', 'placement:failed'];
/** For many blobs: no progress events, so the tap costs two small messages per blob. */
const ORIGIN_EVENTS_LEAN = ['peer:up', 'placement:offered', 'placement:stored', 'placement:declined', 'placement:failed'];
const HOLDER_EVENTS = ['peer:up', 'held:receiving', 'held:progress', 'held:stored'];
const HOLDER_EVENTS_LEAN = ['peer:up', 'held:stored'];

/** Reads this suite's command-line options; throws UsageError. */
export function parse(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        size: { type: 'string', default: '1024' },
        count: { type: 'string', default: '2000' },
        'cap-size': { type: 'string', default: '200' },
        runs: { type: 'string', default: '5' },
      },
    }));
  } catch (err) {
    throw new UsageError(err.message);
  }
  const whole = (text, min, what) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${what} needs a whole number, at least ${min}.`);
    return n;
  };
  return {
    bytes: whole(values.size, 1, '--size (MiB)') * MiB,
    count: whole(values.count, 2, '--count (blobs)'),
    capBytes: whole(values['cap-size'], 1, '--cap-size (MB)') * 1e6,
    runs: whole(values.runs, MIN_RUNS, '--runs'),
  };
}

async function writeRandomFile(path, bytes) {
  const chunk = Buffer.allocUnsafe(Math.min(WRITE_CHUNK, bytes));
  const file = await open(path, 'wx');
  try {
    for (let left = bytes; left > 0; left -= chunk.length) {
      const piece = chunk.subarray(0, Math.min(left, chunk.length));
      randomFillSync(piece);
      await file.write(piece);
    }
  } finally {
    await file.close();
  }
}

const cli = (dataDir, ...args) => timed(process.execPath, [CLI, '--data', dataDir, ...args]);

/**
 * An origin's data folder to copy for each run: destination set, 1 replica per blob, `caps`
 * extra caps, and `files` sealed into its outbox (then deleted). Returns its blobs.
 */
async function makeOrigin(dataDir, recipient, files, caps = []) {
  await cli(dataDir, 'dest', 'set', recipient);
  await cli(dataDir, 'caps', 'set', '--replicas', '1', ...caps);
  const blobs = [];
  for (let i = 0; i < files.length; i += ADD_BATCH) {
    const { stdout } = await cli(dataDir, 'add', ...files.slice(i, i + ADD_BATCH));
    for (const line of stdout.trim().split('\n')) {
      const blobId = line.split('\t')[0];
      const path = join(dataDir, 'blobs', blobId.slice(0, 2), blobId);
      blobs.push({ blobId, path, size: statSync(path).size });
    }
  }
  for (const file of files) rmSync(file);
  return { dataDir, blobs, bytes: blobs.reduce((n, b) => n + b.size, 0) };
}

/**
 * Copies a data folder for one run. Blob files are hard-linked (an origin only reads them, and
 * this keeps the same bytes in the page cache for every run); the ledger and identity are copied.
 */
function cloneDataDir(from, to, inBlobs = false) {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) cloneDataDir(src, dst, inBlobs || entry.name === 'blobs');
    else if (inBlobs) linkSync(src, dst);
    else copyFileSync(src, dst);
  }
}

/**
 * Starts `inswarm start` on `dataDir` with the event tap and the RSS reporter, and resolves once
 * it listens: on 127.0.0.1, or on `end` of `link` (netns-link.js) when given. `node.events`
 * collects the forwarded events; `node.until(test)` waits for them.
 */
async function startNode(dataDir, label, args, events, link = null, end = null) {
  const rssFile = join(dataDir, '..', `${label}-max-rss-kib`);
  const nodeArgs = ['--import', RSS_REPORTER, '--import', EVENT_TAP, CLI, '--data', dataDir, 'start', '--no-mdns', '--listen', `${end?.addr ?? '127.0.0.1'}:0`, '--name', label, ...args];
  const [file, fileArgs] = link ? link.command(end, process.execPath, nodeArgs) : [process.execPath, nodeArgs];
  const child = start(file, fileArgs, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, INSWARM_BENCH_EVENTS: events.join(','), INSWARM_BENCH_RSS_FILE: rssFile },
  });
  const node = { label, child, events: [], stderr: '', exited: false, waiters: new Set() };
  const exit = closed(child).then((status) => {
    node.exited = true;
    for (const w of node.waiters) w.fail(new Error(`${label} exited (${status}) while waiting for ${w.what}: ${node.stderr.trim()}`));
    return status;
  });
  node.stop = async () => {
    // The tap's last batch first: a node stopped with events still queued would lose them.
    if (events.length > 0 && !node.exited && child.connected) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
        flushed = () => {
          clearTimeout(timer);
          resolve();
        };
        child.send({ flush: true }, (err) => err && resolve());
      });
    }
    if (!node.exited) child.kill('SIGTERM');
    await exit;
    try {
      return (Number(await readFile(rssFile, 'utf8')) * 1024) / 1e6;
    } catch {
      return NaN;
    }
  };
  node.until = (test, timeoutMs, what) =>
    new Promise((resolve, reject) => {
      const w = {
        what,
        check: () => {
          const result = test(node.events);
          if (result) done(() => resolve(result));
        },
        fail: (err) => done(() => reject(err)),
      };
      const timer = setTimeout(() => w.fail(new Error(`${label}: no ${what} within ${Math.round(timeoutMs / 1000)} s: ${node.stderr.trim()}`)), timeoutMs);
      const done = (settle) => {
        clearTimeout(timer);
        node.waiters.delete(w);
        settle();
      };
      node.waiters.add(w);
      if (node.exited) w.fail(new Error(`${label} has exited: ${node.stderr.trim()}`));
      else w.check();
    });
  // The tap sends batches of events; {flushed} answers a flush request (see node.stop).
  let flushed = null;
  child.on('message', (message) => {
    if (message?.flushed === true) return flushed?.();
    node.events.push(...message);
    for (const w of node.waiters) w.check();
  });
  child.stderr.on('data', (chunk) => {
    node.stderr += chunk;
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const m = /Listening for peers on [^\s]+:(\d+)/.exec(out);
    if (m && node.port === undefined) {
      node.port = Number(m[1]);
      out = '';
      for (const w of node.waiters) w.check();
    }
  });
  try {
    await node.until(() => node.port !== undefined, START_TIMEOUT_MS, '"Listening for peers"');
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}

/**
 * One placement run: fresh copies of the origin and holder folders, the holder started, then the
 * origin dialing it. Timed inside the origin from its `peer:up` (link up and hellos exchanged,
 * every blob already in the outbox) to its last `placement:stored` (custody receipt verified and
 * recorded), so process start-up and shutdown are not counted. With `link` (netns-link.js) the
 * two nodes run at its two ends instead of on 127.0.0.1.
 */
async function placeOnce(runDir, origin, holderTemplate, lean, link = null) {
  rmSync(runDir, { recursive: true, force: true });
  cloneDataDir(origin.dataDir, join(runDir, 'origin'));
  cloneDataDir(holderTemplate, join(runDir, 'holder'));
  await timed('sync', []); // untimed: no run pays for writing back an earlier one's pages
  const nodes = [];
  try {
    const holder = await startNode(join(runDir, 'holder'), 'holder', [], lean ? HOLDER_EVENTS_LEAN : HOLDER_EVENTS, link, link?.holder);
    nodes.push(holder);
    const originNode = await startNode(join(runDir, 'origin'), 'origin', ['--peer', `${link?.holder.addr ?? '127.0.0.1'}:${holder.port}`], lean ? ORIGIN_EVENTS_LEAN : ORIGIN_EVENTS, link, link?.origin);
    nodes.push(originNode);
    const n = origin.blobs.length;
    const timeoutMs = Math.max(120_000, (origin.bytes / STUCK_BYTES_PER_SEC) * 1000);
    const stored = await originNode.until((events) => {
      const s = events.filter((e) => e.name === 'placement:stored');
      return s.length >= n ? s : null;
    }, timeoutMs, `${n} placement:stored`);
    const [originRss, holderRss] = await Promise.all(nodes.map((node) => node.stop()));
    const oe = originNode.events;
    const he = holder.events;
    const at = (events, name, test = () => true) => events.find((e) => e.name === name && test(e.payload))?.t;
    const linked = at(oe, 'peer:up');
    const end = stored.at(-1).t;
    const blob = origin.blobs[0];
    const lastOf = (events, name) => at(events, name, (p) => (p.sent ?? p.received) === p.size);
    const firstOf = (events, name) => events.find((e) => e.name === name);
    return {
      seconds: (end - linked) / 1000,
      declined: oe.filter((e) => e.name === 'placement:declined').length,
      failed: oe.filter((e) => e.name === 'placement:failed').map((e) => e.payload.error),
      originRss,
      holderRss,
      // CPU time (every thread) each node spent from its link coming up to its last stored replica.
      cpu: { origin: cpuBetween(oe, 'peer:up', 'placement:stored'), holder: cpuBetween(he, 'peer:up', 'held:stored') },
      // Many blobs: each one's offer → receipt at the origin, and how many overlapped on average.
      perBlob: lean
        ? (() => {
            const offered = new Map();
            for (const e of oe) if (e.name === 'placement:offered' && !offered.has(e.payload.blobId)) offered.set(e.payload.blobId, e.t);
            const latencies = stored.map((e) => e.t - offered.get(e.payload.blobId));
            return { latencyMs: median(latencies), overlap: latencies.reduce((a, b) => a + b, 0) / (end - linked) };
          })()
        : undefined,
      // Single-blob detail, from each process's own clock (undefined in lean runs).
      phases: lean
        ? undefined
        : {
            toOfferMs: at(oe, 'placement:offered') - linked,
            streamMs: lastOf(oe, 'placement:progress') - at(oe, 'placement:offered'),
            commitMs: end - lastOf(oe, 'placement:progress'),
            holderCommitMs: at(he, 'held:stored') - lastOf(he, 'held:progress'),
            // The rate on the wire as the holder sees it: first data frame to last.
            wireBytesPerSec: (() => {
              const first = firstOf(he, 'held:progress');
              const last = lastOf(he, 'held:progress');
              return first && last ? ((blob.size - first.payload.received) / (last - first.t)) * 1000 : NaN;
            })(),
          },
    };
  } finally {
    await Promise.allSettled(nodes.map((node) => node.stop()));
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** User and system CPU milliseconds of a node from its first `from` event to its last `to` event. */
function cpuBetween(events, from, to) {
  const first = events.find((e) => e.name === from);
  const last = events.findLast((e) => e.name === to);
  if (!first || !last) return { user: NaN, system: NaN };
  return { user: (last.cpu.user - first.cpu.user) / 1000, system: (last.cpu.system - first.cpu.system) / 1000 };
}

/** One plain node:tls copy of `input` into a fresh file under `runDir`, fsynced; seconds as the sender measures them. */
async function tlsOnce(runDir, input, serverId, clientId) {
  const { sent, receiverOut } = await tlsCopy(runDir, serverId, clientId, ['receive', join(runDir, 'out')], (port) => ['send', String(port), input]);
  return { seconds: sent.seconds, cipher: `${sent.protocol} ${sent.cipher}`, fsyncMs: Number(/"fsyncMs":([\d.]+)/.exec(receiverOut)?.[1]) };
}

/**
 * The floor under many blobs: `inputs` over one plain node:tls connection, each stored durably as
 * its own file (write, fsync, rename, folder fsync) before its acknowledgement; seconds as the
 * sender measures them, handshake to the last acknowledgement. With `receive-pack` the receiver
 * appends them all to one file instead and acknowledges after a shared fdatasync (tls-copy.js).
 */
async function tlsManyOnce(runDir, inputs, serverId, clientId, receiver = 'receive-many') {
  const list = join(runDir, '..', 'tls-inputs.txt');
  writeFileSync(list, inputs.join('\n'));
  const out = join(runDir, 'out');
  const { sent } = await tlsCopy(runDir, serverId, clientId, [receiver, out, String(inputs.length)], (port) => ['send-many', String(port), list], () => mkdirSync(out));
  return { seconds: sent.seconds };
}

/** Runs a tls-copy.js receiver and sender pair in a fresh `runDir`; the sender's JSON and the receiver's output. */
async function tlsCopy(runDir, serverId, clientId, receiverArgs, senderArgs, prepare = () => undefined) {
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  prepare();
  await timed('sync', []);
  const receiver = start(process.execPath, [TLS_COPY, serverId.cert, serverId.key, ...receiverArgs]);
  const exit = closed(receiver);
  try {
    let out = '';
    receiver.stdout.on('data', (chunk) => (out += chunk));
    const port = await new Promise((resolve, reject) => {
      receiver.stdout.on('data', () => {
        const m = /"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      exit.then((status) => reject(new Error(`the tls-copy receiver exited (${status}) before listening`)));
    });
    const sent = JSON.parse((await timed(process.execPath, [TLS_COPY, clientId.cert, clientId.key, ...senderArgs(port)])).stdout);
    if ((await exit) !== 0) throw new Error('the tls-copy receiver failed');
    return { sent, receiverOut: out };
  } finally {
    if (receiver.exitCode === null) receiver.kill('SIGKILL');
    await exit;
    rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * The newest modification time under dist/: others may rebuild while a long run goes on, and each
 * node process loads dist/ when it starts, so a rebuild splits the run between two versions.
 */
function distStamp() {
  let newest = 0;
  for (const entry of readdirSync(join(ROOT, 'dist'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

const identityOf = (dataDir) => ({ cert: join(dataDir, 'device', 'cert.pem'), key: join(dataDir, 'device', 'key.pem') });
const mb = (bytes) => (bytes / 1e6).toFixed(0);
const rate = (bytes, s) => bytes / 1e6 / s;

export async function run({ bytes, count, capBytes, runs }) {
  let stamp = distStamp();
  const dir = tempDir('transfer');
  const runDir = join(dir, 'run');
  console.log('timing: two `inswarm start` processes linked over 127.0.0.1 (TLS 1.3 + WebSocket), events stamped in-process');
  console.log('        by event-tap.js: origin peer:up (linked, blobs already in the outbox) → origin placement:stored');
  console.log('        (holder verified SHA-256, fsynced, recorded and signed; origin verified and recorded the receipt)');
  console.log(`data:   random, sealed once into template data folders in ${dir}; each run copies them (blobs hard-linked)`);

  // Identities, destination and caps. The holder donates plenty and lets one origin use all of it.
  const key = join(dir, 'key.txt');
  const recipient = (await timed(process.execPath, [CLI, 'keygen', '--out', key], { env: { ...process.env, INSWARM_DATA: join(dir, 'keygen') } })).stdout.trim();
  const holderTemplate = join(dir, 'tpl-holder');
  await cli(holderTemplate, 'caps', 'set', '--disk', '1000GiB', '--floor', '1GiB', '--share', '1');

  const inputs = join(dir, 'inputs');
  mkdirSync(inputs);
  const input = async (name, size) => {
    const path = join(inputs, name);
    await writeRandomFile(path, size);
    return path;
  };
  const one = await makeOrigin(join(dir, 'tpl-one'), recipient, [await input('one.bin', bytes)]);
  const manyFiles = [];
  for (let i = 0; i < count; i++) manyFiles.push(await input(`small-${String(i).padStart(5, '0')}.bin`, MiB));
  const many = await makeOrigin(join(dir, 'tpl-many'), recipient, manyFiles);
  const single = await makeOrigin(join(dir, 'tpl-single'), recipient, [await input('single.bin', count * MiB)]);
  const capped = await makeOrigin(join(dir, 'tpl-cap'), recipient, [await input('cap.bin', capBytes)], ['--up', `${CAP_BYTES_PER_SEC / 1e6}MB/s`]);
  console.log(`blobs:  (1) one of ${mb(one.bytes)} MB; (2) ${count} of ${(many.bytes / count / 1e6).toFixed(2)} MB = ${mb(many.bytes)} MB vs one of ${mb(single.bytes)} MB; (3) one of ${mb(capped.bytes)} MB at --up ${CAP_BYTES_PER_SEC / 1e6}MB/s`);
  console.log('tls:    node:tls client → server on 127.0.0.1, same blob file, default stream chunks, receiver fsyncs then acks; timed secureConnect → ack');
  console.log('order:  each run does (1) inswarm, (1) tls, (2) many, (2) single, (2) both over the link, (2) tls many, (2) tls single, (2) tls pack, (3) cap; sync before each; fresh holder each time');
  console.log('floor:  (2) tls: the same blob files over one node:tls connection, each written to a new file, fsynced, renamed and its folder fsynced, then acknowledged');
  console.log('        pack: the same files appended to one file, each acknowledged after an fdatasync begun after its last byte');
  console.log('cpu:    user + system time of each node (all threads), its link up → its last stored replica, from the event tap');
  const linkSkipped = linkUnavailable();
  console.log(
    linkSkipped === null
      ? `link:   (2) once more between two network namespaces, a veth pair shaped by tbf to ${LINK_RATE} (${LINK_BYTES_PER_SEC / 1e6} MB/s) each way`
      : `link:   SKIPPED, the shaped link ${linkSkipped}`,
  );

  const r = { ours: [], tls: [], many: [], single: [], linkMany: [], linkSingle: [], tlsMany: [], tlsSingle: [], tlsPack: [], cap: [] };
  const odd = [];
  const note = (what, result) => {
    if (result.declined > 0) odd.push(`${what}: ${result.declined} offer(s) declined`);
    if (result.failed.length > 0) odd.push(`${what}: ${result.failed.length} transfer(s) failed, e.g. ${result.failed[0]}`);
  };
  let cipher = '';
  const rebuiltIn = [];
  // Closed after the runs, or by openLink's exit handler should a run throw.
  const link = linkSkipped === null ? openLink(LINK_RATE) : null;
  for (let i = 1; i <= runs; i++) {
    const ours = await placeOnce(runDir, one, holderTemplate, false);
    note('(1) inswarm', ours);
    r.ours.push(ours);
    const tls = await tlsOnce(runDir, one.blobs[0].path, identityOf(holderTemplate), identityOf(one.dataDir));
    cipher = tls.cipher;
    r.tls.push(tls);
    const manyRun = await placeOnce(runDir, many, holderTemplate, true);
    note('(2) many', manyRun);
    r.many.push(manyRun);
    const singleRun = await placeOnce(runDir, single, holderTemplate, false);
    note('(2) single', singleRun);
    r.single.push(singleRun);
    const linkMany = link ? await placeOnce(runDir, many, holderTemplate, true, link) : null;
    const linkSingle = link ? await placeOnce(runDir, single, holderTemplate, false, link) : null;
    if (link) {
      note('(2) many over the link', linkMany);
      note('(2) single over the link', linkSingle);
      r.linkMany.push(linkMany);
      r.linkSingle.push(linkSingle);
    }
    const tlsMany = await tlsManyOnce(runDir, many.blobs.map((b) => b.path), identityOf(holderTemplate), identityOf(many.dataDir));
    r.tlsMany.push(tlsMany);
    const tlsSingle = await tlsManyOnce(runDir, [single.blobs[0].path], identityOf(holderTemplate), identityOf(single.dataDir));
    r.tlsSingle.push(tlsSingle);
    const tlsPack = await tlsManyOnce(runDir, many.blobs.map((b) => b.path), identityOf(holderTemplate), identityOf(many.dataDir), 'receive-pack');
    r.tlsPack.push(tlsPack);
    const capRun = await placeOnce(runDir, capped, holderTemplate, false);
    note('(3) cap', capRun);
    r.cap.push(capRun);
    const rebuilt = distStamp() !== stamp;
    if (rebuilt) {
      rebuiltIn.push(i);
      stamp = distStamp();
    }
    console.log(
      `run ${i}/${runs}: (1) inswarm ${ours.seconds.toFixed(2)} s, tls ${tls.seconds.toFixed(2)} s; ` +
        `(2) ${count}× ${manyRun.seconds.toFixed(2)} s, 1× ${singleRun.seconds.toFixed(2)} s, ${link ? `over the link ${linkMany.seconds.toFixed(2)} s and ${linkSingle.seconds.toFixed(2)} s, ` : ''}tls ${count}× ${tlsMany.seconds.toFixed(2)} s, 1× ${tlsSingle.seconds.toFixed(2)} s, pack ${tlsPack.seconds.toFixed(2)} s; ` +
        `(3) wire ${(capRun.phases.wireBytesPerSec / 1e6).toFixed(2)} MB/s; ` +
        `peak RSS origin ${Math.max(ours.originRss, manyRun.originRss, singleRun.originRss, capRun.originRss).toFixed(0)} MB, ` +
        `holder ${Math.max(ours.holderRss, manyRun.holderRss, singleRun.holderRss, capRun.holderRss).toFixed(0)} MB; ` +
        `load ${loadavg()[0].toFixed(1)}` +
        (rebuilt ? '   [dist/ was rebuilt during this run]' : ''),
    );
  }
  link?.close();

  const secs = (list) => list.map((x) => x.seconds);
  const each = (list, size) => secs(list).map((s) => rate(size, s).toFixed(0)).join(' ');
  const oursMBps = rate(one.bytes, median(secs(r.ours)));
  const tlsMBps = rate(one.bytes, median(secs(r.tls)));
  const oursPerTls = oursMBps / tlsMBps;
  const manyS = median(secs(r.many));
  const singleS = median(secs(r.single));
  const overhead = manyS / singleS - 1;
  const perBlobMs = ((manyS - singleS) / count) * 1000;
  const linkManyS = link ? median(secs(r.linkMany)) : NaN;
  const linkSingleS = link ? median(secs(r.linkSingle)) : NaN;
  const tlsManyS = median(secs(r.tlsMany));
  const tlsSingleS = median(secs(r.tlsSingle));
  const floorOverhead = tlsManyS / tlsSingleS - 1;
  const floorPerFileMs = ((tlsManyS - tlsSingleS) / count) * 1000;
  const tlsPackS = median(secs(r.tlsPack));
  const packOverhead = tlsPackS / tlsSingleS - 1;
  // CPU each node spent per blob beyond what one blob of the same bytes took (medians of runs).
  const cpuPerBlob = (role, kind) => ((median(r.many.map((x) => x.cpu[role][kind])) - median(r.single.map((x) => x.cpu[role][kind]))) / count);
  const cpuLine = (role) => {
    const user = cpuPerBlob(role, 'user');
    const system = cpuPerBlob(role, 'system');
    return `${role} ${(user + system).toFixed(2)} ms (user ${user.toFixed(2)}, system ${system.toFixed(2)})`;
  };
  const wire = median(r.cap.map((x) => x.phases.wireBytesPerSec));
  const wireOff = wire / CAP_BYTES_PER_SEC - 1;
  const capPlacement = rate(capped.bytes, median(secs(r.cap)));
  const phase = (list, key) => median(list.map((x) => x.phases[key]));
  const roles = { origin: 'originRss', holder: 'holderRss' };
  const scenarios = { '(1)': r.ours, '(2) many': r.many, '(2) single': r.single, ...(link ? { '(2) many over the link': r.linkMany, '(2) single over the link': r.linkSingle } : {}), '(3)': r.cap };
  const peak = (key) => Math.max(...Object.values(scenarios).flatMap((list) => list.map((x) => x[key])));
  const maxRss = Math.max(peak('originRss'), peak('holderRss'));
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
  const W = 36;

  console.log('');
  console.log(`${'measure'.padEnd(W)}${'median'.padStart(14)}   each run`);
  console.log(`${`(1) inswarm ${mb(one.bytes)} MB origin→holder`.padEnd(W)}${`${oursMBps.toFixed(1)} MB/s`.padStart(14)}   ${each(r.ours, one.bytes)}`);
  console.log(`${'(1) node:tls file→file + fsync'.padEnd(W)}${`${tlsMBps.toFixed(1)} MB/s`.padStart(14)}   ${each(r.tls, one.bytes)}   (${cipher})`);
  console.log(`${'    ours/tls'.padEnd(W)}${oursPerTls.toFixed(2).padStart(14)}   goal ≥ ${GOAL_OURS_PER_TLS}   ${verdict(oursPerTls >= GOAL_OURS_PER_TLS)}`);
  console.log(
    `${'    where ours went (medians)'.padEnd(W)}link up→offer ${phase(r.ours, 'toOfferMs').toFixed(0)} ms, offer→last byte sent ${(phase(r.ours, 'streamMs') / 1000).toFixed(2)} s, ` +
      `last byte→receipt ${phase(r.ours, 'commitMs').toFixed(0)} ms (holder last byte→stored ${phase(r.ours, 'holderCommitMs').toFixed(0)} ms); tls receiver fsync ${median(r.tls.map((x) => x.fsyncMs)).toFixed(0)} ms`,
  );
  console.log(`${`(2) ${count} × ${(many.bytes / count / 1e6).toFixed(2)} MB`.padEnd(W)}${`${rate(many.bytes, manyS).toFixed(1)} MB/s`.padStart(14)}   ${each(r.many, many.bytes)}   (median ${manyS.toFixed(2)} s)`);
  console.log(`${`(2) 1 × ${mb(single.bytes)} MB`.padEnd(W)}${`${rate(single.bytes, singleS).toFixed(1)} MB/s`.padStart(14)}   ${each(r.single, single.bytes)}   (median ${singleS.toFixed(2)} s)`);
  console.log(
    `${'    where many went (medians)'.padEnd(W)}each blob offer→receipt ${median(r.many.map((x) => x.perBlob.latencyMs)).toFixed(1)} ms, ` +
      `${median(r.many.map((x) => x.perBlob.overlap)).toFixed(2)} transfers in flight on average`,
  );
  console.log(`${'    many vs one (per-blob overhead)'.padEnd(W)}${pct(overhead).padStart(14)}   ${perBlobMs.toFixed(2)} ms per blob   goal < ${GOAL_PER_BLOB_OVERHEAD * 100} %   ${verdict(overhead < GOAL_PER_BLOB_OVERHEAD)}`);
  if (link) {
    console.log(`${`(2) ${LINK_BYTES_PER_SEC / 1e6} MB/s link: ${count} × ${(many.bytes / count / 1e6).toFixed(2)} MB`.padEnd(W)}${`${rate(many.bytes, linkManyS).toFixed(1)} MB/s`.padStart(14)}   ${each(r.linkMany, many.bytes)}   (median ${linkManyS.toFixed(2)} s)`);
    console.log(`${`(2) ${LINK_BYTES_PER_SEC / 1e6} MB/s link: 1 × ${mb(single.bytes)} MB`.padEnd(W)}${`${rate(single.bytes, linkSingleS).toFixed(1)} MB/s`.padStart(14)}   ${each(r.linkSingle, single.bytes)}   (median ${linkSingleS.toFixed(2)} s)`);
    console.log(`${`    many vs one over the link`.padEnd(W)}${pct(linkManyS / linkSingleS - 1).padStart(14)}   the link, not this machine's shared CPU, is the limit, as between two laptops (not the goal's measure)`);
  } else {
    console.log(`${`(2) over a ${LINK_BYTES_PER_SEC / 1e6} MB/s link`.padEnd(W)}${'skipped'.padStart(14)}   ${linkSkipped}`);
  }
  console.log(`${`(2) floor: node:tls, ${count} durable files`.padEnd(W)}${`${rate(many.bytes, tlsManyS).toFixed(1)} MB/s`.padStart(14)}   ${each(r.tlsMany, many.bytes)}   (median ${tlsManyS.toFixed(2)} s)`);
  console.log(`${'(2) floor: node:tls, 1 durable file'.padEnd(W)}${`${rate(single.bytes, tlsSingleS).toFixed(1)} MB/s`.padStart(14)}   ${each(r.tlsSingle, single.bytes)}   (median ${tlsSingleS.toFixed(2)} s)`);
  console.log(`${'    floor many vs one (per file)'.padEnd(W)}${pct(floorOverhead).padStart(14)}   ${floorPerFileMs.toFixed(2)} ms per file: what storing each blob durably costs with no protocol at all`);
  console.log(`${'(2) floor: node:tls, one pack file'.padEnd(W)}${`${rate(many.bytes, tlsPackS).toFixed(1)} MB/s`.padStart(14)}   ${each(r.tlsPack, many.bytes)}   (median ${tlsPackS.toFixed(2)} s)`);
  console.log(`${'    pack floor vs one file'.padEnd(W)}${pct(packOverhead).padStart(14)}   the ${count} files appended to one file, acknowledged after a shared fdatasync`);
  console.log(`${'    ours above the floor'.padEnd(W)}${`${(perBlobMs - floorPerFileMs).toFixed(2)} ms`.padStart(14)}   per blob (offer, signed ticket and receipt, hashing, ledger records)`);
  const cores = availableParallelism();
  console.log(`${'    CPU per blob above one blob'.padEnd(W)}${`${(cpuPerBlob('origin', 'user') + cpuPerBlob('origin', 'system') + cpuPerBlob('holder', 'user') + cpuPerBlob('holder', 'system')).toFixed(2)} ms`.padStart(14)}   ${cpuLine('origin')}; ${cpuLine('holder')}; on ${cores} core(s)`);
  console.log(
    `${`(3) --up ${CAP_BYTES_PER_SEC / 1e6}MB/s, ${mb(capped.bytes)} MB: wire rate`.padEnd(W)}${`${(wire / 1e6).toFixed(2)} MB/s`.padStart(14)}   ${r.cap.map((x) => (x.phases.wireBytesPerSec / 1e6).toFixed(2)).join(' ')}   ` +
      `${pct(wireOff)}   goal within ±${CAP_TOLERANCE * 100} %   ${verdict(Math.abs(wireOff) <= CAP_TOLERANCE)}`,
  );
  console.log(`${'    whole placement (link up→receipt)'.padEnd(W)}${`${capPlacement.toFixed(2)} MB/s`.padStart(14)}   ${each(r.cap, capped.bytes)}   ${pct(capPlacement / (CAP_BYTES_PER_SEC / 1e6) - 1)}`);
  for (const [role, key] of Object.entries(roles)) {
    const per = Object.entries(scenarios).map(([what, list]) => `${what} ${Math.max(...list.map((x) => x[key])).toFixed(0)}`).join(', ');
    console.log(`${`(4) peak RSS ${role}`.padEnd(W)}${`${peak(key).toFixed(1)} MB`.padStart(14)}   max over runs; per measure: ${per}`);
  }
  console.log(`${'    both nodes'.padEnd(W)}${`${maxRss.toFixed(1)} MB`.padStart(14)}   goal < ${GOAL_PEAK_RSS_MB} MB   ${verdict(maxRss < GOAL_PEAK_RSS_MB)}`);
  console.log('MB = 10^6 bytes of sealed blob. (1) and (2): link up → custody receipt recorded at the origin. (3) wire rate: the');
  console.log('holder\'s first to last data frame received; the whole placement adds the offer, the token bucket\'s initial burst and the commit.');
  if (rebuiltIn.length > 0) odd.push(`dist/ was rebuilt (by someone else) during run(s) ${rebuiltIn.join(', ')}: the figures mix two builds`);
  if (odd.length > 0) {
    console.log('odd:');
    for (const line of [...new Set(odd)]) console.log(`  ${line}`);
  }
}
