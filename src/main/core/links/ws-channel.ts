// Adapts one open `ws` WebSocket to the protocol's Channel. This is the only file that reads or
// writes a WebSocket: sessions see frames, backpressure and one close reason, never a socket.
// It also keeps the link honest: a ping each interval (a peer that stops answering is cut off)
// and an idle timer (a link nobody uses gives its slot back).

import type { RawData, WebSocket } from 'ws';
import { InswarmError } from '../errors.js';
import { LINK_IDLE_TIMEOUT_MS, LINK_PING_INTERVAL_MS, LINK_SEND_HIGH_WATER_BYTES, MAX_FRAME_BYTES } from '../limits.js';
import type { Channel, Frame } from '../protocol/messages.js';

/** WebSocket close codes a link sends (RFC 6455 §7.4.1; 4000–4999 are private to Inswarm). */
export const LINK_CLOSE_CODES = {
  /** The session is done with the link. */
  normal: 1000,
  /** This device is stopping. */
  goingAway: 1001,
  /** A frame above the size limit (ws sends this itself when it refuses a frame). */
  tooBig: 1009,
  /** Our own code failed while handling a frame. */
  internalError: 1011,
  /** No application frames either way for the idle timeout. */
  idle: 4000,
  /** Another link to the same device won; see LinkManager. */
  duplicate: 4001,
} as const;

/** RFC 6455 §5.5: a close frame's payload is at most 125 bytes, 2 of them the code. */
const CLOSE_REASON_MAX_BYTES = 123;

export interface WsChannelInit {
  /** `send` waits while more than this many bytes are queued for the socket. */
  readonly highWaterMarkBytes?: number;
  /** Ping interval; a ping still unanswered at the next tick closes the link. 0 turns keepalive off. */
  readonly pingIntervalMs?: number;
  /** Close after this long without an application frame either way. 0 turns the idle timer off. */
  readonly idleTimeoutMs?: number;
  /** Largest frame `send` accepts: the peer would close the link on a bigger one anyway. */
  readonly maxFrameBytes?: number;
}

interface SendWaiter {
  resolve(): void;
  reject(err: Error): void;
}

/** One WebSocket as a Channel. Construct it once the WebSocket is open. */
export class WsChannel implements Channel {
  /** Resolves once the socket is fully closed (after onClose handlers ran). */
  readonly closed: Promise<void>;

  private readonly highWaterMark: number;
  private readonly maxFrameBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly frameHandlers: ((frame: Frame) => void)[] = [];
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  /** Frames read while paused or before anyone listens: ws still emits what it already buffered. */
  private readonly inbox: Frame[] = [];
  private readonly sendWaiters: SendWaiter[] = [];
  private paused = false;
  private delivering = false;
  /** Set once: the reason the channel closed, as reported to onClose. */
  private closeReason: string | undefined;
  /** Why we are ending the link, noted before ws reports its close (keepalive, frame too big…). */
  private endingReason: string | undefined;
  private awaitingPong = false;
  private lastActivity = Date.now();
  private pingTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;

