// The packaging inputs, checked without downloading anything: electron-builder.yml passes
// electron-builder's own schema, names files that exist, keeps native modules (sharp's libvips too)
// out of the asar; the icon set has every size at its real pixel size; the macOS tray image is a
// template (black and alpha only); package.json's "main" is the compiled shell.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const png = (path: string) => PNG.sync.read(readFileSync(join(root, path)));

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema and targets AppImage, deb, dmg and nsis", async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      getConfig(dir: string, path: string | null, options: null): Promise<Record<string, any>>;
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util/out/DebugLogger') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = await getConfig(root, null, null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config['linux'].target).toEqual(['AppImage', 'deb']);
    expect(config['mac'].target).toBe('dmg');
    expect(config['win'].target).toBe('nsis');
    expect(config['npmRebuild']).toBe(true);
    // sharp's binding and the libvips it loads by relative path must both be real files.
    expect(config['asarUnpack']).toEqual(expect.arrayContaining(['node_modules/better-sqlite3/**', 'node_modules/bufferutil/**', 'node_modules/sharp/**', 'node_modules/@img/**']));
    for (const icon of [config['linux'].icon, config['mac'].icon, config['win'].icon]) expect(existsSync(join(root, icon)), icon).toBe(true);
    // getConfig normalises `files` to [{ filter: [...] }].
    const files = (config['files'] as { filter: string[] }[]).flatMap((f) => f.filter);
    expect(files).toEqual(expect.arrayContaining(['dist/**', 'package.json', 'assets/tray/**', 'assets/icons/512x512.png']));
  });

  it("keeps sharp's binding and its libvips library out of the asar (both are loaded from real files)", async () => {
    const { getConfig } = require('app-builder-lib/out/util/config/config') as { getConfig(dir: string, path: string | null, options: null): Promise<Record<string, any>> };
    // The matcher electron-builder itself uses for these patterns.
    const { minimatch } = createRequire(require.resolve('app-builder-lib'))('minimatch') as { minimatch(path: string, pattern: string, options: object): boolean };
    const patterns = (await getConfig(root, null, null))['asarUnpack'] as string[];
    const native: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(rel);
        else if (/\.node$|\.so(\.|$)|\.dylib$|\.dll$/.test(e.name)) native.push(rel);
      }
    };
    walk('node_modules/@img');
    // This machine's platform packages: the binding and libvips (which no "*.node" pattern catches).
    expect(native.some((f) => /sharp-[^/]+\.node$/.test(f)), native.join()).toBe(true);
    expect(native.some((f) => /libvips/.test(f)), native.join()).toBe(true);
    for (const file of native) expect(patterns.some((p) => minimatch(file, p, { dot: true })), file).toBe(true);
  });

  it("packages package.json's main: the compiled Electron shell", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/main/electron/main.js');
    expect(existsSync(join(root, 'src/main/electron/main.ts'))).toBe(true);
  });
});

describe('the icon set (assets/)', () => {
  it('has every app icon size at its real pixel size, opaque in the middle and transparent in the corners', () => {
    for (const px of [16, 32, 48, 64, 128, 256, 512, 1024]) {
      const image = png(`assets/icons/${px}x${px}.png`);
      expect([image.width, image.height], `${px}`).toEqual([px, px]);
      const alpha = (x: number, y: number) => image.data[(y * image.width + x) * 4 + 3];
      expect(alpha(0, 0), `${px} corner`).toBe(0);
      expect(alpha(px >> 1, px >> 1), `${px} centre`).toBeGreaterThan(200);
    }
  });

  it('has a macOS template tray image (black + alpha) at 1x and 2x, and a colour one for other trays', () => {
    for (const [file, px] of [['assets/tray/trayTemplate.png', 16], ['assets/tray/trayTemplate@2x.png', 32]] as const) {
      const image = png(file);
      expect([image.width, image.height]).toEqual([px, px]);
      let inked = 0;
      for (let i = 0; i < image.data.length; i += 4) {
        if (image.data[i + 3]! === 0) continue;
        inked++;
        expect([image.data[i], image.data[i + 1], image.data[i + 2]], file).toEqual([0, 0, 0]);
      }
      // Something is drawn, and it is a shape, not a filled square.
      expect(inked).toBeGreaterThan(px * px * 0.2);
      expect(inked).toBeLessThan(px * px * 0.9);
    }
    for (const [file, px] of [['assets/tray/tray.png', 16], ['assets/tray/tray@2x.png', 32]] as const) {
      expect(png(file).width).toBe(px);
    }
  });

  it('keeps the SVG sources next to them', () => {
    for (const file of ['assets/icon.svg', 'assets/icon-small.svg', 'assets/tray.svg']) {
      expect(readFileSync(join(root, file), 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 512 512"/);
    }
  });
});
