// An S3 prefix as an inbox, read with the owner's credentials (the standard AWS chain): listed
// with ListObjectsV2 page by page, each object streamed to a temp file, deleted on request.

import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fromFsError, InswarmError } from '../errors.js';
import { COLLECT_LIST_PAGE_KEYS } from '../limits.js';
import type { S3Endpoint } from '../delivery/endpoint.js';
import { describeS3, fromS3Error, resolveCredentials, s3Client } from '../delivery/s3-sdk.js';
import type { FetchedObject, Inbox, InboxObject } from './inbox.js';

export class S3Inbox implements Inbox {
  readonly source: string;
  private readonly client: S3Client;
  private readonly listPrefix: string;
  private checked = false;

  constructor(private readonly endpoint: S3Endpoint) {
    // The endpoint is part of the name: a bucket "photos" on MinIO is not the one on AWS.
    this.source = describeS3(endpoint) + (endpoint.endpoint === null ? '' : ` at ${new URL(endpoint.endpoint).origin}`);
    this.client = s3Client(endpoint);
    this.listPrefix = endpoint.prefix === '' ? '' : `${endpoint.prefix}/`;
  }

  /** Objects directly under PREFIX/ (not in deeper "folders"), in key order. */
  async *list(signal?: AbortSignal): AsyncIterable<InboxObject> {
    await this.checkCredentials();
    let token: string | undefined;
    do {
      const command = new ListObjectsV2Command({ Bucket: this.endpoint.bucket, Prefix: this.listPrefix, Delimiter: '/', MaxKeys: COLLECT_LIST_PAGE_KEYS, ContinuationToken: token });
      const page = await this.call(`listing ${describeS3(this.endpoint)}`, signal, (options) => this.client.send(command, options));
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(this.listPrefix)) continue;
        const name = item.Key.slice(this.listPrefix.length);
        if (name === '') continue; // a "folder" marker object
        yield { key: item.Key, name, size: item.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Streams the object into a temp file in `workDir`; a body of another length than listed is an error, not a verdict. */
  async fetch(object: InboxObject, workDir: string, signal?: AbortSignal): Promise<FetchedObject> {
    await this.checkCredentials();
    const doing = `downloading ${describeS3(this.endpoint)}/${object.name.slice(0, 80)}`;
    const path = join(workDir, `${randomBytes(8).toString('hex')}.download`);
    const release = (): Promise<void> => rm(path, { force: true });
    let out: FileHandle | undefined;
    try {
      const command = new GetObjectCommand({ Bucket: this.endpoint.bucket, Key: object.key });
      const answer = await this.call(doing, signal, (options) => this.client.send(command, options));
      out = await open(path, 'wx', 0o600);
      let received = 0;
      try {
        for await (const chunk of answer.Body as AsyncIterable<Uint8Array>) {
          received += chunk.byteLength;
          // Never hold more than was listed (and the listing was size-checked).
          if (received > object.size) throw new InswarmError('E_S3', `${object.key} grew while it was downloaded: run collect again.`);
          for (let offset = 0; offset < chunk.byteLength; ) offset += (await out.write(chunk, offset, chunk.byteLength - offset)).bytesWritten;
        }
      } catch (err) {
        (answer.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw err;
      }
      if (received !== object.size) throw new InswarmError('E_S3', `The download of ${object.key} ended after ${received} of ${object.size} bytes: run collect again.`);
      await out.close();
      out = undefined;
      return { path, release };
    } catch (err) {
      await out?.close().catch(() => undefined);
      await release().catch(() => undefined);
      if (signal?.aborted) throw new InswarmError('E_ABORTED', 'Collecting was cancelled.', { cause: err });
      const mapped = fromFsError(err, doing);
      throw mapped instanceof InswarmError ? mapped : fromS3Error(err, doing, this.endpoint);
    }
  }

  async remove(object: InboxObject, signal?: AbortSignal): Promise<void> {
    const command = new DeleteObjectCommand({ Bucket: this.endpoint.bucket, Key: object.key });
    await this.call(`deleting ${object.key} from ${describeS3(this.endpoint)}`, signal, (options) => this.client.send(command, options));
  }

  close(): void {
    this.client.destroy();
  }

  private async checkCredentials(): Promise<void> {
    if (this.checked) return;
    await resolveCredentials(this.client);
    this.checked = true;
  }

  /** Runs one SDK request with the abort signal, turning failures into sentences about `doing`. */
  private async call<T>(doing: string, signal: AbortSignal | undefined, send: (options: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await send(signal === undefined ? {} : { abortSignal: signal });
    } catch (err) {
      if (signal?.aborted) throw new InswarmError('E_ABORTED', 'Collecting was cancelled.', { cause: err });
      throw fromS3Error(err, doing, this.endpoint);
    }
  }
}
