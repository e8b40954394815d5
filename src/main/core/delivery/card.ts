// Destination cards as inswarm:// links: what an owner hands an origin (as a QR code or pasted
// text) so that it can seal to a destination and deliver there. Pure: strings in, cards out. Every
// field is checked strictly, because a link may come from anywhere (a photo of a screen, a chat).
//
// Link format, version 1: a URL query, so that a person can read it and its QR code stays small
// (a home-receiver card is ~250 characters, a QR code of 61×61 modules at level M).
//   inswarm://dest?v=1&label=home&recipient=age1…&kind=receiver&url=https://nas.local:8443&receiverId=RECEIVER-ID
//   inswarm://dest?v=1&label=…&recipient=…&kind=s3&bucket=B&prefix=P&region=R[&endpoint=URL]&forcePathStyle=0|1
//   inswarm://dest?v=1&label=…&recipient=…&kind=folder&path=/absolute/path
// Values are percent-encoded UTF-8 (":", "/" and "@" stay as they are); each key appears once. We
// write keys in the order above; a reader accepts any order but refuses unknown or repeated keys,
// and a version it does not know.

import { isAbsolute, resolve } from 'node:path';
import { InswarmError } from '../errors.js';
import { parseDeviceId } from '../identity/device-id.js';
import {
  CARD_FOLDER_PATH_MAX_BYTES,
  CARD_LABEL_MAX_CHARS,
  CARD_LINK_MAX_CHARS,
  CARD_S3_PREFIX_MAX_BYTES,
  CARD_S3_REGION_MAX_CHARS,
  CARD_URL_MAX_CHARS,
  DEVICE_ID_MAX_INPUT_CHARS,
} from '../limits.js';
import { parseRecipient } from '../seal/age-keys.js';
import type { DestinationCard, Endpoint, FolderEndpoint, ReceiverEndpoint, S3Endpoint } from './endpoint.js';

/** The card format this code writes and reads; a link with a higher version needs a newer Inswarm. */
export const CARD_LINK_VERSION = 1;
const LINK_PREFIX = 'inswarm://dest?';

