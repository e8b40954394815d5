// The ledger side of importing: one `imports` row per file taken from a source, with its state
// (copying → copied → sealed, or failed), so an import can stop at any point (an unplug, a crash)
// and the next run knows exactly what is done. Deduplication is by plaintext SHA-256 against every
// import before, whatever the source.

import type { DomainQueries, Ledger } from '../ledger/ledger.js';

/**
 * How long a group commit waits for more files to join it. Each commit fsyncs the ledger on the
 * main thread while copies are being flushed too; a few ms of waiting turns one commit per file
 * into one per handful of files, and is nothing next to a file's copy time.
 */
export const GROUP_COMMIT_WINDOW_MS = 4;

export type ImportState = 'copying' | 'copied' | 'sealed' | 'failed';

export interface ImportRow {
  readonly id: number;
  readonly source: string;
  readonly sourcePath: string;
  readonly sha256: string;
  readonly size: number;
  readonly libraryPath: string | null;
  readonly capturedAt: number | null;
  readonly state: ImportState;
  readonly blobId: string | null;
}

const COLUMNS = `id, source, source_path AS sourcePath, plaintext_sha256 AS sha256, size, library_path AS libraryPath,
  captured_at AS capturedAt, state, blob_id AS blobId`;

const SQL = {
  known: `SELECT source_path AS sourcePath, size FROM imports WHERE source = @source AND state IN ('copied', 'sealed')`,
  bySha: `SELECT ${COLUMNS} FROM imports WHERE plaintext_sha256 = @sha256 AND state IN ('copied', 'sealed')
    AND library_path IS NOT NULL ORDER BY id LIMIT 1`,
  insert: `INSERT INTO imports (source, source_path, plaintext_sha256, size, library_path, captured_at, state, blob_id, imported_at)
    VALUES (@source, @sourcePath, @sha256, @size, @libraryPath, @capturedAt, @state, @blobId, @now)`,
  setPath: `UPDATE imports SET library_path = @libraryPath WHERE id = @id`,
  setCopied: `UPDATE imports SET state = 'copied', imported_at = @now WHERE id = @id AND state = 'copying'`,
  remove: `DELETE FROM imports WHERE id = @id`,
  copying: `SELECT ${COLUMNS} FROM imports WHERE state = 'copying' ORDER BY id LIMIT @limit`,
  unsealed: `SELECT ${COLUMNS} FROM imports WHERE state = 'copied' AND library_path IS NOT NULL AND id > @after ORDER BY id LIMIT @limit`,
  get: `SELECT ${COLUMNS} FROM imports WHERE id = @id`,
  sealed: `UPDATE imports SET state = 'sealed', blob_id = @blobId WHERE plaintext_sha256 = @sha256 AND state = 'copied'`,
  failed: `UPDATE imports SET state = 'failed' WHERE plaintext_sha256 = @sha256 AND state = 'copied'`,
  pending: `SELECT count(DISTINCT plaintext_sha256) AS n FROM imports WHERE state = 'copied'`,
  summary: `SELECT state, count(*) AS count, coalesce(sum(size), 0) AS bytes FROM imports GROUP BY state`,
} as const;

