import { formatBytes } from '../../../shared/format.js';
import { InswarmNode } from '../../core/node.js';
import type { Command } from '../command.js';

export const add: Command = {
  name: 'add',
  summary: 'seal files to the destination into the outbox',
  help: `Usage: inswarm add FILE…

Seals each FILE into its own blob addressed to the destination set with "inswarm dest set",
stores it in the outbox and records it in the ledger. Prints "BLOB-ID<TAB>FILE" per file.`,
  options: {},
  positionals: [1, Number.MAX_SAFE_INTEGER],
  async run({ positionals, dataDir, print, note }) {
    const node = await InswarmNode.open(dataDir);
    try {
      let bytes = 0;
      for (const path of positionals) {
        const [added] = await node.addFiles([[{ path }]]);
        print(`${added!.blobId}\t${path}`);
        bytes += added!.size;
      }
      note(`Added ${positionals.length} blob${positionals.length === 1 ? '' : 's'} (${formatBytes(bytes)}) to the outbox.`);
    } finally {
      await node.close();
    }
  },
};
