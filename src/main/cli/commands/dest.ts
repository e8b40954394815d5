import { resolve } from 'node:path';
import type { Destination, DestinationStore } from '../../core/delivery/destinations.js';
import { describeEndpoint, encodeCardLink, parseCardLink, parseS3Location, validateCard, validateLabel } from '../../core/delivery/card.js';
import type { DestinationCard, Endpoint } from '../../core/delivery/endpoint.js';
import { renderQrTerminal, writeQrFile } from '../../core/delivery/qr.js';
import { InswarmError } from '../../core/errors.js';
import { parseRecipient } from '../../core/seal/age-keys.js';
import { UsageError, type Command, type CommandContext, openNode } from '../command.js';

/** S3's own default region, used when --region is left out (what the AWS SDK assumes too). */
const DEFAULT_S3_REGION = 'us-east-1';
/** The label `dest set` has always used when none is given. */
const DEFAULT_SET_LABEL = 'home';

/** Which options each action takes; any other is a usage error rather than silently ignored. */
const ACTION_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  create: ['recipient', 'receiver', 'receiver-id', 's3', 'region', 's3-endpoint', 'path-style', 'folder', 'default'],
  import: ['label', 'default'],
  show: ['link', 'qr', 'qr-file', 'json'],
  list: ['json'],
  default: [],
  remove: [],
  set: ['label'],
};

