// One peer session: the protocol state machine over a Channel. It never sees a socket. It checks
// that every message is valid *now* (data only for an accepted transfer, at the expected offset,
// never past the ticket's size; at most a few transfers at once) and hands the work to a
// SessionHandler (the holder) or resolves the origin's pending requests. Incoming frames are
// handled one at a time and the channel is paused meanwhile, so a slow disk slows the sender.

import { encodeFrame, decodeFrame, ProtocolError } from './codec.js';
import {
  PROTOCOL_VERSION,
  type Channel,
  type DeclineReason,
  type Frame,
  type HelloMessage,
  type Message,
  type ProtocolErrorCode,
  type Signed,
} from './messages.js';

/** A peer must say hello within this time, or the session ends (a stalled or foreign peer). */
export const HELLO_TIMEOUT_MS = 10_000;
/**
 * Transfers one peer may have open towards us at once; more offers are declined as busy. Small
 * blobs spend most of their time in round trips and fsyncs, so it takes about this many at once
 * to keep a LAN link busy with 1 MB photos (4 left it idle a third of the time, measured with
 * `npm run bench -- transfer`); the origin keeps large blobs to one or two at once by bytes.
 */
export const MAX_INBOUND_TRANSFERS = 16;
/**
 * What a peer takes at once when its hello does not say (versions before the capability below
 * accepted 4 per link and declined the rest as busy).
 */
export const UNANNOUNCED_INBOUND_TRANSFERS = 4;
const TRANSFERS_CAPABILITY = /^transfers=([1-9][0-9]{0,3})$/;

/** The hello capability that tells the peer how many transfers this side takes at once. */
export function transfersCapability(): string {
  return `transfers=${MAX_INBOUND_TRANSFERS}`;
}

/** How many transfers to run to a peer at once: what its hello announced, never more than ours. */
export function peerTransferLimit(hello: Pick<HelloMessage, 'capabilities'>): number {
  for (const capability of hello.capabilities) {
    const m = TRANSFERS_CAPABILITY.exec(capability);
    if (m !== null) return Math.min(Number(m[1]), MAX_INBOUND_TRANSFERS);
  }
  return UNANNOUNCED_INBOUND_TRANSFERS;
}
/** Offers a peer may make in a row that end in a decline before we stop listening to it. */
export const MAX_DECLINED_OFFERS_BURST = 256;
/** How long an origin waits for an answer to offer/commit/release before giving up on the peer. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** An accepted transfer with no data for this long is dropped (a stalling peer frees its slot). */
export const TRANSFER_STALL_MS = 60_000;

/** Options, each defaulting to its constant above. */
export interface SessionInit {
  /** Drop an accepted transfer after this long without data (default TRANSFER_STALL_MS). */
  readonly transferStallMs?: number;
}

/** The decision a holder makes on an offer. */
export type OfferDecision = { accept: true; offset: number; size: number } | { accept: false; reason: DeclineReason; retryAfterMs?: number };

/** What the holder side does with a peer's requests. Each method may throw ProtocolError. */
export interface SessionHandler {
  /** Verify the ticket and decide; on accept, reserve space and say where to resume. */
  onOffer(peerId: string, ticket: Signed): Promise<OfferDecision>;
  /** Store bytes of an accepted transfer; resolves when written (not yet durable). */
  onData(peerId: string, blobId: string, offset: number, bytes: Uint8Array): Promise<void>;
  /** Verify size and SHA-256, fsync, record; resolve with the signed custody receipt. */
  onCommit(peerId: string, blobId: string, size: number): Promise<Signed>;
  /** The origin gave up the transfer, or it stalled or the link dropped: free what was reserved. */
  onAbandon(peerId: string, blobId: string, why: string): Promise<void>;
  /** Verify and apply an origin's signed release (purge the copy). */
  onRelease(peerId: string, blobId: string, release: Signed): Promise<void>;
}

export type OfferResult = { accepted: true; offset: number } | { accepted: false; reason: DeclineReason; retryAfterMs?: number };

interface Pending {
  resolve: (message: Message) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface InboundTransfer {
  size: number;
  received: number;
  committing: boolean;
  stallTimer: NodeJS.Timeout;
}

export class Session {
  private peerHello: HelloMessage | null = null;
  private helloWaiter: { resolve: (h: HelloMessage) => void; reject: (e: Error) => void } | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly inbound = new Map<string, InboundTransfer>();
  /** Offers the handler is still deciding on; they hold a transfer slot meanwhile. */
  private readonly offering = new Set<string>();
  private readonly queue: Frame[] = [];
  private processing = false;
  private closed = false;
  private closeReason = '';
  private declinedInARow = 0;
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private readonly transferStallMs: number;

