// The home receiver: an HTTPS server that takes blobs from whoever reaches home first (the origin
// or a volunteer holding a replica), checks everything it can from the headers before it reads one
// body byte, receives with SHA-256 on the fly within a shared rate cap, opens the blob into the
// photo library, keeps it durably, records it, and only then signs a delivery receipt.
//
// Its TLS certificate and its receipt-signing key are the device identity of its data folder, so
// the receiverId a destination card carries pins both. Route, header and answer formats are in
// receiver-protocol.ts; every refusal is JSON {error, message} with a fitting status.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../../../shared/error-codes.js';
import { InswarmError, isInswarmError } from '../errors.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import { shortDeviceId } from '../identity/device-id.js';
import type { Ledger } from '../ledger/ledger.js';
import {
  RECEIVER_HEADERS_TIMEOUT_MS,
  RECEIVER_IDLE_TIMEOUT_MS,
  RECEIVER_KEEP_ALIVE_TIMEOUT_MS,
  RECEIVER_MAX_BLOB_BYTES,
  RECEIVER_MAX_CONCURRENT_UPLOADS,
  RECEIVER_MAX_CONNECTIONS,
  RECEIVER_MAX_HEADER_BYTES,
  RECEIVER_MAX_HEADERS_COUNT,
  RECEIVER_REFUSAL_DISCARD_BYTES,
  RECEIVER_REFUSAL_LINGER_MS,
  RECEIVER_RETRY_AFTER_S,
} from '../limits.js';
import type { Signed } from '../protocol/messages.js';
import { TicketExpiredError, signDeliveryReceipt, verifyTicket, type Ticket } from '../protocol/signed.js';
import type { X25519Identity } from '../seal/age-keys.js';
import { BlobStore } from '../store/blob-store.js';
import { TokenBucket } from '../swarm/token-bucket.js';
import {
  TICKET_HEADER,
  RECEIPT_HEADER,
  acceptedBody,
  decodeSignedHeader,
  encodeSignedHeader,
  parseRoute,
  refusalBody,
  statusForOpenError,
} from './receiver-protocol.js';
import { ReceiverStore, type ReceivedRow } from './receiver-store.js';

/** TLS 1.3 only, like peer links: every deliverer is an Inswarm build (or a current curl). */
const TLS_VERSION = 'TLSv1.3';
/** How often Node checks headersTimeout; its default (30 s) would let slow headers live 3× longer than allowed. */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/** What the receiver needs of the photo library (core/library/library.ts implements it). */
export interface LibraryOpener {
  open(
    blobPath: string,
    options: { identities: readonly X25519Identity[]; expectedId?: string; signal?: AbortSignal },
  ): Promise<{ readonly files: readonly unknown[]; readonly added: number; readonly duplicates: number }>;
}

export interface ReceiverParts {
  /** The data folder's device identity: TLS certificate and receipt signer. */
  readonly identity: DeviceIdentity;
  readonly ledger: Ledger;
  /** Opens verified blobs into the owner's photo library. */
  readonly library: LibraryOpener;
  /** The destination's age identities (from `inswarm keygen`). */
  readonly identities: readonly X25519Identity[];
  /** `<data>/received`: received blobs, kept durably by ID; its tmp/ holds uploads in progress. */
  readonly receivedDir: string;
  readonly now?: () => number;
}

/** Limits and knobs; each defaults to its constant in limits.ts. */
export interface ReceiverInit {
  readonly maxBlobBytes?: number;
  readonly maxConcurrentUploads?: number;
  /** An upload with no byte for this long is dropped (408). */
  readonly idleTimeoutMs?: number;
  /** Total receive rate over all uploads, bytes per second; null for no cap. */
  readonly rateBytesPerSec?: number | null;
  readonly headersTimeoutMs?: number;
  readonly maxConnections?: number;
  readonly refusalLingerMs?: number;
  /** One line per accepted or refused upload, for the terminal. */
  readonly log?: (line: string) => void;
}