const CARD_KEYS = ['label', 'recipient', 'endpoint'] as const;
const ENDPOINT_KEYS = {
  receiver: ['kind', 'url', 'receiverId'],
  s3: ['kind', 'bucket', 'prefix', 'region', 'endpoint', 'forcePathStyle'],
  folder: ['kind', 'path'],
} as const satisfies Record<Endpoint['kind'], readonly string[]>;
type EndpointKind = keyof typeof ENDPOINT_KEYS;
/** Keys a v1 link may hold: the version, the card's own fields, and every endpoint kind's fields. */
const LINK_KEYS: ReadonlySet<string> = new Set(['v', 'label', 'recipient', ...Object.values(ENDPOINT_KEYS).flat()]);
/** What a raw (still percent-encoded) value may contain: exactly what our encoder emits, plus "%". */
const RAW_VALUE = /^[A-Za-z0-9\-_.!~*'():/@%]*$/;
/** Characters refused in labels and paths: control codes, lone surrogates (not UTF-8), and bidirectional overrides that make a shown name lie. */
const UNSAFE_CHARS = /[\p{Cc}\p{Cs}\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/u;
// AWS bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_LIKE = /^\d+\.\d+\.\d+\.\d+$/;
const REGION_NAME = /^[a-z0-9][a-z0-9-]*$/;

const bad = (sentence: string, cause?: unknown): InswarmError => new InswarmError('E_BAD_CARD', sentence, cause === undefined ? undefined : { cause });

/** The inswarm:// link for a card (validated first, so a stored card always yields a readable link). */
export function encodeCardLink(card: DestinationCard): string {
  return formatLink(validateCard(card));
}

/** Reads a pasted or scanned inswarm://dest link; throws E_BAD_CARD with a sentence for anything off. */
export function parseCardLink(text: string): DestinationCard {
  if (typeof text !== 'string') throw bad('A destination link must be text starting with inswarm://dest?: copy it again from the destination.');
  // Checked before anything is decoded: the link may be a hostile paste of any size.
  if (text.length > CARD_LINK_MAX_CHARS) {
    throw bad(`That destination link is ${text.length} characters long, more than the ${CARD_LINK_MAX_CHARS} a card ever needs: copy the link again from the destination.`);
  }
  const link = text.trim();
  // The scheme and host are case-insensitive in URIs; some QR scanners upper-case them.
  if (link.slice(0, LINK_PREFIX.length).toLowerCase() !== LINK_PREFIX) {
    if (link.toLowerCase().startsWith('inswarm://')) {
      throw bad('That inswarm:// link is not a destination card (it does not start with inswarm://dest?): copy the card link shown by "inswarm dest show --link".');
    }
    throw bad(`${quote(link)} is not a destination link: copy the whole link, which starts with inswarm://dest?.`);
  }
  const fields = new Map<string, string>();
  for (const part of link.slice(LINK_PREFIX.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq < 1) throw bad(`The destination link has a malformed part ${quote(part)} (expected KEY=VALUE): copy the whole link again.`);
    const key = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    if (!LINK_KEYS.has(key)) {
      throw bad(`The destination link has a field ${quote(key)} this Inswarm does not know: update Inswarm, or copy the link again from the destination.`);
    }
    if (fields.has(key)) throw bad(`The destination link has the field "${key}" twice: copy the link again from the destination.`);
    if (!RAW_VALUE.test(raw)) {
      throw bad(`The destination link's "${key}" holds characters a link never contains (a space or a line break from copying?): copy the link again in one piece.`);
    }
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch (err) {
      throw bad(`The destination link's "${key}" has a broken %-escape: copy the link again from the destination.`, err);
    }
    fields.set(key, value);
  }

  const version = fields.get('v');
  if (version === undefined) throw bad('The destination link has no version (v=…): copy the whole link again from the destination.');
  if (version !== String(CARD_LINK_VERSION)) {
    if (/^[1-9]\d{0,8}$/.test(version) && Number(version) > CARD_LINK_VERSION) {
      throw bad(`The destination link was made by a newer Inswarm (card version ${version}; this one reads version ${CARD_LINK_VERSION}): update Inswarm to import it.`);
    }
    throw bad(`The destination link has an invalid version ${quote(version)}: copy the link again from the destination.`);
  }
  fields.delete('v');

  const kind = fields.get('kind');
  if (kind === undefined) throw bad('The destination link does not say where to deliver (no kind=…): copy the whole link again from the destination.');
  const endpoint: Record<string, unknown> = {};
  const card: Record<string, unknown> = { endpoint };
  for (const [key, value] of fields) {
    if (key === 'label' || key === 'recipient') card[key] = value;
    else if (key === 'forcePathStyle') endpoint[key] = value === '1' ? true : value === '0' ? false : value;
    else endpoint[key] = value;
  }
  // An S3 endpoint of null (AWS itself) is written by leaving the key out.
  if (kind === 's3' && !fields.has('endpoint')) endpoint['endpoint'] = null;
  return validateCard(card);
}

/**
 * Checks a card from any source (a parsed link, the UI, the ledger) and returns it in canonical
 * form: receiver and S3 URLs reduced to their origin, device ID canonical, S3 prefix without
 * leading or trailing slashes, folder path resolved. Unknown fields are refused, not dropped.
 */
export function validateCard(value: unknown): DestinationCard {
  const fields = record(value, 'The destination card', CARD_KEYS);
  const card: DestinationCard = {
    label: validateLabel(fields['label']),
    recipient: validateRecipient(fields['recipient']),
    endpoint: validateEndpoint(fields['endpoint']),
  };
  const length = formatLink(card).length;
  if (length > CARD_LINK_MAX_CHARS) {
    throw bad(`The destination card would make a link of ${length} characters, more than the ${CARD_LINK_MAX_CHARS} a QR code carries comfortably: use a shorter label, prefix or folder path.`);
  }
  return card;
}

/** Checks a destination's label: a short, printable name that can be typed as a command-line argument. */
export function validateLabel(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw bad('A destination needs a label: choose a short name such as "home".');
  if ([...value].length > CARD_LABEL_MAX_CHARS) {
    throw bad(`The destination label ${quote(value)} is longer than ${CARD_LABEL_MAX_CHARS} characters: choose a shorter one.`);
  }
  if (UNSAFE_CHARS.test(value)) {
    throw bad(`The destination label ${quote(value)} contains control or direction-changing characters: choose a plain name.`);
  }
  if (value !== value.trim()) throw bad(`The destination label ${quote(value)} starts or ends with a space: choose a name without them.`);
  // A label is typed as an argument ("inswarm dest remove LABEL"), where a leading "-" reads as an option.
  if (value.startsWith('-')) throw bad(`The destination label ${quote(value)} starts with "-", which would read as an option: choose another name.`);
  return value;
}

/** Checks an age X25519 recipient (what blobs are sealed to). */
export function validateRecipient(value: unknown): string {
  // Printable ASCII first, so that the parser's sentence can quote it safely.
  if (typeof value !== 'string' || value.length > 200 || !/^[\x21-\x7e]+$/.test(value)) {
    throw bad('The destination card\'s recipient is not an age recipient (age1…): copy the card again from the destination.');
  }
  try {
    parseRecipient(value);
  } catch (err) {
    throw bad(`The destination card's recipient is wrong: ${lowerFirst((err as Error).message)}`, err);
  }
  return value;
}

/** Checks an endpoint of any kind and returns its canonical form. */
export function validateEndpoint(value: unknown): Endpoint {
  const kind = (value as { kind?: unknown } | null | undefined)?.kind;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || kind === undefined) {
    throw bad('The destination card does not say where to deliver (its endpoint has no kind): copy the card again from the destination.');
  }
  if (typeof kind !== 'string' || !Object.hasOwn(ENDPOINT_KEYS, kind)) {
    throw bad(`The destination card's endpoint kind ${quote(String(kind))} is unknown (this Inswarm knows receiver, s3 and folder): update Inswarm, or copy the card again.`);
  }
  const fields = record(value, `A ${kind} endpoint`, ENDPOINT_KEYS[kind as EndpointKind]);
  switch (kind as EndpointKind) {
    case 'receiver':
      return receiverEndpoint(fields);
    case 's3':
      return s3Endpoint(fields);
    case 'folder':
      return folderEndpoint(fields);
  }
}

/** Splits `s3://BUCKET/PREFIX` (as typed on the command line) into a bucket and a normalised prefix. */
export function parseS3Location(text: string): { bucket: string; prefix: string } {
  if (typeof text !== 'string' || !text.startsWith('s3://')) {
    throw bad(`${quote(String(text))} is not an S3 location: write it as s3://BUCKET or s3://BUCKET/PREFIX.`);
  }
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = validateBucket(slash < 0 ? rest : rest.slice(0, slash));
  const prefix = validatePrefix(slash < 0 ? '' : rest.slice(slash + 1));
  return { bucket, prefix };
}

/** One line saying where a destination delivers, for lists and `dest show`. */
export function describeEndpoint(endpoint: Endpoint | null): string {
  if (endpoint === null) return 'no delivery endpoint (restore by hand)';
  switch (endpoint.kind) {
    case 'receiver':
      return `receiver ${endpoint.url} (${endpoint.receiverId.slice(0, 7)})`;
    case 's3': {
      const where = [endpoint.region, ...(endpoint.endpoint === null ? [] : [endpoint.endpoint]), ...(endpoint.forcePathStyle ? ['path-style'] : [])];
      return `s3://${endpoint.bucket}/${endpoint.prefix} (${where.join(', ')})`;
    }
    case 'folder':
      return `folder ${endpoint.path}`;
  }
}

function receiverEndpoint(fields: Record<string, unknown>): ReceiverEndpoint {
  const url = originUrl(fields['url'], 'receiver address', ['https:'], 'it should look like https://HOST:PORT, as "inswarm receive" prints it');
  const id = fields['receiverId'];
  if (typeof id !== 'string' || id.length > DEVICE_ID_MAX_INPUT_CHARS || !/^[\x20-\x7e]+$/.test(id)) {
    throw bad('The destination card\'s receiver ID is not a device ID: copy the card again from the receiver.');
  }
  let receiverId: string;
  try {
    receiverId = parseDeviceId(id);
  } catch (err) {
    throw bad(`The destination card's receiver ID is wrong: ${lowerFirst((err as Error).message)}`, err);
  }
  return { kind: 'receiver', url, receiverId };
}

function s3Endpoint(fields: Record<string, unknown>): S3Endpoint {
  const region = fields['region'];
  if (typeof region !== 'string' || region.length > CARD_S3_REGION_MAX_CHARS || !REGION_NAME.test(region)) {
    throw bad(`The S3 region ${quote(String(region))} is not a region name (such as us-east-1, or auto for R2): check --region.`);
  }
  const endpoint = fields['endpoint'] === null
    ? null
    : originUrl(fields['endpoint'], 'S3 endpoint', ['https:', 'http:'], 'it should look like https://HOST[:PORT], or be left out for AWS');
  const forcePathStyle = fields['forcePathStyle'];
  if (typeof forcePathStyle !== 'boolean') throw bad('The S3 endpoint\'s path-style setting must be true or false: copy the card again.');
  return { kind: 's3', bucket: validateBucket(fields['bucket']), prefix: validatePrefix(fields['prefix']), region, endpoint, forcePathStyle };
}

function folderEndpoint(fields: Record<string, unknown>): FolderEndpoint {
  const path = fields['path'];
  if (typeof path !== 'string' || path === '') throw bad('A folder destination needs the folder\'s path: give it with --folder DIR.');
  if (Buffer.byteLength(path) > CARD_FOLDER_PATH_MAX_BYTES) {
    throw bad(`The destination folder's path is longer than ${CARD_FOLDER_PATH_MAX_BYTES} bytes: choose a folder with a shorter path.`);
  }
  if (UNSAFE_CHARS.test(path)) throw bad(`The destination folder ${quote(path)} has control characters in its path: choose another folder.`);
  if (!isAbsolute(path)) throw bad(`The destination folder ${quote(path)} is not an absolute path: give the full path, starting at the root.`);
  return { kind: 'folder', path: resolve(path) };
}

function validateBucket(value: unknown): string {
  const name = typeof value === 'string' ? value : '';
  if (
    !BUCKET_NAME.test(name) ||
    name.includes('..') ||
    IPV4_LIKE.test(name) ||
    /^(xn--|sthree-)/.test(name) ||
    /(-s3alias|--ol-s3)$/.test(name)
  ) {
    throw bad(`${quote(String(value))} is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit): check the bucket.`);
  }
  return name;
}

/** Leading and trailing slashes are dropped; empty, "." and ".." segments are refused (keys are literal, and a reader of the bucket must find them). */
function validatePrefix(value: unknown): string {
  if (typeof value !== 'string') throw bad('The S3 prefix must be text (empty for the bucket\'s root): copy the card again.');
  if (Buffer.byteLength(value) > CARD_S3_PREFIX_MAX_BYTES) throw bad(`The S3 prefix is longer than ${CARD_S3_PREFIX_MAX_BYTES} bytes: choose a shorter one.`);
  if (UNSAFE_CHARS.test(value)) throw bad(`The S3 prefix ${quote(value)} has control characters: choose a plain one.`);
  const prefix = value.replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && prefix.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw bad(`The S3 prefix ${quote(value)} has an empty, "." or ".." part: write it as plain names joined by "/", such as photos/2024.`);
  }
  return prefix;
}

