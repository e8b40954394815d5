// The `inswarm` command: finds the subcommand, parses its arguments, runs it, and turns every
// outcome into an exit status: 0 ok, 1 failure (one sentence on stderr), 2 usage.

import { isInswarmError } from './core/errors.js';
import { defaultDataDir } from './core/data-dir.js';
import { UsageError, parseCommandArgs, type Command } from './cli/command.js';
import { add } from './cli/commands/add.js';
import { dest } from './cli/commands/dest.js';
import { id } from './cli/commands/id.js';
import { keygen } from './cli/commands/keygen.js';
import { openCommand } from './cli/commands/open.js';
import { seal } from './cli/commands/seal.js';
import { start } from './cli/commands/start.js';
import { status } from './cli/commands/status.js';
import { verify } from './cli/commands/verify.js';
import { caps } from './cli/commands/caps.js';
import { held, peer, peers } from './cli/commands/peers.js';
import { home } from './cli/commands/home.js';
import { net } from './cli/commands/net.js';
import { receive } from './cli/commands/receive.js';
import { collect } from './cli/commands/collect.js';
import { deliver } from './cli/commands/deliver.js';
import { importCommand } from './cli/commands/import.js';

const COMMANDS: readonly Command[] = [start, status, peers, peer, held, caps, id, dest, add, net, home, deliver, importCommand, receive, collect, keygen, seal, openCommand, verify];

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: inswarm [--data DIR] COMMAND [OPTIONS]

Encrypted, crowd-sourced backup at venues. Run "inswarm COMMAND --help" for a command's details.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Global options:
  --data DIR   the data folder (default: $INSWARM_DATA, else ${defaultDataDir({})})
  --help       show help`;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  // --data may come before the command name as well as after it.
  const args = [...argv];
  let globalData: string | undefined;
  while (args[0] === '--data' || args[0]?.startsWith('--data=')) {
    const flag = args.shift()!;
    globalData = flag.includes('=') ? flag.slice('--data='.length) : args.shift();
    if (!globalData) return usage('--data needs a folder.', mainHelp());
  }
  const name = args.shift();
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return usage(`"${name}" is not an inswarm command.`, mainHelp());
  try {
    const { values, positionals } = parseCommandArgs(command, args);
    if (values['help']) {
      process.stdout.write(`${command.help}\n`);
      return EXIT_OK;
    }
    const dataDir = (typeof values['data'] === 'string' ? values['data'] : undefined) ?? globalData ?? defaultDataDir();
    const code = await command.run({
      values,
      positionals,
      dataDir,
      print: (line) => process.stdout.write(`${line}\n`),
      note: (line) => process.stderr.write(`${line}\n`),
    });
    return code ?? EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message, command.help);
    if (isInswarmError(err) && err.code === 'E_USAGE') return usage(err.message, command.help);
    if (isInswarmError(err)) {
      process.stderr.write(`inswarm: ${err.message}\n`);
      if (process.env['INSWARM_DEBUG']) process.stderr.write(`${String(err.stack)}\n${err.cause ? `cause: ${String((err.cause as Error).stack ?? err.cause)}\n` : ''}`);
      return EXIT_FAILURE;
    }
    process.stderr.write(`inswarm: an unexpected error happened (${(err as Error).message}); please report it with INSWARM_DEBUG=1 output.\n`);
    if (process.env['INSWARM_DEBUG']) process.stderr.write(`${String((err as Error).stack)}\n`);
    return EXIT_FAILURE;
  }
}

function usage(message: string, help: string): number {
  process.stderr.write(`inswarm: ${message}\n\n${help}\n`);
  return EXIT_USAGE;
}

process.exitCode = await main(process.argv.slice(2));
