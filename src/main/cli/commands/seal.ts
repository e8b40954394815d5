import { randomBytes } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { dataLayout } from '../../core/data-dir.js';
import { fromFsError, InswarmError } from '../../core/errors.js';
import { loadOrCreateDeviceIdentity } from '../../core/identity/device-identity.js';
import { parseRecipient } from '../../core/seal/age-keys.js';
import { sealFiles } from '../../core/seal/seal.js';
import { fsyncDir } from '../../core/store/fsync.js';
import { UsageError, requireString, type Command } from '../command.js';

export const seal: Command = {
  name: 'seal',
  summary: 'seal files into one blob for a recipient and print its ID',
  help: `Usage: inswarm seal --to RECIPIENT [--to RECIPIENT…] --out BLOB FILE…

Writes FILE… as one blob: a pax tar (base names, mtimes, modes, per-file SHA-256, this device's
ID and capture times) encrypted with age to RECIPIENT. Prints the blob ID (the SHA-256 of the
blob's bytes). BLOB is never overwritten; a failure leaves no partial file.
Open it with "inswarm open", or without Inswarm: age -d -i key.txt BLOB | tar -x

Options:
  --to RECIPIENT   an age X25519 recipient (age1…); repeat for several
  --out BLOB       the blob file to create`,
  options: { to: { type: 'string', multiple: true }, out: { type: 'string', short: 'o' } },
  positionals: [1, Number.MAX_SAFE_INTEGER],
  async run({ values, positionals, dataDir, print }) {
    const to = values['to'];
    if (!Array.isArray(to) || to.length === 0) throw new UsageError('--to is required.');
    const recipients = to.map(parseRecipient);
    const out = requireString(values, 'out');
    // Only the device ID is needed: read the identity alone, not the whole node (ledger, reconcile).
    const { deviceId } = await loadOrCreateDeviceIdentity(dataLayout(dataDir).device);

    // Seal into a temp file beside BLOB, then link it into place: link() refuses an existing name.
    const temp = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.inswarm-tmp`);
    let created = false;
    try {
      const handle = await open(temp, 'wx', 0o644);
      created = true;
      let blobId: string;
      try {
        ({ blobId } = await sealFiles(positionals.map((path) => ({ path })), handle, { recipients, originDeviceId: deviceId }));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(temp, out);
      await fsyncDir(dirname(out));
      print(blobId);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && created) {
        throw new InswarmError('E_EXISTS', `${out} already exists and Inswarm never overwrites: choose another --out.`);
      }
      throw fromFsError(err, `sealing into ${out}`);
    } finally {
      if (created) await unlink(temp).catch(() => undefined);
    }
  },
};
