// The web faces' pieces that run in Node: the event-time history of the charts, the status document (its
// totals are the summary's), the places of the breakdowns, the incidents, and the report's JSON escaping.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { places, summarize } from '../../dist/aggregate/summary.js';
import { packBuckets, type BucketDelta } from '../../dist/aggregate/types.js';
import { CATEGORIES } from '../../dist/codes/category.js';
import { reportHtml, scriptSafeJson } from '../../dist/web/assets.js';
import { livePageFace, reportFace } from '../../dist/web/face.js';
import { RecentHistory, RunHistory, STEPS } from '../../dist/web/history.js';
import { buildStatus, IncidentLog } from '../../dist/web/status.js';
import { fakeRun, firingEvent } from '../support/fake-run.js';

const T0 = Date.UTC(2026, 10, 25, 0, 0, 0) / 1000;
const THRESHOLDS = { server: 0.05, platform: 0.05 };

/** A second with `total` responses: a tenth server errors, the rest success. */
function second(sec: number, total = 10): BucketDelta {
  const server = Math.floor(total / 10);
  return { sec, total, server, platform: 0, codes: [], categories: { success: total - server, server } };
}

const sumOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe('RunHistory', () => {
  it('folds deltas of the same second together, in any order', () => {
    const h = new RunHistory(100);
    h.add(packBuckets([second(T0 + 2), second(T0), second(T0 + 2, 20)]), THRESHOLDS);
    const j = h.toJSON();
    expect(j.step_seconds).toBe(1);
    expect(j.t).toEqual([T0, T0 + 2]);
    expect(j.total).toEqual([10, 30]);
    expect(j.server).toEqual([1, 3]);
    expect(j.categories.success).toEqual([9, 27]);
    expect(j.threshold.server).toEqual([0.05, 0.05]);
  });

  it('coarsens its step through the clock steps as a run grows, keeping every count', () => {
    const h = new RunHistory(100);
    // A day, in flushes of ten minutes.
    for (let s = 0; s < 86_400; s += 600) h.add(packBuckets(Array.from({ length: 600 }, (_, i) => second(T0 + s + i))), { server: 0.05 + s / 1e7, platform: 0.05 });
    const j = h.toJSON();
    expect(STEPS).toContain(j.step_seconds);
    expect(j.step_seconds).toBe(1800);
    expect(h.size).toBe(48);
    expect(sumOf(j.total)).toBe(864_000);
    expect(sumOf(j.categories.server)).toBe(86_400);
    expect(j.t.every((t) => t % j.step_seconds === 0)).toBe(true);
    // A merged bucket keeps the threshold of its newest part.
    expect(j.threshold.server[j.threshold.server.length - 1]).toBeCloseTo(0.05 + 85_800 / 1e7, 9);
  });

  it('reuses the slots that merging frees, and doubles its step past a day', () => {
    const h = new RunHistory(4);
    // Ten sparse seconds a week apart, then two more: the step passes the list of clock steps.
    for (let i = 0; i < 12; i++) h.add(packBuckets([second(T0 + i * 7 * 86_400)]), THRESHOLDS);
    expect(h.stepSeconds).toBeGreaterThan(86_400);
    expect(h.size).toBeLessThanOrEqual(4);
    expect(sumOf(h.toJSON().total)).toBe(120);
  });

  it('puts seconds before 1970 into the bucket that starts at or before them', () => {
    const h = new RunHistory(1);
    h.add(packBuckets([second(-7), second(-3)]), THRESHOLDS);
    expect(h.toJSON().t).toEqual([-10]);
  });
});

describe('RecentHistory', () => {
  it('keeps only the last keepSec seconds, dropping late ones', () => {
    const h = new RecentHistory(100);
    expect(h.newestSec).toBeNaN();
    for (let s = 0; s < 1000; s += 10) h.add(packBuckets(Array.from({ length: 10 }, (_, i) => second(T0 + s + i))), THRESHOLDS);
    h.add(packBuckets([second(T0 + 5), second(T0 + 950, 5)]), THRESHOLDS);
    expect(h.newestSec).toBe(T0 + 999);
    const j = h.toJSON(T0 + 950);
    expect(j.step_seconds).toBe(1);
    expect(j.t[0]).toBe(T0 + 950);
    expect(j.total[0]).toBe(15);
    expect(j.t[j.t.length - 1]).toBe(T0 + 999);
    expect(h.toJSON().t).toHaveLength(100);
  });

  it('skips seconds that left the quarter hour before they arrived, and seconds without a time', () => {
    const h = new RecentHistory(10);
    h.add(packBuckets([second(T0 + 10), second(NaN), second(T0 + 0)]), THRESHOLDS);
    expect(h.toJSON().t).toEqual([T0 + 10]);
  });
});

