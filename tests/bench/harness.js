// What every benchmark suite shares: temp folders that are removed at the end and on Ctrl+C,
// child processes timed by wall clock, the machine context, and small statistics.
// Nothing here knows about a particular suite.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The compiled CLI, as users run it. */
export const CLI = join(ROOT, 'bin/inswarm.js');
export const MiB = 1024 * 1024;

/** A bad command line: run.js prints the usage and exits 2. */
export class UsageError extends Error {}

const tempDirs = new Set();
const children = new Set();
let interruptedWith = null; // the exit status to leave with once the last child has closed

/** A fresh folder under the OS temp dir, removed by removeTempDirs() and on Ctrl+C. */
export function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `inswarm-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs() {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function leave() {
  removeTempDirs();
  process.exit(interruptedWith);
}

// On Ctrl+C (or SIGTERM) stop the children first and remove the temp folders only once they have
// closed, so a dying child cannot recreate a file after the folder is gone.
for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    interruptedWith = status;
    if (children.size === 0) leave();
    for (const child of children) child.kill('SIGKILL');
  });
}

/** spawn(), but the child is killed on Ctrl+C before the temp folders are removed. */
export function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  // Registered before any caller's listener, so an interrupted run exits before it continues.
  child.on('close', () => {
    children.delete(child);
    if (interruptedWith !== null && children.size === 0) leave();
  });
  return child;
}

/** Resolves with the exit code once `child` has closed; rejects if it could not start. */
export function closed(child) {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? signal));
  });
}

/**
 * Runs `command args…` to completion and resolves with its wall time (seconds, from spawn to
 * close, so process start-up counts) and its stdout; rejects, with its stderr, if it fails.
 */
export async function timed(command, args, options = {}) {
  const begin = process.hrtime.bigint();
  const child = start(command, args, options);
  const out = [];
  const err = [];
  child.stdout.on('data', (chunk) => out.push(chunk));
  child.stderr.on('data', (chunk) => err.push(chunk));
  const status = await closed(child);
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  if (status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${status}): ${Buffer.concat(err).toString().trim()}`);
  }
  return { seconds, stdout: Buffer.concat(out).toString() };
}

/** The output of a short command such as `age --version`, trimmed; "unavailable" if it fails. */
export async function versionOf(command, args) {
  try {
    return (await timed(command, args)).stdout.trim();
  } catch {
    return 'unavailable';
  }
}

/** Lines describing the machine, so a reader can judge how noisy the figures may be. */
export async function machineContext() {
  const cpu = cpus();
  return [
    `cpus:   ${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    `memory: ${(totalmem() / 1e9).toFixed(1)} GB; kernel ${release()}; temp dir ${tmpdir()}`,
    `node:   ${process.version}`,
    `load:   ${await versionOf('uptime', [])}`,
  ];
}

/**
 * Refuses to benchmark without a build, and warns when src/ has files newer than the build
 * (the figures would describe old code). Building is left to the reader: others may be mid-edit.
 */
export function checkBuild() {
  const built = join(ROOT, 'dist/main/cli.js');
  if (!existsSync(built)) throw new Error('dist/main/cli.js is missing: run "npm run build" first.');
  const builtAt = statSync(built).mtimeMs;
  const newer = readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs > builtAt);
  if (newer.length > 0) console.warn(`warning: ${newer.length} file(s) in src/ are newer than dist/: run "npm run build" to measure the current code.`);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "PASS" or "MISS": a benchmark reports its goals, it does not fail on them. */
export const verdict = (met) => (met ? 'PASS' : 'MISS');
