// The origin's first step: seal a file to a destination (the default unless one is named), store
// the blob durably, then record it in the outbox (file first, then row: a crash in between leaves a
// stray file that reconciliation quarantines, never a row without its blob).

import { resolve } from 'node:path';
import { DestinationStore } from '../delivery/destinations.js';
import { OutboxFiles } from './outbox-files.js';
import { InswarmError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { BlobStore } from '../store/blob-store.js';
import { parseRecipient } from '../seal/age-keys.js';
import { captureInstantMs } from '../seal/capture-time.js';
import { sealFiles, type SealInput, type SealResult } from '../seal/seal.js';

export interface AddFilesParts {
  readonly ledger: Ledger;
  readonly store: BlobStore;
  readonly deviceId: string;
  readonly now?: () => number;
  /** The destination store to resolve labels with; one is made over `ledger` when absent. */
  readonly destinations?: DestinationStore;
}

export interface AddedBlob {
  readonly blobId: string;
  readonly size: number;
  readonly label: string;
}

export interface AddOptions {
  /** Label of the destination to seal to; the default destination when absent. */
  readonly destination?: string;
}

/**
 * Seals each group of inputs (one file, or a Live Photo pair) into its own blob in the outbox,
 * addressed to the named destination or the default one. Fails before writing anything when that
 * destination does not exist (E_DEST_UNKNOWN) or none is set (E_NO_DESTINATION).
 */
export async function addToOutbox(parts: AddFilesParts, groups: readonly (readonly SealInput[])[], options: AddOptions = {}): Promise<AddedBlob[]> {
  const destinations = parts.destinations ?? new DestinationStore(parts.ledger);
  const destination = options.destination === undefined ? destinations.getDefault() : destinations.byLabel(options.destination);
  if (destination === undefined) {
    throw new InswarmError(
      'E_NO_DESTINATION',
      'No destination is set, so there is nobody to seal to: import your destination\'s card with "inswarm dest import LINK", or run "inswarm dest set age1…" with the recipient of your home key first.',
    );
  }
  const recipient = parseRecipient(destination.card.recipient);
  const now = parts.now ?? Date.now;
  const added: AddedBlob[] = [];
  const files = new OutboxFiles(parts.ledger);
  for (const group of groups) {
    const { path, handle } = await parts.store.createTemp();
    let sealed: SealResult;
    try {
      try {
        sealed = await sealFiles(group, handle, { recipients: [recipient], originDeviceId: parts.deviceId });
      } finally {
        await handle.close();
      }
      await parts.store.commit(path, sealed.blobId);
    } catch (err) {
      await parts.store.discardTemp(path);
      throw err;
    }
    const label = sealed.files.map((f) => f.name).join(' + ');
    const captured = sealed.files.map((f) => f.capturedAt).find((c) => c !== null);
    if (parts.ledger.getOutbox(sealed.blobId) === undefined) {
      parts.ledger.transaction(() => {
        parts.ledger.addOutbox({
          blobId: sealed.blobId,
          size: sealed.size,
          destinationId: destination.id,
          label,
          fileCount: sealed.files.length,
          plaintextBytes: sealed.plaintextBytes,
          capturedAt: captured === undefined ? null : captureInstantMs(captured),
          createdAt: now(),
          state: 'sealed',
        });
        for (const [idx, file] of sealed.files.entries()) {
          files.add({
            blobId: sealed.blobId,
            idx,
            name: file.name,
            sourcePath: resolve(group[idx]!.path),
            size: file.size,
            sha256: file.sha256,
            capturedAt: file.capturedAt === null ? null : captureInstantMs(file.capturedAt),
          });
        }
        parts.ledger.appendEvent('blob:sealed', { blobId: sealed.blobId, size: sealed.size, label });
      });
    }
    added.push({ blobId: sealed.blobId, size: sealed.size, label });
  }
  return added;
}

