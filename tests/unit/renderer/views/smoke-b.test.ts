// My backups, Deliveries and Settings, built and run in real Chromium over a stub of the preload API
// (window.inswarm) with canned replies, under the headless bridge's CSP. Checks what a person sees
// and what the views ask of the core: thumbnails fetched only for tiles in view and never from a
// link, a progress bar that follows delivery:progress events to done with its rate and time left,
// the disk cap saved once when the slider rests, limits checked in place, and the home network and
// card actions. Timers run on Playwright's fake clock, so nothing depends on the machine's speed.
// The real core behind the real bridge is the e2e suite's job. Screenshots: test-output/renderer-b/.

import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SHOTS = join(ROOT, 'test-output', 'renderer-b');
/** The CSP the headless bridge sends: a thumbnail that is a link, not data, would be a violation. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' ws:";
const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
const BACKUPS = 60;
const CLOCK_START = Date.parse('2025-06-01T12:00:00Z');
const PAGE_SIZE = 48;

let out: string;
let server: Server;
let base: string;
let browser: Browser;
let qrSvg: string;

beforeAll(async () => {
  out = await tempDir('inswarm-renderer-b');
  await build({ configFile: join(ROOT, 'vite.renderer.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  qrSvg = await QRCode.toString('inswarm://card?label=home', { type: 'svg', margin: 1 });
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^[/\\]+/, '');
    const file = join(out, path === '' ? 'index.html' : path);
    if (!file.startsWith(out + sep)) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP });
        res.end(body);
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

interface Call {
  readonly method: string;
  readonly args: Record<string, unknown>;
}

/** A page with the stub core; every console error, warning or page error is collected. */
async function openPage(options: { width?: number; colorScheme?: 'light' | 'dark'; fakeClock?: boolean } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 820 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  if (options.fakeClock === true) {
    // Paused: time moves only when the test says so.
    await page.clock.install({ time: CLOCK_START });
    await page.clock.pauseAt(CLOCK_START + 1_000);
  }
  await page.addInitScript(installStub, { backups: BACKUPS, qrSvg });
  return { page, problems };
}

const calls = (page: Page, method: string): Promise<Call[]> =>
  page.evaluate((m) => (window as unknown as { __calls: Call[] }).__calls.filter((c) => c.method === m), method);

const emit = (page: Page, event: string, payload: unknown): Promise<void> =>
  page.evaluate(([e, p]) => (window as unknown as { __emit: (e: unknown, p: unknown) => void }).__emit(e, p), [event, payload] as const);

