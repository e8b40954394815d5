// Origin side of an S3 destination: presigned PUT and HEAD URLs for exactly one object key,
// PREFIX/BLOB-ID, put into the ticket so that any holder can deliver without credentials.
//
// What a holder learns from the URLs: the bucket, the key, the access key ID (X-Amz-Credential, as
// presigning requires) and, with temporary credentials, the session token (X-Amz-Security-Token,
// useless without the secret). Never the secret key: it only keys the signature.
//
// The PUT URL also signs an `x-amz-checksum-sha256` header whose value is the blob ID (the blob ID
// is the SHA-256 of the blob), so S3 stores nothing at that key but this blob's exact bytes: a
// hostile holder cannot park other bytes there and make honest holders think it was delivered.

import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InswarmError } from '../errors.js';
import { S3_PRESIGN_MAX_EXPIRES_S } from '../limits.js';
import { parseBlobId } from '../seal/blob-id.js';
import type { S3Endpoint } from './endpoint.js';
import { CHECKSUM_HEADER, checksumOf } from './s3-client.js';
import { describeS3, fromS3Error, objectKey, resolveCredentials, s3Client } from './s3-sdk.js';

/**
 * Presigns PUT and HEAD for `blobId` in `endpoint`, valid for `expiresInSeconds` (the ticket's
 * lifetime or more). Refuses lifetimes SigV4 cannot sign and credentials that expire sooner.
 */
export async function presignTarget(endpoint: S3Endpoint, blobId: string, expiresInSeconds: number): Promise<{ kind: 's3'; put: string; head: string }> {
  const id = parseBlobId(blobId);
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) {
    throw new InswarmError('E_USAGE', `A presigned URL must be valid for a whole number of seconds, at least 1 (asked: ${expiresInSeconds}).`);
  }
  if (expiresInSeconds > S3_PRESIGN_MAX_EXPIRES_S) {
    throw new InswarmError(
      'E_DELIVERY_REFUSED',
      `S3 presigned URLs last at most 7 days, but this blob's URLs would have to last ${Math.ceil(expiresInSeconds / 3600)} hours: shorten the retention to 7 days or less.`,
    );
  }
  const client = s3Client(endpoint);
  try {
    const credentials = await resolveCredentials(client);
    // A URL dies with the credentials that signed it (SSO, assumed roles, session tokens), so a
    // ticket outliving them would promise a delivery no holder could make.
    if (credentials.expiration !== undefined && credentials.expiration.getTime() < Date.now() + expiresInSeconds * 1000) {
      throw new InswarmError(
        'E_S3_CREDENTIALS',
        `The AWS credentials expire at ${credentials.expiration.toISOString()}, before the presigned URLs must stop working (${expiresInSeconds} s from now): use long-lived access keys for the S3 destination, or shorten the retention.`,
      );
    }
    const key = objectKey(endpoint.prefix, id);
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: endpoint.bucket, Key: key, ChecksumSHA256: checksumOf(id) }), {
      expiresIn: expiresInSeconds,
      // Keep the checksum a signed *header*: S3 verifies header checksums against the body.
      unhoistableHeaders: new Set([CHECKSUM_HEADER]),
    });
    const head = await getSignedUrl(client, new HeadObjectCommand({ Bucket: endpoint.bucket, Key: key }), { expiresIn: expiresInSeconds });
    return { kind: 's3', put, head };
  } catch (err) {
    throw fromS3Error(err, `presigning URLs for ${describeS3(endpoint)}/${id.slice(0, 12)}…`, endpoint);
  } finally {
    client.destroy();
  }
}
