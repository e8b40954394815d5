// "This network is home", end to end, on a real network: a laptop namespace whose default gateway
// is first a venue router, then a home router (fixed MACs, tests/helpers/routers.ts); a home
// receiver on the home router's upstream address (reachable only through it). The node AND
// Chromium run inside the laptop's namespace (loopback is per namespace), so the window sees what
// the OS probe sees (ip route / ip neigh). The laptop holds one pending photo. Once home, the
// window shows the home router's MAC but nothing is delivered; a click on "This network is home"
// makes it home, and the photo reaches the receiver's library, shown delivered in the window.
//
// Needs root and iproute2; without them it says so loudly and is skipped (INSWARM_REQUIRE_LAN=1,
// as CI sets, makes that a failure instead).

import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromiumInNamespace, launchBrowser, openApp, screenshot, showView, uiUrlOf } from '../helpers/browser.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { createLan, netnsProblem, warnLanNotRun, type Lan, type LanHost } from '../helpers/netns.js';
import { addRouters, switchGateway, type Router } from '../helpers/routers.js';
import { CLI, inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const problem = await netnsProblem();
const required = process.env['INSWARM_REQUIRE_LAN'] === '1';
if (problem !== null) warnLanNotRun('tests/e2e/home-netns.test.ts (mark the current network as home in the window, in network namespaces)', problem);
if (problem !== null && required) {
  test('LAN tests can run here (INSWARM_REQUIRE_LAN=1)', () => {
    throw new Error(`LAN tests are required but cannot run: ${problem}`);
  });
}

/** Laptop 10.77.71.11, venue router .12, home router .13. */
const PREFIX = '10.77.71';
/** Only reachable through the home router: "the internet, from home". */
const UPSTREAM = '10.77.72.1';
const RECEIVER_PORT = 8443;
const PHOTO = 'IMG_0042.JPG';
const PHOTO_DATE = '2026:05:17 18:30:00';

/** A process started in a namespace, with what it printed. */
class Proc {
  out = '';
  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  async waitFor(text: string, timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (!this.out.includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) before printing "${text}":\n${this.out}`);
      if (Date.now() - started > timeoutMs) throw new Error(`${this.name} did not print "${text}" within ${timeoutMs} ms:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function libraryFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

describe.skipIf(problem !== null)('Settings: this network is home', () => {
  let lan: Lan | undefined;
  let laptop: LanHost;
  let venue: Router;
  let home: Router;
  const procs: Proc[] = [];

  beforeAll(async () => {
    lan = await createLan({ hosts: 3, prefix: PREFIX, multicastRoute: false });
    laptop = lan.host(1);
    ({ venue, home } = await addRouters(lan, { venue: 2, home: 3 }, { home: { upstream: UPSTREAM } }));
    await switchGateway(laptop, venue);
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) await lan?.kill(p.child, 'SIGINT').catch(() => undefined);
    await lan?.destroy();
  });

  const spawn = (host: LanHost, name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc => {
    const proc = new Proc(name, lan!.spawn(host, process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    procs.push(proc);
    return proc;
  };

  /** What the node itself says (its published runtime view and deliveries), for failure messages. */
  const explain = async (data: string, node: Proc): Promise<string> => {
    const status = await inswarmOk(['status', '--json'], data).catch((err: Error) => err.message);
    return `\n--- inswarm status --json:\n${status}\n--- node output:\n${node.out}`;
  };
  /** expect.poll, but a timeout says what the core saw meanwhile. */
  const until = async <T>(what: string, data: string, node: Proc, fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs: number): Promise<void> => {
    const started = Date.now();
    let last: T | undefined;
    while (Date.now() - started < timeoutMs) {
      last = await fn();
      if (check(last)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}${await explain(data, node)}`);
  };

  test('a click on "This network is home" starts the delivery of the pending photo', { timeout: 120_000 }, async () => {
    const work = await tempDir('inswarm-e2e-home');
    const receiverData = join(work, 'receiver');
    const library = join(work, 'Photos');
    const key = join(work, 'key.txt');
    const recipient = await inswarmOk(['keygen', '--out', key], receiverData);
    const receiverId = await inswarmOk(['id'], receiverData);
    const data = join(work, 'laptop');
    await inswarmOk(['receive', 'enroll', await inswarmOk(['id'], data), '--label', 'laptop'], receiverData);
    await inswarmOk(['dest', 'create', 'home', '--recipient', recipient, '--receiver', `https://${UPSTREAM}:${RECEIVER_PORT}`, '--receiver-id', receiverId, '--default'], data);
    const photo = makeJpeg(PHOTO_DATE, { seed: 42 });
    const photoPath = join(work, PHOTO);
    await writeFile(photoPath, photo);
    await utimes(photoPath, new Date('2026-05-17T18:30:00Z'), new Date('2026-05-17T18:30:00Z'));
    const blobId = (await inswarmOk(['add', photoPath], data)).split('\t')[0]!;

    const receiver = spawn(home.host, 'receiver', ['receive', '--library', library, '--identity', key, '--listen', `${UPSTREAM}:${RECEIVER_PORT}`, '--data', receiverData]);
    await receiver.waitFor('Receiver ID');
    const node = spawn(laptop, 'laptop', ['start', '--headless', '--listen', '127.0.0.1:0', '--no-mdns', '--name', 'laptop'], { INSWARM_DATA: data });
    await node.waitFor('Open the app:');

    const browser = await launchBrowser({ executablePath: await chromiumInNamespace(laptop.ns) });
    const page = await openApp(browser, uiUrlOf(node.out));
    await showView(page, 'settings');
    const current = page.getByTestId('current-network');
    // At the venue: the window shows the venue router, and it is not home.
    await until('the window to show the venue router', data, node, () => current.textContent(), (t) => t?.includes(venue.mac) === true, 30_000);
    expect(await current.getAttribute('data-home')).toBe('');

    // The laptop gets home: the window follows the network, still not home, nothing delivered.
    await switchGateway(laptop, home);
    await until('the window to show the home router', data, node, () => current.textContent(), (t) => t?.includes(home.mac) === true, 30_000);
    expect(await current.getAttribute('data-home')).toBe('');
    expect(await page.getByTestId('is-home').count()).toBe(0);
    expect(await libraryFiles(library)).toEqual([]);
    await page.getByTestId('settings-homes').scrollIntoViewIfNeeded();
    await screenshot(page, 'e2e-home-before-mark');

    await page.getByTestId('mark-home').click();
    await page.getByTestId('is-home').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('home-network').count()).toBe(1);
    expect(await page.getByTestId('home-network').textContent()).toContain(home.mac);

    // Delivery starts by itself: the photo is in the library, filed by its EXIF date, byte for byte.
    const expected = `2026/05/17/${PHOTO}`;
    await until('the photo in the library', data, node, () => libraryFiles(library), (f) => f.length === 1 && f[0] === expected, 60_000);
    expect(createHash('sha256').update(await readFile(join(library, expected))).digest('hex')).toBe(createHash('sha256').update(photo).digest('hex'));

    await showView(page, 'deliveries');
    await expect.poll(() => page.getByTestId('deliveries-home').getAttribute('data-home'), { timeout: 20_000 }).toBe('true');
    const row = page.locator(`[data-testid="delivery-row"][data-blob-id="${blobId}"]`);
    await until('the row to show delivered', data, node, () => row.getAttribute('data-state'), (v) => v === 'delivered', 20_000);
    expect(await row.locator('[data-testid="delivery-progress"]').getAttribute('aria-valuenow')).toBe('100');
    await screenshot(page, 'e2e-home-delivered');
    await showView(page, 'overview');
    await expect.poll(() => page.getByTestId('overview-place').textContent(), { timeout: 20_000 }).toBe('At home');

    browser.assertNoErrors();
    await browser.close();
    await lan!.kill(node.child, 'SIGINT');
    expect(node.child.exitCode).toBe(0);
    await lan!.kill(receiver.child, 'SIGINT');
  });
});
