// The built window in real Chromium, over a stub of the preload API (window.inswarm) that answers
// canned replies: every view renders without a console error or CSP violation, the held list with
// 100,000 rows keeps fewer than 200 rows in the DOM while scrolling to its end, sorting asks the
// core, adding a peer shows the core's sentence, the theme toggle sticks, and the navigation
// collapses at small widths. The real core behind the real bridge is the e2e suite's job; this
// checks the renderer on its own. Screenshots of each view go to test-output/renderer/.

import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHOTS = join(ROOT, 'test-output', 'renderer');
/** The CSP the headless bridge sends; the page must run under it without a violation. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' ws:";
const HELD_ROWS = 100_000;
const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.map': 'application/json' };

let out: string;
let server: Server;
let base: string;
let browser: Browser;
let qrSvg: string;

beforeAll(async () => {
  out = await tempDir('inswarm-renderer');
  // vitest sets NODE_ENV=test, which would make Vite bundle React's development build; check what ships.
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production';
  try {
    await build({ configFile: join(ROOT, 'vite.renderer.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  } finally {
    process.env['NODE_ENV'] = nodeEnv;
  }
  qrSvg = await QRCode.toString('MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD', { type: 'svg', margin: 1 });
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^[/\\]+/, '');
    const file = join(out, path === '' ? 'index.html' : path);
    if (!file.startsWith(out + sep)) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => {
        const text = extname(file) === '.html' ? body.toString('utf8').replace('<!--inswarm-csrf-->', '<meta name="inswarm-csrf" content="test-token">') : body;
        res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP });
        res.end(text);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** A page with the stub core installed; fails the test on any console error or page error. */
async function openPage(options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 820 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript(installStub, { heldRows: HELD_ROWS, qrSvg, now: Date.now() });
  return { page, problems };
}

