// A thin fake of the `electron` module: just the APIs the shell, IPC and preload use, recording what
// they were asked to do. Electron's binary cannot run here (no display, no download), so this is
// the one thing faked; the core behind the shell is real in the tests that use it.
// IPC is wired like Electron's: ipcRenderer.invoke/sendSync reach the ipcMain handlers, with an
// event whose sender/senderFrame the test chooses (our window, another window, an iframe…).

import { EventEmitter } from 'node:events';

export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

export class FakeWebContents extends EventEmitter {
  private static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  destroyed = false;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  readonly mainFrame: FakeFrame = { url: 'about:blank', parent: null };
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  /** When set, send() throws it (a window torn down mid-send). */
  sendError: Error | null = null;

  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.sendError !== null) throw this.sendError;
    this.sent.push({ channel, args });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  /** Emits a cancellable Electron event (will-navigate & co.) and says whether it was prevented. */
  fire(name: string, details: Record<string, unknown>): boolean {
    let prevented = false;
    const event = { ...details, preventDefault: () => void (prevented = true) };
    this.emit(name, event);
    return prevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static readonly all: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loaded: string | null = null;
  visible = false;
  focused = 0;
  minimized = false;
  destroyed = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.all.push(this);
  }
  async loadFile(path: string): Promise<void> {
    this.loaded = path;
    this.webContents.mainFrame.url = new URL(`file://${path}`).href;
    this.emit('ready-to-show');
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused++;
  }
  /** What the user closing the window does. */
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;

export class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** ipcRenderer.invoke as seen from `sender`'s `frame`. */
  async invokeFrom(sender: FakeWebContents, frame: FakeFrame | null, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) throw new Error(`No handler registered for '${channel}'`);
    return handler({ sender, senderFrame: frame }, ...args);
  }
  /** ipcRenderer.sendSync as seen from `sender`'s `frame`. */
  sendSyncFrom(sender: FakeWebContents, frame: FakeFrame | null, channel: string, ...args: unknown[]): unknown {
    const event: { sender: FakeWebContents; senderFrame: FakeFrame | null; returnValue: unknown } = { sender, senderFrame: frame, returnValue: undefined };
    this.emit(channel, event, ...args);
    return event.returnValue;
  }
}

export class FakeApp extends EventEmitter {
  gotLock = true;
  quitCalls = 0;
  exitCodes: number[] = [];
  /** Called when app.exit runs, to observe the world at that moment. */
  onExit: (code: number) => void = () => undefined;
  isPackaged = false;
  constructor(private readonly userData: string) {
    super();
  }
  requestSingleInstanceLock(): boolean {
    return this.gotLock;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`getPath(${name}) is not faked`);
    return this.userData;
  }
  /** Like Electron: quit() emits before-quit, and exits only if no listener prevented it. */
  quit(): void {
    this.quitCalls++;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => void (prevented = true) });
    if (!prevented) this.exit(0);
  }
  exit(code = 0): void {
    this.exitCodes.push(code);
    this.onExit(code);
  }
}

export class FakeTray extends EventEmitter {
  static readonly all: FakeTray[] = [];
  tooltip = '';
  menu: { template: { label?: string; type?: string; enabled?: boolean; click?: () => void }[] } | null = null;
  destroyed = false;
  constructor(readonly image: unknown) {
    super();
    FakeTray.all.push(this);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: FakeTray['menu']): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export class FakeNotification extends EventEmitter {
  static readonly shown: FakeNotification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    FakeNotification.shown.push(this);
  }
}

export function createFakeSession() {
  const recorded = {
    permissionRequest: null as null | ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void),
    permissionCheck: null as null | ((...args: unknown[]) => boolean),
    devicePermission: null as null | ((...args: unknown[]) => boolean),
    headersReceived: null as null | ((details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string | string[]> }) => void) => void),
  };
  return {
    recorded,
    setPermissionRequestHandler: (h: typeof recorded.permissionRequest) => void (recorded.permissionRequest = h),
    setPermissionCheckHandler: (h: typeof recorded.permissionCheck) => void (recorded.permissionCheck = h),
    setDevicePermissionHandler: (h: typeof recorded.devicePermission) => void (recorded.devicePermission = h),
    webRequest: { onHeadersReceived: (h: typeof recorded.headersReceived) => void (recorded.headersReceived = h) },
  };
}

/** A fresh fake `electron` module (main-process side) with its recorders. */
export function createFakeElectron(userData = '/nonexistent/userData') {
  const app = new FakeApp(userData);
  const ipcMain = new FakeIpcMain();
  const defaultSession = createFakeSession();
  const opened: string[] = [];
  const errorBoxes: { title: string; content: string }[] = [];
  const images: { path: string; template: boolean }[] = [];
  FakeBrowserWindow.all.length = 0;
  FakeTray.all.length = 0;
  FakeNotification.shown.length = 0;
  FakeNotification.supported = true;
  return {
    app,
    ipcMain,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Notification: FakeNotification,
    Menu: { buildFromTemplate: (template: unknown[]) => ({ template }) },
    nativeImage: {
      createFromPath: (path: string) => {
        const image = { path, template: false, setTemplateImage: (on: boolean) => void (image.template = on) };
        images.push(image);
        return image;
      },
    },
    session: { defaultSession },
    shell: { openExternal: async (url: string) => void opened.push(url) },
    dialog: { showErrorBox: (title: string, content: string) => void errorBoxes.push({ title, content }) },
    // recorders
    opened,
    errorBoxes,
    images,
  };
}

/** The renderer side for the preload: contextBridge and an ipcRenderer routed to a FakeIpcMain. */
export function createFakeRenderer(ipcMain: FakeIpcMain, sender: FakeWebContents, frame: FakeFrame | null) {
  const exposed = new Map<string, unknown>();
  const renderer = new EventEmitter();
  const invoked: { channel: string; args: unknown[] }[] = [];
  return {
    exposed,
    invoked,
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        if (exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
        exposed.set(key, api);
      },
    },
    ipcRenderer: {
      invoke: (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return ipcMain.invokeFrom(sender, frame, channel, ...args);
      },
      sendSync: (channel: string, ...args: unknown[]) => ipcMain.sendSyncFrom(sender, frame, channel, ...args),
      on: (channel: string, listener: (...args: unknown[]) => void) => renderer.on(channel, listener),
      removeListener: (channel: string, listener: (...args: unknown[]) => void) => renderer.removeListener(channel, listener),
      /** What webContents.send does on the renderer side (tests call it). */
      deliver: (channel: string, ...args: unknown[]) => renderer.emit(channel, { sender: 'ipc-renderer-event' }, ...args),
      listenerCount: (channel: string) => renderer.listenerCount(channel),
    },
  };
}
