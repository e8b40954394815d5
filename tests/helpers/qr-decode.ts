// Reads QR codes back the way a phone would, with a decoder we did not write (jsQR): from PNG
// bytes, from a terminal rendering (half blocks), and from an SVG rasterised by Chromium.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { run } from './run.js';
import { tempDir } from './tmp.js';

/** The text of the QR code in a PNG image, or null when none is found. */
export function decodeQrPng(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data ?? null;
}

/**
 * The text of a QR code drawn with half blocks (▀ ▄ █ and space, two module rows per line; ANSI
 * colour codes are ignored), rasterised at `scale` pixels per module, dark = foreground.
 */
export function decodeQrText(text: string, scale = 4): string | null {
  const lines = text.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
  const width = Math.max(...lines.map((l) => [...l].length));
  const rows: boolean[][] = [];
  for (const line of lines) {
    const chars = [...line];
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    for (let i = 0; i < width; i++) {
      const c = chars[i] ?? ' ';
      if (!' ▀▄█'.includes(c)) throw new Error(`unexpected character ${JSON.stringify(c)} in a terminal QR code`);
      top.push(c === '▀' || c === '█');
      bottom.push(c === '▄' || c === '█');
    }
    rows.push(top, bottom);
  }
  const w = width * scale;
  const h = rows.length * scale;
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = rows[Math.floor(y / scale)]![Math.floor(x / scale)] ? 0 : 255;
      rgba.set([v, v, v, 255], (y * w + x) * 4);
    }
  }
  return jsQR(rgba, w, h, { inversionAttempts: 'dontInvert' })?.data ?? null;
}

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Rasterises an SVG file with headless Chromium (an independent renderer) and decodes its QR code. */
export async function decodeQrSvgFile(svgFile: string, size = 800): Promise<string | null> {
  if (CHROMIUM === undefined) throw new Error('chromium is not installed');
  const dir = await tempDir('inswarm-chromium');
  const shot = join(dir, 'shot.png');
  // The SVG is shown inside an <img> so it scales to the window; a malformed SVG then draws nothing.
  const page = join(dir, 'page.html');
  await writeFile(page, `<!doctype html><body style="margin:0;background:#fff"><img src="file://${svgFile}" style="width:${size}px;height:${size}px"></body>`);
  const r = await run(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--allow-file-access-from-files',
    `--user-data-dir=${join(dir, 'profile')}`, `--screenshot=${shot}`, `--window-size=${size},${size}`, `file://${page}`,
  ]);
  if (r.code !== 0) throw new Error(`chromium exited ${r.code}: ${r.stderr}`);
  return decodeQrPng(await readFile(shot));
}
