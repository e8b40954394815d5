// The Electron shell's composition: one instance per user, the node running in the background
// (InswarmService, started with no web UI: the window is the UI), one hardened window on our own
// file, IPC generated from the contract, a tray line, native notices, and a quit that waits for the
// node to stop cleanly. Electron comes in as a parameter (main.ts passes the real module, tests a
// thin fake), so everything here runs and is tested without Electron's binary.

import { pathToFileURL } from 'node:url';
import type { BrowserWindow, Event, NotificationConstructorOptions } from 'electron';
import type { ApiHost } from '../api/api-host.js';
import { isInswarmError } from '../core/errors.js';
import type { ServiceOptions } from '../service.js';
import { dataDirFor, parseShellArgs } from './args.js';
import { createIpcHandlers, forwardEvents, registerIpc, trustedSender } from './ipc.js';
import { watchNotifications, type Notice } from './notifications.js';
import { hardenContents, hardenSession, windowOptions } from './security.js';
import { realTimers, watchTray, type Timers } from './tray-status.js';

/** The parts of the `electron` module the shell uses. */
export type ShellElectron = Pick<typeof import('electron'), 'app' | 'BrowserWindow' | 'ipcMain' | 'Tray' | 'Menu' | 'Notification' | 'nativeImage' | 'session' | 'shell' | 'dialog'>;

/** What the shell needs of the running node (InswarmService has it). */
export interface ShellService {
  readonly api: ApiHost;
  statusLine(): string;
  stop(): Promise<void>;
}

export interface ShellPaths {
  /** dist/renderer/index.html: the only page the window ever shows. */
  readonly rendererIndex: string;
  /** The compiled, CommonJS preload. */
  readonly preload: string;
  /** Tray image: a macOS template (…Template.png) on macOS, a colour icon elsewhere. */
  readonly trayIcon: string;
  /** The window's icon (Linux and Windows; macOS takes the bundle's). */
  readonly windowIcon: string;
}

export interface ShellDeps {
  readonly electron: ShellElectron;
  readonly startService: (options: ServiceOptions) => Promise<ShellService>;
  /** The app's arguments (after the executable and, unpackaged, the app path). */
  readonly argv: readonly string[];
  readonly paths: ShellPaths;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly log?: (line: string) => void;
  readonly timers?: Timers;
}

/** A running shell, for main.ts and tests. */
export interface Shell {
  readonly service: ShellService;
  /** The window, or null while it is closed (the node keeps running in the tray). */
  window(): BrowserWindow | null;
  /** Shows the window, creating it if it was closed. */
  openWindow(): void;
  /** Resolves once a quit has stopped the node and exited; null before any quit. */
  quitting(): Promise<void> | null;
}

/** Exit status when the node could not start (the dialog said why). */
export const EXIT_START_FAILED = 1;

/**
 * Runs the shell; resolves to null when another instance already runs (it is focused instead and
 * this one quits) or the node could not start (a dialog says why and the app exits).
 */