  constructor(
    private readonly channel: Channel,
    private readonly peerId: string,
    private readonly local: Omit<HelloMessage, 'type' | 'version'>,
    private readonly handler: SessionHandler,
    init: SessionInit = {},
  ) {
    this.transferStallMs = init.transferStallMs ?? TRANSFER_STALL_MS;
    channel.onFrame((frame) => this.enqueue(frame));
    channel.onClose((reason) => this.teardown(reason));
  }

  /** Sends our hello and waits for the peer's; rejects on timeout or a version mismatch. */
  async start(): Promise<HelloMessage> {
    const hello = new Promise<HelloMessage>((resolve, reject) => {
      // Frames the link buffered before this session listened are handled as soon as it does
      // (in the constructor): the peer's hello may already be here.
      if (this.peerHello !== null) resolve(this.peerHello);
      else this.helloWaiter = { resolve, reject };
    });
    // When sending ours fails first (the link closed meanwhile), nobody awaits this promise any
    // more, and its rejection by the close must not go unhandled: that would end the process.
    hello.catch(() => undefined);
    const timer = setTimeout(() => this.fail('E_PROTO_STATE', 'the peer did not say hello in time'), HELLO_TIMEOUT_MS);
    try {
      await this.send({ type: 'hello', version: PROTOCOL_VERSION, ...this.local });
      return await hello;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The peer's hello, once received. */
  get peer(): HelloMessage | null {
    return this.peerHello;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(handler: (reason: string) => void): void {
    if (this.closed) handler(this.closeReason);
    else this.closeHandlers.push(handler);
  }

  /** Origin: offers a ticketed blob; resolves with the holder's accept (and resume offset) or decline. */
  async offer(blobId: string, ticket: Signed): Promise<OfferResult> {
    const answer = await this.request(`offer:${blobId}`, { type: 'offer', ticket });
    if (answer.type === 'accept') return { accepted: true, offset: answer.offset };
    if (answer.type === 'decline') return { accepted: false, reason: answer.reason, ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}) };
    throw unexpected(answer);
  }

  /** Origin: streams bytes of an accepted blob; resolves when the link can take more (backpressure). */
  async sendData(blobId: string, offset: number, bytes: Uint8Array): Promise<void> {
    await this.send({ type: 'data', blobId, offset, bytes });
  }

  /** Origin: asks the holder to verify and keep the blob; resolves with its signed custody receipt. */
  async commit(blobId: string, size: number): Promise<Signed> {
    const answer = await this.request(`commit:${blobId}`, { type: 'commit', blobId, size });
    if (answer.type === 'stored') return answer.receipt;
    throw unexpected(answer);
  }

  /** Origin: tells the holder it may purge its copy (the blob was delivered). */
  async release(blobId: string, release: Signed): Promise<void> {
    const answer = await this.request(`release:${blobId}`, { type: 'release', blobId, release });
    if (answer.type !== 'released') throw unexpected(answer);
  }

  /** Origin: abandons a transfer (the holder frees its reservation). */
  async cancel(blobId: string): Promise<void> {
    await this.send({ type: 'cancel', blobId });
  }

  /** Ends the session and its link. */
  close(reason: string): void {
    if (this.closed) return;
    this.channel.close(reason);
    this.teardown(reason);
  }

  private async request(key: string, message: Message): Promise<Message> {
    if (this.closed) throw new ProtocolError('E_PROTO_STATE', `the link to the peer is closed (${this.closeReason})`);
    if (this.pending.has(key)) throw new ProtocolError('E_PROTO_STATE', `a ${key.split(':')[0]} for this blob is already waiting for an answer`);
    const answer = new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new ProtocolError('E_PROTO_STATE', `the peer did not answer a ${message.type} in time`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(key, { resolve, reject, timer });
    });
    try {
      await this.send(message);
    } catch (err) {
      this.settle(key, null, err as Error);
    }
    return answer;
  }

  private settle(key: string, message: Message | null, err?: Error): boolean {
    const waiter = this.pending.get(key);
    if (waiter === undefined) return false;
    this.pending.delete(key);
    clearTimeout(waiter.timer);
    if (message !== null) waiter.resolve(message);
    else waiter.reject(err ?? new Error('settled without a message'));
    return true;
  }

  private async send(message: Message): Promise<void> {
    if (this.closed) throw new ProtocolError('E_PROTO_STATE', `the link to the peer is closed (${this.closeReason})`);
    await this.channel.send(encodeFrame(message));
  }

  private enqueue(frame: Frame): void {
    if (this.closed) return;
    this.queue.push(frame);
    if (!this.processing) void this.drain();
  }

