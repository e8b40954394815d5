// Holder side of an S3 destination: delivers with the presigned URLs from the ticket alone — no
// SDK, no credentials, plain node:http/https. HEAD says whether the object is there; PUT streams
// the blob (one request, Content-Length, within the bandwidth cap) and checks what S3 answers:
// the checksum it verified, else the ETag, which for a single-part PUT is the MD5 of the bytes.
//
// The bytes are hashed while they are sent, and the last chunk is held back until the SHA-256
// equals the blob ID: a damaged local copy is cut off short, so S3 discards it instead of storing it.

import { createHash } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { open } from 'node:fs/promises';
import { fromFsError, InswarmError } from '../errors.js';
import { S3_CONTINUE_WAIT_MS, S3_IDLE_TIMEOUT_MS, S3_MAX_ERROR_BODY_BYTES, S3_MAX_SINGLE_PUT_BYTES } from '../limits.js';
import { parseBlobId } from '../seal/blob-id.js';
import type { DeliveryClient, DeliveryProof, HeadResult, UploadRequest } from './client.js';

/** The header carrying the blob's SHA-256 on a presigned PUT; signed, so it must be sent as is. */
export const CHECKSUM_HEADER = 'x-amz-checksum-sha256';

/** The `x-amz-checksum-sha256` value of a blob: its ID (hex SHA-256) as base64. */
export function checksumOf(blobId: string): string {
  return Buffer.from(blobId, 'hex').toString('base64');
}

/** Bytes read and sent per chunk: large enough for throughput, small enough for a smooth bandwidth cap. */
const CHUNK_BYTES = 256 * 1024;

export interface S3PresignedClientOptions {
  /** How long a PUT waits for "100 Continue" before sending anyway. */
  readonly continueWaitMs?: number;
  /** No byte either way for this long fails the request. */
  readonly idleTimeoutMs?: number;
}

/** Delivers one blob to S3 through the presigned PUT and HEAD URLs of its ticket. */
export class S3PresignedClient implements DeliveryClient {
  private readonly put: URL;
  private readonly headUrl: URL;
  private readonly continueWaitMs: number;
  private readonly idleTimeoutMs: number;

  constructor(target: { readonly kind: 's3'; readonly put: string; readonly head: string }, options: S3PresignedClientOptions = {}) {
    this.put = parseTargetUrl(target.put, 'PUT');
    this.headUrl = parseTargetUrl(target.head, 'HEAD');
    this.continueWaitMs = options.continueWaitMs ?? S3_CONTINUE_WAIT_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? S3_IDLE_TIMEOUT_MS;
  }

  /** 200 = delivered (S3 signs no receipts), 404 = not yet; anything else throws with a sentence. */
  async head(blobId: string, signal?: AbortSignal): Promise<HeadResult> {
    const id = this.checkKey(blobId, this.headUrl);
    const req = this.request(this.headUrl, 'HEAD', {}, signal);
    req.end();
    const res = await responseOf(req, signal, this.idleTimeoutMs);
    const body = await readCapped(res);
    const status = res.statusCode ?? 0;
    if (status === 200) {
      // S3 reports the checksum it stored only on request; when it does, it must be this blob's.
      const stored = headerValue(res, CHECKSUM_HEADER);
      if (stored !== null && stored !== checksumOf(id)) {
        throw new InswarmError('E_DELIVERY_RECEIPT', `The bucket holds other bytes under blob ${id.slice(0, 12)}…'s name (checksum ${stored}): tell the destination's owner.`);
      }
      return { present: true, receipt: null };
    }
    if (status === 404) return { present: false };
    throw refusal(status, body, 'HEAD', id);
  }

