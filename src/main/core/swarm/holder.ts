// The holder side: a donor's promises in code. Decides on offers within the caps (donated disk,
// free-disk floor, per-origin share, retention), receives into incoming/ with resume, verifies
// size and SHA-256 at commit, stores durably and records *before* signing the custody receipt.

import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeviceIdentity } from '../identity/device-identity.js';
import type { Ledger } from '../ledger/ledger.js';
import { BLOB_ID_PATTERN } from '../limits.js';
import { ProtocolError } from '../protocol/codec.js';
import { ParallelSha256 } from '../seal/parallel-hash.js';
import type { Signed } from '../protocol/messages.js';
import type { OfferDecision, SessionHandler } from '../protocol/session.js';
import { signCustodyReceipt, TicketExpiredError, verifyRelease, verifyTicket } from '../protocol/signed.js';
import type { BlobStore } from '../store/blob-store.js';
import type { EventBus } from '../events.js';
import type { Caps, Volume } from './caps.js';
import type { TokenBucket } from './token-bucket.js';
import { WriteBehind, WriteBudget } from '../store/write-behind.js';

const READ_SIZE = 1024 * 1024;
/**
 * Room kept above the floor for what accepting a replica writes besides its bytes (ledger rows,
 * WAL pages, events, file-system rounding), so those writes do not cross the floor either.
 */
const BOOKKEEPING_BYTES = 1024 * 1024;

export interface HolderParts {
  readonly identity: DeviceIdentity;
  readonly ledger: Ledger;
  readonly store: BlobStore;
  /** `<data>/incoming`: partial receives, kept across restarts so transfers resume. */
  readonly incomingDir: string;
  readonly caps: () => Caps;
  /** The volume as it is now (not cached): the free-disk floor is checked against it. */
  readonly volume: () => Promise<Volume>;
  readonly download: TokenBucket;
  readonly events: EventBus;
  readonly now: () => number;
}

/** Blobs at least this large are hashed on a worker thread (a worker costs ~30 ms to start). */
const PARALLEL_HASH_MIN_BYTES = 16 * 1024 * 1024;
/**
 * Worker threads hashing at once, across links: a second core is all they can win, and each one
 * costs memory. Large blobs beyond these are hashed inline, as small ones are.
 */
export const MAX_PARALLEL_HASHERS = 2;
/**
 * Transfers received at once across all links (a link allows MAX_INBOUND_TRANSFERS): bounds the
 * open part files and reservations that many origins, or hostile ones, can hold at a time.
 */
export const MAX_RECEIVING_TRANSFERS = 64;
/** When a holder at MAX_RECEIVING_TRANSFERS asks an origin to try again. */
const BUSY_RETRY_MS = 1_000;
/** Bytes received but not yet written, across transfers, before receiving waits for the disk. */
const WRITE_BEHIND_BYTES = 8 * 1024 * 1024;

/** SHA-256 of an incoming blob: inline for small blobs, on a worker for large ones. */
interface BlobHasher {
  update(bytes: Uint8Array): Promise<void>;
  digest(): Promise<string>;
  abort(): Promise<void>;
}

function inlineHasher(): BlobHasher {
  const hash: Hash = createHash('sha256');
  return {
    update: async (bytes) => void hash.update(bytes),
    digest: async () => hash.digest('hex'),
    abort: async () => undefined,
  };
}

interface Receiving {
  handle: FileHandle;
  hash: BlobHasher;
  /** Writes in order, behind the network: receiving and writing overlap. */
  file: WriteBehind;
  received: number;
  size: number;
  originId: string;
  until: number;
}

/** Lets queued writes finish (so the partial file is as long as it can be), stops the hasher, closes. */
async function closeReceiving(r: Receiving): Promise<void> {
  await r.file.flushed().catch(() => undefined);
  await r.hash.abort().catch(() => undefined);
  await r.handle.close().catch(() => undefined);
}

export class Holder implements SessionHandler {
  private readonly receiving = new Map<string, Receiving>();
  private readonly writeBudget = new WriteBudget(WRITE_BEHIND_BYTES);
  private parallelHashers = 0;
  /** Offers being decided now: they count against MAX_RECEIVING_TRANSFERS before they receive. */
  private deciding = 0;

  constructor(private readonly parts: HolderParts) {}

