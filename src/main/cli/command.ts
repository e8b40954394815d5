// The shape every `inswarm` subcommand has, and the parsing they share (node:util parseArgs, so
// unknown options and missing values are refused the same way everywhere).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { InswarmNode } from '../core/node.js';

/** Raised for a wrongly called command: exit status 2 and the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
  /** The data folder: --data, else INSWARM_DATA, else the OS default. */
  readonly dataDir: string;
  /** Writes a line to stdout (results only; stdout is for machines and pipes). */
  readonly print: (line: string) => void;
  /** Writes a line to stderr (progress and notes for people). */
  readonly note: (line: string) => void;
}

export interface Command {
  readonly name: string;
  /** One line for `inswarm --help`. */
  readonly summary: string;
  /** The usage line(s) and option descriptions for `inswarm NAME --help`. */
  readonly help: string;
  readonly options: Options;
  /** Positional arguments: [min, max]. */
  readonly positionals: readonly [number, number];
  run(ctx: CommandContext): Promise<number | void>;
}

/** Parses argv for one command; throws UsageError with a sentence on any mistake. */
export function parseCommandArgs(command: Command, argv: string[]): { values: CommandContext['values']; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...command.options, help: { type: 'boolean', short: 'h' }, data: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
  const [min, max] = command.positionals;
  if (!parsed.values['help']) {
    if (parsed.positionals.length < min) throw new UsageError(`"inswarm ${command.name}" needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}.`);
    if (parsed.positionals.length > max) throw new UsageError(`"inswarm ${command.name}" takes at most ${max} argument${max === 1 ? '' : 's'}.`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** A required string option, or a UsageError naming it. */
export function requireString(values: CommandContext['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

/**
 * Opens the node of `dataDir`. The composition root is loaded on first use, not at start-up: it
 * pulls in every subsystem (~0.25 s here), which `seal`, `open`, `verify`, `keygen` and `--help`
 * never touch and should not pay for.
 */
export async function openNode(dataDir: string): Promise<InswarmNode> {
  const { InswarmNode: Node } = await import('../core/node.js');
  return Node.open(dataDir);
}
