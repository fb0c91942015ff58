// The web faces (SPEC "Looking instead of reading"): the live page at `/` with the JSON it reads every second
// (`/api/v1/status`) and its assets, on the metrics endpoint behind the same TLS and passwords; and the
// self-contained HTML report of `--report FILE`, written when the run ends. Both read the state every face
// reads (RunContext) and event time from the reader's flushes.
import { writeFileSync } from 'node:fs';
import { eventClockSec } from '../aggregate/types.js';
import { FAMILIES, type Family } from '../codes/category.js';
import type { Face, RunContext } from '../face.js';
import type { Reply, Route } from '../http/server.js';
import { ASSET_PATHS, assetFiles, liveHtml, PAGE_HEADERS, pageAssets, reportHtml } from './assets.js';
import { RecentHistory, RunHistory } from './history.js';
import { buildStatus, IncidentLog, type Status } from './status.js';

/** The live charts span the last 15 minutes of event time; the share chart's window needs the seconds before. */
export const LIVE_SPAN_SEC = 15 * 60;
/** Incidents the live page lists, the latest. */
export const LIVE_INCIDENTS = 100;
/**
 * Buckets a report may hold. A day at a steady rate is 86,400 seconds: the step grows to one minute (1,440
 * buckets), about 170 KB of JSON; see README for the measured size.
 */
export const REPORT_BUCKETS = 2000;
/**
 * Incidents a report lists (the latest; the tiles count them all) and codes (the most frequent; the totals
 * count them all): with the buckets, what bounds its size whatever the log holds. An incident takes up to
 * about 3 KB (five codes with descriptions, five places of each dimension), a code about 250 bytes.
 */
export const REPORT_INCIDENTS = 300;
export const REPORT_CODES = 300;

const thresholds = (ctx: RunContext): Record<Family, number> =>
  Object.fromEntries(FAMILIES.map((f) => [f, ctx.alerts.threshold(f)])) as Record<Family, number>;

/** Lines and bytes per second by arrival time, from the counts sampled once a second. */
class ArrivalRate {
  private prev: { ms: number; lines: number; bytes: number } | undefined;
  private rate: { lines: number; bytes: number } | undefined;

  sample(ms: number, lines: number, bytes: number): void {
    const p = this.prev;
    if (p && ms > p.ms) this.rate = { lines: ((lines - p.lines) * 1000) / (ms - p.ms), bytes: ((bytes - p.bytes) * 1000) / (ms - p.ms) };
    this.prev = { ms, lines, bytes };
  }

  get current(): { lines: number; bytes: number } | undefined {
    return this.rate;
  }
}

const json = (body: unknown): Reply => ({
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
  headers: { ...PAGE_HEADERS, 'Cache-Control': 'no-store' },
});

/** `GET /`, `/api/v1/status` and the assets; only where there is an endpoint. */
export function livePageFace(ctx: RunContext): Face | undefined {
  if (!ctx.config.listen) return undefined;
  const history = new RecentHistory(LIVE_SPAN_SEC + ctx.config.alertWindowSec);
  const incidents = new IncidentLog(LIVE_INCIDENTS);
  const rate = new ArrivalRate();
  let inputEnded = false;
  let sampler: NodeJS.Timeout | undefined;
  const sample = (): void => {
    const c = ctx.counts();
    rate.sample(Date.now(), c.lines, c.bytes);
  };

  const status = (): Status => {
    const nowMs = Date.now();
    const counts = ctx.counts();
    // The charts end at the log's clock now (it runs on while a live stream is idle); a finished replay's
    // clock stops where its lines did.
    const newest = history.newestSec;
    const clock = eventClockSec(nowMs, counts.eventLagSec);
    const to = inputEnded || Number.isNaN(newest) ? (Number.isNaN(newest) ? clock : newest) : Math.max(newest, clock);
    const from = to - LIVE_SPAN_SEC + 1;
    return buildStatus(ctx, {
      kind: 'live',
      history: { ...history.toJSON(from - ctx.config.alertWindowSec), from, to },
      incidents: incidents.incidents(),
      rate: inputEnded ? { lines: 0, bytes: 0 } : rate.current,
      inputEnded,
      nowMs,
    });
  };

  const routes: Record<string, Route> = {
    '/': () => ({ contentType: 'text/html; charset=utf-8', body: liveHtml(), headers: { ...PAGE_HEADERS, 'Cache-Control': 'no-cache' } }),
    '/api/v1/status': () => json(status()),
  };
  // Assets load on first request: a run whose page nobody opens never reads them.
  let files: ReturnType<typeof assetFiles> | undefined;
  for (const path of Object.values(ASSET_PATHS)) {
    routes[path] = () => {
      const a = (files ??= assetFiles(pageAssets()))[path]!;
      return { contentType: a.contentType, body: a.body, headers: { ...PAGE_HEADERS, 'Cache-Control': 'no-cache' } };
    };
  }

  return {
    routes,
    start: () => {
      sample();
      sampler = setInterval(sample, 1000);
      sampler.unref();
    },
    flush: (snapshot) => history.add(snapshot.buckets, thresholds(ctx)),
    alerts: (events) => incidents.apply(events),
    inputEnded: () => {
      inputEnded = true;
      clearInterval(sampler);
    },
    stop: () => clearInterval(sampler),
  };
}

/** --report FILE: the whole run's charts, incidents, codes, places and outcomes, written once at its end. */
export function reportFace(ctx: RunContext): Face | undefined {
  const file = ctx.config.report;
  if (file === undefined) return undefined;
  const history = new RunHistory(REPORT_BUCKETS);
  const incidents = new IncidentLog(REPORT_INCIDENTS);
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    const h = history.toJSON();
    const last = h.t.length > 0 ? h.t[h.t.length - 1]! + h.step_seconds - 1 : null;
    const data = buildStatus(ctx, {
      kind: 'report',
      history: { ...h, from: h.t[0] ?? null, to: last },
      incidents: incidents.incidents(),
      rate: undefined,
      inputEnded: true,
      nowMs: Date.now(),
    });
    const report: Status = { ...data, codes: data.codes.slice(0, REPORT_CODES) };
    const title = `errcode-stream report ${data.generated_at.slice(0, 19).replace('T', ' ')}Z`;
    try {
      writeFileSync(file, reportHtml(pageAssets(), report, title));
    } catch (err) {
      ctx.log(`--report ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return {
    flush: (snapshot) => history.add(snapshot.buckets, thresholds(ctx)),
    alerts: (events) => incidents.apply(events),
    // Under --keep-serving the report is written when the input ends, like the summary.
    inputEnded: write,
    stop: write,
  };
}
