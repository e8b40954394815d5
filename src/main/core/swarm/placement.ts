// The origin side: gets every own blob onto `k` distinct holders. Chooses holders by free space and
// measured throughput, offers a signed ticket, streams from the holder's resume offset within the
// shared upload cap, verifies the signed custody receipt and records it. Declines and drops are
// retried with backoff; nothing here is trusted to stay up.

import type { DeviceIdentity } from '../identity/device-identity.js';
import type { Ledger, OutboxRow, PlaceableRow, PlaceKey } from '../ledger/ledger.js';
import type { Session } from '../protocol/session.js';
import { signRelease, signTicket, verifyCustodyReceipt } from '../protocol/signed.js';
import type { DeliveryTarget } from '../delivery/endpoint.js';
import { DeliveryStore } from '../delivery/delivery-store.js';
import { RELEASES_PER_PASS } from '../limits.js';
import type { BlobStore } from '../store/blob-store.js';
import type { EventBus } from '../events.js';
import type { Caps } from './caps.js';
import type { TokenBucket } from './token-bucket.js';

/** Bytes per data frame: large enough for throughput, small enough that caps and progress stay fine-grained. */
export const DATA_CHUNK_BYTES = 256 * 1024;
/**
 * Bytes read from the blob file at once, sent as several frames: a 1 MB photo is one read, not
 * four (each read is a trip through libuv's thread pool, which costs more than the bytes on a busy
 * 2-core laptop). With the block read ahead, a streaming transfer holds at most two.
 */
const READ_BLOCK_BYTES = 4 * DATA_CHUNK_BYTES;
/**
 * Another transfer starts on a link only while the bytes its transfers still have to send are
 * below this: enough queued work to cover the round trips and commits of small blobs, while large
 * ones go one after the other (the next starting as the last megabytes of the one before are
 * sent, so the link does not idle through its commit) instead of sixteen side by side, each
 * finishing sixteen times later and holding a reservation on the holder all that time.
 */
export const LINK_WINDOW_BYTES = 8 * 1024 * 1024;
/** Transfers from this origin at once, across holders (each streaming one reads ahead a chunk). */
export const MAX_PLACEMENTS_IN_FLIGHT = 32;
/** Blobs looked at per placement pass. */
const PASS_BATCH = 200;
/** How often placement re-checks on its own (peers come and go; backoffs expire). */
export const PLACEMENT_TICK_MS = 2_000;
/** Backoff after a failure or drop: doubles from the first to the last value. */
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** A holder that is full, or over this origin's share, is not asked again for this long. */
const FULL_RETRY_MS = 5 * 60_000;

/** A linked peer as placement sees it. */
export interface PeerLink {
  readonly deviceId: string;
  readonly session: Session;
  /** What the peer said it can accept (hello / discovery), updated as we learn more. */
  freeBytes: number;
  /**
   * Transfers to run to it at once, from its hello (peerTransferLimit: what it takes, never more
   * than this side does). Small blobs are latency-bound (offer, data and commit are three round
   * trips plus the holder's fsyncs), so many in flight keep the link busy.
   */
  readonly maxTransfers: number;
  /** Measured bytes/s of past transfers to it; 0 until measured. */
  throughputBps: number;
}

export interface PlacementParts {
  readonly identity: DeviceIdentity;
  readonly ledger: Ledger;
  readonly store: BlobStore;
  readonly caps: () => Caps;
  readonly upload: TokenBucket;
  readonly events: EventBus;
  readonly now: () => number;
  /** The links up right now. */
  readonly peers: () => readonly PeerLink[];
  /**
   * Where holders should deliver this blob, signed into its ticket: the destination's receiver, or
   * presigned URLs valid until `expires`. Without it (or when it fails) tickets carry no target
   * and only this device delivers.
   */
  readonly targetFor?: (blob: OutboxRow, expires: number) => Promise<DeliveryTarget>;
}