export async function runShell(deps: ShellDeps): Promise<Shell | null> {
  const { app, BrowserWindow, ipcMain, Tray, Menu, Notification, nativeImage, session, shell, dialog } = deps.electron;
  const log = deps.log ?? ((line: string) => console.log(line));
  const env = deps.env ?? process.env;
  const platform = deps.platform ?? process.platform;
  const timers = deps.timers ?? realTimers;
  const appUrl = pathToFileURL(deps.paths.rendererIndex).href;

  // One instance per user: a second start (a desktop launcher clicked twice) shows this window.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }

  let win: BrowserWindow | null = null;
  let quitting: Promise<void> | null = null;
  const isQuitting = (): boolean => quitting !== null;
  // The node once started (null if it never did); a quit waits for it, even one asked for mid-start.
  let settleStarted: (service: ShellService | null) => void = () => undefined;
  const started = new Promise<ShellService | null>((resolve) => (settleStarted = resolve));
  const disposers: (() => void)[] = [];

  const openWindow = (): void => {
    if (isQuitting()) return;
    if (win !== null && !win.isDestroyed()) {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
      return;
    }
    const created = new BrowserWindow(windowOptions({ preload: deps.paths.preload, ...(platform === 'darwin' ? {} : { icon: deps.paths.windowIcon }) }));
    win = created;
    hardenContents(created.webContents, appUrl, (url) => void shell.openExternal(url));
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      if (win === created) win = null;
    });
    created.loadFile(deps.paths.rendererIndex).catch((err: unknown) => log(`The window could not load its page: ${(err as Error).message}`));
  };

  app.on('second-instance', () => openWindow());
  // Closing the window does not stop the node: it keeps holding replicas for others. Quit is in
  // the tray menu (and Cmd+Q). With a listener here Electron does not quit on its own.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => openWindow());
  app.on('before-quit', (event: Event) => {
    // Hold the quit until the node has stopped: the ledger and blob files close cleanly.
    event.preventDefault();
    quitting ??= (async () => {
      for (const dispose of disposers.splice(0)) dispose();
      try {
        await (await started)?.stop();
      } catch (err) {
        log(`Inswarm did not stop cleanly: ${(err as Error).message}`);
      }
      app.exit(0);
    })();
  });

  await app.whenReady();
  hardenSession(session.defaultSession);

  let service: ShellService;
  try {
    const args = parseShellArgs(deps.argv);
    service = await deps.startService({
      dataDir: dataDirFor(args, env, app.getPath('userData')),
      ...(args.listen === undefined ? {} : { listen: args.listen }),
      peers: args.peers,
      mdns: args.mdns,
      ...(args.name === undefined ? {} : { name: args.name }),
      ui: false,
      note: log,
    });
  } catch (err) {
    settleStarted(null);
    dialog.showErrorBox('Inswarm could not start', startFailure(err));
    app.exit(EXIT_START_FAILED);
    return null;
  }
  settleStarted(service);
  // Quit was asked for while the node was starting: that quit stops it; show nothing.
  if (isQuitting()) return null;

  const getContents = () => (win === null || win.isDestroyed() ? null : win.webContents);
  disposers.push(registerIpc(ipcMain, createIpcHandlers({ api: service.api, isTrustedSender: trustedSender(getContents, appUrl) })));
  disposers.push(forwardEvents(service.api, getContents));

  const trayImage = nativeImage.createFromPath(deps.paths.trayIcon);
  if (platform === 'darwin') trayImage.setTemplateImage(true);
  const tray = new Tray(trayImage);
  tray.on('click', () => openWindow());
  disposers.push(() => tray.destroy());
  disposers.push(
    watchTray({
      tray: { setToolTip: (text) => tray.setToolTip(text), setMenu: (template) => tray.setContextMenu(Menu.buildFromTemplate(template)) },
      statusLine: () => service.statusLine(),
      api: service.api,
      actions: { open: openWindow, quit: () => app.quit() },
      timers,
    }),
  );

  // Keeps each kind's latest notice referenced, so its click handler survives garbage collection.
  const shownNotices = new Map<string, InstanceType<typeof Notification>>();
  disposers.push(
    watchNotifications({
      api: service.api,
      timers,
      show: (notice: Notice) => {
        if (!Notification.isSupported()) return;
        const options: NotificationConstructorOptions = { title: notice.title, body: notice.body };
        const n = new Notification(options);
        n.on('click', () => openWindow());
        shownNotices.set(notice.kind, n);
        n.show();
      },
    }),
  );

  openWindow();
  return {
    service,
    window: () => (win === null || win.isDestroyed() ? null : win),
    openWindow,
    quitting: () => quitting,
  };
}

/** The sentence for the start-failure dialog: the core's own sentence, or what to do about a busy port. */
function startFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') {
    return 'The port Inswarm listens on for peers is already in use: is "inswarm start" running on this computer? Stop it, or start the app with --listen 0.0.0.0:0.';
  }
  if (isInswarmError(err)) return err.message;
  return `${(e as Error)?.message ?? String(err)}\n\nIf this keeps happening, run "inswarm start" in a terminal to see more.`;
}
