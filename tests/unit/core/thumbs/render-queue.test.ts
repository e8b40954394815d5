// The render queue: never more jobs at once than its concurrency, waiting ones run in order, a full
// wait list refuses at once, a failing job frees its slot, and close() refuses new jobs and waits.
import { describe, expect, it } from 'vitest';
import { RenderQueue, RenderQueueFull } from '../../../../src/main/core/thumbs/render-queue.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('RenderQueue', () => {
  it('runs at most `concurrency` jobs at once, the waiting ones first come first served', async () => {
    const queue = new RenderQueue(2, 10);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const jobs = Array.from({ length: 7 }, (_, i) =>
      queue.run(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        return i * 10;
      }),
    );
    expect(await Promise.all(jobs)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('refuses a job when the wait list is full, and a failing job frees its slot', async () => {
    const queue = new RenderQueue(1, 2);
    const g = gate();
    const running = queue.run(() => g.opened.then(() => 'first'));
    const waiting = [queue.run(async () => 'second'), queue.run(async () => 'third')];
    await expect(queue.run(async () => 'fourth')).rejects.toBeInstanceOf(RenderQueueFull);
    g.open();
    expect(await running).toBe('first');
    expect(await Promise.all(waiting)).toEqual(['second', 'third']);
    await expect(queue.run(() => { throw new Error('sync failure'); })).rejects.toThrow('sync failure');
    await expect(queue.run(async () => { throw new Error('async failure'); })).rejects.toThrow('async failure');
    expect(await queue.run(async () => 'after failures')).toBe('after failures');
  });

  it('close() releases the waiting jobs, waits for the running one and refuses new ones', async () => {
    const queue = new RenderQueue(1, 5);
    const g = gate();
    let finished = false;
    const running = queue.run(() => g.opened.then(() => { finished = true; }));
    const waiting = queue.run(async () => 'never');
    const closing = queue.close();
    await expect(waiting).rejects.toBeInstanceOf(RenderQueueFull);
    await expect(queue.run(async () => 'late')).rejects.toBeInstanceOf(RenderQueueFull);
    expect(finished).toBe(false);
    g.open();
    await closing;
    expect(finished).toBe(true);
    await running;
  });
});
