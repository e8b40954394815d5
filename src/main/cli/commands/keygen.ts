import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromFsError } from '../../core/errors.js';
import { formatIdentityFile, generateIdentity } from '../../core/seal/age-keys.js';
import { fsyncDir } from '../../core/store/fsync.js';
import { requireString, type Command } from '../command.js';

export const keygen: Command = {
  name: 'keygen',
  summary: 'create a destination key (an age identity) and print its recipient',
  help: `Usage: inswarm keygen --out FILE

Creates a destination identity in age's key-file format (readable by "age -d -i FILE"), with file
mode 0600, and prints its recipient (age1…) on stdout. Never overwrites an existing file.
Keep FILE safe and backed up: it is the only key that opens your blobs.

Options:
  --out FILE   where to write the new key file (must not exist)`,
  options: { out: { type: 'string', short: 'o' } },
  positionals: [0, 0],
  async run({ values, print, note }) {
    const out = requireString(values, 'out');
    const { identity, recipient } = await generateIdentity();
    try {
      // 'wx': fail if the file exists; a key is never overwritten.
      const handle = await open(out, 'wx', 0o600);
      try {
        await handle.writeFile(formatIdentityFile(identity, recipient));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsyncDir(dirname(out));
    } catch (err) {
      throw fromFsError(err, `writing the key file ${out}`);
    }
    note(`Wrote the secret key to ${out}. Back it up: without it your blobs cannot be opened.`);
    print(recipient);
  },
};
