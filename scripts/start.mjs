#!/usr/bin/env node
// `npm start`: the desktop app when it can run, else the same UI headless in a browser.
// - Electron's binary present (require('electron') names a file that exists; with
//   ELECTRON_SKIP_BINARY_DOWNLOAD or an offline install it does not) and a display to draw on
//   (DISPLAY or WAYLAND_DISPLAY on Linux and the BSDs; always on macOS and Windows)
//   → `electron <app> ARGS…` (package.json "main" is dist/main/electron/main.js).
// - Otherwise, or with --headless → `node bin/inswarm.js start ARGS…`, which serves the UI on
//   127.0.0.1 and prints its address.
// Arguments pass through unchanged. SIGINT/SIGTERM reach the child exactly once, and this process
// exits with the child's status (or dies of the child's signal).
// INSWARM_START_DRY_RUN=1 prints the choice as JSON instead of running it (for tests).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The Electron executable, or null when only the npm package (no binary) is installed. */
function electronBinary() {
  try {
    // The package's main exports the binary's path; it throws when the install skipped the
    // download (no path.txt). ELECTRON_OVERRIDE_DIST_PATH points it at another build.
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** Whether a window can be shown: a display server on Linux and the BSDs; always elsewhere. */
function hasDisplay(env, platform) {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The command to run: Electron on the app, else the headless node. */
function chooseCommand({ args, env, platform, electron }) {
  if (electron !== null && hasDisplay(env, platform) && !args.includes('--headless')) {
    return { mode: 'electron', file: electron, args: [root, ...args] };
  }
  const reason = args.includes('--headless') ? '--headless' : electron === null ? "Electron's binary is not installed" : 'no display';
  return { mode: 'headless', reason, file: process.execPath, args: [join(root, 'bin', 'inswarm.js'), 'start', ...args] };
}

const choice = chooseCommand({ args: process.argv.slice(2), env: process.env, platform: process.platform, electron: electronBinary() });

if (process.env.INSWARM_START_DRY_RUN === '1') {
  console.log(JSON.stringify(choice));
  process.exit(0);
}

if (choice.mode === 'headless') console.error(`Starting Inswarm headless (${choice.reason}): open the address it prints in a browser.`);
const childEnv = { ...process.env };
// Set in some shells by other Electron tools; it would make Electron run as plain Node.
if (choice.mode === 'electron') delete childEnv.ELECTRON_RUN_AS_NODE;
const child = spawn(choice.file, choice.args, {
  stdio: 'inherit',
  env: childEnv,
  // Its own process group (not on Windows, where that opens a console window): Ctrl+C in the
  // terminal then reaches this process only, which forwards it once. In one group the child would
  // get it twice, and a second SIGINT cuts a clean stop short.
  detached: process.platform !== 'win32',
  windowsHide: false,
});

const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
process.on('SIGINT', forward);
process.on('SIGTERM', forward);

child.on('error', (err) => {
  console.error(`Could not run ${choice.file}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (code !== null) process.exit(code);
  // Died of a signal: die of the same one, so the caller sees what happened.
  process.removeListener('SIGINT', forward);
  process.removeListener('SIGTERM', forward);
  process.kill(process.pid, signal ?? 'SIGTERM');
});