describe('My backups', () => {
  it('shows tiles with replica badges and states, and fetches thumbnails only for tiles in view, never from a link', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/backups`);
    await page.getByTestId('backup-tile').first().waitFor();
    expect(await page.getByTestId('backup-tile').count()).toBe(PAGE_SIZE);
    expect(await page.getByTestId('backups-total').textContent()).toBe(`${BACKUPS} backups`);

    const first = page.getByTestId('backup-tile').first();
    expect(await first.getByTestId('backup-replicas').textContent()).toBe('2/2 holders');
    expect(await first.getByTestId('backup-state').textContent()).toBe('On holders');
    const waiting = page.locator('[data-testid="backup-tile"][data-state="pending"]').first();
    expect(await waiting.getByTestId('backup-replicas').textContent()).toBe('0/2 holders');
    expect(await waiting.getByTestId('backup-state').textContent()).toBe('Waiting for holders');
    expect(await page.locator('[data-testid="backup-tile"][data-state="lost"]').first().getByTestId('backup-state').textContent()).toBe('Lost');

    // Thumbnails arrive for the tiles on screen; the rest of the page is not asked for yet.
    await page.waitForFunction(() => document.querySelectorAll('.backup-thumb img').length >= 4);
    const early = await calls(page, 'thumbnail');
    expect(early.length).toBeGreaterThan(0);
    expect(early.length).toBeLessThan(PAGE_SIZE / 2);
    // A tile without a thumbnail, and one whose "thumbnail" is a link, keep the name placeholder.
    expect(await page.locator('[data-testid="backup-tile"][data-blob-id="' + blob(3) + '"] .backup-placeholder').textContent()).toContain('DSC00913.ARW');
    expect(await page.locator('[data-testid="backup-tile"][data-blob-id="' + blob(2) + '"] .backup-placeholder').count()).toBe(1);
    expect(early.some((c) => c.args['blobId'] === blob(2))).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'backups.png') });

    // Scrolling down brings the rest of the page's thumbnails.
    await page.getByTestId('backup-tile').last().scrollIntoViewIfNeeded();
    await page.waitForFunction((n) => (window as unknown as { __calls: Call[] }).__calls.filter((c) => c.method === 'thumbnail').length > n, early.length);
    const srcs = await page.locator('.backup-thumb img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src));
    expect(srcs.every((s) => s.startsWith('data:image/png;base64,'))).toBe(true);

    // Next page, then a filter: each asks the core for exactly that.
    await page.getByTestId('backups-next').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="backups-range"]')?.textContent === '49–60 of 60');
    expect(await page.getByTestId('backup-tile').count()).toBe(BACKUPS - PAGE_SIZE);
    await page.getByTestId('backups-filter-pending').click();
    expect(await page.getByTestId('backups-filter-pending').getAttribute('aria-pressed')).toBe('true');
    await page.waitForFunction(() => document.querySelector('[data-testid="backups-total"]')?.textContent === '20 backups pending');
    const states = await page.getByTestId('backup-tile').evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-state')));
    expect(new Set(states)).toEqual(new Set(['pending', 'placing']));
    expect((await calls(page, 'backups')).at(-1)?.args).toEqual({ filter: 'pending', offset: 0, limit: PAGE_SIZE });
    expect(problems).toEqual([]);
  });

  it('refreshes when a replica is placed', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/backups`);
    const tile = page.locator(`[data-testid="backup-tile"][data-blob-id="${blob(3)}"]`);
    await tile.waitFor();
    expect(await tile.getByTestId('backup-replicas').textContent()).toBe('0/2 holders');
    await page.evaluate((id) => (window as unknown as { __place: (id: string) => void }).__place(id), blob(3));
    await emit(page, 'blob:placed', { blobId: blob(3), replicas: 2 });
    await page.waitForFunction((id) => document.querySelector(`[data-blob-id="${id}"] [data-testid="backup-replicas"]`)?.textContent === '2/2 holders', blob(3));
    expect(await tile.getByTestId('backup-state').textContent()).toBe('On holders');
    expect(problems).toEqual([]);
  });
});

