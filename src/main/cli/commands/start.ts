import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parsePeerAddress, type ParsedPeerAddress } from '../../core/discovery/manual-peers.js';
import { DEFAULT_PORT, PROTOCOL_VERSION } from '../../core/protocol/messages.js';
import { UsageError, type Command } from '../command.js';
import { formatStatus } from './status.js';

/**
 * Tests only: drop a stalled incoming transfer after this many ms instead of the protocol's 60 s,
 * so a test can watch a stalling peer lose its slot without waiting a minute.
 */
export const TEST_STALL_ENV = 'INSWARM_TEST_TRANSFER_STALL_MS';

/**
 * Where to listen: HOST:PORT or [IPv6]:PORT, where HOST may also be an unspecified address
 * (0.0.0.0, ::) and PORT may be 0 (let the OS pick) — both meaningless for a peer, fine here.
 */
function parseListenAddress(text: string): Pick<ParsedPeerAddress, 'host' | 'port' | 'deviceId'> {
  const m = /^(?:\[([^\]]+)\]|([^:@[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined || port > 65_535 || (isIP(host) === 0 && !/^[a-z0-9.-]{1,253}$/i.test(host))) {
    throw new UsageError(`--listen "${text}" is not HOST:PORT (e.g. 0.0.0.0:${DEFAULT_PORT}, 127.0.0.1:0 or [::]:${DEFAULT_PORT}).`);
  }
  return { host, port, deviceId: null };
}

export const start: Command = {
  name: 'start',
  summary: 'run this node until interrupted',
  help: `Usage: inswarm start [--headless] [--listen HOST:PORT] [--peer [ID@]HOST:PORT]… [--no-mdns] [--name NAME]
                     [--ui-port PORT] [--no-ui]

Opens the node (creating its identity and ledger on first use), reconciles blob files with the
ledger, listens for peers, finds them with mDNS and the addresses given, holds replicas for them
within the caps ("inswarm caps"), and places replicas of its own blobs. On a home network
("inswarm home add") it delivers its own blobs and the replicas it holds. Serves the app's window
as a web page on 127.0.0.1 and prints its address (it carries a one-time token). Runs until SIGINT
or SIGTERM and then stops cleanly.

Options:
  --headless           run without a window: the app is the printed web address (what this command does)
  --listen HOST:PORT   where to accept peer links (default 0.0.0.0:${DEFAULT_PORT}; port 0 picks a free one)
  --peer ADDRESS       a peer to link with, for networks that block multicast; repeatable.
                       ID@HOST:PORT pins its device ID; HOST:PORT learns it on first link
  --no-mdns            do not advertise or browse with mDNS
  --name NAME          the name peers see (default: this computer's name)
  --ui-port PORT       the web UI's port on 127.0.0.1 (default: a free one)
  --no-ui              do not serve the web UI

Environment (tests only):
  ${TEST_STALL_ENV}=MS   drop an incoming transfer that stalls for MS ms (default 60 s)`,
  options: {
    headless: { type: 'boolean' },
    listen: { type: 'string' },
    peer: { type: 'string', multiple: true },
    'no-mdns': { type: 'boolean' },
    name: { type: 'string' },
    'ui-port': { type: 'string' },
    'no-ui': { type: 'boolean' },
  },
  positionals: [0, 0],
  async run({ values, dataDir, print, note }) {
    // Listen for signals before anything else: a Ctrl+C during start-up must still stop cleanly.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const listen = typeof values['listen'] === 'string' ? parseListenAddress(values['listen']) : { host: '0.0.0.0', port: DEFAULT_PORT, deviceId: null };
    const peers = ((values['peer'] as string[] | undefined) ?? []).map(parsePeerAddress);
    const name = typeof values['name'] === 'string' ? values['name'] : hostname();
    const uiPort = typeof values['ui-port'] === 'string' ? Number(values['ui-port']) : 0;
    if (!Number.isInteger(uiPort) || uiPort < 0 || uiPort > 65_535) throw new UsageError(`--ui-port "${String(values['ui-port'])}" is not a port (0 to 65535).`);
    const stallText = process.env[TEST_STALL_ENV];
    const transferStallMs = stallText === undefined ? undefined : Number(stallText);
    if (transferStallMs !== undefined && !(Number.isSafeInteger(transferStallMs) && transferStallMs > 0)) throw new UsageError(`${TEST_STALL_ENV} must be a whole number of milliseconds above 0.`);

    const { InswarmService } = await import('../../service.js');
    const service = await InswarmService.start({
      dataDir,
      listen: { host: listen.host, port: listen.port },
      peers,
      mdns: !values['no-mdns'],
      name,
      ui: values['no-ui'] ? false : { port: uiPort },
      note,
      ...(transferStallMs === undefined ? {} : { session: { transferStallMs } }),
    });
    print(formatStatus(await service.node.status()));
    print(`Listening for peers on ${service.listen.host}:${service.listen.port} (protocol v${PROTOCOL_VERSION}). Press Ctrl+C to stop.`);
    if (service.uiUrl !== null) print(`Open the app: ${service.uiUrl}`);
    const signal = await stopped;
    await service.stop();
    note(`Stopped cleanly (${signal}).`);
  },
};
