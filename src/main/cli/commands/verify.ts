import { basename } from 'node:path';
import { InswarmError } from '../../core/errors.js';
import { BLOB_ID_PATTERN } from '../../core/limits.js';
import { hashBlobFile, parseBlobId } from '../../core/seal/blob-id.js';
import { UsageError, type Command } from '../command.js';

export const verify: Command = {
  name: 'verify',
  summary: "check that a blob's bytes hash to its name",
  help: `Usage: inswarm verify [--id ID] BLOB

Hashes BLOB and compares the SHA-256 with its name: the file name when it is a blob ID, or ID.
Needs no key: anyone holding a blob can check it was not altered. Prints the ID when it matches.

Options:
  --id ID   the blob ID to check against (default: the file name)`,
  options: { id: { type: 'string' } },
  positionals: [1, 1],
  async run({ values, positionals, print }) {
    const blob = positionals[0]!;
    const name = basename(blob);
    let expected: string;
    if (typeof values['id'] === 'string') expected = parseBlobId(values['id']);
    else if (BLOB_ID_PATTERN.test(name)) expected = name;
    else throw new UsageError(`${name} is not named by a blob ID: pass the expected ID with --id.`);
    const { blobId } = await hashBlobFile(blob);
    if (blobId !== expected) {
      throw new InswarmError('E_BLOB_HASH', `${blob} hashes to ${blobId}, not ${expected}: the blob was altered or damaged.`);
    }
    print(blobId);
  },
};
