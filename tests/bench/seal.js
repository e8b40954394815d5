// The seal suite: how fast `inswarm seal` encrypts one large file compared with `age -r` on the
// same file, with `cp` as the disk's ceiling, and how much memory our process needs to do it.

import { createHash, randomFillSync } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, MiB, UsageError, closed, median, start, tempDir, timed, verdict, versionOf } from './harness.js';

export const name = 'seal';
export const summary = 'inswarm seal vs age -r vs cp on one large random file: MB/s and peak RSS';
export const usage = 'seal [--size MiB] [--runs N]    defaults: 1024 MiB, 5 runs (N ≥ 3)';

/** Goals from the issue: at least as fast as the reference age, and memory flat and small. */
const GOAL_OURS_PER_AGE = 1.0;
const GOAL_PEAK_RSS_MB = 150;
/** A median of fewer runs is mostly noise. */
const MIN_RUNS = 3;
/** Write size while making the input: big enough to be quick, small enough to stay in memory. */
const WRITE_CHUNK = 8 * MiB;
const RSS_REPORTER = new URL('./rss-reporter.js', import.meta.url).href;

/** Reads this suite's command-line options; throws UsageError. */
export function parse(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { size: { type: 'string', default: '1024' }, runs: { type: 'string', default: '5' } } }));
  } catch (err) {
    throw new UsageError(err.message);
  }
  const size = Number(values.size);
  const runs = Number(values.runs);
  if (!Number.isInteger(size) || size < 1) throw new UsageError('--size needs a whole number of MiB, at least 1.');
  if (!Number.isInteger(runs) || runs < MIN_RUNS) throw new UsageError(`--runs needs a whole number, at least ${MIN_RUNS}.`);
  return { bytes: size * MiB, runs };
}

/** Writes `bytes` of random data to `path` and returns their SHA-256. */
async function writeRandomFile(path, bytes) {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(WRITE_CHUNK);
  const file = await open(path, 'wx');
  try {
    for (let left = bytes; left > 0; left -= chunk.length) {
      const piece = chunk.subarray(0, Math.min(left, chunk.length));
      randomFillSync(piece);
      hash.update(piece);
      await file.write(piece);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** SHA-256 of the file inside our blob as the stock tools see it: age -d -i KEY BLOB | tar -xO. */
async function unsealedSha256(key, blob) {
  const age = start('age', ['-d', '-i', key, blob], { stdio: ['ignore', 'pipe', 'inherit'] });
  const tar = start('tar', ['-xOf', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  age.stdout.pipe(tar.stdin);
  const statuses = Promise.all([closed(age), closed(tar)]);
  const hash = createHash('sha256');
  for await (const chunk of tar.stdout) hash.update(chunk);
  const [ageStatus, tarStatus] = await statuses;
  if (ageStatus !== 0 || tarStatus !== 0) throw new Error(`age -d | tar -xO failed (age ${ageStatus}, tar ${tarStatus})`);
  return hash.digest('hex');
}

export async function run({ bytes, runs }) {
  const dir = tempDir('seal');
  const input = join(dir, 'input.bin');
  const key = join(dir, 'key.txt');
  const out = join(dir, 'out');
  const rssFile = join(dir, 'max-rss-kib');
  const env = { ...process.env, INSWARM_DATA: join(dir, 'data'), INSWARM_BENCH_RSS_FILE: rssFile };

  console.log(`age:    ${await versionOf('age', ['--version'])}`);
  console.log(`input:  ${bytes / MiB} MiB of random data in ${dir}`);
  const inputSha256 = await writeRandomFile(input, bytes);
  const recipient = (await timed(process.execPath, [CLI, 'keygen', '--out', key], { env })).stdout.trim();

  // Each tool writes `out`, which is removed before the next run (ours never overwrites).
  // Only ours fsyncs its output before exiting; age and cp may leave theirs in the page cache.
  const tools = {
    'inswarm seal': [process.execPath, ['--import', RSS_REPORTER, CLI, 'seal', '--to', recipient, '--out', out, input]],
    'age -r': ['age', ['-r', recipient, '-o', out, input]],
    'cp (ceiling)': ['cp', [input, out]],
  };

  // Once, untimed: our blob must hold the input's bytes, or the figures would flatter a broken
  // seal. This run also creates the data folder's identity, which later runs then only open.
  await timed(...tools['inswarm seal'], { env });
  if ((await unsealedSha256(key, out)) !== inputSha256) throw new Error('age -d | tar -xO of our blob does not give back the input: not benchmarking a broken seal.');
  await rm(out);
  console.log('check:  age -d -i KEY | tar -xO of our blob gives back the input (SHA-256 equal)');

  const seconds = Object.fromEntries(Object.keys(tools).map((tool) => [tool, []]));
  const peakRssMB = [];
  for (let i = 1; i <= runs; i++) {
    const line = [];
    for (const [tool, [command, args]] of Object.entries(tools)) {
      await timed('sync', []); // untimed: no run pays for writing back the previous one's pages
      await rm(rssFile, { force: true });
      const result = await timed(command, args, { env });
      await rm(out);
      seconds[tool].push(result.seconds);
      line.push(`${tool.split(' ')[0]} ${result.seconds.toFixed(2)} s`);
      if (tool === 'inswarm seal') peakRssMB.push((Number(await readFile(rssFile, 'utf8')) * 1024) / 1e6);
    }
    console.log(`run ${i}/${runs}: ${line.join(', ')}, inswarm peak RSS ${peakRssMB.at(-1).toFixed(1)} MB`);
  }

  const mbps = (s) => bytes / 1e6 / s;
  const medianMBps = Object.fromEntries(Object.entries(seconds).map(([tool, s]) => [tool, mbps(median(s))]));
  const oursPerAge = medianMBps['inswarm seal'] / medianMBps['age -r'];
  const oursPerCp = medianMBps['inswarm seal'] / medianMBps['cp (ceiling)'];
  const maxRss = Math.max(...peakRssMB);
  console.log('');
  console.log(`${'tool'.padEnd(18)}${'median MB/s'.padStart(12)}   each run (MB/s)`);
  for (const [tool, s] of Object.entries(seconds)) {
    console.log(`${tool.padEnd(18)}${medianMBps[tool].toFixed(1).padStart(12)}   ${s.map((x) => mbps(x).toFixed(0)).join(' ')}`);
  }
  console.log(`${'ours/age'.padEnd(18)}${oursPerAge.toFixed(2).padStart(12)}   goal ≥ ${GOAL_OURS_PER_AGE.toFixed(1)}   ${verdict(oursPerAge >= GOAL_OURS_PER_AGE)}`);
  console.log(`${'ours/cp'.padEnd(18)}${oursPerCp.toFixed(2).padStart(12)}`);
  console.log(`${'inswarm peak RSS'.padEnd(18)}median ${median(peakRssMB).toFixed(1)} MB, max ${maxRss.toFixed(1)} MB   goal < ${GOAL_PEAK_RSS_MB} MB   ${verdict(maxRss < GOAL_PEAK_RSS_MB)}`);
  console.log('MB = 10^6 bytes of input per second of wall time for the whole command (process start to exit).');
}
