// The import suite: `inswarm import` of a tree of generated photos (DCIM/1xxAPPLE folders, JPEG
// headers with EXIF dates, random bodies) into a fresh library, against `cp -r` of the same tree in
// the same run. The import reads each file once, hashes it, writes and fsyncs the copy, then
// re-reads and hashes the copy to verify it; `cp -r` only copies. No destination is set, so the
// figure is the copy phase (sealing is measured by the seal suite).
//
// Two references, both timed in every run:
//   cp -r          the headline (the goal: import ≥ 0.8 × cp -r). cp -r does not fsync: its
//                  copy is still only in the page cache when it exits.
//   cp -r && sync  the same copy made durable, as the import makes it (context, not the goal).
// Each timed step starts after an untimed `sync`, so no step pays for an earlier one's dirty pages.
// The import's own figure is also split into process start-up and the engine's time
// (ImportSummary.seconds), since start-up is a fixed cost that a 2 GB tree does not amortise.

import { randomFillSync } from 'node:crypto';
import { mkdirSync, openSync, closeSync, writeSync, utimesSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, MiB, UsageError, median, tempDir, timed, verdict } from './harness.js';

export const name = 'import';
export const summary = 'inswarm import of a photo tree vs cp -r of the same tree: MB/s and ratio';
export const usage = 'import [--size MiB] [--photo MiB] [--runs N]    defaults: 2048 MiB of 4 MiB photos, 3 runs (N ≥ 3)';

/** Goal from the issue: import (hashing and verifying included) at 80 % of cp -r's speed. */
const GOAL_RATIO = 0.8;
const MIN_RUNS = 3;
const PHOTOS_PER_FOLDER = 200;

export function parse(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { size: { type: 'string', default: '2048' }, photo: { type: 'string', default: '4' }, runs: { type: 'string', default: '3' } } }));
  } catch (err) {
    throw new UsageError(err.message);
  }
  const size = Number(values.size);
  const photo = Number(values.photo);
  const runs = Number(values.runs);
  if (!Number.isInteger(size) || size < 1) throw new UsageError('--size needs a whole number of MiB, at least 1.');
  if (!(photo > 0) || photo > size) throw new UsageError('--photo needs a number of MiB, at most --size.');
  if (!Number.isInteger(runs) || runs < MIN_RUNS) throw new UsageError(`--runs needs a whole number, at least ${MIN_RUNS}.`);
  return { bytes: size * MiB, photoBytes: Math.round(photo * MiB), runs };
}

/** A JPEG start with an EXIF DateTimeOriginal, so files are dated like camera photos. */
function exifHead(date) {
  const ascii = Buffer.from(`${date}\0`, 'latin1');
  const tiff = Buffer.alloc(8 + 18 + 18 + ascii.length);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  tiff.writeUInt16LE(0x8769, 10);
  tiff.writeUInt16LE(4, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt32LE(26, 18);
  tiff.writeUInt16LE(1, 26);
  tiff.writeUInt16LE(0x9003, 28);
  tiff.writeUInt16LE(2, 30);
  tiff.writeUInt32LE(ascii.length, 32);
  tiff.writeUInt32LE(44, 36);
  ascii.copy(tiff, 44);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const seg = Buffer.alloc(4);
  seg.writeUInt16BE(0xffe1, 0);
  seg.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), seg, payload]);
}

function makeTree(root, bytes, photoBytes) {
  const count = Math.ceil(bytes / photoBytes);
  const body = Buffer.allocUnsafe(photoBytes);
  for (let i = 0; i < count; i++) {
    const folder = join(root, 'DCIM', `${100 + Math.floor(i / PHOTOS_PER_FOLDER)}APPLE`);
    if (i % PHOTOS_PER_FOLDER === 0) mkdirSync(folder, { recursive: true });
    const day = String(1 + (i % 28)).padStart(2, '0');
    const head = exifHead(`2024:05:${day} 12:00:00`);
    randomFillSync(body);
    const path = join(folder, `IMG_${String(i).padStart(4, '0')}.JPG`);
    const fd = openSync(path, 'wx');
    writeSync(fd, head);
    writeSync(fd, body, 0, photoBytes - head.length);
    closeSync(fd);
    utimesSync(path, new Date(), new Date(2024, 4, 1));
  }
  return count;
}

export async function run({ bytes, photoBytes, runs }) {
  const dir = tempDir('import');
  const tree = join(dir, 'card');
  const count = makeTree(tree, bytes, photoBytes);
  console.log(`input:  ${count} photos, ${Math.round((count * photoBytes) / MiB)} MiB in ${tree} (page cache warm for both)`);
  const cpTimes = [];
  const cpSyncTimes = [];
  const ourTimes = [];
  const engineTimes = [];
  for (let i = 0; i < runs; i++) {
    await timed('sync', []);
    const cp = await timed('cp', ['-r', tree, join(dir, `cp-${i}`)]);
    const flush = await timed('sync', []);
    cpTimes.push(cp.seconds);
    cpSyncTimes.push(cp.seconds + flush.seconds);
    const env = { ...process.env, INSWARM_DATA: join(dir, `data-${i}`) };
    const ours = await timed(process.execPath, [CLI, 'import', tree, '--library', join(dir, `lib-${i}`), '--json'], { env });
    const summary = JSON.parse(ours.stdout);
    if (summary.imported !== count) throw new Error(`import ${i} brought in ${summary.imported} of ${count} photos`);
    ourTimes.push(ours.seconds);
    engineTimes.push(summary.seconds);
    console.log(
      `run ${i + 1}: cp -r ${cp.seconds.toFixed(2)} s, cp -r && sync ${(cp.seconds + flush.seconds).toFixed(2)} s, ` +
        `inswarm import ${ours.seconds.toFixed(2)} s (start-up ${(ours.seconds - summary.seconds).toFixed(2)} s + import ${summary.seconds.toFixed(2)} s)`,
    );
    // Both copies go before the next run, so the disk is as empty and the cache as warm each time.
    rmSync(join(dir, `cp-${i}`), { recursive: true, force: true });
    rmSync(join(dir, `lib-${i}`), { recursive: true, force: true });
  }
  const mb = (count * photoBytes) / 1e6;
  const cpMed = median(cpTimes);
  const cpSyncMed = median(cpSyncTimes);
  const ourMed = median(ourTimes);
  const engineMed = median(engineTimes);
  const ratio = cpMed / ourMed;
  console.log(`cp -r:          ${(mb / cpMed).toFixed(0)} MB/s (median of ${runs}; not durable: no fsync)`);
  console.log(`cp -r && sync:  ${(mb / cpSyncMed).toFixed(0)} MB/s (median of ${runs}; durable, like the import)`);
  console.log(`inswarm import: ${(mb / ourMed).toFixed(0)} MB/s (median of ${runs}; whole command: start-up, hash, fsync and verify included)`);
  console.log(`  import engine: ${(mb / engineMed).toFixed(0)} MB/s (median of ${runs}; ImportSummary.seconds, without process start-up)`);
  console.log(`ratio import/cp -r: ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}) ${verdict(ratio >= GOAL_RATIO)}`);
  console.log(`  for context, import/(cp -r && sync): ${(cpSyncMed / ourMed).toFixed(2)}; engine/(cp -r && sync): ${(cpSyncMed / engineMed).toFixed(2)}`);
}
