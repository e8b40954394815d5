// What the My backups grid shows for an own blob, and the bounded cache of its thumbnails. Pure.

import type { BackupFilter, BackupView } from '../../shared/api.js';

/** Tiles per page: a screenful or two on a laptop, and one small list call. */
export const BACKUPS_PAGE_SIZE = 48;
/**
 * Thumbnails kept in memory: a data URL is some 10–50 KB, so this is a few MB at most, enough
 * to page back and forth without asking the core again, and never growing with the library.
 */
export const THUMB_CACHE_MAX = 300;

export type BackupPhase = 'pending' | 'placing' | 'placed' | 'delivered' | 'lost' | 'unknown';

/** The filters in the order shown, with their labels. */
export const BACKUP_FILTERS: readonly { readonly filter: BackupFilter; readonly label: string }[] = [
  { filter: 'all', label: 'All' },
  { filter: 'pending', label: 'Pending' },
  { filter: 'placed', label: 'On holders' },
  { filter: 'delivered', label: 'Delivered' },
];

/** The outbox states (ledger: sealed, placing, placed, delivered, lost) as the grid words them. */
export function backupPhase(state: string): BackupPhase {
  switch (state) {
    case 'sealed':
      return 'pending';
    case 'placing':
    case 'placed':
    case 'delivered':
    case 'lost':
      return state;
    default:
      return 'unknown';
  }
}

export function phaseLabel(phase: BackupPhase): string {
  switch (phase) {
    case 'pending':
      return 'Waiting for holders';
    case 'placing':
      return 'Copying to holders';
    case 'placed':
      return 'On holders';
    case 'delivered':
      return 'Delivered';
    case 'lost':
      return 'Lost';
    default:
      return 'Unknown';
  }
}

/** "2/2 holders" — replicas with a custody receipt over replicas wanted. */
export function replicaBadge(b: Pick<BackupView, 'replicas' | 'wanted'>): string {
  return `${b.replicas}/${b.wanted} ${b.wanted === 1 ? 'holder' : 'holders'}`;
}

/** Whether the replicas reach what the caps ask for. */
export function replicasEnough(b: Pick<BackupView, 'replicas' | 'wanted'>): boolean {
  return b.replicas >= b.wanted;
}

/** "1–48 of 240" (or "0 of 0"). */
export function pageRange(offset: number, count: number, total: number): string {
  if (count === 0) return `0 of ${total}`;
  return `${offset + 1}–${offset + count} of ${total}`;
}

/**
 * Only inline raster images are shown: a thumbnail is never a link the window would fetch, nor an
 * SVG, whatever the core (or something pretending to be it) answers.
 */
export function safeThumbnail(dataUrl: unknown): string | null {
  if (typeof dataUrl !== 'string') return null;
  return /^data:image\/(jpeg|png|webp|gif);base64,[A-Za-z0-9+/]+=*$/.test(dataUrl) ? dataUrl : null;
}

/** A least-recently-used map with a fixed size: the oldest entry goes when a new one comes. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
