// What a donor gives, as numbers: the holder's caps and the origin's replica count. Persisted in
// the ledger's settings, changeable while the node runs. Defaults follow the swarm issue: donate
// the smaller of 20 GiB and 25% of free space, never cross a floor of 10% of the volume, give one
// origin at most 25% of the donation, keep replicas at most 12 hours, 2 replicas per blob.

import { statfs } from 'node:fs/promises';
import type { CapsView } from '../../../shared/status.js';
import { InswarmError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';

/** The caps, as stored and shown (one definition, shared with the UI's status view). */
export type Caps = CapsView;

export interface Volume {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

const GiB = 1024 ** 3;
const SETTINGS_KEY = 'caps';
export const DEFAULT_DISK_CAP_BYTES = 20 * GiB;
export const DEFAULT_DISK_SHARE_OF_FREE = 0.25;
export const DEFAULT_FLOOR_SHARE_OF_VOLUME = 0.1;
export const DEFAULT_ORIGIN_SHARE = 0.25;
export const DEFAULT_RETENTION_MS = 12 * 3600_000;
export const DEFAULT_REPLICAS = 2;
/** More replicas than this would only burn venue bandwidth. */
export const MAX_REPLICAS = 8;
export const DEFAULT_DELIVERIES = 2;
/** More parallel uploads than this only split a home uplink into slower pieces. */
export const MAX_DELIVERIES = 16;
/** A week: retention beyond it defeats "short-lived". */
export const MAX_RETENTION_MS = 7 * 24 * 3600_000;

/** Free and total bytes of the volume holding `dir`. */
export async function volumeOf(dir: string): Promise<Volume> {
  const s = await statfs(dir);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

export function defaultCaps(volume: Volume): Caps {
  return {
    diskBytes: Math.floor(Math.min(DEFAULT_DISK_CAP_BYTES, volume.freeBytes * DEFAULT_DISK_SHARE_OF_FREE)),
    floorBytes: Math.floor(volume.totalBytes * DEFAULT_FLOOR_SHARE_OF_VOLUME),
    originShare: DEFAULT_ORIGIN_SHARE,
    retentionMs: DEFAULT_RETENTION_MS,
    upBytesPerSec: null,
    downBytesPerSec: null,
    replicas: DEFAULT_REPLICAS,
    deliverBytesPerSec: null,
    deliveries: DEFAULT_DELIVERIES,
  };
}

/** The caps in force: the saved ones over the defaults for this volume. */
export function loadCaps(ledger: Ledger, volume: Volume): Caps {
  const saved = ledger.getSetting(SETTINGS_KEY);
  const base = defaultCaps(volume);
  if (saved === undefined || saved === null || typeof saved !== 'object' || Array.isArray(saved)) return base;
  try {
    return validateCaps({ ...base, ...(saved as Partial<Caps>) });
  } catch {
    return base; // a hand-edited or older setting that no longer validates: fall back, do not crash
  }
}

/** Validates and saves a change; returns the caps now in force. */
export function saveCaps(ledger: Ledger, volume: Volume, change: Partial<Caps>): Caps {
  const next = validateCaps({ ...loadCaps(ledger, volume), ...change });
  ledger.setSetting(SETTINGS_KEY, { ...next });
  return next;
}

/** Throws E_USAGE with a sentence for any cap out of range. */
export function validateCaps(caps: Caps): Caps {
  const bad = (what: string) => new InswarmError('E_USAGE', `${what}: change it and try again.`);
  const nonNegativeInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!nonNegativeInt(caps.diskBytes)) throw bad('The disk cap must be a whole number of bytes, 0 or more');
  if (!nonNegativeInt(caps.floorBytes)) throw bad('The free-disk floor must be a whole number of bytes, 0 or more');
  if (typeof caps.originShare !== 'number' || !(caps.originShare > 0 && caps.originShare <= 1)) throw bad('The per-origin share must be above 0 and at most 1');
  if (!nonNegativeInt(caps.retentionMs) || caps.retentionMs < 60_000 || caps.retentionMs > MAX_RETENTION_MS) throw bad('Retention must be between 1 minute and 7 days');
  for (const [name, v] of [['upload', caps.upBytesPerSec], ['download', caps.downBytesPerSec], ['delivery', caps.deliverBytesPerSec]] as const) {
    if (v !== null && (!nonNegativeInt(v) || v < 1024)) throw bad(`The ${name} cap must be at least 1 KB/s (or none)`);
  }
  if (!Number.isSafeInteger(caps.replicas) || caps.replicas < 1 || caps.replicas > MAX_REPLICAS) throw bad(`Replicas must be between 1 and ${MAX_REPLICAS}`);
  if (!Number.isSafeInteger(caps.deliveries) || caps.deliveries < 1 || caps.deliveries > MAX_DELIVERIES) throw bad(`Deliveries at once must be between 1 and ${MAX_DELIVERIES}`);
  return caps;
}