export class IntakeStore {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(
    readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {
    this.q = ledger.prepare(SQL);
  }

  /** "path\0size" of every file already imported from this source (the --new filter, one query). */
  knownFiles(source: string): Set<string> {
    return new Set(this.knownRows(source).map((r) => knownKey(r.sourcePath, r.size)));
  }

  /** The sizes imported from each path of a source (one path may have held several files). */
  knownSizes(source: string): Map<string, number[]> {
    const sizes = new Map<string, number[]>();
    for (const r of this.knownRows(source)) sizes.set(r.sourcePath, [...(sizes.get(r.sourcePath) ?? []), r.size]);
    return sizes;
  }

  private knownRows(source: string): { sourcePath: string; size: number }[] {
    return this.ledger.guarded('reading past imports', () => this.q.known.all({ source })) as { sourcePath: string; size: number }[];
  }

  /** The first finished import of this content, if any. */
  bySha(sha256: string): ImportRow | undefined {
    return this.ledger.guarded('looking up an import', () => this.q.bySha.get({ sha256 })) as ImportRow | undefined;
  }

  get(id: number): ImportRow | undefined {
    return this.ledger.guarded('reading an import', () => this.q.get.get({ id })) as ImportRow | undefined;
  }

  /** Records a file whose bytes are read and hashed and are about to be placed in the library. */
  beginCopy(row: { source: string; sourcePath: string; sha256: string; size: number; capturedAt: number | null }): number {
    const info = this.ledger.guarded('recording an import', () =>
      this.q.insert.run({ ...row, libraryPath: null, state: 'copying', blobId: null, now: this.now() }),
    );
    return Number(info.lastInsertRowid);
  }

  /**
   * beginCopy and setLibraryPath in one commit: a file about to be renamed to `libraryPath` (its
   * placeholder already created there), recorded before the rename so recovery can adopt it.
   */
  beginCopyAt(row: { source: string; sourcePath: string; sha256: string; size: number; capturedAt: number | null }, libraryPath: string): number {
    const info = this.ledger.guarded('recording an import', () =>
      this.q.insert.run({ ...row, libraryPath, state: 'copying', blobId: null, now: this.now() }),
    );
    return Number(info.lastInsertRowid);
  }

  /** Marks several verified copies copied in one transaction (one commit for the batch). */
  copiedAll(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.ledger.guarded('recording an import', () =>
      this.ledger.transaction(() => {
        const now = this.now();
        for (const id of ids) this.q.setCopied.run({ id, now });
      }),
    );
  }

  setLibraryPath(id: number, libraryPath: string): void {
    this.ledger.guarded('recording an import', () => this.q.setPath.run({ id, libraryPath }));
  }

  copied(id: number): void {
    this.ledger.guarded('recording an import', () => this.q.setCopied.run({ id, now: this.now() }));
  }

  remove(id: number): void {
    this.ledger.guarded('clearing an import', () => this.q.remove.run({ id }));
  }

  /** A file whose content was imported before: recorded so --new skips it next time. */
  duplicate(row: { source: string; sourcePath: string; size: number }, of: ImportRow): void {
    this.ledger.guarded('recording an import', () =>
      this.q.insert.run({
        ...row,
        sha256: of.sha256,
        libraryPath: of.libraryPath,
        capturedAt: of.capturedAt,
        state: of.state,
        blobId: of.blobId,
        now: this.now(),
      }),
    );
  }

  /** Rows an earlier run left half-done (a crash or an unplug mid-file). */
  copyingRows(limit: number): ImportRow[] {
    return this.ledger.guarded('reading unfinished imports', () => this.q.copying.all({ limit })) as ImportRow[];
  }

  /** Copied but not yet sealed, oldest first, paged by id. */
  unsealed(after: number, limit: number): ImportRow[] {
    return this.ledger.guarded('reading imports to seal', () => this.q.unsealed.all({ after, limit })) as ImportRow[];
  }

  /** Marks every copied row of this content sealed into `blobId` (duplicates too). */
  sealed(sha256: string, blobId: string): void {
    this.ledger.guarded('recording a sealed import', () => this.q.sealed.run({ sha256, blobId }));
  }

  /** Marks every copied row of this content failed (its library copy is gone or changed). */
  failed(sha256: string): void {
    this.ledger.guarded('recording a failed import', () => this.q.failed.run({ sha256 }));
  }

  /** Distinct contents copied into the library and not yet sealed. */
  pendingCount(): number {
    return (this.ledger.guarded('counting imports to seal', () => this.q.pending.get()) as { n: number }).n;
  }

  summary(): { state: ImportState; count: number; bytes: number }[] {
    return this.ledger.guarded('summing imports', () => this.q.summary.all()) as { state: ImportState; count: number; bytes: number }[];
  }
}

/**
 * Group commit: ledger writes queued from several files in flight run together in one transaction
 * (one fsync of the ledger) once GROUP_COMMIT_WINDOW_MS has passed since the first was queued; the
 * folders named with them are fsynced first (so renames into them are durable before the rows
 * saying so). Each caller's promise settles only after that commit, so nothing is acknowledged
 * before it is durable; if the commit fails, every caller in the batch sees the error (the
 * transaction rolled back as a whole).
 */
export class GroupCommit {
  private queue: { fn: () => unknown; resolve: (v: unknown) => void; reject: (err: unknown) => void }[] = [];
  private dirs = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ledger: Ledger,
    private readonly syncDir: (dir: string) => Promise<void>,
    private readonly windowMs: number = GROUP_COMMIT_WINDOW_MS,
  ) {}

  /** Runs `fn` in the next group transaction, after fsyncing `syncDirs`; resolves with its result once committed. */
  run<T>(fn: () => T, syncDirs: readonly string[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      for (const d of syncDirs) this.dirs.add(d);
      this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batch = this.queue;
    const dirs = [...this.dirs];
    this.queue = [];
    this.dirs = new Set();
    let results: unknown[];
    try {
      await Promise.all(dirs.map((d) => this.syncDir(d)));
      results = this.ledger.transaction(() => batch.map((op) => op.fn()));
    } catch (err) {
      for (const op of batch) op.reject(err);
      return;
    }
    batch.forEach((op, i) => op.resolve(results[i]));
  }
}

export function knownKey(sourcePath: string, size: number): string {
  return `${sourcePath}\0${size}`;
}
