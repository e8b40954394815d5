// QR codes for destination links: in a terminal (UTF-8 half blocks, two module rows per text line,
// for `inswarm dest show --qr`) and as SVG or PNG files. The QR encoding itself is the `qrcode`
// package's; this module picks the settings and draws the terminal form.

import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import QRCode from 'qrcode';
import { InswarmError, fromFsError } from '../errors.js';

/** Level M recovers ~15 % damage: a phone photo of a screen with glare still scans, at a modest size cost over L. */
export const QR_ERROR_CORRECTION = 'M' as const;
/** Light modules around the code, as the QR spec requires (4); scanners fail without a quiet zone. */
export const QR_QUIET_ZONE = 4;
/** PNG pixels per module: a version-10 code is then ~520 px, sharp when printed or shown full screen. */
const PNG_SCALE = 8;

// Half blocks, indexed by (top dark ? 2 : 0) + (bottom dark ? 1 : 0). Dark modules are drawn in the
// foreground colour, so the code reads right in a dark-on-light view (a file, a light terminal);
// `color` forces black on white so it also reads right on a dark terminal.
const HALF_BLOCKS = [' ', '▄', '▀', '█'] as const;
const BLACK_ON_WHITE = '\u001b[30;107m';
const RESET = '\u001b[0m';

/** The code's modules: `dark(row, col)` for 0 ≤ row, col < size (quiet zone not included). */
export interface QrMatrix {
  readonly size: number;
  dark(row: number, col: number): boolean;
}

/** Encodes `text` as a QR code at our error-correction level. */
export function qrMatrix(text: string): QrMatrix {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION });
  return { size: modules.size, dark: (row, col) => modules.data[row * modules.size + col] === 1 };
}

/**
 * The QR code as lines of text, quiet zone included. With `color`, each line is wrapped in ANSI
 * black-on-white so it scans on a dark terminal too; without it the text is plain (for files and pipes).
 */
export function renderQrTerminal(text: string, options: { color?: boolean } = {}): string {
  const m = qrMatrix(text);
  const span = m.size + 2 * QR_QUIET_ZONE;
  const dark = (row: number, col: number): boolean => {
    const r = row - QR_QUIET_ZONE;
    const c = col - QR_QUIET_ZONE;
    return r >= 0 && c >= 0 && r < m.size && c < m.size && m.dark(r, c);
  };
  const lines: string[] = [];
  for (let row = 0; row < span; row += 2) {
    let line = '';
    for (let col = 0; col < span; col++) line += HALF_BLOCKS[(dark(row, col) ? 2 : 0) + (dark(row + 1, col) ? 1 : 0)];
    lines.push(options.color ? `${BLACK_ON_WHITE}${line}${RESET}` : line);
  }
  return lines.join('\n');
}

/** The QR code as an SVG document (black on white, quiet zone included, scales to any size). */
export function renderQrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: QR_ERROR_CORRECTION, margin: QR_QUIET_ZONE });
}

/** The QR code as a PNG image (black on white, quiet zone included). */
export function renderQrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: QR_ERROR_CORRECTION, margin: QR_QUIET_ZONE, scale: PNG_SCALE });
}

/**
 * Writes the QR code to `file` as SVG or PNG, chosen by its extension; never overwrites an
 * existing file (E_EXISTS), like every file Inswarm writes for a person.
 */
export async function writeQrFile(text: string, file: string): Promise<'svg' | 'png'> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') {
    throw new InswarmError('E_USAGE', `The QR code file "${file}" must end in .svg or .png, which decides its format.`);
  }
  const data = ext === '.svg' ? await renderQrSvg(text) : await renderQrPng(text);
  try {
    await writeFile(file, data, { flag: 'wx' });
  } catch (err) {
    throw fromFsError(err, `writing the QR code to ${file}`);
  }
  return ext === '.svg' ? 'svg' : 'png';
}
