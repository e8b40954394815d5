import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fromFsError, InswarmError } from '../../core/errors.js';
import { BLOB_ID_PATTERN, MAX_IDENTITY_FILE_BYTES } from '../../core/limits.js';
import { parseIdentityFile, type X25519Identity } from '../../core/seal/age-keys.js';
import { parseBlobId } from '../../core/seal/blob-id.js';
import { openBlob } from '../../core/seal/open.js';
import { requireString, type Command } from '../command.js';

export const openCommand: Command = {
  name: 'open',
  summary: 'verify, decrypt and extract a blob into a folder',
  help: `Usage: inswarm open --identity KEY --out DIR [--id ID] BLOB

Checks the blob against its name (when the file is named by its ID, or with --id), decrypts it
with the age key file KEY and extracts its files into DIR (created if missing). Files land only
after the whole blob authenticated; existing files are never overwritten (a " (n)" suffix is
added). Prints the path of each extracted file.

Options:
  --identity KEY   an age key file (from "inswarm keygen" or age-keygen)
  --out DIR        the folder to extract into
  --id ID          the blob ID the bytes must hash to`,
  options: { identity: { type: 'string', short: 'i' }, out: { type: 'string', short: 'o' }, id: { type: 'string' } },
  positionals: [1, 1],
  async run({ values, positionals, print, note }) {
    const blob = positionals[0]!;
    const identities = await readIdentities(requireString(values, 'identity'));
    const out = requireString(values, 'out');
    const expectedId = typeof values['id'] === 'string' ? parseBlobId(values['id']) : BLOB_ID_PATTERN.test(basename(blob)) ? basename(blob) : undefined;
    const result = await openBlob(blob, out, { identities, ...(expectedId ? { expectedId } : {}) });
    for (const file of result.files) if (file.placedAt !== null) print(file.placedAt);
    note(`Opened blob ${result.blobId.slice(0, 12)}…: ${result.files.length} file${result.files.length === 1 ? '' : 's'} into ${out}.`);
  },
};

/** Reads an age identity file, refusing anything too large to be one. */
export async function readIdentities(path: string): Promise<X25519Identity[]> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    throw fromFsError(err, `reading the key file ${path}`);
  }
  if (text.length > MAX_IDENTITY_FILE_BYTES) {
    throw new InswarmError('E_BAD_IDENTITY', `${path} is too large to be an age key file: pass the file made by "inswarm keygen".`);
  }
  return parseIdentityFile(text.toString('utf8'));
}
