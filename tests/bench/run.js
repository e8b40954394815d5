// The benchmark runner: `npm run bench -- [SUITE [OPTIONS…]]`. Runs the compiled CLI (build first).
// Without a suite it lists the suites and runs them all with their defaults. A suite is a module
// exporting `name`, `summary`, `usage`, `parse(argv)` (options; throws UsageError)
// and `run(options)`; add one by importing it into SUITES.
// Exit status: 0 after a complete run whatever the figures (a benchmark is not a test),
// 1 if a suite could not finish, 2 for a bad command line, 130 on Ctrl+C.

import { UsageError, checkBuild, machineContext, removeTempDirs, versionOf } from './harness.js';
import * as importSuite from './import.js';
import * as seal from './seal.js';
import * as transfer from './transfer.js';
import * as ui from './ui.js';

const SUITES = [seal, transfer, ui, importSuite];

const USAGE = `Usage: npm run bench -- [SUITE [OPTIONS…]]

Suites:
${SUITES.map((suite) => `  ${suite.name.padEnd(10)}${suite.summary}\n      ${suite.usage}`).join('\n')}`;

async function main(argv) {
  const [name, ...options] = argv;
  if (name === '--help' || name === '-h') {
    console.log(USAGE);
    return 0;
  }
  const suites = name === undefined ? SUITES : SUITES.filter((suite) => suite.name === name);
  if (suites.length === 0) {
    console.error(`bench: "${name}" is not a suite.\n\n${USAGE}`);
    return 2;
  }
  let parsed;
  try {
    parsed = suites.map((suite) => suite.parse(options));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench ${name}: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (name === undefined) console.log(`Running every suite: ${SUITES.map((suite) => suite.name).join(', ')}\n`);
  checkBuild();
  for (const [i, suite] of suites.entries()) {
    console.log(`== ${suite.name}: ${suite.summary}`);
    for (const line of await machineContext()) console.log(line);
    try {
      await suite.run(parsed[i]);
    } finally {
      removeTempDirs();
    }
    console.log(`load after: ${await versionOf('uptime', [])}\n`);
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
} finally {
  removeTempDirs();
}
