// Where blobs are delivered, in two forms: the owner's view (an Endpoint on a destination card,
// which may name credentials the owner holds, e.g. an S3 bucket) and a holder's view (a
// DeliveryTarget inside a signed ticket: only what lets a stranger deliver, never a credential).

/** An Inswarm home receiver: HTTPS at `url`, whose TLS certificate hashes to `receiverId`. */
export interface ReceiverEndpoint {
  readonly kind: 'receiver';
  /** `https://host:port` (no path, query or credentials). */
  readonly url: string;
  /** Device ID of the receiver: pins its TLS certificate and signs its delivery receipts. */
  readonly receiverId: string;
}

/** An S3-compatible bucket; the owner's credentials come from the standard AWS chain. */
export interface S3Endpoint {
  readonly kind: 's3';
  readonly bucket: string;
  /** Key prefix without leading or trailing slash; "" for the bucket's root. */
  readonly prefix: string;
  readonly region: string;
  /** A custom endpoint (MinIO, R2, B2, s3rver…); null for AWS. */
  readonly endpoint: string | null;
  /** Path-style URLs (`endpoint/bucket/key`), which most non-AWS servers need. */
  readonly forcePathStyle: boolean;
}

/** A folder on the origin's own machine (e.g. a cloud-synced one); only the origin delivers there. */
export interface FolderEndpoint {
  readonly kind: 'folder';
  /** Absolute path. */
  readonly path: string;
}

export type Endpoint = ReceiverEndpoint | S3Endpoint | FolderEndpoint;

/** A destination as an origin knows it: what to seal to and where to deliver. */
export interface DestinationCard {
  readonly label: string;
  /** The age recipient (`age1…`) blobs are sealed to. */
  readonly recipient: string;
  readonly endpoint: Endpoint;
}

/** What a holder may use to deliver: carried in the ticket, signed by the origin. */
export type DeliveryTarget =
  | { readonly kind: 'none' }
  | { readonly kind: 'receiver'; readonly url: string; readonly receiverId: string }
  /** Presigned URLs for exactly one object key, valid at least until the ticket expires. */
  | { readonly kind: 's3'; readonly put: string; readonly head: string };

export type DeliveryTargetKind = DeliveryTarget['kind'] | 'folder';
