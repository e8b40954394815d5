// The headless bridge (src/main/headless/ui-server.ts) on a real socket on 127.0.0.1, driven with
// raw HTTP (node:net: exactly the bytes each test writes) and the `ws` client. Its ApiHost is
// tests/helpers/headless-kit.ts's CannedApiHost: a real implementation of the interface that runs
// the contract's own argument parsers and answers canned results, because the core's real
// dispatcher is the lead's (src/main/api/dispatch.ts). Each refusal is checked for its status,
// its code, and for the call never reaching the host; each success for the host's own answer.

import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contentSecurityPolicy } from '../../src/main/headless/auth.js';
import { UI_MAX_BODY_BYTES } from '../../src/main/headless/headless-limits.js';
import { UiServer } from '../../src/main/headless/ui-server.js';
import type { ApiEventMessage } from '../../src/shared/api.js';
import { APP_JS, CannedApiHost, OUTSIDE_SECRET, RawHttp, STYLE_CSS, makeRendererDir, rawRequest, type RawResponse } from '../helpers/headless-kit.js';
import { eventually } from '../helpers/node-proc.js';
import { tempDir } from '../helpers/tmp.js';

let root: string;
let rendererDir: string;
let host: CannedApiHost;
let server: UiServer;
let port: number;
let url: string;
let token: string;
let cookie: string; // "name=value", as a browser sends it
let csrf: string;
const log: string[] = [];

beforeAll(async () => {
  root = await tempDir('inswarm-headless');
  rendererDir = await makeRendererDir(root);
  host = new CannedApiHost();
  server = new UiServer(host, { rendererDir, log: (line) => log.push(line) });
  ({ url, port } = await server.start());
  token = new URL(url).searchParams.get('token')!;
  const login = await rawRequest(port, { path: `/?token=${token}` });
  cookie = login.headers['set-cookie']!.split(';')[0]!;
  const page = await rawRequest(port, { path: '/', headers: { Cookie: cookie } });
  csrf = /<meta name="inswarm-csrf" content="([^"]+)">/.exec(page.body)![1]!;
});

afterAll(async () => {
  await server?.stop();
});

/** The headers a same-origin fetch from the page sends. */
function apiHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { Cookie: cookie, Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'application/json', 'X-Inswarm-CSRF': csrf, ...extra };
}

function call(method: string, body: string, headers: Record<string, string> = apiHeaders()): Promise<RawResponse> {
  return rawRequest(port, { method: 'POST', path: `/api/${method}`, headers, body });
}

function json(res: RawResponse): { ok: boolean; code?: string; message?: string; result?: unknown } {
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  return JSON.parse(res.body) as { ok: boolean; code?: string; message?: string; result?: unknown };
}

describe('start', () => {
  it('prints a 127.0.0.1 address with a 256-bit token and listens only there', async () => {
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{43}$`));
    // Another process can still bind the same port on another loopback address: ours is 127.0.0.1 only.
    const other = createServer();
    other.listen(port, '127.0.0.2');
    await once(other, 'listening');
    other.close();
  });

  it('refuses to start without a built renderer, and on a taken port', async () => {
    await expect(new UiServer(host, { rendererDir: join(root, 'nowhere') }).start()).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(new UiServer(host, { rendererDir, port }).start()).rejects.toMatchObject({ code: 'E_IO' });
    expect(() => new UiServer(host, { rendererDir, token: 'short' })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });


  it('keeps cookie and CSRF token across a restart with the same token, and only then', async () => {
    const fixed = 'kept-token_0123456789abcdefghijklmnop';
    const first = new UiServer(host, { rendererDir, token: fixed });
    const { port: p } = await first.start();
    const c = (await rawRequest(p, { path: `/?token=${fixed}` })).headers['set-cookie']!.split(';')[0]!;
    const page = await rawRequest(p, { path: '/', headers: { Cookie: c } });
    const meta = /content="([^"]+)"/.exec(page.body.split('inswarm-csrf')[1]!)![1]!;
    await first.stop();
    const again = new UiServer(host, { rendererDir, token: fixed, port: p });
    await again.start();
    const pageAgain = await rawRequest(p, { path: '/', headers: { Cookie: c } });
    expect(pageAgain.status).toBe(200);
    expect(pageAgain.body).toContain(`content="${meta}"`);
    const origin = `http://127.0.0.1:${p}`;
    const reply = await rawRequest(p, { method: 'POST', path: '/api/deliverNow', headers: { Cookie: c, Origin: origin, 'Content-Type': 'application/json', 'X-Inswarm-CSRF': meta }, body: '{}' });
    expect(json(reply)).toEqual({ ok: true, result: null });
    await again.stop();
    const other = new UiServer(host, { rendererDir, port: p });
    await other.start();
    expect((await rawRequest(p, { path: '/', headers: { Cookie: c } })).status).toBe(401);
    await other.stop();
  });
});

