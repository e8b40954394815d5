// Runs real programs (the `inswarm` CLI, `age`, `tar`) and captures what they print.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs `command args…`, optionally feeding `input`, and resolves when it exits. */
export function run(command: string, args: readonly string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The compiled CLI entry point (built by `npm test` before vitest runs). */
export const CLI = fileURLToPath(new URL('../../bin/inswarm.js', import.meta.url));

/** Runs `inswarm args…` with a private data folder. */
export function inswarm(args: readonly string[], options: { data?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const env = { ...process.env, ...options.env };
  if (options.data !== undefined) env['INSWARM_DATA'] = options.data;
  return run(process.execPath, [CLI, ...args], { env, input: options.input });
}

/** Runs `inswarm args…` on data folder `data`, expects exit 0, and returns its trimmed stdout. */
export async function inswarmOk(args: readonly string[], data: string): Promise<string> {
  const r = await inswarm(args, { data });
  if (r.code !== 0) throw new Error(`inswarm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}
