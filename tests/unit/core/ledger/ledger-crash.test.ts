// Promise 5, "durable before acknowledged", for the ledger: a process killed with SIGKILL in the
// middle of writing loses no row it had reported as committed, never keeps half a transaction, and
// leaves a database that passes integrity_check. (A kill exercises SQLite's WAL recovery; surviving
// power loss additionally rests on synchronous=FULL, which ledger.test.ts checks is in effect.)

import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Ledger } from '../../../../src/main/core/ledger/ledger.js';

const PROJECT = fileURLToPath(new URL('../../../../', import.meta.url));
const SRC = join(PROJECT, 'src');
const CHILD = fileURLToPath(new URL('./crash-writer.mjs', import.meta.url));
/** Enough reported rows that the kill lands in steady writing, not at start-up. */
const KILL_AFTER_ROWS = 1500;

let work: string;
beforeEach(() => {
  // Inside the project so the transpiled modules resolve better-sqlite3 from node_modules.
  mkdirSync(join(PROJECT, 'test-output'), { recursive: true });
  work = mkdtempSync(join(PROJECT, 'test-output', 'ledger-crash-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/**
 * Transpiles `entry` and every module it imports relatively (types stripped, no type check) into
 * `outDir`, mirroring src/, and copies the ledger's migrations: the child then runs exactly the
 * source under test, without a build step.
 */
function transpileForChild(entry: string, outDir: string): string {
  const pending = [entry];
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = join(outDir, relative(SRC, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    for (const [, spec] of source.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) pending.push(resolve(dirname(file), `${spec}.ts`));
  }
  cpSync(join(SRC, 'main/core/ledger/sql'), join(outDir, 'main/core/ledger/sql'), { recursive: true });
  return pathToFileURL(join(outDir, relative(SRC, entry)).replace(/\.ts$/, '.js')).href;
}

it('a SIGKILLed writer loses no reported row, keeps no half transaction, and leaves a sound file', async () => {
  const ledgerUrl = transpileForChild(join(SRC, 'main/core/ledger/ledger.ts'), join(work, 'build'));
  const file = join(work, 'data', 'ledger.db');
  const child = spawn(process.execPath, [CHILD, ledgerUrl, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));
  await new Promise<void>((ready, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').length > KILL_AFTER_ROWS) {
        child.kill('SIGKILL');
        ready();
      }
    });
    void exited.then(() => fail(new Error(`the writer exited on its own: ${err}`)));
  });
  expect(await exited).toBe('SIGKILL');

  // Only complete lines count: a torn last line was never fully reported.
  const reported = out.split('\n').slice(0, -1).map((line) => line.split(' ') as [string, string]);
  expect(reported.length).toBeGreaterThanOrEqual(KILL_AFTER_ROWS);

  const db = new Database(file);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();

  const ledger = Ledger.open(file);
  try {
    const missing = reported.filter(([, id]) => ledger.getHeld(id) === undefined);
    expect(missing).toEqual([]);

    // Per batch, what survived must be whole (transactions) or a prefix (one commit per row, made
    // in order, whether flushed each or as a group).
    const idOf = (batch: number, i: number): string => createHash('sha256').update(`${batch}:${i}`).digest('hex');
    const lastBatch = Number(reported.at(-1)![0]) + 1;
    for (let batch = 0; batch <= lastBatch; batch++) {
      const present = Array.from({ length: 10 }, (_, i) => ledger.getHeld(idOf(batch, i)) !== undefined);
      const count = present.filter(Boolean).length;
      if (batch % 3 === 0) expect([0, 10], `batch ${batch}`).toContain(count);
      else expect(present, `batch ${batch}`).toEqual(present.map((_, i) => i < count));
    }
    const total = ledger.heldSummary().find((s) => s.state === 'held')!;
    const db2 = new Database(file, { readonly: true });
    expect(total.count).toBe((db2.prepare('SELECT count(*) AS n FROM held').get() as { n: number }).n);
    db2.close();
  } finally {
    ledger.close();
  }
});
