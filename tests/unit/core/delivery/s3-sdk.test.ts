// The owner's S3 locations and object keys, and collect's one-line summary.
import { describe, expect, it } from 'vitest';
import { formatSummary, type CollectSummary } from '../../../../src/main/core/collect/collector.js';
import { checksumOf } from '../../../../src/main/core/delivery/s3-client.js';
import { describeS3, objectKey, parseS3Url } from '../../../../src/main/core/delivery/s3-sdk.js';
import { isInswarmError } from '../../../../src/main/core/errors.js';

describe('parseS3Url', () => {
  it('splits s3://BUCKET/PREFIX and normalises slashes', () => {
    expect(parseS3Url('s3://photos')).toEqual({ bucket: 'photos', prefix: '' });
    expect(parseS3Url('s3://photos/')).toEqual({ bucket: 'photos', prefix: '' });
    expect(parseS3Url('s3://my.bucket-1/inswarm//inbox/')).toEqual({ bucket: 'my.bucket-1', prefix: 'inswarm/inbox' });
  });

  it('refuses what is not a bucket location, with E_USAGE', () => {
    for (const bad of ['photos', 'https://photos/x', 's3://', 's3://Photos/x', 's3://ab/x', `s3://${'a'.repeat(64)}`, 's3://photos/../x', 's3://photos/a/./b', `s3://photos/${'p'.repeat(1000)}`]) {
      let err: unknown = null;
      try {
        parseS3Url(bad);
      } catch (e) {
        err = e;
      }
      expect(isInswarmError(err, 'E_USAGE'), bad).toBe(true);
    }
  });
});

describe('object keys', () => {
  const id = 'ab'.repeat(32);
  it('is PREFIX/BLOB-ID, or BLOB-ID at the root', () => {
    expect(objectKey('inswarm/inbox', id)).toBe(`inswarm/inbox/${id}`);
    expect(objectKey('', id)).toBe(id);
    expect(describeS3({ bucket: 'b', prefix: '' })).toBe('s3://b');
    expect(describeS3({ bucket: 'b', prefix: 'p/q' })).toBe('s3://b/p/q');
  });

  it('the checksum header is the blob ID as base64 (the blob ID is its SHA-256)', () => {
    expect(checksumOf(id)).toBe(Buffer.from(id, 'hex').toString('base64'));
    expect(Buffer.from(checksumOf(id), 'base64').toString('hex')).toBe(id);
  });
});

describe('formatSummary', () => {
  const base: CollectSummary = { source: 's3://b/p', opened: 0, files: 0, duplicates: 0, failed: 0, notBlobs: 0, alreadyCollected: 0, previouslyFailed: 0, deleted: 0, more: false, events: [] };
  it('says how many blobs, files, duplicates and failures, then what else happened', () => {
    expect(formatSummary({ ...base, opened: 3, files: 4, duplicates: 1, failed: 2 })).toBe('collected 3 new blobs (4 files, 1 duplicate), 2 failed');
    expect(formatSummary({ ...base, opened: 1, files: 1 })).toBe('collected 1 new blob (1 file, 0 duplicates), 0 failed');
    expect(formatSummary({ ...base, deleted: 2, alreadyCollected: 2, notBlobs: 1, more: true })).toBe(
      'collected 0 new blobs (0 files, 0 duplicates), 0 failed; 2 deleted from the inbox, 2 collected earlier, 1 object is not named by a blob ID (left alone); more objects are waiting: run collect again',
    );
  });
});
