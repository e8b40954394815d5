// The headless bridge's checks on who is asking (the model is described in ui-server.ts): Host,
// Origin, URL token, session cookie, CSRF header, and the headers every answer carries. Pure:
// strings in, verdicts out; no sockets, no clocks, no randomness.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The one interface the bridge listens on. */
export const UI_HOST = '127.0.0.1';

/**
 * True when `given` equals `expected`, in time that depends on neither. Both sides are hashed
 * first so that the comparison is over 32 bytes whatever their lengths.
 */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * A secret derived from the URL token for one purpose (the session cookie, the CSRF token):
 * HMAC-SHA256, so neither reveals the token or the other. Derived rather than random, so that a
 * caller who keeps its token across restarts also keeps open tabs working across them.
 */
export function deriveSecret(token: string, purpose: 'session' | 'csrf'): string {
  return createHmac('sha256', token).update(`inswarm web UI ${purpose}`, 'utf8').digest('base64url');
}

/**
 * The Host header, lowercased, when it names this server exactly (`127.0.0.1:PORT` or
 * `localhost:PORT`), else null. A page on a rebound DNS name (evil.example resolving to
 * 127.0.0.1) sends its own name here, so this is what defeats DNS rebinding.
 */
export function checkHost(host: string | undefined, port: number): string | null {
  if (host === undefined) return null;
  const lower = host.toLowerCase();
  return lower === `127.0.0.1:${port}` || lower === `localhost:${port}` ? lower : null;
}

export type OriginVerdict = 'same' | 'missing' | 'foreign';

/**
 * Whether a request's Origin is this page's own origin (`http://` + the checked Host). Browsers
 * send Origin on every POST and every WebSocket handshake, so a missing one is not a browser
 * page of ours; `null` (sandboxed frames, file: pages) and any other origin are foreign.
 */
export function checkOrigin(origin: string | undefined, host: string): OriginVerdict {
  if (origin === undefined || origin === '') return 'missing';
  return origin.toLowerCase() === `http://${host}` ? 'same' : 'foreign';
}

/**
 * The session cookie's name. Cookies are scoped by host, not port, so every Inswarm on this
 * machine (the demo runs five) needs its own name or they would overwrite each other's.
 */
export function sessionCookieName(port: number): string {
  return `inswarm-session-${port}`;
}

/**
 * The Set-Cookie value: HttpOnly (page scripts never see it), SameSite=Strict, Path=/, and no
 * Expires or Max-Age, so it dies with the browser session. Not Secure: the bridge is plain http
 * on loopback.
 */
export function sessionCookie(name: string, value: string): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict`;
}

/** Every value the Cookie header carries for `name` (another local page may have planted its own). */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (header === undefined) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/** True when the Cookie header carries this server's session secret under `name`. */
export function hasSession(header: string | undefined, name: string, secret: string): boolean {
  let found = false;
  // Every candidate is compared (no early exit), so timing does not tell which one matched.
  for (const value of cookieValues(header, name)) found = sameSecret(value, secret) || found;
  return found;
}

/** The `token` of a query string (`?token=…`), or undefined. */
export function queryToken(query: string): string | undefined {
  return new URLSearchParams(query).get('token') ?? undefined;
}

/** True for `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  return value.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * The Content-Security-Policy of every answer: only this origin's own scripts, styles, images
 * (and data: images for thumbnails and QR codes) and connections; never framed; no <base>, no forms.
 */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Headers on every answer, refusals included. */
export function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    // Other local origins are same-site (ports do not count), so only this keeps the browser
    // from handing our responses to their no-cors requests.
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}
