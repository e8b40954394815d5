// The headless bridge: the window's files and the API contract (src/shared/api.ts) over HTTP and
// a WebSocket on 127.0.0.1, for a browser on this machine when there is no Electron. It takes an
// ApiHost and nothing else from the core; every call goes through ApiHost.dispatch.
//
// Security model. Anything on this machine can connect to 127.0.0.1, and any web page the user
// opens can make the browser send requests here, so every request proves three things:
// 1. It is addressed to us (DNS rebinding): the Host header must be exactly 127.0.0.1:PORT or
//    localhost:PORT, else 421 for everything, before anything else is looked at. A page on
//    evil.example rebound to 127.0.0.1 sends Host: evil.example:PORT.
// 2. It comes from the person who started Inswarm: the printed URL carries a random token;
//    `GET /?token=T` sets a session cookie (HttpOnly, SameSite=Strict, Path=/, no expiry; its
//    value HMAC-derived from T, so a token kept across restarts keeps open tabs working) and
//    redirects to `/`, so the token leaves the address bar. Every other request needs the cookie
//    (constant-time compare), else 401: a plain page for the UI, JSON E_UNAUTHORIZED for the API.
// 3. It comes from our own page (CSRF): cookies are scoped by host, not port, and every page on
//    another 127.0.0.1 port is "same-site", so SameSite=Strict alone still sends our cookie
//    with their requests. Hence: API calls are `POST /api/<method>` with `Content-Type:
//    application/json` (a cross-origin page cannot send that without a CORS preflight, which we
//    never grant), an `Origin` equal to `http://` + Host (missing or foreign → 403), and the
//    header X-Inswarm-CSRF equal to a CSRF token (HMAC-derived from the URL token, which it
//    does not reveal) that only our own index.html carries, in <meta name="inswarm-csrf">
//    (→ 403). The event WebSocket needs the same Host, cookie and Origin checks, all run on the
//    upgrade request before the handshake.
// Refusals a page on another origin cannot even read: Cross-Origin-Resource-Policy withholds
// every answer from it (the browser test sees its requests fail while the log shows the 403).
// Every answer carries a strict CSP (own scripts, styles, images and sockets only; never framed),
// nosniff, no-referrer and Cross-Origin-Resource-Policy: same-origin; HTML and API answers are
// no-store. Static files are regular files under the renderer folder only (no traversal, no
// symlinks out, no dotfiles, no listings). Bodies are capped before buffering.
//
// Status rule: the bridge's own refusals carry a 4xx status and the body {ok:false, code,
// message} (E_UNAUTHORIZED 401, E_FORBIDDEN 403/421, E_USAGE 400/404/405/413/415); a reply
// the dispatcher produced is always 200 with the ApiReply as body, ok or not. So the status
// says whether the call reached the core; the body says how it went.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { isApiMethod, type ApiEventMessage, type ApiReply } from '../../shared/api.js';
import type { ErrorCode } from '../../shared/error-codes.js';
import type { ApiHost } from '../api/api-host.js';
import { InswarmError } from '../core/errors.js';
import {
  UI_HOST,
  checkHost,
  checkOrigin,
  deriveSecret,
  hasSession,
  isJsonContentType,
  queryToken,
  sameSecret,
  securityHeaders,
  sessionCookie,
  sessionCookieName,
} from './auth.js';
import {
  UI_EVENTS_MAX_BUFFER_BYTES,
  UI_EVENTS_MAX_CLIENTS,
  UI_EVENTS_MAX_INCOMING_BYTES,
  UI_EVENTS_PING_INTERVAL_MS,
  UI_HEADERS_TIMEOUT_MS,
  UI_MAX_BODY_BYTES,
  UI_MAX_CONNECTIONS,
  UI_MAX_HEADER_BYTES,
  UI_MAX_INDEX_BYTES,
  UI_REFUSAL_DISCARD_BYTES,
  UI_REFUSAL_LINGER_MS,
  UI_REQUEST_TIMEOUT_MS,
  UI_SECRET_BYTES,
  UI_TOKEN_PATTERN,
} from './headless-limits.js';
import { injectCsrf, openStatic, staticSegments, type StaticFile } from './static-files.js';

