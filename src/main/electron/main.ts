// Electron's entry point (package.json "main"): hands the real `electron` module, the node service
// and the built files' paths to the shell (shell.ts). Nothing else happens here, so the shell is
// tested as a whole with a thin fake of `electron`.

import { join } from 'node:path';
import * as electron from 'electron';
import { InswarmService } from '../service.js';
import { runShell } from './shell.js';

const here = import.meta.dirname;
// dist/main/electron → the app root (the folder of package.json, or app.asar when packaged).
const root = join(here, '..', '..', '..');
const darwin = process.platform === 'darwin';

// Ctrl+C in the terminal that ran `npm start`, or a service manager's SIGTERM: quit the same way
// the tray's Quit does, which waits for the node to stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => electron.app.quit());

export const shell = runShell({
  electron,
  startService: (options) => InswarmService.start(options),
  // Packaged: [app, ...args]; unpackaged: [electron, app path, ...args].
  argv: process.argv.slice(electron.app.isPackaged ? 1 : 2),
  paths: {
    rendererIndex: join(here, '..', '..', 'renderer', 'index.html'),
    preload: join(here, 'preload', 'preload.js'),
    trayIcon: join(root, 'assets', 'tray', darwin ? 'trayTemplate.png' : 'tray.png'),
    windowIcon: join(root, 'assets', 'icons', '512x512.png'),
  },
}).catch((err: unknown) => {
  console.error(`Inswarm failed: ${(err as Error).stack ?? String(err)}`);
  electron.app.exit(1);
  return null;
});
