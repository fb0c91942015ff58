/**
 * A real browser for the web page's tests: Debian's chromium (installed by test/setup.sh and .ci/run),
 * driven by playwright-core, which never downloads a browser of its own. Playwright gives every launch a
 * fresh profile directory; the flags keep chromium off the network (no component updates, no sync, no
 * background requests), as a root user needs --no-sandbox.
 *
 *     const browser = await launchBrowser();
 *     const page = await watchedPage(browser, 'http://127.0.0.1:9477');
 *     await page.page.goto(...); expect(page.consoleErrors).toEqual([]);
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ROOT } from './exec.js';

export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console messages of type error, and uncaught exceptions. */
  readonly consoleErrors: string[];
  /** Every URL the page asked for, in order. */
  readonly requests: string[];
  /** Dialogs (alert, confirm, prompt) the page opened: a script that ran would show here. */
  readonly dialogs: string[];
}

// Under c8 (NODE_V8_COVERAGE set), the page's script is measured in the browser too: chromium's V8 coverage
// of /assets/page.js is written where c8 collects Node's, under the name of the file it was served from
// (dist/web/page/app.js, less its last line), so c8 maps it through the source map onto src/web/page/app.ts.
const COVERAGE_DIR = process.env['NODE_V8_COVERAGE'];
const APP_JS = pathToFileURL(join(ROOT, 'dist/web/page/app.js')).href;
let coverageFiles = 0;

/** Closes the page's context, writing its coverage of the page's script first. */
export async function closeWatched(w: WatchedPage): Promise<void> {
  if (COVERAGE_DIR) {
    const entries = await w.page.coverage.stopJSCoverage().catch(() => []);
    const result = entries.filter((e) => /\/assets\/page\.js$/.test(e.url)).map((e) => ({ scriptId: '0', url: APP_JS, functions: e.functions }));
    if (result.length > 0) writeFileSync(join(COVERAGE_DIR, `coverage-browser-${process.pid}-${++coverageFiles}.json`), JSON.stringify({ result }));
  }
  await w.context.close();
}

/** A new context and page that record console errors, requests and dialogs (close it with closeWatched). */
export async function watchedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ...options });
  const page = await context.newPage();
  if (COVERAGE_DIR) await page.coverage.startJSCoverage({ resetOnNavigation: false });
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { context, page, consoleErrors, requests, dialogs };
}

/** Painted pixels (alpha above zero) of each canvas on the page. */
export function canvasInk(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('canvas')].map((c) => {
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    }),
  );
}

/** The text of the cells of the table rows under `selector`, row by row. */
export function tableRows(page: Page, selector: string): Promise<string[][]> {
  return page.evaluate(
    (sel) => [...document.querySelectorAll(`${sel} tbody tr`)].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    selector,
  );
}
