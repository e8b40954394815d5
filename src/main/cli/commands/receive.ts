import { mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { bech32 } from '@scure/base';
import { parseRate } from '../../../shared/units.js';
import { encodeCardLink } from '../../core/delivery/card.js';
import { isInswarmError } from '../../core/errors.js';
import { Library } from '../../core/library/library.js';
import { parseReceiverUrl } from '../../core/receiver/receiver-client.js';
import { ReceiverServer } from '../../core/receiver/receiver-server.js';
import { ReceiverStore } from '../../core/receiver/receiver-store.js';
import type { X25519Identity } from '../../core/seal/age-keys.js';
import { UsageError, requireString, type Command, openNode } from '../command.js';
import { createKeyFile, readKeyFile } from '../../core/seal/key-file.js';

/** The port a receiver listens on when --listen gives none. */
export const RECEIVER_DEFAULT_PORT = 22_101;
/** The card's label when --label gives none. */
const DEFAULT_LABEL = 'home';
/** The receiver's own destination key in its data folder, when --identity is not given. */
const OWN_KEY_FILE = 'destination-key.txt';

export const receive: Command = {
  name: 'receive',
  summary: 'run a home receiver, or manage the origin devices it accepts',
  help: `Usage: inswarm receive --library DIR [--identity KEY] [--listen HOST:PORT] [--url URL] [--label LABEL] [--rate RATE]
       inswarm receive enroll DEVICE-ID [--label LABEL]
       inswarm receive unenroll DEVICE-ID
       inswarm receive enrolled [--json]

Without an action, runs a home receiver until SIGINT or SIGTERM: an HTTPS server that takes blobs
delivered by your devices and by volunteers, checks each against its name and its origin's signed
ticket, opens it with the age key KEY into the photo library DIR (as DIR/YYYY/MM/DD/NAME, by
capture date, never overwriting, each photo once), and answers with a signed delivery receipt.
Its TLS certificate is this data folder's device identity: the destination card it prints pins it.
Only origin devices enrolled here may deliver; an origin shows its ID with "inswarm id".

Actions:
  enroll DEVICE-ID     accept blobs from this origin device (re-enrolling changes its label)
  unenroll DEVICE-ID   stop accepting them (blobs already received stay)
  enrolled             list enrolled origin devices

Options:
  --library DIR        the photo library folder (created if missing)
  --identity KEY       the destination's age key file (from "inswarm keygen"); default: the data
                       folder's ${OWN_KEY_FILE}, created on first run (back it up)
  --listen HOST:PORT   where to accept uploads (default 0.0.0.0:${RECEIVER_DEFAULT_PORT}; port 0 picks a free one)
  --url URL            the address deliverers use, for the card (default: https://THIS-MACHINE'S-IP:PORT)
  --label LABEL        the card's label, or the enrolled device's label (default "${DEFAULT_LABEL}")
  --rate RATE          total receive rate over all uploads, e.g. 20MB/s (default: no cap)
  --json               "enrolled" as JSON`,
  options: {
    library: { type: 'string' },
    identity: { type: 'string', short: 'i' },
    listen: { type: 'string' },
    url: { type: 'string' },
    label: { type: 'string' },
    rate: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: [0, 2],
  async run(ctx) {
    const [action, arg] = ctx.positionals;
    if (action === undefined) return serve(ctx);
    const wants = action === 'enroll' || action === 'unenroll' ? 1 : 0;
    if (!['enroll', 'unenroll', 'enrolled'].includes(action)) throw new UsageError(`Unknown action "${action}": use enroll, unenroll or enrolled (or no action to run the receiver).`);
    if ((arg === undefined ? 0 : 1) !== wants) throw new UsageError(wants === 1 ? `"inswarm receive ${action}" needs a DEVICE-ID.` : `"inswarm receive ${action}" takes no argument.`);
    const node = await openNode(ctx.dataDir);
    try {
      const store = new ReceiverStore(node.ledger);
      if (action === 'enroll') {
        const label = typeof ctx.values['label'] === 'string' ? ctx.values['label'] : '';
        const row = store.enroll(arg!, label);
        node.ledger.appendEvent('receiver:enrolled', { deviceId: row.deviceId, label: row.label });
        ctx.print(row.deviceId);
        ctx.note(`Enrolled ${row.deviceId}${row.label === '' ? '' : ` (${row.label})`}: this receiver now accepts blobs from that device.`);
      } else if (action === 'unenroll') {
        const removed = store.unenroll(arg!);
        if (removed) node.ledger.appendEvent('receiver:unenrolled', { deviceId: arg! });
        ctx.note(removed ? 'Unenrolled: blobs from that device are refused from now on.' : 'That device was not enrolled; nothing changed.');
      } else {
        const rows = store.enrolled();
        if (ctx.values['json']) ctx.print(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) ctx.note('No origin device is enrolled yet: run "inswarm receive enroll DEVICE-ID".');
        else for (const r of rows) ctx.print(`${r.deviceId}\t${r.label}\t${new Date(r.addedAt).toISOString()}`);
      }
    } finally {
      await node.close();
    }
  },
};

async function serve({ values, dataDir, print, note }: Parameters<Command['run']>[0]): Promise<void> {
  // Listen for signals before anything else: a Ctrl+C during start-up must still stop cleanly.
  const stopped = new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once('SIGINT', () => resolveSignal('SIGINT'));
    process.once('SIGTERM', () => resolveSignal('SIGTERM'));
  });
  const libraryDir = resolve(requireString(values, 'library'));
  const identities = await destinationKey(values['identity'], dataDir, note);
  const listen = typeof values['listen'] === 'string' ? parseListen(values['listen']) : { host: '0.0.0.0', port: RECEIVER_DEFAULT_PORT };
  let rate: number | null = null;
  if (typeof values['rate'] === 'string') {
    const parsed = parseRate(values['rate']);
    if (parsed === undefined) throw new UsageError(`--rate "${values['rate']}" is not a rate (e.g. 20MB/s, or none).`);
    rate = parsed;
  }
  const label = typeof values['label'] === 'string' ? values['label'] : DEFAULT_LABEL;

  const node = await openNode(dataDir);
  let server: ReceiverServer | null = null;
  try {
    server = new ReceiverServer(
      {
        identity: node.identity,
        ledger: node.ledger,
        library: new Library(node.ledger, libraryDir),
        identities,
        receivedDir: join(dataDir, 'received'),
      },
      { rateBytesPerSec: rate, log: note },
    );
    const bound = await server.start(listen);
    const url = typeof values['url'] === 'string' ? parseReceiverUrl(values['url']).text : defaultUrl(bound.host, bound.port);
    const endpoint = { kind: 'receiver' as const, url, receiverId: server.receiverId };
    print(`Receiving at ${url} into ${libraryDir}`);
    print(`Receiver ID: ${server.receiverId}`);
    print(`Card: ${encodeCardLink({ label, recipient: recipientOf(identities[0]!), endpoint })}`);
    const enrolled = server.store.enrolled().length;
    note(
      enrolled === 0
        ? 'No origin device is enrolled yet: on each of your devices run "inswarm id", then here "inswarm receive enroll DEVICE-ID".'
        : `${enrolled} origin device(s) enrolled.`,
    );
    note('Press Ctrl+C to stop.');
    const signal = await stopped;
    await server.stop();
    note(`Stopped cleanly (${signal}).`);
  } finally {
    await server?.stop();
    await node.close();
  }
}