export class Placement {
  private readonly active = new Map<string, Set<string>>(); // blobId → holders being sent to
  private readonly perPeer = new Map<string, number>();
  /** Per holder: bytes its running transfers still have to send (see LINK_WINDOW_BYTES). */
  private readonly unsent = new Map<string, number>();
  /**
   * Per holder that answered busy: no new offers to it before then. Offering the next blob at
   * once would only be declined again, and a holder hangs up after MAX_DECLINED_OFFERS_BURST.
   */
  private readonly busyUntil = new Map<string, number>();
  private readonly retryAt = new Map<string, number>(); // `${blobId}/${holder}` → time
  private readonly failures = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private passing = false;
  private again = false;
  /**
   * Blobs still to place, as the last full pass read them from the ledger. A transfer ending only
   * walks this list again (a full pass per finished transfer re-read hundreds of rows per small
   * blob); ticks and outside kicks (a blob added, a peer up, a delivery) re-read the ledger.
   */
  private queue: PlaceableRow[] = [];
  /**
   * Where the next further page starts (null: right after the first page). When the first page's
   * blobs cannot use the room links have left (none fits any holder's free space, or all wait out
   * a backoff), each full pass also looks at one page beyond, a different one each time, so no
   * number of stuck blobs at the front keeps the ones behind them waiting for ever.
   */
  private cursor: PlaceKey | null = null;
  private fullPassDue = true;
  private inFlight = 0;
  private readonly deliveries: DeliveryStore;
  /** `${blobId}/${holder}` of releases on the wire, so a pass never sends one twice. */
  private readonly releasing = new Set<string>();

  constructor(private readonly parts: PlacementParts) {
    this.deliveries = new DeliveryStore(parts.ledger, parts.now);
  }

  /** Starts periodic passes; idempotent. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.kick(), PLACEMENT_TICK_MS);
    this.kick();
  }

  /** Stops starting new transfers; running ones end with their links. Idempotent. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Runs a full pass soon: the ledger changed (a blob was added, a peer came up, a delivery). */
  kick(): void {
    this.fullPassDue = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = true;
    setImmediate(() => {
      try {
        this.pass();
      } finally {
        this.passing = false;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      }
    });
  }

  /** How many transfers are running, for status and tests. */
  get running(): number {
    return this.inFlight;
  }

  private pass(): void {
    const { ledger } = this.parts;
    if (!this.fullPassDue && this.queue.length > 0) {
      this.place(this.queue);
      return;
    }
    this.fullPassDue = false;
    this.releaseDelivered();
    this.queue = ledger.outboxToPlace(PASS_BATCH);
    const last = this.queue[this.queue.length - 1];
    if (!this.place(this.queue) || last === undefined || this.queue.length < PASS_BATCH) return;
    const after = this.cursor !== null && compareKeys(this.cursor, last) > 0 ? this.cursor : keyOf(last);
    const queued = new Set(this.queue.map((row) => row.blobId));
    const page = ledger.outboxToPlace(PASS_BATCH, after);
    const end = page[page.length - 1];
    this.cursor = end !== undefined && page.length === PASS_BATCH ? keyOf(end) : null; // past the end: start over
    const fresh = page.filter((row) => !queued.has(row.blobId));
    this.queue.push(...fresh);
    this.place(fresh);
  }

