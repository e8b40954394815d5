import { join } from 'node:path';
import { Collector, formatSummary, type CollectEvent } from '../../core/collect/collector.js';
import { FolderInbox, type Inbox } from '../../core/collect/inbox.js';
import { dataLayout } from '../../core/data-dir.js';
import { Ledger } from '../../core/ledger/ledger.js';
import { Library } from '../../core/library/library.js';
import { requireString, UsageError, type Command, type CommandContext } from '../command.js';
import { readKeyFile } from '../../core/seal/key-file.js';

export const collect: Command = {
  name: 'collect',
  summary: 'open the blobs in an S3 inbox or a folder into a photo library',
  help: `Usage: inswarm collect --s3 s3://BUCKET/PREFIX [--region R] [--endpoint URL] [--path-style]
                       --identity KEY --library DIR [--delete] [--retry-failed] [--json]
       inswarm collect --folder DIR --identity KEY --library DIR [--delete] [--retry-failed] [--json]

Takes every new blob from the inbox, checks it against its name, decrypts it with the age key
file KEY and files its photos as DIR/YYYY/MM/DD/<name> (by capture date, else mtime), skipping
photos already in the library and never overwriting. Remembers what it collected, so the next
run fetches only new blobs. A bad blob (wrong hash, another recipient, unsafe archive) is
reported, remembered and left in place. Prints a summary; exits 1 if any blob failed.

S3 credentials come from the standard AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
AWS_PROFILE (~/.aws/credentials, SSO), or the instance role. They need s3:ListBucket on the
bucket and s3:GetObject (and s3:DeleteObject for --delete) on the prefix.

Options:
  --s3 s3://BUCKET/PREFIX  the S3 inbox
  --region R               the bucket's region (default: AWS_REGION or the profile's)
  --endpoint URL           an S3-compatible server (MinIO, R2, B2…); default: AWS_ENDPOINT_URL_S3,
                           else AWS_ENDPOINT_URL, else AWS
  --path-style             path-style URLs (URL/BUCKET/KEY), needed by most non-AWS servers
  --folder DIR             a folder inbox (e.g. a folder destination); dot files are ignored
  --identity KEY           the destination's age key file
  --library DIR            the photo library
  --delete                 delete each blob from the inbox once it is in the library
  --retry-failed           try again blobs that failed in an earlier run
  --json                   print the summary as JSON`,
  options: {
    s3: { type: 'string' },
    region: { type: 'string' },
    endpoint: { type: 'string' },
    'path-style': { type: 'boolean' },
    folder: { type: 'string' },
    identity: { type: 'string', short: 'i' },
    library: { type: 'string' },
    delete: { type: 'boolean' },
    'retry-failed': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: [0, 0],
  async run({ values, dataDir, print, note }) {
    const inbox = await makeInbox(values);
    try {
      const libraryDir = requireString(values, 'library');
      const identities = await readKeyFile(requireString(values, 'identity'));
      const ledger = Ledger.open(dataLayout(dataDir).ledger);
      try {
        const collector = new Collector({ ledger, library: new Library(ledger, libraryDir), inbox, workDir: join(dataDir, 'collect-tmp') });
        const summary = await collector.run({
          identities,
          delete: values['delete'] === true,
          retryFailed: values['retry-failed'] === true,
          onEvent: (event) => {
            const line = describeEvent(event);
            if (line !== null) note(line);
          },
        });
        if (values['json']) print(JSON.stringify(summary, null, 2));
        else print(formatSummary(summary));
        return summary.failed > 0 ? 1 : 0;
      } finally {
        ledger.close();
      }
    } finally {
      inbox.close();
    }
  },
};

async function makeInbox(values: CommandContext['values']): Promise<Inbox> {
  const s3 = values['s3'];
  const folder = values['folder'];
  if ((typeof s3 === 'string') === (typeof folder === 'string')) throw new UsageError('Give exactly one inbox: --s3 s3://BUCKET/PREFIX or --folder DIR.');
  if (typeof folder === 'string') {
    for (const name of ['region', 'endpoint', 'path-style']) {
      if (values[name] !== undefined) throw new UsageError(`--${name} goes with --s3, not --folder.`);
    }
    if (folder === '') throw new UsageError('--folder needs a folder.');
    return new FolderInbox(folder);
  }
  // The AWS SDK takes ~0.1 s to load: only an S3 inbox pays for it.
  const [{ parseS3Url }, { S3Inbox }] = await Promise.all([import('../../core/delivery/s3-sdk.js'), import('../../core/collect/s3-inbox.js')]);
  const { bucket, prefix } = parseS3Url(s3 as string);
  const endpoint = stringOption(values['endpoint']) ?? stringOption(process.env['AWS_ENDPOINT_URL_S3']) ?? stringOption(process.env['AWS_ENDPOINT_URL']) ?? null;
  if (endpoint !== null && !/^https?:\/\/[^/?#@\s]+\/?$/.test(endpoint)) {
    throw new UsageError(`The S3 endpoint "${endpoint.slice(0, 200)}" is not a server address: write http(s)://HOST[:PORT].`);
  }
  return new S3Inbox({ kind: 's3', bucket, prefix, region: stringOption(values['region']) ?? '', endpoint, forcePathStyle: values['path-style'] === true });
}

function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** One line per object for people (stderr); null for objects that need no mention. */
function describeEvent(event: CollectEvent): string | null {
  const id = event.blobId === null ? event.key : `${event.blobId.slice(0, 12)}…`;
  switch (event.outcome) {
    case 'opened': {
      const files = event.files ?? [];
      const dups = files.filter((f) => f.duplicate).length;
      const where = files.filter((f) => !f.duplicate).map((f) => f.path);
      let line = `opened ${id}: ${where.length > 0 ? where.join(', ') : 'nothing new'}${dups > 0 ? ` (${dups} already in the library)` : ''}${event.deleted ? '; deleted from the inbox' : ''}`;
      if (event.error) line += `; not deleted: ${event.error.message}`;
      return line;
    }
    case 'deleted':
      return `deleted ${id} from the inbox (collected earlier)`;
    case 'failed':
      return `failed ${event.key}: ${event.error?.message ?? 'unknown error'} (left in the inbox)`;
    case 'error':
      return `error ${event.key}: ${event.error?.message ?? 'unknown error'} (will be tried again)`;
    case 'not-a-blob':
      return `skipped ${event.key}: its name is not a blob ID, so it is not an Inswarm blob`;
  }
}
