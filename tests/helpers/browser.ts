// Real Chromium (playwright-core, /usr/bin/chromium) driving the headless UI of a real node, for
// the end-to-end tests: a fresh profile per browser, every console error and uncaught page error
// collected (a test fails on any), and screenshots saved under test-output/screenshots/ (not
// committed). A wrapper executable can run Chromium elsewhere, e.g. inside a network namespace.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll } from 'vitest';
import { tempDir } from './tmp.js';

export const CHROMIUM = '/usr/bin/chromium';
/** The launch flags every test uses (no sandbox: tests run as root in a container). */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;
/** The window size of every page and screenshot: a common laptop screen. */
export const VIEWPORT = { width: 1280, height: 800 } as const;
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where screenshots go; gitignored (test-output/). */
export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');
/** The views in navigation order, as their nav items are named (`nav-<id>`). */
export const VIEW_IDS = ['overview', 'held', 'backups', 'peers', 'deliveries', 'settings', 'activity', 'import'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

export interface UiBrowser {
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions of every page so far, in order. */
  readonly errors: string[];
  /** A new tab whose errors are collected. */
  newPage(): Promise<Page>;
  /** Fails (throws) if any page reported an error; `allow` lists patterns that are expected. */
  assertNoErrors(allow?: readonly RegExp[]): void;
  close(): Promise<void>;
}

const open = new Set<UiBrowser>();
afterAll(async () => {
  await Promise.all([...open].map((b) => b.close()));
});

/**
 * Launches headless Chromium with a fresh profile. `executablePath` may be a wrapper script that
 * execs Chromium (e.g. inside `ip netns exec NS`); `colorScheme` is the system preference the
 * pages see.
 */
export async function launchBrowser(options: { executablePath?: string; colorScheme?: 'light' | 'dark'; args?: readonly string[] } = {}): Promise<UiBrowser> {
  const profile = await tempDir('inswarm-e2e-chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: options.executablePath ?? CHROMIUM,
    headless: true,
    viewport: VIEWPORT,
    colorScheme: options.colorScheme ?? 'light',
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
  const errors: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console error on ${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`uncaught in ${page.url()}: ${err.message}`));
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  let closed: Promise<void> | null = null;
  const browser: UiBrowser = {
    context,
    errors,
    newPage: () => context.newPage(),
    assertNoErrors(allow = []) {
      const unexpected = errors.filter((e) => !allow.some((re) => re.test(e)));
      if (unexpected.length > 0) throw new Error(`the page reported ${unexpected.length} error(s):\n${unexpected.join('\n')}`);
    },
    close() {
      open.delete(browser);
      closed ??= context.close().catch(() => undefined);
      return closed;
    },
  };
  open.add(browser);
  return browser;
}

/** The UI address a node printed ("Open the app: http://127.0.0.1:PORT/?token=…"). */
export function uiUrlOf(output: string): string {
  const m = /Open the app: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(output);
  if (m === null) throw new Error(`the node printed no UI address:\n${output}`);
  return m[1]!;
}

/** The origin (http://127.0.0.1:PORT) of a printed UI address. */
export function uiOrigin(url: string): string {
  return new URL(url).origin;
}

/** Opens the printed URL (token → cookie → `/`) and waits for the window's navigation. */
export async function openApp(browser: UiBrowser, url: string): Promise<Page> {
  const page = await browser.newPage();
  const response = await page.goto(url);
  if (response === null || response.status() !== 200) throw new Error(`opening ${url} answered ${response?.status()}`);
  await page.getByTestId('nav-overview').waitFor();
  return page;
}

/** Clicks a view's nav item and waits until its main area is shown. */
export async function showView(page: Page, view: ViewId): Promise<void> {
  await page.getByTestId(`nav-${view}`).click();
  await page.getByTestId(`view-${view}`).waitFor();
}

/** Saves a full-window screenshot as test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * A script that runs Chromium inside network namespace `ns` (`ip netns exec` execs, so
 * playwright's pipes reach Chromium itself); pass it as launchBrowser's executablePath.
 */
export async function chromiumInNamespace(ns: string): Promise<string> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(ns)) throw new Error(`not a namespace name: ${ns}`);
  const dir = await tempDir('inswarm-e2e-netns-chromium');
  const script = join(dir, 'chromium');
  await writeFile(script, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  return script;
}

/** Removes test-output/screenshots/<prefix>*.png left by an earlier run (not the folder). */
export async function clearScreenshots(names: readonly string[]): Promise<void> {
  await Promise.all(names.map((n) => rm(join(SCREENSHOT_DIR, `${n}.png`), { force: true })));
}
