// The app's own command-line options (`npm start -- --data DIR …`, the demo opening one node's
// window), read leniently: Electron and Chromium add switches of their own (--no-sandbox,
// --original-process-start-time…), which are not ours to refuse. The same names as `inswarm start`.

import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePeerAddress, type ParsedPeerAddress } from '../core/discovery/manual-peers.js';
import { InswarmError } from '../core/errors.js';

export interface ShellArgs {
  /** --data: the node's folder; null for the default (see dataDirFor). */
  readonly dataDir: string | null;
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  readonly peers: readonly ParsedPeerAddress[];
  readonly mdns: boolean;
  readonly name: string | undefined;
}

/** The node's folder inside Electron's userData (which also holds Chromium's caches and storage). */
export const NODE_DIR_IN_USER_DATA = 'node';

/** Reads the options after the app path; unknown options and positionals are ignored. */
export function parseShellArgs(argv: readonly string[]): ShellArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      listen: { type: 'string' },
      peer: { type: 'string', multiple: true },
      'no-mdns': { type: 'boolean' },
      name: { type: 'string' },
    },
    allowPositionals: true,
    strict: false,
  });
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const listenText = text(values['listen']);
  const peers = Array.isArray(values['peer']) ? values['peer'].filter((p): p is string => typeof p === 'string') : [];
  return {
    dataDir: text(values['data']) ?? null,
    listen: listenText === undefined ? undefined : parseListen(listenText),
    peers: peers.map((p) => parsePeerAddress(p)),
    mdns: values['no-mdns'] !== true,
    name: text(values['name'])?.slice(0, 64),
  };
}

/** --data, else INSWARM_DATA (as the CLI reads it), else a folder in Electron's userData. */
export function dataDirFor(args: ShellArgs, env: NodeJS.ProcessEnv, userData: string): string {
  return args.dataDir ?? (env['INSWARM_DATA'] || join(userData, NODE_DIR_IN_USER_DATA));
}

/** HOST:PORT or [IPv6]:PORT where HOST may be unspecified (0.0.0.0, ::) and PORT 0 (any free). */
function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:@[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined || port > 65_535 || (isIP(host) === 0 && !/^[a-z0-9.-]{1,253}$/i.test(host))) {
    throw new InswarmError('E_USAGE', `--listen "${text.slice(0, 80)}" is not HOST:PORT (e.g. 0.0.0.0:22100 or 127.0.0.1:0).`);
  }
  return { host, port };
}