  constructor(
    private readonly ws: WebSocket,
    init: WsChannelInit = {},
  ) {
    this.highWaterMark = init.highWaterMarkBytes ?? LINK_SEND_HIGH_WATER_BYTES;
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.idleTimeoutMs = init.idleTimeoutMs ?? LINK_IDLE_TIMEOUT_MS;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });

    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('error', (err: Error & { code?: string }) => {
      this.endingReason ??= describeWsError(err, this.maxFrameBytes);
    });
    ws.on('close', (code, reason) => this.finish(code, reason.toString()));

    const pingIntervalMs = init.pingIntervalMs ?? LINK_PING_INTERVAL_MS;
    if (pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.keepalive(pingIntervalMs), pingIntervalMs);
      this.pingTimer.unref();
    }
    if (this.idleTimeoutMs > 0) this.armIdleTimer(this.idleTimeoutMs);
    if (ws.readyState !== ws.OPEN) {
      this.finish(1006, '');
      return;
    }
    // The dialer hands the socket over paused, so that nothing is read before we listen.
    this.readSocket();
  }

  /** Bytes queued for the socket and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** True once the channel is closed (locally or by the peer). */
  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /**
   * Queues one frame. Resolves once the frame is queued and the socket's buffer is below the
   * high-water mark; rejects E_LINK_CLOSED if the link closes first. Binary bytes are sent by
   * reference: do not modify them after calling send.
   */
  send(frame: Frame): Promise<void> {
    if (this.closeReason !== undefined) return Promise.reject(closedError(this.closeReason));
    // The peer began closing and ws has not reported it yet: ws would drop the frame silently.
    if (this.ws.readyState !== this.ws.OPEN) return Promise.reject(closedError('the link is closing'));
    const size = frame.kind === 'text' ? Buffer.byteLength(frame.text, 'utf8') : frame.bytes.byteLength;
    if (size > this.maxFrameBytes) {
      return Promise.reject(
        new InswarmError('E_LINK_FRAME_TOO_LARGE', `A ${size}-byte frame cannot be sent: peer links carry at most ${this.maxFrameBytes} bytes per frame.`),
      );
    }
    this.lastActivity = Date.now();
    const data = frame.kind === 'text' ? frame.text : frame.bytes;
    // The callback runs when this frame left the socket's buffer (or failed): a moment to
    // re-check the buffer for waiting senders. A write error closes the socket, and finish()
    // rejects the waiters.
    this.ws.send(data, { binary: frame.kind === 'binary' }, () => this.wakeSenders());
    if (this.ws.bufferedAmount < this.highWaterMark) return Promise.resolve();
    return new Promise((resolve, reject) => this.sendWaiters.push({ resolve, reject }));
  }

  /** Adds a frame handler; frames received before the first one was added are delivered to it. */
  onFrame(handler: (frame: Frame) => void): void {
    this.frameHandlers.push(handler);
    if (this.frameHandlers.length === 1) this.flow();
  }

  /** Adds a close handler; it runs once with the reason (at once, if already closed). */
  onClose(handler: (reason: string) => void): void {
    if (this.closeReason !== undefined) {
      const reason = this.closeReason;
      queueMicrotask(() => handler(reason));
      return;
    }
    this.closeHandlers.push(handler);
  }

  /** Stops delivering frames and stops reading the socket, so the sender's TCP window fills. */
  pause(): void {
    this.paused = true;
    this.ws.pause();
  }

  /** Delivers held frames, then reads the socket again. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flow();
  }

  /** Closes the link with a normal close; `reason` reaches the peer (cut to fit a close frame). */
  close(reason: string): void {
    this.closeWith(LINK_CLOSE_CODES.normal, reason);
  }

  /** Closes with a specific code (see LINK_CLOSE_CODES). Only the first close counts. */
  closeWith(code: number, reason: string): void {
    if (this.closeReason !== undefined) return;
    this.endingReason ??= reason;
    this.markClosed(reason);
    // Read again so the peer's close frame can complete the closing handshake.
    this.ws.resume();
    this.ws.close(code, fitCloseReason(reason));
  }

  /** Cuts the link without a closing handshake: for a peer that no longer answers. */
  terminate(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.endingReason ??= reason;
    this.markClosed(reason);
    this.ws.terminate();
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closeReason !== undefined) return;
    this.lastActivity = Date.now();
    const bytes = toBuffer(data);
    const frame: Frame = isBinary ? { kind: 'binary', bytes } : { kind: 'text', text: bytes.toString('utf8') };
    if (this.inbox.length === 0 && this.isFlowing() && !this.delivering) {
      this.dispatch(frame);
    } else {
      // Stop reading while a frame waits (paused, or no handler yet): the inbox then holds only
      // what ws had already buffered. Until then control frames (close, pong) are still read.
      this.inbox.push(frame);
      this.ws.pause();
    }
  }

  private isFlowing(): boolean {
    return !this.paused && this.frameHandlers.length > 0 && this.closeReason === undefined;
  }

  /** Delivers held frames while flowing, then lets the socket be read again. */
  private flow(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.inbox.length > 0 && this.isFlowing()) this.dispatch(this.inbox.shift()!);
    } finally {
      this.delivering = false;
    }
    if (this.isFlowing()) this.readSocket();
  }

  private readSocket(): void {
    if (this.ws.isPaused) {
      // We could not read pongs while not reading; give the peer a full interval from now.
      this.awaitingPong = false;
      this.ws.resume();
    }
  }

  private dispatch(frame: Frame): void {
    for (const handler of this.frameHandlers) {
      try {
        handler(frame);
      } catch (err) {
        // A throwing handler is a bug on our side; ws must not see the exception mid-parse.
        const message = err instanceof Error ? err.message : String(err);
        this.closeWith(LINK_CLOSE_CODES.internalError, `frame handler failed: ${message}`);
        return;
      }
    }
  }

  private wakeSenders(): void {
    while (this.sendWaiters.length > 0 && this.ws.bufferedAmount < this.highWaterMark) this.sendWaiters.shift()!.resolve();
  }

  private keepalive(intervalMs: number): void {
    if (this.closeReason !== undefined) return;
    // While we do not read, a pong may be waiting unread: judging now would be unfair.
    if (this.ws.isPaused) return;
    if (this.awaitingPong) {
      this.terminate(`keepalive: no pong from the peer within ${intervalMs} ms`);
      return;
    }
    this.awaitingPong = true;
    this.ws.ping();
  }

  private armIdleTimer(delayMs: number): void {
    this.idleTimer = setTimeout(() => {
      if (this.closeReason !== undefined) return;
      const quietMs = Date.now() - this.lastActivity;
      if (quietMs >= this.idleTimeoutMs) {
        this.closeWith(LINK_CLOSE_CODES.idle, `idle: no frames for ${this.idleTimeoutMs} ms`);
      } else {
        this.armIdleTimer(this.idleTimeoutMs - quietMs);
      }
    }, delayMs);
    this.idleTimer.unref();
  }

  /** The channel is closed for the app: no more frames in or out, handlers told once. */
  private markClosed(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    clearInterval(this.pingTimer);
    clearTimeout(this.idleTimer);
    this.inbox.length = 0;
    const error = closedError(reason);
    for (const waiter of this.sendWaiters.splice(0)) waiter.reject(error);
    for (const handler of this.closeHandlers.splice(0)) {
      try {
        handler(reason);
      } catch {
        // One failing close handler must not keep the others from learning the link is gone.
      }
    }
  }

  /** ws reported the socket closed. */
  private finish(code: number, peerReason: string): void {
    this.markClosed(this.endingReason ?? describePeerClose(code, peerReason));
    this.resolveClosed();
  }
}

