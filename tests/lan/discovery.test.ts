// mDNS discovery between real processes on a real (virtual) LAN: network namespaces joined by a
// bridge, real multicast, the compiled module (dist/, built by `npm test`) in each "laptop", and
// avahi as an independent mDNS implementation checking what we advertise. Needs root, iproute2,
// avahi-daemon, avahi-utils and dbus; without them it says so loudly and is reported as skipped
// (set INSWARM_REQUIRE_LAN=1, as CI does, to make that a failure instead).

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatDeviceId } from '../../src/main/core/identity/device-id.js';
import { avahiProblem, createLan, netnsProblem, warnLanNotRun, type Lan, type LanHost } from '../helpers/netns.js';

const SCRIPT = fileURLToPath(new URL('./mdns-node.mjs', import.meta.url));
const COMPILED = fileURLToPath(new URL('../../dist/main/core/discovery/mdns-discovery.js', import.meta.url));
const GIB = 1024 ** 3;
/** Short timings so the whole file runs in well under a minute; the defaults are 20 s / 75 s. */
const REQUERY_MS = 1_000;
const TTL_MS = 3_000;
const FAST = { requeryIntervalMs: REQUERY_MS, peerTtlMs: TTL_MS, reannounceMinIntervalMs: 300 };
/** Generous bounds for a loaded 2-core CI machine; typical times are printed. */
const SEE_ALL_WITHIN_MS = 10_000;
const AVAHI_WITHIN_MS = 15_000;

const problem = (await netnsProblem()) ?? (await avahiProblem());
const required = process.env['INSWARM_REQUIRE_LAN'] === '1';
if (problem !== null) warnLanNotRun('tests/lan/discovery.test.ts (mDNS across network namespaces)', problem);

if (problem !== null && required) {
  test('LAN tests can run here (INSWARM_REQUIRE_LAN=1)', () => {
    throw new Error(`LAN tests are required but cannot run: ${problem}`);
  });
}

interface NodeEvent {
  readonly t: number;
  readonly type: string;
  readonly [key: string]: unknown;
}

interface PeerJson {
  deviceId: string;
  name: string;
  host: string;
  port: number;
  address: string;
  addresses: string[];
  freeGiB: number;
  lastSeen: number;
}

interface DiagJson {
  heardAnything: boolean;
  sendErrors: number;
  sendErrorsByCode: Record<string, number>;
  lastSendError: { code: string } | null;
  packetsHeard: number;
  problem: string | null;
  warning: string | null;
  peers: number;
}

/** One device's discovery process and everything it printed. */
class Device {
  readonly events: NodeEvent[] = [];
  private readonly waiters = new Set<() => void>();
  stderr = '';
  readonly child: ChildProcess;

  constructor(
    readonly lan: Lan,
    readonly host: LanHost,
    readonly label: string,
    readonly deviceId: string,
    readonly port: number,
    readonly freeBytes: number,
    init: Record<string, unknown>,
  ) {
    const config = { deviceId, name: label, port, freeBytes, init };
    this.child = lan.spawn(host, process.execPath, [SCRIPT, JSON.stringify(config)]);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as NodeEvent);
      for (const wake of this.waiters) wake();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.once('exit', () => {
      for (const wake of this.waiters) wake();
    });
  }

  /** Resolves with the first event (from `from` on) that matches; rejects after `timeoutMs`. */
  waitFor(what: string, match: (e: NodeEvent) => boolean, timeoutMs: number, from = 0): Promise<NodeEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.slice(from).find(match);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(-20))}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = (): void => void check();
      if (!check()) this.waiters.add(wake);
    });
  }

  /** The device's own view right now: diagnostics and peer table. */
  async diag(): Promise<{ diag: DiagJson; heardAnything: boolean; peers: PeerJson[] }> {
    const from = this.events.length;
    this.child.stdin!.write('diag\n');
    const e = await this.waitFor('diag', (ev) => ev.type === 'diag', 5_000, from);
    return e as unknown as { diag: DiagJson; heardAnything: boolean; peers: PeerJson[] };
  }

  /** Peers currently known according to the events (seen and not lost since). */
  seenNow(): Map<string, PeerJson> {
    const table = new Map<string, PeerJson>();
    for (const e of this.events) {
      const peer = e['peer'] as PeerJson | undefined;
      if (e.type === 'peer:seen') table.set(peer!.deviceId, peer!);
      if (e.type === 'peer:lost') table.delete(peer!.deviceId);
    }
    return table;
  }

  send(command: string): void {
    this.child.stdin!.write(`${command}\n`);
  }
}

