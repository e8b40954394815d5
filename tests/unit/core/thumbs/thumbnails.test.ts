// Thumbnails with the real sharp over real files written by sharp in a temp folder: JPEG output no
// longer than 320 px on its long edge and without metadata, turned upright by EXIF orientation 6,
// every offered format decoded, a cache hit never rendered again, a changed file rendered again, a
// corrupt, truncated, disguised or pixel-bomb file → null and a negative entry (a camera's harmless
// quirk still rendered), an oversize file refused before decoding, one render at a time, the EXIF
// thumbnail as the fast path for upright photos, and a platform without sharp falling back to EXIF
// (logged once).
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadSharpRenderer, THUMB_LONG_EDGE_PX, type RenderThumbnail } from '../../../../src/main/core/thumbs/sharp-render.js';
import { thumbnailKey, Thumbnails, type ThumbnailsInit } from '../../../../src/main/core/thumbs/thumbnails.js';
import { tempDir } from '../../../helpers/tmp.js';

const RED = { r: 220, g: 20, b: 20 };
const BLUE = { r: 20, g: 20, b: 220 };

/** A noisy photo-like picture (so encodings have realistic sizes). */
function noisy(width: number, height: number): sharp.Sharp {
  return sharp({ create: { width, height, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
}

/** width × height, top half red and bottom half blue, as raw RGB. */
function halves(width: number, height: number): sharp.Sharp {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const c = y < height / 2 ? RED : BLUE;
    for (let x = 0; x < width; x++) raw.set([c.r, c.g, c.b], (y * width + x) * 3);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/** `jpeg` with an EXIF APP1 spliced after SOI: IFD0 with Orientation, IFD1 with an embedded thumbnail. */
function withExif(jpeg: Buffer, exif: { orientation?: number; thumbnail?: Buffer }): Buffer {
  const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const entry = (tag: number, type: number, value: Buffer) => Buffer.concat([u16(tag), u16(type), u32(1), value, Buffer.alloc(4 - value.length)]);
  const ifd0Entries = exif.orientation === undefined ? [] : [entry(0x0112, 3, u16(exif.orientation))];
  const ifd0At = 8;
  const ifd1At = exif.thumbnail === undefined ? 0 : ifd0At + 2 + ifd0Entries.length * 12 + 4;
  const thumbAt = ifd1At + 2 + 2 * 12 + 4;
  const tiff = Buffer.concat([
    Buffer.from('II', 'latin1'), u16(42), u32(ifd0At),
    u16(ifd0Entries.length), ...ifd0Entries, u32(ifd1At),
    ...(exif.thumbnail === undefined ? [] : [u16(2), entry(0x0201, 4, u32(thumbAt)), entry(0x0202, 4, u32(exif.thumbnail.length)), u32(0), exif.thumbnail]),
  ]);
  const app1 = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1]), (() => { const b = Buffer.alloc(2); b.writeUInt16BE(app1.length + 2); return b; })(), app1, jpeg.subarray(2)]);
}

/** A valid PNG whose header claims width × height (tiny data): libvips must refuse it on the header. */
function pngClaiming(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(width + 1))), chunk('IEND', Buffer.alloc(0))]);
}

/** A Thumbnails over a fresh cache folder, counting renders (and the most at once) through the real sharp. */
async function setup(init: Partial<ThumbnailsInit> = {}) {
  const root = await tempDir('inswarm-thumbs');
  const dir = join(root, 'thumbs');
  const counts = { renders: 0, active: 0, peak: 0 };
  const logged: { type: string; data: unknown }[] = [];
  const thumbnails = new Thumbnails({
    dir,
    log: (type, data) => logged.push({ type, data }),
    loadRenderer: async () => {
      const render = await loadSharpRenderer();
      return async (input: Buffer) => {
        counts.renders++;
        counts.active++;
        counts.peak = Math.max(counts.peak, counts.active);
        try {
          return await render(input);
        } finally {
          counts.active--;
        }
      };
    },
    ...init,
  });
  const write = async (name: string, bytes: Buffer) => {
    const path = join(root, name);
    await writeFile(path, bytes);
    return { path, size: bytes.length };
  };
  const entries = async () => (await readdir(dir).catch(() => [] as string[])).sort();
  return { root, dir, thumbnails, counts, logged, write, entries };
}

async function dims(jpeg: Buffer | null) {
  expect(jpeg).not.toBeNull();
  const m = await sharp(jpeg!).metadata();
  return { format: m.format, width: m.width, height: m.height, exif: m.exif, icc: m.icc, orientation: m.orientation };
}

