// What keeps the window a closed box: the page comes from our own file only, runs sandboxed and
// isolated without Node, under a strict CSP, and can neither navigate, open windows, attach
// webviews nor get any permission. Each function takes the Electron object it hardens, so the
// rules are testable without Electron.

import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { isAppPage } from './ipc.js';

/**
 * The window's Content-Security-Policy: own scripts and styles only (no inline, no eval), images
 * from the app and data: URLs (thumbnails and QR codes arrive as data: URLs), no network at all
 * (the core is reached over IPC), never framed, no <base>, no forms, no plugins.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The smallest window the views are laid out for (they stay readable down to this). */
export const WINDOW_MIN = { width: 480, height: 400 } as const;
/** The first window's size. */
export const WINDOW_DEFAULT = { width: 1100, height: 760 } as const;

/** The window's options: sandboxed, isolated, no Node, web security on, our preload only. */
export function windowOptions(paths: { preload: string; icon?: string }): BrowserWindowConstructorOptions {
  return {
    width: WINDOW_DEFAULT.width,
    height: WINDOW_DEFAULT.height,
    minWidth: WINDOW_MIN.width,
    minHeight: WINDOW_MIN.height,
    title: 'Inswarm',
    // Shown once the first paint is ready, so the window never flashes white.
    show: false,
    ...(paths.icon === undefined ? {} : { icon: paths.icon }),
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/**
 * Blocks every way out of our page in `contents`: navigation (links, location changes, redirects,
 * a dropped file) unless it reloads our own page, window.open and target=_blank, and webviews.
 * `openExternal` gets http(s) links the user clicked, so they open in the browser instead.
 */
export function hardenContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, appUrl: string, openExternal?: (url: string) => void): void {
  const external = (url: string): void => {
    if (openExternal !== undefined && /^https?:\/\//i.test(url)) openExternal(url);
  };
  contents.on('will-navigate', (event) => {
    if (isAppPage(event.url, appUrl)) return;
    event.preventDefault();
    external(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame && isAppPage(event.url, appUrl)) return;
    event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (isAppPage(event.url, appUrl)) return;
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler((details) => {
    external(details.url);
    return { action: 'deny' };
  });
}

/**
 * Denies every permission request and check (camera, notifications, clipboard…: the page needs
 * none; native notifications come from the main process) and puts the CSP on every response.
 */
export function hardenSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'webRequest'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string | string[]> = { ...(details.responseHeaders ?? {}) };
    // Replace whatever policy a response carries (any casing) with ours.
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-security-policy') delete headers[name];
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
}
