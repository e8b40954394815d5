// Child process for ledger-crash.test.ts: writes held rows through the real Ledger (transpiled from
// src by the test) and prints each blob ID only after the call that committed it has returned.
// Batches take turns: one transaction of 10 rows, 10 separate commits, 10 concurrent group commits
// (each reported once its promise resolves). It never stops on its own: the parent kills it with
// SIGKILL somewhere in the middle of a write.
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';

const [ledgerModuleUrl, file] = process.argv.slice(2);
const { Ledger } = await import(ledgerModuleUrl);
const ledger = Ledger.open(file);
const idOf = (batch, i) => createHash('sha256').update(`${batch}:${i}`).digest('hex');
const row = (blobId) => ({
  blobId,
  originId: 'crash-origin',
  size: 4096,
  receivedAt: Date.now(),
  expiresAt: Date.now() + 43_200_000,
  ticket: Buffer.alloc(200, 1),
  state: 'held',
});

for (let batch = 0; ; batch++) {
  const ids = Array.from({ length: 10 }, (_, i) => idOf(batch, i));
  if (batch % 3 === 0) {
    ledger.transaction(() => ids.forEach((id) => ledger.addHeld(row(id))));
    writeSync(1, ids.map((id) => `${batch} ${id}\n`).join(''));
  } else if (batch % 3 === 1) {
    for (const id of ids) {
      ledger.addHeld(row(id));
      writeSync(1, `${batch} ${id}\n`); // synchronous: once this returns, the parent can read it
    }
  } else {
    await Promise.all(ids.map(async (id) => {
      await ledger.groupCommit(() => ledger.addHeld(row(id)));
      writeSync(1, `${batch} ${id}\n`);
    }));
  }
}
