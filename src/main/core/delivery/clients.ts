// The one place that turns a destination (an owner's endpoint or a ticket's target) into a
// DeliveryClient and a ticket target: flush and placement stay free of transport details.

import { ReceiverClient } from '../receiver/receiver-client.js';
import type { OutboxRow } from '../ledger/ledger.js';
import { S3_PRESIGN_MARGIN_S, S3_PRESIGN_MAX_EXPIRES_S } from '../limits.js';
import type { DeliveryClient } from './client.js';
import type { DeliveryTarget, Endpoint, FolderEndpoint, S3Endpoint } from './endpoint.js';
import type { DeliveryClients } from './flush.js';
import { FolderClient } from './folder-client.js';
import { S3PresignedClient } from './s3-client.js';

export function deliveryClients(now: () => number): DeliveryClients {
  return {
    forTarget(target: Exclude<DeliveryTarget, { kind: 'none' }>): DeliveryClient {
      return target.kind === 'receiver' ? new ReceiverClient(target, { now }) : new S3PresignedClient(target);
    },
    forFolder(endpoint: FolderEndpoint): DeliveryClient {
      return new FolderClient(endpoint);
    },
    presign(endpoint: S3Endpoint, blobId: string, expiresInSeconds: number) {
      return presign(endpoint, blobId, expiresInSeconds);
    },
  };
}

/**
 * What a holder of `blob` gets in its ticket: the receiver's address, or presigned URLs that live
 * a little longer than the ticket (the holder may start an upload just before expiry). A folder,
 * or a destination without endpoint, is for this device alone.
 */
export async function ticketTarget(endpoint: Endpoint | null, blob: Pick<OutboxRow, 'blobId'>, expires: number, now: number): Promise<DeliveryTarget> {
  if (endpoint === null || endpoint.kind === 'folder') return { kind: 'none' };
  if (endpoint.kind === 'receiver') return { kind: 'receiver', url: endpoint.url, receiverId: endpoint.receiverId };
  const seconds = Math.min(S3_PRESIGN_MAX_EXPIRES_S, Math.ceil(Math.max(0, expires - now) / 1000) + S3_PRESIGN_MARGIN_S);
  return presign(endpoint, blob.blobId, seconds);
}

/** Presigns through the AWS SDK, loaded on first use: it costs ~0.1 s at start-up and only S3 destinations need it. */
async function presign(endpoint: S3Endpoint, blobId: string, expiresInSeconds: number): Promise<Extract<DeliveryTarget, { kind: 's3' }>> {
  const { presignTarget } = await import('./s3-presign.js');
  return presignTarget(endpoint, blobId, expiresInSeconds);
}
