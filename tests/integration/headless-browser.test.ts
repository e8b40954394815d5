// The headless bridge as a browser meets it: real Chromium (playwright-core, /usr/bin/chromium)
// opens the printed URL of a real UiServer on 127.0.0.1, whose page runs the real renderer bridge
// (src/renderer/bridge.ts, compiled as is) against it under the bridge's CSP. Then a page on
// another 127.0.0.1 port (same-site: ports do not count, so the session cookie travels with its
// requests) tries to call the API and follow the events, and a rebound DNS name tries to load the
// UI. The ApiHost is tests/helpers/headless-kit.ts's CannedApiHost (the contract's own parsers,
// canned answers), because the core's real dispatcher is the lead's.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UiServer } from '../../src/main/headless/ui-server.js';
import type { ApiEventMessage } from '../../src/shared/api.js';
import { CannedApiHost, makeRendererDir } from '../helpers/headless-kit.js';
import { eventually } from '../helpers/node-proc.js';
import { tempDir } from '../helpers/tmp.js';

/** A DNS name Chromium resolves to 127.0.0.1, as a rebinding attacker's name would. */
const REBOUND_NAME = 'rebound.inswarm.test';

let host: CannedApiHost;
let server: UiServer;
let port: number;
let url: string;
let evil: Server;
let evilPort: number;
let context: BrowserContext;
let page: Page;
const log: string[] = [];
const violations: string[] = [];

beforeAll(async () => {
  const root = await tempDir('inswarm-headless-browser');
  host = new CannedApiHost();
  server = new UiServer(host, { rendererDir: await makeRendererDir(root), log: (line) => log.push(line) });
  ({ url, port } = await server.start());
  // The other origin: a plain page on another loopback port.
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>another local page</title><p>hello</p>');
  });
  evil.listen(0, '127.0.0.1');
  await once(evil, 'listening');
  evilPort = (evil.address() as AddressInfo).port;
  context = await chromium.launchPersistentContext(await tempDir('inswarm-chromium'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP ${REBOUND_NAME} 127.0.0.1`,
    ],
  });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  evil?.close();
});

describe('the printed URL in Chromium', () => {
  it('trades the token for a session cookie, drops it from the address bar, and the page works under the CSP', async () => {
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`http://127.0.0.1:${port}/`);
    expect(response?.request().redirectedFrom()?.url()).toBe(url);

    const cookies = await context.cookies(`http://127.0.0.1:${port}/`);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: `inswarm-session-${port}`, httpOnly: true, sameSite: 'Strict', path: '/', expires: -1 });
    // HttpOnly: the page's own scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // The real bridge called the API with the page's CSRF token and got the host's answers.
    await page.waitForFunction(() => document.getElementById('out')?.dataset['held'] !== undefined || document.getElementById('out')?.dataset['error'] !== undefined);
    const out = await page.evaluate(() => ({ ...document.getElementById('out')!.dataset }));
    expect(out['error']).toBeUndefined();
    expect(JSON.parse(out['held']!)).toMatchObject({ total: 1, offset: 7 });
    await page.waitForFunction(() => document.getElementById('out')?.dataset['refused'] !== undefined);
    expect(await page.evaluate(() => document.getElementById('out')!.dataset['refused'])).toBe('E_USAGE');
    expect(host.calls.map((c) => c.method)).toEqual(['heldPage']);

    // Stylesheet and module from 'self' load; the inline script is blocked.
    expect(await page.evaluate(() => getComputedStyle(document.getElementById('out')!).color)).toBe('rgb(1, 2, 3)');
    expect(await page.evaluate(() => (window as unknown as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
    expect(violations.some((v) => /inline script/i.test(v))).toBe(true);

    // Events pushed by the core reach the page over the WebSocket.
    await eventually(async () => host.subscribers === 1, 20_000, 'the page to follow the events');
    const message: ApiEventMessage = { event: 'delivery:delivered', payload: { blobId: 'c'.repeat(64), source: 'outbox', target: 'home', uploaded: 5 } };
    host.emit(message);
    await page.waitForFunction(() => (document.getElementById('events')?.textContent ?? '').includes('delivery:delivered'));
    // First the bridge's own "stream (re)opened: refetch" signal, then the core's event, as pushed.
    expect(await page.locator('#events li').allTextContents()).toEqual(['bridge:resync null', `${message.event} ${JSON.stringify(message.payload)}`]);
  });

  it('refuses API calls and the event socket from a page on another 127.0.0.1 port, although its cookie travels along', async () => {
    const dispatched = host.dispatched;
    const subscribers = host.subscribers;
    const other = await context.newPage();
    await other.goto(`http://127.0.0.1:${evilPort}/`);
    const target = `http://127.0.0.1:${port}`;
    const results = await other.evaluate(async (base) => {
      const outcome = async (p: Promise<Response>): Promise<string> => {
        try {
          const res = await p;
          return `answered ${res.type} ${res.status}`;
        } catch (err) {
          return `failed ${(err as Error).name}`;
        }
      };
      // A real call: JSON and the CSRF header need a CORS preflight, which is never granted.
      const cors = await outcome(
        fetch(`${base}/api/deliverNow`, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json', 'X-Inswarm-CSRF': 'guessed' }, body: '{}' }),
      );
      // A "simple" request the browser sends without asking: it must be refused on arrival.
      const simple = await outcome(fetch(`${base}/api/deliverNow`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }));
      // Reading the page (and its CSRF token) across origins.
      const read = await outcome(fetch(`${base}/`, { credentials: 'include' }));
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${base.replace('http:', 'ws:')}/api/events`);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      });
      return { cors, simple, read, socket };
    }, target);

    // Even the simple POST's opaque answer is withheld from the page (Cross-Origin-Resource-Policy).
    expect(results).toEqual({ cors: 'failed TypeError', simple: 'failed TypeError', read: 'failed TypeError', socket: 'refused' });
    expect(host.dispatched).toBe(dispatched);
    expect(host.subscribers).toBe(subscribers);
    // The simple POST and the socket carried the session cookie (they got past the 401 check):
    // only the Origin check stopped them.
    expect(log).toContain(`Refused POST /api/deliverNow: 403 foreign Origin http://127.0.0.1:${evilPort}`);
    expect(log).toContain(`Refused event socket /api/events: 403 foreign Origin http://127.0.0.1:${evilPort}`);
    await other.close();
  });

  it('refuses to serve the UI under a rebound DNS name, even with the right token', async () => {
    const token = new URL(url).searchParams.get('token')!;
    const other = await context.newPage();
    const response = await other.goto(`http://${REBOUND_NAME}:${port}/?token=${token}`);
    expect(response?.status()).toBe(421);
    expect(await context.cookies(`http://${REBOUND_NAME}:${port}/`)).toEqual([]);
    expect(await other.content()).not.toContain('inswarm-csrf');
    await other.close();
  });
});
