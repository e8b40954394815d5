// Every view of a real node's window, in light and in dark, saved to test-output/screenshots/
// (not committed). The node is "ana-laptop" at a small venue of three linked nodes with a home
// receiver: 6 of her photos already delivered (with "Deliver now"), 4 more on 2 holders, and
// copies she holds for the two others. Each view must render without a page error, without a
// crash boundary, and with its content (not a spinner) before its picture is taken.
//
// With INSWARM_UPDATE_DOCS_SCREENSHOTS=1 the README's curated screenshots (docs/*.png) are
// replaced by this run's; otherwise docs/ is left alone.

import { copyFile, mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatusView } from '../../src/shared/status.js';
import { ROOT, SCREENSHOT_DIR, VIEW_IDS, launchBrowser, openApp, screenshot, showView, uiUrlOf, type UiBrowser, type ViewId } from '../helpers/browser.js';
import { eventually, freePort, startInswarm, startNode, type NodeProc } from '../helpers/node-proc.js';
import { inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
// @ts-expect-error: a plain ES module without type declarations
import { makePhoto } from '../../scripts/demo.mjs';

/** The README's pictures: view and scheme → docs/<file>. */
const CURATED: readonly { view: ViewId; scheme: 'light' | 'dark'; file: string }[] = [
  { view: 'overview', scheme: 'light', file: 'screenshot-overview.png' },
  { view: 'held', scheme: 'light', file: 'screenshot-held.png' },
  { view: 'backups', scheme: 'light', file: 'screenshot-backups.png' },
  { view: 'deliveries', scheme: 'light', file: 'screenshot-deliveries.png' },
  { view: 'settings', scheme: 'light', file: 'screenshot-settings.png' },
  { view: 'backups', scheme: 'dark', file: 'screenshot-backups-dark.png' },
];

interface Venue {
  readonly nodes: { name: string; data: string; proc: NodeProc }[];
  readonly work: string;
}

const status = async (data: string): Promise<NodeStatusView> => JSON.parse(await inswarmOk(['status', '--json'], data)) as NodeStatusView;

/** Writes `count` photos named IMG_<first…>.JPG with EXIF dates in June 2026 and returns their paths. */
async function photos(dir: string, first: number, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = first; i < first + count; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const path = join(dir, `IMG_${2000 + i}.JPG`);
    await writeFile(path, makePhoto(i, `2026:06:${day} 1${i % 10}:15:00`) as Buffer);
    const when = new Date(`2026-06-${day}T1${i % 10}:15:00Z`);
    await utimes(path, when, when);
    paths.push(path);
  }
  return paths;
}

let venue: Venue;
let browser: UiBrowser;
let page: Page;

