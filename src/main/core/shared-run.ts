// One run of an operation shared by every caller that asked while it had not yet begun. Each
// caller still gets a run that began *after* its call: a caller arriving while a run is under way
// (begun too early to see what the caller just changed) waits for the next one, which it shares
// with everyone else who arrived meanwhile. The ledger's group commit flushes the WAL this way
// (one fsync for every commit made while the previous one ran), and a holder deciding sixteen
// offers at once reads the volume's free space twice instead of sixteen times.

export class SharedRun<T> {
  private running: Promise<T> | null = null;
  private queued: Promise<T> | null = null;

  constructor(private readonly operation: () => Promise<T>) {}

  /** The result of a run that began after this call. */
  run(): Promise<T> {
    // One already queued begins after this call: share it.
    if (this.queued !== null) return this.queued;
    if (this.running === null) return this.start();
    this.queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<T> {
    const run = this.operation().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}
