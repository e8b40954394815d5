// The shell as a whole, on a real running node (InswarmService on 127.0.0.1, its own data folder),
// with only `electron` faked: one instance, the window and its walls, calls and events through
// IPC to the real dispatcher, the tray line, the data folder, a start that fails, and a quit that
// exits only after the node has stopped.

import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IPC_CALL, IPC_CONTRACT, IPC_EVENT } from '../../../src/main/electron/ipc.js';
import { EXIT_START_FAILED, runShell, type Shell, type ShellService } from '../../../src/main/electron/shell.js';
import { trayTooltip } from '../../../src/main/electron/tray-status.js';
import { InswarmService, type ServiceOptions } from '../../../src/main/service.js';
import { tempDir } from '../../helpers/tmp.js';
import { createFakeElectron, FakeBrowserWindow, FakeNotification, FakeTray } from './fake-electron.js';
import { manualClock } from './manual-clock.js';

const PATHS = {
  rendererIndex: '/opt/inswarm/dist/renderer/index.html',
  preload: '/opt/inswarm/dist/main/electron/preload/preload.js',
  trayIcon: '/opt/inswarm/assets/tray/tray.png',
  windowIcon: '/opt/inswarm/assets/icons/512x512.png',
};
const LOCAL = ['--listen', '127.0.0.1:0', '--no-mdns'];

type Fake = ReturnType<typeof createFakeElectron>;
const running: { shell: Shell | null; fake: Fake }[] = [];

afterEach(async () => {
  // Quit whatever a failed test left running, so no node outlives its test.
  for (const { shell, fake } of running.splice(0)) {
    if (shell !== null && shell.quitting() === null) fake.app.quit();
    await shell?.quitting();
  }
});

async function launch(options: { argv?: string[]; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; lock?: boolean } = {}) {
  const userData = await tempDir('inswarm-userdata');
  const fake = createFakeElectron(userData);
  fake.app.gotLock = options.lock ?? true;
  const clock = manualClock();
  const starts: ServiceOptions[] = [];
  const logs: string[] = [];
  const shell = await runShell({
    electron: fake as never,
    startService: (o) => {
      starts.push(o);
      return InswarmService.start(o);
    },
    argv: options.argv ?? [...LOCAL],
    env: options.env ?? {},
    platform: options.platform ?? 'linux',
    paths: PATHS,
    timers: clock.timers,
    log: (l) => logs.push(l),
  });
  running.push({ shell, fake });
  return { shell, fake, clock, starts, logs, userData };
}

const serviceOf = (shell: Shell | null): InswarmService => shell!.service as InswarmService;

