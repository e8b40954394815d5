// `collect`: takes blobs from an inbox (an S3 prefix or a folder) into the photo library. Each new
// object must be named by a blob ID and hash to it, decrypt with the owner's key and hold a safe
// tar; then its photos are filed (Library.open), the object is recorded in `collected`, and only
// then, with `delete`, removed from the inbox. A bad object is reported and recorded as failed,
// never deleted, and never stops the others. Errors that say nothing about the object (network,
// full disk) are reported but not recorded, so the next run tries again.

import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCode } from '../../../shared/error-codes.js';
import { fromFsError, InswarmError, isInswarmError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Library, LibraryFile } from '../library/library.js';
import { BLOB_ID_PATTERN, COLLECT_MAX_OBJECT_BYTES, COLLECT_MAX_OBJECTS_PER_RUN } from '../limits.js';
import type { X25519Identity } from '../seal/age-keys.js';
import { CollectedStore } from './collected-store.js';
import type { Inbox, InboxObject } from './inbox.js';

/** Verdicts about an object's bytes: recorded as failed, not retried unless asked. */
const CONTENT_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'E_BLOB_ID',
  'E_BLOB_HASH',
  'E_AGE_ARMOR',
  'E_AGE_HEADER',
  'E_AGE_NO_MATCH',
  'E_AGE_HMAC',
  'E_AGE_PAYLOAD',
  'E_TAR_FORMAT',
  'E_TAR_UNSAFE',
  'E_TAR_LIMIT',
  'E_TAR_HASH',
]);
const RUN_DIR_PREFIX = 'run-';

export type CollectOutcome =
  /** Opened into the library now (and recorded). */
  | 'opened'
  /** A bad object: recorded as failed, left in the inbox. */
  | 'failed'
  /** Could not be fetched or opened for a reason outside the object (network, disk): tried again next run. */
  | 'error'
  /** Its name is not a blob ID, so it is not an Inswarm blob: left alone, not recorded. */
  | 'not-a-blob'
  /** Collected by an earlier run and deleted from the inbox now (with `delete`). */
  | 'deleted';

export interface CollectEvent {
  readonly key: string;
  readonly outcome: CollectOutcome;
  readonly blobId: string | null;
  readonly size: number;
  /** For 'opened': each photo and where it is in the library. */
  readonly files?: readonly LibraryFile[];
  /** True when an opened object was also deleted from the inbox. */
  readonly deleted?: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface CollectSummary {
  readonly source: string;
  /** New blobs opened into the library. */
  readonly opened: number;
  /** Photos newly filed. */
  readonly files: number;
  /** Photos that were already in the library. */
  readonly duplicates: number;
  /** Objects that failed this run (bad ones and retriable errors). */
  readonly failed: number;
  /** Objects whose name is not a blob ID. */
  readonly notBlobs: number;
  /** Objects collected by an earlier run (skipped). */
  readonly alreadyCollected: number;
  /** Objects that failed in an earlier run (skipped unless retryFailed). */
  readonly previouslyFailed: number;
  /** Objects deleted from the inbox this run. */
  readonly deleted: number;
  /** True when the run stopped at the per-run object limit: run again for the rest. */
  readonly more: boolean;
  readonly events: readonly CollectEvent[];
}

export interface CollectOptions {
  readonly identities: readonly X25519Identity[];
  /** Delete each object from the inbox once it is opened and recorded. */
  readonly delete?: boolean;
  /** Try objects again that an earlier run recorded as failed (e.g. after fixing --identity). */
  readonly retryFailed?: boolean;
  readonly signal?: AbortSignal;
  /** Called once per object handled, as it happens. */
  readonly onEvent?: (event: CollectEvent) => void;
  readonly maxObjects?: number;
  readonly maxObjectBytes?: number;
}

export interface CollectorParts {
  readonly ledger: Ledger;
  readonly library: Library;
  readonly inbox: Inbox;
  /** A private folder for downloads (e.g. DATA/collect-tmp); emptied of crashed runs' leftovers. */
  readonly workDir: string;
  readonly now?: () => number;
}

/** One collect run over one inbox. */
export class Collector {
  private readonly store: CollectedStore;

  constructor(private readonly parts: CollectorParts) {
    this.store = new CollectedStore(parts.ledger, parts.inbox.source, parts.now);
  }

  /** Collects every new object of the inbox (up to the per-run limit) and returns what happened. */
  async run(options: CollectOptions): Promise<CollectSummary> {
    const maxObjects = options.maxObjects ?? COLLECT_MAX_OBJECTS_PER_RUN;
    const maxBytes = options.maxObjectBytes ?? COLLECT_MAX_OBJECT_BYTES;
    const events: CollectEvent[] = [];
    const counts = { opened: 0, files: 0, duplicates: 0, failed: 0, notBlobs: 0, alreadyCollected: 0, previouslyFailed: 0, deleted: 0 };
    let attempted = 0;
    let more = false;
    const emit = (event: CollectEvent): void => {
      events.push(event);
      options.onEvent?.(event);
    };
    const runDir = await this.makeRunDir();
    try {
      for await (const object of this.parts.inbox.list(options.signal)) {
        options.signal?.throwIfAborted();
        if (!BLOB_ID_PATTERN.test(object.name)) {
          counts.notBlobs++;
          emit({ key: object.key, outcome: 'not-a-blob', blobId: null, size: object.size });
          continue;
        }
        const row = this.store.get(object.key);
        if (row !== undefined && row.state !== 'failed') {
          counts.alreadyCollected++;
          // Collected before: with `delete`, an object still (or again) there goes now. Its key
          // is its content's hash, so what is there now is what was opened then.
          if (options.delete) {
            const event = await this.deleteCollected(object, options.signal);
            if (event.outcome === 'deleted') counts.deleted++;
            else counts.failed++;
            emit(event);
          }
          continue;
        }
        if (row !== undefined && !options.retryFailed) {
          counts.previouslyFailed++;
          continue;
        }
        if (attempted >= maxObjects) {
          more = true;
          break;
        }
        attempted++;
        const event = await this.collectOne(object, runDir, maxBytes, options);
        if (event.outcome === 'opened') {
          counts.opened++;
          for (const file of event.files ?? []) {
            if (file.duplicate) counts.duplicates++;
            else counts.files++;
          }
          if (event.deleted) counts.deleted++;
        } else {
          counts.failed++;
        }
        emit(event);
      }
    } finally {
      await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
    }
    return { source: this.parts.inbox.source, ...counts, more, events };
  }