/** A URL that must be just an origin (scheme, host, port); returns it as the origin string. */
function originUrl(value: unknown, what: string, schemes: readonly string[], hint: string): string {
  if (typeof value !== 'string' || value === '') throw bad(`The ${what} is missing: ${hint}.`);
  if (value.length > CARD_URL_MAX_CHARS) throw bad(`The ${what} is longer than ${CARD_URL_MAX_CHARS} characters: ${hint}.`);
  let url: URL;
  try {
    if (/\s|\p{Cc}/u.test(value)) throw new TypeError('whitespace');
    url = new URL(value);
  } catch (err) {
    throw bad(`The ${what} ${quote(value)} is not a URL: ${hint}.`, err);
  }
  if (!schemes.includes(url.protocol)) {
    throw bad(`The ${what} ${quote(value)} must start with ${schemes.map((s) => `${s}//`).join(' or ')}: ${hint}.`);
  }
  if (url.username !== '' || url.password !== '' || value.includes('@')) {
    throw bad(`The ${what} ${quote(value)} holds a user name or password, which a card must never carry: ${hint}.`);
  }
  if (url.pathname !== '/' || value.includes('?') || value.includes('#')) {
    throw bad(`The ${what} ${quote(value)} has a path, query or fragment: ${hint}.`);
  }
  return url.origin;
}

/** The object's own fields, refusing a non-object, a missing field or one not in `keys`. */
function record(value: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(`${what} is not a set of fields: copy the card again from the destination.`);
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw bad(`${what} is not a plain set of fields: copy the card again from the destination.`);
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw bad(`${what} has a field ${quote(key)} this Inswarm does not know: update Inswarm, or copy the card again from the destination.`);
  }
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) throw bad(`${what} has no "${key}": copy the card again from the destination.`);
  }
  return value as Record<string, unknown>;
}

