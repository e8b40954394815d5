// The tray: an icon whose tooltip and first menu line say in one line what this device does
// ("Holding 3.2 GB for 14 people · 2 of yours pending"), refreshed when the core reports a change
// and on a slow timer (expiry and disk space change without an event), never more than once a
// second, and only re-rendered when the line changed.

import type { MenuItemConstructorOptions } from 'electron';
import type { ApiHost } from '../api/api-host.js';

/** Windows cuts tray tooltips at 127 characters (NOTIFYICONDATA.szTip holds 128 WCHARs). */
export const TRAY_TOOLTIP_MAX_CHARS = 127;
/** Transfers emit progress many times a second; the tray line needs no more than one refresh a second. */
export const TRAY_REFRESH_MIN_MS = 1_000;
/** Refresh without events too: replicas expire and the disk fills without telling the tray. */
export const TRAY_REFRESH_INTERVAL_MS = 15_000;

/** The tooltip: the app's name and the status line, cut with an ellipsis to what Windows shows. */
export function trayTooltip(line: string): string {
  const text = `Inswarm: ${line.replace(/\s+/g, ' ').trim()}`;
  return text.length <= TRAY_TOOLTIP_MAX_CHARS ? text : `${text.slice(0, TRAY_TOOLTIP_MAX_CHARS - 1).trimEnd()}…`;
}

/** The tray menu: the status line (not clickable), then open and quit. */
export function trayMenuTemplate(line: string, actions: { open: () => void; quit: () => void }): MenuItemConstructorOptions[] {
  return [
    { label: line, enabled: false },
    { type: 'separator' },
    { label: 'Open Inswarm', click: actions.open },
    { type: 'separator' },
    { label: 'Quit Inswarm', click: actions.quit },
  ];
}

/** The timer functions the watchers use; tests hand in a manual clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export interface TrayView {
  setToolTip(text: string): void;
  /** Rebuilds the context menu from a template. */
  setMenu(template: MenuItemConstructorOptions[]): void;
}

/**
 * Keeps `tray` showing `statusLine()`: now, after core events (at most once per
 * TRAY_REFRESH_MIN_MS) and every TRAY_REFRESH_INTERVAL_MS. Returns a function that stops it.
 */
export function watchTray(deps: { tray: TrayView; statusLine: () => string; api: ApiHost; actions: { open: () => void; quit: () => void }; timers?: Timers }): () => void {
  const { tray, statusLine, api, actions } = deps;
  const timers = deps.timers ?? realTimers;
  let shown: string | null = null;
  let pending: unknown = null;
  let stopped = false;
  const refresh = (): void => {
    pending = null;
    if (stopped) return;
    let line: string;
    try {
      line = statusLine();
    } catch {
      // The ledger closing under us during quit: keep the last line.
      return;
    }
    if (line === shown) return;
    shown = line;
    tray.setToolTip(trayTooltip(line));
    tray.setMenu(trayMenuTemplate(line, actions));
  };
  const soon = (): void => {
    if (pending === null && !stopped) pending = timers.setTimeout(refresh, TRAY_REFRESH_MIN_MS);
  };
  refresh();
  const unsubscribe = api.subscribe(soon);
  const interval = timers.setInterval(refresh, TRAY_REFRESH_INTERVAL_MS);
  return () => {
    stopped = true;
    unsubscribe();
    timers.clearInterval(interval);
    if (pending !== null) timers.clearTimeout(pending);
  };
}
