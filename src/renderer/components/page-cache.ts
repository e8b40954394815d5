// The rows of a server-paged list that the window has fetched, by page. Pure bookkeeping: the held
// list asks which pages cover the rows on screen, fetches only the missing ones, and forgets the
// least recently used pages so scrolling through 1,000,000 rows keeps memory flat.

/** Pages covering rows `first..last` (last exclusive). */
export function pagesForRange(first: number, last: number, pageSize: number): number[] {
  if (last <= first) return [];
  const out: number[] = [];
  for (let p = Math.floor(first / pageSize); p <= Math.floor((last - 1) / pageSize); p++) out.push(p);
  return out;
}

export class PageCache<T> {
  private readonly pages = new Map<number, readonly T[]>();

  constructor(
    readonly pageSize: number,
    /** Pages kept at most; the least recently used go first. */
    readonly maxPages: number,
  ) {}

  /** The row at `index`, or undefined when its page is not loaded. */
  row(index: number): T | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  /** Stores a page and marks it the most recently used. */
  set(page: number, rows: readonly T[]): void {
    this.pages.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
  }

  /** Marks the pages on screen as recently used, so they are the last to be forgotten. */
  touch(pages: readonly number[]): void {
    for (const p of pages) {
      const rows = this.pages.get(p);
      if (rows !== undefined) this.set(p, rows);
    }
  }

  /** Pages among `wanted` that are not loaded, in order. */
  missing(wanted: readonly number[]): number[] {
    return wanted.filter((p) => !this.pages.has(p));
  }

  loadedPages(): number[] {
    return [...this.pages.keys()];
  }

  /** Forgets every page except `keep`. */
  retainOnly(keep: Iterable<number>): void {
    const wanted = new Set(keep);
    for (const p of [...this.pages.keys()]) {
      if (!wanted.has(p)) this.pages.delete(p);
    }
  }

  clear(): void {
    this.pages.clear();
  }
}
