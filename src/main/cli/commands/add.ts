import { formatBytes } from '../../../shared/format.js';
import { type Command, openNode } from '../command.js';

export const add: Command = {
  name: 'add',
  summary: 'seal files to a destination into the outbox',
  help: `Usage: inswarm add [--dest LABEL] FILE…

Seals each FILE into its own blob addressed to the default destination (see "inswarm dest"), or
to the destination labelled LABEL, stores it in the outbox and records it in the ledger.
Prints "BLOB-ID<TAB>FILE" per file.

Options:
  --dest LABEL   seal to this destination instead of the default one`,
  options: { dest: { type: 'string' } },
  positionals: [1, Number.MAX_SAFE_INTEGER],
  async run({ values, positionals, dataDir, print, note }) {
    const destination = typeof values['dest'] === 'string' ? values['dest'] : undefined;
    const node = await openNode(dataDir);
    try {
      let bytes = 0;
      for (const path of positionals) {
        const [added] = await node.addFiles([[{ path }]], { destination });
        print(`${added!.blobId}\t${path}`);
        bytes += added!.size;
      }
      const to = destination ?? node.destinations.getDefault()?.card.label;
      note(`Added ${positionals.length} blob${positionals.length === 1 ? '' : 's'} (${formatBytes(bytes)}) to the outbox for ${JSON.stringify(to)}.`);
    } finally {
      await node.close();
    }
  },
};
