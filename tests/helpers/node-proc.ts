// Runs real long-lived `inswarm` processes (`start`, `receive`) for tests and stops them cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll } from 'vitest';
import { CLI } from './run.js';

export interface NodeProc {
  readonly data: string;
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when the node printed `text` (or rejects after `timeoutMs`). */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** SIGINT, then the exit code (SIGKILL after a grace period). */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

const running = new Set<NodeProc>();
afterAll(async () => {
  await Promise.all([...running].map((n) => n.stop()));
});

/** A free TCP port on 127.0.0.1 (bound and released; fine for tests on loopback). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `inswarm start ARGS` on data folder `data`. */
export function startNode(data: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): NodeProc {
  return startInswarm(data, ['start', '--headless', ...args], env);
}

/** Starts `inswarm ARGV` (a command that runs until SIGINT) on data folder `data`. */
export function startInswarm(data: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}): NodeProc {
  const child = spawn(process.execPath, [CLI, ...argv], { env: { ...process.env, INSWARM_DATA: data, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const node: NodeProc = {
    data,
    child,
    output: () => out,
    waitFor: (text, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          if (out.includes(text)) return resolve();
          if (child.exitCode !== null) return reject(new Error(`inswarm ${argv[0]} exited (${child.exitCode}) before printing "${text}":\n${out}`));
          if (Date.now() - started > timeoutMs) return reject(new Error(`inswarm ${argv[0]} did not print "${text}" within ${timeoutMs} ms:\n${out}`));
          setTimeout(check, 50);
        };
        check();
      }),
    stop: async () => {
      running.delete(node);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
    kill9: async () => {
      running.delete(node);
      child.kill('SIGKILL');
      await exited;
    },
  };
  running.add(node);
  return node;
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