  /** Streams the blob in one PUT and resolves with the ETag once S3 confirmed the bytes. */
  async upload(request: UploadRequest): Promise<DeliveryProof> {
    const id = this.checkKey(request.blobId, this.put);
    if (request.size > S3_MAX_SINGLE_PUT_BYTES) {
      throw new InswarmError('E_DELIVERY_REFUSED', `Blob ${id.slice(0, 12)}… is ${request.size} bytes, above the 5 GiB one S3 upload may carry: send it to an Inswarm receiver instead.`);
    }
    let file;
    try {
      file = await open(request.file, 'r');
    } catch (err) {
      throw fromFsError(err, `opening blob ${id.slice(0, 12)}… for delivery`);
    }
    let req: ClientRequest | undefined;
    try {
      const actual = (await file.stat()).size;
      if (actual !== request.size) {
        throw new InswarmError('E_PROTO_SIZE', `The blob file ${request.file} has ${actual} bytes but its ticket says ${request.size}: it was damaged; it will not be delivered.`);
      }
      req = this.request(this.put, 'PUT', { 'content-length': String(request.size), [CHECKSUM_HEADER]: checksumOf(id), expect: '100-continue' }, request.signal);
      const response = responseOf(req, request.signal, this.idleTimeoutMs);
      response.catch(() => undefined); // awaited below; a failure while sending must not go unhandled
      // Set synchronously when the answer arrives: an answer before the last byte is a refusal.
      let answered = false;
      req.once('response', () => (answered = true));

      // Send once the server says "go on", or after a short wait for servers that never do.
      const md5 = createHash('md5');
      const sha = createHash('sha256');
      let sent = 0;
      if (await waitForContinue(req, response, this.continueWaitMs)) {
        const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
        while (sent < request.size && !answered && !req.destroyed) {
          request.signal?.throwIfAborted();
          const want = Math.min(CHUNK_BYTES, request.size - sent);
          const { bytesRead } = await file.read(buffer, 0, want, sent);
          if (bytesRead === 0) throw new InswarmError('E_PROTO_SIZE', `The blob file ${request.file} ended after ${sent} of ${request.size} bytes while it was sent: it will not be delivered.`);
          const chunk = Buffer.from(buffer.subarray(0, bytesRead));
          md5.update(chunk);
          sha.update(chunk);
          if (sent + bytesRead === request.size && sha.digest('hex') !== id) {
            throw new InswarmError('E_BLOB_HASH', `Blob ${id.slice(0, 12)}… does not hash to its name here, so its upload was cut off before the end: this copy is damaged.`);
          }
          await request.throttle?.(bytesRead);
          if (answered || req.destroyed) break;
          if (!req.write(chunk)) await drained(req, () => answered);
          sent += bytesRead;
          request.onProgress?.(sent);
        }
      }
      const complete = sent === request.size;
      if (complete) req.end();
      const res = await response;
      const body = await readCapped(res);
      // Success needs every byte sent; an answer before that is a refusal (expired URL…).
      if (complete && res.statusCode === 200) return { kind: 's3', etag: checkAnswer(res, id, md5.digest('hex')) };
      req.destroy();
      throw refusal(res.statusCode ?? 0, body, 'PUT', id);
    } catch (err) {
      req?.destroy();
      if (request.signal?.aborted) throw new InswarmError('E_ABORTED', 'The S3 delivery was cancelled.', { cause: err });
      throw fromFsError(err, `reading blob ${id.slice(0, 12)}… for delivery`);
    } finally {
      await file.close();
    }
  }

  /** The URL's last path segment must be the blob: a ticket's URLs are for one object only. */
  private checkKey(blobId: string, url: URL): string {
    const id = parseBlobId(blobId);
    const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    let last: string;
    try {
      last = decodeURIComponent(segment);
    } catch {
      last = segment;
    }
    if (last !== id) {
      throw new InswarmError('E_DELIVERY_REFUSED', `The ticket's S3 URL names another object than blob ${id.slice(0, 12)}…: it was not sent.`);
    }
    return id;
  }

  private request(url: URL, method: 'HEAD' | 'PUT', headers: Record<string, string>, signal: AbortSignal | undefined): ClientRequest {
    signal?.throwIfAborted();
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers });
    req.setTimeout(this.idleTimeoutMs, () => req.destroy(new IdleTimeout()));
    return req;
  }
}

class IdleTimeout extends Error {}

/** Accepts only plain http(s) URLs without user info: anything else in a ticket is not a presigned URL. */
function parseTargetUrl(text: string, method: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InswarmError('E_DELIVERY_REFUSED', `The ticket's presigned ${method} URL is not a URL: the blob cannot be delivered to S3.`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    throw new InswarmError('E_DELIVERY_REFUSED', `The ticket's presigned ${method} URL is not a plain http(s) URL: the blob cannot be delivered to S3.`);
  }
  return url;
}