  /** Removes partial files with no receiving row (and rows with no partial stay resumable from 0). */
  async reconcileIncoming(): Promise<void> {
    await mkdir(this.parts.incomingDir, { recursive: true });
    const live = new Set(this.parts.ledger.receivingHeld().map((r) => r.blobId));
    for (const name of await readdir(this.parts.incomingDir)) {
      const id = name.replace(/\.part$/, '');
      if (!live.has(id)) await rm(join(this.parts.incomingDir, name), { force: true });
    }
  }

  /** Free bytes this holder could still accept, for hello and mDNS (coarse; no promise). */
  async freeBytes(): Promise<number> {
    const caps = this.parts.caps();
    const volume = await this.parts.volume();
    const byCap = caps.diskBytes - this.parts.ledger.heldReservedBytes();
    const byFloor = volume.freeBytes - caps.floorBytes;
    return Math.max(0, Math.min(byCap, byFloor));
  }

  async onOffer(peerId: string, signed: Signed): Promise<OfferDecision> {
    // Across all links: each open receive holds a part file, and a large one perhaps a worker.
    if (this.receiving.size + this.deciding >= MAX_RECEIVING_TRANSFERS) return { accept: false, reason: 'busy', retryAfterMs: BUSY_RETRY_MS };
    this.deciding++;
    try {
      return await this.decide(peerId, signed);
    } finally {
      this.deciding--;
    }
  }

  private async decide(peerId: string, signed: Signed): Promise<OfferDecision> {
    const now = this.parts.now();
    let ticket;
    try {
      ticket = verifyTicket(signed, { now });
    } catch (err) {
      if (err instanceof TicketExpiredError) return { accept: false, reason: 'expired' };
      throw err;
    }
    // Origins offer their own blobs only: the ticket's signer must be the peer on this link.
    if (ticket.origin !== peerId) return { accept: false, reason: 'bad-ticket' };
    const caps = this.parts.caps();
    const until = Math.min(ticket.expires, now + caps.retentionMs);
    const { ledger } = this.parts;

    const existing = ledger.getHeld(ticket.blobId);
    if (existing !== undefined && existing.state !== 'receiving') return { accept: false, reason: 'duplicate' };
    if (existing !== undefined) {
      // Resume: the bytes already on disk count, after re-hashing them.
      const offset = await this.resume(ticket.blobId, existing.size, existing.originId, existing.expiresAt);
      return { accept: true, offset, size: existing.size };
    }
    if (ticket.size > caps.diskBytes) return { accept: false, reason: 'too-large' };
    // Accepted transfers still to arrive are not in the volume's free space yet. What each had
    // written before the statfs is (so only the rest is counted); one accepted or written to after
    // that moment counts for more than it will take, which errs towards declining, never towards
    // crossing the floor. Counting every transfer in full instead made a holder busy with several
    // receives decline "full" with room to spare, and origins then leave it alone for a while.
    const receivingBefore = ledger.receivingHeld();
    const writtenBefore = new Map([...this.receiving].map(([blobId, r]) => [blobId, r.file.writtenBytes]));
    const volume = await this.parts.volume();
    const toArrive = new Map<string, number>();
    for (const r of [...receivingBefore, ...ledger.receivingHeld()]) toArrive.set(r.blobId, r.size - Math.min(r.size, writtenBefore.get(r.blobId) ?? 0));
    const pendingBytes = [...toArrive.values()].reduce((sum, bytes) => sum + bytes, 0);
    // Checked and reserved without an await in between, so concurrent offers cannot overcommit.
    if (ledger.heldReservedBytes() + ticket.size > caps.diskBytes) return { accept: false, reason: 'full' };
    if (volume.freeBytes - pendingBytes - ticket.size - BOOKKEEPING_BYTES < caps.floorBytes) return { accept: false, reason: 'full' };
    if (ledger.heldBytesByOrigin(ticket.origin) + ticket.size > Math.floor(caps.diskBytes * caps.originShare)) return { accept: false, reason: 'origin-share' };
    // A reservation, not a promise: lost in a crash, the part file is an orphan that
    // reconcileIncoming removes, and the origin offers again. Only the commit below is flushed.
    ledger.unflushedTransaction(() => {
      ledger.addHeld({
        blobId: ticket.blobId,
        originId: ticket.origin,
        size: ticket.size,
        receivedAt: now,
        expiresAt: until,
        ticket: Buffer.from(JSON.stringify(signed)),
        state: 'receiving',
      });
      ledger.appendEvent('held:receiving', { blobId: ticket.blobId, origin: ticket.origin, size: ticket.size });
    });
    try {
      const handle = await this.createPart(ticket.blobId);
      this.receiving.set(ticket.blobId, { handle, hash: this.hasher(ticket.size), file: new WriteBehind(handle, 0, this.writeBudget), received: 0, size: ticket.size, originId: ticket.origin, until });
    } catch (err) {
      ledger.deleteHeld(ticket.blobId);
      throw err;
    }
    this.parts.events.emit('held:receiving', { blobId: ticket.blobId, originId: ticket.origin, size: ticket.size });
    return { accept: true, offset: 0, size: ticket.size };
  }

