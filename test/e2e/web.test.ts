// The web page and the report in a real browser (Debian's chromium through playwright-core): the live page
// against the real CLI fed through a pipe, its numbers against the same moment's /metrics; the report opened
// from file:// with the network off; hostile codes, descriptions, routes and apps shown as text; the page
// behind a web config's TLS and password.
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, generateFile } from '../../dist/tools/generate.js';
import { startMetricsServer } from '../../dist/http/server.js';
import { livePageFace, reportFace } from '../../dist/web/face.js';
import { canvasInk, closeWatched, launchBrowser, tableRows, watchedPage, type WatchedPage } from '../support/browser.js';
import { startCli } from '../support/cli.js';
import { ROOT, runCli, type SummaryJson } from '../support/exec.js';
import { parseExposition, samples, sum, type Sample } from '../support/exposition.js';
import { fakeRun, firingEvent } from '../support/fake-run.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-web-'));
const START = Date.UTC(2026, 10, 25, 8, 0, 0);
const num = (n: number): string => Math.round(n).toLocaleString('en-US');

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The page's origin from the CLI's metrics URL. */
const originOf = (metricsUrl: string): string => new URL(metricsUrl).origin;

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? '';
}

/** The report's data block, read back the way the page reads it. */
function reportData(file: string): { input: { lines: Record<string, number> }; responses: number; alerts: { incidents: unknown[] }; history: { step_seconds: number; t: number[] } } {
  const html = readFileSync(file, 'utf8');
  return JSON.parse(/<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!);
}

interface StatusJson {
  input: { lines: Record<string, number>; bytes: number; last_line_at: string | null };
  responses: number;
  codes: { code: string; count: number }[];
  alerts: { families: Record<string, { ratio: number; active: boolean; fired_total: number }>; firing: { family: string }[] };
  places: { name: string; top: { value: string; count: number; server: number; platform: number }[]; errors: { value: string; server: number; platform: number }[] }[];
}

/** /metrics and /api/v1/status at one moment: a scrape before and after the status must agree. */
async function sameMoment(origin: string): Promise<{ metrics: Sample[]; status: StatusJson }> {
  for (let i = 0; ; i++) {
    const before = await (await fetch(`${origin}/metrics`)).text();
    const status = (await (await fetch(`${origin}/api/v1/status`)).json()) as StatusJson;
    const after = await (await fetch(`${origin}/metrics`)).text();
    const strip = (t: string): string => t.split('\n').filter((l) => l.startsWith('errcode_')).join('\n');
    if (strip(before) === strip(after)) return { metrics: parseExposition(after), status };
    if (i > 20) throw new Error('the metrics never held still');
  }
}

function expectStatusEqualsMetrics(status: StatusJson, m: Sample[]): void {
  for (const [outcome, n] of Object.entries(status.input.lines)) {
    if (outcome !== 'total') expect(sum(m, 'errcode_input_lines_total', { outcome }), outcome).toBe(n);
  }
  expect(status.input.lines['total']).toBe(sum(m, 'errcode_input_lines_total'));
  expect(status.input.bytes).toBe(sum(m, 'errcode_input_bytes_total'));
  expect(status.responses).toBe(sum(m, 'errcode_responses_total'));
  const counted = samples(m, 'errcode_responses_total').filter((s) => s.value > 0);
  expect(status.codes.map((c) => [c.code, c.count]).sort()).toEqual(counted.map((s) => [s.labels['code'], s.value]).sort());
  for (const family of ['server', 'platform']) {
    const f = status.alerts.families[family]!;
    expect(f.ratio, family).toBeCloseTo(sum(m, 'errcode_window_ratio', { family }), 12);
    expect(f.active ? 1 : 0).toBe(sum(m, 'errcode_alert_active', { family }));
    expect(f.fired_total).toBe(sum(m, 'errcode_alerts_total', { family }));
  }
  expect(Date.parse(status.input.last_line_at!) / 1000).toBeCloseTo(sum(m, 'errcode_last_line_timestamp_seconds'), 3);
  // The places are the breakdowns' series summed over codes (errcode_<NAME>_responses_total).
  expect(status.places.map((d) => d.name)).toEqual(['route', 'app', 'method']);
  for (const d of status.places) {
    const metric = `errcode_${d.name}_responses_total`;
    for (const p of d.top) expect(sum(m, metric, { [d.name]: p.value }), `${d.name}=${p.value}`).toBe(p.count);
    for (const p of d.errors) {
      expect(sum(m, metric, { [d.name]: p.value, category: 'server' }) + sum(m, metric, { [d.name]: p.value, category: 'system' })).toBe(p.server);
      expect(sum(m, metric, { [d.name]: p.value, category: 'platform_auth' })).toBe(p.platform);
    }
  }
}

