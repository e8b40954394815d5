// One read shared by every caller that asked while it had not yet begun. Each caller still gets a
// value read *after* its call: a caller arriving while a read runs (it began too early to see
// what just changed) waits for the next one, which it shares with everyone else who arrived
// meanwhile. A holder deciding sixteen offers at once runs two statfs calls instead of sixteen,
// and none of them sees the volume as it was before its offer came.

export class FreshRead<T> {
  private running: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly read: () => Promise<T>) {}

  /** A value read after this call began. */
  get(): Promise<T> {
    if (this.running === null) return this.start();
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<T> {
    const run = this.read().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}