/** The response to `req`, with network failures, timeouts and aborts as sentences. */
function responseOf(req: ClientRequest, signal: AbortSignal | undefined, idleTimeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      req.destroy();
      reject(new InswarmError('E_ABORTED', 'The S3 delivery was cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res) => {
      signal?.removeEventListener('abort', onAbort);
      res.setTimeout(idleTimeoutMs, () => res.destroy(new IdleTimeout()));
      resolve(res);
    });
    req.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      const host = req.host;
      if (err instanceof IdleTimeout) {
        reject(new InswarmError('E_DELIVERY_FAILED', `The bucket at ${host} went silent for ${Math.round(idleTimeoutMs / 1000)} s: the delivery will be retried.`, { cause: err }));
      } else {
        const code = (err as NodeJS.ErrnoException).code ?? err.message;
        reject(new InswarmError('E_DELIVERY_FAILED', `Could not reach the bucket at ${host} (${code}): the delivery will be retried.`, { cause: err }));
      }
    });
  });
}

/** True once the body may be sent ("100 Continue", or the wait ran out); false when the server answered first. */
function waitForContinue(req: ClientRequest, response: Promise<IncomingMessage>, waitMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(true), waitMs);
    const onContinue = (): void => finish(true);
    const finish = (go: boolean): void => {
      clearTimeout(timer);
      req.off('continue', onContinue);
      resolve(go);
    };
    req.once('continue', onContinue);
    response.then(() => finish(false), (err: unknown) => {
      clearTimeout(timer);
      req.off('continue', onContinue);
      reject(err);
    });
  });
}

/** Waits until the socket takes more, or the request ended (an answer or an error ends the loop). */
function drained(req: ClientRequest, answered: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    // Those events may have passed during an earlier await: then there is nothing to wait for.
    if (answered() || req.destroyed || !req.writableNeedDrain) return resolve();
    const done = (): void => {
      req.off('drain', done);
      req.off('close', done);
      req.off('response', done);
      resolve();
    };
    req.once('drain', done);
    req.once('close', done);
    req.once('response', done);
  });
}

/** Reads an answer body up to S3_MAX_ERROR_BODY_BYTES (S3 sends small XML); the rest is dropped. */
async function readCapped(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (total < S3_MAX_ERROR_BODY_BYTES) chunks.push(chunk.subarray(0, S3_MAX_ERROR_BODY_BYTES - total));
      total += chunk.length;
    }
  } catch {
    // A broken answer body only loses the error detail; the status code still decides.
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headerValue(res: IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  return typeof value === 'string' ? value.trim() : null;
}

/**
 * S3's word that it has these bytes: the SHA-256 checksum it verified when it reports one (then the
 * ETag may be anything, e.g. with SSE-KMS), else an ETag equal to the MD5 of what we sent.
 */
function checkAnswer(res: IncomingMessage, id: string, md5: string): string {
  const etag = (headerValue(res, 'etag') ?? '').replace(/^W\//, '').replace(/"/g, '').toLowerCase();
  const checksum = headerValue(res, CHECKSUM_HEADER);
  if (checksum !== null) {
    if (checksum !== checksumOf(id)) {
      throw new InswarmError('E_DELIVERY_RECEIPT', `The bucket stored blob ${id.slice(0, 12)}… with another checksum (${checksum}): the delivery is not trusted and will be retried.`);
    }
    return etag;
  }
  if (etag !== md5) {
    throw new InswarmError('E_DELIVERY_RECEIPT', `The bucket answered blob ${id.slice(0, 12)}…'s upload with ETag "${etag.slice(0, 80)}", not the MD5 of the bytes sent (${md5}): the delivery is not trusted and will be retried.`);
  }
  return etag;
}

/** A sentence for an S3 answer other than success, naming S3's error code when it sent one. */
function refusal(status: number, body: string, method: 'HEAD' | 'PUT', id: string): InswarmError {
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]{1,200})<\/Message>/.exec(body)?.[1];
  const what = `${code ?? `HTTP ${status}`}${message ? `: ${message}` : ''}`;
  const blob = `blob ${id.slice(0, 12)}…`;
  if (status === 403) {
    return new InswarmError('E_DELIVERY_REFUSED', `The bucket refused the presigned ${method} URL for ${blob} (${what}): it expired or is not valid; the origin must issue a new ticket.`);
  }
  if (status === 301 || status === 307 || status === 308) {
    return new InswarmError('E_DELIVERY_REFUSED', `The bucket redirected the presigned ${method} for ${blob} (${what}): the URL was signed for the wrong region or endpoint.`);
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new InswarmError('E_DELIVERY_REFUSED', `The bucket refused the ${method} of ${blob} (${what}): it will not be retried with this ticket.`);
  }
  return new InswarmError('E_DELIVERY_FAILED', `The bucket failed the ${method} of ${blob} (${what}): the delivery will be retried.`);
}
