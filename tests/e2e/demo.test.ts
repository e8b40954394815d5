// `npm run demo`, run as a user would with --auto: 3 nodes and a receiver on 127.0.0.1, 6 photos
// backed up on node 1 and spread to the volunteers, node 1 leaves, the volunteers go home and
// deliver. It must end by itself (exit 0) with every photo in the receiver's library, filed by
// its EXIF date and byte-identical to the camera's file, and every node stopped cleanly.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeStatusView } from '../../src/shared/status.js';
import { inswarmOk } from '../helpers/run.js';
// @ts-expect-error: a plain ES module without type declarations
import { demoPhotos } from '../../scripts/demo.mjs';

const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));
const PHOTOS = 6;
let kept: string | null = null;

afterAll(async () => {
  if (kept !== null) await rm(kept, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

describe('npm run demo -- --auto', () => {
  it('ends with every photo delivered to the library by the volunteers', { timeout: 150_000 }, async () => {
    const child = spawn(process.execPath, [DEMO, '--auto', '--nodes', '3', '--photos', String(PHOTOS), '--keep'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    kept = /Demo folder: +(\S+)/.exec(out)?.[1] ?? null;
    expect(code, out).toBe(0);
    expect(kept, out).not.toBeNull();
    const dir = kept!;
    expect(out).toMatch(/Open the app \(node 2[^)]*\): http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(out).toContain(`All ${PHOTOS} photos are in the library`);

    const photos = demoPhotos(PHOTOS) as { name: string; libraryPath: string }[];
    const library = join(dir, 'home', 'Photos');
    expect(await filesUnder(library)).toEqual(photos.map((p) => p.libraryPath).sort());
    for (const p of photos) expect(await sha256(join(library, p.libraryPath)), p.name).toBe(await sha256(join(dir, 'camera', p.name)));

    // Node 1 left before going home: the photos came from the volunteers, who hold delivery receipts.
    const node1 = await readFile(join(dir, 'logs', 'ana-laptop.log'), 'utf8');
    expect(node1).toContain('Stopped cleanly');
    for (const log of ['ben-laptop.log', 'chloe-laptop.log']) expect(await readFile(join(dir, 'logs', log), 'utf8'), log).toContain('Stopped cleanly');
    const delivered = async (node: string): Promise<number> => {
      const s = JSON.parse(await inswarmOk(['status', '--json'], join(dir, node))) as NodeStatusView;
      return s.deliveries.find((d) => d.state === 'delivered')?.count ?? 0;
    };
    expect(await delivered('node-1')).toBe(0);
    expect((await delivered('node-2')) + (await delivered('node-3'))).toBeGreaterThanOrEqual(PHOTOS);
  });
});