  async onData(_peerId: string, blobId: string, offset: number, bytes: Uint8Array): Promise<void> {
    const r = this.receiving.get(blobId);
    if (r === undefined) throw new ProtocolError('E_PROTO_STATE', 'no transfer in progress for this blob');
    if (offset !== r.received) throw new ProtocolError('E_PROTO_STATE', `data at ${offset}, expected ${r.received}`);
    // The donor's download cap, shared by all links: the session is paused while we wait here.
    await this.parts.download.take(bytes.length);
    await r.file.write(bytes);
    await r.hash.update(bytes);
    r.received += bytes.length;
    this.parts.events.emit('held:progress', { blobId, received: r.received, size: r.size });
  }

  async onCommit(peerId: string, blobId: string, size: number): Promise<Signed> {
    const r = this.receiving.get(blobId);
    if (r === undefined) throw new ProtocolError('E_PROTO_STATE', 'no transfer in progress for this blob');
    const { ledger, store } = this.parts;
    const part = this.partPath(blobId);
    try {
      if (r.received !== size || size !== r.size) throw new ProtocolError('E_PROTO_SIZE', `received ${r.received} bytes, the ticket says ${r.size}`);
      await r.file.flushed();
      const actual = await r.hash.digest();
      if (actual !== blobId) throw new ProtocolError('E_PROTO_HASH', `the bytes hash to ${actual.slice(0, 12)}…, not to the blob's ID: the copy was altered in transit`);
      await r.handle.sync();
      await r.handle.close();
      // Renamed into the store, whose shard fsync makes it durable; a part file that survives a
      // crash beside it has no receiving row and reconcileIncoming() removes it.
      await store.adopt(part, blobId, size);
    } catch (err) {
      await this.drop(blobId);
      throw err;
    }
    // Durable file, then durable row, then the receipt: never acknowledge what could be lost.
    const at = this.parts.now();
    let recorded: boolean;
    try {
      recorded = await ledger.groupCommit(() => {
        // The reservation may have gone meanwhile (expired and purged): then nothing is promised.
        if (!ledger.completeReceiving(blobId)) return false;
        ledger.appendEvent('held:stored', { blobId, origin: peerId, size });
        return true;
      });
    } finally {
      // Only now: while its row still says receiving, an offer decided meanwhile (offers and
      // commits run side by side) must find this transfer with every byte written, or it counts
      // bytes already on disk again as still to arrive and declines "full" with room to spare.
      this.receiving.delete(blobId);
    }
    if (!recorded) {
      await store.remove(blobId);
      throw new ProtocolError('E_PROTO_STATE', 'the reservation for this blob expired before it was complete; offer it again');
    }
    this.parts.events.emit('held:stored', { blobId, originId: peerId, size });
    return signCustodyReceipt(this.parts.identity, { blobId, size, origin: r.originId, until: r.until, at });
  }

  async onAbandon(_peerId: string, blobId: string, why: string): Promise<void> {
    const r = this.receiving.get(blobId);
    if (r === undefined) return;
    this.receiving.delete(blobId);
    await closeReceiving(r);
    if (why.includes('cancel')) {
      await this.drop(blobId);
      return;
    }
    // A dropped link or a stall keeps the partial file and its reservation: the origin resumes
    // where it stopped. Expiry frees both if it never comes back.
    this.parts.ledger.appendEvent('held:paused', { blobId, received: r.received, why });
    this.parts.events.emit('held:paused', { blobId, received: r.received, why });
  }

