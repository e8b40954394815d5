import { formatBytes } from '../../../shared/format.js';
import { InswarmError } from '../../core/errors.js';
import { UsageError, type Command, openNode } from '../command.js';

export const deliver: Command = {
  name: 'deliver',
  summary: 'deliver own blobs and held replicas to their destinations now',
  help: `Usage: inswarm deliver --now [--json]

Delivers, from wherever this device is, every own blob whose destination has an endpoint
("inswarm dest create") and every held replica whose ticket names one. For each blob it asks the
destination first and uploads only what is not there yet; each delivery is proven (a receiver's
signed receipt, the bucket's checksum, the folder's durable copy) before the local copy is
dropped. A running node does this by itself on a home network ("inswarm home add").

Exits 1 when any delivery failed; those are retried later with backoff.

Options:
  --now    deliver now, whatever network this is
  --json   print the report as JSON`,
  options: { now: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ values, dataDir, print, note }) {
    if (!values['now']) throw new UsageError('"inswarm deliver" needs --now (a running node delivers by itself on a home network).');
    const node = await openNode(dataDir);
    try {
      const report = await node.deliverNow();
      if (values['json']) print(JSON.stringify(report, null, 2));
      else {
        print(`Delivered ${report.uploaded + report.alreadyThere} blob(s): ${report.uploaded} uploaded (${formatBytes(report.bytesUploaded)}), ${report.alreadyThere} already there.`);
        for (const e of report.errors) note(`${e.blobId.slice(0, 12)}…: ${e.error}`);
      }
      if (report.failed > 0) {
        throw new InswarmError('E_DELIVERY_FAILED', `${report.failed} deliver${report.failed === 1 ? 'y' : 'ies'} failed (see above); they are retried later, or run "inswarm deliver --now" again.`);
      }
    } finally {
      await node.close();
    }
  },
};
