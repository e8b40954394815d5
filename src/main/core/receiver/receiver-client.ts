// The deliverer's side of a home receiver: HEAD and PUT over HTTPS with the receiver's certificate
// pinned. The TLS handshake finishes on its own first; the certificate must hash to the receiverId
// the ticket (or card) names before a single HTTP byte is written, so a blob and its ticket never
// reach a machine that merely answers at the receiver's address. Uploads ask first
// (Expect: 100-continue), so a refusal costs no body bytes.

import { open } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { InswarmError, fromFsError } from '../errors.js';
import { deviceIdFromCertDer, parseDeviceId, shortDeviceId } from '../identity/device-id.js';
import { BLOB_ID_PATTERN, RECEIVER_CLIENT_CONNECT_TIMEOUT_MS, RECEIVER_CLIENT_IDLE_TIMEOUT_MS, RECEIVER_CLIENT_MAX_ANSWER_BYTES } from '../limits.js';
import type { Signed } from '../protocol/messages.js';
import { verifyDeliveryReceipt } from '../protocol/signed.js';
import type { DeliveryClient, DeliveryProof, HeadResult, UploadRequest } from '../delivery/client.js';
import type { ErrorCode } from '../../../shared/error-codes.js';
import { RECEIPT_HEADER, TICKET_HEADER, blobPath, decodeSignedHeader, encodeSignedHeader, parseAnswer, parseRetryAfter } from './receiver-protocol.js';

/** TLS 1.3 only, as the receiver serves. */
const TLS_VERSION = 'TLSv1.3';
/** Bytes per read of the blob file: a few age chunks, so throttle and progress stay fine-grained. */
const UPLOAD_CHUNK_BYTES = 256 * 1024;

/** A receiver's address as a ticket or card carries it. */
export interface ReceiverTarget {
  /** `https://host:port` */
  readonly url: string;
  /** The device ID its TLS certificate must hash to; it also signs the receipts. */
  readonly receiverId: string;
}

export interface ReceiverClientInit {
  readonly connectTimeoutMs?: number;
  /** No byte either way for this long fails the request (E_DELIVERY_FAILED). */
  readonly idleTimeoutMs?: number;
  /** Clock for receipt checks (a receipt from the future is refused). */
  readonly now?: () => number;
}

/**
 * A delivery that failed or was refused. `code` is E_DELIVERY_FAILED (retry later, after
 * `retryAfterMs` when the receiver said so) or E_DELIVERY_REFUSED (retrying the same upload will
 * not help); `status` is the HTTP status when there was one, `remoteCode` the receiver's own code.
 */
export class ReceiverDeliveryError extends InswarmError {
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly remoteCode: ErrorCode | null;

  constructor(code: 'E_DELIVERY_FAILED' | 'E_DELIVERY_REFUSED', message: string, details: { status?: number | null; retryAfterMs?: number | null; remoteCode?: ErrorCode | null; cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ReceiverDeliveryError';
    this.status = details.status ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.remoteCode = details.remoteCode ?? null;
  }
}

/** An answer read whole (bounded). */
interface Response {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export class ReceiverClient implements DeliveryClient {
  readonly receiverId: string;
  private readonly host: string;
  private readonly port: number;
  private readonly where: string;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly now: () => number;

  constructor(target: ReceiverTarget, init: ReceiverClientInit = {}) {
    this.receiverId = parseDeviceId(target.receiverId);
    const url = parseReceiverUrl(target.url);
    this.host = url.host;
    this.port = url.port;
    this.where = url.text;
    this.connectTimeoutMs = init.connectTimeoutMs ?? RECEIVER_CLIENT_CONNECT_TIMEOUT_MS;
    this.idleTimeoutMs = init.idleTimeoutMs ?? RECEIVER_CLIENT_IDLE_TIMEOUT_MS;
    this.now = init.now ?? Date.now;
  }

  /** Asks whether the blob arrived; a 200 must carry a receipt signed by this receiver for this blob. */
  async head(blobId: string, signal?: AbortSignal): Promise<HeadResult> {
    checkBlobId(blobId);
    const socket = await this.connect(signal);
    const response = await this.exchange(socket, 'HEAD', blobId, {}, signal, null);
    if (response.status === 404) return { present: false };
    if (response.status !== 200) throw this.failure(response);
    let receipt: Signed;
    try {
      receipt = decodeSignedHeader(response.headers[RECEIPT_HEADER], 'Inswarm-Receipt');
      verifyDeliveryReceipt(receipt, { expectedReceiver: this.receiverId, expectedBlobId: blobId, now: this.now() });
    } catch (err) {
      throw new InswarmError('E_DELIVERY_RECEIPT', `The receiver at ${this.where} says it has blob ${blobId.slice(0, 12)}… but its receipt does not check out (${(err as Error).message}).`, { cause: err });
    }
    return { present: true, receipt };
  }