/** HOST:PORT or [IPv6]:PORT; HOST may be unspecified (0.0.0.0, ::) and PORT 0 (let the OS pick). */
function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:@[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined || port > 65_535 || (isIP(host) === 0 && !/^[a-z0-9.-]{1,253}$/i.test(host))) {
    throw new UsageError(`--listen "${text}" is not HOST:PORT (e.g. 0.0.0.0:${RECEIVER_DEFAULT_PORT} or 127.0.0.1:0).`);
  }
  return { host, port };
}

/**
 * The URL deliverers can use when --url is not given: the bound address, or for an unspecified
 * one (0.0.0.0, ::) this machine's first non-loopback IPv4 address, else loopback.
 */
function defaultUrl(host: string, port: number): string {
  let shown = host;
  if (host === '0.0.0.0' || host === '::') {
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    shown = lan?.address ?? '127.0.0.1';
  }
  return `https://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** The age recipient (age1…) of an identity: what origins seal to. */
function recipientOf(identity: X25519Identity): string {
  return bech32.encode('age', bech32.toWords(identity.publicKey), false);
}

/**
 * The age key that opens what arrives: --identity, or the data folder's own key, made on first
 * run so `inswarm receive --library DIR` is enough to start.
 */
async function destinationKey(given: unknown, dataDir: string, note: (line: string) => void) {
  if (typeof given === 'string') return readKeyFile(given);
  const path = join(dataDir, OWN_KEY_FILE);
  try {
    return await readKeyFile(path);
  } catch (err) {
    if (!isInswarmError(err, 'E_NOT_FOUND')) throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await createKeyFile(path);
  note(`Created the destination key ${path}. Back it up: without it your blobs cannot be opened.`);
  return readKeyFile(path);
}
