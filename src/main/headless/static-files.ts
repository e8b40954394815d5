// The renderer's files for the browser: only regular files under the renderer folder, never a
// path that climbs out of it (plain, percent-encoded or through a symlink), never a dotfile,
// never a directory listing. index.html gets the page's CSRF token as a <meta> tag.

import { open, realpath, type FileHandle } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/** Content types by extension; anything else is served as bytes the browser will not run. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The placeholder in index.html's <head> that the CSRF meta tag replaces. */
export const CSRF_PLACEHOLDER = '<!--inswarm-csrf-->';
/** The meta tag's name, as src/renderer/bridge.ts reads it. */
export const CSRF_META_NAME = 'inswarm-csrf';

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The path segments a URL path names under the renderer folder, or null when it must not be
 * served. `/` is index.html. Each segment is percent-decoded on its own, so `%2f` and `%5c` can
 * never make new separators, and a decoded segment that is empty, `.`, `..`, hidden (`.x`), or
 * holds a slash, backslash or NUL is refused.
 */
export function staticSegments(urlPath: string): string[] | null {
  if (!urlPath.startsWith('/')) return null;
  if (urlPath === '/') return ['index.html'];
  const segments: string[] = [];
  for (const raw of urlPath.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

/** An open regular file under the renderer folder. The caller closes `handle`. */
export interface StaticFile {
  readonly handle: FileHandle;
  readonly path: string;
  readonly size: number;
  readonly type: string;
  /** The renderer's index.html, which gets the CSRF meta tag. */
  readonly isIndex: boolean;
}

/**
 * Opens the file `segments` name under `rootDir`, or null when there is none to serve: missing,
 * not a regular file, or (after symlinks are resolved) outside `rootDir`.
 */
export async function openStatic(rootDir: string, segments: readonly string[]): Promise<StaticFile | null> {
  let root: string;
  let real: string;
  try {
    root = await realpath(rootDir);
    real = await realpath(join(root, ...segments));
  } catch {
    return null;
  }
  if (!real.startsWith(root + sep)) return null;
  let handle: FileHandle;
  try {
    handle = await open(real, 'r');
  } catch {
    return null;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return null;
    }
    return { handle, path: real, size: stat.size, type: contentTypeOf(real), isIndex: real === join(root, 'index.html') };
  } catch {
    await handle.close().catch(() => undefined);
    return null;
  }
}

/** The CSRF meta tag (the token is base64url; it is escaped anyway). */
export function csrfMeta(token: string): string {
  return `<meta name="${CSRF_META_NAME}" content="${escapeAttribute(token)}">`;
}

/**
 * index.html with the CSRF meta tag in place of CSRF_PLACEHOLDER, else just before </head>, else
 * at the very start (a browser still reads it as part of the head).
 */
export function injectCsrf(html: string, token: string): string {
  const meta = csrfMeta(token);
  if (html.includes(CSRF_PLACEHOLDER)) return html.replace(CSRF_PLACEHOLDER, () => meta);
  const head = html.search(/<\/head\s*>/i);
  if (head >= 0) return html.slice(0, head) + meta + html.slice(head);
  return meta + html;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