/** Where the event stream is upgraded; every other /api path is a method. */
export const EVENTS_PATH = '/api/events';
/** The CSRF header, as src/renderer/bridge.ts sends it (lowercase: Node's header keys). */
export const CSRF_HEADER = 'x-inswarm-csrf';
/** What a browser without the session cookie is told. */
export const NO_SESSION_SENTENCE = 'Open the address Inswarm printed when it started: it carries the secret token that lets this browser in.';

export interface UiServerInit {
  /** The built renderer (dist/renderer): index.html and its assets. */
  readonly rendererDir: string;
  /** Only loopback: the bridge is for a browser on this machine. */
  readonly host?: typeof UI_HOST;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The URL token; random UI_SECRET_BYTES in base64url by default. */
  readonly token?: string;
  /** Bytes queued for one event socket beyond which it is dropped. */
  readonly maxEventBufferBytes?: number;
  readonly maxEventClients?: number;
  readonly pingIntervalMs?: number;
  /** One line per refusal and dropped event socket (never a secret). */
  readonly log?: (line: string) => void;
}

export interface UiServerAddress {
  /** The address to print: http://127.0.0.1:PORT/?token=… */
  readonly url: string;
  readonly port: number;
}

/** One browser tab following the core's events. */
interface EventClient {
  readonly ws: WebSocket;
  alive: boolean;
  unsubscribe: () => void;
}

