// A clock the test moves by hand, with the Timers interface the shell's watchers take: nothing
// here depends on how fast the machine is.

import type { Timers } from '../../../src/main/electron/tray-status.js';

interface Task {
  id: number;
  at: number;
  fn: () => void;
  every: number | null;
}

export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  let nextId = 1;
  const tasks = new Map<number, Task>();
  const add = (fn: () => void, ms: number, every: number | null) => {
    const id = nextId++;
    tasks.set(id, { id, at: now + ms, fn, every });
    return id;
  };
  const timers: Timers = {
    setTimeout: (fn, ms) => add(fn, ms, null),
    clearTimeout: (id) => void tasks.delete(id as number),
    setInterval: (fn, ms) => add(fn, ms, ms),
    clearInterval: (id) => void tasks.delete(id as number),
  };
  return {
    timers,
    now: () => now,
    /** Moves time forward, running every task that falls due, in order. */
    advance(ms: number): void {
      const until = now + ms;
      for (;;) {
        const due = [...tasks.values()].filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (due === undefined) break;
        now = due.at;
        if (due.every === null) tasks.delete(due.id);
        else due.at += due.every;
        due.fn();
      }
      now = until;
    },
    pending: () => tasks.size,
  };
}
