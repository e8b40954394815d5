// A gate in front of s3rver that does two things S3 does and s3rver does not: it checks presigned
// URLs' SigV4 signatures (s3rver only checks the key ID and expiry), and it stores a presigned PUT
// only once its whole body arrived (S3 PUTs are atomic; s3rver writes bytes as they come, so a cut
// upload would leave a partial object there). Written from the spec (AWS "Authenticating
// requests: using query parameters"), independently of the SDK that signs our URLs; the tests
// check it against URLs signed by the `aws` CLI (botocore) too. Requests without a query
// signature (the SDK's header-signed calls) pass through unchanged.

import { createHash, createHmac } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SigV4Proxy {
  readonly endpoint: string;
  /** Requests refused for a bad signature, for assertions. */
  readonly refused: string[];
  /** Presigned PUTs whose body ended before its Content-Length (dropped, as S3 drops them). */
  readonly incomplete: string[];
  close(): Promise<void>;
}

const encode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** True when `req`'s presigned query carries a valid SigV4 signature by `secret`. */
export function verifyPresigned(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, secret: string): boolean {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams;
  const signature = q.get('X-Amz-Signature');
  const credential = q.get('X-Amz-Credential');
  const date = q.get('X-Amz-Date');
  const signedHeaders = q.get('X-Amz-SignedHeaders');
  if (!signature || !credential || !date || !signedHeaders || q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return false;
  const [, day, region, service, terminator] = credential.split('/');
  if (!day || !region || !service || terminator !== 'aws4_request') return false;

  const path = url.pathname.split('/').map((segment) => encode(decodeURIComponent(segment))).join('/');
  const query = [...q.entries()]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const names = signedHeaders.split(';');
  const headers = names.map((name) => {
    const value = req.headers[name];
    const text = Array.isArray(value) ? value.join(',') : (value ?? '');
    return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
  });
  const payload = q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const canonical = [req.method ?? 'GET', path, query, headers.join(''), signedHeaders, payload].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature;
}

/** Bodies buffered before forwarding stay below this (test blobs are a few MiB). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Listens on 127.0.0.1 and forwards to `upstreamPort` every request whose presigned signature (if any) checks out. */
export async function startSigV4Proxy(upstreamPort: number, secret: string): Promise<SigV4Proxy> {
  const refused: string[] = [];
  const incomplete: string[] = [];
  const server: Server = createServer((req, res) => {
    const presigned = new URL(req.url ?? '/', 'http://x').searchParams.has('X-Amz-Signature');
    if (presigned && !verifyPresigned(req, secret)) {
      refused.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml', connection: 'close' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>');
      return;
    }
    const forward = (body: Buffer | null): void => {
      // The gate answered "100 Continue" itself; a buffered body goes upstream without waiting.
      const headers = { ...req.headers };
      if (body !== null) delete headers['expect'];
      const upstream = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      if (body === null) {
        req.on('aborted', () => upstream.destroy());
        req.pipe(upstream);
      } else {
        upstream.end(body);
      }
    };
    if (!(presigned && req.method === 'PUT')) return forward(null);
    const expected = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_BUFFERED_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (received === expected && received <= MAX_BUFFERED_BYTES) return forward(Buffer.concat(chunks));
      incomplete.push(`${req.method} ${req.url}`);
      res.writeHead(400, { 'content-type': 'application/xml', connection: 'close' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>IncompleteBody</Code><Message>You did not provide the number of bytes specified by the Content-Length HTTP header.</Message></Error>');
    });
    req.on('aborted', () => incomplete.push(`${req.method} ${req.url}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refused,
    incomplete,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
