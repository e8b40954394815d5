// What the headless-bridge tests share: a small real ApiHost, a renderer folder to serve, and raw
// HTTP over node:net so a test sends exactly the bytes it writes (paths unnormalised, bodies cut
// short, any Host).
//
// The ApiHost here is written for the tests: the core's real dispatcher (src/main/api/dispatch.ts)
// is the lead's and needs a running node. This one is still a real implementation of the
// interface: it runs the contract's own argument parsers (API_METHODS in src/shared/api.ts) on
// every call, answers E_USAGE for what they refuse, and canned results for the rest.

import { once } from 'node:events';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import ts from 'typescript';
import { API_METHODS, ApiArgumentError, isApiMethod, type ApiEventMessage, type ApiReply } from '../../src/shared/api.js';
import type { ApiHost } from '../../src/main/api/api-host.js';

export interface RecordedCall {
  readonly method: string;
  readonly args: unknown;
}

/** A real ApiHost over the contract's parsers, with canned results; it records what reached it. */
export class CannedApiHost implements ApiHost {
  /** Calls whose arguments passed the parser, in order. */
  readonly calls: RecordedCall[] = [];
  /** Every dispatch, refused or not. */
  dispatched = 0;
  private readonly listeners = new Set<(message: ApiEventMessage) => void>();

  async dispatch(method: string, args: unknown): Promise<ApiReply> {
    this.dispatched += 1;
    if (!isApiMethod(method)) return { ok: false, code: 'E_USAGE', message: `There is no method ${method}.` };
    let parsed: unknown;
    try {
      parsed = (API_METHODS[method] as (raw: unknown) => unknown)(args);
    } catch (err) {
      if (err instanceof ApiArgumentError) return { ok: false, code: 'E_USAGE', message: err.message };
      throw err;
    }
    this.calls.push({ method, args: parsed });
    switch (method) {
      case 'heldPage': {
        const q = parsed as { offset: number; limit: number; sort: string; dir: string };
        return { ok: true, result: { total: 1, totalBytes: 42, offset: q.offset, rows: [{ blobId: 'a'.repeat(64), size: 42, originId: 'ORIGIN', receivedAt: 1, expiresAt: 2, bytesReceived: 42, state: 'held' }] } };
      }
      case 'deliverNow':
        return { ok: true, result: null };
      default:
        return { ok: false, code: 'E_NOT_FOUND', message: `The test host has no canned answer for ${method}.` };
    }
  }