describe.skipIf(problem !== null)('mDNS discovery across network namespaces', () => {
  let venue: Lan; // four devices and an avahi observer on one switch
  let noRoute: Lan; // one device whose host has no multicast route
  let isolated: Lan; // two devices behind a switch with client isolation
  let devices: Device[] = [];
  let lonely: Device;
  let isolatedPair: Device[] = [];
  let observer: LanHost;
  let spawnedAt = 0;
  let lastStartedAt = 0;
  const started: Lan[] = [];

  beforeAll(async () => {
    if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run "npm run build" (npm test does) before the LAN tests.`);
    [venue, noRoute, isolated] = await Promise.all([
      createLan({ hosts: 5, prefix: '10.77.21' }).then((l) => (started.push(l), l)),
      createLan({ hosts: 1, prefix: '10.77.22', multicastRoute: false }).then((l) => (started.push(l), l)),
      createLan({ hosts: 2, prefix: '10.77.23', isolateClients: true }).then((l) => (started.push(l), l)),
    ]);
    observer = venue.host(5);
    await venue.startAvahi(observer);
    // Different free space each, so a TXT mixed up between devices would show.
    const frees = [3 * GIB, 9 * GIB, GIB / 2, 70 * GIB];
    spawnedAt = Date.now();
    devices = [1, 2, 3, 4].map((i) => {
      const host = venue.host(i);
      return new Device(venue, host, `Laptop ${i}`, formatDeviceId(randomBytes(32)), 40_000 + i, frees[i - 1]!, { ...FAST, interfaceAddress: host.address });
    });
    // Default mode (no interface given): sends are routed by the OS, as on a laptop, so the missing route shows.
    lonely = new Device(noRoute, noRoute.host(1), 'No route', formatDeviceId(randomBytes(32)), 40_100, 8 * GIB, FAST);
    isolatedPair = [1, 2].map((i) => new Device(isolated, isolated.host(i), `Isolated ${i}`, formatDeviceId(randomBytes(32)), 40_200 + i, 8 * GIB, { ...FAST, interfaceAddress: isolated.host(i).address }));
    const all = [...devices, lonely, ...isolatedPair];
    await Promise.all(all.map((d) => d.waitFor('start', (e) => e.type === 'started', 10_000)));
    lastStartedAt = Math.max(...all.map((d) => d.events.find((e) => e.type === 'started')!.t));
  });

  afterAll(async () => {
    await Promise.all(started.map((lan) => lan.destroy()));
  });

  test('every device sees the three others with the right address, port, name and TXT', async () => {
    const seenAt = await Promise.all(
      devices.map(async (d) => {
        const others = devices.filter((o) => o !== d);
        const e = await d.waitFor('all three others', () => others.every((o) => d.seenNow().has(o.deviceId)), SEE_ALL_WITHIN_MS);
        return e.t;
      }),
    );
    console.log(`all 4 devices saw each other ${Math.max(...seenAt) - spawnedAt} ms after being spawned (the last start() resolved after ${lastStartedAt - spawnedAt} ms)`);

    for (const d of devices) {
      const { peers, diag, heardAnything } = await d.diag();
      const expected = devices
        .filter((o) => o !== d)
        .map((o) => ({
          deviceId: o.deviceId,
          name: `${o.label} (${o.deviceId.slice(0, 7)})`,
          host: `${o.deviceId.toLowerCase()}.local`,
          port: o.port,
          address: o.host.address,
          addresses: [o.host.address],
          freeGiB: { 1: 2, 2: 8, 3: 0, 4: 64 }[o.host.index],
        }))
        .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
      const actual = peers
        .map((p) => ({ deviceId: p.deviceId, name: p.name, host: p.host, port: p.port, address: p.address, addresses: p.addresses, freeGiB: p.freeGiB }))
        .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
      expect(actual, `${d.label}'s peer table`).toEqual(expected);
      expect(heardAnything).toBe(true);
      expect(diag).toMatchObject({ sendErrors: 0, problem: null, warning: null });
    }
  });

  test('avahi, an independent mDNS client, resolves all four with their own host names, addresses and TXT', async () => {
    const t0 = Date.now();
    let records = await venue.avahiBrowse(observer, '_inswarm._tcp');
    while (records.length < devices.length && Date.now() - t0 < AVAHI_WITHIN_MS) {
      await new Promise((r) => setTimeout(r, 500));
      records = await venue.avahiBrowse(observer, '_inswarm._tcp');
    }
    console.log(`avahi-browse resolved ${records.length} devices in ${Date.now() - t0} ms`);
    const byId = new Map(records.map((r) => [r.txt['id'], r]));
    expect(records).toHaveLength(devices.length);
    for (const d of devices) {
      const r = byId.get(d.deviceId);
      expect(r, `avahi record for ${d.label}`).toBeDefined();
      expect(r).toMatchObject({
        iface: 'veth0',
        protocol: 'IPv4',
        name: `${d.label} (${d.deviceId.slice(0, 7)})`,
        type: '_inswarm._tcp',
        domain: 'local',
        hostName: `${d.deviceId.toLowerCase()}.local`,
        address: d.host.address,
        port: d.port,
      });
      expect(r!.txt).toEqual({ id: d.deviceId, v: '1', free: String({ 1: 2, 2: 8, 3: 0, 4: 64 }[d.host.index]) });
    }
  });

  test('a change of free-space bucket is re-announced without the device ever looking lost', async () => {
    const [changer, ...watchers] = devices as [Device, ...Device[]];
    const marks = watchers.map((w) => w.events.length);
    changer.send(`free ${100 * GIB}`); // 2 GiB bucket → 64 GiB bucket
    await Promise.all(
      watchers.map((w, i) =>
        w.waitFor('the new free space', (e) => e.type === 'peer:seen' && (e['peer'] as PeerJson).deviceId === changer.deviceId && (e['peer'] as PeerJson).freeGiB === 64, 5_000, marks[i]),
      ),
    );
    for (const [i, w] of watchers.entries()) {
      const lost = w.events.slice(marks[i]).filter((e) => e.type === 'peer:lost' && (e['peer'] as PeerJson).deviceId === changer.deviceId);
      expect(lost, `${w.label} must not lose ${changer.label} during the re-announcement`).toEqual([]);
    }
    const t0 = Date.now();
    let free: string | undefined;
    while (free !== '64' && Date.now() - t0 < AVAHI_WITHIN_MS) {
      free = (await venue.avahiBrowse(observer, '_inswarm._tcp')).find((r) => r.txt['id'] === changer.deviceId)?.txt['free'];
      if (free !== '64') await new Promise((r) => setTimeout(r, 500));
    }
    expect(free, 'avahi sees the new TXT').toBe('64');
  });

  test('a device that gains an address (a network change) re-announces its addresses', async () => {
    const mover = devices[1]!;
    const watchers = devices.filter((d) => d !== mover);
    const marks = watchers.map((w) => w.events.length);
    const extra = `${mover.host.address}0`; // e.g. 10.77.21.120: same LAN, still only 10.77.x.y
    const added = await venue.run(mover.host, 'ip', ['addr', 'add', `${extra}/24`, 'dev', mover.host.iface]);
    expect(added.code, added.stderr).toBe(0);
    const seen = await Promise.all(
      watchers.map((w, i) =>
        w.waitFor('the new address', (e) => e.type === 'peer:seen' && (e['peer'] as PeerJson).deviceId === mover.deviceId && (e['peer'] as PeerJson).addresses.includes(extra), 3 * REQUERY_MS + 2_000, marks[i]),
      ),
    );
    for (const e of seen) {
      // The address the answers come from stays first: it is the one known to work on this link.
      expect((e['peer'] as PeerJson).addresses).toEqual([mover.host.address, extra]);
    }
    for (const [i, w] of watchers.entries()) {
      expect(w.events.slice(marks[i]).some((e) => e.type === 'peer:lost' && (e['peer'] as PeerJson).deviceId === mover.deviceId)).toBe(false);
    }
  });

  test('a device that stops says goodbye and is dropped at once; one that dies is forgotten after the TTL', async () => {
    const [a, b, stopping, dying] = devices as [Device, Device, Device, Device];
    const marks = [a.events.length, b.events.length];
    const killedAt = Date.now();
    stopping.send('stop');
    await venue.kill(dying.child, 'SIGKILL');

    const lostOf = (w: Device, mark: number, target: Device) =>
      w.waitFor(`loss of ${target.label}`, (e) => e.type === 'peer:lost' && (e['peer'] as PeerJson).deviceId === target.deviceId, TTL_MS + 5_000, mark);
    const [goodbyes, silences] = await Promise.all([
      Promise.all([lostOf(a, marks[0]!, stopping), lostOf(b, marks[1]!, stopping)]),
      Promise.all([lostOf(a, marks[0]!, dying), lostOf(b, marks[1]!, dying)]),
    ]);
    for (const e of goodbyes) {
      expect(e['reason']).toBe('goodbye');
      expect(e.t - killedAt).toBeLessThan(TTL_MS);
    }
    for (const e of silences) {
      expect(e['reason']).toBe('silent');
      // Forgotten by TTL: not before its last answer + TTL (answers come every ≤ 1.2 requery intervals), not much after.
      expect(e.t - killedAt).toBeGreaterThanOrEqual(TTL_MS - 1.2 * REQUERY_MS - 100);
      expect(e.t - killedAt).toBeLessThan(TTL_MS + 2_500);
    }
    console.log(`goodbye noticed after ${Math.max(...goodbyes.map((e) => e.t - killedAt))} ms; silent device forgotten after ${Math.max(...silences.map((e) => e.t - killedAt))} ms (TTL ${TTL_MS} ms)`);

    // The two that remain still see each other, and only each other.
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const { peers } = await self.diag();
      expect(peers.map((p) => p.deviceId)).toEqual([other.deviceId]);
      expect(self.events.slice(marks[self === a ? 0 : 1]).some((e) => e.type === 'peer:lost' && (e['peer'] as PeerJson).deviceId === other.deviceId)).toBe(false);
    }
  });

  test('without a multicast route, send errors are reported and nothing is heard', async () => {
    // Give it at least one full query round after start.
    await new Promise((r) => setTimeout(r, Math.max(0, lastStartedAt + 1.5 * REQUERY_MS - Date.now())));
    const { diag, heardAnything, peers } = await lonely.diag();
    expect(heardAnything).toBe(false);
    expect(peers).toEqual([]);
    expect(diag.sendErrors).toBeGreaterThan(0);
    expect(diag.sendErrorsByCode['ENETUNREACH']).toBe(diag.sendErrors);
    expect(diag.problem).toBe('send-failing');
    expect(diag.warning).toMatch(/ENETUNREACH.*add a peer by address/);
    expect(lonely.events.some((e) => e.type === 'log' && /ENETUNREACH/.test(String(e['message'])))).toBe(true);
  });

  test('start() and stop() are idempotent, a stopped discovery starts again, and a foreign interface fails with E_MDNS_START', async () => {
    const host = noRoute.host(1);
    const code = `
      const { MdnsDiscovery } = await import(${JSON.stringify(COMPILED)});
      const make = (init) => new MdnsDiscovery({ deviceId: ${JSON.stringify(formatDeviceId(randomBytes(32)))}, name: 'Lifecycle', port: 1, freeBytes: () => 0 }, init);
      const out = {};
      try { await make({ interfaceAddress: '10.77.250.1' }).start(); out.foreign = 'started'; } catch (err) { out.foreign = err.code; out.message = err.message; }
      const d = make({ interfaceAddress: ${JSON.stringify(host.address)} });
      await Promise.all([d.start(), d.start()]);
      out.first = d.diagnostics().running;
      await Promise.all([d.stop(), d.stop()]);
      out.stopped = !d.diagnostics().running;
      await d.start();
      out.restarted = d.diagnostics().running;
      await d.stop();
      console.log(JSON.stringify(out));`;
    const result = await noRoute.run(host, process.execPath, ['--input-type=module', '-e', code]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ foreign: 'E_MDNS_START', first: true, stopped: true, restarted: true });
    expect(out['message']).toMatch(/10\.77\.250\.1.*add peers by address/);
  });

  test('behind client isolation, nothing is heard and status says so', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, lastStartedAt + 1.5 * REQUERY_MS - Date.now())));
    for (const d of isolatedPair) {
      const { diag, heardAnything, peers } = await d.diag();
      expect(heardAnything).toBe(false);
      expect(peers).toEqual([]);
      expect(diag.sendErrors).toBe(0);
      expect(diag.problem).toBe('nothing-heard');
      expect(diag.warning).toBe('No peers heard via mDNS: the network may block multicast or isolate clients; add a peer by address (inswarm peer add HOST:PORT).');
    }
  });
});