describe('Thumbnails (real sharp)', () => {
  it('renders a JPEG and a PNG to a JPEG no longer than 320 px on its long edge, without metadata', async () => {
    const t = await setup();
    const jpeg = await t.write('big.jpg', await noisy(1600, 1200).jpeg({ quality: 90 }).withMetadata({ orientation: 1 }).toBuffer());
    const png = await t.write('shot.png', await noisy(900, 1800).png().toBuffer());
    const small = await t.write('small.png', await noisy(120, 90).png().toBuffer());
    expect(await dims(await t.thumbnails.of(jpeg))).toEqual({ format: 'jpeg', width: 320, height: 240, exif: undefined, icc: undefined, orientation: undefined });
    expect(await dims(await t.thumbnails.of(png))).toMatchObject({ format: 'jpeg', width: 160, height: 320 });
    // Never enlarged.
    expect(await dims(await t.thumbnails.of(small))).toMatchObject({ format: 'jpeg', width: 120, height: 90 });
    expect(t.counts.renders).toBe(3);
    expect((await t.entries()).filter((n) => n.endsWith('.jpg'))).toHaveLength(3);
  });

  it('turns a photo with EXIF orientation 6 upright: width and height swap, and the top ends up on the right', async () => {
    const t = await setup();
    const stored = await halves(800, 600).jpeg({ quality: 95 }).toBuffer(); // red on top as stored
    const file = await t.write('IMG_0006.JPG', withExif(stored, { orientation: 6 }));
    const thumb = await t.thumbnails.of(file);
    expect(await dims(thumb)).toMatchObject({ format: 'jpeg', width: 240, height: 320, orientation: undefined });
    const { data, info } = await sharp(thumb!).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const near = (p: number[], c: typeof RED) => Math.abs(p[0]! - c.r) + Math.abs(p[1]! - c.g) + Math.abs(p[2]! - c.b) < 60;
    // Orientation 6 means "turn 90° clockwise to view": the stored top (red) is on the right.
    expect(near(pixel(200, 160), RED), `right ${pixel(200, 160)}`).toBe(true);
    expect(near(pixel(40, 160), BLUE), `left ${pixel(40, 160)}`).toBe(true);
  });

  it('decodes every format it offers (webp, gif, tiff, avif) and refuses an SVG named .png', async () => {
    const t = await setup();
    for (const [name, bytes] of [
      ['a.webp', await noisy(640, 480).webp().toBuffer()],
      ['b.gif', await noisy(640, 480).gif().toBuffer()],
      ['c.tif', await noisy(640, 480).tiff().toBuffer()],
      ['d.avif', await noisy(400, 300).avif({ effort: 0 }).toBuffer()],
    ] as const) {
      expect(await dims(await t.thumbnails.of(await t.write(name, bytes))), name).toMatchObject({ format: 'jpeg', width: THUMB_LONG_EDGE_PX, height: 240 });
    }
    // librsvg is blocked whatever the name says: files on a phone are untrusted.
    const svg = await t.write('pic.png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="red"/></svg>'));
    expect(await t.thumbnails.of(svg)).toBeNull();
    // Names it does not offer are not read at all.
    const heic = await t.write('IMG_0001.HEIC', await noisy(64, 48).jpeg().toBuffer());
    expect(await t.thumbnails.of(heic)).toBeNull();
    expect(t.counts.renders).toBe(5);
  });

  it('serves a cached thumbnail without rendering again, across a restart too', async () => {
    const t = await setup();
    const file = await t.write('IMG_0100.JPG', await noisy(1200, 900).jpeg().toBuffer());
    const first = await t.thumbnails.of(file);
    expect(t.counts.renders).toBe(1);
    const [name] = await t.entries();
    const written = (await stat(join(t.dir, name!))).mtimeMs;
    expect(await t.thumbnails.of(file)).toEqual(first);
    expect(await t.thumbnails.of(file)).toEqual(first);
    expect(t.counts.renders).toBe(1);
    // A second process over the same folder (the app restarted): still no render.
    let restartedRenders = 0;
    const restarted = new Thumbnails({ dir: t.dir, loadRenderer: async () => { restartedRenders++; return loadSharpRenderer(); } });
    expect(await restarted.of(file)).toEqual(first);
    expect(restartedRenders).toBe(0);
    expect((await stat(join(t.dir, name!))).mtimeMs).toBe(written);
  });

  it('keys by content when the hash is known (two copies, one render) and by path, size and mtime otherwise', async () => {
    const t = await setup();
    const bytes = await noisy(800, 600).jpeg().toBuffer();
    const a = await t.write('a.jpg', bytes);
    const b = await t.write('b.jpg', bytes);
    const sha256 = 'ab'.repeat(32);
    await t.thumbnails.of({ ...a, sha256 });
    await t.thumbnails.of({ ...b, sha256 });
    expect(t.counts.renders).toBe(1);

    const st = { size: 1000, mtimeMs: 1_700_000_000_000 };
    const key = thumbnailKey({ path: '/media/phone/DCIM/IMG_1.JPG', size: 1000 }, st);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(thumbnailKey({ path: '/media/phone/DCIM/IMG_1.JPG', size: 1000 }, { ...st, mtimeMs: st.mtimeMs + 1 })).not.toBe(key);
    expect(thumbnailKey({ path: '/media/phone/DCIM/IMG_1.JPG', size: 1001 }, { ...st, size: 1001 })).not.toBe(key);
    expect(thumbnailKey({ path: '/media/card/DCIM/IMG_1.JPG', size: 1000 }, st)).not.toBe(key);
    // A content key ignores where and when; a malformed hash falls back to the file key.
    expect(thumbnailKey({ path: '/x.jpg', size: 1, sha256 }, { size: 1, mtimeMs: 1 })).toBe(thumbnailKey({ path: '/y.jpg', size: 2, sha256 }, { size: 2, mtimeMs: 2 }));
    expect(thumbnailKey({ path: '/media/phone/DCIM/IMG_1.JPG', size: 1000, sha256: '../x' }, st)).toBe(key);
  });

  it('renders a file on a phone again once it changed (new mtime, or new size)', async () => {
    const t = await setup();
    // Two JPEGs padded after their end marker to one byte count: an edit in place that keeps the size.
    const landscape = await noisy(1000, 500).jpeg().toBuffer();
    const portrait = await noisy(500, 1000).jpeg().toBuffer();
    const size = Math.max(landscape.length, portrait.length) + 64;
    const padded = (b: Buffer) => Buffer.concat([b, Buffer.alloc(size - b.length)]);
    const file = await t.write('IMG_0200.JPG', padded(landscape));
    const taken = 1_700_000_000; // whole seconds, so putting it back is exact
    await utimes(file.path, taken, taken);
    expect(await dims(await t.thumbnails.of(file))).toMatchObject({ width: 320, height: 160 });
    await writeFile(file.path, padded(portrait));
    // With the old mtime put back, the key is the old one: the cached landscape is served.
    await utimes(file.path, taken, taken);
    expect(await dims(await t.thumbnails.of(file))).toMatchObject({ width: 320, height: 160 });
    expect(t.counts.renders).toBe(1);
    await utimes(file.path, taken + 60, taken + 60);
    expect(await dims(await t.thumbnails.of(file))).toMatchObject({ width: 160, height: 320 });
    expect(t.counts.renders).toBe(2);
    // A new size: the listed size no longer matches, so nothing until the source is listed again.
    const grown = await noisy(600, 600).jpeg().toBuffer();
    await writeFile(file.path, grown);
    expect(await t.thumbnails.of(file)).toBeNull();
    expect(await dims(await t.thumbnails.of({ path: file.path, size: grown.length }))).toMatchObject({ width: 320, height: 320 });
    expect(t.counts.renders).toBe(3);
  });

  it('gives null for corrupt, truncated and pixel-bomb files, records them, and does not decode them again', async () => {
    const t = await setup();
    const good = await noisy(1200, 900).jpeg().toBuffer();
    const corrupt = await t.write('corrupt.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5000, 0x5a)]));
    const truncated = await t.write('truncated.jpg', good.subarray(0, Math.floor(good.length / 2)));
    const bomb = await t.write('bomb.png', pngClaiming(20_000, 20_000));
    // Refused on its header for its pixel count, not for its missing data.
    await expect((await loadSharpRenderer())(await readFile(bomb.path))).rejects.toThrow(/pixel limit/);
    const empty = await t.write('empty.png', Buffer.alloc(0));
    for (const f of [corrupt, truncated, bomb, empty]) expect(await t.thumbnails.of(f), f.path).toBeNull();
    expect(t.counts.renders).toBe(4);
    const names = await t.entries();
    expect(names.filter((n) => n.endsWith('.none'))).toHaveLength(4);
    expect(names.filter((n) => !/^[0-9a-f]{64}\.none$/.test(n))).toEqual([]); // no thumbnail, no temp file
    for (const f of [corrupt, truncated, bomb, empty]) expect(await t.thumbnails.of(f), f.path).toBeNull();
    expect(t.counts.renders).toBe(4);
  });

  it('renders a JPEG with a harmless quirk (extraneous bytes before a marker) and one with data after its end (a motion photo)', async () => {
    const t = await setup();
    const good = await noisy(1200, 900).jpeg().toBuffer();
    const quirky = await t.write('quirky.jpg', Buffer.concat([good.subarray(0, 2), Buffer.from([0x00, 0x00]), good.subarray(2)]));
    const motion = await t.write('PXL_MP.jpg', Buffer.concat([good, Buffer.from('\0\0\0\x18ftypmp42'), Buffer.alloc(50_000, 7)]));
    expect(await dims(await t.thumbnails.of(quirky))).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    expect(await dims(await t.thumbnails.of(motion))).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
  });

  it('refuses a file above the input limit before reading or decoding it', async () => {
    const t = await setup({ maxInputBytes: 50_000 });
    const big = await t.write('big.png', await noisy(400, 400).png().toBuffer());
    expect(big.size).toBeGreaterThan(50_000);
    const fits = await t.write('fits.jpg', await noisy(200, 150).jpeg({ quality: 50 }).toBuffer());
    expect(fits.size).toBeLessThanOrEqual(50_000);
    expect(await t.thumbnails.of(big)).toBeNull();
    expect(t.counts.renders).toBe(0);
    expect(await t.entries()).toEqual([]); // not recorded: a larger limit later may render it
    expect(await t.thumbnails.of(fits)).not.toBeNull();
    expect(t.counts.renders).toBe(1);
  });

  it('renders one at a time however many are asked for at once, and every one arrives', async () => {
    const t = await setup();
    const files = await Promise.all(Array.from({ length: 6 }, async (_, i) => t.write(`IMG_${i}.JPG`, await noisy(1200 + i * 16, 900).jpeg().toBuffer())));
    const thumbs = await Promise.all(files.map((f) => t.thumbnails.of(f)));
    expect(thumbs.every((x) => x !== null)).toBe(true);
    expect(t.counts.renders).toBe(6);
    expect(t.counts.peak).toBe(1);
    // The same file asked twice at once is rendered once.
    const file = await t.write('twice.jpg', await noisy(1000, 800).jpeg().toBuffer());
    const [x, y] = await Promise.all([t.thumbnails.of(file), t.thumbnails.of(file)]);
    expect(x).toEqual(y);
    expect(t.counts.renders).toBe(7);
  });

  it('uses an upright photo’s EXIF thumbnail without rendering, and renders a turned one instead', async () => {
    const t = await setup();
    const embedded = await noisy(160, 120).jpeg({ quality: 60 }).toBuffer();
    const photo = await noisy(1600, 1200).jpeg().toBuffer();
    const upright = await t.write('upright.jpg', withExif(photo, { thumbnail: embedded }));
    expect(await t.thumbnails.of(upright)).toEqual(embedded);
    expect(t.counts.renders).toBe(0);
    const turned = await t.write('turned.jpg', withExif(photo, { orientation: 6, thumbnail: embedded }));
    expect(await dims(await t.thumbnails.of(turned))).toMatchObject({ width: 240, height: 320 });
    expect(t.counts.renders).toBe(1);
  });

  it('falls back to the EXIF path when sharp cannot load, logs that once, and never throws', async () => {
    let loads = 0;
    const t = await setup({
      loadRenderer: async (): Promise<RenderThumbnail> => {
        loads++;
        throw new Error("Could not load the \"sharp\" module using the linux-x64 runtime\nmore detail");
      },
    });
    const embedded = await noisy(160, 120).jpeg().toBuffer();
    const turned = await t.write('turned.jpg', withExif(await noisy(800, 600).jpeg().toBuffer(), { orientation: 6, thumbnail: embedded }));
    const plain = await t.write('plain.jpg', await noisy(300, 200).jpeg().toBuffer());
    const png = await t.write('shot.png', await noisy(300, 200).png().toBuffer());
    expect(await t.thumbnails.of(turned)).toEqual(embedded); // sideways beats nothing
    expect(await t.thumbnails.of(plain)).toEqual(await readFile(plain.path)); // a small JPEG shown whole, as before sharp
    expect(await t.thumbnails.of(png)).toBeNull();
    expect(loads).toBe(3);
    expect(t.logged).toEqual([{ type: 'thumbnails:limited', data: { error: expect.stringMatching(/sharp.*did not load.*Could not load the "sharp" module using the linux-x64 runtime$/) } }]);
    expect(await t.entries()).toEqual([]);
  });

  it('gives null for a file that is gone or is no longer a file', async () => {
    const t = await setup();
    expect(await t.thumbnails.of({ path: join(t.root, 'gone.jpg'), size: 10 })).toBeNull();
    expect(await t.thumbnails.of({ path: t.root, size: 4096 })).toBeNull();
    expect(t.counts.renders).toBe(0);
  });
});
