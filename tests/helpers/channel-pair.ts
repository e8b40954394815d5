// Two Channels joined in memory, so protocol sessions can be tested without sockets (habit 2).
// Delivery is asynchronous and honours pause/resume, like a real link.
import type { Channel, Frame } from '../../src/main/core/protocol/messages.js';

class MemoryChannel implements Channel {
  peer!: MemoryChannel;
  private frameHandler: ((frame: Frame) => void) | null = null;
  private closeHandlers: ((reason: string) => void)[] = [];
  private inbox: Frame[] = [];
  private paused = false;
  closed: string | null = null;
  /** Every frame this side sent, for assertions. */
  readonly sent: Frame[] = [];

  async send(frame: Frame): Promise<void> {
    if (this.closed !== null) throw new Error(`channel closed: ${this.closed}`);
    this.sent.push(frame);
    this.peer.deliver(frame);
  }
  onFrame(handler: (frame: Frame) => void): void {
    this.frameHandler = handler;
    this.flush();
  }
  onClose(handler: (reason: string) => void): void {
    if (this.closed !== null) handler(this.closed);
    else this.closeHandlers.push(handler);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.flush();
  }
  get isPaused(): boolean {
    return this.paused;
  }
  close(reason: string): void {
    this.shut(reason);
    this.peer.shut(`peer closed: ${reason}`);
  }
  /** Delivers raw frames as if the peer sent them (for hostile-input tests). */
  inject(frame: Frame): void {
    this.deliver(frame);
  }
  private deliver(frame: Frame): void {
    if (this.closed !== null) return;
    this.inbox.push(frame);
    setImmediate(() => this.flush());
  }
  private flush(): void {
    while (!this.paused && this.frameHandler !== null && this.inbox.length > 0 && this.closed === null) this.frameHandler(this.inbox.shift()!);
  }
  private shut(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    for (const h of this.closeHandlers.splice(0)) h(reason);
  }
}

/** A connected pair [a, b]: what a sends, b receives, and the other way round. */
export function channelPair(): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel();
  const b = new MemoryChannel();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