  private async collectOne(object: InboxObject, runDir: string, maxBytes: number, options: CollectOptions): Promise<CollectEvent> {
    const blobId = object.name;
    const base = { key: object.key, blobId, size: object.size };
    if (object.size > maxBytes) {
      const error = new InswarmError('E_DELIVERY_REFUSED', `${object.key} is ${object.size} bytes, more than the ${maxBytes} bytes a blob may have: it was not downloaded; delete it if you do not know it.`);
      return this.failed(object, error);
    }
    let fetched;
    try {
      fetched = await this.parts.inbox.fetch(object, runDir, options.signal);
    } catch (err) {
      return this.failure(object, err);
    }
    let files: readonly LibraryFile[];
    try {
      const result = await this.parts.library.open(fetched.path, {
        identities: options.identities,
        expectedId: blobId,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      files = result.files;
      this.store.record(object.key, { blobId, size: object.size, state: 'opened' });
    } catch (err) {
      return this.failure(object, err);
    } finally {
      await fetched.release().catch(() => undefined);
    }
    if (!options.delete) return { ...base, outcome: 'opened', files, deleted: false };
    // Opened and recorded: only now may the object leave the inbox.
    try {
      await this.parts.inbox.remove(object, options.signal);
      this.store.markDeleted(object.key);
      return { ...base, outcome: 'opened', files, deleted: true };
    } catch (err) {
      const error = asInswarmError(err, `deleting ${object.key}`);
      return { ...base, outcome: 'opened', files, deleted: false, error: { code: error.code, message: error.message } };
    }
  }

  private async deleteCollected(object: InboxObject, signal: AbortSignal | undefined): Promise<CollectEvent> {
    const base = { key: object.key, blobId: object.name, size: object.size };
    try {
      await this.parts.inbox.remove(object, signal);
      this.store.markDeleted(object.key);
      return { ...base, outcome: 'deleted' };
    } catch (err) {
      const error = asInswarmError(err, `deleting ${object.key}`);
      return { ...base, outcome: 'error', error: { code: error.code, message: error.message } };
    }
  }

  /** A content verdict is recorded as failed; anything else is only reported. Aborts propagate. */
  private failure(object: InboxObject, err: unknown): CollectEvent {
    if (isInswarmError(err, 'E_ABORTED')) throw err;
    const error = asInswarmError(err, `collecting ${object.key}`);
    if (CONTENT_ERRORS.has(error.code)) return this.failed(object, error);
    return { key: object.key, outcome: 'error', blobId: object.name, size: object.size, error: { code: error.code, message: error.message } };
  }

  private failed(object: InboxObject, error: InswarmError): CollectEvent {
    this.store.record(object.key, { blobId: object.name, size: object.size, state: 'failed', error: error.message });
    return { key: object.key, outcome: 'failed', blobId: object.name, size: object.size, error: { code: error.code, message: error.message } };
  }

  /** A fresh download folder for this run, after removing those of runs that crashed. */
  private async makeRunDir(): Promise<string> {
    const { workDir } = this.parts;
    try {
      await mkdir(workDir, { recursive: true, mode: 0o700 });
      for (const name of await readdir(workDir)) {
        const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
        if (name.startsWith(RUN_DIR_PREFIX) && !(Number.isInteger(pid) && isAlive(pid))) {
          await rm(join(workDir, name), { recursive: true, force: true });
        }
      }
      return await mkdtemp(join(workDir, `${RUN_DIR_PREFIX}${process.pid}-`));
    } catch (err) {
      throw fromFsError(err, `preparing the download folder ${workDir}`);
    }
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function asInswarmError(err: unknown, doing: string): InswarmError {
  const mapped = fromFsError(err, doing);
  if (mapped instanceof InswarmError) return mapped;
  return new InswarmError('E_IO', `Something unexpected failed while ${doing} (${String((mapped as Error)?.message ?? mapped).slice(0, 200)}): run collect again.`, { cause: err });
}

/** "collected N new blobs (M files, X duplicates), K failed" plus what else happened. */
export function formatSummary(s: CollectSummary): string {
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  let line = `collected ${plural(s.opened, 'new blob', 'new blobs')} (${plural(s.files, 'file', 'files')}, ${plural(s.duplicates, 'duplicate', 'duplicates')}), ${s.failed} failed`;
  const extra: string[] = [];
  if (s.deleted > 0) extra.push(`${s.deleted} deleted from the inbox`);
  if (s.alreadyCollected > 0) extra.push(`${s.alreadyCollected} collected earlier`);
  if (s.previouslyFailed > 0) extra.push(`${s.previouslyFailed} failed earlier (skipped; --retry-failed tries them again)`);
  if (s.notBlobs > 0) extra.push(`${plural(s.notBlobs, 'object is', 'objects are')} not named by a blob ID (left alone)`);
  if (extra.length > 0) line += `; ${extra.join(', ')}`;
  if (s.more) line += '; more objects are waiting: run collect again';
  return line;
}