describe('Deliveries', () => {
  it('follows delivery:progress events to done, with rate and time left, and says when it stalls', async () => {
    const { page, problems } = await openPage({ fakeClock: true });
    await page.goto(`${base}#/deliveries`);
    const row = page.locator(`[data-testid="delivery-row"][data-blob-id="${blob(1)}"]`);
    await row.waitFor();
    const bar = row.getByTestId('delivery-progress');
    expect(await bar.getAttribute('role')).toBe('progressbar');
    expect(await bar.getAttribute('aria-valuenow')).toBe('0');
    expect(await page.getByTestId('deliveries-home').getAttribute('data-home')).toBe('false');

    await emit(page, 'delivery:progress', { blobId: blob(1), sent: 1_000_000, size: 20_000_000 });
    await page.clock.runFor(1_000);
    await emit(page, 'delivery:progress', { blobId: blob(1), sent: 2_000_000, size: 20_000_000 });
    await page.clock.runFor(1_000);
    await page.waitForFunction((id) => document.querySelector(`[data-blob-id="${id}"] [data-testid="delivery-progress"]`)?.getAttribute('aria-valuenow') === '10', blob(1));
    expect(await row.getByTestId('delivery-rate').textContent()).toBe('1.0 MB/s');
    expect(await row.getByTestId('delivery-eta').textContent()).toBe('18 s left');
    expect(await bar.getAttribute('aria-valuetext')).toBe('10%, 2.0 MB of 20 MB');

    // No event for a while: stalled, and no promise of a time left.
    await page.clock.runFor(7_000);
    await page.waitForFunction((id) => document.querySelector(`[data-blob-id="${id}"] [data-testid="delivery-rate"]`)?.textContent === 'stalled', blob(1));
    expect(await row.getByTestId('delivery-eta').count()).toBe(0);

    await emit(page, 'delivery:progress', { blobId: blob(1), sent: 20_000_000, size: 20_000_000 });
    await page.clock.runFor(500);
    await page.waitForFunction((id) => document.querySelector(`[data-blob-id="${id}"] [data-testid="delivery-progress"]`)?.getAttribute('aria-valuenow') === '100', blob(1));
    await page.evaluate((id) => (window as unknown as { __deliver: (id: string) => void }).__deliver(id), blob(1));
    await emit(page, 'delivery:delivered', { blobId: blob(1), source: 'outbox', target: 'https://nas.lan:8443', uploaded: 20_000_000 });
    await page.clock.runFor(1_000);
    await page.waitForFunction((id) => document.querySelector(`[data-testid="delivery-row"][data-blob-id="${id}"]`)?.getAttribute('data-state') === 'delivered', blob(1));
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    expect(problems).toEqual([]);
  });

  it('shows an error in plain words with Retry, and asks for a pass with Deliver now', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/deliveries`);
    const failed = page.locator(`[data-testid="delivery-row"][data-blob-id="${blob(3)}"]`);
    await failed.waitFor();
    expect(await failed.getByTestId('delivery-error').textContent()).toContain('could not be reached: check that it runs');
    expect(await failed.getByTestId('delivery-error').textContent()).toContain('(3 attempts so far.)');
    await failed.getByRole('button', { name: `Retry delivery of blob ${blob(3).slice(0, 12)}` }).click();
    await page.waitForFunction(() => (window as unknown as { __calls: Call[] }).__calls.some((c) => c.method === 'retryDelivery'));
    expect((await calls(page, 'retryDelivery')).map((c) => c.args)).toEqual([{ blobId: blob(3) }]);
    await page.getByTestId('deliver-now').click();
    await page.waitForFunction(() => (window as unknown as { __calls: Call[] }).__calls.some((c) => c.method === 'deliverNow'));
    expect(await page.getByTestId('delivery-destination').count()).toBe(2);
    await page.screenshot({ path: join(SHOTS, 'deliveries.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe('Settings', () => {
  it('saves the disk cap once, when the slider rests, with the value it shows', async () => {
    const { page, problems } = await openPage({ fakeClock: true });
    await page.goto(`${base}#/settings`);
    const slider = page.getByTestId('disk-cap-slider');
    await slider.waitFor();
    expect(await page.getByLabel(/Hold up to/).getAttribute('type')).toBe('range');
    expect(await page.getByTestId('disk-cap-caption').textContent()).toContain('The floor keeps 50 GB free');
    expect(await page.getByTestId('disk-cap-caption').textContent()).toContain('132 GB');
    await slider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    const shown = Number(await slider.getAttribute('data-bytes'));
    // Five 1 GB steps up from 20 GB (the slider's 132 GB range in at most 200 round steps).
    expect(shown).toBe(25e9);
    expect(await page.getByTestId('disk-cap-value').textContent()).toBe('25 GB');
    expect(await calls(page, 'setCaps')).toEqual([]);
    await page.clock.runFor(600);
    await page.waitForFunction(() => document.querySelector('[data-testid="disk-cap-status"]')?.getAttribute('data-kind') === 'done');
    expect((await calls(page, 'setCaps')).map((c) => c.args)).toEqual([{ diskBytes: shown }]);
    expect(problems).toEqual([]);
  });

  it('checks limits in place, sends only what changed, and shows the core refusing one', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/settings`);
    await page.getByTestId('limits-form').waitFor();
    await page.getByLabel('Upload cap').fill('fast');
    await page.getByLabel('Holders for each of my files').fill('3');
    await page.getByTestId('limits-save').click();
    expect(await page.getByTestId('limit-up-error').textContent()).toContain('5MB/s');
    expect(await page.getByLabel('Upload cap').getAttribute('aria-invalid')).toBe('true');
    expect(await calls(page, 'setCaps')).toEqual([]);

    await page.getByLabel('Upload cap').fill('5MB/s');
    await page.getByTestId('limits-save').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="limits-status"]')?.textContent === 'Saved.');
    expect((await calls(page, 'setCaps')).map((c) => c.args)).toEqual([{ upBytesPerSec: 5_000_000, replicas: 3 }]);
    expect(await page.getByLabel('Upload cap').inputValue()).toBe('5.0 MB/s');
    expect(await page.getByTestId('limit-up-error').count()).toBe(0);

    await page.getByLabel('Always keep free (floor)').fill('400GB');
    await page.getByTestId('limits-save').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="limits-status"]')?.getAttribute('data-kind') === 'error');
    expect(await page.getByTestId('limits-status').textContent()).toBe('The floor is more than this disk has free: change it and try again.');
    expect(await page.getByTestId('limits-status').getAttribute('role')).toBe('alert');
    expect(problems).toEqual([]);
  });

  it('marks this network as home, removes a home, imports a card, and shows QR codes as images', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}#/settings`);
    await page.getByTestId('mark-home').waitFor();
    expect(await page.getByTestId('current-network').textContent()).toContain('“VenueConf-Guest”');
    await page.getByLabel('Name for it (optional)').fill('Venue');
    await page.getByTestId('mark-home').click();
    await page.getByTestId('is-home').waitFor();
    expect((await calls(page, 'markHome')).map((c) => c.args)).toEqual([{ label: 'Venue' }]);
    expect(await page.getByTestId('home-network').count()).toBe(2);
    await page.getByRole('button', { name: 'Remove home network Flat' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="home-network"]').length === 1);
    expect((await calls(page, 'removeHome')).map((c) => c.args)).toEqual([{ id: 1 }]);

    const input = page.getByLabel('Import a destination card');
    await input.fill('hello');
    await page.getByTestId('import-card').click();
    expect(await page.getByTestId('import-card-error').textContent()).toContain('starts with inswarm://');
    expect(await calls(page, 'importCard')).toEqual([]);
    await input.fill('inswarm://bad');
    await page.getByTestId('import-card').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="import-card-error"]')?.textContent?.includes('not a destination card') === true);
    await input.fill('inswarm://ok-b2');
    await page.getByTestId('import-card').click();
    await page.getByTestId('import-card-done').waitFor();
    expect(await page.getByTestId('import-card-done').textContent()).toBe('Imported “b2”.');
    expect((await calls(page, 'importCard')).at(-1)?.args).toEqual({ link: 'inswarm://ok-b2', makeDefault: false });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="destination"]').length === 2);

    await page.getByTestId('destination-qr-toggle').first().click();
    await page.getByTestId('destination-card-qr').waitFor();
    const asked = (await calls(page, 'destinationCard')).map((c) => c.args);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((a) => a['label'] === 'home')).toBe(true);
    for (const id of ['destination-card-qr', 'settings-device-card-qr']) {
      const src = await page.getByTestId(id).getAttribute('src');
      expect(src?.startsWith('data:image/svg+xml')).toBe(true);
      // The image really decodes (a broken SVG would show as a torn icon).
      expect(await page.getByTestId(id).evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    }
    await page.screenshot({ path: join(SHOTS, 'settings.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe('all three views', () => {
  it('render in the dark theme and in a narrow window without errors or sideways scrolling', async () => {
    const { page, problems } = await openPage({ width: 420, colorScheme: 'dark' });
    for (const id of ['backups', 'deliveries', 'settings']) {
      await page.goto(`${base}#/${id}`);
      await page.getByTestId(`view-${id}`).waitFor();
      await page.waitForFunction(() => document.querySelector('.state-loading') === null && document.querySelector('.view-head + *') !== null);
      expect(await page.getByTestId('view-crash').count()).toBe(0);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, `${id}-narrow-dark.png`), fullPage: true });
    }
    expect(problems).toEqual([]);
  });
});