function closedError(reason: string): InswarmError {
  return new InswarmError('E_LINK_CLOSED', `The peer link is closed (${reason}).`);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function describePeerClose(code: number, reason: string): string {
  const said = reason === '' ? '' : `: ${reason}`;
  switch (code) {
    case LINK_CLOSE_CODES.normal:
      return `closed by the peer${said}`;
    case LINK_CLOSE_CODES.goingAway:
      return `the peer is going away${said}`;
    case 1006:
      return 'connection lost';
    case LINK_CLOSE_CODES.tooBig:
      return `the peer refused a frame as too large${said}`;
    case LINK_CLOSE_CODES.idle:
      return `closed by the peer as idle${said}`;
    case LINK_CLOSE_CODES.duplicate:
      return `closed by the peer as a duplicate link${said}`;
    default:
      return `closed by the peer (code ${code})${said}`;
  }
}

function describeWsError(err: Error & { code?: string }, maxFrameBytes: number): string {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return `the peer sent a frame above ${maxFrameBytes} bytes`;
  if (err.code?.startsWith('WS_ERR_') === true) return `the peer broke the WebSocket protocol (${err.code})`;
  return `socket error: ${err.message}`;
}

/** Cuts a reason to fit a close frame on a character boundary, so the peer's UTF-8 check passes. */
function fitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= CLOSE_REASON_MAX_BYTES) return reason;
  let cut = '';
  for (const char of reason) {
    if (Buffer.byteLength(cut + char, 'utf8') > CLOSE_REASON_MAX_BYTES) break;
    cut += char;
  }
  return cut;
}