/** Serves the renderer and the API to a browser on 127.0.0.1. */
export class UiServer {
  private readonly rendererDir: string;
  private readonly requestedPort: number;
  private readonly token: string;
  /** The session cookie's value: derived from the token, so the cookie never equals anything printed. */
  private readonly session: string;
  /** The CSRF token only our own index.html carries. */
  private readonly csrf: string;
  private readonly maxEventBufferBytes: number;
  private readonly maxEventClients: number;
  private readonly pingIntervalMs: number;
  private readonly log: (line: string) => void;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<EventClient>();
  /** Sockets already answered by the parser's error handler (it may fire twice on one input). */
  private readonly answered = new WeakSet<Duplex>();
  private port = 0;
  private cookieName = '';
  private pingTimer: NodeJS.Timeout | undefined;
  private starting: Promise<UiServerAddress> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly api: ApiHost,
    init: UiServerInit,
  ) {
    if (init.host !== undefined && init.host !== UI_HOST) {
      throw new InswarmError('E_USAGE', `The web UI listens on ${UI_HOST} only, not ${String(init.host)}.`);
    }
    const port = init.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InswarmError('E_USAGE', `The web UI port must be 0 to 65535, not ${String(port)}.`);
    if (init.token !== undefined && !UI_TOKEN_PATTERN.test(init.token)) {
      throw new InswarmError('E_USAGE', 'The web UI token must be 24 to 512 base64url characters (A-Z, a-z, 0-9, - and _).');
    }
    this.rendererDir = init.rendererDir;
    this.requestedPort = port;
    this.token = init.token ?? randomBytes(UI_SECRET_BYTES).toString('base64url');
    this.session = deriveSecret(this.token, 'session');
    this.csrf = deriveSecret(this.token, 'csrf');
    this.maxEventBufferBytes = init.maxEventBufferBytes ?? UI_EVENTS_MAX_BUFFER_BYTES;
    this.maxEventClients = init.maxEventClients ?? UI_EVENTS_MAX_CLIENTS;
    this.pingIntervalMs = init.pingIntervalMs ?? UI_EVENTS_PING_INTERVAL_MS;
    this.log = init.log ?? (() => undefined);
    this.server = createServer({
      maxHeaderSize: UI_MAX_HEADER_BYTES,
      headersTimeout: UI_HEADERS_TIMEOUT_MS,
      requestTimeout: UI_REQUEST_TIMEOUT_MS,
    });
    this.server.maxConnections = UI_MAX_CONNECTIONS;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: UI_EVENTS_MAX_INCOMING_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.onRequest(req, res).catch((err: unknown) => this.failed(req, res, err));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
  }

  /**
   * Listens on 127.0.0.1 and resolves with the URL to print (it carries the token). Fails when
   * the renderer is not built or the port is taken. Idempotent.
   */
  start(): Promise<UiServerAddress> {
    if (this.stopping !== undefined) return Promise.reject(new InswarmError('E_USAGE', 'This web UI server was stopped; make a new one.'));
    this.starting ??= this.listen();
    return this.starting;
  }

  /** Closes every socket (event streams included) and stops listening. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  private async listen(): Promise<UiServerAddress> {
    const index = join(this.rendererDir, 'index.html');
    const found = await stat(index).catch(() => null);
    if (found === null || !found.isFile()) {
      throw new InswarmError('E_NOT_FOUND', `The window's files are not built (no ${index}): run npm run build, then start again.`);
    }
    this.server.listen({ port: this.requestedPort, host: UI_HOST, exclusive: true });
    try {
      await once(this.server, 'listening');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new InswarmError('E_IO', `The web UI could not listen on ${UI_HOST}:${this.requestedPort} (${code}): choose another port or stop what uses it.`, { cause: err });
    }
    this.port = (this.server.address() as AddressInfo).port;
    this.cookieName = sessionCookieName(this.port);
    this.pingTimer = setInterval(() => this.pingAll(), this.pingIntervalMs);
    this.pingTimer.unref();
    return { url: `http://${UI_HOST}:${this.port}/?token=${this.token}`, port: this.port };
  }

  private async close(): Promise<void> {
    await this.starting?.catch(() => undefined);
    clearInterval(this.pingTimer);
    for (const client of this.clients) this.drop(client);
    this.wss.close();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    // Upgraded sockets (event streams) and sockets mid-refusal are no longer the server's to close.
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  // ---- HTTP ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = splitTarget(req.url);
    const isApi = target !== null && (target.path === '/api' || target.path.startsWith('/api/'));
    const host = checkHost(req.headers.host, this.port);
    if (host === null) {
      return this.refuse(req, res, isApi, 421, 'E_FORBIDDEN', `This server answers only as ${UI_HOST}:${this.port}: open the address Inswarm printed.`, `wrong Host ${clip(req.headers.host)}`);
    }
    if (target === null) return this.refuse(req, res, isApi, 400, 'E_USAGE', 'The request target is not a path.', 'bad target');
    if (isApi) return this.onApi(req, res, target.path, host);

    if (target.path === '/' && target.query !== '') {
      const token = queryToken(target.query);
      if (token !== undefined) return this.onToken(req, res, token);
    }
    if (!hasSession(req.headers.cookie, this.cookieName, this.session)) {
      return this.refuse(req, res, false, 401, 'E_UNAUTHORIZED', NO_SESSION_SENTENCE, 'no session cookie');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.refuse(req, res, false, 405, 'E_USAGE', 'Pages are only read (GET).', 'method not allowed', { Allow: 'GET, HEAD' });
    }
    const segments = staticSegments(target.path);
    const file = segments === null ? null : await openStatic(this.rendererDir, segments);
    if (file === null) return this.refuse(req, res, false, 404, 'E_NOT_FOUND', 'Nothing is here.', 'no such file');
    await this.sendFile(req, res, file);
  }

  /** `/?token=T`: the right token sets the session cookie and sends the browser to `/`. */
  private onToken(req: IncomingMessage, res: ServerResponse, token: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.refuse(req, res, false, 405, 'E_USAGE', 'Pages are only read (GET).', 'method not allowed', { Allow: 'GET, HEAD' });
    }
    if (!sameSecret(token, this.token)) return this.refuse(req, res, false, 401, 'E_UNAUTHORIZED', NO_SESSION_SENTENCE, 'wrong token');
    res.writeHead(303, {
      ...securityHeaders(this.port),
      'Set-Cookie': sessionCookie(this.cookieName, this.session),
      Location: '/',
      'Cache-Control': 'no-store',
      'Content-Length': '0',
    });
    res.end();
  }

  private async sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): Promise<void> {
    try {
      if (file.isIndex) {
        if (file.size > UI_MAX_INDEX_BYTES) throw new Error(`index.html is larger than ${UI_MAX_INDEX_BYTES} bytes`);
        const html = Buffer.from(injectCsrf(await file.handle.readFile('utf8'), this.csrf), 'utf8');
        res.writeHead(200, { ...securityHeaders(this.port), 'Content-Type': file.type, 'Content-Length': String(html.length), 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : html);
        return;
      }
      res.writeHead(200, { ...securityHeaders(this.port), 'Content-Type': file.type, 'Content-Length': String(file.size), 'Cache-Control': 'no-cache' });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      await pipeline(file.handle.createReadStream({ autoClose: false }), res);
    } finally {
      await file.handle.close().catch(() => undefined);
    }
  }

  private async onApi(req: IncomingMessage, res: ServerResponse, path: string, host: string): Promise<void> {
    if (!hasSession(req.headers.cookie, this.cookieName, this.session)) {
      return this.refuse(req, res, true, 401, 'E_UNAUTHORIZED', NO_SESSION_SENTENCE, 'no session cookie');
    }
    if (req.method !== 'POST') {
      return this.refuse(req, res, true, 405, 'E_USAGE', 'API methods are called with POST.', 'method not allowed', { Allow: 'POST' });
    }
    const origin = checkOrigin(req.headers.origin, host);
    if (origin !== 'same') {
      return this.refuse(req, res, true, 403, 'E_FORBIDDEN', 'Only the Inswarm page itself may call its API.', `${origin} Origin ${clip(req.headers.origin)}`);
    }
    const csrf = req.headers[CSRF_HEADER];
    if (typeof csrf !== 'string' || !sameSecret(csrf, this.csrf)) {
      return this.refuse(req, res, true, 403, 'E_FORBIDDEN', 'The request lacks the page\'s CSRF token: reload the page.', 'wrong CSRF token');
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      return this.refuse(req, res, true, 415, 'E_USAGE', 'API calls carry their arguments as application/json.', 'not JSON');
    }
    const name = path.slice('/api/'.length);
    if (!isApiMethod(name)) return this.refuse(req, res, true, 404, 'E_USAGE', `There is no API method "${clip(name)}".`, 'unknown method');

    const tooLarge = `The arguments are larger than ${UI_MAX_BODY_BYTES} bytes.`;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > UI_MAX_BODY_BYTES) return this.refuse(req, res, true, 413, 'E_USAGE', tooLarge, 'body too large');
    const body = await readCapped(req, UI_MAX_BODY_BYTES);
    if (body === null) return this.refuse(req, res, true, 413, 'E_USAGE', tooLarge, 'body too large');

    let args: unknown;
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      args = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      return this.refuse(req, res, true, 400, 'E_USAGE', 'The arguments are not valid JSON.', 'bad JSON');
    }
    let reply: ApiReply;
    try {
      reply = await this.api.dispatch(name, args);
    } catch (err) {
      // dispatch promises never to throw; if it does, the page still gets a sentence.
      this.log(`The API dispatcher threw on ${name}: ${(err as Error).message}`);
      reply = { ok: false, code: 'E_INTERNAL', message: 'The core failed to answer this call: try again, and restart Inswarm if it keeps failing.' };
    }
    this.send(res, 200, JSON.stringify(reply), 'application/json; charset=utf-8');
  }

  private send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(status, {
      ...securityHeaders(this.port),
      ...headers,
      'Content-Type': type,
      'Content-Length': String(bytes.length),
      'Cache-Control': 'no-store',
    });
    res.end(bytes);
  }

  /**
   * Answers a refusal (JSON for the API, a plain sentence for pages). When the request body was
   * not read, the connection is closed after the answer instead of the body being drained: at
   * most UI_REFUSAL_DISCARD_BYTES more are read and dropped, and the socket is destroyed after
   * UI_REFUSAL_LINGER_MS whatever the client does.
   */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    json: boolean,
    status: number,
    code: ErrorCode,
    message: string,
    reason: string,
    headers: Record<string, string> = {},
  ): void {
    this.log(`Refused ${clip(req.method)} ${clip(splitTarget(req.url)?.path ?? req.url)}: ${status} ${reason}`);
    if (res.headersSent || req.socket.destroyed) {
      req.socket.destroy();
      return;
    }
    const unread = !req.complete && expectsBody(req);
    const body = json ? JSON.stringify({ ok: false, code, message }) : `${message}\n`;
    this.send(res, status, body, json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', { ...headers, ...(unread ? { Connection: 'close' } : {}) });
    if (unread) this.linger(req);
  }

  private linger(req: IncomingMessage): void {
    const socket = req.socket;
    let discarded = 0;
    const timer = setTimeout(() => socket.destroy(), UI_REFUSAL_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > UI_REFUSAL_DISCARD_BYTES) socket.destroy();
    });
    req.on('error', () => undefined);
  }

  private failed(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    this.log(`Failed ${clip(req.method)} ${clip(splitTarget(req.url)?.path ?? req.url)}: ${(err as Error)?.message ?? String(err)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const isApi = splitTarget(req.url)?.path.startsWith('/api') ?? false;
    const message = 'Inswarm could not answer this request: try again, and restart Inswarm if it keeps failing.';
    const body = isApi ? JSON.stringify({ ok: false, code: 'E_INTERNAL', message }) : `${message}\n`;
    this.send(res, 500, body, isApi ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', expectsBody(req) && !req.complete ? { Connection: 'close' } : {});
  }

  /** Requests the HTTP parser refused (not HTTP, headers too large or too slow): a bare status, then close. */
  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (this.answered.has(socket)) return;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    this.answered.add(socket);
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    this.endRaw(socket, status, '');
  }

  /** Writes a whole HTTP answer on a raw socket, ends it, and destroys it after a linger. */
  private endRaw(socket: Duplex, status: number, body: string): void {
    const bytes = Buffer.from(body, 'utf8');
    const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Connection: close', 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${bytes.length}`, 'Cache-Control: no-store'];
    for (const [key, value] of Object.entries(securityHeaders(this.port))) head.push(`${key}: ${value}`);
    socket.on('error', () => socket.destroy());
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), bytes]));
    const timer = setTimeout(() => socket.destroy(), UI_REFUSAL_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  // ---- WebSocket events ----

  /** The event stream's handshake: every check runs here, before the 101. */
  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = splitTarget(req.url)?.path;
    const reject = (status: number, message: string, reason: string): void => {
      this.log(`Refused event socket ${clip(path ?? req.url)}: ${status} ${reason}`);
      this.endRaw(socket, status, `${message}\n`);
    };
    const host = checkHost(req.headers.host, this.port);
    if (host === null) return reject(421, `This server answers only as ${UI_HOST}:${this.port}.`, `wrong Host ${clip(req.headers.host)}`);
    if (path !== EVENTS_PATH) return reject(404, 'Nothing is here.', 'not the event path');
    if (!hasSession(req.headers.cookie, this.cookieName, this.session)) return reject(401, NO_SESSION_SENTENCE, 'no session cookie');
    const origin = checkOrigin(req.headers.origin, host);
    if (origin !== 'same') return reject(403, 'Only the Inswarm page itself may follow its events.', `${origin} Origin ${clip(req.headers.origin)}`);
    if (this.stopping !== undefined) return reject(503, 'Inswarm is stopping.', 'stopping');
    if (this.clients.size >= this.maxEventClients) return reject(503, 'Too many windows follow the events: close some tabs.', 'too many event sockets');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const client: EventClient = { ws, alive: true, unsubscribe: () => undefined };
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    // The page sends nothing; anything it does send (up to maxPayload) is ignored.
    ws.on('message', () => undefined);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.forget(client));
    try {
      client.unsubscribe = once1(this.api.subscribe((message) => this.push(client, message)));
    } catch (err) {
      this.log(`The event stream could not be followed: ${(err as Error).message}`);
      this.drop(client);
    }
  }

  private push(client: EventClient, message: ApiEventMessage): void {
    const { ws } = client;
    if (ws.readyState !== WebSocket.OPEN) return;
    // Checked before sending, so one large event still reaches a client that keeps up.
    if (ws.bufferedAmount > this.maxEventBufferBytes) {
      this.log(`Dropped an event socket ${ws.bufferedAmount} bytes behind (limit ${this.maxEventBufferBytes}).`);
      this.drop(client);
      return;
    }
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch {
      return; // not JSON (a core bug): the page gets the next event instead
    }
    ws.send(text);
  }

  private pingAll(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.log('Dropped an event socket that stopped answering pings.');
        this.drop(client);
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }

  private drop(client: EventClient): void {
    this.forget(client);
    client.ws.terminate();
  }

  private forget(client: EventClient): void {
    this.clients.delete(client);
    client.unsubscribe();
  }
}

/** The path and query of an origin-form request target, or null for any other form. */
function splitTarget(url: string | undefined): { path: string; query: string } | null {
  if (url === undefined || !url.startsWith('/')) return null;
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** Whether the request announced a body (a length above 0, or chunked). */
function expectsBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The whole body, or null as soon as it exceeds `max` bytes (the rest is never buffered). */
function readCapped(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = (): void => {
      cleanup();
      reject(new Error('the client went away before its request body ended'));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/** A function that runs its body at most once (an unsubscribe called on drop and again on close). */
function once1(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** A header or path for a log line: bounded, one line. */
function clip(value: string | undefined): string {
  if (value === undefined) return '(none)';
  const flat = value.replace(/[\r\n\t]/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
}