  /**
   * Handles frames one at a time; the channel stays paused while a frame's work is pending (a
   * commit's disk work excepted, see handle()).
   */
  private async drain(): Promise<void> {
    this.processing = true;
    this.channel.pause();
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        let message: Message;
        try {
          message = decodeFrame(frame);
        } catch (err) {
          // A frame that does not decode means a broken or hostile peer: say why and hang up.
          const pe = err instanceof ProtocolError ? err : new ProtocolError('E_PROTO_MALFORMED', 'a frame could not be decoded');
          this.fail(pe.code, pe.message);
          return;
        }
        await this.handle(message);
      }
    } finally {
      this.processing = false;
      if (!this.closed) this.channel.resume();
    }
  }

  private async handle(message: Message): Promise<void> {
    if (message.type === 'hello') {
      if (this.peerHello !== null) return this.fail('E_PROTO_STATE', 'the peer said hello twice');
      if (message.version !== PROTOCOL_VERSION) {
        return this.fail('E_PROTO_VERSION', `the peer speaks protocol version ${message.version}, this device speaks ${PROTOCOL_VERSION}: update the older one`);
      }
      this.peerHello = message;
      this.helloWaiter?.resolve(message);
      return;
    }
    if (this.peerHello === null) return this.fail('E_PROTO_STATE', `the peer sent ${message.type} before hello`);

    switch (message.type) {
      // Answers to our requests (origin side).
      case 'accept':
      case 'decline':
        if (!this.settle(`offer:${message.blobId}`, message)) return this.fail('E_PROTO_STATE', `an unrequested ${message.type}`);
        return;
      case 'stored':
        if (!this.settle(`commit:${message.blobId}`, message)) return this.fail('E_PROTO_STATE', 'an unrequested stored');
        return;
      case 'released':
        if (!this.settle(`release:${message.blobId}`, message)) return this.fail('E_PROTO_STATE', 'an unrequested released');
        return;
      case 'error':
        if (message.blobId === undefined) {
          // A link-level error ends the link, not just the session: otherwise the paused channel
          // would never read the close, and the dead link would stay until its idle timeout.
          this.close(`the peer reported ${message.code}: ${message.message}`);
          return;
        }
        for (const kind of ['offer', 'commit', 'release']) {
          this.settle(`${kind}:${message.blobId}`, null, new ProtocolError(message.code, `the peer refused: ${message.message}`));
        }
        return;

      // Requests from the peer (holder side).
      case 'offer':
        // Not awaited either: deciding waits for the disk (free space, the part file). No data
        // for the blob can come before the answer, and the slot is taken before the first wait.
        void this.onOffer(message.ticket);
        return;
      case 'data':
        return this.onData(message.blobId, message.offset, message.bytes);
      case 'commit':
        // Not awaited: a commit waits for the disk (the blob's fsync, a rename, the ledger), and
        // meanwhile this link must keep reading the data of its other transfers, or every commit
        // stalls them all. Its checks run before it first waits, so frames after it see it begun;
        // at most MAX_INBOUND_TRANSFERS run, one per accepted blob, and each answers for itself.
        void this.onCommit(message.blobId, message.size);
        return;
      case 'cancel':
        // Too late once its commit runs: that decides, and answers stored or an error.
        if (this.inbound.get(message.blobId)?.committing === true) return;
        return this.abandon(message.blobId, 'the origin cancelled it');
      case 'release':
        try {
          await this.handler.onRelease(this.peerId, message.blobId, message.release);
          await this.send({ type: 'released', blobId: message.blobId });
        } catch (err) {
          await this.sendError(err, message.blobId);
        }
        return;
    }
  }

  private async onOffer(ticket: Signed): Promise<void> {
    let decision: OfferDecision;
    let blobId: string;
    try {
      blobId = ticketBlobId(ticket);
    } catch (err) {
      return this.sendError(err);
    }
    if (this.inbound.has(blobId) || this.offering.has(blobId)) return this.sendError(new ProtocolError('E_PROTO_STATE', 'this blob is already being transferred on this link'), blobId);
    if (this.inbound.size + this.offering.size >= MAX_INBOUND_TRANSFERS) {
      decision = { accept: false, reason: 'busy', retryAfterMs: 1_000 };
    } else {
      this.offering.add(blobId);
      try {
        decision = await this.handler.onOffer(this.peerId, ticket);
      } catch (err) {
        if (err instanceof ProtocolError) decision = { accept: false, reason: 'bad-ticket' };
        else return this.sendError(err, blobId);
      } finally {
        this.offering.delete(blobId);
      }
    }
    if (!decision.accept) {
      // A peer that only ever makes refused offers is flooding us: cut it off.
      if (++this.declinedInARow > MAX_DECLINED_OFFERS_BURST) return this.fail('E_PROTO_LIMIT', 'too many refused offers in a row');
      await this.send({ type: 'decline', blobId, reason: decision.reason, ...(decision.retryAfterMs !== undefined ? { retryAfterMs: decision.retryAfterMs } : {}) });
      return;
    }
    this.declinedInARow = 0;
    this.inbound.set(blobId, { size: decision.size, received: decision.offset, committing: false, stallTimer: this.stallTimer(blobId) });
    await this.send({ type: 'accept', blobId, offset: decision.offset });
  }

  private async onData(blobId: string, offset: number, bytes: Uint8Array): Promise<void> {
    const transfer = this.inbound.get(blobId);
    if (transfer === undefined || transfer.committing) return this.fail('E_PROTO_STATE', 'data for a blob that was not accepted');
    if (offset !== transfer.received) return this.fail('E_PROTO_STATE', `data at offset ${offset}, expected ${transfer.received}`);
    if (transfer.received + bytes.length > transfer.size) {
      // A peer that lied about the size gets no resume: its partial bytes and reservation go too.
      await this.abandon(blobId, 'cancelled: more data than the ticket announced');
      return this.fail('E_PROTO_SIZE', 'more data than the ticket announced');
    }
    transfer.stallTimer.refresh();
    try {
      await this.handler.onData(this.peerId, blobId, offset, bytes);
      transfer.received += bytes.length;
    } catch (err) {
      await this.abandon(blobId, 'storing its bytes failed');
      await this.sendError(err, blobId);
    }
  }

  private async onCommit(blobId: string, size: number): Promise<void> {
    const transfer = this.inbound.get(blobId);
    if (transfer === undefined || transfer.committing) return this.fail('E_PROTO_STATE', 'commit for a blob that was not accepted');
    transfer.committing = true;
    clearTimeout(transfer.stallTimer);
    try {
      if (size !== transfer.size || transfer.received !== transfer.size) {
        throw new ProtocolError('E_PROTO_SIZE', `the blob has ${transfer.received} bytes, the ticket says ${transfer.size}`);
      }
      const receipt = await this.handler.onCommit(this.peerId, blobId, size);
      this.inbound.delete(blobId);
      await this.send({ type: 'stored', blobId, receipt });
    } catch (err) {
      await this.abandon(blobId, 'its commit failed');
      await this.sendError(err, blobId);
    }
  }

  private stallTimer(blobId: string): NodeJS.Timeout {
    const timer = setTimeout(() => void this.abandon(blobId, 'it stalled'), this.transferStallMs);
    timer.unref();
    return timer;
  }

  private async abandon(blobId: string, why: string): Promise<void> {
    const transfer = this.inbound.get(blobId);
    if (transfer === undefined) return;
    this.inbound.delete(blobId);
    clearTimeout(transfer.stallTimer);
    await this.handler.onAbandon(this.peerId, blobId, why).catch(() => undefined);
  }

  private async sendError(err: unknown, blobId?: string): Promise<void> {
    const code: ProtocolErrorCode = err instanceof ProtocolError ? err.code : 'E_PROTO_IO';
    const text = err instanceof Error ? err.message : String(err);
    await this.send({ type: 'error', code, message: text.slice(0, 500), ...(blobId !== undefined ? { blobId } : {}) }).catch(() => undefined);
  }

  /** Reports a protocol violation to the peer and closes the link. */
  private fail(code: ProtocolErrorCode, why: string): void {
    if (this.closed) return;
    void this.channel.send(encodeFrame({ type: 'error', code, message: why })).catch(() => undefined).finally(() => this.close(`${code}: ${why}`));
    this.teardown(`${code}: ${why}`);
  }

  private teardown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.queue.length = 0;
    const err = new ProtocolError('E_PROTO_STATE', `the link closed: ${reason}`);
    this.helloWaiter?.reject(err);
    for (const key of [...this.pending.keys()]) this.settle(key, null, err);
    for (const blobId of [...this.inbound.keys()]) void this.abandon(blobId, 'the link closed');
    for (const handler of this.closeHandlers.splice(0)) handler(reason);
  }
}

function unexpected(message: Message): ProtocolError {
  return new ProtocolError('E_PROTO_STATE', `unexpected ${message.type}`);
}

/** Reads the blob ID out of a ticket body without trusting it (the handler verifies the rest). */
function ticketBlobId(ticket: Signed): string {
  let blobId: unknown;
  try {
    blobId = (JSON.parse(Buffer.from(ticket.body, 'base64').toString('utf8')) as { blobId?: unknown }).blobId;
  } catch {
    throw new ProtocolError('E_PROTO_TICKET', 'the ticket body is not JSON');
  }
  if (typeof blobId !== 'string' || !/^[0-9a-f]{64}$/.test(blobId)) throw new ProtocolError('E_PROTO_TICKET', 'the ticket names no valid blob ID');
  return blobId;
}