  async onRelease(peerId: string, blobId: string, signed: Signed): Promise<void> {
    const release = verifyRelease(signed, { now: this.parts.now() });
    const row = this.parts.ledger.getHeld(blobId);
    if (release.blobId !== blobId || release.origin !== peerId || (row !== undefined && row.originId !== release.origin)) {
      throw new ProtocolError('E_PROTO_TICKET', 'the release is not signed by this blob\'s origin');
    }
    if (row === undefined) return;
    await this.purge(blobId, 'delivered');
  }

  /** Removes a held replica's bytes and marks the row (released, expired). */
  async purge(blobId: string, state: 'delivered' | 'expired'): Promise<void> {
    const { ledger, store } = this.parts;
    ledger.transaction(() => {
      ledger.setHeldState(blobId, state);
      ledger.appendEvent(state === 'expired' ? 'held:expired' : 'held:released', { blobId });
    });
    const r = this.receiving.get(blobId);
    if (r !== undefined) {
      this.receiving.delete(blobId);
      await closeReceiving(r);
    }
    await rm(this.partPath(blobId), { force: true });
    await store.remove(blobId);
    this.parts.events.emit('held:purged', { blobId, state });
  }

  private async resume(blobId: string, size: number, originId: string, until: number): Promise<number> {
    const open_ = this.receiving.get(blobId);
    if (open_ !== undefined) {
      this.receiving.delete(blobId);
      await closeReceiving(open_);
    }
    await mkdir(this.parts.incomingDir, { recursive: true });
    const path = this.partPath(blobId);
    const handle = await open(path, 'a+', 0o600).then(async (h) => {
      await h.close();
      return open(path, 'r+');
    });
    let hash: BlobHasher | null = null;
    let position = 0;
    try {
      const have = Math.min((await handle.stat()).size, size);
      hash = this.hasher(size);
      const buffer = Buffer.allocUnsafe(READ_SIZE);
      while (position < have) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_SIZE, have - position), position);
        if (bytesRead === 0) break;
        await hash.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
      }
      await handle.truncate(position);
    } catch (err) {
      // Nothing of this attempt may outlive it: not the descriptor, not a hashing worker's slot.
      await hash?.abort().catch(() => undefined);
      await handle.close().catch(() => undefined);
      throw err;
    }
    this.receiving.set(blobId, { handle, hash, file: new WriteBehind(handle, position, this.writeBudget), received: position, size, originId, until });
    this.parts.ledger.appendEvent('held:resumed', { blobId, offset: position, size });
    this.parts.events.emit('held:resumed', { blobId, offset: position, size });
    return position;
  }

  private async drop(blobId: string): Promise<void> {
    const r = this.receiving.get(blobId);
    this.receiving.delete(blobId);
    if (r !== undefined) await closeReceiving(r);
    await rm(this.partPath(blobId), { force: true });
    this.parts.ledger.transaction(() => {
      if (this.parts.ledger.getHeld(blobId)?.state === 'receiving') this.parts.ledger.deleteHeld(blobId);
    });
  }

  /** SHA-256 for a blob of `size`: on a worker for large blobs while fewer than MAX_PARALLEL_HASHERS run. */
  private hasher(size: number): BlobHasher {
    if (size < PARALLEL_HASH_MIN_BYTES || this.parallelHashers >= MAX_PARALLEL_HASHERS) return inlineHasher();
    const worker = new ParallelSha256();
    this.parallelHashers++;
    let done = false;
    const finished = () => {
      if (!done) this.parallelHashers--;
      done = true;
    };
    return {
      update: (bytes) => worker.update([bytes]),
      digest: () => worker.digest().finally(finished),
      abort: () => worker.abort().finally(finished),
    };
  }

  /** Workers hashing for transfers now, for tests. */
  get parallelHashersRunning(): number {
    return this.parallelHashers;
  }

  /** A new part file; incoming/ exists from reconcileIncoming(), and is made again only if it went. */
  private async createPart(blobId: string): Promise<FileHandle> {
    const path = this.partPath(blobId);
    try {
      return await open(path, 'w', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(this.parts.incomingDir, { recursive: true });
      return await open(path, 'w', 0o600);
    }
  }

  private partPath(blobId: string): string {
    if (!BLOB_ID_PATTERN.test(blobId)) throw new ProtocolError('E_PROTO_MALFORMED', 'not a blob ID');
    return join(this.parts.incomingDir, `${blobId}.part`);
  }
}