/** The blob ID of fixture `n` (64 hex characters). */
function blob(n: number): string {
  return n.toString(16).padStart(2, '0').repeat(32);
}

/**
 * Runs in the page before its scripts: a stand-in for the Electron preload (`window.inswarm`) that
 * answers from fixtures, records calls in `window.__calls`, and lets the test push core events
 * (`__emit`) and change the core's state (`__place`, `__deliver`).
 */
function installStub(config: { backups: number; qrSvg: string }): void {
  const w = window as unknown as Record<string, unknown>;
  const now = Date.now();
  const GB = 1e9;
  const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
  const hex = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);
  const calls: { method: string; args: unknown }[] = [];
  const listeners = new Set<(m: { event: string; payload: unknown }) => void>();
  w['__calls'] = calls;
  w['__emit'] = (event: string, payload: unknown): void => {
    for (const l of listeners) l({ event, payload });
  };

  const names = ['IMG_2041.HEIC', 'IMG_2042.JPG', 'DSC00913.ARW', 'VID_0007.MOV', 'IMG_2043.JPG', 'notes.pdf', 'IMG_2044.JPG', 'IMG_2045.JPG', 'IMG_2046.HEIC', 'IMG_2047.JPG', 'IMG_2048.JPG', 'IMG_2049.JPG'];
  const states = ['placed', 'placed', 'sealed', 'placing', 'delivered', 'sealed', 'placed', 'lost', 'delivered', 'placed', 'sealed', 'placed'];
  const backups = Array.from({ length: config.backups }, (_, i) => {
    const state = states[i % states.length]!;
    const name = names[i % names.length]!;
    return {
      blobId: hex(i + 1),
      name,
      fileCount: i % 7 === 3 ? 2 : 1,
      size: 2_400_000 + i * 310_000,
      capturedAt: now - i * 3_600_000,
      createdAt: now - i * 3_500_000,
      state,
      replicas: state === 'placed' || state === 'delivered' ? 2 : state === 'placing' ? 1 : 0,
      wanted: 2,
      destination: 'home',
      hasThumbnail: !/\.(pdf|ARW)$/.test(name),
    };
  });
  w['__place'] = (id: string): void => {
    const b = backups.find((x) => x.blobId === id);
    if (b !== undefined) Object.assign(b, { state: 'placed', replicas: 2 });
  };

  const caps = { diskBytes: 20 * GB, floorBytes: 50 * GB, originShare: 0.25, retentionMs: 12 * 3_600_000, upBytesPerSec: null as number | null, downBytesPerSec: 5e6, replicas: 2, deliverBytesPerSec: null, deliveries: 2 };
  let home: string | null = null;
  let homes = [{ id: 1, label: 'Flat', ssid: 'Hearth-5G', gatewayMac: 'a0:b1:c2:d3:e4:f5' }];
  const destinations = [{ label: 'home', recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', kind: 'receiver', where: 'https://nas.lan:8443', isDefault: true }];
  const settings = () => ({
    deviceId: 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZLTM-NZ5GOSS-BMVHAZW-LQNFX5A',
    caps: { ...caps },
    volume: { freeBytes: 182 * GB, totalBytes: 512 * GB },
    homes,
    network: { ssid: 'VenueConf-Guest', gatewayMac: '3c:a6:2f:11:22:33', home },
    destinations: [...destinations],
  });

  const row = (n: number, over: Record<string, unknown>) => ({ blobId: hex(n), source: 'outbox', destination: 'home', target: 'https://nas.lan:8443', state: 'pending', size: 2_000_000, bytesSent: 0, attempts: 0, lastError: null, nextAttemptAt: null, updatedAt: now, ...over });
  const rows = [
    row(1, { state: 'uploading', size: 20_000_000, attempts: 1 }),
    row(2, { source: 'held', destination: 'someone', state: 'uploading', size: 12_000_000, bytesSent: 9_000_000, attempts: 1 }),
    row(3, { state: 'failed', size: 3_000_000, attempts: 3, lastError: 'The receiver at nas.lan:8443 could not be reached: check that it runs and that this network can reach it.', nextAttemptAt: now + 240_000 }),
    row(4, {}),
  ];
  w['__deliver'] = (id: string): void => {
    const r = rows.find((x) => x.blobId === id);
    if (r !== undefined) Object.assign(r, { state: 'delivered', bytesSent: r.size });
  };

  const fail = (code: string, message: string) => Object.assign(new Error(message), { code });
  const handlers: Record<string, (a: Record<string, unknown>) => unknown> = {
    overview: () => ({ deviceId: 'X', name: 'ana-laptop', network: null, peersLinked: 0, peersSeen: 0, discoveryWarning: null, caps, volume: { freeBytes: 182 * GB, totalBytes: 512 * GB }, held: { bytes: 0, count: 0, origins: 0 }, mine: { pending: 0, placed: 0, delivered: 0, bytes: 0 }, rates: { upBps: 0, downBps: 0, deliverBps: 0 }, deliveries: [] }),
    backups: (a) => {
      const f = a['filter'];
      const list = backups.filter((b) => f === 'all' || (f === 'pending' ? b.state === 'sealed' || b.state === 'placing' : b.state === f));
      const offset = Number(a['offset']);
      return { total: list.length, offset, rows: list.slice(offset, offset + Number(a['limit'])) };
    },
    // Fixture 2's "thumbnail" is a link: the view must not load it.
    thumbnail: (a) => ({ dataUrl: a['blobId'] === hex(2) ? 'https://tracker.example/pixel.png' : PNG }),
    deliveries: () => ({
      home: home !== null,
      running: false,
      totals: [
        { state: 'uploading', count: 2, bytes: 32e6 },
        { state: 'pending', count: 1, bytes: 2e6 },
        { state: 'failed', count: 1, bytes: 3e6 },
      ],
      rows: rows.map((r) => ({ ...r })),
      destinations: [
        { label: 'home', kind: 'receiver', pending: 3, pendingBytes: 25e6, delivered: 31 },
        { label: 'someone', kind: 'receiver', pending: 1, pendingBytes: 12e6, delivered: 0 },
      ],
    }),
    deliverNow: () => null,
    retryDelivery: () => null,
    settings,
    setCaps: (a) => {
      if (typeof a['floorBytes'] === 'number' && a['floorBytes'] > 182 * GB) throw fail('E_USAGE', 'The floor is more than this disk has free: change it and try again.');
      Object.assign(caps, a);
      return { ...caps };
    },
    markHome: (a) => {
      home = typeof a['label'] === 'string' ? a['label'] : 'VenueConf-Guest';
      homes = [...homes, { id: 2, label: home, ssid: 'VenueConf-Guest', gatewayMac: '3c:a6:2f:11:22:33' }];
      return settings();
    },
    removeHome: (a) => {
      homes = homes.filter((h) => h.id !== a['id']);
      return settings();
    },
    importCard: (a) => {
      if (!String(a['link']).startsWith('inswarm://ok')) throw fail('E_BAD_CARD', 'This inswarm:// link is not a destination card: copy it again from the receiver.');
      destinations.push({ label: 'b2', recipient: 'age1zzz3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcabcd', kind: 's3', where: 's3://photos-inbox/', isDefault: false });
      return settings();
    },
    destinationCard: (a) => ({ text: `inswarm://card?label=${String(a['label'])}`, svg: config.qrSvg }),
    deviceCard: () => ({ text: 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZLTM-NZ5GOSS-BMVHAZW-LQNFX5A', svg: config.qrSvg }),
  };
  w['inswarm'] = {
    call: async (method: string, args: unknown) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ method, args: a });
      const handler = handlers[method];
      if (handler === undefined) return { ok: false, code: 'E_USAGE', message: `No method ${method}.` };
      try {
        return { ok: true, result: handler(a) };
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
