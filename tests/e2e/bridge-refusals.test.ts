// The headless bridge of a real running node, from a real browser: without the printed token the
// window shows the refusal page and the API answers 401; with it, the window's own page can change
// a cap (the control: the same call does work when it is allowed), but not without its CSRF
// token; and a page served by another 127.0.0.1 server — same-site, so the session cookie travels
// with its requests — can neither call the API (fetch, form post) nor follow its events
// (WebSocket). Every refusal is checked where it matters: the core's caps did not change.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openApp, uiOrigin, uiUrlOf, type UiBrowser } from '../helpers/browser.js';
import { startNode, type NodeProc } from '../helpers/node-proc.js';
import { inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const NO_SESSION = 'Open the address Inswarm printed when it started';
/** Retention values the test sets: the allowed call sets ALLOWED; every attack tries ATTACK. */
const ALLOWED_MS = 3 * 3600_000;
const ATTACK_MS = 60_000;

let data: string;
let node: NodeProc;
let url: string;
let origin: string;
let evil: Server;
let evilOrigin: string;

const retention = async (): Promise<number> => (JSON.parse(await inswarmOk(['caps', 'show', '--json'], data)) as { retentionMs: number }).retentionMs;

beforeAll(async () => {
  data = join(await tempDir('inswarm-e2e-bridge'), 'node');
  node = startNode(data, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'laptop']);
  await node.waitFor('Open the app:');
  url = uiUrlOf(node.output());
  origin = uiOrigin(url);
  // Another local web server: any page the person opens could be served like this.
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>some other local page</title><p>hello</p>');
  });
  evil.listen(0, '127.0.0.1');
  await once(evil, 'listening');
  evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
});

afterAll(async () => {
  evil?.close();
  await node?.stop();
});

describe('the headless bridge refuses', () => {
  let browser: UiBrowser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });

  it('a browser without the token: the refusal page, and 401 for the API', async () => {
    const page = await browser.newPage();
    const bare = await page.goto(`${origin}/`);
    expect(bare?.status()).toBe(401);
    expect(await page.locator('body').textContent()).toContain(NO_SESSION);
    expect(await page.getByTestId('nav-overview').count()).toBe(0);

    const wrong = await page.goto(`${origin}/?token=${'A'.repeat(43)}`);
    expect(wrong?.status()).toBe(401);
    expect(await page.locator('body').textContent()).toContain(NO_SESSION);
    expect(await browser.context.cookies(origin)).toEqual([]);

    // Even from the bridge's own origin, an API call without the session cookie is refused.
    const answer = await page.evaluate(async () => {
      const res = await fetch('/api/setCaps', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ retentionMs: 60_000 }) });
      return { status: res.status, body: (await res.json()) as { ok: boolean; code: string } };
    });
    expect(answer).toEqual({ status: 401, body: expect.objectContaining({ ok: false, code: 'E_UNAUTHORIZED' }) });
    expect(await retention()).not.toBe(ATTACK_MS);
    await page.close();
    // The 401 answers are the refusals under test, not page errors.
    browser.errors.length = 0;
  });

  it('its own page without the CSRF token, while the same call with it works', async () => {
    const page = await openApp(browser, url);
    const call = (withCsrf: boolean, retentionMs: number) =>
      page.evaluate(
        async ({ withCsrf, retentionMs }) => {
          const csrf = document.querySelector('meta[name="inswarm-csrf"]')!.getAttribute('content')!;
          const headers: Record<string, string> = { 'Content-Type': 'application/json' };
          if (withCsrf) headers['X-Inswarm-CSRF'] = csrf;
          const res = await fetch('/api/setCaps', { method: 'POST', headers, body: JSON.stringify({ retentionMs }) });
          return { status: res.status, body: (await res.json()) as { ok: boolean; code?: string } };
        },
        { withCsrf, retentionMs },
      );
    const refused = await call(false, ATTACK_MS);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ ok: false, code: 'E_FORBIDDEN' });
    expect(await retention()).not.toBe(ATTACK_MS);

    const allowed = await call(true, ALLOWED_MS);
    expect(allowed).toMatchObject({ status: 200, body: { ok: true } });
    expect(await retention()).toBe(ALLOWED_MS);
    browser.errors.length = 0; // the 403 above is the refusal under test
  });

  it('a page on another 127.0.0.1 port: fetch, form post and WebSocket, although the cookie travels along', async () => {
    // The browser holds the session cookie from the previous test: same-site pages send it.
    expect((await browser.context.cookies(origin)).length).toBe(1);
    const other = await browser.newPage();
    await other.goto(`${evilOrigin}/`);
    const outcome = await other.evaluate(
      async ({ target, attackMs }) => {
        const body = JSON.stringify({ retentionMs: attackMs });
        const tryFetch = async (init: RequestInit): Promise<string> => {
          try {
            const res = await fetch(`${target}/api/setCaps`, { method: 'POST', credentials: 'include', body, ...init });
            return `answered ${res.type} ${res.status}`;
          } catch (err) {
            return `failed: ${(err as Error).name}`;
          }
        };
        const socket = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`${target.replace('http', 'ws')}/api/events`);
          ws.onopen = () => resolve('opened');
          ws.onerror = () => resolve('error');
          ws.onclose = () => resolve('closed');
          setTimeout(() => resolve('timeout'), 10_000);
        });
        return {
          json: await tryFetch({ headers: { 'Content-Type': 'application/json' } }),
          simple: await tryFetch({ mode: 'no-cors', headers: { 'Content-Type': 'text/plain' } }),
          socket,
        };
      },
      { target: origin, attackMs: ATTACK_MS },
    );
    // JSON needs a CORS preflight, which is never granted; a "simple" request is sent but refused,
    // and its answer is withheld from the page (Cross-Origin-Resource-Policy makes it a network
    // error; an opaque answer would do as well). Either way the core did nothing: checked below.
    expect(outcome.json).toBe('failed: TypeError');
    expect(['failed: TypeError', 'answered opaque 0']).toContain(outcome.simple);
    expect(['error', 'closed']).toContain(outcome.socket);

    // A top-level form post is a navigation: its answer is visible, and it is the refusal.
    await other.setContent(`<form method="post" action="${origin}/api/setCaps" enctype="text/plain"><input name='{"retentionMs":${ATTACK_MS},"x":"' value='"}'></form>`);
    const [response] = await Promise.all([other.waitForNavigation(), other.locator('form').evaluate((f: HTMLFormElement) => f.submit())]);
    expect(response?.status()).toBe(403);
    expect(JSON.parse((await other.locator('body').textContent()) ?? '')).toMatchObject({ ok: false, code: 'E_FORBIDDEN' });

    expect(await retention()).toBe(ALLOWED_MS);
    await other.close();
    // Chromium logs the refused fetch, socket and form answer as console errors on the attacker's page.
    browser.assertNoErrors([new RegExp(`on ${evilOrigin}/`), new RegExp(`on ${origin}/api/setCaps`), /CORS policy/, /WebSocket connection/]);
    await browser.close();
  });
});
