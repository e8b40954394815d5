// The window's walls: the options it is created with, navigation and window.open blocked,
// permissions denied, and the CSP put on responses — and that CSP, in a real Chromium, really
// blocks inline and eval'd script, network requests and foreign images while our own files run.

import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, hardenContents, hardenSession, windowOptions } from '../../../src/main/electron/security.js';
import { createFakeSession, FakeWebContents } from './fake-electron.js';
import { tempDir } from '../../helpers/tmp.js';

const APP_URL = 'file:///opt/inswarm/dist/renderer/index.html';

describe('windowOptions', () => {
  it('isolates and sandboxes the page, without Node, with web security on and our preload', () => {
    const o = windowOptions({ preload: '/app/dist/main/electron/preload/preload.js', icon: '/app/assets/icons/512x512.png' });
    expect(o.webPreferences).toMatchObject({
      preload: '/app/dist/main/electron/preload/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(o.icon).toBe('/app/assets/icons/512x512.png');
    expect(o.show).toBe(false);
  });
});

describe('hardenContents', () => {
  function hardened() {
    const contents = new FakeWebContents();
    const opened: string[] = [];
    hardenContents(contents as never, APP_URL, (url) => opened.push(url));
    return { contents, opened };
  }

  it('blocks navigation away from our page; web links go to the browser instead', () => {
    const { contents, opened } = hardened();
    expect(contents.fire('will-navigate', { url: 'https://evil.example/phish' })).toBe(true);
    expect(contents.fire('will-navigate', { url: 'file:///etc/passwd' })).toBe(true);
    expect(contents.fire('will-navigate', { url: 'javascript:alert(1)' })).toBe(true);
    expect(contents.fire('will-navigate', { url: `${APP_URL}?next=1` })).toBe(true);
    expect(opened).toEqual(['https://evil.example/phish']);
    // Reloading our own page stays allowed.
    expect(contents.fire('will-navigate', { url: APP_URL })).toBe(false);
  });

  it('blocks subframe navigations, redirects away and webviews', () => {
    const { contents } = hardened();
    expect(contents.fire('will-frame-navigate', { url: APP_URL, isMainFrame: false })).toBe(true);
    expect(contents.fire('will-frame-navigate', { url: 'https://evil.example/', isMainFrame: true })).toBe(true);
    expect(contents.fire('will-frame-navigate', { url: APP_URL, isMainFrame: true })).toBe(false);
    expect(contents.fire('will-redirect', { url: 'https://evil.example/' })).toBe(true);
    expect(contents.fire('will-attach-webview', {})).toBe(true);
  });

  it('denies every new window; only http(s) links open, in the browser', () => {
    const { contents, opened } = hardened();
    for (const url of ['https://example.org/help', 'http://192.168.1.5/', APP_URL, 'file:///etc/passwd', 'javascript:alert(1)', 'inswarm://card']) {
      expect(contents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(opened).toEqual(['https://example.org/help', 'http://192.168.1.5/']);
  });
});

describe('hardenSession', () => {
  it('denies every permission request and check', () => {
    const session = createFakeSession();
    hardenSession(session as never);
    for (const permission of ['notifications', 'media', 'geolocation', 'clipboard-read', 'openExternal', 'fileSystem']) {
      let granted: boolean | null = null;
      session.recorded.permissionRequest!(null, permission, (g) => (granted = g), {});
      expect(granted, permission).toBe(false);
      expect(session.recorded.permissionCheck!(null, permission, 'file://', {})).toBe(false);
    }
    expect(session.recorded.devicePermission!({})).toBe(false);
  });

  it('puts our CSP on responses, replacing any other', () => {
    const session = createFakeSession();
    hardenSession(session as never);
    let headers: Record<string, string | string[]> | undefined;
    session.recorded.headersReceived!({ url: APP_URL, responseHeaders: { 'content-security-policy': ["script-src *"], 'X-Other': ['1'] } }, (r) => (headers = r.responseHeaders));
    expect(headers).toEqual({ 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it('allows no inline or eval script and no network in the policy text', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:/);
  });
});

describe('the CSP in Chromium', () => {
  let browser: BrowserContext | null = null;
  afterAll(async () => {
    await browser?.close();
  });

  it("runs our own script, data: images and styles, and blocks inline script, eval, fetch, foreign images and frames", async () => {
    const profile = await tempDir('inswarm-csp');
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    const dataPng = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
    await page.route('http://app.test/**', async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') {
        await route.fulfill({
          headers: { 'Content-Type': 'text/html', 'Content-Security-Policy': CONTENT_SECURITY_POLICY },
          body: `<!doctype html><html><head><link rel="stylesheet" href="/app.css"><script src="/app.js"></script></head><body>
            <script>window.inlineRan = true</script>
            <img id="own" src="${dataPng}"><img id="foreign" src="http://foreign.test/x.png">
            <iframe src="http://app.test/frame"></iframe></body></html>`,
        });
      } else if (path === '/app.js') {
        await route.fulfill({
          headers: { 'Content-Type': 'text/javascript' },
          body: `window.ownRan = true; window.violations = [];
            document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.effectiveDirective));
            try { eval('1'); window.evalRan = true } catch { window.evalRan = false }
            window.fetched = fetch('http://app.test/api').then(() => 'ok', () => 'blocked');`,
        });
      } else if (path === '/app.css') {
        await route.fulfill({ headers: { 'Content-Type': 'text/css' }, body: 'body { margin: 7px }' });
      } else {
        await route.fulfill({ headers: { 'Content-Type': 'text/plain' }, body: 'reached' });
      }
    });
    await page.route('http://foreign.test/**', (route) => route.fulfill({ headers: { 'Content-Type': 'image/png' }, body: Buffer.from(dataPng.split(',')[1]!, 'base64') }));
    await page.goto('http://app.test/');
    await page.waitForFunction(() => (window as unknown as { violations: string[] }).violations.length >= 5);
    const state = await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown>;
      const img = (id: string) => (document.getElementById(id) as HTMLImageElement).naturalWidth;
      return {
        ownRan: w['ownRan'],
        inlineRan: w['inlineRan'] ?? false,
        evalRan: w['evalRan'],
        fetched: await (w['fetched'] as Promise<string>),
        own: img('own'),
        foreign: img('foreign'),
        margin: getComputedStyle(document.body).marginTop,
        violations: [...new Set(w['violations'] as string[])].sort(),
      };
    });
    expect(state).toEqual({
      ownRan: true,
      inlineRan: false,
      evalRan: false,
      fetched: 'blocked',
      own: 1,
      foreign: 0,
      margin: '7px',
      violations: ['connect-src', 'frame-src', 'img-src', 'script-src', 'script-src-elem'],
    });
  });
});
