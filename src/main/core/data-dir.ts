// Where a device keeps its identity, ledger and blobs. One folder, so a user can back it up, move
// it or delete it, and tests can give every node its own.

import { homedir } from 'node:os';
import { join } from 'node:path';

/** The OS-conventional per-user data folder, unless INSWARM_DATA or --data says otherwise. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['INSWARM_DATA']) return env['INSWARM_DATA'];
  const home = homedir();
  switch (platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Inswarm');
    case 'win32':
      return join(env['LOCALAPPDATA'] ?? join(home, 'AppData', 'Local'), 'Inswarm');
    default:
      return join(env['XDG_DATA_HOME'] || join(home, '.local', 'share'), 'inswarm');
  }
}

/** The fixed layout inside a data folder. */
export function dataLayout(root: string) {
  return {
    root,
    device: join(root, 'device'),
    ledger: join(root, 'ledger.sqlite'),
    blobs: join(root, 'blobs'),
    /** Rendered thumbnails (core/thumbs): a bounded cache, safe to delete at any time. */
    thumbs: join(root, 'thumbs'),
  } as const;
}
