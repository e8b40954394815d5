// Fills a data folder's ledger with many replicas "held for others", before the node starts, for
// the end-to-end tests and the ui benchmark (plain JS so `npm run bench` can use it; it uses the
// compiled core in dist/, so build first).
//
// Rows must survive the node's start-up reconcile, which marks a 'held' row whose blob file is
// missing (or has another size) as lost. So either:
// - state 'held': a blob file of exactly the row's size is created for each row, sparse
//   (ftruncate), so 100,000 "4 MB" replicas take no disk space; or
// - state 'receiving': no file at all (reconcile only checks held/delivering rows; an incoming
//   transfer with no partial file simply resumes from 0), which seeds 10^6 rows in seconds.
// Every row is written in one transaction (one fsync).

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { dataLayout } from '../../dist/main/core/data-dir.js';
import { Ledger } from '../../dist/main/core/ledger/ledger.js';

/** How many origins the seeded replicas come from. */
const ORIGINS = 24;
/** Replica sizes: 0.5 to 8 MB, like photos and short clips. */
const MIN_SIZE = 500_000;
const MAX_SIZE = 8_000_000;
const RETENTION_MS = 12 * 3600_000;

/** The blob ID of seeded row `i` (deterministic, so a test knows which blob sits where). */
export function seededBlobId(i) {
  return createHash('sha256').update(`inswarm-seeded-held-${i}`).digest('hex');
}

/** A device ID of the usual shape (8 groups of 7 base32 characters), random. */
function fakeDeviceId() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(56);
  const chars = [...bytes].map((b) => alphabet[b % 32]);
  return Array.from({ length: 8 }, (_, g) => chars.slice(g * 7, g * 7 + 7).join('')).join('-');
}

/**
 * Adds `count` held rows to the ledger in `dataDir`. Row i was received `i × spacingMs` before
 * `now` (row 0 is the newest), expires RETENTION_MS after its arrival, and has a size from a
 * fixed pseudo-random sequence. Returns the total bytes and the ledger file.
 * @param {string} dataDir
 * @param {number} count
 * @param {{ state?: 'held' | 'receiving', now?: number, spacingMs?: number }} [options]
 */
export function seedHeld(dataDir, count, options = {}) {
  const state = options.state ?? 'held';
  const now = options.now ?? Date.now();
  // Spread arrivals over at most 8 hours, so every row is still within its retention.
  const spacingMs = options.spacingMs ?? Math.max(1, Math.floor((8 * 3600_000) / Math.max(1, count)));
  const layout = dataLayout(dataDir);
  const origins = Array.from({ length: ORIGINS }, fakeDeviceId);
  const ticket = Buffer.from('{"seeded":true}');
  let x = 0x9e3779b9;
  const nextSize = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return MIN_SIZE + ((x >>> 0) % (MAX_SIZE - MIN_SIZE));
  };
  const rows = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const size = nextSize();
    bytes += size;
    const receivedAt = now - i * spacingMs;
    rows.push({
      blobId: seededBlobId(i),
      originId: origins[i % ORIGINS],
      size,
      bytesReceived: state === 'receiving' ? Math.floor(size / 3) : size,
      receivedAt,
      expiresAt: receivedAt + RETENTION_MS,
      ticket,
      state,
    });
  }
  if (state === 'held') {
    const made = new Set();
    for (const r of rows) {
      const shard = join(layout.blobs, r.blobId.slice(0, 2));
      if (!made.has(shard)) {
        mkdirSync(shard, { recursive: true });
        made.add(shard);
      }
      const fd = openSync(join(shard, r.blobId), 'wx', 0o600);
      try {
        ftruncateSync(fd, r.size);
      } finally {
        closeSync(fd);
      }
    }
  }
  const ledger = Ledger.open(layout.ledger);
  try {
    ledger.transaction(() => {
      for (const r of rows) ledger.addHeld(r);
    });
  } finally {
    ledger.close();
  }
  return { bytes, ledger: layout.ledger, origins: ORIGINS };
}
