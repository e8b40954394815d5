// Runs thumbnail jobs a few at a time, first come first served, with a bounded wait list: a window
// scrolled fast through ten thousand photos queues a screenful, not ten thousand decodes.

/** Thrown by run() when the wait list is full or the queue is closed: the caller shows no thumbnail this time. */
export class RenderQueueFull extends Error {
  constructor(message = 'thumbnail queue full') {
    super(message);
    this.name = 'RenderQueueFull';
  }
}

export class RenderQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly active = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs `job` when a slot is free; rejects with RenderQueueFull instead of waiting in a full list. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.closed) throw new RenderQueueFull('thumbnail queue closed');
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new RenderQueueFull();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new RenderQueueFull('thumbnail queue closed');
    } else {
      this.running++;
    }
    const task = (async () => job())(); // a job that throws at once still frees its slot
    this.active.add(task);
    try {
      return await task;
    } finally {
      this.active.delete(task);
      const next = this.waiting.shift();
      if (next !== undefined) next(); // the slot passes on; running stays counted
      else this.running--;
    }
  }

  /** Refuses new jobs, releases the waiting ones (they reject), and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const release of this.waiting.splice(0)) release();
    await Promise.allSettled([...this.active]);
  }
}
