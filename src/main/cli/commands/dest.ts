import { InswarmNode } from '../../core/node.js';
import { parseRecipient } from '../../core/seal/age-keys.js';
import { UsageError, type Command } from '../command.js';

export const dest: Command = {
  name: 'dest',
  summary: 'set or show the destination new blobs are sealed to',
  help: `Usage: inswarm dest set RECIPIENT [--label LABEL]
       inswarm dest show

"set" makes RECIPIENT (age1…, from "inswarm keygen" on the destination's side) the destination
that "inswarm add" seals to. "show" prints the current one.

Options:
  --label LABEL   a name for the destination (default: "home")`,
  options: { label: { type: 'string' } },
  positionals: [1, 2],
  async run({ values, positionals, dataDir, print }) {
    const [action, recipient] = positionals;
    if (action === 'set') {
      if (recipient === undefined) throw new UsageError('"inswarm dest set" needs the recipient (age1…).');
      parseRecipient(recipient);
      const label = typeof values['label'] === 'string' ? values['label'] : 'home';
      const node = await InswarmNode.open(dataDir);
      try {
        const d = node.ledger.setDefaultDestination({ recipient, label });
        print(`${d.label}\t${d.recipient}`);
      } finally {
        await node.close();
      }
      return;
    }
    if (action === 'show' && recipient === undefined) {
      const node = await InswarmNode.open(dataDir);
      try {
        const d = node.ledger.getDefaultDestination();
        if (d === undefined) return 1;
        print(`${d.label}\t${d.recipient}`);
      } finally {
        await node.close();
      }
      return;
    }
    throw new UsageError(`Unknown action "${action}": use "set" or "show".`);
  },
};
