// The main side of the IPC transport: only our window's top frame on our own page reaches the
// dispatcher, only with contract methods and plain JSON arguments; events go to our window only.

import { describe, expect, it } from 'vitest';
import { API_EVENTS, API_MAX_ARGS_BYTES, API_METHOD_NAMES } from '../../../src/shared/api.js';
import { createIpcHandlers, forwardEvents, IPC_CALL, IPC_CONTRACT, IPC_EVENT, isAppPage, registerIpc, trustedSender } from '../../../src/main/electron/ipc.js';
import { FakeIpcMain, FakeWebContents, type FakeFrame } from './fake-electron.js';
import { recordingHost } from './recording-host.js';

const APP_URL = 'file:///opt/inswarm/dist/renderer/index.html';

function setup() {
  const contents = new FakeWebContents();
  contents.mainFrame.url = APP_URL;
  let current: FakeWebContents | null = contents;
  const host = recordingHost();
  const check = trustedSender(() => current as never, APP_URL);
  const handlers = createIpcHandlers({ api: host, isTrustedSender: check });
  const event = (sender: FakeWebContents, frame: FakeFrame | null) => ({ sender, senderFrame: frame }) as never;
  return { contents, host, check, handlers, event, closeWindow: () => (current = null) };
}

describe('isAppPage', () => {
  it('matches our file with or without a hash, and nothing else', () => {
    expect(isAppPage(APP_URL, APP_URL)).toBe(true);
    expect(isAppPage(`${APP_URL}#/held`, APP_URL)).toBe(true);
    for (const url of [
      `${APP_URL}?x=1`,
      'file:///opt/inswarm/dist/renderer/other.html',
      'file:///etc/passwd',
      'file://evil.example/opt/inswarm/dist/renderer/index.html',
      'https://opt/inswarm/dist/renderer/index.html',
      'http://127.0.0.1:8080/',
      'about:blank',
      'data:text/html,<p>hi',
      'not a url',
      '',
    ]) {
      expect(isAppPage(url, APP_URL), url).toBe(false);
    }
  });
});

describe('trustedSender', () => {
  it("trusts our window's top frame on our page", () => {
    const { contents, check, event } = setup();
    expect(check(event(contents, contents.mainFrame))).toBe(true);
    contents.mainFrame.url = `${APP_URL}#/settings`;
    expect(check(event(contents, contents.mainFrame))).toBe(true);
  });

  it('refuses another webContents, an iframe, a frame that navigated or is gone, and a closed window', () => {
    const { contents, check, event, closeWindow } = setup();
    const other = new FakeWebContents();
    other.mainFrame.url = APP_URL;
    expect(check(event(other, other.mainFrame))).toBe(false);
    expect(check(event(contents, { url: APP_URL, parent: contents.mainFrame }))).toBe(false);
    expect(check(event(contents, null))).toBe(false);
    expect(check(event(contents, { url: 'https://evil.example/', parent: null }))).toBe(false);
    contents.destroyed = true;
    expect(check(event(contents, contents.mainFrame))).toBe(false);
    contents.destroyed = false;
    closeWindow();
    expect(check(event(contents, contents.mainFrame))).toBe(false);
  });
});

