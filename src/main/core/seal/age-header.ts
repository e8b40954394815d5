// The age v1 header as a pure codec: bytes in, stanzas out, and back. Parsing is as strict as the
// spec (https://age-encryption.org/v1) and the C2SP CCTV vectors demand, because a lenient parser
// is a second, incompatible format. No I/O and no crypto beyond what the caller hands in.

import { InswarmError } from '../errors.js';
import { AGE_MAX_HEADER_BYTES, AGE_MAX_STANZAS } from '../limits.js';

/** One recipient stanza: `-> type args…` followed by a base64 body wrapped at 64 columns. */
export interface Stanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Buffer;
}

/** A parsed header: its stanzas, its MAC, and the exact bytes the MAC covers. */
export interface AgeHeader {
  readonly stanzas: readonly Stanza[];
  readonly mac: Buffer;
  /** Header bytes up to and including `---` (not the space after it): the MAC's input. */
  readonly macInput: Buffer;
  /** Total header length including the final newline; the payload starts here. */
  readonly length: number;
}

const VERSION_LINE = 'age-encryption.org/v1';
const VERSION_PREFIX = 'age-encryption.org/';
const STANZA_PREFIX = '-> ';
const FOOTER_PREFIX = '---';
const BODY_COLUMNS = 64;
const MAC_SIZE = 32;
const NEWLINE = 0x0a;
const BASE64_ALPHABET = /^[A-Za-z0-9+/]*$/;

/** Base64 without padding, as every age header field is written. */
export function encodeBase64NoPad(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').replace(/=+$/, '');
}

/**
 * Decodes unpadded base64 only if it is canonical (re-encodes to the same text), else null.
 * Node's decoder is lenient; age requires exactly one encoding per value.
 */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!BASE64_ALPHABET.test(text) || text.length % 4 === 1) return null;
  const data = Buffer.from(text, 'base64');
  return encodeBase64NoPad(data) === text ? data : null;
}

/** Encodes the header up to and including `---`: the bytes the header MAC is computed over. */
export function encodeHeaderMacInput(stanzas: readonly Stanza[]): Buffer {
  let text = `${VERSION_LINE}\n`;
  for (const stanza of stanzas) {
    text += `${STANZA_PREFIX}${[stanza.type, ...stanza.args].join(' ')}\n`;
    const body = encodeBase64NoPad(stanza.body);
    // The final body line is always shorter than 64 columns, so a body that fills whole lines
    // ends with an empty line: that is how a reader knows the body ended.
    for (let i = 0; i <= body.length; i += BODY_COLUMNS) text += `${body.slice(i, i + BODY_COLUMNS)}\n`;
  }
  return Buffer.from(`${text}${FOOTER_PREFIX}`, 'latin1');
}

/** Completes a header: MAC input + ` <mac>\n`. */
export function encodeHeader(macInput: Buffer, mac: Uint8Array): Buffer {
  return Buffer.concat([macInput, Buffer.from(` ${encodeBase64NoPad(mac)}\n`, 'latin1')]);
}

/**
 * Parses a header from the start of `data`. Returns null when more bytes are needed (and fewer
 * than AGE_MAX_HEADER_BYTES have been seen); throws E_AGE_HEADER for anything malformed.
 */
export function parseHeader(data: Uint8Array): AgeHeader | null {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const nextLine = (): string | null => {
    const end = buf.indexOf(NEWLINE, pos);
    if (end === -1) {
      if (buf.length > AGE_MAX_HEADER_BYTES) throw fail(`it is longer than ${AGE_MAX_HEADER_BYTES} bytes`);
      return null;
    }
    const line = buf.toString('latin1', pos, end);
    pos = end + 1;
    return line;
  };

  const version = nextLine();
  if (version === null) return incomplete(buf);
  if (version !== VERSION_LINE) {
    if (version.startsWith(VERSION_PREFIX)) throw fail(`unsupported version "${printable(version)}"`);
    throw fail('it does not start with the age v1 version line (not an age file)');
  }

  const stanzas: Stanza[] = [];
  for (;;) {
    const lineStart = pos;
    const line = nextLine();
    if (line === null) return incomplete(buf);
    if (line.startsWith(FOOTER_PREFIX)) {
      if (!line.startsWith(`${FOOTER_PREFIX} `)) throw fail('the MAC line lacks its space');
      const mac = decodeBase64Strict(line.slice(FOOTER_PREFIX.length + 1));
      if (mac === null || mac.length !== MAC_SIZE) throw fail('the MAC is not 32 bytes of canonical base64');
      return { stanzas, mac, macInput: buf.subarray(0, lineStart + FOOTER_PREFIX.length), length: pos };
    }
    if (!line.startsWith(STANZA_PREFIX)) throw fail('a line is neither a stanza nor the MAC');
    const args = line.slice(STANZA_PREFIX.length).split(' ');
    for (const arg of args) {
      if (arg.length === 0 || !isVisibleAscii(arg)) throw fail('a stanza argument is empty or has invalid characters');
    }
    const chunks: Buffer[] = [];
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === null) return incomplete(buf);
      if (bodyLine.length > BODY_COLUMNS) throw fail('a stanza body line is longer than 64 columns');
      const chunk = decodeBase64Strict(bodyLine);
      if (chunk === null) throw fail('a stanza body is not canonical base64');
      chunks.push(chunk);
      if (bodyLine.length < BODY_COLUMNS) break;
    }
    if (stanzas.length >= AGE_MAX_STANZAS) throw fail(`it has more than ${AGE_MAX_STANZAS} stanzas`);
    const [type = '', ...rest] = args;
    stanzas.push({ type, args: rest, body: Buffer.concat(chunks) });
  }
}

function incomplete(buf: Buffer): null {
  if (buf.length > AGE_MAX_HEADER_BYTES) throw fail(`it is longer than ${AGE_MAX_HEADER_BYTES} bytes`);
  return null;
}

function isVisibleAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
}

function fail(why: string): InswarmError {
  return new InswarmError('E_AGE_HEADER', `The age header is malformed (${why}): the file was damaged or is not an age file.`);
}
