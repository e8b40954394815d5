// Recorded tool output for the homenet probe tests (tests/fixtures/homenet/), and a ToolRunner
// that answers from it: the parsers and each probe's order of calls run unchanged, only the
// processes are replaced by what those tools printed.

import { readFileSync } from 'node:fs';
import type { ToolResult, ToolRunner } from '../../../../src/main/core/homenet/exec.js';

const DIR = new URL('../../../fixtures/homenet/', import.meta.url);

/** A fixture's text, e.g. fixture('linux/ip-route-wifi.json'). */
export function fixture(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

/** What one command line answers: a result, a sequence of results (one per call, the last repeating), or null for "not installed". */
export type Answer = ToolResult | readonly ToolResult[] | null;

export const ok = (stdout: string): ToolResult => ({ code: 0, stdout, stderr: '' });
export const fail = (code: number, stderr: string, stdout = ''): ToolResult => ({ code, stdout, stderr });

/** A runner answering `file args…` (joined by spaces) from `answers`; anything else is "not installed". Records every call. */
export function recordedRunner(answers: Record<string, Answer>): ToolRunner & { calls: string[] } {
  const calls: string[] = [];
  const seen = new Map<string, number>();
  const runner = async (file: string, args: readonly string[]): Promise<ToolResult | null> => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const answer = answers[line];
    if (answer === undefined || answer === null) return null;
    if (!Array.isArray(answer)) return answer as ToolResult;
    const n = seen.get(line) ?? 0;
    seen.set(line, n + 1);
    return answer[Math.min(n, answer.length - 1)]!;
  };
  return Object.assign(runner, { calls });
}