describe('places', () => {
  it('sums each value over its codes and ranks the values by responses and by errors', () => {
    const { counts } = fakeRun({
      route: [
        { value: '/api/v1/orders', code: '200', category: 'success', count: 900 },
        { value: '/api/v1/orders', code: '5021', category: 'server', count: 10 },
        { value: '/api/v2/pay', code: '200', category: 'success', count: 50 },
        { value: '/api/v2/pay', code: '5021', category: 'server', count: 40 },
        { value: '/api/v2/pay', code: 'http_502', category: 'system', count: 5 },
        { value: '/open/auth', code: '500001', category: 'platform_auth', count: 7 },
        { value: 'other', code: '200', category: 'success', count: 3 },
      ],
      app: [{ value: 'ak_1', code: '4004', category: 'client', count: 2 }],
    });
    const [route, app] = places(counts);
    expect(route!.name).toBe('route');
    expect(route!.top.map((p) => [p.value, p.count])).toEqual([['/api/v1/orders', 910], ['/api/v2/pay', 95], ['/open/auth', 7], ['other', 3]]);
    expect(route!.errors.map((p) => [p.value, p.server, p.platform])).toEqual([['/api/v2/pay', 45, 0], ['/api/v1/orders', 10, 0], ['/open/auth', 0, 7]]);
    expect(app).toEqual({ name: 'app', top: [{ value: 'ak_1', count: 2, server: 0, platform: 0 }], errors: [] });
  });

  it('is empty without dimensions (as on a run with --no-labels)', () => {
    expect(places(fakeRun().counts)).toEqual([]);
  });
});

describe('IncidentLog', () => {
  it('pairs each resolved event with its family open incident and keeps the latest', () => {
    const log = new IncidentLog(2);
    const fire = (family: 'server' | 'platform', at: string) => firingEvent(family, at);
    const resolve = (family: 'server' | 'platform', at: string, end: string) => ({ ...fire(family, at), status: 'resolved' as const, endsAt: end });
    log.apply([fire('server', '2026-11-25T00:01:00.000Z'), fire('platform', '2026-11-25T00:02:00.000Z')]);
    log.apply([resolve('server', '2026-11-25T00:01:00.000Z', '2026-11-25T00:04:00.000Z')]);
    expect(log.incidents().map((i) => [i.family, i.endsAt])).toEqual([['server', '2026-11-25T00:04:00.000Z'], ['platform', null]]);
    log.apply([fire('server', '2026-11-25T00:09:00.000Z')]);
    expect(log.incidents().map((i) => i.startsAt)).toEqual(['2026-11-25T00:02:00.000Z', '2026-11-25T00:09:00.000Z']);
  });
});

