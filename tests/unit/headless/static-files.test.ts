// The renderer-file rules of the headless bridge as pure functions: which URL paths name a file
// under the renderer folder, and where the CSRF meta tag goes in index.html.

import { describe, expect, it } from 'vitest';
import { contentTypeOf, csrfMeta, injectCsrf, staticSegments } from '../../../src/main/headless/static-files.js';

describe('staticSegments', () => {
  it('maps / to index.html and plain paths to their segments', () => {
    expect(staticSegments('/')).toEqual(['index.html']);
    expect(staticSegments('/assets/app-1a2b.js')).toEqual(['assets', 'app-1a2b.js']);
    expect(staticSegments('/assets/a%20b.png')).toEqual(['assets', 'a b.png']);
  });

  it('refuses every way of climbing out, hidden files and odd forms', () => {
    for (const path of ['', 'index.html', '/..', '/../x', '/a/../x', '/%2e%2e/x', '/%2E%2e/x', '/a%2f..%2fx', '/a%2F..', '/..%5cx', '/a%5c..%5cx', '/.env', '/%2eenv', '/a/.git/config', '//x', '/a//b', '/a/', '/x%00.js', '/%c0%ae%c0%ae/x', '/%']) {
      expect(staticSegments(path), path).toBeNull();
    }
  });

  it('decodes once only: a double-encoded dot-dot stays a harmless name', () => {
    expect(staticSegments('/%252e%252e/x')).toEqual(['%2e%2e', 'x']);
  });
});

describe('injectCsrf', () => {
  const meta = csrfMeta('tok_EN-1');

  it('replaces the placeholder', () => {
    expect(injectCsrf('<head><!--inswarm-csrf--><title>t</title></head>', 'tok_EN-1')).toBe(`<head>${meta}<title>t</title></head>`);
  });

  it('goes before </head> without a placeholder, and first without a head', () => {
    expect(injectCsrf('<html><head><title>t</title></HEAD><body></body>', 'tok_EN-1')).toBe(`<html><head><title>t</title>${meta}</HEAD><body></body>`);
    expect(injectCsrf('<p>x</p>', 'tok_EN-1')).toBe(`${meta}<p>x</p>`);
  });

  it('escapes the token and never reads $ patterns in it', () => {
    expect(csrfMeta('a"b<c>&$&')).toBe('<meta name="inswarm-csrf" content="a&quot;b&lt;c&gt;&amp;$&amp;">');
    expect(injectCsrf('<!--inswarm-csrf-->', "$'$`")).toBe('<meta name="inswarm-csrf" content="$\'$`">');
  });
});

describe('contentTypeOf', () => {
  it('knows the renderer file kinds and serves the rest as inert bytes', () => {
    expect(contentTypeOf('/x/app.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('/x/icon.svg')).toBe('image/svg+xml');
    expect(contentTypeOf('/x/thing.exe')).toBe('application/octet-stream');
    expect(contentTypeOf('/x/noext')).toBe('application/octet-stream');
  });
});