  /** Starts what transfers of these blobs the links have room for; true if room is left. */
  private place(rows: readonly PlaceableRow[]): boolean {
    const { ledger } = this.parts;
    const k = this.parts.caps().replicas;
    const now = this.parts.now();
    // Links that could take another transfer now; when none can, no blob needs a look.
    const hasRoom = (p: PeerLink) =>
      !p.session.isClosed &&
      (this.perPeer.get(p.deviceId) ?? 0) < p.maxTransfers &&
      (this.unsent.get(p.deviceId) ?? 0) < LINK_WINDOW_BYTES &&
      (this.busyUntil.get(p.deviceId) ?? 0) <= now;
    let open = this.parts.peers().filter(hasRoom);
    for (const blob of [...rows]) {
      if (open.length === 0 || this.inFlight >= MAX_PLACEMENTS_IN_FLIGHT) return false;
      const activeHolders = this.active.get(blob.blobId) ?? new Set<string>();
      // Enough transfers running for it: nothing to ask the ledger.
      if (activeHolders.size >= k) continue;
      const stored = ledger.storedCount(blob.blobId);
      if (stored >= k) {
        this.markPlaced(blob.blobId, stored);
        this.unqueue(blob.blobId);
        continue;
      }
      let needed = k - stored - activeHolders.size;
      if (needed <= 0) continue;
      const done = new Set(ledger.placementsOf(blob.blobId).filter((p) => p.state === 'stored').map((p) => p.holderId));
      const candidates = shuffled(open)
        .filter((p) => !done.has(p.deviceId) && !activeHolders.has(p.deviceId))
        .filter((p) => (this.retryAt.get(`${blob.blobId}/${p.deviceId}`) ?? 0) <= now)
        .filter((p) => p.freeBytes >= blob.size)
        .sort((a, b) => b.freeBytes - a.freeBytes || b.throughputBps - a.throughputBps);
      for (const peer of candidates) {
        if (needed <= 0 || this.inFlight >= MAX_PLACEMENTS_IN_FLIGHT) break;
        needed--;
        void this.transfer(blob, peer);
      }
      open = open.filter(hasRoom);
    }
    return open.length > 0 && this.inFlight < MAX_PLACEMENTS_IN_FLIGHT;
  }

  /**
   * Tells every linked holder of an own blob that is now delivered to drop its copy, with a release
   * signed by this origin; the holder verifies it and purges. Unanswered ones are retried next pass.
   */
  private releaseDelivered(): void {
    const { identity, events, now } = this.parts;
    for (const peer of this.parts.peers()) {
      if (peer.session.isClosed) continue;
      for (const blobId of this.deliveries.toRelease(peer.deviceId, RELEASES_PER_PASS)) {
        const key = `${blobId}/${peer.deviceId}`;
        if (this.releasing.has(key)) continue;
        this.releasing.add(key);
        const release = signRelease(identity, { blobId, at: now() });
        peer.session
          .release(blobId, release)
          .then(() => {
            this.deliveries.released(blobId, peer.deviceId);
            this.parts.ledger.appendEvent('delivery:released', { blobId, holderId: peer.deviceId });
            events.emit('delivery:released', { blobId, holderId: peer.deviceId });
          })
          .catch(() => undefined) // the link dropped or the holder refused: next pass, next link
          .finally(() => this.releasing.delete(key));
      }
    }
  }

  private markPlaced(blobId: string, replicas: number): void {
    const row = this.parts.ledger.getOutbox(blobId);
    if (row === undefined || row.state === 'placed' || row.state === 'delivered' || row.state === 'lost') return;
    this.parts.ledger.transaction(() => {
      this.parts.ledger.setOutboxState(blobId, 'placed');
      this.parts.ledger.appendEvent('blob:placed', { blobId, replicas });
    });
    this.parts.events.emit('blob:placed', { blobId, replicas });
  }

