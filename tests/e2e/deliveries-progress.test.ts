// A delivery's progress bar, end to end: a real node with one 24 MB blob for a real home receiver
// on 127.0.0.1 (enrolled, pinned by its card), a delivery cap of 5 MB/s so the upload takes a few
// seconds; in the Deliveries view a person presses "Deliver now" and the row's progress bar
// (role=progressbar) is seen part-way and then at 100 % with the row "delivered", and the file is
// in the receiver's library, byte for byte.

import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchBrowser, openApp, screenshot, showView, uiUrlOf } from '../helpers/browser.js';
import { freePort, startInswarm, startNode } from '../helpers/node-proc.js';
import { inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const BLOB_BYTES = 24 * 1024 * 1024;

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('Deliveries: a transfer’s progress bar', () => {
  it('moves while "Deliver now" uploads a blob and reaches 100 % with the row delivered', { timeout: 120_000 }, async () => {
    const work = await tempDir('inswarm-e2e-deliver');
    const node = join(work, 'node');
    const receiverData = join(work, 'receiver');
    const library = join(work, 'Photos');
    const key = join(work, 'key.txt');
    // Two data folders made side by side (each command is a process).
    const [recipient, originId] = await Promise.all([inswarmOk(['keygen', '--out', key], receiverData), inswarmOk(['id'], node)]);
    const receiverId = await inswarmOk(['id'], receiverData);
    await inswarmOk(['receive', 'enroll', originId, '--label', 'laptop'], receiverData);
    const port = await freePort();
    const receiver = startInswarm(receiverData, ['receive', '--library', library, '--identity', key, '--listen', `127.0.0.1:${port}`]);
    await receiver.waitFor('Receiver ID');

    await inswarmOk(['dest', 'create', 'home', '--recipient', recipient, '--receiver', `https://127.0.0.1:${port}`, '--receiver-id', receiverId, '--default'], node);
    const content = randomBytes(BLOB_BYTES);
    const file = join(work, 'clip.mp4');
    await Promise.all([inswarmOk(['caps', 'set', '--deliver', '5MB/s'], node), writeFile(file, content)]);
    const blobId = (await inswarmOk(['add', file], node)).split('\t')[0]!;

    const n = startNode(node, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'laptop']);
    await n.waitFor('Open the app:');
    const browser = await launchBrowser();
    const page = await openApp(browser, uiUrlOf(n.output()));
    await showView(page, 'deliveries');
    await page.getByTestId('deliveries-home').waitFor();
    expect(await page.getByTestId('deliveries-home').getAttribute('data-home')).toBe('false');

    // Every value the row's bar shows, recorded in the page as it renders (no polling gaps).
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seenProgress: number[] }).seenProgress = seen;
      const record = (): void => {
        for (const bar of document.querySelectorAll('[data-testid="delivery-progress"]')) {
          const v = Number(bar.getAttribute('aria-valuenow'));
          if (seen[seen.length - 1] !== v) seen.push(v);
        }
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });

    await page.getByTestId('deliver-now').click();
    const row = page.locator(`[data-testid="delivery-row"][data-blob-id="${blobId}"]`);
    await row.waitFor({ timeout: 20_000 });
    // Part-way: a bar strictly between 0 and 100 while the upload runs.
    await page.waitForFunction(() => (window as unknown as { seenProgress: number[] }).seenProgress.some((v) => v > 0 && v < 100), undefined, { timeout: 30_000 });
    await screenshot(page, 'e2e-deliveries-progress');
    await row.locator('[data-testid="delivery-progress"][aria-valuenow="100"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('delivered');
    const seen = await page.evaluate(() => (window as unknown as { seenProgress: number[] }).seenProgress);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    expect(seen[seen.length - 1]).toBe(100);
    // The bar never went backwards within the one attempt.
    const firstMoving = seen.findIndex((v) => v > 0);
    for (let i = firstMoving + 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    await screenshot(page, 'e2e-deliveries-done');

    const delivered = await filesUnder(library);
    expect(delivered).toHaveLength(1);
    expect(createHash('sha256').update(await readFile(delivered[0]!)).digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
    browser.assertNoErrors();
    await browser.close();
    expect(await n.stop()).toBe(0);
    await receiver.stop();
  });
});