/** What the page shows: the tiles' values, the outcome rows and the code rows. */
async function shown(page: Page): Promise<{ responses: string; outcomes: Record<string, string>; codes: [string, string][] }> {
  const outcomes = Object.fromEntries((await tableRows(page, '#outcomes')).map((r) => [r[0]!, r[1]!]));
  const codes = (await tableRows(page, '#codes')).map((r) => [r[0]!, r[2]!] as [string, string]);
  return { responses: await text(page, '#tile-responses .v'), outcomes, codes };
}

async function expectPageShowsStatus(page: Page, status: StatusJson): Promise<void> {
  for (const d of status.places) {
    const rows = await tableRows(page, `#places [data-dimension="${d.name}"] > div:first-child`);
    expect(rows.map((r) => [r[0], r[1]]), d.name).toEqual(d.top.map((p) => [p.value, num(p.count)]));
  }
  const s = await shown(page);
  expect(s.responses).toBe(num(status.responses));
  for (const o of ['ok', 'malformed', 'missing_code', 'invalid_code', 'oversized']) expect(s.outcomes[o], o).toBe(num(status.input.lines[o]!));
  expect(s.codes).toEqual(status.codes.slice(0, 15).map((c) => [c.code, num(c.count)]));
}

describe('the live page', () => {
  it('loads from its own origin only, shows the same numbers as /metrics, moves within 3 s and shows a spike as a firing alert', async () => {
    // 60 s of event time at 50 lines/s; a server spike in the second half.
    const { text: log, truth } = generate({ lines: 3000, rate: 50, seed: 13, startMs: START, hostile: 0.02, spikes: [{ family: 'server', at: 36, seconds: 20, share: 0.5 }] });
    const lines = log.split(/(?<=\n)/);
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0'], { stdin: 'pipe' });
    const origin = originOf(cli.url);
    expect(cli.stderr()).toContain(`(web page: ${origin}/)`);
    const w = await watchedPage(browser);
    try {
      cli.proc.stdin!.write(lines.slice(0, 1500).join(''));
      await w.page.goto(`${origin}/`);
      await w.page.waitForFunction(() => document.querySelector('#tile-responses .v')?.textContent !== undefined && document.querySelectorAll('#codes tbody tr').length > 0);
      // Idle input: the page's latest poll and the same moment's scrape agree.
      await w.page.waitForTimeout(1500);
      const first = await sameMoment(origin);
      expect(first.status.input.lines['total']).toBeGreaterThan(0);
      expectStatusEqualsMetrics(first.status, first.metrics);
      await w.page.waitForFunction((n) => document.querySelector('#tile-responses .v')?.textContent === n, num(first.status.responses), { timeout: 3000 });
      await expectPageShowsStatus(w.page, first.status);

      // More lines: the page moves within 3 s, and the spike in them fires.
      const before = await text(w.page, '#tile-responses .v');
      const sent = Date.now();
      cli.proc.stdin!.write(lines.slice(1500).join(''));
      await w.page.waitForFunction((b) => document.querySelector('#tile-responses .v')?.textContent !== b, before, { timeout: 3000 });
      expect(Date.now() - sent).toBeLessThan(3000);
      await w.page.waitForSelector('#firing .alert[data-family="server"]', { timeout: 10_000 });
      expect(await w.page.getAttribute('#tile-server', 'class')).toContain('firing');
      expect(await text(w.page, '#firing .alert')).toMatch(/50\d\d|http_50\d|500/);

      await w.page.waitForFunction((n) => document.querySelector('#tile-rate .d')?.textContent?.endsWith(n), num(truth.lines), { timeout: 5000 });
      const last = await sameMoment(origin);
      expect(last.status.input.lines['total']).toBe(truth.lines);
      expect(last.status.alerts.firing.map((f) => f.family)).toContain('server');
      // The firing alert names its places, from the detector's window: the page shows the event's top_labels.
      const places = last.status.alerts.firing.find((f) => f.family === 'server')!.top_labels!;
      expect(Object.keys(places)).toEqual(['route', 'app', 'method']);
      expect(places['route']![0]!.value).toMatch(/^\/(api|open)\/[a-z0-9/]+$/);
      await w.page.waitForFunction((r) => document.querySelector('#firing .alert')?.textContent?.includes(r), places['route']![0]!.value, { timeout: 5000 });
      expect(await text(w.page, '#incidents')).toContain(places['route']![0]!.value);
      expectStatusEqualsMetrics(last.status, last.metrics);
      await w.page.waitForTimeout(1200);
      const settled = await sameMoment(origin);
      await expectPageShowsStatus(w.page, settled.status);

      // Both charts hold data and are drawn; the incident is listed.
      const points = await w.page.evaluate(() => {
        const c = (globalThis as unknown as { errcodeCharts: { categories: { data: number[][] }; shares: { data: number[][] } } }).errcodeCharts;
        const x = c.categories.data[0]!;
        return { span: x[x.length - 1]! - x[0]!, categories: x.length, shares: c.shares.data[0]!.length };
      });
      // The last 15 minutes of event time; the minute of lines at the end of it.
      expect(points.span).toBeGreaterThanOrEqual(15 * 60 - 30);
      expect(points.categories).toBeGreaterThan(5);
      expect(points.shares).toBeGreaterThan(50);
      expect((await canvasInk(w.page)).every((n) => n > 1000)).toBe(true);
      expect(await w.page.locator('#incidents tbody tr').count()).toBe(1);

      expect(w.consoleErrors).toEqual([]);
      expect(w.requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
      expect(new Set(w.requests.map((u) => new URL(u).pathname))).toEqual(
        new Set(['/', '/assets/uplot/uPlot.min.css', '/assets/page.css', '/assets/uplot/uPlot.iife.min.js', '/assets/page.js', '/api/v1/status', '/assets/favicon.svg']),
      );
    } finally {
      await closeWatched(w);
      cli.proc.stdin!.end();
      await cli.stop();
    }
  });

  it('answers with its security headers, and switches its descriptions between Chinese and English', async () => {
    const { text: log } = generate({ lines: 500, rate: 20, seed: 3, startMs: START });
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--lang', 'en'], { stdin: 'pipe' });
    const origin = originOf(cli.url);
    const w = await watchedPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      cli.proc.stdin!.write(log);
      for (const path of ['/', '/api/v1/status', '/assets/page.js', '/assets/uplot/uPlot.iife.min.js']) {
        const res = await fetch(`${origin}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-security-policy'), path).toBe(
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        );
        expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      }
      expect((await fetch(`${origin}/nothing`)).status).toBe(404);
      await w.page.goto(`${origin}/`);
      await w.page.waitForSelector('#codes tbody tr');
      await w.page.evaluate(() => localStorage.clear());
      // --lang en: the page starts in English.
      await w.page.waitForFunction(() => document.querySelector('#codes tbody tr td:last-child')?.textContent === 'The platform handled the request; the business operation completed normally');
      await w.page.click('button[data-lang="zh"]');
      expect(await w.page.textContent('#codes tbody tr td:last-child')).toBe('开放平台成功处理了您的请求，业务正常结束');
      expect(await w.page.getAttribute('html', 'lang')).toBe('zh-CN');
      // A phone's width: nothing wider than the screen but the tables' own scrolling boxes.
      const overflow = await w.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(w.consoleErrors).toEqual([]);
    } finally {
      await closeWatched(w);
      cli.proc.stdin!.end();
      await cli.stop();
    }
  });
});

const FIXTURES = join(ROOT, 'fixtures/web-config');

function httpsGet(url: string, authorization?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(join(FIXTURES, 'server.crt')), headers: authorization ? { authorization } : {}, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the live page behind a web config', () => {
  it('demands TLS and the password for /, /api/v1/status and the assets, as for /metrics', async () => {
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--web-config', join(FIXTURES, 'tls_users.good.yml')], { stdin: 'pipe' });
    const origin = originOf(cli.url);
    expect(origin).toMatch(/^https:/);
    const right = `Basic ${Buffer.from('prometheus:scrape-secret').toString('base64')}`;
    const wrong = `Basic ${Buffer.from('prometheus:guess').toString('base64')}`;
    try {
      for (const path of ['/metrics', '/', '/api/v1/status', '/assets/page.js']) {
        expect(await httpsGet(`${origin}${path}`), path).toBe(401);
        expect(await httpsGet(`${origin}${path}`, wrong), path).toBe(401);
        expect(await httpsGet(`${origin}${path}`, right), path).toBe(200);
        await expect(fetch(`${origin.replace('https:', 'http:')}${path}`)).rejects.toThrow();
      }
      cli.proc.stdin!.write(generate({ lines: 200, rate: 20, seed: 5, startMs: START }).text);
      const w = await watchedPage(browser, { ignoreHTTPSErrors: true, httpCredentials: { username: 'prometheus', password: 'scrape-secret' } });
      try {
        await w.page.goto(`${origin}/`);
        await w.page.waitForFunction(() => document.querySelector('#tile-responses .v')?.textContent === '200', undefined, { timeout: 10_000 });
        expect(w.consoleErrors).toEqual([]);
      } finally {
        await closeWatched(w);
      }
    } finally {
      cli.proc.stdin!.end();
      await cli.stop();
    }
  });
});

/** Opens a report with the network off; every request other than the file itself is refused and recorded. */
async function openReport(file: string): Promise<WatchedPage & { blocked: string[] }> {
  const w = await watchedPage(browser, { offline: true });
  const blocked: string[] = [];
  await w.context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === `file://${file}`) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await w.page.goto(`file://${file}`);
  await w.page.waitForSelector('#outcomes tbody tr');
  return { ...w, blocked };
}

describe('--report', () => {
  it('writes one file that opens offline with its charts drawn, its incident marked and the summary totals', async () => {
    const log = join(dir, 'replay.ndjson');
    writeFileSync(log, generate({ lines: 24_000, rate: 20, seed: 21, startMs: START, hostile: 0.01, spikes: [{ family: 'server', at: 600, seconds: 120, share: 0.3 }] }).text);
    const report = join(dir, 'replay.html');
    const summaryFile = join(dir, 'replay.summary.json');
    const res = await runCli([log, '--output', 'none', '--report', report, '--summary-json', summaryFile]);
    expect(res.code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as SummaryJson;
    const w = await openReport(report);
    try {
      const { page } = w;
      expect(await text(page, '#tile-lines .v')).toBe(num(summary.lines['total']!));
      expect(await text(page, '#tile-responses .v')).toBe(num(summary.responses));
      const s = await shown(page);
      for (const o of ['ok', 'malformed', 'missing_code', 'invalid_code', 'oversized']) expect(s.outcomes[o], o).toBe(num(summary.lines[o]!));
      expect(s.codes).toEqual(summary.codes.slice(0, 15).map((c) => [c.code, num(c.count)]));

      // The category chart's data adds up to the responses (values are per second over each point's step).
      const chart = await page.evaluate(() => {
        const c = (globalThis as unknown as { errcodeCharts: { categories: { data: number[][] }; categoryStep: number } }).errcodeCharts;
        return { top: c.categories.data[1]!, step: c.categoryStep, series: c.categories.data.length };
      });
      expect(chart.series).toBe(9);
      expect(chart.top.reduce((a, v) => a + v, 0) * chart.step).toBeCloseTo(summary.responses, 6);
      expect((await canvasInk(page)).every((n) => n > 1000)).toBe(true);

      // The incident is listed and its band is painted behind the share lines.
      expect(await page.locator('#incidents tbody tr').count()).toBe(1);
      const band = await page.evaluate(() => {
        type U = { data: number[][]; bbox: { top: number }; valToPos(v: number, k: string, c: boolean): number; ctx: CanvasRenderingContext2D };
        const u = (globalThis as unknown as { errcodeCharts: { shares: U } }).errcodeCharts.shares;
        const row = document.querySelector('#incidents tbody tr')!;
        const start = Date.parse(row.children[2]!.textContent!.replace(' ', 'T'));
        const end = Date.parse(row.children[3]!.textContent!.replace(' ', 'T'));
        const x = Math.round(u.valToPos((start + end) / 2000, 'x', true));
        const inside = u.ctx.getImageData(x, u.bbox.top + 4, 1, 1).data;
        const before = u.ctx.getImageData(Math.round(u.valToPos(start / 1000 - 300, 'x', true)), u.bbox.top + 4, 1, 1).data;
        return { inside: [...inside], before: [...before] };
      });
      expect(band.inside[3]).toBeGreaterThan(0);
      expect(band.inside[0]!).toBeGreaterThan(band.inside[1]!);
      // Outside the band: nothing, or a grey grid line.
      expect(band.before[0]! - band.before[1]!).toBeLessThan(10);

      expect(w.consoleErrors).toEqual([]);
      expect(w.blocked).toEqual([]);
      expect(w.requests).toEqual([`file://${report}`]);
    } finally {
      await closeWatched(w);
    }
  });

  it('is written when a --follow run is ended by a signal', async () => {
    const log = join(dir, 'follow.ndjson');
    const { text: body, truth } = generate({ lines: 2000, rate: 20, seed: 8, startMs: START });
    writeFileSync(log, '');
    const report = join(dir, 'follow.html');
    const cli = await startCli([log, '--follow', '--from-start', '--output', 'none', '--listen', '127.0.0.1:0', '--report', report]);
    try {
      appendFileSync(log, body);
      for (let i = 0; ; i++) {
        const status = (await (await fetch(`${originOf(cli.url)}/api/v1/status`)).json()) as StatusJson;
        if (status.input.lines['total'] === truth.lines) break;
        if (i > 100) throw new Error('the follower did not read the lines');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    const data = reportData(report);
    expect(data.input.lines['total']).toBe(truth.lines);
    expect(data.history.t.length).toBeGreaterThan(50);
  });

  it('stays under 2 MB for a day-long archive', async () => {
    // A day of event time with two incidents; the size depends on the buckets, not the rate.
    const log = join(dir, 'day.ndjson');
    await generateFile(log, { lines: 172_800, rate: 2, seed: 30, startMs: START, spikes: [{ family: 'server', at: 30_000, seconds: 900, share: 0.3 }, { family: 'platform', at: 60_000, seconds: 900, share: 0.3 }] });
    const report = join(dir, 'day.html');
    const res = await runCli([log, '--output', 'none', '--report', report], { timeoutMs: 120_000 });
    expect(res.code).toBe(0);
    expect(statSync(report).size).toBeLessThan(2 * 1024 * 1024);
    const data = reportData(report);
    expect(data.history.step_seconds).toBe(60);
    expect(data.alerts.incidents).toHaveLength(2);
  }, 120_000);

  it('refuses a directory and a missing directory with one line, exit 2', async () => {
    for (const [path, reason] of [
      [dir, `--report ${dir}: is a directory`],
      [join(dir, 'missing', 'r.html'), `--report ${join(dir, 'missing', 'r.html')}: no such directory ${join(dir, 'missing')}`],
      ['-', '--report -: needs a file name (the report is one HTML file)'],
    ] as const) {
      const res = await runCli(['--listen', 'none', '--report', path], { stdin: '' });
      expect(res.code, path).toBe(2);
      expect(res.stderr).toBe(`errcode-stream: ${reason}\n`);
    }
  });
});

// Payloads that would run if any value reached the page as markup or as a URL.
const HOSTILE = [
  '<script>window.__pwned = "script"</script>',
  '"><img src=x onerror="window.__pwned=\'img\'">',
  'javascript:window.__pwned="js"',
  '</script><script>window.__pwned="close"</script>',
  '<!--<svg onload="window.__pwned=\'svg\'">\u2028',
];

async function expectNothingRan(w: WatchedPage, allowed: (url: string) => boolean): Promise<void> {
  expect(await w.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(w.dialogs).toEqual([]);
  expect(w.requests.filter((u) => !allowed(u))).toEqual([]);
  expect(await w.page.locator('img').count()).toBe(0);
  expect(w.consoleErrors).toEqual([]);
}

describe('hostile values', () => {
  it('show as text on the live page and in the report: codes and descriptions from a loaded table', async () => {
    const codes = join(dir, 'hostile-codes.json');
    writeFileSync(codes, JSON.stringify(HOSTILE.map((d, i) => ({ code: 5090 + i, description: d, description_en: HOSTILE[(i + 1) % HOSTILE.length] }))));
    // Enough lines of each value for the breakdowns to admit it (a value's first few counts go to other).
    const lines = HOSTILE.flatMap((_, i) => Array.from({ length: 30 - i }, () => JSON.stringify({ ts: new Date(START).toISOString(), code: 5090 + i, route: HOSTILE[i], appKey: HOSTILE[i], method: HOSTILE[i] }))).join('\n') + '\n';
    const report = join(dir, 'hostile.html');
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--codes', codes, '--report', report], { stdin: 'pipe' });
    const origin = originOf(cli.url);
    const w = await watchedPage(browser);
    try {
      cli.proc.stdin!.write(lines);
      await w.page.goto(`${origin}/`);
      await w.page.waitForFunction((n) => document.querySelectorAll('#codes tbody tr').length === n, HOSTILE.length, { timeout: 10_000 });
      const descriptions = (await tableRows(w.page, '#codes')).map((r) => r[4]);
      expect(descriptions).toEqual(HOSTILE);
      // Routes and apps from the log: the page shows what the breakdowns counted, as text.
      const status = (await (await fetch(`${origin}/api/v1/status`)).json()) as StatusJson;
      await w.page.waitForSelector('#places [data-dimension="app"]');
      for (const d of status.places) {
        const rows = await tableRows(w.page, `#places [data-dimension="${d.name}"] > div:first-child`);
        expect(rows.map((r) => r[0]), d.name).toEqual(d.top.map((p) => p.value));
      }
      const apps = status.places.find((d) => d.name === 'app')!.top.map((p) => p.value);
      for (const h of HOSTILE) expect(apps).toContain(h);
      await expectNothingRan(w, (u) => u.startsWith(`${origin}/`));
    } finally {
      await closeWatched(w);
      cli.proc.stdin!.end();
      expect(await cli.stop()).toBe(0);
    }
    const r = await openReport(report);
    try {
      expect((await tableRows(r.page, '#codes')).map((row) => row[4])).toEqual(HOSTILE);
      const apps = (await tableRows(r.page, '#places [data-dimension="app"] > div:first-child')).map((row) => row[0]);
      for (const h of HOSTILE) expect(apps).toContain(h);
      await r.page.click('button[data-lang="en"]');
      expect((await tableRows(r.page, '#codes')).map((row) => row[4])).toEqual(HOSTILE.map((_, i) => HOSTILE[(i + 1) % HOSTILE.length]));
      await expectNothingRan(r, (u) => u === `file://${report}`);
    } finally {
      await closeWatched(r);
    }
  });

  it('show as text on the live page and in the report: routes and apps of the breakdowns and of a firing alert', async () => {
    const pairs = HOSTILE.map((value, i) => ({ value, code: '5021', category: 'server' as const, count: 100 - i }));
    const labels = { route: HOSTILE.map((value, i) => ({ value, count: 10 - i })), app: HOSTILE.map((value) => ({ value, count: 1 })) };
    const report = join(dir, 'hostile-places.html');
    const run = fakeRun({ route: pairs, app: pairs }, { report }, [firingEvent('server', new Date(START).toISOString(), labels)]);
    const live = livePageFace(run.ctx)!;
    live.alerts!(run.alerts.firing());
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0, routes: live.routes!, healthy: () => true });
    const origin = originOf(server.url);
    const w = await watchedPage(browser);
    try {
      await w.page.goto(`${origin}/`);
      await w.page.waitForSelector('#places [data-dimension="app"]');
      const routes = (await tableRows(w.page, '#places [data-dimension="route"] > div:first-child')).map((row) => row[0]);
      expect(routes).toEqual(HOSTILE);
      const firing = (await w.page.textContent('#firing .alert'))!;
      for (const h of HOSTILE) expect(firing).toContain(h);
      expect(await w.page.textContent('#incidents')).toContain(HOSTILE[3]);
      await expectNothingRan(w, (u) => u.startsWith(`${origin}/`));
    } finally {
      await closeWatched(w);
      await server.close();
    }
    const face = reportFace(run.ctx)!;
    face.alerts!(run.alerts.firing());
    face.stop!('eof');
    const r = await openReport(report);
    try {
      const apps = (await tableRows(r.page, '#places [data-dimension="app"] > div:first-child')).map((row) => row[0]);
      expect(apps).toEqual(HOSTILE);
      expect(await r.page.textContent('#firing .alert')).toContain(HOSTILE[1]);
      await expectNothingRan(r, (u) => u === `file://${report}`);
    } finally {
      await closeWatched(r);
    }
  });
});