describe('buildStatus', () => {
  it('reports the summary totals, the alert state and the firing events', () => {
    const run = fakeRun({}, {}, [firingEvent('server', '2026-11-25T00:05:00.000Z', { route: [{ value: '/x', count: 3 }] })]);
    const empty = { step_seconds: 1, t: [], total: [], server: [], platform: [], categories: Object.fromEntries(CATEGORIES.map((c) => [c, []])), threshold: { server: [], platform: [] } };
    const s = buildStatus(run.ctx, { kind: 'live', history: { ...empty, from: 0, to: 0 } as never, incidents: [], rate: { lines: 5, bytes: 50 }, inputEnded: false, nowMs: run.ctx.startedMs + 2000 });
    const summary = summarize(run.counts, run.table, 2, { server: 0, platform: 0 });
    expect(s.version).toBe(1);
    expect(s.input.lines).toEqual(summary.lines);
    expect(s.responses).toBe(summary.responses);
    expect(s.codes).toEqual(summary.codes);
    expect(s.uptime_seconds).toBe(2);
    expect(s.input.lines_per_second).toBe(5);
    expect(s.input.last_line_at).toBeNull();
    expect(s.input.event_lag_seconds).toBeNull();
    expect(s.alerts.firing.map((e) => e.top_labels)).toEqual([{ route: [{ value: '/x', count: 3 }] }]);
    expect(Object.keys(s.alerts.families)).toEqual(['server', 'platform']);
    expect(s.alerts.families.server).toEqual({ ratio: 0, threshold: 0.05, active: false, fired_total: 0, top_labels: {} });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('the live page face', () => {
  it('answers the page, the status and the assets, and ends its charts at the last second once the input ended', async () => {
    const run = fakeRun();
    const face = livePageFace(run.ctx)!;
    expect(Object.keys(face.routes!).sort()).toEqual(['/', '/api/v1/status', '/assets/favicon.svg', '/assets/page.css', '/assets/page.js', '/assets/uplot/uPlot.iife.min.js', '/assets/uplot/uPlot.min.css']);
    face.start!();
    face.flush!(run.snapshot([second(T0), second(T0 + 10)]));
    face.alerts!([firingEvent('server', '2026-11-25T00:00:05.000Z')]);
    face.inputEnded!();
    const reply = await face.routes!['/api/v1/status']!(new URLSearchParams());
    expect(reply.headers!['Content-Security-Policy']).toContain("default-src 'none'");
    const s = JSON.parse(String(reply.body));
    expect(s.input_ended).toBe(true);
    expect(s.history.to).toBe(T0 + 10);
    expect(s.history.t).toEqual([T0, T0 + 10]);
    expect(s.alerts.incidents).toHaveLength(1);
    const page = await face.routes!['/']!(new URLSearchParams());
    expect(String(page.body)).toContain('<script type="module" src="assets/page.js">');
    const js = await face.routes!['/assets/page.js']!(new URLSearchParams());
    expect(js.contentType).toMatch(/^text\/javascript/);
    expect(String(js.body)).not.toContain('sourceMappingURL');
    face.stop!('eof');
  });

  it('is not there without an endpoint', () => {
    expect(livePageFace(fakeRun({}, { listen: 'none' }).ctx)).toBeUndefined();
    expect(reportFace(fakeRun().ctx)).toBeUndefined();
  });
});

describe('the report', () => {
  it('carries its data as JSON that no value can break out of', () => {
    const hostile = { route: '</script><script>alert(1)</script>', app: '<!-- x', sep: '\u2028\u2029', amp: 'a&b' };
    const text = scriptSafeJson(hostile);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(hostile);
  });

  it('is one file with a policy that lets only its own inline scripts and styles run', () => {
    const html = reportHtml({ uplotJs: 'var uPlot=1;', uplotCss: '.u{}', appJs: 'main();', css: 'b{}' }, { x: '</script>' }, 'a <title>');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; style-src 'sha256-[^']+' 'sha256-[^']+';/);
    expect(html).toContain('<title>a &#60;title&#62;</title>');
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(() => reportHtml({ uplotJs: 'x="</script>"', uplotCss: '', appJs: '', css: '' }, {}, '')).toThrow(/inline script/);
  });

  it('stays under 2 MB for a day with every bucket, the most incidents it lists and every code counted', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'errcode-report-')), 'day.html');
    const value = (i: number): string => `/openapi/v1/${'segment/'.repeat(14)}${i}`.slice(0, 128);
    const labels = Object.fromEntries(['route', 'app', 'method'].map((d) => [d, Array.from({ length: 5 }, (_, i) => ({ value: value(i), count: 1e6 + i }))]));
    const pairs = Array.from({ length: 100 }, (_, i) => ({ value: value(i), code: '5021', category: 'server' as const, count: 1e6 + i }));
    const run = fakeRun({ route: pairs, app: pairs, method: pairs }, { report: file });
    run.counts.counts.fill(123_456);
    const face = reportFace(run.ctx)!;
    const day = 86_400;
    for (let s = 0; s < day; s += 3600) {
      face.flush!(run.snapshot(Array.from({ length: 3600 }, (_, i) => ({ ...second(T0 + s + i, 278), categories: Object.fromEntries(CATEGORIES.map((c) => [c, 34.75])) }))));
    }
    for (let i = 0; i < 1000; i++) {
      const at = new Date((T0 + i * 60) * 1000).toISOString();
      const event = { ...firingEvent(i % 2 ? 'server' : 'platform', at, labels), top_codes: Array.from({ length: 5 }, () => ({ code: '500001', count: 123456, description: '无效的签名'.repeat(12) })) };
      face.alerts!([event, { ...event, status: 'resolved', endsAt: at }]);
    }
    face.stop!('eof');
    const size = readFileSync(file).length;
    console.log(`worst-case day report: ${size} bytes`);
    expect(size).toBeLessThan(2 * 1024 * 1024);
    const data = JSON.parse(/<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(readFileSync(file, 'utf8'))![1]!);
    expect(data.history.step_seconds).toBe(60);
    expect(data.alerts.incidents).toHaveLength(300);
  });

  it('is written once, when the input ends or the run stops', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'errcode-report-')), 'r.html');
    const run = fakeRun({}, { report: file });
    const face = reportFace(run.ctx)!;
    face.flush!(run.snapshot([second(T0, 40), second(T0 + 1, 60)]));
    face.stop!('signal');
    const html = readFileSync(file, 'utf8');
    const data = JSON.parse(/<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.kind).toBe('report');
    expect(data.history.total).toEqual([40, 60]);
    expect([data.history.from, data.history.to]).toEqual([T0, T0 + 1]);
    face.stop!('signal');
    expect(readFileSync(file, 'utf8')).toBe(html);
  });
});
