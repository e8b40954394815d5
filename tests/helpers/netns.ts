// Several "laptops" on one switch, with real multicast, on one machine: a switch network namespace
// holding a bridge, and one namespace per host joined to it by a veth pair (see
// /work/shared/recipes). Needs root and iproute2; avahi helpers also need avahi-daemon,
// avahi-utils and dbus. Every namespace name carries this process's PID, so concurrent runs never
// collide; destroy() (and, as a last resort, process exit) kills what we started and deletes every
// namespace we made. Addresses are only 127.0.0.0/8 and the 10.77.x.y given by the caller; IPv6 is
// switched off inside the namespaces so no other address appears.

import { spawn as spawnChild, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type RunResult } from './run.js';

export interface LanHost {
  /** 1-based position on the switch. */
  readonly index: number;
  /** Network namespace name (for `ip netns exec`). */
  readonly ns: string;
  /** The host's IPv4 address, `<prefix>.<10 + index>`. */
  readonly address: string;
  /** The host's interface on the LAN. */
  readonly iface: 'veth0';
  /** The matching port on the switch's bridge (in the switch namespace). */
  readonly switchPort: string;
}

export interface LanOptions {
  readonly hosts: number;
  /** `10.77.N`: hosts get `10.77.N.11`, `.12`, … */
  readonly prefix: string;
  /** Add `224.0.0.0/4 dev veth0` in each host (default true). Without it, mDNS sends fail with ENETUNREACH. */
  readonly multicastRoute?: boolean;
  /** Bridge ports may not talk to each other, like Wi-Fi with client isolation (default false). */
  readonly isolateClients?: boolean;
}

export interface AvahiRecord {
  readonly iface: string;
  readonly protocol: string;
  /** Instance name, unescaped. */
  readonly name: string;
  readonly type: string;
  readonly domain: string;
  readonly hostName: string;
  readonly address: string;
  readonly port: number;
  readonly txt: Readonly<Record<string, string>>;
}

export interface Avahi {
  readonly host: LanHost;
  /** DBUS_SYSTEM_BUS_ADDRESS of the private bus avahi-daemon sits on. */
  readonly bus: string;
}

const MAX_HOSTS = 200;
/** How long a started process gets after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2_000;

let lanCounter = 0;
const liveLans = new Set<Lan>();

/** One switch and its hosts. Build with createLan(); always destroy(). */
export class Lan {
  readonly hosts: LanHost[] = [];
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly avahis = new Map<string, Avahi>();
  private readonly tempDirs: string[] = [];
  private destroyed: Promise<void> | null = null;

  private constructor(
    readonly name: string,
    readonly switchNs: string,
  ) {}

