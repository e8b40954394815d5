import { createKeyFile } from '../../core/seal/key-file.js';
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
    const recipient = await createKeyFile(out);
    note(`Wrote the secret key to ${out}. Back it up: without it your blobs cannot be opened.`);
    print(recipient);
  },
};