describe('the page and the token', () => {
  it('answers 401 with a plain sentence without a token or cookie, with the security headers', async () => {
    const res = await rawRequest(port, { path: '/' });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toContain('Open the address Inswarm printed');
    expect(res.body).not.toContain('inswarm-csrf');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBe(contentSecurityPolicy(port));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    for (const path of ['/assets/app.js', '/index.html', '/assets/style.css']) expect((await rawRequest(port, { path })).status).toBe(401);
  });

  it('answers 401 to a wrong token and sets no cookie', async () => {
    for (const wrong of ['x', token.slice(0, -1), `${token}A`, token.toLowerCase() === token ? token.toUpperCase() : token.toLowerCase()]) {
      const res = await rawRequest(port, { path: `/?token=${encodeURIComponent(wrong)}` });
      expect(res.status).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('sets a session cookie for the right token and redirects to / so the token leaves the address bar', async () => {
    const res = await rawRequest(port, { path: `/?token=${token}` });
    expect(res.status).toBe(303);
    expect(res.headers['location']).toBe('/');
    expect(res.headers['cache-control']).toBe('no-store');
    const setCookie = res.headers['set-cookie']!;
    expect(setCookie).toMatch(new RegExp(`^inswarm-session-${port}=[A-Za-z0-9_-]{43}; `));
    const attributes = setCookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    expect(attributes.some((a) => a.startsWith('expires') || a.startsWith('max-age'))).toBe(false);
    expect(setCookie).not.toContain(token);
  });

  it('serves index.html with the CSRF meta (not the token, not the cookie) and no-store', async () => {
    const res = await rawRequest(port, { path: '/', headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe(contentSecurityPolicy(port));
    expect(res.body).toMatch(/<head>\n<meta charset="utf-8">\n<meta name="inswarm-csrf" content="[A-Za-z0-9_-]{43}">\n<title>/);
    expect(res.body).not.toContain('<!--inswarm-csrf-->');
    expect(csrf).not.toBe(token);
    expect(cookie).not.toContain(csrf);
    // The same page by its name, and with another local app's cookies riding along.
    const byName = await rawRequest(port, { path: '/index.html', headers: { Cookie: `other=1; ${cookie}; jupyter=xyz` } });
    expect(byName.body).toContain(`content="${csrf}"`);
  });

  it('serves assets with their content types and exact bytes', async () => {
    const js = await rawRequest(port, { path: '/assets/app.js', headers: { Cookie: cookie } });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe(APP_JS);
    const css = await rawRequest(port, { path: '/assets/style.css', headers: { Cookie: cookie } });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toBe(STYLE_CSS);
    const head = await rawRequest(port, { method: 'HEAD', path: '/assets/style.css', headers: { Cookie: cookie } });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(STYLE_CSS)));
    const post = await rawRequest(port, { method: 'POST', path: '/assets/app.js', headers: { Cookie: cookie }, body: 'x' });
    expect(post.status).toBe(405);
  });

  it('refuses a cookie with the wrong value or for another port', async () => {
    const [name, value] = cookie.split('=') as [string, string];
    expect((await rawRequest(port, { path: '/', headers: { Cookie: `${name}=${value.slice(0, -1)}B` } })).status).toBe(401);
    expect((await rawRequest(port, { path: '/', headers: { Cookie: `inswarm-session-${port + 1}=${value}` } })).status).toBe(401);
    // A planted cookie of the same name does not lock out the real one.
    expect((await rawRequest(port, { path: '/', headers: { Cookie: `${name}=planted; ${cookie}` } })).status).toBe(200);
  });
});

describe('Host (DNS rebinding)', () => {
  it('refuses every request naming another host, before the token or cookie are looked at', async () => {
    for (const wrongHost of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1.:${port}`, `[::1]:${port}`, `localhost:${port}.evil.example`]) {
      const login = await rawRequest(port, { path: `/?token=${token}`, host: wrongHost });
      expect(login.status).toBe(421);
      expect(login.headers['set-cookie']).toBeUndefined();
      expect((await rawRequest(port, { path: '/', host: wrongHost, headers: { Cookie: cookie } })).status).toBe(421);
      expect((await rawRequest(port, { path: '/assets/app.js', host: wrongHost, headers: { Cookie: cookie } })).status).toBe(421);
      const api = await rawRequest(port, { method: 'POST', path: '/api/deliverNow', host: wrongHost, headers: apiHeaders({ Origin: `http://${wrongHost}` }), body: '{}' });
      expect(api.status).toBe(421);
      expect(json(api).code).toBe('E_FORBIDDEN');
    }
    // No Host at all: Node's parser refuses HTTP/1.1 without one (400); HTTP/1.0 reaches the check.
    expect((await rawRequest(port, { path: '/', host: null, headers: { Cookie: cookie } })).status).toBe(400);
    const old = await RawHttp.open(port);
    await old.write(`GET / HTTP/1.0\r\nCookie: ${cookie}\r\n\r\n`);
    expect((await old.response()).status).toBe(421);
    old.socket.destroy();
    expect(log.some((l) => l.includes(`421 wrong Host evil.example:${port}`))).toBe(true);
    expect(log.join('\n')).not.toContain(token);
  });

  it('accepts localhost:PORT as well as 127.0.0.1:PORT', async () => {
    const res = await rawRequest(port, { path: '/', host: `localhost:${port}`, headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
  });
});

describe('the API', () => {
  it('answers a good call with the host reply, parsed by the contract', async () => {
    const before = host.calls.length;
    const res = await call('heldPage', JSON.stringify({ offset: 7, limit: 100_000 }));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const reply = json(res);
    expect(reply).toMatchObject({ ok: true, result: { total: 1, offset: 7 } });
    expect(host.calls.slice(before)).toEqual([{ method: 'heldPage', args: { sort: 'received', dir: 'desc', offset: 7, limit: 500 } }]);
  });

  it("carries the dispatcher's refusal in a 200 body (the status says the call reached the core)", async () => {
    const res = await call('thumbnail', JSON.stringify({ blobId: '../etc' }));
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({ ok: false, code: 'E_USAGE', message: 'blobId must be 64 lowercase hex characters.' });
  });

  it('refuses calls without the cookie (401), by GET (405), from another or no Origin (403), without the CSRF token (403)', async () => {
    const before = host.dispatched;
    const noCookie = await call('deliverNow', '{}', apiHeaders({ Cookie: 'x=y' }));
    expect(noCookie.status).toBe(401);
    expect(json(noCookie)).toMatchObject({ ok: false, code: 'E_UNAUTHORIZED' });

    const get = await rawRequest(port, { path: '/api/overview', headers: { Cookie: cookie } });
    expect(get.status).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    expect(json(get).code).toBe('E_USAGE');

    const { Origin: _origin, ...withoutOrigin } = apiHeaders();
    for (const headers of [
      withoutOrigin,
      apiHeaders({ Origin: 'http://evil.example' }),
      apiHeaders({ Origin: `http://127.0.0.1:${port + 1}` }),
      apiHeaders({ Origin: `http://localhost:${port}` }), // another origin than the Host it is sent to
      apiHeaders({ Origin: `https://127.0.0.1:${port}` }),
      apiHeaders({ Origin: 'null' }),
    ]) {
      const res = await call('deliverNow', '{}', headers);
      expect(res.status).toBe(403);
      expect(json(res).code).toBe('E_FORBIDDEN');
    }

    const { 'X-Inswarm-CSRF': _csrf, ...withoutCsrf } = apiHeaders();
    for (const headers of [withoutCsrf, apiHeaders({ 'X-Inswarm-CSRF': 'guess' }), apiHeaders({ 'X-Inswarm-CSRF': token }), apiHeaders({ 'X-Inswarm-CSRF': cookie.split('=')[1]! })]) {
      const res = await call('deliverNow', '{}', headers);
      expect(res.status).toBe(403);
      expect(json(res).code).toBe('E_FORBIDDEN');
    }

    const textPlain = await call('deliverNow', '{}', apiHeaders({ 'Content-Type': 'text/plain' }));
    expect(textPlain.status).toBe(415);
    expect(host.dispatched).toBe(before);
    // Proof that these were refusals of a well-formed call: the same call with every header passes.
    expect((await call('deliverNow', '{}')).status).toBe(200);
    expect(host.dispatched).toBe(before + 1);
  });

  it('answers 404 for methods not in the contract, 400 for bad JSON or UTF-8', async () => {
    const before = host.dispatched;
    for (const name of ['nope', 'constructor', '__proto__', 'toString', 'overview/extra', 'events', '']) {
      const res = await call(name, '{}');
      expect(res.status, name).toBe(404);
      expect(json(res).code).toBe('E_USAGE');
    }
    for (const body of ['{', '{"offset": 1,}', 'undefined', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])]) {
      const res = await call('heldPage', body as string);
      expect(res.status).toBe(400);
      expect(json(res).code).toBe('E_USAGE');
    }
    expect(host.dispatched).toBe(before);
  });

  it('accepts a body of exactly the cap and refuses one byte more', async () => {
    const fill = (size: number): string => {
      const base = JSON.stringify({ offset: 3 });
      return base.slice(0, -1) + ' '.repeat(size - base.length) + '}';
    };
    expect(Buffer.byteLength(fill(UI_MAX_BODY_BYTES))).toBe(UI_MAX_BODY_BYTES);
    expect(json(await call('heldPage', fill(UI_MAX_BODY_BYTES)))).toMatchObject({ ok: true, result: { offset: 3 } });
    const over = await call('heldPage', fill(UI_MAX_BODY_BYTES + 1));
    expect(over.status).toBe(413);
  });

  it('answers 413 to an oversized body before it has been sent (declared, or chunked), and closes', async () => {
    const before = host.dispatched;
    const head = (extra: string): string =>
      [`POST /api/heldPage HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(apiHeaders()).map(([k, v]) => `${k}: ${v}`), extra].join('\r\n') + '\r\n\r\n';

    // Declares 100 MB, sends one byte, never more: the answer must not wait for the rest.
    const declared = await RawHttp.open(port);
    await declared.write(head('Content-Length: 100000000') + '{');
    const res1 = await declared.response();
    expect(res1.status).toBe(413);
    expect(res1.headers['connection']).toBe('close');
    await declared.closed;

    // Chunked, no length: the cap plus a little, and the request is never ended.
    const chunked = await RawHttp.open(port);
    await chunked.write(head('Transfer-Encoding: chunked'));
    const chunk = Buffer.alloc(4096, 0x20);
    for (let sent = 0; sent <= UI_MAX_BODY_BYTES; sent += chunk.length) await chunked.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    const res2 = await chunked.response();
    expect(res2.status).toBe(413);
    expect(json(res2).code).toBe('E_USAGE');
    await chunked.closed;
    expect(host.dispatched).toBe(before);
  });
});

describe('static files', () => {
  it('never serves anything outside the renderer folder, a dotfile or a directory', async () => {
    const attempts = [
      '/../package.json',
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/..%c0%afsecret.txt',
      '/%2fetc%2fpasswd',
      '//etc/passwd',
      '/assets/leak.txt',
      '/up/secret.txt',
      '/up/package.json',
      '/.env',
      '/%2eenv',
      '/assets',
      '/assets/',
      '/assets/nested',
      '/index.html%00.js',
      '/nothing.js',
    ];
    for (const path of attempts) {
      const res = await rawRequest(port, { path, headers: { Cookie: cookie } });
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain(OUTSIDE_SECRET);
    }
    // The same connection and cookie do serve what is inside.
    expect((await rawRequest(port, { path: '/assets/nested/deep.txt', headers: { Cookie: cookie } })).body).toBe('deep\n');
  });
});

/** Opens the event socket with these headers; resolves with the open socket or the refusal status. */
function openEvents(headers: Record<string, string>, path = '/api/events'): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
}

describe('the event socket', () => {
  const origin = (): string => `http://127.0.0.1:${port}`;

  it('refuses the upgrade without the cookie, from another or no Origin, on another Host or path', async () => {
    const subscribers = host.subscribers;
    expect(await openEvents({ Origin: origin() })).toBe(401);
    expect(await openEvents({ Cookie: cookie, Origin: 'http://evil.example' })).toBe(403);
    expect(await openEvents({ Cookie: cookie, Origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    expect(await openEvents({ Cookie: cookie })).toBe(403);
    expect(await openEvents({ Cookie: cookie, Origin: origin(), Host: `evil.example:${port}` })).toBe(421);
    expect(await openEvents({ Cookie: cookie, Origin: origin() }, '/api/other')).toBe(404);
    expect(host.subscribers).toBe(subscribers);
  });

  it('pushes every event to a client with the cookie and its own Origin, and unsubscribes when it closes', async () => {
    const subscribers = host.subscribers;
    const ws = await openEvents({ Cookie: cookie, Origin: origin() });
    expect(ws).toBeInstanceOf(WebSocket);
    const client = ws as WebSocket;
    expect(host.subscribers).toBe(subscribers + 1);
    const message: ApiEventMessage = { event: 'held:progress', payload: { blobId: 'b'.repeat(64), received: 10, size: 20 } };
    const got = nextMessage(client);
    host.emit(message);
    expect(await got).toEqual(message);
    client.close();
    await eventually(async () => host.subscribers === subscribers, 10_000, 'the closed socket to unsubscribe');
  });

  it('drops a client that stops reading while another keeps receiving', async () => {
    const lagHost = new CannedApiHost();
    const limit = 256 * 1024;
    const small = new UiServer(lagHost, { rendererDir, maxEventBufferBytes: limit, log: (line) => log.push(line) });
    const { url: smallUrl, port: smallPort } = await small.start();
    try {
      const login = await rawRequest(smallPort, { path: new URL(smallUrl).pathname + new URL(smallUrl).search });
      const smallCookie = login.headers['set-cookie']!.split(';')[0]!;
      const open = (): Promise<WebSocket> =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${smallPort}/api/events`, { headers: { Cookie: smallCookie, Origin: `http://127.0.0.1:${smallPort}` } });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        });
      const healthy = await open();
      const laggard = await open();
      laggard.on('error', () => undefined);
      let healthyGot = 0;
      healthy.on('message', () => (healthyGot += 1));
      laggard.pause(); // stops reading: the kernel buffers fill, then the server's queue grows
      expect(lagHost.subscribers).toBe(2);

      const payload = 'x'.repeat(32 * 1024);
      let sent = 0;
      // At most ~100 MB: far beyond any loopback socket buffer, so the laggard must be dropped.
      for (let batch = 0; batch < 400 && lagHost.subscribers === 2; batch += 1) {
        for (let i = 0; i < 8; i += 1) lagHost.emit({ event: 'held:progress', payload: { blobId: String(sent++), text: payload } });
        // The healthy client reads everything before the next batch, so it never falls behind.
        await eventually(async () => healthyGot === sent, 10_000, 'the healthy client to keep up');
      }
      expect(lagHost.subscribers).toBe(1);
      expect(log.some((l) => l.startsWith('Dropped an event socket') && l.includes(`(limit ${limit})`))).toBe(true);
      const last: ApiEventMessage = { event: 'peer:up', payload: { deviceId: 'D' } };
      const got = nextMessage(healthy);
      lagHost.emit(last);
      expect(await got).toEqual(last);
      healthy.close();
      laggard.terminate();
    } finally {
      await small.stop();
    }
  });

  it('caps the number of event sockets', async () => {
    const capHost = new CannedApiHost();
    const capped = new UiServer(capHost, { rendererDir, maxEventClients: 2 });
    const { url: cappedUrl, port: cappedPort } = await capped.start();
    try {
      const login = await rawRequest(cappedPort, { path: new URL(cappedUrl).pathname + new URL(cappedUrl).search });
      const c = login.headers['set-cookie']!.split(';')[0]!;
      const statuses: (number | string)[] = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push(
          await new Promise<number | string>((resolve) => {
            const ws = new WebSocket(`ws://127.0.0.1:${cappedPort}/api/events`, { headers: { Cookie: c, Origin: `http://127.0.0.1:${cappedPort}` } });
            ws.once('open', () => resolve('open'));
            ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
            ws.once('error', () => resolve('error'));
          }),
        );
      }
      expect(statuses).toEqual(['open', 'open', 503]);
      expect(capHost.subscribers).toBe(2);
    } finally {
      await capped.stop();
    }
  });
});

describe('stop', () => {
  it('closes open event sockets and the listening port', async () => {
    const stopHost = new CannedApiHost();
    const s = new UiServer(stopHost, { rendererDir });
    const { url: u, port: p } = await s.start();
    const login = await rawRequest(p, { path: new URL(u).pathname + new URL(u).search });
    const c = login.headers['set-cookie']!.split(';')[0]!;
    const ws = new WebSocket(`ws://127.0.0.1:${p}/api/events`, { headers: { Cookie: c, Origin: `http://127.0.0.1:${p}` } });
    await once(ws, 'open');
    const idle = await RawHttp.open(p); // a keep-alive connection with nothing sent
    const closed = once(ws, 'close');
    await s.stop();
    await closed;
    await idle.closed;
    expect(stopHost.subscribers).toBe(0);
    await expect(RawHttp.open(p)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await s.stop(); // idempotent
  });
});
