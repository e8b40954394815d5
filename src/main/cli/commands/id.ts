import { type Command, openNode } from '../command.js';

export const id: Command = {
  name: 'id',
  summary: "print this device's ID",
  help: `Usage: inswarm id

Prints this device's ID: the SHA-256 of its certificate in Syncthing's format (8 groups of 7
characters with check characters). Peers pin it; the first run creates the identity.`,
  options: {},
  positionals: [0, 0],
  async run({ dataDir, print }) {
    const node = await openNode(dataDir);
    try {
      print(node.identity.deviceId);
    } finally {
      await node.close();
    }
  },
};
