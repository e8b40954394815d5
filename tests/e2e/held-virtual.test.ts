// The held list at 10,000 rows, end to end: a real node whose ledger holds 10,000 replicas (with
// their blob files, so start-up keeps them), its window in real Chromium. Scrolled from top to
// bottom with the mouse wheel, the table never has 200 rows in the DOM, and its last row shows
// the last blob (the oldest: the list is newest first).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchBrowser, openApp, screenshot, showView, uiUrlOf } from '../helpers/browser.js';
import { startNode } from '../helpers/node-proc.js';
import { inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { seedHeld, seededBlobId } from './seed-held.js';

const ROWS = 10_000;
/** What "virtualized" promises: a window of rows, never the list. */
const MAX_DOM_ROWS = 200;
/** Pixels per wheel step: a few screens, so the walk to the end is 50-odd steps. */
const WHEEL_PX = 8_000;

describe('Held for others: 10,000 rows', () => {
  it('keeps fewer than 200 rows in the DOM while scrolling to the end, and ends on the last blob', { timeout: 120_000 }, async () => {
    const data = join(await tempDir('inswarm-e2e-held'), 'node');
    await inswarmOk(['id'], data);
    seedHeld(data, ROWS);

    const node = startNode(data, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'holder']);
    await node.waitFor('Open the app:');
    // Start-up kept every row (a reconcile that lost them would say so).
    expect(node.output()).not.toMatch(/missing blob\(s\) marked lost/);
    const browser = await launchBrowser();
    const page = await openApp(browser, uiUrlOf(node.output()));
    await showView(page, 'held');
    await expect.poll(() => page.getByTestId('held-totals').textContent(), { timeout: 20_000 }).toContain('10,000');
    const rows = page.getByTestId('held-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    // The newest blob first.
    await page.locator(`[data-testid="held-row"][data-index="0"] code[title="${seededBlobId(0)}"]`).waitFor();

    const body = page.locator('[data-testid="held-table"] [role="rowgroup"].vt-body');
    const box = await body.boundingBox();
    if (box === null) throw new Error('the held table body is not visible');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const counts: number[] = [];
    let atEnd = false;
    for (let step = 0; step < 200 && !atEnd; step++) {
      await page.mouse.wheel(0, WHEEL_PX);
      // Let the scroll land and React render the new window.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      const n = await rows.count();
      counts.push(n);
      expect(n, `rows in the DOM after wheel step ${step + 1}`).toBeLessThan(MAX_DOM_ROWS);
      expect(n, `rows in the DOM after wheel step ${step + 1}`).toBeGreaterThan(0);
      atEnd = await body.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 1);
    }
    expect(atEnd).toBe(true);
    expect(counts.length).toBeGreaterThan(10);

    // The last row is the last blob, loaded (not a placeholder), and in view.
    const last = page.locator(`[data-testid="held-row"][data-index="${ROWS - 1}"]`);
    await last.locator(`code[title="${seededBlobId(ROWS - 1)}"]`).waitFor({ timeout: 20_000 });
    expect(await last.getAttribute('aria-rowindex')).toBe(String(ROWS + 1));
    expect(await last.isVisible()).toBe(true);
    expect(await rows.count()).toBeLessThan(MAX_DOM_ROWS);
    await screenshot(page, 'e2e-held-10000-end');

    browser.assertNoErrors();
    await browser.close();
    expect(await node.stop()).toBe(0);
  });
});
