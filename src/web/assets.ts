// The files of the web page, all served by the process (no CDN: the page works where the gateway host has
// no Internet): uPlot (MIT, from its npm package), the page's own script (src/web/page/app.ts, compiled by
// the project's tsc), its style sheet, and the two HTML documents: the live page, which loads them by path
// under a strict Content-Security-Policy, and the report, which carries them inline with their hashes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PAGE_CSS } from './style.js';

export interface Asset {
  readonly contentType: string;
  readonly body: string;
}

export interface PageAssets {
  readonly uplotJs: string;
  readonly uplotCss: string;
  readonly appJs: string;
  readonly css: string;
}

/** Fixed paths on the endpoint. */
export const ASSET_PATHS = {
  uplotJs: '/assets/uplot/uPlot.iife.min.js',
  uplotCss: '/assets/uplot/uPlot.min.css',
  appJs: '/assets/page.js',
  css: '/assets/page.css',
  icon: '/assets/favicon.svg',
} as const;

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f2937"/>' +
  '<path d="M2 12h3l2-7 2 9 2-5h3" fill="none" stroke="#f59e0b" stroke-width="1.6"/></svg>';

let loaded: PageAssets | undefined;

/** Read once, at the first page or report: a run that shows neither never reads them. */
export function pageAssets(): PageAssets {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const read = (path: string): string => readFileSync(path, 'utf8');
  // The compiled script names its source map; neither the endpoint nor the report has it to give.
  const appJs = read(new URL('./page/app.js', import.meta.url).pathname).replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  loaded = {
    uplotJs: read(require.resolve('uplot/dist/uPlot.iife.min.js')),
    uplotCss: read(require.resolve('uplot/dist/uPlot.min.css')),
    appJs,
    css: PAGE_CSS,
  };
  return loaded;
}

export function assetFiles(a: PageAssets): Record<string, Asset> {
  return {
    [ASSET_PATHS.uplotJs]: { contentType: 'text/javascript; charset=utf-8', body: a.uplotJs },
    [ASSET_PATHS.uplotCss]: { contentType: 'text/css; charset=utf-8', body: a.uplotCss },
    [ASSET_PATHS.appJs]: { contentType: 'text/javascript; charset=utf-8', body: a.appJs },
    [ASSET_PATHS.css]: { contentType: 'text/css; charset=utf-8', body: a.css },
    [ASSET_PATHS.icon]: { contentType: 'image/svg+xml', body: ICON },
  };
}

/**
 * The live page's policy: its own scripts, styles, icon and JSON only. No inline script or style at all
 * (uPlot sets element styles through the CSSOM, which style-src does not govern), no frames, no forms.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers of every page response: the policy, no MIME sniffing, no referrer sent anywhere. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const head = (title: string): string =>
  '<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
  `<meta name="color-scheme" content="light">\n<title>${title}</title>\n`;

const NOSCRIPT = '<noscript>This page needs JavaScript; the same numbers are at /metrics and /api/v1/status.</noscript>';
const NOSCRIPT_REPORT = '<noscript>This report needs JavaScript to draw its charts and tables.</noscript>';

/**
 * The live page: a shell the script fills from /api/v1/status. Its references are relative, so the page also
 * works behind a reverse proxy that serves the endpoint under a path of its own.
 */
export function liveHtml(): string {
  const at = (path: string): string => path.slice(1);
  return (
    '<!doctype html>\n<html lang="zh">\n<head>\n' +
    head('errcode-stream') +
    `<link rel="icon" href="${at(ASSET_PATHS.icon)}" type="image/svg+xml">\n` +
    `<link rel="stylesheet" href="${at(ASSET_PATHS.uplotCss)}">\n<link rel="stylesheet" href="${at(ASSET_PATHS.css)}">\n` +
    `<script src="${at(ASSET_PATHS.uplotJs)}" defer></script>\n<script type="module" src="${at(ASSET_PATHS.appJs)}"></script>\n` +
    `</head>\n<body>\n<main id="app" data-mode="live"></main>\n${NOSCRIPT}\n</body>\n</html>\n`
  );
}

/**
 * JSON that can sit inside a script element: `<`, `>` and `&` as escapes, so no value can close the element
 * or open a comment, and U+2028/U+2029, which some parsers take for line ends. JSON.parse reads it back unchanged.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Text of an inline element, checked: our own code must not hold what would end the element early. */
function inline(tag: 'script' | 'style', text: string): string {
  if (new RegExp(`</${tag}|<!--`, 'i').test(text)) throw new Error(`inline ${tag} holds </${tag} or <!--`);
  return text;
}

/**
 * The report: one file with everything inline. The data is a JSON data block (never executed, so the policy
 * need not name it); the scripts and styles run by their hashes, and nothing may be fetched.
 */
export function reportHtml(a: PageAssets, data: unknown, title: string): string {
  const scripts = [inline('script', a.uplotJs), inline('script', a.appJs)];
  const styles = [inline('style', a.uplotCss), inline('style', a.css)];
  const csp =
    `default-src 'none'; script-src ${scripts.map(sha256).join(' ')}; style-src ${styles.map(sha256).join(' ')}; ` +
    "base-uri 'none'; form-action 'none'";
  const escapedTitle = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    '<!doctype html>\n<html lang="zh">\n<head>\n' +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">\n` +
    head(escapedTitle) +
    `<style>${styles[0]}</style>\n<style>${styles[1]}</style>\n` +
    `<script id="report-data" type="application/json">${scriptSafeJson(data)}</script>\n` +
    `<script>${scripts[0]}</script>\n<script type="module">${scripts[1]}</script>\n` +
    `</head>\n<body>\n<main id="app" data-mode="report"></main>\n${NOSCRIPT_REPORT}\n</body>\n</html>\n`
  );
}
