// Building blocks for home-receiver tests: real sealed photo blobs, real origin identities signing
// real tickets, hand-made hostile blobs, and a raw TLS connection that sends exactly the bytes a
// test writes (a hostile or broken deliverer), so no HTTP library tidies them up first.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import type { DeviceIdentity } from '../../src/main/core/identity/device-identity.js';
import type { Signed } from '../../src/main/core/protocol/messages.js';
import { signTicket } from '../../src/main/core/protocol/signed.js';
import { AgeEncryptor } from '../../src/main/core/seal/age-file.js';
import { parseRecipient } from '../../src/main/core/seal/age-keys.js';
import { sealFiles } from '../../src/main/core/seal/seal.js';
import { encodeEnd, encodeFileHeader, encodeGlobalHeader, encodePadding } from '../../src/main/core/seal/tar-codec.js';

export interface TestBlob {
  readonly path: string;
  readonly blobId: string;
  readonly size: number;
  readonly bytes: Buffer;
}

/** Seals one file named `name` with `content` and `mtime` to `recipient` (age1…), as origin `origin`. */
export async function sealOne(dir: string, name: string, content: Buffer, recipient: string, origin: DeviceIdentity, mtime = new Date('2023-06-15T12:00:00Z')): Promise<TestBlob> {
  const src = join(dir, `src-${randomBytes(6).toString('hex')}`);
  await mkdir(src, { recursive: true });
  const file = join(src, name);
  await writeFile(file, content);
  await utimes(file, mtime, mtime);
  const out = join(dir, `${randomBytes(6).toString('hex')}.blob`);
  const handle = await open(out, 'wx');
  let result;
  try {
    result = await sealFiles([{ path: file }], handle, { recipients: [parseRecipient(recipient)], originDeviceId: origin.deviceId });
  } finally {
    await handle.close();
  }
  return readBlob(out, result.blobId);
}

/** Encrypts raw tar bytes to `recipient` with the real age encryptor and names the result by its SHA-256. */
export async function ageBlob(dir: string, tar: Buffer, recipient: string): Promise<TestBlob> {
  const age = new AgeEncryptor([parseRecipient(recipient)]);
  const bytes = Buffer.concat([...age.begin(), ...age.push(tar), ...age.final()]);
  const blobId = createHash('sha256').update(bytes).digest('hex');
  const path = join(dir, `${blobId}.blob`);
  await writeFile(path, bytes);
  return { path, blobId, size: bytes.length, bytes };
}

/**
 * A tar whose one file is named `../<name>`: it would land beside the library, not in it. The
 * encoder refuses such names, so a safe name of the same length is encoded and its first bytes
 * patched, with the header checksum recomputed as any tar reader checks it.
 */
export function escapingTar(name: string, content: Buffer, origin: string): Buffer {
  const sha = createHash('sha256').update(content).digest('hex');
  const global = encodeGlobalHeader({ 'INSWARM.format': '1', 'INSWARM.origin': origin, 'INSWARM.files': '1', 'INSWARM.file.0.sha256': sha });
  const header = encodeFileHeader({ name: `zz/${name}`, size: content.length, mtimeMs: Date.UTC(2023, 5, 15), mode: 0o644 });
  if (header.length !== 512) throw new Error('expected a plain ustar header');
  header.write('..', 0, 'latin1');
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([global, header, content, encodePadding(content.length), encodeEnd()]);
}

async function readBlob(path: string, blobId: string): Promise<TestBlob> {
  const bytes = await readFile(path);
  return { path, blobId, size: bytes.length, bytes };
}

/** A ticket for `blob` made out to the receiver `receiverId`, signed by `origin`, valid for an hour. */
export function ticketFor(origin: DeviceIdentity, blob: { blobId: string; size: number }, receiverId: string, overrides: { created?: number; expires?: number; url?: string } = {}): Signed {
  const now = Date.now();
  return signTicket(origin, {
    blobId: blob.blobId,
    size: blob.size,
    created: overrides.created ?? now,
    expires: overrides.expires ?? now + 3_600_000,
    target: { kind: 'receiver', url: overrides.url ?? 'https://127.0.0.1:1', receiverId },
  });
}

/** The header value of a Signed, as the receiver reads it. */
export function ticketHeader(signed: Signed): string {
  return Buffer.from(JSON.stringify(signed)).toString('base64');
}

/** Every regular file under `root`, relative, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p));
    }
  };
  await walk(root);
  return out.sort();
}

export const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** A parsed HTTP/1.1 response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The body as JSON, or null. */
  readonly json: { error?: string; message?: string; receipt?: Signed; files?: number } | null;
}

/** A TLS connection to a receiver that writes exactly what the test says and records every byte back. */
export class RawConnection {
  private data = Buffer.alloc(0);
  private readonly closed: Promise<void>;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, checkServerIdentity: () => undefined });
      socket.once('secureConnect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Everything received so far, as latin1 text. */
  text(): string {
    return this.data.toString('latin1');
  }

  /** Resolves once `text` was received (or rejects when the connection closes without it). */
  async waitFor(text: string, timeoutMs = 20_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      if (this.text().includes(text)) return;
      if (this.socket.destroyed) throw new Error(`connection closed before "${text}" arrived; got:\n${this.text()}`);
      if (Date.now() - started > timeoutMs) throw new Error(`"${text}" did not arrive within ${timeoutMs} ms; got:\n${this.text()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits until the receiver closes the connection, then parses the first final response. */
  async response(): Promise<RawResponse> {
    await this.closed;
    return parseResponse(this.text());
  }

  /** Waits until the receiver closes the connection; everything it sent, as text. */
  async untilClosed(): Promise<string> {
    await this.closed;
    return this.text();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The first final (non-1xx) response in `text`. */
export function parseResponse(text: string): RawResponse {
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`no complete response in:\n${text}`);
    const head = rest.slice(0, end).split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.slice(end + 4);
    if (status >= 100 && status < 200) continue;
    const length = Number(headers['content-length'] ?? rest.length);
    const body = rest.slice(0, length);
    let json: RawResponse['json'] = null;
    try {
      json = JSON.parse(body) as RawResponse['json'];
    } catch {
      json = null;
    }
    return { status, headers, body, json };
  }
}

/** Request head text: `METHOD PATH HTTP/1.1`, Host, the given headers, blank line. */
export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: receiver.test', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
