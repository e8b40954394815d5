import { rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MdnsDiscovery } from '../../core/discovery/mdns-discovery.js';
import { parsePeerAddress, type ParsedPeerAddress } from '../../core/discovery/manual-peers.js';
import { InswarmNode } from '../../core/node.js';
import { PROTOCOL_VERSION } from '../../core/protocol/messages.js';
import { UsageError, type Command } from '../command.js';
import { formatStatus } from './status.js';

/**
 * How often the running node purges expired replicas. A ticket may ask for seconds and retention
 * may be a minute, so a minute's slack would double what the donor agreed to; the check is one
 * indexed query (held_by_expiry), so running it every second costs nothing.
 */
const PURGE_INTERVAL_MS = 1_000;
/** How often the running node republishes its live view for `inswarm status`. */
const RUNTIME_INTERVAL_MS = 2_000;
/** The port peers find us on when --listen gives none. */
export const DEFAULT_PORT = 22_100;
/**
 * Tests only: drop a stalled incoming transfer after this many ms instead of the protocol's 60 s,
 * so a test can watch a stalling peer lose its slot without waiting a minute.
 */
export const TEST_STALL_ENV = 'INSWARM_TEST_TRANSFER_STALL_MS';
/** Saved manual peers (from `inswarm peer add`). */
export const MANUAL_PEERS_SETTING = 'manualPeers';

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

Opens the node (creating its identity and ledger on first use), reconciles blob files with the
ledger, listens for peers, finds them with mDNS and the addresses given, holds replicas for them
within the caps ("inswarm caps"), and places replicas of its own blobs. On a home network
("inswarm home add") it delivers its own blobs and the replicas it holds. Runs until SIGINT or
SIGTERM and then stops cleanly.

Options:
  --headless           run without a window (the only mode in this version)
  --listen HOST:PORT   where to accept peer links (default 0.0.0.0:${DEFAULT_PORT}; port 0 picks a free one)
  --peer ADDRESS       a peer to link with, for networks that block multicast; repeatable.
                       ID@HOST:PORT pins its device ID; HOST:PORT learns it on first link
  --no-mdns            do not advertise or browse with mDNS
  --name NAME          the name peers see (default: this computer's name)

Environment (tests only):
  ${TEST_STALL_ENV}=MS   drop an incoming transfer that stalls for MS ms (default 60 s)`,
  options: {
    headless: { type: 'boolean' },
    listen: { type: 'string' },
    peer: { type: 'string', multiple: true },
    'no-mdns': { type: 'boolean' },
    name: { type: 'string' },
  },
  positionals: [0, 0],
  async run({ values, dataDir, print, note }) {
    // Listen for signals before anything else: a Ctrl+C during start-up must still stop cleanly.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const listen: Pick<ParsedPeerAddress, 'host' | 'port' | 'deviceId'> = typeof values['listen'] === 'string' ? parseListenAddress(values['listen']) : { host: '0.0.0.0', port: DEFAULT_PORT, deviceId: null };
    if (listen.deviceId) throw new UsageError('--listen takes HOST:PORT, without a device ID.');
    const peers = ((values['peer'] as string[] | undefined) ?? []).map(parsePeerAddress);
    const name = typeof values['name'] === 'string' ? values['name'].slice(0, 64) : hostname();

    const node = await InswarmNode.open(dataDir, { reconcile: true });
    const report = node.reconciled;
    if (report !== null && report.tempsRemoved + report.lost.length + report.quarantined.length > 0) {
      note(`Reconciled the blob store: ${report.tempsRemoved} temp file(s) removed, ${report.lost.length} missing blob(s) marked lost, ${report.quarantined.length} stray file(s) quarantined.`);
    }
    await node.purgeExpired();
    const stallText = process.env[TEST_STALL_ENV];
    const transferStallMs = stallText === undefined ? undefined : Number(stallText);
    if (transferStallMs !== undefined && !(Number.isSafeInteger(transferStallMs) && transferStallMs > 0)) throw new UsageError(`${TEST_STALL_ENV} must be a whole number of milliseconds above 0.`);
    const bound = await node.startSwarm({ host: listen.host, port: listen.port }, name, transferStallMs === undefined ? {} : { session: { transferStallMs } });
    const swarm = node.swarm!;
    const saved = (node.ledger.getSetting(MANUAL_PEERS_SETTING) as string[] | undefined) ?? [];
    for (const text of saved) {
      try {
        peers.push(parsePeerAddress(text));
      } catch {
        note(`Ignoring the saved peer "${text}": it is not HOST:PORT.`);
      }
    }
    for (const p of peers) swarm.addTarget({ address: { host: p.host, port: p.port }, ...(p.deviceId ? { deviceId: p.deviceId } : {}), source: 'manual' });

    let mdns: MdnsDiscovery | null = null;
    if (!values['no-mdns']) {
      mdns = new MdnsDiscovery({
        deviceId: node.identity.deviceId,
        name,
        port: bound.port,
        freeBytes: () => swarm.lastFreeBytes,
        onPeerSeen: (peer) => swarm.addTarget({ address: { host: peer.address, port: peer.port }, deviceId: peer.deviceId, source: 'mdns' }),
        onPeerLost: (peer) => swarm.removeTarget({ host: peer.address, port: peer.port }),
      });
      try {
        await mdns.start();
      } catch (err) {
        note(`mDNS could not start (${(err as Error).message}): add peers by address with --peer.`);
        mdns = null;
      }
    }

    // Deliver whenever this device is on one of its home networks ("inswarm home add").
    const homeWatch = node.watchHome();
    const startedAt = Date.now();
    const listenText = `${bound.host}:${bound.port}`;
    // Caps may be changed by "inswarm caps set" in another process: apply bandwidth changes here
    // (disk caps are read from the ledger for every offer anyway).
    let appliedCaps = JSON.stringify(node.caps());
    const publish = async () => {
      const caps = node.caps();
      if (JSON.stringify(caps) !== appliedCaps) {
        appliedCaps = JSON.stringify(caps);
        node.applyCaps(caps);
      }
      const warning = mdns === null ? null : mdns.diagnostics().warning;
      const net = homeWatch.state;
      const network = net.fingerprint === null ? null : { ssid: net.fingerprint.ssid, gatewayMac: net.fingerprint.gatewayMac, home: net.home?.label ?? null };
      await node.publishRuntime({ listen: listenText, startedAt, linked: swarm.peers(), seen: (mdns?.peers().length ?? 0) + peers.length, discoveryWarning: warning, network });
    };
    await publish();
    print(formatStatus(await node.status()));
    print(`Listening for peers on ${listenText} (protocol v${PROTOCOL_VERSION}). Press Ctrl+C to stop.`);
    // Periodic upkeep; the timers are also what keeps the process alive between signals.
    let upkeep: Promise<unknown> = Promise.resolve();
    const later = (fn: () => Promise<unknown>) => () => {
      upkeep = upkeep.then(fn).catch((err: unknown) => note(`Upkeep failed: ${(err as Error).message}`));
    };
    const timers = [setInterval(later(() => node.purgeExpired()), PURGE_INTERVAL_MS), setInterval(later(publish), RUNTIME_INTERVAL_MS)];
    const signal = await stopped;
    for (const t of timers) clearInterval(t);
    await upkeep;
    await mdns?.stop();
    await node.close();
    await rm(join(dataDir, 'runtime.json'), { force: true });
    note(`Stopped cleanly (${signal}).`);
  },
};