beforeAll(async () => {
  const work = await tempDir('inswarm-e2e-shots');
  const receiverData = join(work, 'receiver');
  const key = join(work, 'key.txt');
  const recipient = await inswarmOk(['keygen', '--out', key], receiverData);
  const receiverId = await inswarmOk(['id'], receiverData);
  const receiverPort = await freePort();
  const names = ['ana-laptop', 'ben-laptop', 'chloe-laptop'];
  const ports = [await freePort(), await freePort(), await freePort()];
  // Each node's destination and identity, at once where they touch different folders.
  const datas = names.map((name) => join(work, name));
  // (Enrolments one after the other: they write the receiver's one ledger.)
  await Promise.all(datas.map((data) => inswarmOk(['dest', 'create', 'home', '--recipient', recipient, '--receiver', `https://127.0.0.1:${receiverPort}`, '--receiver-id', receiverId, '--default'], data)));
  const ids = await Promise.all(datas.map((data) => inswarmOk(['id'], data)));
  for (const [i, id] of ids.entries()) await inswarmOk(['receive', 'enroll', id, '--label', names[i]!], receiverData);
  const nodes: Venue['nodes'] = names.map((name, i) => {
    const peers = ports.slice(0, i).flatMap((p) => ['--peer', `127.0.0.1:${p}`]);
    const ui = i === 0 ? [] : ['--no-ui'];
    return { name, data: datas[i]!, proc: startNode(datas[i]!, ['--listen', `127.0.0.1:${ports[i]}`, '--no-mdns', '--name', name, ...peers, ...ui]) };
  });
  const receiver = startInswarm(receiverData, ['receive', '--library', join(work, 'Photos'), '--identity', key, '--listen', `127.0.0.1:${receiverPort}`]);
  await receiver.waitFor('Receiver ID');
  // The address is printed last, after "Listening for peers".
  await Promise.all(nodes.map((n, i) => n.proc.waitFor(i === 0 ? 'Open the app:' : 'Listening for peers')));
  await eventually(async () => (await Promise.all(nodes.map(async (n) => (await status(n.data)).running?.linked.length === 2))).every(Boolean), 30_000, 'the three nodes to link');
  venue = { nodes, work };
  browser = await launchBrowser();
  page = await openApp(browser, uiUrlOf(nodes[0]!.proc.output()));
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** Waits until the view shows its content: no spinner, no crash boundary, images decoded. */
async function settle(view: ViewId): Promise<void> {
  const main = page.getByTestId(`view-${view}`);
  await expect.poll(() => main.locator('.state-loading').count(), { timeout: 15_000 }).toBe(0);
  expect(await page.getByTestId('view-crash').count(), `the ${view} view crashed`).toBe(0);
  await page.waitForFunction(() => [...document.images].every((img) => img.complete));
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

describe('screenshots of every view', () => {
  it('builds the scene: photos delivered, photos on holders, copies held for others', { timeout: 120_000 }, async () => {
    const [ana, ben, chloe] = venue.nodes as [Venue['nodes'][0], Venue['nodes'][0], Venue['nodes'][0]];
    await inswarmOk(['add', ...(await photos(join(venue.work, 'camera-ana'), 1, 6))], ana.data);
    await eventually(async () => (await status(ana.data)).placed === 6, 60_000, 'ana’s first 6 photos on 2 holders');
    await showView(page, 'deliveries');
    await page.getByTestId('deliver-now').click();
    await eventually(async () => (await status(ana.data)).outbox.find((r) => r.state === 'delivered')?.count === 6, 60_000, 'ana’s 6 photos delivered');

    // Watched from the Overview, so its transfer chart draws the placements that follow.
    await showView(page, 'overview');
    await inswarmOk(['add', ...(await photos(join(venue.work, 'camera-ana'), 7, 4))], ana.data);
    await inswarmOk(['add', ...(await photos(join(venue.work, 'camera-ben'), 20, 5))], ben.data);
    await inswarmOk(['add', ...(await photos(join(venue.work, 'camera-chloe'), 30, 3))], chloe.data);
    await eventually(async () => (await Promise.all([ana, ben, chloe].map(async (n) => (await status(n.data)).placed))).join() === '4,5,3', 60_000, 'every new photo on 2 holders');
    const held = (await status(ana.data)).held.find((r) => r.state === 'held')?.count ?? 0;
    expect(held).toBe(8);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`every view in ${scheme}`, { timeout: 60_000 }, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      for (const view of VIEW_IDS) {
        await showView(page, view);
        await settle(view);
        if (view === 'backups') await expect.poll(() => page.locator('[data-testid="backup-tile"] img').count(), { timeout: 15_000 }).toBe(10);
        if (view === 'held') await expect.poll(() => page.getByTestId('held-row').count(), { timeout: 15_000 }).toBe(8);
        if (view === 'deliveries') await expect.poll(() => page.locator('[data-testid="delivery-row"][data-state="delivered"]').count(), { timeout: 15_000 }).toBe(6);
        if (view === 'peers') await expect.poll(() => page.getByTestId('peer-linked-row').count(), { timeout: 15_000 }).toBe(2);
        await screenshot(page, `${view}-${scheme}`);
      }
      browser.assertNoErrors();
    });
  }

  it.runIf(process.env['INSWARM_UPDATE_DOCS_SCREENSHOTS'] === '1')('replaces the curated screenshots in docs/', async () => {
    await mkdir(join(ROOT, 'docs'), { recursive: true });
    for (const c of CURATED) await copyFile(join(SCREENSHOT_DIR, `${c.view}-${c.scheme}.png`), join(ROOT, 'docs', c.file));
  });
});
