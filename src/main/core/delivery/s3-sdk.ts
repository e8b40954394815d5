// The owner's side of an S3 destination: an SDK client built from an S3Endpoint with the standard
// AWS credential chain (environment, shared config/credentials profile, SSO, web identity, process,
// container and instance metadata — whatever S3Client resolves by default), object keys, and SDK
// errors turned into sentences. Only the origin (presigning) and `collect` use it; holders never
// see credentials and use plain presigned URLs (s3-client.ts).

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { InswarmError } from '../errors.js';
import type { S3Endpoint } from './endpoint.js';

/** S3 bucket names: 3–63 characters of lowercase letters, digits, dots and hyphens (AWS's rules; MinIO and R2 follow them). */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Longest key prefix we accept: S3 keys stop at 1024 bytes and ours add "/" plus a 64-character blob ID. */
const MAX_PREFIX_BYTES = 1024 - 65;

/**
 * Builds an S3 client for `endpoint`. Credentials are not read here: the SDK resolves them lazily,
 * so call `resolveCredentials` first to turn "none found" into a sentence.
 */
export function s3Client(endpoint: S3Endpoint): S3Client {
  // The SDK warns on stderr about Node versions it will drop in future releases; Node 20 is our
  // declared engine, and a multi-line warning would drown the CLI's one-sentence output.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const config: S3ClientConfig = {
    forcePathStyle: endpoint.forcePathStyle,
    // Only what S3 requires: default CRC32 checksums would make presigned PUTs demand a header
    // the holder cannot compute, and aws-chunked uploads are not understood by every server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    // A bucket in another region than the one given answers with a redirect; follow it for the
    // owner's own requests (collect). Presigned URLs are signed for `region` and cannot follow.
    followRegionRedirects: true,
  };
  if (endpoint.region !== '') config.region = endpoint.region;
  if (endpoint.endpoint !== null) config.endpoint = endpoint.endpoint;
  return new S3Client(config);
}

/** The credentials the client will sign with; E_S3_CREDENTIALS with a sentence when there are none. */
export async function resolveCredentials(client: S3Client): Promise<{ accessKeyId: string; expiration?: Date }> {
  try {
    const credentials = await client.config.credentials();
    if (!credentials?.accessKeyId || !credentials.secretAccessKey) throw new Error('empty credentials');
    return credentials;
  } catch (err) {
    throw new InswarmError(
      'E_S3_CREDENTIALS',
      'No AWS credentials were found for the S3 destination: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile in ~/.aws/credentials (or run "aws sso login" for an SSO profile).',
      { cause: err },
    );
  }
}

/** The object key a blob is stored under: PREFIX/BLOB-ID, or BLOB-ID at the bucket's root. */
export function objectKey(prefix: string, blobId: string): string {
  return prefix === '' ? blobId : `${prefix}/${blobId}`;
}

/** `s3://BUCKET/PREFIX` as the owner writes it; a trailing or doubled slash is tolerated. */
export function parseS3Url(text: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(text.trim());
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET_PATTERN.test(bucket)) {
    throw new InswarmError('E_USAGE', `"${text.slice(0, 200)}" is not an S3 location: write s3://BUCKET/PREFIX (a bucket name is 3–63 lowercase letters, digits, dots or hyphens).`);
  }
  const prefix = (match[2] ?? '').split('/').filter((part) => part !== '').join('/');
  if (Buffer.byteLength(prefix) > MAX_PREFIX_BYTES || prefix.split('/').some((part) => part === '.' || part === '..')) {
    throw new InswarmError('E_USAGE', `The S3 prefix in "${text.slice(0, 200)}" is too long or holds "." or "..": choose a plain folder-like prefix such as inswarm/inbox.`);
  }
  return { bucket, prefix };
}

/** `s3://BUCKET/PREFIX` for messages and the ledger. */
export function describeS3(endpoint: Pick<S3Endpoint, 'bucket' | 'prefix'>): string {
  return `s3://${endpoint.bucket}${endpoint.prefix === '' ? '' : `/${endpoint.prefix}`}`;
}

/** Turns an SDK failure into a sentence about `doing` (e.g. "listing s3://b/p"). InswarmErrors pass through. */
export function fromS3Error(err: unknown, doing: string, endpoint: S3Endpoint): InswarmError {
  if (err instanceof InswarmError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  const where = endpoint.endpoint === null ? 'AWS' : endpoint.endpoint;
  if (name === 'CredentialsProviderError') {
    return new InswarmError('E_S3_CREDENTIALS', `No AWS credentials were found while ${doing}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE.`, { cause: err });
  }
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'InvalidToken' || name === 'ExpiredToken') {
    return new InswarmError('E_S3_CREDENTIALS', `S3 rejected the AWS credentials (${name}) while ${doing}: check the access key, secret and session token.`, { cause: err });
  }
  if (name === 'NoSuchBucket') {
    return new InswarmError('E_S3', `The bucket "${endpoint.bucket}" does not exist at ${where} (found while ${doing}): check the bucket name, --region and --endpoint.`, { cause: err });
  }
  if (name === 'AccessDenied' || status === 403) {
    return new InswarmError('E_S3', `S3 denied access while ${doing}: the credentials need s3:ListBucket, s3:GetObject and s3:DeleteObject on the prefix.`, { cause: err });
  }
  if (/region is missing|region not accepted|invalid region/i.test(e?.message ?? '')) {
    return new InswarmError('E_S3', `No AWS region is set for ${doing}: pass --region or set AWS_REGION.`, { cause: err });
  }
  const netCode = e?.code ?? (err as { cause?: { code?: string } } | undefined)?.cause?.code;
  if (netCode !== undefined && /^E[A-Z]+$/.test(netCode)) {
    return new InswarmError('E_S3', `Could not reach S3 at ${where} (${netCode}) while ${doing}: check the network and --endpoint.`, { cause: err });
  }
  const detail = name !== '' && name !== 'Error' ? name : status !== undefined ? `HTTP ${status}` : (e?.message ?? 'unknown error').slice(0, 200);
  return new InswarmError('E_S3', `An S3 request failed (${detail}) while ${doing}: check the bucket, region and endpoint, then try again.`, { cause: err });
}