  private async transfer(blob: OutboxRow, peer: PeerLink): Promise<void> {
    const { ledger, events, identity } = this.parts;
    const key = `${blob.blobId}/${peer.deviceId}`;
    const holders = this.active.get(blob.blobId) ?? new Set<string>();
    holders.add(peer.deviceId);
    this.active.set(blob.blobId, holders);
    this.perPeer.set(peer.deviceId, (this.perPeer.get(peer.deviceId) ?? 0) + 1);
    this.inFlight++;
    let sent = 0;
    let streaming = false;
    // What this transfer still adds to the link's window: all of it until the holder names its
    // resume offset, then less with every chunk, nothing once streamed (or given up).
    let owed = blob.size;
    this.unsent.set(peer.deviceId, (this.unsent.get(peer.deviceId) ?? 0) + owed);
    const paid = (bytes: number) => {
      const before = this.unsent.get(peer.deviceId) ?? 0;
      const after = before - Math.min(bytes, owed);
      owed -= Math.min(bytes, owed);
      if (after > 0) this.unsent.set(peer.deviceId, after);
      else this.unsent.delete(peer.deviceId);
      // The link has room again: start the next transfer now, not when this one ends.
      if (before >= LINK_WINDOW_BYTES && after < LINK_WINDOW_BYTES) this.schedule();
    };
    try {
      const caps = this.parts.caps();
      const expires = Math.max(blob.createdAt + caps.retentionMs, this.parts.now() + 60_000);
      const ticket = signTicket(identity, {
        blobId: blob.blobId,
        size: blob.size,
        created: blob.createdAt,
        expires,
        target: await this.targetFor(blob, expires),
      });
      // The ledger hears of a placement once the holder answers: an offer in flight is only an
      // event, which saves a durable commit per blob (small blobs are bound by those).
      events.emit('placement:offered', { blobId: blob.blobId, holderId: peer.deviceId });
      const answer = await peer.session.offer(blob.blobId, ticket);
      if (!answer.accepted) {
        ledger.setPlacement(blob.blobId, peer.deviceId, 'declined');
        events.emit('placement:declined', { blobId: blob.blobId, holderId: peer.deviceId, reason: answer.reason });
        if (answer.reason === 'busy') {
          // The holder is busy, not refusing this blob: it gets no offer at all until then (the
          // next tick looks again).
          this.busyUntil.set(peer.deviceId, this.parts.now() + (answer.retryAfterMs ?? BACKOFF_FIRST_MS));
          return;
        }
        if (answer.reason === 'full' || answer.reason === 'origin-share' || answer.reason === 'too-large') peer.freeBytes = Math.min(peer.freeBytes, blob.size - 1);
        this.retryAt.set(key, this.parts.now() + (answer.reason === 'duplicate' ? BACKOFF_MAX_MS : FULL_RETRY_MS));
        return;
      }
      // Progress only: after a crash the blob is offered again and the holder answers with its offset.
      ledger.unflushedTransaction(() => {
        if (blob.state === 'sealed') {
          ledger.startPlacing(blob.blobId);
          blob.state = 'placing'; // the queued row too, so the next transfer of it skips this
        }
        ledger.setPlacement(blob.blobId, peer.deviceId, 'sending', answer.offset);
      });
      paid(answer.offset);
      const started = performance.now();
      streaming = true;
      sent = await this.stream(blob, peer, answer.offset, paid);
      streaming = false;
      const receipt = await peer.session.commit(blob.blobId, blob.size);
      const custody = verifyCustodyReceipt(receipt, { expectedHolder: peer.deviceId, expectedBlobId: blob.blobId, now: this.parts.now() });
      const seconds = (performance.now() - started) / 1000;
      if (sent > 1_000_000 && seconds > 0) peer.throughputBps = Math.round(sent / seconds);
      let replicas = 0;
      await ledger.groupCommit(() => {
        ledger.setPlacement(blob.blobId, peer.deviceId, 'stored', blob.size);
        ledger.addReceipt({ kind: 'custody', blobId: blob.blobId, signerId: custody.holder, body: Buffer.from(receipt.body, 'base64'), signature: Buffer.from(receipt.sig, 'base64') });
        replicas = ledger.storedCount(blob.blobId);
        ledger.appendEvent('placement:stored', { blobId: blob.blobId, holderId: peer.deviceId, replicas });
        // In the same commit: one flush per stored replica, not two.
        if (replicas >= this.parts.caps().replicas) this.markPlaced(blob.blobId, replicas);
      });
      if (replicas >= this.parts.caps().replicas) this.unqueue(blob.blobId);
      this.failures.delete(key);
      events.emit('placement:stored', { blobId: blob.blobId, holderId: peer.deviceId, replicas });
    } catch (err) {
      // A stream given up here (the blob file unreadable, say) frees the holder's slot now rather
      // than when it notices the stall; on a closed link this fails and nothing is lost.
      if (streaming) void peer.session.cancel(blob.blobId).catch(() => undefined);
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.retryAt.set(key, this.parts.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (n - 1)));
      ledger.setPlacement(blob.blobId, peer.deviceId, 'offered', sent);
      events.emit('placement:failed', { blobId: blob.blobId, holderId: peer.deviceId, error: (err as Error).message });
    } finally {
      paid(owed);
      holders.delete(peer.deviceId);
      if (holders.size === 0) this.active.delete(blob.blobId);
      this.perPeer.set(peer.deviceId, (this.perPeer.get(peer.deviceId) ?? 1) - 1);
      this.inFlight--;
      this.schedule();
    }
  }

  private unqueue(blobId: string): void {
    const i = this.queue.findIndex((row) => row.blobId === blobId);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private async targetFor(blob: OutboxRow, expires: number): Promise<DeliveryTarget> {
    if (this.parts.targetFor === undefined) return { kind: 'none' };
    try {
      return await this.parts.targetFor(blob, expires);
    } catch (err) {
      // A replica without a target is still a backup this device delivers itself; say why once.
      this.parts.ledger.appendEvent('placement:no-target', { blobId: blob.blobId, error: (err as Error).message });
      return { kind: 'none' };
    }
  }

  /** Sends the blob from `offset`, telling `sent` of every chunk on the wire; returns the bytes sent. */
  private async stream(blob: OutboxRow, peer: PeerLink, offset: number, sent: (bytes: number) => void): Promise<number> {
    if (offset < 0 || offset > blob.size) throw new Error(`the holder asked to resume at ${offset} of ${blob.size}`);
    const handle = await this.parts.store.openRead(blob.blobId);
    let position = offset;
    let lastProgress = 0;
    // Read a block ahead while the one before is sent: disk and link work at the same time.
    const readAt = async (at: number): Promise<Buffer> => {
      const buffer = Buffer.allocUnsafe(Math.min(READ_BLOCK_BYTES, blob.size - at));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) throw new Error('the blob file is shorter than recorded');
      return buffer.subarray(0, bytesRead);
    };
    try {
      let next = position < blob.size ? readAt(position) : null;
      while (next !== null) {
        const block = await next;
        const after = position + block.length;
        next = after < blob.size ? readAt(after) : null;
        next?.catch(() => undefined); // surfaced when awaited; never unhandled if we stop early
        for (let at = 0; at < block.length; at += DATA_CHUNK_BYTES) {
          const chunk = block.subarray(at, at + DATA_CHUNK_BYTES);
          await this.parts.upload.take(chunk.length);
          await peer.session.sendData(blob.blobId, position, chunk);
          sent(chunk.length);
          position += chunk.length;
          const t = performance.now();
          if (t - lastProgress > 200 || position === blob.size) {
            lastProgress = t;
            this.parts.events.emit('placement:progress', { blobId: blob.blobId, holderId: peer.deviceId, sent: position, size: blob.size });
          }
        }
      }
    } finally {
      await handle.close();
    }
    return position - offset;
  }
}

function keyOf(row: PlaceableRow): PlaceKey {
  return { stored: row.stored, createdAt: row.createdAt, blobId: row.blobId };
}

/** The order outboxToPlace reads in: fewest receipts, then oldest, then blob ID. */
function compareKeys(a: PlaceKey, b: PlaceKey): number {
  return a.stored - b.stored || a.createdAt - b.createdAt || (a.blobId < b.blobId ? -1 : a.blobId > b.blobId ? 1 : 0);
}

/**
 * A random order, so that the stable sort by free space and throughput breaks ties at random:
 * otherwise holders with equal free space would get every blob in the same order (the first two
 * of five volunteers holding everything while the others hold nothing).
 */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
