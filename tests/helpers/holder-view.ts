// What a test sees of a running holder from outside: its ledger (read-only SQLite, the same file
// the node writes; WAL lets us read while it runs) and the bytes its donated folders really use.

import Database from 'better-sqlite3';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface HeldLite {
  blobId: string;
  originId: string;
  size: number;
  state: string;
  expiresAt: number;
}

export interface EventLite {
  at: number;
  type: string;
  data: Record<string, unknown>;
}

/** Runs `fn` on a fresh read-only connection to the node's ledger (a snapshot per call). */
export function readLedger<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every held row (any state). */
export function heldRows(dataDir: string): HeldLite[] {
  return readLedger(dataDir, (db) =>
    db.prepare('SELECT blob_id AS blobId, origin_id AS originId, size, state, expires_at AS expiresAt FROM held').all() as HeldLite[],
  );
}

/** Ledger events of one type, oldest first. */
export function ledgerEvents(dataDir: string, type: string): EventLite[] {
  return readLedger(dataDir, (db) =>
    (db.prepare('SELECT at, type, data FROM events WHERE type = ? ORDER BY id').all(type) as { at: number; type: string; data: string }[]).map((e) => ({
      ...e,
      data: JSON.parse(e.data) as Record<string, unknown>,
    })),
  );
}

/** States that use donated space (as the holder counts them). */
export const RESERVED = ['receiving', 'held', 'delivering'];

/** Reserved bytes in all and per origin, from one ledger snapshot. */
export function reservedBytes(rows: readonly HeldLite[]): { total: number; byOrigin: Map<string, number>; receiving: number } {
  const byOrigin = new Map<string, number>();
  let total = 0;
  let receiving = 0;
  for (const r of rows) {
    if (!RESERVED.includes(r.state)) continue;
    total += r.size;
    byOrigin.set(r.originId, (byOrigin.get(r.originId) ?? 0) + r.size);
    if (r.state === 'receiving') receiving++;
  }
  return { total, byOrigin, receiving };
}

/**
 * Bytes of replica files on disk: committed blobs, blobs being committed, partial receives.
 * Read in the direction files move (incoming → blobs/tmp → blobs/ab) reversed, so a file moving
 * during the scan is missed at worst, never counted twice: the sum never over-reports.
 */
export async function donatedBytesOnDisk(dataDir: string): Promise<number> {
  const blobs = join(dataDir, 'blobs');
  let total = 0;
  const sizeOf = async (path: string) => {
    try {
      const s = await stat(path);
      return s.isFile() ? s.size : 0;
    } catch {
      return 0; // moved or removed meanwhile
    }
  };
  const list = async (dir: string) => readdir(dir).catch(() => [] as string[]);
  for (const shard of (await list(blobs)).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of await list(join(blobs, shard))) total += await sizeOf(join(blobs, shard, name));
  }
  for (const name of await list(join(blobs, 'tmp'))) total += await sizeOf(join(blobs, 'tmp', name));
  for (const name of await list(join(dataDir, 'incoming'))) total += await sizeOf(join(dataDir, 'incoming', name));
  return total;
}

/** The node's status as `inswarm status --json` prints it (only the parts tests read). */
export interface StatusJson {
  deviceId: string;
  placed: number;
  outbox: { state: string; count: number; bytes: number }[];
  held: { state: string; count: number; bytes: number }[];
  running: { linked: { deviceId: string }[] } | null;
}

export function heldCount(status: StatusJson, state: string): number {
  return status.held.find((h) => h.state === state)?.count ?? 0;
}
