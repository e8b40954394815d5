// One interface for every way a blob reaches its destination, so the flush loop (HEAD first,
// upload, verify, purge) is written once and each destination kind is a small adapter.

import type { Signed } from '../protocol/messages.js';

/** What a destination says about a blob before we upload it. */
export type HeadResult =
  | { readonly present: false }
  /** Delivered already; `receipt` when the destination signs them (an Inswarm receiver). */
  | { readonly present: true; readonly receipt: Signed | null };

/** Evidence that a blob arrived intact, kept in the ledger. */
export type DeliveryProof =
  /** Signed by the receiver; the caller verifies it against the expected receiver ID. */
  | { readonly kind: 'receipt'; readonly receipt: Signed }
  /** The bucket's ETag, checked by the client against the MD5 of the bytes it sent. */
  | { readonly kind: 's3'; readonly etag: string }
  /** The file's final path in the destination folder, written durably. */
  | { readonly kind: 'folder'; readonly path: string };

export interface UploadRequest {
  readonly blobId: string;
  readonly size: number;
  /** Path of the blob file to send (streamed, never read whole). */
  readonly file: string;
  /** The origin's signed ticket; a receiver checks it, other kinds ignore it. */
  readonly ticket: Signed | null;
  /** Called before each chunk is sent with its size; resolves when the bandwidth cap allows it. */
  readonly throttle?: (bytes: number) => Promise<void>;
  /** Called after each chunk with the running total. */
  readonly onProgress?: (bytesSent: number) => void;
  readonly signal?: AbortSignal;
}

export interface DeliveryClient {
  /** Is the blob already at the destination? Errors (network, refusal) throw InswarmError. */
  head(blobId: string, signal?: AbortSignal): Promise<HeadResult>;
  /** Sends the blob; resolves only when the destination has it durably. */
  upload(request: UploadRequest): Promise<DeliveryProof>;
}
