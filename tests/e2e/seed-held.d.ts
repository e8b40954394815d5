// Types of seed-held.js (plain JS, so `npm run bench` can use it without a build step of its own).

/** The blob ID of seeded row `i` (row 0 is the newest). */
export function seededBlobId(i: number): string;

/** Adds `count` held rows to the ledger in `dataDir` before its node starts; see seed-held.js. */
export function seedHeld(dataDir: string, count: number, options?: { state?: 'held' | 'receiving'; now?: number; spacingMs?: number }): { bytes: number; ledger: string; origins: number };
