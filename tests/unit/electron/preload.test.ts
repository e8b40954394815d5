// The preload exposes exactly { call, onEvent }, forwards exactly the contract's methods and events
// (learned from the main process, which answers only our window), and nothing else. Run twice:
// the TypeScript source under a vi.mock'd `electron`, and the compiled file as Electron's sandboxed
// loader runs it (a function of require/process/exports/module whose require knows only 'electron').

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { API_EVENTS, API_METHOD_NAMES } from '../../../src/shared/api.js';
import { createIpcHandlers, IPC_CALL, IPC_EVENT, registerIpc, trustedSender } from '../../../src/main/electron/ipc.js';
import { createFakeRenderer, FakeIpcMain, FakeWebContents, type FakeFrame } from './fake-electron.js';
import { recordingHost } from './recording-host.js';

const APP_URL = 'file:///opt/inswarm/dist/renderer/index.html';
const h = vi.hoisted(() => ({ renderer: null as null | { contextBridge: unknown; ipcRenderer: unknown } }));
vi.mock('electron', () => ({
  get contextBridge() {
    return h.renderer!.contextBridge;
  },
  get ipcRenderer() {
    return h.renderer!.ipcRenderer;
  },
}));

interface Exposed {
  call(method: unknown, args: unknown): Promise<{ ok: boolean; code?: string; message?: string; result?: unknown }>;
  onEvent(listener: (message: unknown) => void): () => void;
}

/** Main side with the real handlers, our window's contents and its top frame on our page. */
function mainSide(frameUrl = APP_URL) {
  const ipcMain = new FakeIpcMain();
  const contents = new FakeWebContents();
  contents.mainFrame.url = frameUrl;
  const host = recordingHost();
  registerIpc(ipcMain as never, createIpcHandlers({ api: host, isTrustedSender: trustedSender(() => contents as never, APP_URL) }));
  return { ipcMain, contents, host };
}

async function loadSource(frame: (contents: FakeWebContents) => FakeFrame | null = (c) => c.mainFrame) {
  const main = mainSide();
  const renderer = createFakeRenderer(main.ipcMain, main.contents, frame(main.contents));
  h.renderer = renderer;
  vi.resetModules();
  await import('../../../src/main/electron/preload/preload.js');
  return { ...main, renderer };
}

/** Runs dist/main/electron/preload/preload.js the way Electron's sandboxed loader does. */
function loadCompiled() {
  const main = mainSide();
  const renderer = createFakeRenderer(main.ipcMain, main.contents, main.contents.mainFrame);
  const asked: string[] = [];
  const sandboxRequire = (id: string) => {
    asked.push(id);
    if (id === 'electron') return { contextBridge: renderer.contextBridge, ipcRenderer: renderer.ipcRenderer };
    throw new Error(`module not found: ${id}`);
  };
  const source = readFileSync(join(import.meta.dirname, '../../../dist/main/electron/preload/preload.js'), 'utf8');
  const exports = {};
  const fn = runInNewContext(`(function (require, process, exports, module) {${source}\n})`, { Promise, Set, TypeError });
  fn(sandboxRequire, { platform: 'linux' }, exports, { exports });
  return { ...main, renderer, asked };
}

const variants = [
  ['TypeScript source (vi.mock)', () => loadSource()],
  ['compiled file in a sandbox-like loader', async () => loadCompiled()],
] as const;

describe.each(variants)('preload: %s', (_name, load) => {
  let ctx: Awaited<ReturnType<typeof loadSource>>;
  let api: Exposed;
  beforeEach(async () => {
    ctx = await load();
    api = ctx.renderer.exposed.get('inswarm') as Exposed;
  });

  it('exposes window.inswarm with call and onEvent only', () => {
    expect([...ctx.renderer.exposed.keys()]).toEqual(['inswarm']);
    expect(Object.keys(api).sort()).toEqual(['call', 'onEvent']);
  });

  it("forwards every contract method to the main process and the main process's answer back", async () => {
    for (const method of API_METHOD_NAMES) {
      const reply = await api.call(method, { x: 1 });
      expect(reply).toEqual({ ok: true, result: { answered: method } });
    }
    expect(ctx.host.calls.map((c) => c.method)).toEqual(API_METHOD_NAMES);
    expect(ctx.renderer.invoked.every((i) => i.channel === IPC_CALL)).toBe(true);
  });

  it('refuses names outside the contract without sending anything', async () => {
    for (const name of ['evil', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42, null, { toString: () => 'overview' }]) {
      const reply = await api.call(name, {});
      expect(reply.ok).toBe(false);
      expect(reply.code).toBe('E_USAGE');
    }
    expect(ctx.renderer.invoked).toEqual([]);
    expect(ctx.host.calls).toEqual([]);
  });

  it("delivers the contract's events with only their event and payload, and nothing else", () => {
    const got: unknown[] = [];
    const stop = api.onEvent((m) => got.push(m));
    for (const event of API_EVENTS) ctx.renderer.ipcRenderer.deliver(IPC_EVENT, { event, payload: { n: 1 }, sender: 'leak' });
    ctx.renderer.ipcRenderer.deliver(IPC_EVENT, { event: 'peer:refused', payload: {} }); // a core event outside the contract
    ctx.renderer.ipcRenderer.deliver(IPC_EVENT, { event: 'toString', payload: {} });
    ctx.renderer.ipcRenderer.deliver(IPC_EVENT, 'peer:up');
    ctx.renderer.ipcRenderer.deliver(IPC_EVENT, null);
    ctx.renderer.ipcRenderer.deliver('some-other-channel', { event: 'peer:up', payload: {} });
    expect(got).toEqual(API_EVENTS.map((event) => ({ event, payload: { n: 1 } })));
    stop();
    ctx.renderer.ipcRenderer.deliver(IPC_EVENT, { event: 'peer:up', payload: {} });
    expect(got).toHaveLength(API_EVENTS.length);
    expect(ctx.renderer.ipcRenderer.listenerCount(IPC_EVENT)).toBe(0);
  });
});

describe('preload in a frame the main process does not trust', () => {
  it('gets no contract, so it forwards no call at all', async () => {
    const frame = { url: 'file:///opt/inswarm/dist/renderer/index.html', parent: { url: APP_URL, parent: null } }; // an iframe
    const ctx = await loadSource(() => frame);
    const api = ctx.renderer.exposed.get('inswarm') as Exposed;
    for (const method of API_METHOD_NAMES) expect((await api.call(method, {})).ok).toBe(false);
    expect(ctx.renderer.invoked).toEqual([]);
    const got: unknown[] = [];
    api.onEvent((m) => got.push(m));
    ctx.renderer.ipcRenderer.deliver(IPC_EVENT, { event: 'peer:up', payload: {} });
    expect(got).toEqual([]);
  });
});

describe('compiled preload', () => {
  it("asks the sandbox's require for 'electron' only (no module of ours, which the sandbox cannot load)", () => {
    const { asked } = loadCompiled();
    expect(asked).toEqual(['electron']);
  });
});
