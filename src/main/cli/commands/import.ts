import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatBytes } from '../../../shared/format.js';
import { stageCamera } from '../../core/intake/camera-staging.js';
import { IntakeStore } from '../../core/intake/intake-store.js';
import { Importer, type ImportSourceRef, type ImportSummary } from '../../core/intake/importer.js';
import type { ImportProgress } from '../../core/intake/progress.js';
import { LIBRARY_SETTING, libraryPath, resolveSource, sourceRoots } from '../../core/intake/resolve.js';
import { listSources, toolHints } from '../../core/intake/sources.js';
import { UsageError, type Command, type CommandContext, openNode } from '../command.js';

export { LIBRARY_SETTING };
/** Progress lines for people, at most this often (a pipe or log gets one line per interval). */
const PROGRESS_PRINT_MS = 1_000;

export const importCommand: Command = {
  name: 'import',
  summary: 'import photos and videos from a phone, camera or card into the library and the backup',
  help: `Usage: inswarm import --list [--json]
       inswarm import SOURCE [--new | --all] [--library DIR] [--json]

Copies the photos and videos of SOURCE (a mounted phone, camera or card: its folder, or an ID
from "inswarm import --list") into the photo library as YYYY/MM/DD/<name> by capture date (EXIF,
else the file's modification time), verifies every copy by its SHA-256, skips anything imported
before (by content), and seals each item (a Live Photo pair as one blob) to the default
destination into the outbox, where a running "inswarm start" places it on the swarm.
Interrupted imports (unplugged, crashed) continue where they stopped when run again.

Sources are mounted volumes with a DCIM folder (/media/$USER, /run/media/$USER, /Volumes, drive
letters), Android phones mounted over MTP by gvfs, and PTP cameras and phones through gphoto2.

Options:
  --list          list the sources found, with photo and video counts and how many are new
  --new           only files not imported from this source before (the default)
  --all           look at every file again (still imports no content twice)
  --library DIR   the photo library; remembered for later imports
                  (default: the saved one, else the "Photos" folder in the data folder)
  --json          print JSON instead of text`,
  options: { list: { type: 'boolean' }, new: { type: 'boolean' }, all: { type: 'boolean' }, library: { type: 'string' }, json: { type: 'boolean' } },
  positionals: [0, 1],
  async run(ctx) {
    const { values, positionals } = ctx;
    if (values['new'] === true && values['all'] === true) throw new UsageError('--new and --all exclude each other: choose one.');
    if (values['list'] === true) {
      if (positionals.length > 0) throw new UsageError('--list takes no SOURCE.');
      return list(ctx);
    }
    if (positionals.length === 0) throw new UsageError('Name a SOURCE to import from (a folder, or an ID from "inswarm import --list").');
    return importFrom(ctx, positionals[0]!);
  },
};

async function list({ values, dataDir, print, note }: CommandContext): Promise<void> {
  const node = await openNode(dataDir);
  try {
    const sources = await listSources({ roots: sourceRoots(), ledger: node.ledger });
    const tools = await toolHints();
    if (values['json'] === true) {
      print(JSON.stringify({ sources, tools }));
      return;
    }
    if (sources.length === 0) note('No phone, camera or card with photos is connected (looked for a DCIM folder on mounted volumes).');
    for (const s of sources) {
      const counts = s.kind === 'ptp' ? 'PTP camera (counted when imported)' : `${s.photos} photos, ${s.videos} videos, ${s.newFiles} new (${formatBytes(s.newBytes)})`;
      print(`${s.id}\t${s.name}\t${counts}\t${s.root ?? s.camera?.port ?? ''}`);
    }
    for (const t of tools) if (!t.installed) note(t.hint);
  } finally {
    await node.close();
  }
}

async function importFrom({ values, dataDir, print, note }: CommandContext, sourceArg: string): Promise<number> {
  const node = await openNode(dataDir);
  try {
    const library = typeof values['library'] === 'string' ? resolve(values['library']) : libraryPath(node.ledger, dataDir);
    if (typeof values['library'] === 'string') node.ledger.setSetting(LIBRARY_SETTING, library);
    const importer = new Importer({
      ledger: node.ledger,
      library,
      seal: (groups) => node.addFiles(groups),
      hasDestination: () => node.destinations.getDefault() !== undefined,
    });
    const json = values['json'] === true;
    const mode = values['all'] === true ? 'all' : 'new';
    const resolved = await resolveSource(sourceArg, { roots: sourceRoots() });
    let ref = resolved.ref;
    if (resolved.ptp !== undefined) {
      note(`Listing ${ref.name} with gphoto2…`);
      const name = ref.name;
      ({ ref } = await stageCamera(resolved.ptp, ref, library, mode, new IntakeStore(node.ledger).knownSizes(ref.id), {
        onPlan: (files, bytes) => note(files === 0 ? `Nothing new on ${name}.` : `Downloading ${files} ${mode === 'new' ? 'new ' : ''}photos and videos (about ${formatBytes(bytes)}) from ${name}…`),
      }));
    }
    let lastPrint = 0;
    const onProgress = (p: ImportProgress): void => {
      const t = Date.now();
      if (p.phase === 'scanning' || p.phase === 'done') return;
      if (t - lastPrint < PROGRESS_PRINT_MS && p.filesDone < p.filesTotal) return;
      lastPrint = t;
      note(progressLine(p));
    };
    const summary = await importer.run(ref, { mode, onProgress });
    if (ref.download === true && summary.stopped === null) await rm(ref.root, { recursive: true, force: true });
    if (json) print(JSON.stringify(summary));
    else for (const line of summaryLines(summary, ref)) print(line);
    for (const p of summary.problems) note(`unreadable: ${p.path}: ${p.reason}`);
    if (summary.waitingForDestination) note('No destination is set yet: the files are in the library, and sealing them into the backup waits until you set one ("inswarm dest import LINK"); the next "inswarm import" seals them.');
    if (summary.stopped !== null) {
      note(`inswarm: ${summary.stopped}.`);
      return 1;
    }
    return 0;
  } finally {
    await node.close();
  }
}

export function progressLine(p: ImportProgress): string {
  const eta = p.etaSeconds === null ? '' : `, about ${formatEta(p.etaSeconds)} left`;
  const bytes = p.bytesTotal > 0 ? ` ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)},` : '';
  return `${p.phase}: ${p.filesDone} of ${p.filesTotal} files,${bytes} ${p.filesPerSec} files/s, ${formatBytes(p.bytesPerSec)}/s${eta}`;
}

function formatEta(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function summaryLines(s: ImportSummary, source: ImportSourceRef): string[] {
  const lines = [
    `${s.imported} new, ${s.alreadyImported + s.skippedKnown} already imported, ${s.unreadable} unreadable (${formatBytes(s.importedBytes)} from ${source.name} into ${s.library})`,
  ];
  if (s.sealedBlobs > 0 || s.sealPending > 0) lines.push(`${s.sealedBlobs} sealed into the outbox${s.sealPending > 0 ? `, ${s.sealPending} waiting to be sealed` : ''}`);
  return lines;
}
