#!/usr/bin/env node
// Rasterises the icon sources in assets/ into the PNG sizes the packager and the tray load, with
// headless Chromium (playwright-core) so the SVG renders exactly as a browser draws it. Run once
// after editing an SVG (`npm run icons`) and commit the PNGs: packaging never needs a browser.
//   assets/icon.svg        → assets/icons/NxN.png for 64…1024 (app icon: Linux set, macOS, Windows)
//   assets/icon-small.svg  → assets/icons/NxN.png for 16…48 (fewer, larger cells survive small sizes)
//   assets/tray.svg        → assets/tray/trayTemplate(@2x).png (macOS menu bar: black + alpha)
//   assets/icon-small.svg  → assets/tray/tray(@2x).png (Linux and Windows trays, in colour)
// CHROMIUM (env) overrides the browser binary; default /usr/bin/chromium.

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = join(root, 'assets');
/** Below this size the full icon's 17 cells blur into one shape; the small source takes over. */
const SMALL_MAX_PX = 48;
const APP_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];

const jobs = [
  ...APP_SIZES.map((px) => ({ source: px <= SMALL_MAX_PX ? 'icon-small.svg' : 'icon.svg', px, out: `icons/${px}x${px}.png` })),
  { source: 'tray.svg', px: 16, out: 'tray/trayTemplate.png' },
  { source: 'tray.svg', px: 32, out: 'tray/trayTemplate@2x.png' },
  { source: 'icon-small.svg', px: 16, out: 'tray/tray.png' },
  { source: 'icon-small.svg', px: 32, out: 'tray/tray@2x.png' },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const { source, px, out } of jobs) {
    const svg = readFileSync(join(assets, source)).toString('base64');
    await page.setViewportSize({ width: px, height: px });
    await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent"><img id="i" width="${px}" height="${px}" style="display:block" src="data:image/svg+xml;base64,${svg}"></body></html>`);
    await page.locator('#i').evaluate((img) => img.decode());
    mkdirSync(dirname(join(assets, out)), { recursive: true });
    await page.screenshot({ path: join(assets, out), omitBackground: true, clip: { x: 0, y: 0, width: px, height: px } });
    console.log(`icons: ${source} → assets/${out} (${px}×${px})`);
  }
} finally {
  await browser.close();
}