describe('the built renderer', () => {
  it('is built with relative URLs, no inline script or style, and the CSRF placeholder', async () => {
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<!--inswarm-csrf-->');
    expect(html).toMatch(/<script type="module" crossorigin src="\.\/assets\/[^"]+\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" crossorigin href="\.\/assets\/[^"]+\.css">/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle="/);
    expect((await stat(join(out, 'index.html'))).size).toBeGreaterThan(0);
  });

  it('renders every view without errors, with labelled navigation', async () => {
    const { page, problems } = await openPage();
    await page.goto(base);
    await page.getByTestId('disk-bar').waitFor();
    await page.getByTestId('rate-chart').waitFor();
    // Let a few rate samples arrive so the chart has lines.
    await page.waitForFunction(() => document.querySelectorAll('.rate-chart path.line[d^="M"]').length >= 3);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    expect(await page.getByTestId('nav-overview').getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('overview-place').textContent()).toBe('At a venue');
    expect(await page.getByTestId('discovery-warning').textContent()).toContain('client isolation');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    for (const [id, title] of [
      ['held', 'Held for others'],
      ['backups', 'My backups'],
      ['peers', 'Peers'],
      ['deliveries', 'Deliveries'],
      ['settings', 'Settings'],
      ['activity', 'Activity'],
      ['import', 'Import'],
    ] as const) {
      await page.getByTestId(`nav-${id}`).click();
      await page.getByTestId(`view-${id}`).waitFor();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(title);
      expect(await page.getByTestId(`nav-${id}`).getAttribute('aria-current')).toBe('page');
      // Focus moves to the new view's heading, so keyboard users land in it.
      expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
      await page.waitForFunction(() => document.querySelector('.state-loading') === null);
      expect(await page.getByTestId('view-crash').count()).toBe(0);
      if (id === 'activity') await page.getByTestId('activity-item').nth(3).waitFor();
      await page.screenshot({ path: join(SHOTS, `${id}.png`), fullPage: id !== 'held' });
    }
    expect(problems).toEqual([]);
  });

  it('keeps fewer than 200 held rows in the DOM while scrolling 100,000 rows to the end', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/held`);
    await page.getByTestId('held-row').first().waitFor();
    expect(await page.getByTestId('held-totals').textContent()).toContain('100,000');
    const body = page.locator('[data-testid="held-table"] .vt-body');
    let most = 0;
    for (let step = 1; step <= 20; step++) {
      await body.evaluate((el, f) => {
        el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
      }, step / 20);
      await page.waitForFunction((f) => {
        const rows = [...document.querySelectorAll('[data-testid="held-row"]')];
        const idx = rows.map((r) => Number(r.getAttribute('data-index')));
        return Math.max(...idx) >= Math.floor((100_000 - 30) * f);
      }, step / 20);
      most = Math.max(most, await page.getByTestId('held-row').count());
    }
    expect(most).toBeGreaterThan(5);
    expect(most).toBeLessThan(200);
    // At the end the last row is there, loaded from the core (not a placeholder).
    await page.waitForFunction(() => document.querySelector('[data-testid="held-row"][data-index="99999"]:not(.is-placeholder)') !== null);
    const calls = await page.evaluate(() => (window as unknown as { __calls: { method: string; args: { offset?: number } }[] }).__calls.filter((c) => c.method === 'heldPage'));
    // Lazy paging: a jump to the end does not fetch every page in between.
    expect(calls.length).toBeLessThan(100);
    expect(calls.some((c) => c.args.offset === 99_900)).toBe(true);
    // Keyboard: Home goes back to the first row.
    await body.focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[data-testid="held-row"][data-index="0"]:not(.is-placeholder)') !== null);
    await page.screenshot({ path: join(SHOTS, 'held-scrolled.png') });
    expect(problems).toEqual([]);
  });

  it('sorts the held list on the core when a header is pressed, and says so with aria-sort', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/held`);
    await page.getByTestId('held-row').first().waitFor();
    const sizeHeader = page.locator('[role="columnheader"]', { hasText: 'Size' });
    expect(await sizeHeader.getAttribute('aria-sort')).toBe('none');
    // Scrolled halfway down, a new sort starts again from the top.
    await page.locator('[data-testid="held-table"] .vt-body').evaluate((el) => {
      el.scrollTop = el.scrollHeight / 2;
    });
    await page.waitForFunction(() => document.querySelector('[data-testid="held-row"][data-index="0"]') === null);
    await page.getByTestId('sort-size').click();
    await page.waitForFunction(() => document.querySelector('[role="columnheader"][aria-sort="descending"]')?.textContent?.includes('Size') === true);
    await page.waitForFunction(() =>
      (window as unknown as { __calls: { method: string; args: { sort?: string; dir?: string } }[] }).__calls.some((c) => c.method === 'heldPage' && c.args.sort === 'size' && c.args.dir === 'desc'),
    );
    await page.getByTestId('sort-size').click();
    await page.waitForFunction(() => document.querySelector('[role="columnheader"][aria-sort="ascending"]')?.textContent?.includes('Size') === true);
    // The first row now is the smallest.
    await page.waitForFunction(() => document.querySelector('[data-testid="held-row"][data-index="0"]:not(.is-placeholder)')?.textContent?.includes('1.0 KB') === true);
    expect(problems).toEqual([]);
  });

  it("adds a peer by address and shows the core's sentence when it refuses one", async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/peers`);
    await page.getByTestId('device-qr').waitFor();
    const qr = await page.getByTestId('device-qr').getAttribute('src');
    expect(qr?.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    await page.getByLabel('Address', { exact: true }).fill('not an address');
    await page.getByTestId('peer-add-button').click();
    expect(await page.getByTestId('peer-add-error').textContent()).toBe('"not an address" is not HOST:PORT: write it like 192.168.1.20:22000.');
    await page.getByTestId('peer-add-input').fill('10.0.0.9:22000');
    await page.getByTestId('peer-add-button').click();
    await page.getByTestId('peer-manual-list').getByText('10.0.0.9:22000').waitFor();
    expect(await page.getByTestId('peer-add-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Remove 10.0.0.9:22000' }).click();
    await page.getByTestId('peer-manual-list').getByText('10.0.0.9:22000').waitFor({ state: 'detached' });
    // Problems logged by the stub core's refusal are expected; nothing else.
    expect(problems).toEqual([]);
  });

  it('follows new events in the activity log, newest first', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/activity`);
    await page.getByTestId('activity-item').first().waitFor();
    await page.evaluate(() => (window as unknown as { __log: (type: string, data: unknown) => void }).__log('delivery:failed', { blobId: 'cd'.repeat(32), error: 'The receiver did not answer.' }));
    await page.waitForFunction(() => document.querySelector('[data-testid="activity-item"]')?.getAttribute('data-type') === 'delivery:failed');
    expect(await page.getByTestId('activity-item').first().textContent()).toContain('Delivery failed');
    expect(await page.getByTestId('activity-item').first().textContent()).toContain('The receiver did not answer.');
    expect(problems).toEqual([]);
  });

  it('starts keyboard users at a skip link that jumps into the view', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/peers`);
    await page.getByTestId('device-qr').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // The next Tab stop is inside the view, not back in the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
    expect(await page.evaluate(() => window.location.hash)).toBe('#/peers');
    expect(problems).toEqual([]);
  });

  it('keeps the theme chosen with the toggle across a reload', async () => {
    const { page, problems } = await openPage();
    await page.goto(base);
    await page.getByTestId('disk-bar').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'] ?? 'system')).toBe('system');
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    await page.reload();
    await page.getByTestId('disk-bar').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(15, 19, 24)');
    await page.waitForFunction(() => document.querySelectorAll('.rate-chart path.line[d^="M"]').length >= 3);
    await page.screenshot({ path: join(SHOTS, 'overview-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('collapses the navigation behind a menu button in a small window', async () => {
    const { page, problems } = await openPage({ width: 420, height: 800 });
    await page.goto(base);
    await page.getByTestId('disk-bar').waitFor();
    expect(await page.getByTestId('nav-peers').isVisible()).toBe(false);
    await page.getByTestId('menu-button').click();
    expect(await page.getByTestId('menu-button').getAttribute('aria-expanded')).toBe('true');
    await page.getByTestId('nav-peers').click();
    await page.getByTestId('view-peers').waitFor();
    expect(await page.getByTestId('nav-peers').isVisible()).toBe(false);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'peers-narrow.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows a banner when the core stops answering', async () => {
    const { page, problems } = await openPage();
    await page.goto(base);
    await page.getByTestId('disk-bar').waitFor();
    await page.evaluate(() => {
      (window as unknown as { __down: boolean }).__down = true;
    });
    await page.getByTestId('connection-banner').waitFor();
    expect(await page.getByTestId('connection-banner').textContent()).toContain('not answering');
    await page.evaluate(() => {
      (window as unknown as { __down: boolean }).__down = false;
    });
    await page.getByTestId('connection-banner').waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });
});

/**
 * Runs in the page before its scripts: a stand-in for the Electron preload (`window.inswarm`) that
 * answers every method with plausible canned data, records calls in `window.__calls`, can log an
 * activity event (`window.__log`), and can play a stopped core (`window.__down`).
 */
function installStub(config: { heldRows: number; qrSvg: string; now: number }): void {
  const w = window as unknown as Record<string, unknown>;
  const now = config.now;
  const H = 3_600_000;
  const GB = 1e9;
  const calls: { method: string; args: unknown }[] = [];
  const listeners = new Set<(m: { event: string; payload: unknown }) => void>();
  w['__calls'] = calls;
  w['__down'] = false;
  const hex = (n: number): string => (n.toString(16).padStart(8, '0') + 'a3f9c2d4e5b6').repeat(4).slice(0, 64);
  const device = (n: number): string => ['MFZWI3D', 'K3LRQ2P', 'ZB4T7NA', 'H2PQW5E', 'TQ9XJ4M'][n % 5] + '-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD';
  const caps = { diskBytes: 50 * GB, floorBytes: 20 * GB, originShare: 0.25, retentionMs: 12 * H, upBytesPerSec: null, downBytesPerSec: 20e6, replicas: 2, deliverBytesPerSec: null, deliveries: 2 };
  const network = { ssid: 'ConfCenter-Guest', gatewayMac: '00:11:22:33:44:55', home: null };
  let manual = ['192.168.1.50:22000'];
  const events: { id: number; at: number; type: string; data: unknown }[] = [
    { id: 1, at: now - 50 * 60_000, type: 'network:changed', data: network },
    { id: 2, at: now - 48 * 60_000, type: 'peer:up', data: { deviceId: device(1), name: 'Mara’s ThinkPad', address: '192.168.1.23:22000' } },
    { id: 3, at: now - 40 * 60_000, type: 'blob:sealed', data: { blobId: hex(7), size: 4_200_000, label: 'home' } },
    { id: 4, at: now - 39 * 60_000, type: 'placement:stored', data: { blobId: hex(7), holderId: device(1), replicas: 1 } },
    { id: 5, at: now - 30 * 60_000, type: 'held:stored', data: { blobId: hex(9), origin: device(2), size: 12_500_000 } },
    { id: 6, at: now - 20 * 60_000, type: 'blob:placed', data: { blobId: hex(7), replicas: 2 } },
    { id: 7, at: now - 5 * 60_000, type: 'delivery:failed', data: { blobId: hex(11), source: 'held', error: 'The destination could not be reached: it will be tried again.' } },
  ];
  w['__log'] = (type: string, data: unknown): void => {
    events.push({ id: events.length + 1, at: Date.now(), type, data });
    for (const l of listeners) l({ event: 'delivery:failed', payload: data });
  };
  const heldRow = (sort: string, dir: string, k: number): Record<string, unknown> => {
    const n = config.heldRows;
    const ordinal = dir === 'desc' ? k : n - 1 - k;
    const size = sort === 'size' ? (n - ordinal) * 1000 : 1000 + ((ordinal * 7919) % 900) * 37_000;
    const receivedAt = sort === 'received' ? now - ordinal * 20_000 : now - ((ordinal * 104_729) % 40_000) * 1000;
    const expiresAt = sort === 'expires' ? now + 12 * H - ordinal * 400 : receivedAt + 12 * H;
    const state = k % 97 === 3 ? 'receiving' : k % 89 === 5 ? 'delivering' : 'held';
    return { blobId: hex(ordinal), size, originId: device(ordinal), receivedAt, expiresAt, bytesReceived: state === 'receiving' ? Math.floor(size * 0.4) : size, state };
  };
  const peers = () => ({
    linked: [
      { deviceId: device(1), name: 'Mara’s ThinkPad', address: '192.168.1.23:22000', direction: 'out', freeBytes: 180 * GB, throughputBps: 11_500_000 },
      { deviceId: device(2), name: 'studio-mbp', address: '192.168.1.41:22000', direction: 'in', freeBytes: 64 * GB, throughputBps: 7_200_000 },
    ],
    known: [
      { deviceId: device(1), name: 'Mara’s ThinkPad', addresses: ['192.168.1.23:22000'], source: 'mdns', lastSeen: Date.now(), freeBytes: 180 * GB, throughputBps: 11_500_000, linked: true },
      { deviceId: device(2), name: 'studio-mbp', addresses: ['192.168.1.41:22000'], source: 'mdns', lastSeen: Date.now(), freeBytes: 64 * GB, throughputBps: 7_200_000, linked: true },
      { deviceId: device(3), name: 'nas-venue', addresses: ['192.168.1.50:22000'], source: 'manual', lastSeen: now - 26 * 60_000, freeBytes: 2_000 * GB, throughputBps: null, linked: false },
    ],
    manual,
    discoveryWarning: null,
  });
  const settings = () => ({
    deviceId: device(0),
    caps,
    volume: { freeBytes: 61 * GB, totalBytes: 512 * GB },
    homes: [{ id: 1, label: 'Flat', ssid: 'Hearth-5G', gatewayMac: 'a4:91:b1:00:12:ef' }],
    network,
    destinations: [{ label: 'home', recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', kind: 'receiver', where: 'https://nas.local:8443', isDefault: true }],
  });
  const backups = [
    { blobId: hex(101), name: 'IMG_4821.HEIC', fileCount: 2, size: 5_600_000, capturedAt: now - 2 * H, createdAt: now - H, state: 'sealed', replicas: 1, wanted: 2, destination: 'home', hasThumbnail: false },
    { blobId: hex(102), name: 'IMG_4822.JPG', fileCount: 1, size: 3_100_000, capturedAt: now - 2 * H, createdAt: now - H, state: 'sealed', replicas: 2, wanted: 2, destination: 'home', hasThumbnail: false },
    { blobId: hex(103), name: 'keynote.mov', fileCount: 1, size: 182_000_000, capturedAt: now - 3 * H, createdAt: now - H, state: 'delivered', replicas: 2, wanted: 2, destination: 'home', hasThumbnail: false },
  ];
  const handlers: Record<string, (args: Record<string, unknown>) => unknown> = {
    overview: () => {
      const t = Date.now() / 1000;
      return {
        deviceId: device(0),
        name: 'ada-laptop',
        network,
        peersLinked: 2,
        peersSeen: 3,
        discoveryWarning: 'Peers heard of but none answered for 5 minutes: the Wi-Fi probably keeps clients apart (client isolation). Add a peer by address or QR code.',
        caps,
        volume: { freeBytes: 31 * GB, totalBytes: 512 * GB },
        held: { bytes: 18.4 * GB, count: config.heldRows, origins: 14 },
        mine: { pending: 3, placed: 128, delivered: 41, bytes: 2.3 * GB },
        rates: { upBps: 4e6 + 3e6 * Math.sin(t / 3), downBps: 9e6 + 5e6 * Math.cos(t / 5), deliverBps: 0 },
        deliveries: [],
      };
    },
    heldPage: (a) => {
      const sort = String(a['sort'] ?? 'received');
      const dir = String(a['dir'] ?? 'desc');
      const offset = Number(a['offset'] ?? 0);
      const limit = Number(a['limit'] ?? 100);
      const rows = [];
      for (let k = offset; k < Math.min(offset + limit, config.heldRows); k++) rows.push(heldRow(sort, dir, k));
      return { total: config.heldRows, totalBytes: 18.4 * GB, offset, rows };
    },
    backups: (a) => {
      const f = a['filter'];
      const rows = backups.filter((b) => f === 'all' || f === undefined || (f === 'delivered' ? b.state === 'delivered' : f === 'placed' ? b.replicas >= b.wanted && b.state !== 'delivered' : b.replicas < b.wanted));
      return { total: rows.length, offset: 0, rows };
    },
    thumbnail: () => ({ dataUrl: null }),
    peers,
    addPeer: (a) => {
      const address = String(a['address']);
      if (!/^[\w.-]+:\d+$/.test(address)) throw { code: 'E_BAD_PEER_ADDRESS', message: `"${address}" is not HOST:PORT: write it like 192.168.1.20:22000.` };
      manual = [...manual, address];
      return peers();
    },
    removePeer: (a) => {
      manual = manual.filter((m) => m !== a['address']);
      return peers();
    },
    deliveries: () => ({
      home: false,
      running: false,
      totals: [
        { state: 'pending', count: 12, bytes: 64e6 },
        { state: 'delivered', count: 41, bytes: 380e6 },
      ],
      rows: [
        { blobId: hex(11), source: 'held', destination: 'r-9f2', target: 'receiver', state: 'failed', size: 12e6, bytesSent: 3e6, attempts: 2, lastError: 'The destination could not be reached.', nextAttemptAt: now + 300_000, updatedAt: now - 60_000 },
        { blobId: hex(12), source: 'outbox', destination: 'home', target: 'receiver', state: 'pending', size: 5e6, bytesSent: 0, attempts: 0, lastError: null, nextAttemptAt: null, updatedAt: now - 60_000 },
      ],
      destinations: [{ label: 'home', kind: 'receiver', pending: 12, pendingBytes: 64e6, delivered: 41 }],
    }),
    deliverNow: () => null,
    retryDelivery: () => null,
    settings,
    setCaps: (a) => Object.assign(caps, a),
    markHome: () => settings(),
    removeHome: () => settings(),
    importCard: () => settings(),
    destinationCard: () => ({ text: 'inswarm://dest?v=1&label=home', svg: config.qrSvg }),
    deviceCard: () => ({ text: device(0), svg: config.qrSvg }),
    activity: (a) => {
      const after = a['afterId'];
      const list = typeof after === 'number' ? events.filter((e) => e.id > after) : events.slice(-Number(a['limit'] ?? 200));
      return { events: list };
    },
  };
  w['inswarm'] = {
    call: async (method: string, args: unknown) => {
      calls.push({ method, args: args ?? {} });
      if (w['__down'] === true) throw new TypeError('Failed to fetch');
      const handler = handlers[method];
      if (handler === undefined) return { ok: false, code: 'E_USAGE', message: `No method ${method}.` };
      try {
        return { ok: true, result: handler((args ?? {}) as Record<string, unknown>) };
      } catch (err) {
        const e = err as { code: string; message: string };
        return { ok: false, code: e.code, message: e.message };
      }
    },
    onEvent: (listener: (m: { event: string; payload: unknown }) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
