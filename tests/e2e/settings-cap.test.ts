// The disk cap slider, end to end: in a real holder's window (headless bridge, real Chromium) a
// person moves the "Donated disk" slider down with the keyboard; the running core takes the new
// cap and refuses the next offer from a linked origin, which records the holder's decline. Moved
// back up, the next (smaller) offer is accepted and shows in the held list.

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataLayout } from '../../src/main/core/data-dir.js';
import { Ledger } from '../../src/main/core/ledger/ledger.js';
import { launchBrowser, openApp, screenshot, showView, uiUrlOf } from '../helpers/browser.js';
import { eventually, freePort, startNode } from '../helpers/node-proc.js';
import { inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

interface Caps {
  diskBytes: number;
}
interface HeldItem {
  blobId: string;
  state: string;
}

/** Whatever the origin's ledger records about offers of `blobId` (opened read-side while the node runs). */
function placementsOf(data: string, blobId: string): { holderId: string; state: string }[] {
  const ledger = Ledger.open(dataLayout(data).ledger);
  try {
    return ledger.placementsOf(blobId);
  } finally {
    ledger.close();
  }
}

describe('Settings: the disk cap slider', () => {
  it('moved to 0 makes the core decline the next offer; moved back up lets the next one in', { timeout: 120_000 }, async () => {
    const work = await tempDir('inswarm-e2e-cap');
    const [origin, holder] = [join(work, 'origin'), join(work, 'holder')];
    const [recipient, holderId] = await Promise.all([inswarmOk(['keygen', '--out', join(work, 'key.txt')], origin), inswarmOk(['id'], holder)]);
    await inswarmOk(['dest', 'set', recipient], origin);
    await inswarmOk(['caps', 'set', '--replicas', '1'], origin);

    const holderPort = await freePort();
    const h = startNode(holder, ['--listen', `127.0.0.1:${holderPort}`, '--no-mdns', '--name', 'holder']);
    const o = startNode(origin, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'origin', '--no-ui', '--peer', `127.0.0.1:${holderPort}`]);
    await Promise.all([h.waitFor('Open the app:'), o.waitFor('Listening for peers')]);
    await eventually(async () => (JSON.parse(await inswarmOk(['status', '--json'], origin)) as { running: { linked: unknown[] } | null }).running?.linked.length === 1, 30_000, 'the origin to link with the holder');

    const browser = await launchBrowser();
    const page = await openApp(browser, uiUrlOf(h.output()));
    await showView(page, 'settings');
    const slider = page.getByTestId('disk-cap-slider');
    // The default cap (a share of the free space, so it drifts with the disk) is well above 3 MB.
    expect(Number(await slider.getAttribute('data-bytes'))).toBeGreaterThan(10_000_000);

    // Down to nothing with the keyboard, as a person can (Home, then Enter to save at once).
    await slider.focus();
    await slider.press('Home');
    await slider.press('Enter');
    await expect.poll(() => page.getByTestId('disk-cap-status').textContent(), { timeout: 10_000 }).toMatch(/Saved: donating up to 0 B/);
    expect(await page.getByTestId('disk-cap-value').textContent()).toBe('0 B');
    await screenshot(page, 'e2e-settings-cap-zero');
    expect((JSON.parse(await inswarmOk(['caps', 'show', '--json'], holder)) as Caps).diskBytes).toBe(0);

    // The origin offers 3 MB: the holder declines it and keeps nothing of it.
    const big = join(work, 'big.bin');
    await writeFile(big, randomBytes(3_000_000));
    const first = (await inswarmOk(['add', big], origin)).split('\t')[0]!;
    await eventually(async () => placementsOf(origin, first).some((p) => p.holderId === holderId && p.state === 'declined'), 30_000, 'the holder to decline the offer');
    expect(placementsOf(origin, first).some((p) => p.state === 'stored' || p.state === 'sending')).toBe(false);
    const heldAfterDecline = JSON.parse(await inswarmOk(['held', '--json'], holder)) as HeldItem[];
    expect(heldAfterDecline.map((r) => r.blobId)).not.toContain(first);

    // Back up to the most the slider offers (End): the next offer, smaller than the declined one
    // (the origin now believes the holder has less than 3 MB free), is accepted and listed.
    await slider.focus();
    await slider.press('End');
    await slider.press('Enter');
    await expect.poll(async () => Number(await slider.getAttribute('data-bytes')), { timeout: 10_000 }).toBeGreaterThan(10_000_000);
    await expect.poll(() => page.getByTestId('disk-cap-status').textContent(), { timeout: 10_000 }).toMatch(/^Saved/);
    expect((JSON.parse(await inswarmOk(['caps', 'show', '--json'], holder)) as Caps).diskBytes).toBeGreaterThan(10_000_000);
    const small = join(work, 'small.bin');
    await writeFile(small, randomBytes(1_000_000));
    const second = (await inswarmOk(['add', small], origin)).split('\t')[0]!;
    await eventually(async () => placementsOf(origin, second).some((p) => p.holderId === holderId && p.state === 'stored'), 30_000, 'the holder to accept the smaller offer');

    await showView(page, 'held');
    const row = page.locator(`[data-testid="held-row"]:has(code[title="${second}"])`);
    await row.waitFor({ timeout: 15_000 });
    browser.assertNoErrors();
    await browser.close();
    expect(await o.stop()).toBe(0);
    expect(await h.stop()).toBe(0);
  });
});