export const dest: Command = {
  name: 'dest',
  summary: 'create, share, import and choose destinations (where your blobs are delivered)',
  help: `Usage: inswarm dest create LABEL --recipient age1… WHERE [--default]
       inswarm dest import LINK [--label NEW] [--default]
       inswarm dest show [LABEL] [--link] [--qr] [--qr-file FILE.svg|FILE.png] [--json]
       inswarm dest list [--json]
       inswarm dest default LABEL
       inswarm dest remove LABEL
       inswarm dest set RECIPIENT [--label LABEL]

A destination is where your blobs go: the age recipient they are sealed to (from "inswarm keygen"
on the destination's side) and where they are delivered. It travels as a card: an inswarm://dest
link or its QR code. "inswarm add" seals to the default destination, or to --dest LABEL.
The first destination you add becomes the default.

  create     stores a new destination and prints its inswarm:// link. WHERE is one of:
               --receiver https://HOST:PORT --receiver-id DEVICE-ID
                                    a home receiver ("inswarm receive" prints both)
               --s3 s3://BUCKET[/PREFIX] [--region REGION] [--s3-endpoint URL] [--path-style]
                                    an S3-compatible bucket; credentials come from the usual AWS
                                    environment or profile. --region defaults to ${DEFAULT_S3_REGION};
                                    --s3-endpoint for MinIO, R2, B2…, which mostly need --path-style
               --folder DIR         a folder on this computer (e.g. a cloud-synced one)
  import     stores the destination of an inswarm://dest link (--label renames it)
  show       prints a destination (the default one without LABEL) as "LABEL<TAB>RECIPIENT[<TAB>WHERE]",
             or its link (--link), its QR code in the terminal (--qr), or JSON (--json);
             --qr-file writes the QR code as an SVG or PNG image
  list       prints every destination as "LABEL<TAB>WHERE<TAB>RECIPIENT", marking the default
  default    makes LABEL the default destination
  remove     forgets a destination no outbox blob is sealed to
  set        makes a destination from a bare recipient (no delivery endpoint: restore by hand)
             and makes it the default; --label defaults to "${DEFAULT_SET_LABEL}"

Options:
  --default     make the new destination the default
  --json        print JSON instead of text`,
  options: {
    label: { type: 'string' },
    recipient: { type: 'string' },
    receiver: { type: 'string' },
    'receiver-id': { type: 'string' },
    s3: { type: 'string' },
    region: { type: 'string' },
    's3-endpoint': { type: 'string' },
    'path-style': { type: 'boolean' },
    folder: { type: 'string' },
    default: { type: 'boolean' },
    link: { type: 'boolean' },
    qr: { type: 'boolean' },
    'qr-file': { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: [1, 2],
  async run(ctx) {
    const { values, positionals } = ctx;
    const [action, arg] = positionals as [string, string | undefined];
    const allowed = ACTION_OPTIONS[action];
    if (allowed === undefined) throw new UsageError(`Unknown action "${action}": use create, import, show, list, default, remove or set.`);
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && name !== 'data' && name !== 'help' && !allowed.includes(name)) {
        throw new UsageError(`--${name} does not go with "inswarm dest ${action}".`);
      }
    }
    const needsArg = action !== 'show' && action !== 'list';
    if (needsArg && arg === undefined) throw new UsageError(`"inswarm dest ${action}" needs ${action === 'set' ? 'the recipient (age1…)' : action === 'import' ? 'the inswarm://dest link' : 'the LABEL'}.`);
    if (action === 'list' && arg !== undefined) throw new UsageError('"inswarm dest list" takes no argument.');
    // Everything checkable without the ledger is checked before opening it.
    const card = action === 'create' ? cardFromOptions(arg!, values) : action === 'import' ? importedCard(arg!, values) : undefined;
    if (action === 'set') parseRecipient(arg!);

    const node = await openNode(ctx.dataDir);
    try {
      const store = node.destinations;
      switch (action) {
        case 'create':
        case 'import': {
          const d = store.add(card!, { makeDefault: values['default'] === true });
          ctx.note(`${action === 'create' ? 'Created' : 'Imported'} destination ${JSON.stringify(d.card.label)}${d.isDefault ? ' (the default)' : ''}: ${describeEndpoint(d.card.endpoint)}.`);
          ctx.print(action === 'create' ? encodeCardLink(d.card as DestinationCard) : showLine(d));
          return;
        }
        case 'show':
          return await show(store, arg, ctx);
        case 'list':
          return list(store, ctx);
        case 'default':
          ctx.print(showLine(store.setDefault(arg!)));
          return;
        case 'remove': {
          const removed = store.remove(arg!);
          ctx.note(`Removed destination ${JSON.stringify(removed.label)}.`);
          if (removed.wasDefault) ctx.note('There is no default destination now: choose one with "inswarm dest default LABEL".');
          return;
        }
        case 'set': {
          const d = store.setRecipient(arg!, typeof values['label'] === 'string' ? values['label'] : DEFAULT_SET_LABEL);
          ctx.print(showLine(d));
          return;
        }
      }
    } finally {
      await node.close();
    }
  },
};

/** The card `dest create` describes with its options; exactly one kind of endpoint. */
function cardFromOptions(label: string, values: CommandContext['values']): DestinationCard {
  const str = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const recipient = str('recipient');
  if (recipient === undefined) throw new UsageError('"inswarm dest create" needs --recipient age1… (printed by "inswarm keygen" on the destination\'s side).');
  const kinds = (['receiver', 's3', 'folder'] as const).filter((k) => str(k) !== undefined);
  if (kinds.length !== 1) throw new UsageError('"inswarm dest create" needs exactly one of --receiver, --s3 or --folder.');
  const s3Only = ['region', 's3-endpoint', 'path-style'].filter((o) => values[o] !== undefined);
  if (kinds[0] !== 's3' && s3Only.length > 0) throw new UsageError(`--${s3Only[0]} goes only with --s3.`);
  if (kinds[0] !== 'receiver' && str('receiver-id') !== undefined) throw new UsageError('--receiver-id goes only with --receiver.');
  let endpoint: Endpoint;
  switch (kinds[0]!) {
    case 'receiver': {
      const receiverId = str('receiver-id');
      if (receiverId === undefined) throw new UsageError('--receiver needs --receiver-id DEVICE-ID (printed by "inswarm receive"), which pins the receiver\'s certificate.');
      endpoint = { kind: 'receiver', url: str('receiver')!, receiverId };
      break;
    }
    case 's3': {
      const { bucket, prefix } = parseS3Location(str('s3')!);
      endpoint = { kind: 's3', bucket, prefix, region: str('region') ?? DEFAULT_S3_REGION, endpoint: str('s3-endpoint') ?? null, forcePathStyle: values['path-style'] === true };
      break;
    }
    case 'folder':
      // A relative folder is taken from where the command runs, as a person means it.
      endpoint = { kind: 'folder', path: resolveFolder(str('folder')!) };
      break;
  }
  return validateCard({ label, recipient, endpoint });
}

