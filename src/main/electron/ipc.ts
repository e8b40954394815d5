// The Electron transport of the UI contract (src/shared/api.ts): one invoke channel for calls,
// one push channel for events, one synchronous channel that hands the sandboxed preload the
// contract's lists (it cannot load our modules). Generated from API_METHOD_NAMES and API_EVENTS;
// every call goes to ApiHost.dispatch, which parses the arguments. Only our own window's main
// frame, showing our own file, may talk here: a frame that navigated elsewhere, a subframe or
// another webContents gets a refusal and reaches nothing.

import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import { API_EVENTS, API_MAX_ARGS_BYTES, API_METHOD_NAMES, isApiMethod, type ApiEventMessage, type ApiReply } from '../../shared/api.js';
import type { ApiHost } from '../api/api-host.js';

/** renderer → main, invoke(method, args) → ApiReply. */
export const IPC_CALL = 'inswarm:call';
/** main → renderer, one ApiEventMessage per core event. */
export const IPC_EVENT = 'inswarm:event';
/** renderer → main, sendSync() → IpcContract | null: the names the preload may forward. */
export const IPC_CONTRACT = 'inswarm:contract';

/** What the preload is told it may forward. */
export interface IpcContract {
  readonly methods: readonly string[];
  readonly events: readonly string[];
}

/** Whether an IPC message comes from our window's main frame showing our page. */
export type SenderCheck = (event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>) => boolean;

/** The sentence an untrusted sender gets (it is never the UI, so this is for a developer). */
export const UNTRUSTED_SENDER_MESSAGE = 'This frame is not the Inswarm window, so it may not call the core.';

/**
 * Same document as the app page: file: URL with the same path (the hash is the UI's own routing;
 * a query string is not something the app makes, so it does not match).
 */
export function isAppPage(url: string, appUrl: string): boolean {
  let u: URL;
  let app: URL;
  try {
    u = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  return u.protocol === app.protocol && u.host === app.host && u.pathname === app.pathname && u.search === '' && u.username === '' && u.password === '';
}

/**
 * The sender check for one window: the message must come from that window's webContents, from its
 * top frame (not an iframe), and that frame must show our page. `getContents` returns null while
 * there is no window.
 */
export function trustedSender(getContents: () => WebContents | null, appUrl: string): SenderCheck {
  return (event) => {
    const contents = getContents();
    if (contents === null || contents.isDestroyed() || event.sender !== contents) return false;
    const frame = event.senderFrame;
    // A null frame has navigated away or gone; a frame with a parent is an iframe.
    if (frame === null || frame.parent !== null) return false;
    return isAppPage(frame.url, appUrl);
  };
}

export interface IpcHandlers {
  /** The IPC_CALL handler: refuses untrusted senders and non-contract methods before dispatch. */
  call(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, method: unknown, args: unknown): Promise<ApiReply>;
  /** The IPC_CONTRACT handler's answer: the lists, or null for an untrusted sender. */
  contract(event: Pick<IpcMainEvent, 'sender' | 'senderFrame'>): IpcContract | null;
}

/** The IPC handlers for `api`, with every message checked by `isTrustedSender`. */
export function createIpcHandlers(deps: { api: ApiHost; isTrustedSender: SenderCheck }): IpcHandlers {
  const { api, isTrustedSender } = deps;
  return {
    async call(event, method, args) {
      if (!isTrustedSender(event)) return refuse(UNTRUSTED_SENDER_MESSAGE);
      if (!isApiMethod(method)) return refuse(`"${String(method).slice(0, 40)}" is not a method of this version's API: reload the window.`);
      // The same JSON values the HTTP transport carries: structured clone would also let Dates,
      // Maps, typed arrays and huge payloads through to the parsers.
      let json: string | undefined;
      try {
        json = JSON.stringify(args ?? null);
      } catch {
        return refuse('The arguments must be plain JSON values.');
      }
      if (json === undefined || Buffer.byteLength(json) > API_MAX_ARGS_BYTES) return refuse(`The arguments must be plain JSON of at most ${API_MAX_ARGS_BYTES} bytes.`);
      return api.dispatch(method, JSON.parse(json));
    },
    contract(event) {
      if (!isTrustedSender(event)) return null;
      return { methods: [...API_METHOD_NAMES], events: [...API_EVENTS] };
    },
  };
}

function refuse(message: string): ApiReply {
  return { ok: false, code: 'E_USAGE', message };
}

/** Installs the handlers on ipcMain; returns a function that removes them. */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>, handlers: IpcHandlers): () => void {
  const onContract = (event: IpcMainEvent): void => {
    event.returnValue = handlers.contract(event);
  };
  ipcMain.handle(IPC_CALL, (event, method: unknown, args: unknown) => handlers.call(event, method, args));
  ipcMain.on(IPC_CONTRACT, onContract);
  return () => {
    ipcMain.removeHandler(IPC_CALL);
    ipcMain.removeListener(IPC_CONTRACT, onContract);
  };
}

/**
 * Pushes the core's events to our window only (never broadcast to every webContents), and only the
 * contract's events. Returns the unsubscribe function.
 */
export function forwardEvents(api: ApiHost, getContents: () => WebContents | null): () => void {
  const allowed = new Set<string>(API_EVENTS);
  return api.subscribe((message: ApiEventMessage) => {
    if (!allowed.has(message.event)) return;
    const contents = getContents();
    if (contents === null || contents.isDestroyed()) return;
    try {
      contents.send(IPC_EVENT, { event: message.event, payload: message.payload });
    } catch {
      // A window closing between the check and the send: the event is simply not shown. Throwing
      // here would surface as an uncaught error in the main process.
    }
  });
}