describe('the shell on a running node', () => {
  it('opens one sandboxed window on our file and answers its calls through the real dispatcher', async () => {
    const dir = await tempDir('inswarm-shell');
    const { shell, fake } = await launch({ argv: ['--data', dir, ...LOCAL, '--name', 'stage-left'] });
    expect(FakeBrowserWindow.all).toHaveLength(1);
    const win = FakeBrowserWindow.all[0]!;
    expect(win.options['webPreferences']).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: PATHS.preload });
    expect(win.loaded).toBe(PATHS.rendererIndex);
    expect(win.visible).toBe(true);
    expect(shell!.window()).toBe(win);

    const contents = win.webContents;
    const reply = (await fake.ipcMain.invokeFrom(contents, contents.mainFrame, IPC_CALL, 'overview', undefined)) as { ok: boolean; result: { deviceId: string; name: string } };
    expect(reply.ok).toBe(true);
    expect(reply.result.deviceId).toBe(serviceOf(shell).node.identity.deviceId);
    expect(reply.result.name).toBe('stage-left');
    // The dispatcher's own argument checks answer through the same channel.
    expect(await fake.ipcMain.invokeFrom(contents, contents.mainFrame, IPC_CALL, 'heldPage', { sort: 'evil' })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(fake.ipcMain.sendSyncFrom(contents, contents.mainFrame, IPC_CONTRACT)).toMatchObject({ methods: expect.arrayContaining(['overview', 'setCaps']) });

    // The node lives in --data.
    expect(serviceOf(shell).node.dataDir).toBe(dir);
    expect(existsSync(join(dir, 'runtime.json'))).toBe(true);
  });

  it('refuses calls from anything but our window, and from our window once it has navigated away', async () => {
    const { fake, shell } = await launch();
    const win = FakeBrowserWindow.all[0]!;
    const other = new FakeBrowserWindow({});
    await other.loadFile(PATHS.rendererIndex);
    expect(await fake.ipcMain.invokeFrom(other.webContents, other.webContents.mainFrame, IPC_CALL, 'deliverNow', undefined)).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(fake.ipcMain.sendSyncFrom(other.webContents, other.webContents.mainFrame, IPC_CONTRACT)).toBeNull();
    win.webContents.mainFrame.url = 'https://evil.example/';
    expect(await fake.ipcMain.invokeFrom(win.webContents, win.webContents.mainFrame, IPC_CALL, 'settings', undefined)).toMatchObject({ ok: false, code: 'E_USAGE' });
    // Nothing reached the core: its caps are as they were.
    win.webContents.mainFrame.url = new URL(`file://${PATHS.rendererIndex}`).href;
    const before = serviceOf(shell).node.caps();
    await fake.ipcMain.invokeFrom(other.webContents, other.webContents.mainFrame, IPC_CALL, 'setCaps', { diskBytes: 1 });
    expect(serviceOf(shell).node.caps()).toEqual(before);
  });

  it("pushes the core's events to the window, and blocks its navigation and new windows", async () => {
    const { shell, fake } = await launch();
    const contents = FakeBrowserWindow.all[0]!.webContents;
    serviceOf(shell).node.events.emit('peer:seen', { deviceId: 'D', name: 'n', address: '10.0.0.2:22100', source: 'manual' });
    expect(contents.sent).toContainEqual({ channel: IPC_EVENT, args: [{ event: 'peer:seen', payload: { deviceId: 'D', name: 'n', address: '10.0.0.2:22100', source: 'manual' } }] });
    expect(contents.fire('will-navigate', { url: 'https://evil.example/' })).toBe(true);
    expect(fake.opened).toEqual(['https://evil.example/']);
    expect(contents.windowOpenHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    let granted: boolean | null = null;
    fake.session.defaultSession.recorded.permissionRequest!(contents, 'media', (g) => (granted = g), {});
    expect(granted).toBe(false);
  });

  it("shows the node's status line in the tray, and the tray's Quit stops the node before exiting", async () => {
    const { shell, fake } = await launch();
    const service = serviceOf(shell);
    const tray = FakeTray.all[0]!;
    expect(tray.tooltip).toBe(trayTooltip(service.statusLine()));
    expect(tray.menu!.template[0]!.label).toBe(service.statusLine());
    expect(fake.images.map((i) => [i.path, i.template])).toEqual([[PATHS.trayIcon, false]]);

    // stop() removes runtime.json as its last step, after the ledger closed: if it is gone when
    // app.exit runs, exit waited for the stop.
    const runtime = join(service.node.dataDir, 'runtime.json');
    expect(existsSync(runtime)).toBe(true);
    let runtimeAtExit: boolean | null = null;
    fake.app.onExit = () => (runtimeAtExit = existsSync(runtime));
    const stopping = vi.spyOn(service, 'stop');

    const quit = tray.menu!.template.find((m) => m.label === 'Quit Inswarm')!;
    quit.click!();
    // Quit is held: nothing exited yet.
    expect(fake.app.exitCodes).toEqual([]);
    await shell!.quitting();
    expect(fake.app.exitCodes).toEqual([0]);
    expect(runtimeAtExit).toBe(false);
    expect(stopping).toHaveBeenCalledTimes(1);
    expect(tray.destroyed).toBe(true);
    // A second quit (Cmd+Q while stopping) neither stops twice nor exits twice.
    fake.app.quit();
    await shell!.quitting();
    expect(stopping).toHaveBeenCalledTimes(1);
    expect(fake.app.exitCodes).toEqual([0]);
  });

  it('uses a template tray image on macOS', async () => {
    const { fake } = await launch({ platform: 'darwin' });
    expect(fake.images.map((i) => i.template)).toEqual([true]);
    expect(FakeBrowserWindow.all[0]!.options['icon']).toBeUndefined();
  });

  it('keeps the node running when the window closes; a second start or the tray brings a window back', async () => {
    const { shell, fake } = await launch();
    const first = FakeBrowserWindow.all[0]!;
    first.minimized = true;
    const focusedBefore = first.focused;
    fake.app.emit('second-instance', {}, ['inswarm'], '/');
    expect(first.minimized).toBe(false);
    expect(first.focused).toBe(focusedBefore + 1);
    expect(FakeBrowserWindow.all).toHaveLength(1);

    first.close();
    fake.app.emit('window-all-closed');
    expect(fake.app.exitCodes).toEqual([]);
    expect(shell!.window()).toBeNull();
    expect((await serviceOf(shell).api.dispatch('overview', undefined)).ok).toBe(true);

    fake.app.emit('second-instance', {}, ['inswarm'], '/');
    expect(FakeBrowserWindow.all).toHaveLength(2);
    const second = FakeBrowserWindow.all[1]!;
    expect(shell!.window()).toBe(second);
    // IPC now trusts the new window only.
    expect(await fake.ipcMain.invokeFrom(second.webContents, second.webContents.mainFrame, IPC_CALL, 'peers', undefined)).toMatchObject({ ok: true });
    expect(await fake.ipcMain.invokeFrom(first.webContents, first.webContents.mainFrame, IPC_CALL, 'peers', undefined)).toMatchObject({ ok: false });
    FakeTray.all[0]!.emit('click');
    expect(second.focused).toBeGreaterThan(0);
  });

  it('shows a native notice when the donated space fills up, and a click opens the window', async () => {
    const { shell, clock } = await launch();
    const api = serviceOf(shell).api;
    const settle = async () => {
      clock.advance(5_000);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    await api.dispatch('setCaps', { diskBytes: 10_000_000_000, floorBytes: 0 });
    await settle();
    expect(FakeNotification.shown).toEqual([]);
    await api.dispatch('setCaps', { diskBytes: 1_000_000 });
    await settle();
    expect(FakeNotification.shown.map((n) => n.options.title)).toEqual(['Donated space is full']);
    FakeBrowserWindow.all[0]!.close();
    FakeNotification.shown[0]!.emit('click');
    expect(shell!.window()).not.toBeNull();
  });
});

describe('starting', () => {
  it('quits at once when another instance holds the lock, without starting a node', async () => {
    const { shell, fake, starts } = await launch({ lock: false });
    expect(shell).toBeNull();
    expect(fake.app.quitCalls).toBe(1);
    expect(starts).toEqual([]);
    expect(FakeBrowserWindow.all).toEqual([]);
  });

  it('keeps the node in userData/node unless --data or INSWARM_DATA says otherwise', async () => {
    const a = await launch();
    expect(serviceOf(a.shell).node.dataDir).toBe(join(a.userData, 'node'));
    const envDir = await tempDir('inswarm-envdata');
    const b = await launch({ env: { INSWARM_DATA: envDir } });
    expect(serviceOf(b.shell).node.dataDir).toBe(envDir);
    expect(b.starts[0]).toMatchObject({ ui: false, mdns: false, listen: { host: '127.0.0.1', port: 0 } });
  });

  it('says why in a dialog and exits 1 when the peer port is taken', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const { shell, fake } = await launch({ argv: ['--listen', `127.0.0.1:${port}`, '--no-mdns'] });
      expect(shell).toBeNull();
      expect(fake.app.exitCodes).toEqual([EXIT_START_FAILED]);
      expect(fake.errorBoxes).toHaveLength(1);
      expect(fake.errorBoxes[0]!.title).toBe('Inswarm could not start');
      expect(fake.errorBoxes[0]!.content).toMatch(/already in use/);
      expect(FakeBrowserWindow.all).toEqual([]);
    } finally {
      busy.close();
    }
  });

  it('says why in a dialog when an option is wrong', async () => {
    const { shell, fake } = await launch({ argv: ['--listen', 'nonsense', '--no-mdns'] });
    expect(shell).toBeNull();
    expect(fake.errorBoxes[0]!.content).toMatch(/--listen "nonsense" is not HOST:PORT/);
    expect(fake.app.exitCodes).toEqual([EXIT_START_FAILED]);
  });

  it('a quit asked for while the node starts waits for it, stops it and shows no window', async () => {
    const userData = await tempDir('inswarm-userdata');
    const fake = createFakeElectron(userData);
    let service: ShellService | null = null;
    let exitSawStopped: boolean | null = null;
    let stopped = false;
    fake.app.onExit = () => (exitSawStopped = stopped);
    const shell = await runShell({
      electron: fake as never,
      startService: async (o) => {
        fake.app.quit(); // the user quits (Ctrl+C) while the node opens
        const s = await InswarmService.start(o);
        service = s;
        return { api: s.api, statusLine: () => s.statusLine(), stop: async () => { await s.stop(); stopped = true; } };
      },
      argv: [...LOCAL],
      env: {},
      paths: PATHS,
      timers: manualClock().timers,
      log: () => undefined,
    });
    expect(shell).toBeNull();
    expect(service).not.toBeNull();
    await vi.waitFor(() => expect(fake.app.exitCodes).toEqual([0]));
    expect(exitSawStopped).toBe(true);
    expect(FakeBrowserWindow.all).toEqual([]);
  });
});