  /** Builds the switch and `hosts` hosts. On any failure, everything made so far is removed. */
  static async create(options: LanOptions): Promise<Lan> {
    const { hosts, prefix } = options;
    if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) throw new Error(`createLan: hosts must be 1–${MAX_HOSTS}`);
    // Only the 10.77.x.y range is ours to use inside test namespaces.
    const m = /^10\.77\.(\d{1,3})$/.exec(prefix);
    if (m === null || Number(m[1]) > 255) throw new Error(`createLan: prefix must be 10.77.N (0–255), not ${prefix}`);
    const name = `isw${process.pid}l${++lanCounter}`;
    const lan = new Lan(name, `${name}-sw`);
    liveLans.add(lan);
    try {
      await lan.addNamespace(lan.switchNs);
      await ip(['-n', lan.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
      // IGMP snooping would make the bridge drop multicast to ports that never sent a report.
      await ip(['-n', lan.switchNs, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
      await ip(['-n', lan.switchNs, 'link', 'set', 'br0', 'up']);
      for (let index = 1; index <= hosts; index++) {
        const host: LanHost = { index, ns: `${name}-h${index}`, address: `${prefix}.${10 + index}`, iface: 'veth0', switchPort: `sw-h${index}` };
        await lan.addNamespace(host.ns);
        await ip(['-n', lan.switchNs, 'link', 'add', host.switchPort, 'type', 'veth', 'peer', 'name', host.iface, 'netns', host.ns]);
        await ip(['-n', lan.switchNs, 'link', 'set', host.switchPort, 'master', 'br0']);
        if (options.isolateClients) await ip(['-n', lan.switchNs, 'link', 'set', 'dev', host.switchPort, 'type', 'bridge_slave', 'isolated', 'on']);
        await ip(['-n', lan.switchNs, 'link', 'set', host.switchPort, 'up']);
        await disableIpv6(host.ns, host.iface);
        await ip(['-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', host.iface]);
        await ip(['-n', host.ns, 'link', 'set', host.iface, 'up']);
        if (options.multicastRoute !== false) await ip(['-n', host.ns, 'route', 'add', '224.0.0.0/4', 'dev', host.iface]);
        lan.hosts.push(host);
      }
      return lan;
    } catch (err) {
      await lan.destroy();
      throw err;
    }
  }

  /** Host by 1-based index. */
  host(index: number): LanHost {
    const host = this.hosts[index - 1];
    if (host === undefined) throw new Error(`${this.name} has no host ${index}`);
    return host;
  }

  /** Runs `cmd args…` inside the host's namespace and waits for it. */
  run(host: LanHost | string, cmd: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', nsOf(host), cmd, ...args], options);
  }

  /**
   * Starts `cmd args…` inside the host's namespace (`ip netns exec` execs, so the child's PID is
   * the command's). The process is killed by destroy() if still running.
   */
  spawn(host: LanHost | string, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    if (this.destroyed !== null) throw new Error(`${this.name} is destroyed`);
    const child = spawnChild('ip', ['netns', 'exec', nsOf(host), cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  /** Stops a process this LAN started: SIGTERM (or `signal`), then SIGKILL after a grace period. */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.children.has(child) || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid, signal);
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Starts avahi-daemon in the host, on a private D-Bus system bus, with a private tmpfs on /run
   * (only in avahi's own mount namespace, which `ip netns exec` creates) so it never meets the
   * machine's own avahi or another test's. Resolves once avahi reports startup complete.
   */
  async startAvahi(host: LanHost, options: { timeoutMs?: number } = {}): Promise<Avahi> {
    const known = this.avahis.get(host.ns);
    if (known !== undefined) return known;
    const dir = await mkdtemp(join(tmpdir(), `${this.name}-avahi-`));
    this.tempDirs.push(dir);
    const sock = join(dir, 'dbus.sock');
    const bus = `unix:path=${sock}`;
    const conf = join(dir, 'avahi-daemon.conf');
    await writeFile(
      conf,
      [
        '[server]',
        `host-name=avahi-${this.name}-h${host.index}`,
        'use-ipv4=yes',
        'use-ipv6=no',
        `allow-interfaces=${host.iface}`,
        'enable-dbus=yes',
        '[wide-area]',
        'enable-wide-area=no',
        '[publish]',
        'publish-hinfo=no',
        'publish-workstation=no',
        '',
      ].join('\n'),
    );
    const dbus = this.spawn(host, 'dbus-daemon', ['--config-file=/usr/share/dbus-1/system.conf', `--address=${bus}`, '--nopidfile', '--nofork'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(sock)) {
      if (dbus.exitCode !== null || Date.now() > deadline) throw new Error(`dbus-daemon did not start in ${host.ns}`);
      await sleep(50);
    }
    const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus };
    const avahi = this.spawn(host, 'sh', ['-c', `mount -t tmpfs ${this.name}-run /run && exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-rlimits --no-proc-title`, 'sh', conf], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`avahi-daemon did not start in ${host.ns} within ${timeoutMs} ms:\n${log}`)), Math.max(0, deadline - Date.now()));
      avahi.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server startup complete')) {
          clearTimeout(timer);
          resolve();
        }
      });
      avahi.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`avahi-daemon exited (${code}) in ${host.ns}:\n${log}`));
      });
    });
    const started: Avahi = { host, bus };
    this.avahis.set(host.ns, started);
    return started;
  }

  /**
   * Asks the host's avahi for every resolved `type` service (`avahi-browse -rpt`): what an
   * independent mDNS implementation sees. Needs startAvahi(host) first.
   */
  async avahiBrowse(host: LanHost, type: string, options: { timeoutMs?: number } = {}): Promise<AvahiRecord[]> {
    const avahi = this.avahis.get(host.ns);
    if (avahi === undefined) throw new Error(`avahiBrowse: start avahi in ${host.ns} first`);
    const child = this.spawn(host, 'avahi-browse', ['-rpt', type], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: avahi.bus }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => void this.kill(child), options.timeoutMs ?? 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`avahi-browse failed (${code}): ${err}`);
    return parseAvahiBrowse(out);
  }

  /** Limits the host's link to `rate` (tc syntax, e.g. "20mbit") in both directions: tbf on both ends of its veth pair. */
  async shape(host: LanHost, rate: string): Promise<void> {
    const tbf = ['root', 'tbf', 'rate', rate, 'burst', '32kbit', 'latency', '400ms'];
    await ip(['netns', 'exec', host.ns, 'tc', 'qdisc', 'replace', 'dev', host.iface, ...tbf]);
    await ip(['netns', 'exec', this.switchNs, 'tc', 'qdisc', 'replace', 'dev', host.switchPort, ...tbf]);
  }

  /** Kills every process still running, then deletes every namespace. Idempotent; never throws. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      await Promise.all([...this.children].map((child) => this.kill(child).catch(() => undefined)));
      for (const ns of [...this.namespaces].reverse()) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      this.namespaces.length = 0;
      await Promise.all(this.tempDirs.map((d) => rm(d, { recursive: true, force: true })));
      liveLans.delete(this);
    })();
    return this.destroyed;
  }

  /** Synchronous last resort at process exit: SIGKILL by PID, delete namespaces. */
  destroySync(): void {
    for (const child of this.children) {
      try {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    this.namespaces.length = 0;
    liveLans.delete(this);
  }

  private async addNamespace(ns: string): Promise<void> {
    await ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    await disableIpv6(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }
}

/** Builds a LAN; see Lan.create. */
export function createLan(options: LanOptions): Promise<Lan> {
  return Lan.create(options);
}

let probe: Promise<string | null> | null = null;

/** Why network namespaces cannot be used here, or null when they can (root, `ip netns`, bridge and veth all work). */
export function netnsProblem(): Promise<string | null> {
  probe ??= (async () => {
    if (process.getuid?.() !== 0) return 'not running as root';
    const ns = `isw${process.pid}probe`;
    try {
      const added = await run('ip', ['netns', 'add', ns]).catch((err: Error) => ({ code: -1, stderr: err.message }) as RunResult);
      if (added.code !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
      const bridge = await run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
      if (bridge.code !== 0) return `cannot create a bridge: ${bridge.stderr.trim()}`;
      const veth = await run('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
      if (veth.code !== 0) return `cannot create a veth pair: ${veth.stderr.trim()}`;
      return null;
    } finally {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
  })();
  return probe;
}

/** True when LAN tests can run here (root, `ip netns`, bridges, veth pairs). */
export async function canUseNetns(): Promise<boolean> {
  return (await netnsProblem()) === null;
}

/** Why avahi-based checks cannot run here, or null. */
export async function avahiProblem(): Promise<string | null> {
  for (const tool of ['avahi-daemon', 'avahi-browse', 'dbus-daemon']) {
    const found = await run('sh', ['-c', `command -v ${tool}`]);
    if (found.code !== 0) return `${tool} is not installed (apt-get install avahi-daemon avahi-utils dbus)`;
  }
  if (!existsSync('/usr/share/dbus-1/system.conf')) return 'the D-Bus system bus configuration is missing (apt-get install dbus)';
  return null;
}

/** Prints, loudly, that a LAN test did not run, so a skip is never mistaken for a pass. */
export function warnLanNotRun(what: string, why: string): void {
  const bar = '*'.repeat(78);
  console.warn(`\n${bar}\n*** NOT RUN: ${what}\n*** because ${why}.\n*** LAN tests need root, iproute2 (ip netns), avahi-daemon, avahi-utils and dbus.\n${bar}\n`);
}

/**
 * Parses `avahi-browse -p` resolved lines:
 * `=;iface;proto;name;type;domain;host;address;port;"k=v" "k=v"`. avahi escapes `\`, `.` and
 * non-printable bytes in names as `\\`, `\.` and `\DDD` (decimal).
 */
export function parseAvahiBrowse(output: string): AvahiRecord[] {
  const records: AvahiRecord[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('=;')) continue;
    const f = line.split(';');
    if (f.length < 10) continue;
    const txt: Record<string, string> = {};
    for (const m of f.slice(9).join(';').matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      const item = unescapeAvahi(m[1]!);
      const eq = item.indexOf('=');
      const key = eq === -1 ? item : item.slice(0, eq);
      if (!(key in txt)) txt[key] = eq === -1 ? '' : item.slice(eq + 1);
    }
    records.push({ iface: f[1]!, protocol: f[2]!, name: unescapeAvahi(f[3]!), type: f[4]!, domain: f[5]!, hostName: f[6]!, address: f[7]!, port: Number(f[8]), txt });
  }
  return records;
}

function unescapeAvahi(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && /^\d{3}$/.test(text.slice(i + 1, i + 4))) {
      bytes.push(Number(text.slice(i + 1, i + 4)));
      i += 3;
    } else if (ch === '\\' && i + 1 < text.length) {
      bytes.push(...Buffer.from(text[++i]!));
    } else {
      bytes.push(...Buffer.from(ch));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

async function ip(args: readonly string[]): Promise<void> {
  const result = await run('ip', args);
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
}

/** IPv6 off in the namespace (and on `iface`, which may arrive from another namespace with its own setting): no fe80:: or ::1 addresses. */
async function disableIpv6(ns: string, iface?: string): Promise<void> {
  const confs = iface === undefined ? ['all', 'default'] : [iface];
  const script = confs.map((c) => `f=/proc/sys/net/ipv6/conf/${c}/disable_ipv6; [ ! -e $f ] || echo 1 > $f`).join('; ');
  const result = await run('ip', ['netns', 'exec', ns, 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`disabling IPv6 in ${ns} failed: ${result.stderr.trim()}`);
}

function nsOf(host: LanHost | string): string {
  return typeof host === 'string' ? host : host.ns;
}

// Last resort: a test runner that exits (or is interrupted) without calling destroy() still
// removes our namespaces and kills our processes, by PID.
function destroyAllSync(): void {
  for (const lan of [...liveLans]) lan.destroySync();
}
process.once('exit', destroyAllSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    destroyAllSync();
    // Keep the default outcome (exit by that signal) unless someone else handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}