describe('the call handler', () => {
  it('refuses an untrusted sender with E_USAGE and never dispatches', async () => {
    const { handlers, host, event } = setup();
    const stranger = new FakeWebContents();
    stranger.mainFrame.url = 'https://evil.example/';
    for (const method of API_METHOD_NAMES) {
      const reply = await handlers.call(event(stranger, stranger.mainFrame), method, {});
      expect(reply).toMatchObject({ ok: false, code: 'E_USAGE' });
    }
    expect(host.calls).toEqual([]);
  });

  it('refuses unknown and non-string methods without dispatching', async () => {
    const { handlers, host, event, contents } = setup();
    for (const method of ['nope', '__proto__', 'constructor', 'dispatch', '', 7, null, undefined, ['overview']]) {
      const reply = await handlers.call(event(contents, contents.mainFrame), method, {});
      expect(reply).toMatchObject({ ok: false, code: 'E_USAGE' });
    }
    expect(host.calls).toEqual([]);
  });

  it('refuses arguments that are not plain JSON or are too large', async () => {
    const { handlers, host, event, contents } = setup();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const args of [cyclic, { n: 10n }, { s: 'x'.repeat(API_MAX_ARGS_BYTES) }]) {
      const reply = await handlers.call(event(contents, contents.mainFrame), 'heldPage', args);
      expect(reply).toMatchObject({ ok: false, code: 'E_USAGE' });
    }
    expect(host.calls).toEqual([]);
  });

  it('dispatches contract methods from our window with the arguments as JSON values', async () => {
    const { handlers, host, event, contents } = setup();
    const at = new Date(0);
    const reply = await handlers.call(event(contents, contents.mainFrame), 'activity', { afterId: 3, when: at, gone: undefined, fn: () => 1 });
    expect(reply).toEqual({ ok: true, result: { answered: 'activity' } });
    expect(host.calls).toEqual([{ method: 'activity', args: { afterId: 3, when: at.toJSON() } }]);
    await handlers.call(event(contents, contents.mainFrame), 'overview', undefined);
    expect(host.calls[1]).toEqual({ method: 'overview', args: null });
  });

  it('hands the contract lists to our window and null to anyone else', () => {
    const { handlers, event, contents } = setup();
    expect(handlers.contract(event(contents, contents.mainFrame))).toEqual({ methods: API_METHOD_NAMES, events: [...API_EVENTS] });
    expect(handlers.contract(event(contents, { url: APP_URL, parent: contents.mainFrame }))).toBeNull();
  });
});

describe('registerIpc', () => {
  it('installs the call and contract channels on ipcMain and removes them again', async () => {
    const { handlers, contents } = setup();
    const ipcMain = new FakeIpcMain();
    const dispose = registerIpc(ipcMain as never, handlers);
    expect(await ipcMain.invokeFrom(contents, contents.mainFrame, IPC_CALL, 'peers', {})).toEqual({ ok: true, result: { answered: 'peers' } });
    expect(ipcMain.sendSyncFrom(contents, contents.mainFrame, IPC_CONTRACT)).toMatchObject({ methods: API_METHOD_NAMES });
    dispose();
    await expect(ipcMain.invokeFrom(contents, contents.mainFrame, IPC_CALL, 'peers', {})).rejects.toThrow(/No handler/);
    expect(ipcMain.sendSyncFrom(contents, contents.mainFrame, IPC_CONTRACT)).toBeUndefined();
  });
});

describe('forwardEvents', () => {
  it("sends the contract's events to our window only, and stops on unsubscribe", () => {
    const { contents, host } = setup();
    const bystander = new FakeWebContents();
    let target: FakeWebContents | null = contents;
    const stop = forwardEvents(host, () => target as never);
    host.push({ event: 'peer:up', payload: { deviceId: 'A' } });
    host.push({ event: 'peer:refused' as never, payload: {} });
    expect(contents.sent).toEqual([{ channel: IPC_EVENT, args: [{ event: 'peer:up', payload: { deviceId: 'A' } }] }]);
    expect(bystander.sent).toEqual([]);
    // No window (closed): nothing is sent, nothing throws.
    target = null;
    host.push({ event: 'peer:down', payload: {} });
    // A window torn down mid-send does not throw into the core's event bus.
    target = contents;
    contents.sendError = new Error('Object has been destroyed');
    expect(() => host.push({ event: 'peer:down', payload: {} })).not.toThrow();
    contents.sendError = null;
    stop();
    host.push({ event: 'peer:up', payload: {} });
    expect(contents.sent).toHaveLength(1);
    expect(host.listeners).toBe(0);
  });
});
