// The window's preload: exposes `window.inswarm = { call, onEvent }` (the PreloadApi that
// src/renderer/bridge.ts expects) and nothing else — no ipcRenderer, no Node. It runs sandboxed,
// where require() offers only 'electron' (and events/timers/url), so it cannot load the contract
// module: it asks the main process for the contract's method and event names once, synchronously,
// and forwards only those. The main process checks every call again (src/main/electron/ipc.ts).
// This folder compiles to CommonJS (see its package.json): the sandboxed loader takes no ESM.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiEventMessage, ApiReply } from '../../../shared/api.js';
import type { IPC_CALL, IPC_CONTRACT, IPC_EVENT, IpcContract } from '../ipc.js';

// The channel names, typed as the main side's constants so the two cannot drift apart.
const CALL: typeof IPC_CALL = 'inswarm:call';
const EVENT: typeof IPC_EVENT = 'inswarm:event';
const CONTRACT: typeof IPC_CONTRACT = 'inswarm:contract';

/** What the window gets (the shape of PreloadApi in src/renderer/bridge.ts). */
export interface InswarmPreloadApi {
  call(method: string, args: unknown): Promise<ApiReply>;
  onEvent(listener: (message: ApiEventMessage) => void): () => void;
}

type PreloadIpc = Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener' | 'sendSync'>;

/** Builds the window's API over `ipc`, forwarding only the names the main process lists. */
export function createPreloadApi(ipc: PreloadIpc): InswarmPreloadApi {
  const contract = readContract(ipc.sendSync(CONTRACT));
  const methods = new Set(contract.methods);
  const events = new Set(contract.events);
  return {
    call(method, args) {
      if (typeof method !== 'string' || !methods.has(method)) {
        const name = typeof method === 'string' ? `"${method.slice(0, 40)}"` : 'That';
        return Promise.resolve(refusal('E_USAGE', `${name} is not a method this window may call: reload the window.`));
      }
      return (ipc.invoke(CALL, method, args) as Promise<ApiReply>).catch(() => refusal('E_INTERNAL', 'The Inswarm core did not answer: restart Inswarm.'));
    },
    onEvent(listener) {
      if (typeof listener !== 'function') throw new TypeError('onEvent takes a function.');
      const handler = (_event: IpcRendererEvent, message: unknown): void => {
        // Only the contract's events, and only their two fields: never the IPC event object.
        if (typeof message !== 'object' || message === null) return;
        const { event, payload } = message as { event?: unknown; payload?: unknown };
        if (typeof event !== 'string' || !events.has(event)) return;
        listener({ event, payload } as ApiEventMessage);
      };
      ipc.on(EVENT, handler);
      return () => {
        ipc.removeListener(EVENT, handler);
      };
    },
  };
}

/** The main process's answer, checked; an untrusted frame gets null and may call nothing. */
function readContract(raw: unknown): IpcContract {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  if (typeof raw !== 'object' || raw === null) return { methods: [], events: [] };
  const { methods, events } = raw as { methods?: unknown; events?: unknown };
  return { methods: list(methods), events: list(events) };
}

function refusal(code: string, message: string): ApiReply {
  return { ok: false, code, message };
}

contextBridge.exposeInMainWorld('inswarm', createPreloadApi(ipcRenderer));
