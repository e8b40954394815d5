// `npm start` (scripts/start.mjs): Electron when its binary exists and there is a display, else the
// headless node with its printed URL; arguments pass through, signals are forwarded once, and the
// child's exit status comes back. Electron's binary is not installed here: the package's own
// ELECTRON_OVERRIDE_DIST_PATH points it at a stand-in executable where a binary is needed.

import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.js';

const root = join(import.meta.dirname, '../../..');
const launcher = join(root, 'scripts', 'start.mjs');

/** The environment without anything that would decide for us. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['DISPLAY', 'WAYLAND_DISPLAY', 'ELECTRON_OVERRIDE_DIST_PATH', 'INSWARM_START_DRY_RUN', 'ELECTRON_RUN_AS_NODE']) delete env[key];
  return { ...env, ...extra };
}

function run(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [launcher, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, done, out: () => stdout, err: () => stderr };
}

async function dryRun(args: string[], env: NodeJS.ProcessEnv) {
  const r = run(args, { ...env, INSWARM_START_DRY_RUN: '1' });
  const { code } = await r.done;
  expect(code, r.err()).toBe(0);
  return JSON.parse(r.out()) as { mode: string; reason?: string; file: string; args: string[] };
}

/** A folder holding an executable named `electron` (a Node script), as ELECTRON_OVERRIDE_DIST_PATH wants. */
async function fakeElectron(body: string): Promise<{ dir: string; log: string }> {
  const dir = await tempDir('inswarm-fake-electron');
  const log = join(dir, 'log.txt');
  const file = join(dir, 'electron');
  writeFileSync(log, '');
  writeFileSync(file, `#!${process.execPath}\nconst fs = require('node:fs');\nconst log = (l) => fs.appendFileSync(${JSON.stringify(log)}, l + '\\n');\n${body}\n`);
  chmodSync(file, 0o755);
  return { dir, log };
}

describe('npm start: which app', () => {
  it("falls back to the headless node when Electron's binary is not installed, passing the arguments", async () => {
    const choice = await dryRun(['--data', '/tmp/x', '--no-mdns'], cleanEnv({ DISPLAY: ':0' }));
    expect(choice).toEqual({ mode: 'headless', reason: "Electron's binary is not installed", file: process.execPath, args: [join(root, 'bin', 'inswarm.js'), 'start', '--data', '/tmp/x', '--no-mdns'] });
  });

  it('runs Electron on the app when the binary exists and there is a display (X11 or Wayland)', async () => {
    const { dir } = await fakeElectron('');
    for (const display of [{ DISPLAY: ':0' }, { WAYLAND_DISPLAY: 'wayland-0' }]) {
      const choice = await dryRun(['--name', 'a b'], cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir, ...display }));
      expect(choice).toEqual({ mode: 'electron', file: join(dir, 'electron'), args: [root, '--name', 'a b'] });
    }
  });

  it('stays headless without a display, or when asked with --headless', async () => {
    const { dir } = await fakeElectron('');
    expect(await dryRun([], cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir }))).toMatchObject({ mode: 'headless', reason: 'no display' });
    expect(await dryRun(['--headless'], cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir, DISPLAY: ':0' }))).toMatchObject({ mode: 'headless', reason: '--headless', args: [join(root, 'bin', 'inswarm.js'), 'start', '--headless'] });
  });
});

describe('npm start: running the choice', () => {
  it("passes the arguments to Electron (not as Node) and exits with Electron's status", async () => {
    const { dir, log } = await fakeElectron(`log(JSON.stringify([process.env.ELECTRON_RUN_AS_NODE ?? null, ...process.argv.slice(2)])); process.exit(7);`);
    const r = run(['--data', '/tmp/somewhere'], cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir, DISPLAY: ':0', ELECTRON_RUN_AS_NODE: '1' }));
    expect((await r.done).code).toBe(7);
    expect(JSON.parse(readFileSync(log, 'utf8'))).toEqual([null, root, '--data', '/tmp/somewhere']);
  });

  it('forwards SIGINT to the app once and exits with its status after it stopped', async () => {
    const { dir, log } = await fakeElectron(`
      process.on('SIGINT', () => { log('SIGINT'); setTimeout(() => { log('stopped'); process.exit(0); }, 100); });
      process.on('SIGTERM', () => log('SIGTERM'));
      log('ready'); setInterval(() => {}, 1000);`);
    const r = run([], cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir, DISPLAY: ':0' }));
    await expect.poll(() => readFileSync(log, 'utf8'), { timeout: 20_000 }).toContain('ready');
    r.child.kill('SIGINT');
    expect(await r.done).toEqual({ code: 0, signal: null });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['ready', 'SIGINT', 'stopped']);
  });

  it('dies of the signal that killed the app', async () => {
    const { dir, log } = await fakeElectron(`log('ready'); process.on('SIGTERM', () => { process.kill(process.pid, 'SIGKILL'); }); setInterval(() => {}, 1000);`);
    const r = run([], cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir, DISPLAY: ':0' }));
    await expect.poll(() => readFileSync(log, 'utf8'), { timeout: 20_000 }).toContain('ready');
    r.child.kill('SIGTERM');
    expect(await r.done).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('headless: runs the real node, prints its UI address, and stops cleanly on SIGINT', async () => {
    const data = await tempDir('inswarm-start-headless');
    const r = run(['--data', data, '--listen', '127.0.0.1:0', '--no-mdns'], cleanEnv());
    await expect.poll(() => r.out(), { timeout: 30_000 }).toMatch(/http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/);
    expect(r.err()).toContain("Starting Inswarm headless (Electron's binary is not installed)");
    r.child.kill('SIGINT');
    expect(await r.done).toEqual({ code: 0, signal: null });
    expect(r.err()).toContain('Stopped cleanly (SIGINT).');
  });
});
