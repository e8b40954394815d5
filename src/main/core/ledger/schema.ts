// Opening a ledger file: the connection settings every promise rests on, and the schema migrations
// (./sql/NNN-*.sql, applied in order in one transaction, tracked with PRAGMA user_version).
// A migration file must not contain BEGIN/COMMIT: the runner owns the transaction.

import type Database from 'better-sqlite3';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InswarmError } from '../errors.js';
import { LEDGER_BUSY_TIMEOUT_MS, LEDGER_CACHE_KIB, LEDGER_WAL_SIZE_LIMIT_BYTES } from '../limits.js';

/** The migrations shipped next to this module (scripts/copy-assets.mjs puts them beside the build). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./sql/', import.meta.url));
/** 'INSW': marks the file as ours, so a stray SQLite file is never migrated into a ledger. */
const LEDGER_APPLICATION_ID = 0x494e5357;
const MIGRATION_NAME = /^(\d{3})-[a-z0-9-]+\.sql$/;

/** Connection settings; each one is part of a promise, so none is left to defaults. */
export function configure(db: Database.Database): void {
  db.pragma(`busy_timeout = ${LEDGER_BUSY_TIMEOUT_MS}`); // first, so the pragmas below wait for a lock too
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new InswarmError('E_LEDGER', `The ledger at ${db.name} cannot use write-ahead logging (${String(mode)}): keep Inswarm's data folder on a local disk.`);
  }
  db.pragma('synchronous = FULL'); // every commit may be acknowledged to a peer: it must survive power loss
  db.pragma('fullfsync = ON'); // macOS: plain fsync leaves data in the drive's cache (no-op elsewhere)
  db.pragma('foreign_keys = ON');
  db.pragma('recursive_triggers = ON'); // INSERT OR REPLACE must fire delete triggers, or blob_totals drift
  db.pragma(`cache_size = -${LEDGER_CACHE_KIB}`);
  db.pragma(`journal_size_limit = ${LEDGER_WAL_SIZE_LIMIT_BYTES}`);
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads NNN-*.sql in order; numbering must run 001, 002… without gaps, or the install is broken. */
export function loadMigrations(dir: string): Migration[] {
  const names = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  return names.map((name, i) => {
    const version = Number(MIGRATION_NAME.exec(name)?.[1]);
    if (version !== i + 1) {
      throw new InswarmError('E_LEDGER', `The ledger migration ${name} is misnumbered (expected ${String(i + 1).padStart(3, '0')}-…): reinstall Inswarm.`);
    }
    return { version, name, sql: readFileSync(join(dir, name), 'utf8') };
  });
}

/** Brings the schema to the newest version in one transaction: a failure leaves the file as it was. */
export function migrate(db: Database.Database, migrations: Migration[]): void {
  const latest = migrations.length;
  const check = (): number => {
    const version = Number(db.pragma('user_version', { simple: true }));
    const appId = Number(db.pragma('application_id', { simple: true }));
    const empty = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n === 0;
    if (appId !== LEDGER_APPLICATION_ID && !(appId === 0 && version === 0 && empty)) {
      throw new InswarmError('E_LEDGER', `${db.name} is not an Inswarm ledger: move it away or choose another data folder.`);
    }
    if (version > latest) {
      throw new InswarmError('E_LEDGER', `The ledger at ${db.name} was written by a newer Inswarm (schema ${version}, this one knows ${latest}): update Inswarm to open it.`);
    }
    return version;
  };
  if (check() === latest) return;
  db.transaction(() => {
    const from = check(); // again under the write lock: another process may have migrated meanwhile
    if (from === 0) db.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
    for (const m of migrations.slice(from)) {
      try {
        db.exec(m.sql);
      } catch (err) {
        throw new InswarmError('E_LEDGER', `Upgrading the ledger with ${m.name} failed, so it was left unchanged: reinstall Inswarm.`, { cause: err });
      }
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
}
