// main.ts as Electron runs it, with `electron` replaced by the thin fake: it starts the real node
// from the command line, points the window at dist/renderer and the compiled preload, and quits
// through the same clean stop on SIGINT.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Shell } from '../../../src/main/electron/shell.js';
import { tempDir } from '../../helpers/tmp.js';
import { createFakeElectron, FakeBrowserWindow } from './fake-electron.js';

const h = vi.hoisted(() => ({ fake: null as unknown }));
vi.mock('electron', () => h.fake as Record<string, unknown>);

const srcElectron = resolve(import.meta.dirname, '../../../src/main/electron');
const savedArgv = process.argv;
let addedSignalListeners: { signal: NodeJS.Signals; listener: (...args: unknown[]) => void }[] = [];

afterEach(() => {
  process.argv = savedArgv;
  for (const { signal, listener } of addedSignalListeners) process.removeListener(signal, listener);
  addedSignalListeners = [];
});

describe('main.ts', () => {
  it('runs the shell on the real node with the paths of the built app, and quits cleanly on SIGINT', async () => {
    const dir = await tempDir('inswarm-main');
    const fake = createFakeElectron(await tempDir('inswarm-userdata'));
    h.fake = fake;
    const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    process.argv = ['/usr/lib/electron/electron', '/opt/inswarm', '--data', dir, '--listen', '127.0.0.1:0', '--no-mdns'];
    const { shell: started } = await import('../../../src/main/electron/main.js');
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) addedSignalListeners.push({ signal, listener });
    }
    const shell = (await started) as Shell;
    expect(shell).not.toBeNull();
    expect(existsSync(join(dir, 'runtime.json'))).toBe(true);
    const win = FakeBrowserWindow.all[0]!;
    // Compiled layout: dist/main/electron/main.js → dist/renderer/index.html and ./preload/preload.js.
    expect(win.loaded).toBe(resolve(srcElectron, '../../renderer/index.html'));
    expect((win.options['webPreferences'] as { preload: string }).preload).toBe(join(srcElectron, 'preload', 'preload.js'));
    expect(fake.images[0]!.path).toBe(resolve(srcElectron, '../../../assets/tray/tray.png'));
    expect(existsSync(fake.images[0]!.path)).toBe(true);
    expect(existsSync(win.options['icon'] as string)).toBe(true);

    // Ctrl+C: main.ts turns the signal into app.quit(), which waits for the node to stop.
    const sigint = addedSignalListeners.find((l) => l.signal === 'SIGINT')!;
    sigint.listener('SIGINT');
    await shell.quitting();
    expect(fake.app.exitCodes).toEqual([0]);
    expect(existsSync(join(dir, 'runtime.json'))).toBe(false);
  });
});
