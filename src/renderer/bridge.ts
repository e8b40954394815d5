// The window's only way to the core: the typed contract of src/shared/api.ts over whichever
// transport this window has. In Electron the preload exposes `window.inswarm` (IPC); in a browser
// (headless mode) calls go to POST /api/<method> on the page's own origin with the CSRF token the
// page was served with, and events arrive over the WebSocket /api/events.

import type { ApiArgs, ApiEventMessage, ApiMethod, ApiReply, ApiResult } from '../shared/api.js';

/** What the Electron preload exposes (src/main/electron/preload.ts). */
export interface PreloadApi {
  call(method: string, args: unknown): Promise<ApiReply>;
  onEvent(listener: (message: ApiEventMessage) => void): () => void;
}

declare global {
  interface Window {
    inswarm?: PreloadApi;
  }
}

/** A refused or failed call: the core's error code and its sentence for the user. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Bridge {
  call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>>;
  /** Every core event, live; returns an unsubscribe function. */
  subscribe(listener: (message: ApiEventMessage) => void): () => void;
}

/**
 * Not a core event: the bridge's own signal that its event stream (re)opened. Events sent while
 * it was closed or still opening are lost, so every view refetches on it.
 */
export const RESYNC_EVENT = 'bridge:resync';

/** The name of the meta tag the headless bridge puts the CSRF token in. */
export const CSRF_META = 'inswarm-csrf';
/** The header the headless bridge expects the CSRF token in. */
export const CSRF_HEADER = 'X-Inswarm-CSRF';
/** Reconnect delay of the event socket after it drops (the core restarting, a laptop sleeping). */
const EVENTS_RETRY_MS = 2_000;

export function connectBridge(): Bridge {
  return window.inswarm !== undefined ? ipcBridge(window.inswarm) : webBridge();
}

function unwrap<M extends ApiMethod>(reply: ApiReply): ApiResult<M> {
  if (reply.ok) return reply.result as ApiResult<M>;
  throw new ApiError(reply.code, reply.message);
}

function ipcBridge(api: PreloadApi): Bridge {
  return {
    call: async (method, args) => unwrap(await api.call(method, args)),
    subscribe: (listener) => api.onEvent(listener),
  };
}

function webBridge(): Bridge {
  const csrf = document.querySelector<HTMLMetaElement>(`meta[name="${CSRF_META}"]`)?.content ?? '';
  const listeners = new Set<(message: ApiEventMessage) => void>();
  let socket: WebSocket | null = null;
  const open = (): void => {
    const url = new URL('/api/events', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url);
    socket.onopen = () => {
      for (const l of listeners) l({ event: RESYNC_EVENT as ApiEventMessage['event'], payload: null });
    };
    socket.onmessage = (e) => {
      let message: ApiEventMessage;
      try {
        message = JSON.parse(String(e.data)) as ApiEventMessage;
      } catch {
        return;
      }
      for (const l of listeners) l(message);
    };
    socket.onclose = () => {
      socket = null;
      if (listeners.size > 0) setTimeout(() => listeners.size > 0 && socket === null && open(), EVENTS_RETRY_MS);
    };
  };
  return {
    call: async (method, args) => {
      const res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [CSRF_HEADER]: csrf },
        body: JSON.stringify(args ?? {}),
        credentials: 'same-origin',
      });
      let reply: ApiReply;
      try {
        reply = (await res.json()) as ApiReply;
      } catch {
        throw new ApiError('E_IO', `The core answered ${res.status} without a readable reply: reload the page.`);
      }
      return unwrap(reply);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      if (socket === null) open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) socket?.close();
      };
    },
  };
}
