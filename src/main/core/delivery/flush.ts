// Flush: takes every blob this device can deliver — its own outbox and the replicas it holds — to
// its destination. For each: HEAD first ("already there?" → purge without uploading), else upload
// within the delivery bandwidth cap and concurrency limit, verify the proof (a receiver's signed
// receipt, the bucket's ETag, the folder's durable rename), record it, then drop our copy. A
// failure waits out an exponential backoff with jitter; the next flush retries. Pure orchestration:
// the destination kinds are DeliveryClients built by the composition root.

import { InswarmError, isInswarmError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import type { Ledger } from '../ledger/ledger.js';
import {
  DELIVERY_BACKOFF_FIRST_MS,
  DELIVERY_BACKOFF_MAX_MS,
  DELIVERY_BATCH,
  DELIVERY_MAX_CONCURRENCY,
  DELIVERY_PROGRESS_INTERVAL_MS,
  OWN_DELIVERY_PRESIGN_S,
  OWN_DELIVERY_TICKET_MS,
} from '../limits.js';
import type { Signed } from '../protocol/messages.js';
import { signTicket, verifyDeliveryReceipt } from '../protocol/signed.js';
import type { BlobStore } from '../store/blob-store.js';
import type { TokenBucket } from '../swarm/token-bucket.js';
import type { DeliveryClient, DeliveryProof } from './client.js';
import { DeliveryStore, type DueHeld, type DueOwn } from './delivery-store.js';
import type { DeliveryTarget, DeliveryTargetKind, Endpoint, FolderEndpoint, S3Endpoint } from './endpoint.js';

/** How delivery reaches each kind of destination; built by the composition root. */
export interface DeliveryClients {
  /** A client for a receiver or presigned-S3 target (what tickets carry). */
  forTarget(target: Exclude<DeliveryTarget, { kind: 'none' }>): DeliveryClient;
  forFolder(endpoint: FolderEndpoint): DeliveryClient;
  /** Presigned URLs for an own blob bound for a bucket (needs the owner's credentials). */
  presign(endpoint: S3Endpoint, blobId: string, expiresInSeconds: number): Promise<Extract<DeliveryTarget, { kind: 's3' }>>;
}

export interface FlushParts {
  readonly identity: DeviceIdentity;
  readonly ledger: Ledger;
  readonly store: BlobStore;
  /** Where a destination delivers; null when it has no endpoint (a bare recipient: restored by hand). */
  readonly endpointOf: (destinationId: number) => Endpoint | null;
  readonly events: EventBus;
  readonly clients: DeliveryClients;
  /** The shared delivery bandwidth cap. */
  readonly bandwidth: TokenBucket;
  /** Uploads at once (the `deliveries` cap). */
  readonly concurrency: () => number;
  /** Drops a held replica after delivery (the holder's purge, which also ends a running receive). */
  readonly purgeHeld: (blobId: string) => Promise<void>;
  readonly now: () => number;
  /** Jitter source in [0, 1); tests may fix it. */
  readonly random?: () => number;
}

export interface FlushReport {
  /** Blobs now at their destination, by how they got there. */
  readonly uploaded: number;
  readonly alreadyThere: number;
  readonly failed: number;
  /** Bytes sent in uploads (0 when everything was already there). */
  readonly bytesUploaded: number;
  readonly errors: readonly { blobId: string; error: string }[];
}

interface Job {
  readonly blobId: string;
  readonly size: number;
  readonly source: 'outbox' | 'held';
  readonly destinationId: number | null;
  readonly kind: DeliveryTargetKind;
  /** Builds the client (and for own blobs the ticket) when the job runs: presigned URLs stay fresh. */
  readonly prepare: () => Promise<{ client: DeliveryClient; ticket: Signed | null; receiverId: string | null }>;
}

export class Deliverer {
  readonly deliveries: DeliveryStore;
  private running: Promise<FlushReport> | null = null;

  constructor(private readonly parts: FlushParts) {
    this.deliveries = new DeliveryStore(parts.ledger, parts.now);
  }

  /** Runs one flush; a call while one runs joins it rather than starting a second. */
  flush(signal?: AbortSignal): Promise<FlushReport> {
    if (this.running === null) {
      this.running = this.run(signal).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves when no flush runs (after an abort, once the running uploads have stopped). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async run(signal?: AbortSignal): Promise<FlushReport> {
    const report = { uploaded: 0, alreadyThere: 0, failed: 0, bytesUploaded: 0, errors: [] as { blobId: string; error: string }[] };
    const jobs = this.jobs();
    const limit = Math.max(1, Math.min(DELIVERY_MAX_CONCURRENCY, this.parts.concurrency()));
    const worker = async (): Promise<void> => {
      for (;;) {
        if (signal?.aborted) return;
        const next = jobs.next();
        if (next.done) return;
        await this.deliver(next.value, report, signal);
      }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    return report;
  }

  /** The work list, read page by page so a large backlog never loads at once. */
  private *jobs(): Generator<Job> {
    const seen = new Set<string>();
    for (let after = ''; ; ) {
      const page = this.deliveries.dueOwn(after, DELIVERY_BATCH);
      for (const row of page) {
        if (seen.has(row.blobId)) continue;
        seen.add(row.blobId);
        const job = this.ownJob(row);
        if (job !== null) yield job;
      }
      if (page.length < DELIVERY_BATCH) break;
      after = page[page.length - 1]!.blobId;
    }
    for (let after = ''; ; ) {
      const page = this.deliveries.dueHeld(after, DELIVERY_BATCH);
      for (const row of page) {
        if (seen.has(row.blobId)) continue;
        seen.add(row.blobId);
        const job = this.heldJob(row);
        if (job !== null) yield job;
      }
      if (page.length < DELIVERY_BATCH) break;
      after = page[page.length - 1]!.blobId;
    }
  }

  private ownJob(row: DueOwn): Job | null {
    const endpoint = this.parts.endpointOf(row.destinationId);
    if (endpoint === null) return null;
    const base = { blobId: row.blobId, size: row.size, source: 'outbox' as const, destinationId: row.destinationId, kind: endpoint.kind };
    const { clients, identity } = this.parts;
    switch (endpoint.kind) {
      case 'folder':
        return { ...base, prepare: async () => ({ client: clients.forFolder(endpoint), ticket: null, receiverId: null }) };
      case 's3':
        return {
          ...base,
          prepare: async () => ({ client: clients.forTarget(await clients.presign(endpoint, row.blobId, OWN_DELIVERY_PRESIGN_S)), ticket: null, receiverId: null }),
        };
      case 'receiver': {
        const target = { kind: 'receiver' as const, url: endpoint.url, receiverId: endpoint.receiverId };
        return {
          ...base,
          prepare: async () => {
            const now = this.parts.now();
            const ticket = signTicket(identity, { blobId: row.blobId, size: row.size, created: now, expires: now + OWN_DELIVERY_TICKET_MS, target });
            return { client: clients.forTarget(target), ticket, receiverId: endpoint.receiverId };
          },
        };
      }
      default:
        return unreachable(endpoint);
    }
  }

  private heldJob(row: DueHeld): Job | null {
    let ticket: Signed;
    let target: DeliveryTarget;
    try {
      ticket = JSON.parse(Buffer.from(row.ticket).toString('utf8')) as Signed;
      // The holder verified this ticket when it accepted the replica; here only its target is read.
      const body = JSON.parse(Buffer.from(ticket.body, 'base64').toString('utf8')) as { target?: DeliveryTarget };
      target = body.target ?? { kind: 'none' };
    } catch {
      return null;
    }
    if (target.kind === 'none') return null;
    const client = (): DeliveryClient => this.parts.clients.forTarget(target as Exclude<DeliveryTarget, { kind: 'none' }>);
    return {
      blobId: row.blobId,
      size: row.size,
      source: 'held',
      destinationId: null,
      kind: target.kind,
      prepare: async () => ({ client: client(), ticket, receiverId: target.kind === 'receiver' ? target.receiverId : null }),
    };
  }

  private async deliver(job: Job, report: { uploaded: number; alreadyThere: number; failed: number; bytesUploaded: number; errors: { blobId: string; error: string }[] }, signal?: AbortSignal): Promise<void> {
    const { events, bandwidth } = this.parts;
    const { blobId, size, source, kind } = job;
    this.deliveries.begin(blobId, job.destinationId, kind);
    events.emit('delivery:started', { blobId, source, target: kind, size });
    let sent = 0;
    try {
      const { client, ticket, receiverId } = await job.prepare();
      const head = await client.head(blobId, signal);
      let proof: DeliveryProof | null = null;
      if (head.present) {
        if (head.receipt !== null) proof = { kind: 'receipt', receipt: head.receipt };
      } else {
        this.deliveries.setState(blobId, 'uploading', 0);
        events.emit('delivery:progress', { blobId, sent: 0, size }); // the UI learns "uploading" now, not at the first chunk
        let lastEvent = 0;
        proof = await client.upload({
          blobId,
          size,
          file: this.parts.store.path(blobId),
          ticket,
          throttle: (bytes) => bandwidth.take(bytes, signal),
          onProgress: (bytes) => {
            sent = bytes;
            const t = Date.now();
            if (t - lastEvent >= DELIVERY_PROGRESS_INTERVAL_MS || bytes === size) {
              lastEvent = t;
              events.emit('delivery:progress', { blobId, sent: bytes, size });
            }
          },
          ...(signal === undefined ? {} : { signal }),
        });
        sent = size;
      }
      if (receiverId !== null && proof?.kind !== 'receipt') {
        throw new InswarmError('E_DELIVERY_RECEIPT', `The receiver said it has blob ${blobId.slice(0, 12)}… but sent no signed receipt: it is not trusted as delivered.`);
      }
      this.record(job, proof, receiverId, sent);
      await this.dropCopy(job);
      if (head.present) report.alreadyThere++;
      else {
        report.uploaded++;
        report.bytesUploaded += size;
      }
      events.emit('delivery:delivered', { blobId, source, target: kind, uploaded: head.present ? 0 : size });
    } catch (err) {
      const message = isInswarmError(err) ? err.message : `Unexpected error: ${(err as Error)?.message ?? String(err)}`;
      const retryAt = this.parts.now() + this.backoff(blobId, err);
      this.deliveries.failed(blobId, message, retryAt);
      this.parts.ledger.appendEvent('delivery:failed', { blobId, source, error: message });
      events.emit('delivery:failed', { blobId, source, error: message, retryAt });
      report.failed++;
      report.errors.push({ blobId, error: message });
    }
  }

  /** Proof checked, recorded with the blob's new state in one commit. */
  private record(job: Job, proof: DeliveryProof | null, receiverId: string | null, sent: number): void {
    const { ledger } = this.parts;
    let receipt: { signerId: string; signed: Signed } | null = null;
    if (proof?.kind === 'receipt') {
      const checked = verifyDeliveryReceipt(proof.receipt, {
        ...(receiverId === null ? {} : { expectedReceiver: receiverId }),
        expectedBlobId: job.blobId,
        expectedSize: job.size,
        now: this.parts.now(),
      });
      receipt = { signerId: checked.receiver, signed: proof.receipt };
    }
    ledger.transaction(() => {
      this.deliveries.delivered(job.blobId, sent);
      if (receipt !== null) {
        ledger.addReceipt({
          kind: 'delivery',
          blobId: job.blobId,
          signerId: receipt.signerId,
          body: Buffer.from(receipt.signed.body, 'base64'),
          signature: Buffer.from(receipt.signed.sig, 'base64'),
        });
      }
      if (job.source === 'outbox') ledger.setOutboxState(job.blobId, 'delivered');
      ledger.appendEvent('delivery:delivered', { blobId: job.blobId, source: job.source, target: job.kind, uploaded: sent, proof: proof?.kind ?? 'present' });
    });
  }

  /** The delivered copy goes: a held replica is purged; an own blob's sealed file is removed. */
  private async dropCopy(job: Job): Promise<void> {
    if (job.source === 'held') await this.parts.purgeHeld(job.blobId);
    else await this.parts.store.remove(job.blobId);
  }

  /** Exponential in the attempts so far, ±50% jitter so holders of one blob do not retry in step. */
  private backoff(blobId: string, err: unknown): number {
    const attempts = this.deliveries.get(blobId)?.attempts ?? 1;
    const base = Math.min(DELIVERY_BACKOFF_MAX_MS, DELIVERY_BACKOFF_FIRST_MS * 2 ** Math.min(attempts - 1, 20));
    const hinted = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    const floor = typeof hinted === 'number' && Number.isFinite(hinted) ? Math.min(hinted, DELIVERY_BACKOFF_MAX_MS) : 0;
    const random = this.parts.random ?? Math.random;
    return Math.max(floor, Math.round(base * (0.5 + random())));
  }
}

function unreachable(value: never): never {
  throw new Error(`Unknown endpoint kind: ${JSON.stringify(value)}`);
}