function formatLink(card: DestinationCard): string {
  const e = card.endpoint;
  const pairs: [string, string][] = [['v', String(CARD_LINK_VERSION)], ['label', card.label], ['recipient', card.recipient], ['kind', e.kind]];
  switch (e.kind) {
    case 'receiver':
      pairs.push(['url', e.url], ['receiverId', e.receiverId]);
      break;
    case 's3':
      pairs.push(['bucket', e.bucket], ['prefix', e.prefix], ['region', e.region]);
      if (e.endpoint !== null) pairs.push(['endpoint', e.endpoint]);
      pairs.push(['forcePathStyle', e.forcePathStyle ? '1' : '0']);
      break;
    case 'folder':
      pairs.push(['path', e.path]);
      break;
  }
  return LINK_PREFIX + pairs.map(([k, v]) => `${k}=${encodeValue(v)}`).join('&');
}

/** Percent-encodes a value, keeping ":", "/" and "@" (legal in a query) so URLs and paths stay readable. */
function encodeValue(value: string): string {
  return encodeURIComponent(value).replace(/%3A/g, ':').replace(/%2F/g, '/').replace(/%40/g, '@');
}

/** Untrusted text for a message: shortened, quoted, with control and direction characters escaped. */
function quote(text: string): string {
  const short = [...text].length > 40 ? `${[...text].slice(0, 40).join('')}…` : text;
  return JSON.stringify(short).replace(/[\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function lowerFirst(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
