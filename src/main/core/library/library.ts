// The owner's photo library: blobs opened into ROOT/YYYY/MM/DD/<original name>, by the day the
// photo was taken (the camera's local date), else by its modification time. Each distinct photo
// (by plaintext SHA-256) is filed once per library, whichever way its blob arrived (receiver
// upload, S3 inbox, folder inbox) and however many blobs carry it. Files are never overwritten:
// openBlob links each one into place only after the whole blob authenticated, adding " (n)" on a
// name collision with a different photo.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join, posix, resolve } from 'node:path';
import type { Ledger, DomainQueries } from '../ledger/ledger.js';
import { captureDay, captureInstantMs } from '../seal/capture-time.js';
import type { X25519Identity } from '../seal/age-keys.js';
import { openBlob, type OpenedFile } from '../seal/open.js';

export interface LibraryFile {
  readonly archivePath: string;
  /** Relative to the library root (POSIX separators); the existing copy's path when a duplicate. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** True when this photo was already in the library and nothing new was written. */
  readonly duplicate: boolean;
}

export interface LibraryOpenResult {
  readonly blobId: string;
  readonly origin: string | null;
  readonly files: readonly LibraryFile[];
  readonly added: number;
  readonly duplicates: number;
}

export interface LibraryOpenOptions {
  readonly identities: readonly X25519Identity[];
  /** The blob's name; its bytes must hash to it. */
  readonly expectedId?: string;
  readonly signal?: AbortSignal;
}

const SQL = {
  find: `SELECT path FROM library_files WHERE library = @library AND sha256 = @sha256`,
  add: `INSERT INTO library_files (library, sha256, path, size, blob_id, added_at)
    VALUES (@library, @sha256, @path, @size, @blobId, @now) ON CONFLICT DO NOTHING`,
} as const;

/** A photo library folder and its index in the ledger. */
export class Library {
  readonly root: string;
  private readonly q: DomainQueries<keyof typeof SQL>;
  /** Photos being filed right now by an open() of this library, so two uploads file one copy. */
  private readonly filing = new Set<string>();

  constructor(
    private readonly ledger: Ledger,
    root: string,
    private readonly now: () => number = Date.now,
  ) {
    this.root = resolve(root);
    this.q = ledger.prepare(SQL);
  }

  /** The library path of a photo with this plaintext hash, if it is filed here. */
  pathOf(sha256: string): string | null {
    const row = this.ledger.guarded('reading the library index', () => this.q.find.get({ library: this.root, sha256 })) as { path: string } | undefined;
    return row?.path ?? null;
  }

  /**
   * Verifies, decrypts and files every photo of the blob at `blobPath`. Nothing is placed unless
   * the whole blob authenticated; a photo already here is skipped and reported as a duplicate.
   */
  async open(blobPath: string, options: LibraryOpenOptions): Promise<LibraryOpenResult> {
    const claimed = new Map<string, () => void>();
    const duplicates = new Map<string, string>();
    const place = async (file: Omit<OpenedFile, 'placedAt'>): Promise<string | null> => {
      const existing = await this.existingCopy(file, options.expectedId ?? '', claimed);
      if (existing !== null) {
        duplicates.set(file.sha256, existing);
        return null;
      }
      return datedPath(file);
    };
    let result;
    try {
      result = await openBlob(blobPath, this.root, {
        identities: options.identities,
        ...(options.expectedId === undefined ? {} : { expectedId: options.expectedId }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        place,
      });
    } finally {
      for (const release of claimed.values()) release();
    }
    const files: LibraryFile[] = [];
    const now = this.now();
    this.ledger.transaction(() => {
      for (const file of result.files) {
        if (file.placedAt !== null) {
          const path = file.placedAt.split(/[\\/]/).join(posix.sep);
          this.ledger.guarded('recording a library file', () =>
            this.q.add.run({ library: this.root, sha256: file.sha256, path, size: file.size, blobId: result.blobId, now }),
          );
          files.push({ archivePath: file.archivePath, path, sha256: file.sha256, size: file.size, duplicate: false });
        } else {
          const path = duplicates.get(file.sha256) ?? this.pathOf(file.sha256) ?? '';
          files.push({ archivePath: file.archivePath, path, sha256: file.sha256, size: file.size, duplicate: true });
        }
      }
    });
    const added = files.filter((f) => !f.duplicate).length;
    return { blobId: result.blobId, origin: result.origin, files, added, duplicates: files.length - added };
  }

  /**
   * Where this photo already is, or null after claiming it for this open(). A copy on disk that the
   * index does not know (a crash between filing and recording) counts, so a retry files nothing
   * twice. A photo another open() is filing right now counts too, without waiting for it: openBlob
   * calls `place` only after its blob authenticated, so the other one fails only on a disk error,
   * and then its delivery is retried and files the photo.
   */
  private async existingCopy(file: Omit<OpenedFile, 'placedAt'>, blobId: string, claimed: Map<string, () => void>): Promise<string | null> {
    const indexed = this.pathOf(file.sha256);
    if (indexed !== null) return indexed;
    const target = datedPath(file);
    if (claimed.has(file.sha256) || this.filing.has(file.sha256)) return target;
    // Claim before the first await, so a concurrent open() of the same photo sees the claim.
    this.filing.add(file.sha256);
    claimed.set(file.sha256, () => this.filing.delete(file.sha256));
    if (await sameContent(join(this.root, target), file.sha256, file.size)) {
      this.ledger.guarded('recording a library file', () =>
        this.q.add.run({ library: this.root, sha256: file.sha256, path: target, size: file.size, blobId, now: this.now() }),
      );
      return target;
    }
    return null;
  }
}

/**
 * YYYY/MM/DD/<name>: the capture day as the camera recorded it; for a capture instant without the
 * camera's local time (a video's mvhd) the day on this computer's clock, which at a venue is in the
 * same place as the phone; else the local day of the mtime.
 */
export function datedPath(file: Pick<OpenedFile, 'archivePath' | 'capturedAt' | 'mtimeMs'>): string {
  const captured = file.capturedAt;
  const instant = captured === null ? null : captureInstantMs(captured);
  const day = (captured === null ? null : captureDay(captured)) ?? (instant === null ? null : localDay(instant)) ?? localDay(file.mtimeMs);
  return posix.join(day.year, day.month, day.day, basename(file.archivePath));
}

function localDay(ms: number): { year: string; month: string; day: string } {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return { year: String(d.getFullYear()).padStart(4, '0'), month: pad(d.getMonth() + 1), day: pad(d.getDate()) };
}

/** True when `path` is a regular file of this size and hash (a copy an interrupted run left). */
async function sameContent(path: string, sha256: string, size: number): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size !== size) return false;
  } catch {
    return false;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex') === sha256;
}
