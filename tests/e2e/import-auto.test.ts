// Automatic import, end to end: a real node (headless bridge, real Chromium) whose source roots
// are a temp folder standing in for /media/$USER. A card that appears there is imported without a
// click and the Import view shows the summary; after a person unticks "Import new photos when a
// phone or card is plugged in" (keyboard), the next card shows up as a source and stays unimported.

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchBrowser, openApp, screenshot, showView, uiUrlOf } from '../helpers/browser.js';
import { startNode } from '../helpers/node-proc.js';
import { tempDir } from '../helpers/tmp.js';
import { makePhoto } from '../../scripts/demo.mjs';

/** Every file under `dir` (the library), relative, or [] when it does not exist yet. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

async function plugCard(volumes: string, name: string, photos: { file: string; seed: number; date: string }[]): Promise<void> {
  const dcim = join(volumes, name, 'DCIM', '100CANON');
  await mkdir(dcim, { recursive: true });
  for (const p of photos) await writeFile(join(dcim, p.file), makePhoto(p.seed, p.date));
}

describe('Import: plugging in a card', () => {
  it('imports it without a click, and not once the person turns that off', { timeout: 120_000 }, async () => {
    const work = await tempDir('inswarm-e2e-auto-import');
    const [data, volumes, library] = [join(work, 'node'), join(work, 'volumes'), join(work, 'node', 'Photos')];
    await mkdir(volumes, { recursive: true });
    const node = startNode(data, ['--listen', '127.0.0.1:0', '--no-mdns', '--name', 'laptop'], { INSWARM_SOURCE_ROOTS: volumes });
    try {
      await node.waitFor('Open the app:');
      const browser = await launchBrowser();
      try {
        const page = await openApp(browser, uiUrlOf(node.output()));
        await showView(page, 'import');
        const auto = page.getByTestId('import-auto');
        expect(await auto.isChecked()).toBe(true);

        await plugCard(volumes, 'CARD', [
          { file: 'IMG_0001.JPG', seed: 1, date: '2024:05:06 07:08:09' },
          { file: 'IMG_0002.JPG', seed: 2, date: '2024:05:07 10:00:00' },
        ]);
        await expect.poll(() => page.getByTestId('import-summary').textContent().catch(() => ''), { timeout: 30_000 }).toMatch(/2 new, 0 already imported, 0 unreadable/);
        expect(await filesUnder(library)).toEqual(['2024/05/06/IMG_0001.JPG', '2024/05/07/IMG_0002.JPG']);
        await screenshot(page, 'e2e-import-auto');

        // Off, with the keyboard; the core keeps the choice.
        await auto.focus();
        await page.keyboard.press('Space');
        await expect.poll(() => auto.isChecked(), { timeout: 10_000 }).toBe(false);

        await plugCard(volumes, 'OTHER', [{ file: 'IMG_0100.JPG', seed: 3, date: '2024:06:01 12:00:00' }]);
        const other = page.getByTestId('import-source').filter({ hasText: 'OTHER' });
        await expect.poll(() => other.count(), { timeout: 30_000 }).toBe(1);
        // Seen by the watcher (it lists the view's sources too) a few times over, and still not imported.
        await new Promise((resolve) => setTimeout(resolve, 7_000));
        expect(await filesUnder(library)).toEqual(['2024/05/06/IMG_0001.JPG', '2024/05/07/IMG_0002.JPG']);
        expect(await other.getByTestId('import-new').isEnabled()).toBe(true);
      } finally {
        await browser.close();
      }
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });
});