export interface ReceiverAddress {
  readonly host: string;
  readonly port: number;
}

/** A refusal on its way to the client: status, code, sentence and any extra headers. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** What the current PUT is known to be about, for its log event. */
interface UploadContext {
  blobId: string;
  origin: string | null;
}

export class ReceiverServer {
  readonly store: ReceiverStore;
  private readonly blobs: BlobStore;
  private readonly bucket: TokenBucket;
  private readonly now: () => number;
  private readonly limits: Required<Omit<ReceiverInit, 'rateBytesPerSec' | 'log'>>;
  private readonly log: (line: string) => void;
  private server: Server | null = null;
  private address: ReceiverAddress | null = null;
  /** Blobs being received right now: a second upload of one of them waits (409). */
  private readonly uploading = new Set<string>();
  private readonly handlers = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  /** Sockets the parser refused and that were answered; they are closed after a linger. */
  private readonly answered = new WeakSet<Duplex>();
  /** The responses not yet sent on each connection (pipelined ones too): a refusal of what follows them waits for them. */
  private readonly inFlight = new WeakMap<Duplex, Set<Promise<void>>>();

  constructor(
    private readonly parts: ReceiverParts,
    init: ReceiverInit = {},
  ) {
    this.now = parts.now ?? Date.now;
    this.store = new ReceiverStore(parts.ledger, this.now);
    this.blobs = new BlobStore(parts.receivedDir);
    this.bucket = new TokenBucket(init.rateBytesPerSec ?? null);
    this.log = init.log ?? (() => undefined);
    this.limits = {
      maxBlobBytes: init.maxBlobBytes ?? RECEIVER_MAX_BLOB_BYTES,
      maxConcurrentUploads: init.maxConcurrentUploads ?? RECEIVER_MAX_CONCURRENT_UPLOADS,
      idleTimeoutMs: init.idleTimeoutMs ?? RECEIVER_IDLE_TIMEOUT_MS,
      headersTimeoutMs: init.headersTimeoutMs ?? RECEIVER_HEADERS_TIMEOUT_MS,
      maxConnections: init.maxConnections ?? RECEIVER_MAX_CONNECTIONS,
      refusalLingerMs: init.refusalLingerMs ?? RECEIVER_REFUSAL_LINGER_MS,
    };
  }

  /** This receiver's device ID: what destination cards carry as receiverId. */
  get receiverId(): string {
    return this.parts.identity.deviceId;
  }

  /** Changes the shared receive-rate cap; uploads in progress pick it up at once. */
  setRate(bytesPerSec: number | null): void {
    this.bucket.setRate(bytesPerSec);
  }

