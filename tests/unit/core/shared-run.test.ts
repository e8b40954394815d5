// SharedRun: callers that ask at once share a run, and none gets the result of a run begun before it asked.

import { describe, expect, it } from 'vitest';
import { SharedRun } from '../../../src/main/core/shared-run.js';

/** A read that counts its runs and finishes only when the test says so. */
function controlled() {
  const runs: { started: number; finish: (fail?: Error) => void }[] = [];
  let clock = 0;
  const read = () =>
    new Promise<number>((resolve, reject) => {
      const started = ++clock;
      runs.push({ started, finish: (fail) => (fail ? reject(fail) : resolve(started)) });
    });
  return { runs, read, tick: () => ++clock };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SharedRun', () => {
  it('callers arriving while a read runs share the next one, begun after all of them asked', async () => {
    const c = controlled();
    const fresh = new SharedRun(c.read);
    const first = fresh.run();
    expect(c.runs).toHaveLength(1);
    const asked = c.tick();
    const late = Array.from({ length: 10 }, () => fresh.run());
    await settle();
    expect(c.runs).toHaveLength(1); // nobody who came late may take the running read
    c.runs[0]!.finish();
    expect(await first).toBe(1);
    await settle();
    expect(c.runs).toHaveLength(2); // one more read, for all ten
    c.runs[1]!.finish();
    const values = await Promise.all(late);
    expect(new Set(values)).toEqual(new Set([c.runs[1]!.started]));
    expect(values[0]!).toBeGreaterThan(asked);
  });

  it('a caller after everything settled starts a read of its own', async () => {
    const c = controlled();
    const fresh = new SharedRun(c.read);
    const a = fresh.run();
    c.runs[0]!.finish();
    await a;
    const b = fresh.run();
    expect(c.runs).toHaveLength(2);
    c.runs[1]!.finish();
    expect(await b).toBe(c.runs[1]!.started);
  });

  it('a failed read fails its own callers only; those waiting for the next one get a value', async () => {
    const c = controlled();
    const fresh = new SharedRun(c.read);
    const failing = fresh.run();
    const waiting = fresh.run();
    c.runs[0]!.finish(new Error('EIO'));
    await expect(failing).rejects.toThrow('EIO');
    await settle();
    c.runs[1]!.finish();
    expect(await waiting).toBe(c.runs[1]!.started);
  });
});
