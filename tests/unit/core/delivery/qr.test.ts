import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCardLink } from '../../../../src/main/core/delivery/card.js';
import { QR_QUIET_ZONE, qrMatrix, renderQrPng, renderQrSvg, renderQrTerminal, writeQrFile } from '../../../../src/main/core/delivery/qr.js';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import { formatDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { CARD_LINK_MAX_CHARS } from '../../../../src/main/core/limits.js';
import { CHROMIUM, decodeQrPng, decodeQrSvgFile, decodeQrText } from '../../../helpers/qr-decode.js';
import { tempDir } from '../../../helpers/tmp.js';

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const LINK = encodeCardLink({
  label: 'Ann’s NAS',
  recipient: RECIPIENT,
  endpoint: { kind: 'receiver', url: 'https://192.168.1.20:8443', receiverId: formatDeviceId(Buffer.alloc(32, 3)) },
});
// The largest link a card may make: a folder path of spaces, %-encoded to three characters each.
const folderLink = (spaces: number): string =>
  encodeCardLink({ label: 'x', recipient: RECIPIENT, endpoint: { kind: 'folder', path: `/${' '.repeat(spaces)}` } });
const LONGEST = folderLink(Math.floor((CARD_LINK_MAX_CHARS - folderLink(0).length) / 3));

let dir: string;
beforeAll(async () => {
  dir = await tempDir('inswarm-qr');
});

describe('QR codes of destination links', () => {
  it('PNG decodes to the exact link, for a typical and for the longest card', async () => {
    expect(LONGEST.length).toBeGreaterThan(CARD_LINK_MAX_CHARS - 20);
    expect(LONGEST.length).toBeLessThanOrEqual(CARD_LINK_MAX_CHARS);
    for (const link of [LINK, LONGEST]) {
      const png = await renderQrPng(link);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(decodeQrPng(png)).toBe(link);
    }
  });

  it('a typical card fits an 80-column terminal', () => {
    const { size } = qrMatrix(LINK);
    expect(size + 2 * QR_QUIET_ZONE).toBeLessThanOrEqual(80);
  });

  it('terminal half blocks decode to the exact link, with and without colour', () => {
    const m = qrMatrix(LINK);
    const plain = renderQrTerminal(LINK);
    const lines = plain.split('\n');
    const span = m.size + 2 * QR_QUIET_ZONE;
    expect(lines).toHaveLength(Math.ceil(span / 2));
    for (const line of lines) expect([...line]).toHaveLength(span);
    // The quiet zone: first two module rows blank.
    expect(lines[0]).toBe(' '.repeat(span));
    expect(decodeQrText(plain)).toBe(LINK);

    const coloured = renderQrTerminal(LINK, { color: true });
    for (const line of coloured.split('\n')) expect(line).toMatch(/^\u001b\[30;107m[ ▀▄█]+\u001b\[0m$/);
    expect(decodeQrText(coloured)).toBe(LINK);
  });

  it('a damaged terminal rendering does not decode to the link (the check can fail)', () => {
    const lines = renderQrTerminal(LINK).split('\n');
    // Blank the top-left finder pattern: no QR reader can locate the code any more.
    const broken = lines.map((l, i) => (i >= 2 && i < 6 ? ' '.repeat(12) + [...l].slice(12).join('') : l)).join('\n');
    expect(decodeQrText(broken)).not.toBe(LINK);
  });

  it('SVG is a non-empty SVG document', async () => {
    const svg = await renderQrSvg(LINK);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 (\d+) \1"/);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/<path[^>]+d="M[^"]{100,}"/);
  });

  it.runIf(CHROMIUM !== undefined)('SVG rasterised by Chromium decodes to the exact link', async () => {
    const file = join(dir, 'card.svg');
    await writeQrFile(LINK, file);
    expect(await decodeQrSvgFile(file)).toBe(LINK);
    // And a broken SVG does not: the check really reads the file.
    const bad = join(dir, 'bad.svg');
    await writeFile(bad, (await readFile(file, 'utf8')).replace('</svg>', ''));
    expect(await decodeQrSvgFile(bad)).toBeNull();
  });

  it('writeQrFile writes PNG by extension, never overwrites, and refuses other extensions', async () => {
    const file = join(dir, 'card.PNG');
    expect(await writeQrFile(LINK, file)).toBe('png');
    const bytes = await readFile(file);
    expect(decodeQrPng(bytes)).toBe(LINK);

    const again = await writeQrFile('other', file).catch((e: unknown) => e);
    expect(isInswarmError(again, 'E_EXISTS')).toBe(true);
    expect((await readFile(file)).equals(bytes)).toBe(true);

    const jpg = await writeQrFile(LINK, join(dir, 'card.jpg')).catch((e: unknown) => e);
    expect(isInswarmError(jpg, 'E_USAGE')).toBe(true);
    expect((jpg as Error).message).toMatch(/must end in \.svg or \.png/);
  });
});
