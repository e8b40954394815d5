// Home networks for real, on Linux: a "laptop" namespace and two "router" namespaces (venue, home)
// with fixed MAC addresses on one bridge. The compiled CLI runs inside the laptop (`ip netns exec`)
// and must find the gateway's MAC through the kernel's neighbour table — resolving it itself, since
// every switch of gateway starts with no entry — and tell home from venue by it. Needs root and
// iproute2; without them it says so loudly and is reported as skipped (INSWARM_REQUIRE_LAN=1, as
// CI sets, makes that a failure instead).

import { existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NetView } from '../../src/main/cli/commands/net.js';
import type { HomeNetwork } from '../../src/main/core/homenet/home-networks.js';
import { createLan, netnsProblem, warnLanNotRun, type Lan, type LanHost } from '../helpers/netns.js';
import { addRouters, dropGateway, gatewayOf, neighbourMac, switchGateway, type Router } from '../helpers/routers.js';
import { CLI, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const problem = await netnsProblem();
const required = process.env['INSWARM_REQUIRE_LAN'] === '1';
if (problem !== null) warnLanNotRun('tests/integration/homenet-netns.test.ts (gateway MAC and home networks in network namespaces)', problem);

if (problem !== null && required) {
  test('LAN tests can run here (INSWARM_REQUIRE_LAN=1)', () => {
    throw new Error(`LAN tests are required but cannot run: ${problem}`);
  });
}

/** The laptop is host 1 (10.77.44.11), the venue router host 2 (.12), the home router host 3 (.13). */
const PREFIX = '10.77.44';
/** "The internet as seen from home / from the venue": addresses only reachable through that router. */
const HOME_UPSTREAM = '10.77.45.1';
const VENUE_UPSTREAM = '10.77.45.2';
/** A LAN address nobody has: a gateway that never answers ARP. */
const DEAD_GATEWAY = `${PREFIX}.99`;
const UPSTREAM_PORT = 8080;

describe.skipIf(problem !== null)('home networks in network namespaces', () => {
  let lan: Lan | undefined;
  let laptop: LanHost;
  let venue: Router;
  let home: Router;
  let data: string;

  beforeAll(async () => {
    if (!existsSync(CLI.replace(/bin\/inswarm\.js$/, 'dist/main/cli.js'))) throw new Error('dist/ is missing: run "npm run build" (npm test does) before this test.');
    lan = await createLan({ hosts: 3, prefix: PREFIX, multicastRoute: false });
    laptop = lan.host(1);
    ({ venue, home } = await addRouters(lan, { venue: 2, home: 3 }, { venue: { upstream: VENUE_UPSTREAM }, home: { upstream: HOME_UPSTREAM } }));
    data = await tempDir('homenet-netns');
  });

  afterAll(async () => {
    await lan?.destroy();
  });

  /** `inswarm args…` run inside the laptop's namespace on its data folder. */
  const inswarm = (args: readonly string[]) => lan!.run(laptop, process.execPath, [CLI, '--data', data, ...args]);

  async function net(): Promise<NetView> {
    const r = await inswarm(['net', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as NetView;
  }

  test('the routers have the MACs we gave them, and they differ', () => {
    expect(venue.mac).toBe('02:77:2c:00:00:02');
    expect(home.mac).toBe('02:77:2c:00:00:03');
  });

  test('offline (no default route): nothing is known, nothing is home, exit 0', async () => {
    expect(await gatewayOf(laptop)).toBeNull();
    expect(await net()).toEqual({ ssid: null, gatewayIp: null, gatewayMac: null, iface: null, home: false, homeNetwork: null });
  });

  test("at the venue: the gateway MAC is the venue router's, resolved by the probe itself", async () => {
    await switchGateway(laptop, venue);
    expect(await neighbourMac(laptop, venue.address)).toBeNull(); // nothing has talked to it yet
    const v = await net();
    expect(v).toEqual({ ssid: null, gatewayIp: venue.address, gatewayMac: venue.mac, iface: 'veth0', home: false, homeNetwork: null });
    expect(await neighbourMac(laptop, venue.address)).toBe(venue.mac); // the probe's nudge filled the table
  });

  test('at home: "home add --current" records the home router, and net then says home', async () => {
    await switchGateway(laptop, home);
    expect(await neighbourMac(laptop, home.address)).toBeNull();
    const before = await net();
    expect(before.gatewayMac).toBe(home.mac);
    expect(before.home).toBe(false);

    const added = await inswarm(['home', 'add', '--current', '--label', 'Home']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(home.mac);
    const list = await inswarm(['home', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const homes = JSON.parse(list.stdout) as HomeNetwork[];
    expect(homes).toHaveLength(1);
    expect(homes[0]).toMatchObject({ label: 'Home', ssid: null, gatewayMac: home.mac });

    const after = await net();
    expect(after).toMatchObject({ gatewayIp: home.address, gatewayMac: home.mac, home: true, homeNetwork: { id: homes[0]!.id, label: 'Home' } });
    // Adding the same network again is refused: exit 1 and one sentence.
    const again = await inswarm(['home', 'add', '--current']);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('back and forth: venue → not home, home → home, twice', async () => {
    for (let round = 0; round < 2; round++) {
      await switchGateway(laptop, venue);
      expect(await net()).toMatchObject({ gatewayMac: venue.mac, home: false, homeNetwork: null });
      await switchGateway(laptop, home);
      expect(await net()).toMatchObject({ gatewayMac: home.mac, home: true, homeNetwork: { label: 'Home' } });
    }
  });

  test('a gateway that never answers ARP: its address, no MAC, not home, and the probe still ends', async () => {
    const r = await run('ip', ['-n', laptop.ns, 'route', 'replace', 'default', 'via', DEAD_GATEWAY, 'dev', laptop.iface]);
    expect(r.code, r.stderr).toBe(0);
    expect(await net()).toEqual({ ssid: null, gatewayIp: DEAD_GATEWAY, gatewayMac: null, iface: 'veth0', home: false, homeNetwork: null });
    await dropGateway(laptop);
  });

  test('the helper\'s upstream address is reachable only through its own router', async () => {
    const server = lan!.spawn(home.host, process.execPath, ['-e', `require('node:net').createServer((s) => s.end('home')).listen(${UPSTREAM_PORT}, '${HOME_UPSTREAM}', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await listening(server);
      const reach = async (): Promise<string> => {
        // Bounded by the socket timeout; a packet routed to the venue router is dropped there (it never forwards).
        const script = `const s = require('node:net').connect(${UPSTREAM_PORT}, '${HOME_UPSTREAM}'); let out = ''; s.setTimeout(1500, () => { console.log('unreachable'); s.destroy(); }); s.on('data', (d) => (out += d)); s.on('end', () => console.log(out)); s.on('error', (e) => console.log(e.code));`;
        const r = await lan!.run(laptop, process.execPath, ['-e', script]);
        return r.stdout.trim();
      };
      await switchGateway(laptop, venue);
      expect(await reach()).not.toBe('home');
      await switchGateway(laptop, home);
      expect(await reach()).toBe('home');
    } finally {
      await lan!.kill(server);
    }
  });

  test('home remove: the same network is no longer home', async () => {
    await switchGateway(laptop, home);
    const removed = await inswarm(['home', 'remove', 'Home']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await net()).toMatchObject({ gatewayMac: home.mac, home: false, homeNetwork: null });
    const missing = await inswarm(['home', 'remove', 'Home']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^inswarm: There is no home network "Home": .+\.\n$/);
  });
});

function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the upstream server exited (${code}) before listening`)));
  });
}