  subscribe(listener: (message: ApiEventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Pushes an event to every subscriber, as the core's event bus would. */
  emit(message: ApiEventMessage): void {
    for (const listener of this.listeners) listener(message);
  }

  /** How many event streams follow this host right now. */
  get subscribers(): number {
    return this.listeners.size;
  }
}

/** Text no served response may ever contain: it sits outside the renderer folder. */
export const OUTSIDE_SECRET = 'THIS-FILE-IS-OUTSIDE-THE-RENDERER-9f2c';

/** index.html with the CSRF placeholder, an inline script (which the CSP must block) and the app's module. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<!--inswarm-csrf-->
<title>Inswarm test page</title>
<link rel="stylesheet" href="/assets/style.css">
<script>window.inlineRan = true;</script>
<script type="module" src="/assets/app.js"></script>
</head>
<body><p id="out">loading</p><ul id="events"></ul></body>
</html>
`;

/** The page's script: the real renderer bridge (src/renderer/bridge.ts) making real calls. */
export const APP_JS = `import { connectBridge } from './bridge.js';
const bridge = connectBridge();
const out = document.getElementById('out');
bridge.call('heldPage', { offset: 7 }).then(
  (page) => { out.dataset.held = JSON.stringify(page); },
  (err) => { out.dataset.error = err.code + ': ' + err.message; },
);
bridge.call('thumbnail', { blobId: 'not-a-blob-id' }).catch((err) => { out.dataset.refused = err.code; });
bridge.subscribe((message) => {
  const li = document.createElement('li');
  li.textContent = message.event + ' ' + JSON.stringify(message.payload);
  document.getElementById('events').append(li);
});
`;

export const STYLE_CSS = 'body { font-family: sans-serif; }\n#out { color: rgb(1, 2, 3); }\n';

/**
 * A renderer folder under `root` (index.html, assets/app.js, assets/bridge.js compiled from the
 * real bridge.ts, assets/style.css, a dotfile, a symlink pointing out), and a secret file next to
 * it, outside. Returns the renderer folder.
 */
export async function makeRendererDir(root: string): Promise<string> {
  const dir = join(root, 'renderer');
  await mkdir(join(dir, 'assets', 'nested'), { recursive: true });
  await writeFile(join(root, 'secret.txt'), `${OUTSIDE_SECRET}\n`);
  await writeFile(join(root, 'package.json'), `{"name":"${OUTSIDE_SECRET}"}\n`);
  await writeFile(join(dir, 'index.html'), INDEX_HTML);
  await writeFile(join(dir, 'assets', 'app.js'), APP_JS);
  await writeFile(join(dir, 'assets', 'style.css'), STYLE_CSS);
  await writeFile(join(dir, 'assets', 'nested', 'deep.txt'), 'deep\n');
  await writeFile(join(dir, 'assets', 'bridge.js'), await compiledBridge());
  await writeFile(join(dir, '.env'), `${OUTSIDE_SECRET}\n`);
  await symlink(join(root, 'secret.txt'), join(dir, 'assets', 'leak.txt'));
  await symlink(root, join(dir, 'up'));
  return dir;
}

/** src/renderer/bridge.ts as the browser runs it (it imports only types, so one file suffices). */
async function compiledBridge(): Promise<string> {
  const source = await readFile(new URL('../../src/renderer/bridge.ts', import.meta.url), 'utf8');
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}

export interface RawResponse {
  readonly status: number;
  /** Header names lowercased; repeated headers joined by '\n'. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Parses the first response in `raw` (its body by Content-Length, else everything after the head). */
export function parseResponse(raw: Buffer): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in:\n${text}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}\n${value}`;
  }
  const length = headers['content-length'];
  const bodyBytes = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const body = (length === undefined ? bodyBytes : bodyBytes.subarray(0, Number(length))).toString('utf8');
  return { status, headers, body };
}

/** A raw connection: writes what the test says, collects what comes back. */
export class RawHttp {
  private data = Buffer.alloc(0);
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.data = Buffer.concat([this.data, chunk])));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number): Promise<RawHttp> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawHttp(socket);
  }

  write(bytes: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  received(): Buffer {
    return this.data;
  }

  /** Resolves with the first response once its head and whole body arrived (the request may still be unfinished). */
  async response(): Promise<RawResponse> {
    for (;;) {
      const text = this.data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) {
        const parsed = parseResponse(this.data);
        const length = parsed.headers['content-length'];
        if (length !== undefined && Buffer.byteLength(parsed.body) >= Number(length)) return parsed;
      }
      if (this.socket.destroyed || this.socket.readableEnded) {
        if (end >= 0) return parseResponse(this.data);
        throw new Error(`the connection closed without a response; got:\n${text}`);
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.socket.off('data', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('data', done);
        this.socket.on('close', done);
      });
    }
  }
}

/** One request over a fresh connection, with Connection: close; resolves with the response. */
export async function rawRequest(port: number, head: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; host?: string | null }): Promise<RawResponse> {
  const conn = await RawHttp.open(port);
  const body = head.body === undefined ? undefined : Buffer.isBuffer(head.body) ? head.body : Buffer.from(head.body, 'utf8');
  const lines = [`${head.method ?? 'GET'} ${head.path} HTTP/1.1`];
  if (head.host !== null) lines.push(`Host: ${head.host ?? `127.0.0.1:${port}`}`);
  for (const [key, value] of Object.entries(head.headers ?? {})) lines.push(`${key}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close');
  await conn.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]));
  const response = await conn.response();
  conn.socket.destroy();
  return response;
}
