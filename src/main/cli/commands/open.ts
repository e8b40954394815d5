import { basename } from 'node:path';
import { BLOB_ID_PATTERN } from '../../core/limits.js';
import { readKeyFile } from '../../core/seal/key-file.js';
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
    const identities = await readKeyFile(requireString(values, 'identity'));
    const out = requireString(values, 'out');
    const expectedId = typeof values['id'] === 'string' ? parseBlobId(values['id']) : BLOB_ID_PATTERN.test(basename(blob)) ? basename(blob) : undefined;
    const result = await openBlob(blob, out, { identities, ...(expectedId ? { expectedId } : {}) });
    for (const file of result.files) if (file.placedAt !== null) print(file.placedAt);
    note(`Opened blob ${result.blobId.slice(0, 12)}…: ${result.files.length} file${result.files.length === 1 ? '' : 's'} into ${out}.`);
  },
};