  /**
   * Clears what a crash left in the received store (temp files; files without a row are set
   * aside), then listens. Idempotent: a second call returns the bound address.
   */
  async start(listen: ReceiverAddress): Promise<ReceiverAddress> {
    if (this.address !== null) return this.address;
    const report = await this.blobs.reconcile(this.store.allReceived());
    if (report.tempsRemoved + report.lost.length + report.quarantined.length > 0) {
      this.parts.ledger.appendEvent('receiver:reconciled', { tempsRemoved: report.tempsRemoved, lost: report.lost.length, quarantined: report.quarantined.length });
    }
    const { identity } = this.parts;
    const server = createServer({
      key: identity.keyPem,
      cert: identity.certPem,
      minVersion: TLS_VERSION,
      handshakeTimeout: this.limits.headersTimeoutMs,
      maxHeaderSize: RECEIVER_MAX_HEADER_BYTES,
      headersTimeout: this.limits.headersTimeoutMs,
      // No cap on a whole request: a large video at a capped rate takes hours. Stalled senders
      // are stopped by the idle timeout instead, slow headers by headersTimeout.
      requestTimeout: 0,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
    });
    server.keepAliveTimeout = RECEIVER_KEEP_ALIVE_TIMEOUT_MS;
    server.maxConnections = this.limits.maxConnections;
    server.maxHeadersCount = RECEIVER_MAX_HEADERS_COUNT;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.track(req, res, this.handle(req, res, false)));
    // With this listener Node does not answer 100 Continue itself: a deliverer that asks first
    // sends no body byte until every header check has passed.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.track(req, res, this.handle(req, res, true)));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    // A failed TLS handshake has nobody to answer; the socket is already gone.
    server.on('tlsClientError', () => undefined);
    server.listen(listen.port, listen.host);
    try {
      await once(server, 'listening');
    } catch (err) {
      throw new InswarmError('E_IO', `The receiver could not listen on ${listen.host}:${listen.port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): choose another --listen address or port.`, { cause: err });
    }
    const bound = server.address() as AddressInfo;
    this.server = server;
    this.address = { host: bound.address, port: bound.port };
    return this.address;
  }

  /** Stops listening, cancels uploads in progress (their temp files are removed) and waits for them. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    this.stopping.abort(new InswarmError('E_ABORTED', 'The receiver is stopping.'));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await Promise.allSettled([...this.handlers]);
    await closed;
    this.address = null;
  }

  private track(req: IncomingMessage, res: ServerResponse, handler: Promise<void>): void {
    this.handlers.add(handler);
    void handler.finally(() => this.handlers.delete(handler));
    // Answered means the response is flushed (or its socket gone), not only the handler done: Node
    // writes a pipelined request's response once the one before it has finished.
    const answered = new Promise<void>((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
    });
    const open = this.inFlight.get(req.socket) ?? new Set<Promise<void>>();
    open.add(answered);
    this.inFlight.set(req.socket, open);
    void answered.then(() => open.delete(answered));
  }

  /** One request, start to answer; never rejects. */
  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const upload: UploadContext | null = req.method === 'PUT' ? { blobId: '', origin: null } : null;
    try {
      const route = parseRoute(req.url);
      if (route.kind === 'unknown') throw new Refusal(404, 'E_NOT_FOUND', 'There is nothing here: an Inswarm receiver serves only /v1/blobs/<blob ID>.');
      if (req.method !== 'HEAD' && req.method !== 'PUT') {
        throw new Refusal(405, 'E_USAGE', `${String(req.method).slice(0, 16)} is not allowed here: use HEAD to ask for a blob or PUT to deliver one.`, { Allow: 'HEAD, PUT' });
      }
      if (route.kind === 'bad-id') throw new Refusal(400, 'E_BLOB_ID', `"${route.text}" is not a blob ID (64 lowercase hex characters).`);
      if (upload === null) return this.head(route.blobId, res);
      upload.blobId = route.blobId;
      await this.put(route.blobId, req, res, expectsContinue, upload);
    } catch (err) {
      const refusal = toRefusal(err);
      if (upload !== null && upload.blobId !== '') this.logRefusal(upload, refusal);
      this.answer(req, res, refusal.status, refusalBody(refusal.code, refusal.message), refusal.headers);
    }
  }

  /** HEAD: 200 with a fresh receipt when the blob arrived, so a late deliverer still gets proof. */
  private head(blobId: string, res: ServerResponse): void {
    const row = this.store.received(blobId);
    if (row === undefined) {
      res.writeHead(404, { 'Cache-Control': 'no-store' });
    } else {
      res.writeHead(200, { 'Cache-Control': 'no-store', [RECEIPT_HEADER]: encodeSignedHeader(this.receipt(row)) });
    }
    res.end();
  }

  /** PUT: every header check, in order, before the body is touched; then receive, open, keep, sign. */
  private async put(blobId: string, req: IncomingMessage, res: ServerResponse, expectsContinue: boolean, upload: UploadContext): Promise<void> {
    const size = this.declaredSize(req);
    const ticket = this.checkTicket(req, blobId, size);
    upload.origin = ticket.origin;
    if (!this.store.isEnrolled(ticket.origin)) {
      throw new Refusal(403, 'E_NOT_ENROLLED', `The origin device ${shortDeviceId(ticket.origin)} is not enrolled with this receiver: its owner runs "inswarm receive enroll ${ticket.origin}" on the receiver.`);
    }
    const known = this.store.received(blobId);
    if (known !== undefined) {
      // Idempotent: the blob is here already. Answer with proof and leave the body unread.
      this.parts.ledger.appendEvent('receiver:already', { blobId, origin: ticket.origin });
      this.answer(req, res, 200, acceptedBody(this.receipt(known), known.fileCount));
      return;
    }
    const retry = { 'Retry-After': String(RECEIVER_RETRY_AFTER_S) };
    if (this.uploading.has(blobId)) throw new Refusal(409, 'E_DELIVERY_FAILED', 'This blob is being delivered by another connection right now: try again shortly.', retry);
    if (this.uploading.size >= this.limits.maxConcurrentUploads) {
      throw new Refusal(503, 'E_DELIVERY_FAILED', `The receiver is taking ${this.limits.maxConcurrentUploads} uploads already: try again shortly.`, retry);
    }
    this.uploading.add(blobId);
    try {
      if (expectsContinue) res.writeContinue();
      const { row, added, duplicates } = await this.receive(blobId, size, ticket, req);
      this.log(`Received ${blobId.slice(0, 12)}… (${size} bytes) from ${shortDeviceId(ticket.origin)}: ${added} new file(s), ${duplicates} already in the library.`);
      this.answer(req, res, 201, acceptedBody(this.receipt(row), row.fileCount));
    } finally {
      this.uploading.delete(blobId);
    }
  }

  /** Content-Length, required (no chunked bodies: the size is checked before reading) and within the limit. */
  private declaredSize(req: IncomingMessage): number {
    if (req.headers['transfer-encoding'] !== undefined) {
      throw new Refusal(411, 'E_PROTO_MALFORMED', 'Chunked uploads are refused: send the blob with a Content-Length.');
    }
    const text = req.headers['content-length'];
    if (text === undefined) throw new Refusal(411, 'E_PROTO_MALFORMED', 'The upload has no Content-Length: send the blob with its size.');
    if (!/^\d{1,16}$/.test(text)) throw new Refusal(400, 'E_PROTO_MALFORMED', 'The Content-Length is not a whole number of bytes.');
    const size = Number(text);
    if (size === 0) throw new Refusal(400, 'E_PROTO_SIZE', 'The upload is empty: a blob has at least one byte.');
    if (size > this.limits.maxBlobBytes) {
      throw new Refusal(413, 'E_PROTO_LIMIT', `The blob is ${size} bytes, more than the ${this.limits.maxBlobBytes} bytes this receiver accepts.`);
    }
    return size;
  }

  /** The origin's ticket: genuine, current, for this blob and size, and meant for this receiver. */
  private checkTicket(req: IncomingMessage, blobId: string, size: number): Ticket {
    const header = req.headers[TICKET_HEADER];
    if (header === undefined) {
      throw new Refusal(401, 'E_PROTO_TICKET', 'The upload carries no ticket: a deliverer sends the origin\'s signed ticket in the Inswarm-Ticket header.', { 'WWW-Authenticate': 'Inswarm-Ticket' });
    }
    let signed: Signed;
    try {
      signed = decodeSignedHeader(header, 'Inswarm-Ticket');
    } catch (err) {
      throw new Refusal(400, 'E_PROTO_MALFORMED', (err as Error).message);
    }
    let ticket: Ticket;
    try {
      ticket = verifyTicket(signed, { now: this.now(), expectedBlobId: blobId });
    } catch (err) {
      if (err instanceof TicketExpiredError || isInswarmError(err)) throw new Refusal(403, 'E_PROTO_TICKET', err.message);
      throw err;
    }
    if (ticket.size !== size) {
      throw new Refusal(400, 'E_PROTO_SIZE', `The Content-Length (${size} bytes) is not the blob's size in its ticket (${ticket.size} bytes).`);
    }
    const target = ticket.target;
    // Only tickets the origin made out to this receiver: a ticket for another destination (or
    // one taken from a holder bound elsewhere) is not replayed here.
    if (target['kind'] !== 'receiver' || target['receiverId'] !== this.receiverId) {
      throw new Refusal(403, 'E_PROTO_TICKET', 'The ticket names another destination, not this receiver: deliver the blob where its ticket says.');
    }
    return ticket;
  }

  /**
   * Streams the body into a temp file with SHA-256 and a byte count, within the shared rate cap
   * and the idle timeout; then size and hash must match, the file is synced, opened into the
   * library, committed to the received store, and recorded. Any failure leaves no temp behind.
   */
  private async receive(blobId: string, size: number, ticket: Ticket, req: IncomingMessage): Promise<{ row: ReceivedRow; added: number; duplicates: number }> {
    const signal = this.stopping.signal;
    const temp = await this.blobs.createTemp();
    let open = true;
    let committed = false;
    try {
      const hash = createHash('sha256');
      let received = 0;
      const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      for (;;) {
        const next = await this.nextWithin(chunks, received, size);
        if (next.done === true) break;
        const chunk = next.value;
        received += chunk.length;
        if (received > size) throw new Refusal(400, 'E_PROTO_SIZE', `The upload is longer than its Content-Length of ${size} bytes.`);
        await this.bucket.take(chunk.length, signal);
        hash.update(chunk);
        for (let offset = 0; offset < chunk.length; ) offset += (await temp.handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
      }
      if (received !== size) throw new Refusal(400, 'E_PROTO_SIZE', `The upload ended after ${received} of ${size} bytes.`);
      const digest = hash.digest('hex');
      if (digest !== blobId) {
        throw new Refusal(422, 'E_BLOB_HASH', `The bytes received hash to ${digest.slice(0, 12)}…, not to the blob's name ${blobId.slice(0, 12)}…: the copy was altered or damaged; nothing was kept.`);
      }
      await temp.handle.sync();
      open = false;
      await temp.handle.close();

      let opened: { files: readonly unknown[]; added: number; duplicates: number };
      try {
        opened = await this.parts.library.open(temp.path, { identities: this.parts.identities, expectedId: blobId, signal });
      } catch (err) {
        if (isInswarmError(err) && err.code !== 'E_ABORTED') {
          const status = statusForOpenError(err.code);
          throw new Refusal(status, err.code, status === 422 ? `The blob was refused and nothing was kept: ${err.message}` : err.message);
        }
        throw err;
      }
      await this.blobs.commit(temp.path, blobId);
      committed = true;
      const row: ReceivedRow = { blobId, originId: ticket.origin, size, fileCount: opened.files.length, receivedAt: this.now() };
      this.store.addReceived(row, {
        type: 'receiver:received',
        data: { blobId, origin: ticket.origin, size, files: opened.files.length, added: opened.added, duplicates: opened.duplicates },
      });
      return { row, added: opened.added, duplicates: opened.duplicates };
    } finally {
      if (open) await temp.handle.close().catch(() => undefined);
      if (!committed) await this.blobs.discardTemp(temp.path).catch(() => undefined);
    }
  }

  /** The next body chunk, or a 408 when none comes within the idle timeout (our own throttling does not count). */
  private async nextWithin(chunks: AsyncIterator<Buffer>, received: number, size: number): Promise<IteratorResult<Buffer>> {
    let timer: NodeJS.Timeout | undefined;
    const next = chunks.next();
    // If the timer wins, the pending read later fails when the socket closes: nobody waits for it.
    next.catch(() => undefined);
    const idle = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Refusal(408, 'E_DELIVERY_FAILED', `No byte arrived for ${Math.round(this.limits.idleTimeoutMs / 1000)} s (after ${received} of ${size} bytes): the upload was dropped; try again.`)),
        this.limits.idleTimeoutMs,
      );
    });
    try {
      return await Promise.race([next, idle]);
    } finally {
      clearTimeout(timer);
    }
  }

  private receipt(row: ReceivedRow): Signed {
    return signDeliveryReceipt(this.parts.identity, { blobId: row.blobId, size: row.size, at: this.now() });
  }

  /**
   * Sends an answer. When the request body was not (fully) read, the connection is closed after
   * it (Connection: close: Node ends the socket once the answer is flushed) rather than the body
   * drained; as a backstop the socket is destroyed after RECEIVER_REFUSAL_LINGER_MS, or as soon as
   * more than RECEIVER_REFUSAL_DISCARD_BYTES of the unread body arrive.
   */
  private answer(req: IncomingMessage, res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.writableEnded || req.socket.destroyed) {
      req.socket.destroy();
      return;
    }
    const unread = !req.complete;
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      ...(unread ? { Connection: 'close' } : {}),
    });
    res.end(body);
    if (unread) this.linger(req, req.socket);
  }

  private linger(req: IncomingMessage, socket: Socket): void {
    let discarded = 0;
    const timer = setTimeout(() => socket.destroy(), this.limits.refusalLingerMs);
    socket.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > RECEIVER_REFUSAL_DISCARD_BYTES) socket.destroy();
    });
    req.on('error', () => undefined);
  }

  /** Requests the HTTP parser refused (bad request line, headers too large or too slow): JSON, then close. */
  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    // The parser may fail again on the rest of the same input: the first answer stands, and
    // destroying now would reset the connection before the client read it.
    if (this.answered.has(socket)) return;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    this.answered.add(socket);
    const [status, code, message]: [number, ErrorCode, string] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'E_PROTO_LIMIT', `The request headers are larger than ${RECEIVER_MAX_HEADER_BYTES} bytes.`]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'E_DELIVERY_FAILED', 'The request headers did not arrive in time.']
          : [400, 'E_PROTO_MALFORMED', 'The request is not valid HTTP/1.1.'];
    const body = refusalBody(code, message);
    const refuse = (): void => {
      if (socket.destroyed) return; // the client hung up meanwhile, or the receiver stopped
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      const timer = setTimeout(() => socket.destroy(), this.limits.refusalLingerMs);
      socket.once('close', () => clearTimeout(timer));
    };
    // A request parsed before the bad bytes (pipelined on this connection) has its whole body here
    // and is answered first: ending the connection now would abort it mid-way and lose the upload.
    const before = [...(this.inFlight.get(socket) ?? [])];
    if (before.length === 0) refuse();
    else void Promise.allSettled(before).then(refuse);
  }

  private logRefusal(upload: UploadContext, refusal: Refusal): void {
    try {
      this.parts.ledger.appendEvent('receiver:refused', {
        blobId: upload.blobId,
        origin: upload.origin,
        status: refusal.status,
        code: refusal.code,
        message: refusal.message,
      });
    } catch {
      // A ledger that cannot take the event must not stop the refusal from being answered.
    }
    this.log(`Refused ${upload.blobId.slice(0, 12)}…${upload.origin === null ? '' : ` from ${shortDeviceId(upload.origin)}`}: ${refusal.status} ${refusal.code}: ${refusal.message}`);
  }
}

/** Every failure as a refusal: ours as they are, coded errors as 500/507, anything else as 500. */
function toRefusal(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  if (isInswarmError(err)) {
    if (err.code === 'E_DISK_FULL') return new Refusal(507, err.code, err.message);
    if (err.code === 'E_ABORTED') return new Refusal(503, err.code, 'The receiver is stopping: try again later.', { 'Retry-After': String(RECEIVER_RETRY_AFTER_S) });
    return new Refusal(500, err.code, err.message);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error | undefined)?.message === 'aborted') {
    return new Refusal(400, 'E_PROTO_SIZE', 'The upload broke off before all its bytes arrived; nothing was kept.');
  }
  return new Refusal(500, 'E_IO', `The receiver failed unexpectedly (${(err as Error | undefined)?.message ?? String(err)}); nothing was kept.`);
}