function resolveFolder(dir: string): string {
  return dir === '' ? dir : resolve(dir);
}

function importedCard(link: string, values: CommandContext['values']): DestinationCard {
  const card = parseCardLink(link);
  return typeof values['label'] === 'string' ? { ...card, label: validateLabel(values['label']) } : card;
}

async function show(store: DestinationStore, label: string | undefined, ctx: CommandContext): Promise<void> {
  const { values } = ctx;
  if (values['json'] === true && (values['link'] === true || values['qr'] === true)) throw new UsageError('--json does not go with --link or --qr.');
  const d = label === undefined ? store.getDefault() : store.byLabel(label);
  if (d === undefined) {
    throw new InswarmError('E_NO_DESTINATION', 'No destination is set yet: import a card with "inswarm dest import LINK" or create one with "inswarm dest create".');
  }
  const wantsCard = values['link'] === true || values['qr'] === true || typeof values['qr-file'] === 'string';
  const link = d.card.endpoint === null ? null : encodeCardLink(d.card as DestinationCard);
  if (wantsCard && link === null) {
    throw new InswarmError(
      'E_BAD_CARD',
      `Destination ${JSON.stringify(d.card.label)} has only a recipient and no delivery endpoint, so it has no card to share: make one with "inswarm dest create".`,
    );
  }
  if (typeof values['qr-file'] === 'string') {
    await writeQrFile(link!, values['qr-file']);
    ctx.note(`Wrote the QR code of destination ${JSON.stringify(d.card.label)} to ${values['qr-file']}.`);
  }
  if (values['json'] === true) {
    ctx.print(JSON.stringify(jsonView(d), null, 2));
    return;
  }
  if (values['qr'] === true) ctx.print(renderQrTerminal(link!, { color: process.stdout.isTTY === true }));
  if (values['qr'] === true || values['link'] === true) ctx.print(link!);
  else if (typeof values['qr-file'] !== 'string') ctx.print(showLine(d));
}

function list(store: DestinationStore, ctx: CommandContext): void {
  const all = store.list();
  if (ctx.values['json'] === true) {
    ctx.print(JSON.stringify(all.map(jsonView), null, 2));
    return;
  }
  if (all.length === 0) ctx.note('No destinations yet: import a card with "inswarm dest import LINK" or create one with "inswarm dest create".');
  for (const d of all) ctx.print([d.card.label, describeEndpoint(d.card.endpoint), d.card.recipient, ...(d.isDefault ? ['default'] : [])].join('\t'));
}

/** "LABEL<TAB>RECIPIENT", plus where it delivers when it has an endpoint (the two-column form is what `dest set` always printed). */
function showLine(d: Destination): string {
  return [d.card.label, d.card.recipient, ...(d.card.endpoint === null ? [] : [describeEndpoint(d.card.endpoint)])].join('\t');
}

function jsonView(d: Destination): Record<string, unknown> {
  return {
    id: d.id,
    label: d.card.label,
    recipient: d.card.recipient,
    endpoint: d.card.endpoint,
    isDefault: d.isDefault,
    createdAt: d.createdAt,
    link: d.card.endpoint === null ? null : encodeCardLink(d.card as DestinationCard),
  };
}