  /** Uploads the blob; resolves with a receipt that verified for this receiver, blob and size. */
  async upload(request: UploadRequest): Promise<DeliveryProof> {
    const { blobId, size, signal } = request;
    checkBlobId(blobId);
    if (request.ticket === null) throw new InswarmError('E_USAGE', 'A delivery to a receiver needs the origin\'s ticket.');
    const file = await open(request.file, 'r').catch((err: unknown) => {
      throw fromFsError(err, `reading blob ${blobId.slice(0, 12)}… to deliver it`);
    });
    try {
      const actual = (await file.stat()).size;
      if (actual !== size) throw new InswarmError('E_BLOB_HASH', `The blob file ${request.file} has ${actual} bytes, not the ${size} its ticket names: it was damaged; it is not sent.`);
      const socket = await this.connect(signal);
      const headers = {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size),
        Expect: '100-continue',
        [TICKET_HEADER]: encodeSignedHeader(request.ticket),
      };
      const response = await this.exchange(socket, 'PUT', blobId, headers, signal, async (write) => {
        const buffer = () => Buffer.allocUnsafe(Math.min(UPLOAD_CHUNK_BYTES, size));
        let sent = 0;
        while (sent < size) {
          signal?.throwIfAborted();
          const chunk = buffer();
          const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, size - sent), sent);
          if (bytesRead === 0) throw new InswarmError('E_BLOB_HASH', `The blob file ${request.file} shrank while it was being sent.`);
          await request.throttle?.(bytesRead);
          if (!(await write(chunk.subarray(0, bytesRead)))) return; // the receiver answered early
          sent += bytesRead;
          request.onProgress?.(sent);
        }
      });
      if (response.status !== 200 && response.status !== 201) throw this.failure(response);
      const answer = parseAnswer(response.body);
      if (answer.receipt === null) {
        throw new InswarmError('E_DELIVERY_RECEIPT', `The receiver at ${this.where} accepted blob ${blobId.slice(0, 12)}… but sent no well-formed receipt.`);
      }
      try {
        verifyDeliveryReceipt(answer.receipt, { expectedReceiver: this.receiverId, expectedBlobId: blobId, expectedSize: size, now: this.now() });
      } catch (err) {
        throw new InswarmError('E_DELIVERY_RECEIPT', `The receiver at ${this.where} accepted blob ${blobId.slice(0, 12)}… but its receipt does not check out (${(err as Error).message}).`, { cause: err });
      }
      return { kind: 'receipt', receipt: answer.receipt };
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  /**
   * Opens TLS to the receiver and checks its certificate against receiverId on 'secureConnect',
   * before anything else is written. E_RECEIVER_PIN for another certificate.
   */
  private connect(signal: AbortSignal | undefined): Promise<TLSSocket> {
    return new Promise<TLSSocket>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(this.aborted(signal.reason));
        return;
      }
      const socket = tlsConnect({
        host: this.host,
        port: this.port,
        ...(isIpLiteral(this.host) ? {} : { servername: this.host }),
        minVersion: TLS_VERSION,
        maxVersion: TLS_VERSION,
        ALPNProtocols: ['http/1.1'],
        // The certificate is self-signed: no CA vouches for it. The pin below is the check.
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
      let settled = false;
      const timer = setTimeout(
        () => fail(new ReceiverDeliveryError('E_DELIVERY_FAILED', `The receiver at ${this.where} did not answer within ${Math.round(this.connectTimeoutMs / 1000)} s: it may be off or unreachable from here; it will be tried again.`)),
        this.connectTimeoutMs,
      );
      const onAbort = () => fail(this.aborted(signal?.reason));
      const onError = (err: Error) => fail(new ReceiverDeliveryError('E_DELIVERY_FAILED', `Could not reach the receiver at ${this.where} (${describeNetError(err)}): it will be tried again.`, { cause: err }));
      const onClose = () => fail(new ReceiverDeliveryError('E_DELIVERY_FAILED', `The receiver at ${this.where} closed the connection during the TLS handshake: it will be tried again.`));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', onError);
      socket.once('close', onClose);
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        socket.off('close', onClose);
      };
      function fail(err: Error): void {
        if (settled) return;
        cleanup();
        socket.on('error', () => undefined);
        socket.destroy();
        reject(err);
      }
      socket.once('secureConnect', () => {
        if (settled) return;
        const raw = socket.getPeerCertificate().raw as Buffer | undefined;
        const presented = raw === undefined || raw.length === 0 ? undefined : deviceIdFromCertDer(raw);
        if (presented !== this.receiverId) {
          const found = presented === undefined ? 'no certificate' : `the certificate of device ${shortDeviceId(presented)}`;
          fail(
            new InswarmError(
              'E_RECEIVER_PIN',
              `The server at ${this.where} is not receiver ${shortDeviceId(this.receiverId)} (it presented ${found}), so nothing was sent: check the destination card, or whether the address now belongs to another machine.`,
            ),
          );
          return;
        }
        cleanup();
        resolve(socket);
      });
    });
  }

  /**
   * One request over a pinned socket, answered whole. With `send`, the body goes only after the
   * receiver's 100 Continue; `send` gets a `write` that resolves false once the receiver answered
   * early (a refusal mid-upload), and then stops.
   */
  private exchange(
    socket: TLSSocket,
    method: 'HEAD' | 'PUT',
    blobId: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    send: ((write: (chunk: Buffer) => Promise<boolean>) => Promise<void>) | null,
  ): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let answered = false;
      let release = (): void => undefined;
      const req = httpsRequest({
        // The socket is connected and pinned already; no agent, no second connection.
        createConnection: () => socket,
        host: this.host,
        port: this.port,
        method,
        path: blobPath(blobId),
        headers: { ...headers, Connection: 'close' },
      });
      const done = (err: Error | null, response?: Response): void => {
        if (settled) return;
        settled = true;
        release();
        signal?.removeEventListener('abort', onAbort);
        socket.setTimeout(0);
        if (err !== null) {
          req.on('error', () => undefined);
          req.destroy();
          socket.destroy();
          reject(err);
        } else {
          socket.destroy();
          resolve(response!);
        }
      };
      const onAbort = () => done(this.aborted(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.setTimeout(this.idleTimeoutMs, () =>
        done(new ReceiverDeliveryError('E_DELIVERY_FAILED', `The receiver at ${this.where} stopped answering for ${Math.round(this.idleTimeoutMs / 1000)} s: it will be tried again.`)),
      );
      req.on('error', (err: Error) => {
        if (isInswarmError(err)) done(err);
        else done(new ReceiverDeliveryError('E_DELIVERY_FAILED', `The connection to the receiver at ${this.where} broke (${describeNetError(err)}): it will be tried again.`, { cause: err }));
      });
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        release();
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > RECEIVER_CLIENT_MAX_ANSWER_BYTES) {
            done(new InswarmError('E_DELIVERY_RECEIPT', `The receiver at ${this.where} sent an answer larger than ${RECEIVER_CLIENT_MAX_ANSWER_BYTES} bytes; it was not read.`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: Error) => done(new ReceiverDeliveryError('E_DELIVERY_FAILED', `The answer from the receiver at ${this.where} broke off (${describeNetError(err)}).`, { cause: err })));
        res.on('end', () => done(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      if (send === null) {
        req.end();
        return;
      }
      req.flushHeaders();
      // One write may wait for 'drain' at a time; an early answer or the end releases it with false.
      let waiting: ((more: boolean) => void) | null = null;
      release = () => {
        const w = waiting;
        waiting = null;
        w?.(false);
      };
      req.on('drain', () => {
        const w = waiting;
        waiting = null;
        w?.(true);
      });
      const write = (chunk: Buffer): Promise<boolean> => {
        if (settled || answered) return Promise.resolve(false);
        if (req.write(chunk)) return Promise.resolve(true);
        return new Promise<boolean>((resolveWrite) => {
          waiting = resolveWrite;
        });
      };
      req.once('continue', () => {
        send(write).then(
          () => {
            if (!settled && !answered) req.end();
          },
          (err: unknown) => done(isInswarmError(err) ? err : new ReceiverDeliveryError('E_DELIVERY_FAILED', `Sending to the receiver at ${this.where} failed (${(err as Error).message}).`, { cause: err })),
        );
      });
    });
  }

  /** Maps a refusal to a coded error carrying the receiver's sentence. */
  private failure(response: Response): InswarmError {
    const answer = parseAnswer(response.body);
    const said = answer.message ?? `HTTP ${response.status}`;
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    const details = { status, retryAfterMs, remoteCode: answer.error };
    // Busy, a timeout, or trouble on the receiver's side: the same upload may succeed later.
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      return new ReceiverDeliveryError('E_DELIVERY_FAILED', `The receiver at ${this.where} could not take the blob now (${status}): ${said}`, details);
    }
    return new ReceiverDeliveryError('E_DELIVERY_REFUSED', `The receiver at ${this.where} refused the blob (${status}${answer.error === null ? '' : ` ${answer.error}`}): ${said}`, details);
  }

  private aborted(reason: unknown): InswarmError {
    return new InswarmError('E_ABORTED', `The delivery to the receiver at ${this.where} was cancelled.`, { cause: reason });
  }
}

/** `https://host[:port]` with nothing else: no path beyond "/", no query, no credentials. */
export function parseReceiverUrl(text: string): { host: string; port: number; text: string } {
  const bad = (why: string) => new InswarmError('E_BAD_CARD', `"${String(text).slice(0, 200)}" is not a receiver address (${why}): it should look like https://192.168.1.10:22101.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('it is not a URL');
  }
  if (url.protocol !== 'https:') throw bad('receivers speak https only');
  if (url.username !== '' || url.password !== '') throw bad('it carries credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') throw bad('it has a path, query or fragment');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw bad('it names no host');
  return { host, port: url.port === '' ? 443 : Number(url.port), text: url.origin };
}

function checkBlobId(blobId: string): void {
  if (typeof blobId !== 'string' || !BLOB_ID_PATTERN.test(blobId)) {
    throw new InswarmError('E_BLOB_ID', `"${String(blobId).slice(0, 80)}" is not a blob ID (64 lowercase hex characters).`);
  }
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

function isInswarmError(err: unknown): err is InswarmError {
  return err instanceof InswarmError;
}

function describeNetError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === undefined ? err.message : code;
}
