/// <reference lib="dom" />
// The web page's script, in the browser: the live page (it reads /api/v1/status every second) and the HTML
// report (it reads the JSON data block the report carries) are the same page over the same document
// (src/web/status.ts). It is compiled by the project's tsc with the rest of src/ and served as it is, with
// uPlot as a global from its own script: no bundler, no framework.
//
// Everything shown that came from a log or a loaded table (codes, descriptions, routes, apps) goes into the
// page as text: elements are made with createElement and filled with text nodes, never with markup.
import type UPlot from 'uplot';
import type { CodeSummary, Place, PlaceDimension } from '../../aggregate/summary.js';
import type { AlertEvent, TopLabel } from '../../alerts/events.js';
import type { Incident, Status } from '../status.js';

type Lang = 'zh' | 'en';
type Category = keyof Status['categories'];
type Family = keyof Status['alerts']['families'];

const uPlot = (globalThis as unknown as { uPlot: typeof UPlot }).uPlot;

// ---- words ----

const WORDS = {
  zh: {
    title: '错误码实时看板',
    reportTitle: '错误码回放报告',
    live: '实时',
    ended: '输入已结束',
    lost: '连接中断，重试中',
    updated: '更新于',
    linesPerSec: '行/秒',
    lines: '输入行',
    responses: '响应数',
    serverShare: '服务端错误占比',
    platformShare: '平台鉴权错误占比',
    threshold: '阈值',
    alerts: '告警',
    firingNow: '正在告警',
    firedTotal: '累计触发',
    lastLine: '最后一行',
    eventLag: '事件时间延迟',
    byCategory: '各类别响应（每秒，事件时间）',
    shares: '错误占比与告警阈值（窗口内，事件时间）',
    firing: '正在触发的告警',
    firingAtEnd: '运行结束时仍在触发的告警',
    peak: '窗口峰值',
    noFiring: '没有正在触发的突增告警',
    since: '开始于',
    onFiring: '触发时',
    ofResponses: '的响应',
    baseline: '基线',
    inWindow: '窗口',
    topCodes: '主要错误码',
    topPlacesFiring: '触发时的主要来源',
    topPlacesWindow: '当前窗口的主要来源',
    codes: '错误码排行',
    code: '代码',
    category: '类别',
    count: '数量',
    share: '占比',
    description: '说明',
    places: '来源（路由与应用）',
    noPlaces: '本次运行没有维度统计（未开启，或尚未计数）。',
    top: '请求最多',
    topErrors: '服务端/平台错误最多',
    value: '值',
    errors: '错误',
    incidents: '告警事件',
    noIncidents: '没有告警事件',
    family: '类别',
    start: '开始',
    end: '结束',
    duration: '持续',
    stillFiring: '仍在告警',
    health: '输入健康',
    outcome: '结果',
    blank: '空行',
    bytes: '字节',
    none: '无',
    moreCodes: '共 {n} 个代码',
    span: '事件时间',
    resolution: '分辨率',
    generated: '生成于',
    started: '启动于',
    server: '服务端',
    platform: '平台鉴权',
    perSec: '/秒',
    ago: '前',
    dims: { route: '路由', app: '应用', method: '方法' } as Record<string, string>,
    cats: {
      success: '成功', upgrade: '升级客户端', client: '客户端错误', server: '服务端错误', business_quota: '业务/配额',
      platform_auth: '平台鉴权', system: '系统 (HTTP)', unknown: '未知',
    } as Record<Category, string>,
  },
  en: {
    title: 'Error codes, live',
    reportTitle: 'Error code report',
    live: 'live',
    ended: 'input ended',
    lost: 'connection lost, retrying',
    updated: 'updated',
    linesPerSec: 'lines/s',
    lines: 'lines',
    responses: 'responses',
    serverShare: 'server error share',
    platformShare: 'platform auth share',
    threshold: 'threshold',
    alerts: 'alerts',
    firingNow: 'firing',
    firedTotal: 'fired',
    lastLine: 'last line',
    eventLag: 'event lag',
    byCategory: 'Responses by category (per second, event time)',
    shares: 'Error shares against the alert threshold (in the window, event time)',
    firing: 'Firing alerts',
    firingAtEnd: 'Alerts still firing at the end of the run',
    peak: 'peak in a window',
    noFiring: 'No spike alert firing',
    since: 'since',
    onFiring: 'on firing',
    ofResponses: 'of responses',
    baseline: 'baseline',
    inWindow: 'window',
    topCodes: 'top codes',
    topPlacesFiring: 'top places on firing',
    topPlacesWindow: 'top places in the current window',
    codes: 'Top codes',
    code: 'code',
    category: 'category',
    count: 'count',
    share: 'share',
    description: 'description',
    places: 'Places (routes and apps)',
    noPlaces: 'No breakdowns in this run (turned off, or nothing counted yet).',
    top: 'most requests',
    topErrors: 'most server/platform errors',
    value: 'value',
    errors: 'errors',
    incidents: 'Incidents',
    noIncidents: 'No incidents',
    family: 'family',
    start: 'start',
    end: 'end',
    duration: 'duration',
    stillFiring: 'still firing',
    health: 'Input health',
    outcome: 'outcome',
    blank: 'blank lines',
    bytes: 'bytes',
    none: 'none',
    moreCodes: '{n} codes in all',
    span: 'event time',
    resolution: 'resolution',
    generated: 'generated',
    started: 'started',
    server: 'server',
    platform: 'platform',
    perSec: '/s',
    ago: 'ago',
    dims: { route: 'route', app: 'app', method: 'method' } as Record<string, string>,
    cats: {
      success: 'success', upgrade: 'upgrade', client: 'client', server: 'server', business_quota: 'business/quota',
      platform_auth: 'platform auth', system: 'system (HTTP)', unknown: 'unknown',
    } as Record<Category, string>,
  },
};

type Words = (typeof WORDS)['zh'];

// Bottom of the stack first: the errors sit on the axis, where a spike shows as a band of its own.
const STACK: readonly Category[] = ['server', 'system', 'platform_auth', 'client', 'business_quota', 'unknown', 'upgrade', 'success'];
const COLORS: Record<Category, string> = {
  server: '#dc2626', system: '#7f1d1d', platform_auth: '#7c3aed', client: '#f59e0b', business_quota: '#eab308',
  unknown: '#9ca3af', upgrade: '#0d9488', success: '#86efac',
};
const FAMILY_COLORS: Record<Family, string> = { server: '#dc2626', platform: '#7c3aed' };
const FAMILY_LIST: readonly Family[] = ['server', 'platform'];
const TOP_CODES_SHOWN = 15;

// ---- making elements: text only ----

type Child = Node | string | number | null | undefined | false;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

function table(head: readonly [string, boolean][], rows: readonly Child[][], numeric: readonly boolean[] = head.map((h) => h[1])): HTMLElement {
  const t = el('table');
  const tr = el('tr');
  for (const [h, n] of head) tr.append(el('th', n ? 'n' : undefined, h));
  t.append(el('thead', undefined, tr));
  const body = el('tbody');
  for (const r of rows) {
    const row = el('tr');
    r.forEach((c, i) => row.append(c instanceof HTMLTableCellElement ? c : el('td', numeric[i] ? 'n' : undefined, c)));
    body.append(row);
  }
  t.append(body);
  return el('div', 'scroll', t);
}

const td = (cls: string, ...children: Child[]): HTMLTableCellElement => el('td', cls, ...children);

// ---- numbers and times ----

const num = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(x < 0.1 ? 2 : 1)}%` : '-');
const rate = (n: number | null): string => (n === null || !Number.isFinite(n) ? '-' : n < 100 ? n.toFixed(1) : num(n));

/** ISO-8601 or epoch seconds -> `2026-11-25 00:05:03Z`: times on the page are UTC, as in the alert events. */
function utc(t: string | number | null): string {
  if (t === null) return '-';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function duration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '-';
  if (sec < 120) return `${Math.round(sec)}s`;
  if (sec < 7200) return `${Math.floor(sec / 60)}m${sec % 60 ? `${Math.round(sec % 60)}s` : ''}`;
  return `${Math.floor(sec / 3600)}h${Math.round((sec % 3600) / 60)}m`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

// ---- the chart data ----

/** x and one array per given series, with the gaps between buckets drawn as zero (nothing was counted there). */
function alignedWithGaps(h: Status['history'], series: readonly (readonly number[])[]): { x: number[]; ys: number[][] } {
  const step = h.step_seconds;
  const x: number[] = [];
  const ys: number[][] = series.map(() => []);
  const push = (t: number, i: number): void => {
    x.push(t);
    series.forEach((s, k) => ys[k]!.push(i < 0 ? 0 : s[i]!));
  };
  let prev = h.from !== null && h.t.length > 0 && h.from < h.t[0]! ? h.from - step : NaN;
  if (!Number.isNaN(prev)) push(prev + step, -1);
  for (let i = 0; i < h.t.length; i++) {
    const t = h.t[i]!;
    if (!Number.isNaN(prev) && t - prev > step) {
      // Two zero points bound a gap of any length, so a sparse log's history stays as small as its buckets.
      if (t - prev > 2 * step) push(prev + step, -1);
      push(t - step, -1);
    }
    push(t, i);
    prev = t;
  }
  if (h.to !== null && !Number.isNaN(prev) && h.to >= prev + step) {
    push(prev + step, -1);
    if (h.to >= prev + 2 * step) push(h.to, -1);
  }
  return { x, ys };
}

/** Per bucket, the family's share of responses over the alert window ending there (the detector's view). */
function windowedShares(h: Status['history'], windowSec: number, family: Family): (number | null)[] {
  const fam = h[family];
  const out: (number | null)[] = [];
  let lo = 0;
  let famSum = 0;
  let totalSum = 0;
  for (let i = 0; i < h.t.length; i++) {
    famSum += fam[i]!;
    totalSum += h.total[i]!;
    // Buckets at least as wide as the window are their own window.
    while (lo < i && h.t[lo]! <= h.t[i]! + h.step_seconds - Math.max(windowSec, h.step_seconds)) {
      famSum -= fam[lo]!;
      totalSum -= h.total[lo]!;
      lo++;
    }
    out.push(totalSum > 0 ? famSum / totalSum : null);
  }
  return out;
}

/** The steps the page may show a history at (as src/web/history.ts): each divides the next. */
const DISPLAY_STEPS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400];

/**
 * The history at a step coarse enough for about `maxPoints` points across its span: a second-by-second
 * quarter hour on a phone is jagged noise, 15 s buckets show its shape. Counts add up; thresholds keep the
 * newest.
 */
function displayHistory(h: Status['history'], maxPoints: number): Status['history'] {
  if (h.t.length === 0 || h.from === null || h.to === null) return h;
  const span = h.to - h.from + 1;
  const step = DISPLAY_STEPS.find((d) => d >= h.step_seconds && d % h.step_seconds === 0 && span / d <= maxPoints) ?? h.step_seconds;
  if (step === h.step_seconds) return h;
  const keys: number[] = [];
  const at = new Map<number, number>();
  const sums = { total: [] as number[], server: [] as number[], platform: [] as number[] };
  const cats = Object.fromEntries(Object.keys(h.categories).map((c) => [c, [] as number[]])) as Record<Category, number[]>;
  const thr = { server: [] as number[], platform: [] as number[] };
  h.t.forEach((t, i) => {
    const key = t - (((t % step) + step) % step);
    let k = at.get(key);
    if (k === undefined) {
      at.set(key, (k = keys.length));
      keys.push(key);
      for (const a of [sums.total, sums.server, sums.platform, ...Object.values(cats)]) a.push(0);
      thr.server.push(0);
      thr.platform.push(0);
    }
    sums.total[k]! += h.total[i]!;
    sums.server[k]! += h.server[i]!;
    sums.platform[k]! += h.platform[i]!;
    for (const c of Object.keys(cats) as Category[]) cats[c][k]! += h.categories[c][i]!;
    thr.server[k] = h.threshold.server[i]!;
    thr.platform[k] = h.threshold.platform[i]!;
  });
  return { ...h, step_seconds: step, t: keys, ...sums, categories: cats, threshold: thr, from: h.from - (((h.from % step) + step) % step) };
}

// ---- charts ----

interface Charts {
  categories: UPlot | undefined;
  shares: UPlot | undefined;
  /** Seconds per point of the category chart, whose values are responses per second. */
  categoryStep: number;
}

const charts: Charts = { categories: undefined, shares: undefined, categoryStep: 1 };
// For the console and the browser tests: the chart objects with their data.
(globalThis as unknown as { errcodeCharts: Charts }).errcodeCharts = charts;

const utcDate = (ts: number): Date => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
// Counts per bucket are drawn as steps: a bucket holds what was counted from its start on.
const steps = uPlot.paths.stepped?.({ align: 1 });

function chartWidth(box: HTMLElement): number {
  return Math.max(260, Math.floor(box.clientWidth || 600));
}

function chartHeight(): number {
  return window.innerWidth < 600 ? 200 : 260;
}

/** Time axis labels in UTC, 24-hour: seconds when ticks are closer than a minute, the date when the span passes a day. */
function timeTicks(u: UPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  const xs = u.scales['x'];
  const span = (xs?.max ?? 0) - (xs?.min ?? 0);
  return splits.map((v) => {
    const t = utc(v);
    if (span > 2 * 86400) return incr >= 86400 ? t.slice(5, 10) : `${t.slice(5, 10)} ${t.slice(11, 16)}`;
    return incr < 60 ? t.slice(11, 19) : t.slice(11, 16);
  });
}

/** Stacked responses by category: each series is drawn as its running total, its legend shows its own value. */
function categoryChart(box: HTMLElement, s: Status, w: Words): { chart: UPlot; data: UPlot.AlignedData } {
  const data = categoryData(s, chartWidth(box));
  // The legend reads the latest data's own values, not the running totals drawn.
  categoryRaw = data.raw;
  const series: UPlot.Series[] = [{ label: 'UTC' }];
  // Drawn top of the stack first, so each lower band paints over the part of the one above it.
  for (let k = STACK.length - 1; k >= 0; k--) {
    const c = STACK[k]!;
    series.push({
      label: w.cats[c],
      stroke: COLORS[c],
      fill: COLORS[c],
      width: 1,
      paths: steps,
      points: { show: false },
      value: (_u, _v, _si, idx) => (idx === null ? '-' : rate(categoryRaw[k]?.[idx] ?? NaN)),
    });
  }
  const chart = new uPlot(
    {
      width: chartWidth(box),
      height: chartHeight(),
      tzDate: utcDate,
      series,
      axes: [{ values: timeTicks }, { size: 56, values: (_u, vals) => vals.map((v) => rate(v)) }],
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
      cursor: { points: { show: false } },
      legend: { live: true },
    },
    data.aligned,
    box,
  );
  return { chart, data: data.aligned };
}

let categoryRaw: number[][] = [];

function categoryData(s: Status, width: number): { aligned: UPlot.AlignedData; raw: number[][] } {
  const h = displayHistory(s.history, Math.max(60, Math.floor(width / 4)));
  charts.categoryStep = h.step_seconds;
  const perSec = (xs: readonly number[]): number[] => xs.map((v) => v / h.step_seconds);
  const { x, ys } = alignedWithGaps(h, STACK.map((c) => perSec(h.categories[c])));
  // Running totals bottom up; the series are given top down.
  const stacked: number[][] = [];
  ys.forEach((y, k) => stacked.push(k === 0 ? y : y.map((v, i) => v + stacked[k - 1]![i]!)));
  return { aligned: [x, ...stacked.reverse()], raw: ys };
}

function shareData(s: Status): UPlot.AlignedData {
  const h = s.history;
  const shares = FAMILY_LIST.map((f) => windowedShares(h, s.alerts.window_seconds, f));
  // Nulls (no responses) are carried through the gap filling as they are.
  const { x, ys } = alignedWithGaps(h, [...shares.map((sh) => sh.map((v) => (v === null ? NaN : v))), ...FAMILY_LIST.map((f) => h.threshold[f])]);
  const nulls = ys.map((y, k) => (k < FAMILY_LIST.length ? y.map((v) => (Number.isNaN(v) ? null : v)) : fillThresholds(y)));
  return [x, ...nulls];
}

/** A threshold has no value where nothing was counted: the gap takes the one before it. */
function fillThresholds(y: number[]): (number | null)[] {
  let last: number | null = null;
  return y.map((v) => (v > 0 ? (last = v) : last));
}

function shareChart(box: HTMLElement, s: Status, w: Words, marks: () => readonly Incident[]): { chart: UPlot; data: UPlot.AlignedData } {
  const data = shareData(s);
  const series: UPlot.Series[] = [{ label: 'UTC' }];
  for (const f of FAMILY_LIST) series.push({ label: w[f], stroke: FAMILY_COLORS[f], width: 2, points: { show: false }, value: (_u, v) => (v === null ? '-' : pct(v)) });
  for (const f of FAMILY_LIST)
    series.push({ label: `${w[f]} ${w.threshold}`, stroke: FAMILY_COLORS[f], width: 1, dash: [6, 4], points: { show: false }, value: (_u, v) => (v === null ? '-' : pct(v)) });
  const chart = new uPlot(
    {
      width: chartWidth(box),
      height: chartHeight(),
      tzDate: utcDate,
      series,
      axes: [{ values: timeTicks }, { size: 56, values: (_u, vals) => vals.map((v) => pct(v)) }],
      scales: { y: { range: (_u, _min, max) => [0, Math.min(1, Math.max(0.01, max * 1.15))] } },
      cursor: { points: { show: false } },
      hooks: { drawClear: [(u) => drawIncidents(u, marks())] },
    },
    data,
    box,
  );
  return { chart, data };
}

/** Incidents as shaded bands behind the share lines, numbered like the list. */
function drawIncidents(u: UPlot, incidents: readonly Incident[]): void {
  const xs = u.data[0];
  if (!xs || xs.length === 0) return;
  const right = xs[xs.length - 1]!;
  const { ctx, bbox } = u;
  ctx.save();
  ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
  incidents.forEach((inc, i) => {
    const a = Date.parse(inc.startsAt) / 1000;
    const b = inc.endsAt === null ? right : Date.parse(inc.endsAt) / 1000;
    const x0 = Math.max(bbox.left, u.valToPos(a, 'x', true));
    const x1 = Math.min(bbox.left + bbox.width, u.valToPos(b, 'x', true));
    if (!(x1 >= x0)) return;
    ctx.fillStyle = inc.family === 'server' ? 'rgba(220, 38, 38, 0.14)' : 'rgba(124, 58, 237, 0.14)';
    ctx.fillRect(x0, bbox.top, Math.max(2, x1 - x0), bbox.height);
    ctx.fillStyle = FAMILY_COLORS[inc.family];
    ctx.fillText(`#${i + 1}`, x0 + 3 * devicePixelRatio, bbox.top + 12 * devicePixelRatio);
  });
  ctx.restore();
}

// ---- the page ----

interface Page {
  readonly root: HTMLElement;
  readonly mode: 'live' | 'report';
  lang: Lang;
  status: Status | undefined;
  connection: 'ok' | 'lost';
  readonly parts: Record<'header' | 'tiles' | 'firing' | 'codes' | 'places' | 'incidents' | 'health' | 'footer' | 'catTitle' | 'shareTitle', HTMLElement>;
  readonly boxes: { categories: HTMLElement; shares: HTMLElement };
}

function skeleton(root: HTMLElement, mode: Page['mode']): Page {
  const part = (tag: 'header' | 'div' | 'footer' | 'h2', cls?: string): HTMLElement => el(tag, cls);
  const parts = {
    header: part('header'),
    tiles: part('div', 'tiles'),
    firing: part('div'),
    codes: part('div'),
    places: part('div'),
    incidents: part('div'),
    health: part('div'),
    footer: part('footer'),
    catTitle: part('h2'),
    shareTitle: part('h2'),
  };
  const boxes = { categories: el('div', 'chart'), shares: el('div', 'chart') };
  boxes.categories.id = 'chart-categories';
  boxes.shares.id = 'chart-shares';
  const section = (id: string, cls: string | undefined, ...children: Child[]): HTMLElement => {
    const s = el('section', cls, ...children);
    s.id = id;
    return s;
  };
  const grid = el(
    'div',
    'grid',
    section('firing', 'wide', parts.firing),
    section('categories', undefined, parts.catTitle, boxes.categories),
    section('shares', undefined, parts.shareTitle, boxes.shares),
    section('codes', 'wide', parts.codes),
    section('places', 'wide', parts.places),
    section('incidents', 'wide', parts.incidents),
    section('health', 'wide', parts.health),
  );
  fill(root, parts.header, parts.tiles, grid, parts.footer);
  return { root, mode, lang: 'zh', status: undefined, connection: 'ok', parts, boxes };
}

function render(p: Page): void {
  const s = p.status;
  const w = WORDS[p.lang];
  document.documentElement.lang = p.lang === 'zh' ? 'zh-CN' : 'en';
  renderHeader(p, w);
  if (!s) return;
  renderTiles(p, s, w);
  renderFiring(p, s, w);
  renderCodes(p, s, w);
  renderPlaces(p, s, w);
  renderIncidents(p, s, w);
  renderHealth(p, s, w);
  fill(p.parts.catTitle, w.byCategory);
  fill(p.parts.shareTitle, w.shares);
  const h = s.history;
  fill(
    p.parts.footer,
    `${w.span} ${utc(h.from)} – ${utc(h.to)} · ${w.resolution} ${duration(h.step_seconds)} · ${w.started} ${utc(s.started_at)} · ${w.generated} ${utc(s.generated_at)}`,
  );
}

function renderHeader(p: Page, w: Words): void {
  const s = p.status;
  const state =
    p.mode === 'report'
      ? ''
      : p.connection === 'lost'
        ? w.lost
        : s?.input_ended
          ? w.ended
          : `${w.live} · ${w.updated} ${s ? utc(s.generated_at).slice(11) : '-'}`;
  const lang = el('div', 'lang');
  for (const l of ['zh', 'en'] as const) {
    const b = el('button', undefined, l === 'zh' ? '中文' : 'English');
    b.type = 'button';
    b.setAttribute('aria-pressed', String(p.lang === l));
    b.dataset['lang'] = l;
    b.addEventListener('click', () => {
      if (p.lang === l) return;
      p.lang = l;
      resetCharts();
      render(p);
      drawCharts(p);
    });
    lang.append(b);
  }
  const status = el('span', 'sub', state);
  status.id = 'state';
  fill(p.parts.header, el('h1', undefined, p.mode === 'report' ? w.reportTitle : w.title), status, lang);
}

function tile(id: string, key: string, value: string, detail: string, firing = false): HTMLElement {
  const t = el('div', firing ? 'tile firing' : 'tile', el('div', 'k', key), el('div', 'v', value), el('div', 'd', detail));
  t.id = id;
  return t;
}

function renderTiles(p: Page, s: Status, w: Words): void {
  const fam = s.alerts.families;
  const firing = FAMILY_LIST.filter((f) => fam[f].active);
  const lastAgo = s.input.last_line_at ? (Date.parse(s.generated_at) - Date.parse(s.input.last_line_at)) / 1000 : NaN;
  fill(
    p.parts.tiles,
    p.mode === 'live'
      ? tile('tile-rate', w.linesPerSec, rate(s.input.lines_per_second), `${w.lines} ${num(s.input.lines.total)}`)
      : tile('tile-lines', w.lines, num(s.input.lines.total), bytes(s.input.bytes)),
    tile('tile-responses', w.responses, num(s.responses), `${w.cats.success} ${s.responses > 0 ? pct(s.categories.success / s.responses) : '-'}`),
    ...FAMILY_LIST.map((f) => {
      const key = f === 'server' ? w.serverShare : w.platformShare;
      if (p.mode === 'live') return tile(`tile-${f}`, key, pct(fam[f].ratio), `${w.threshold} ${pct(fam[f].threshold)}`, fam[f].active);
      // A report: the run's share, and the highest the window reached.
      const n = f === 'server' ? s.categories.server + s.categories.system : s.categories.platform_auth;
      const peak = Math.max(0, ...windowedShares(s.history, s.alerts.window_seconds, f).map((v) => v ?? 0));
      return tile(`tile-${f}`, key, s.responses > 0 ? pct(n / s.responses) : '-', `${w.peak} ${pct(peak)}`, fam[f].fired_total > 0);
    }),
    p.mode === 'live'
      ? tile(
          'tile-alerts',
          w.alerts,
          firing.length > 0 ? `${w.firingNow}: ${firing.map((f) => w[f]).join(', ')}` : '0',
          `${w.firedTotal} ${FAMILY_LIST.map((f) => `${w[f]} ${fam[f].fired_total}`).join(', ')}`,
          firing.length > 0,
        )
      : tile(
          'tile-alerts',
          w.incidents,
          String(FAMILY_LIST.reduce((a, f) => a + fam[f].fired_total, 0)),
          FAMILY_LIST.map((f) => `${w[f]} ${fam[f].fired_total}`).join(', '),
          firing.length > 0,
        ),
    p.mode === 'live'
      ? tile('tile-input', w.lastLine, Number.isFinite(lastAgo) ? `${duration(Math.max(0, lastAgo))} ${w.ago}` : '-', `${w.eventLag} ${s.input.event_lag_seconds === null ? '-' : duration(s.input.event_lag_seconds)}`)
      : tile('tile-input', w.span, duration(s.history.to !== null && s.history.from !== null ? s.history.to - s.history.from + 1 : NaN), `${utc(s.history.from)}`),
  );
}

/** Descriptions in the page's language: events carry the Chinese one, the codes list has both. */
function describe(s: Status, code: string, fallback: string, lang: Lang): string {
  const c = s.codes.find((x) => x.code === code);
  if (!c) return fallback;
  return lang === 'en' ? c.description_en : c.description;
}

function labelsList(labels: Readonly<Record<string, readonly TopLabel[]>> | undefined, w: Words): HTMLElement | undefined {
  const dims = Object.entries(labels ?? {}).filter(([, v]) => v.length > 0);
  if (dims.length === 0) return undefined;
  const ul = el('ul');
  for (const [name, values] of dims) {
    ul.append(el('li', undefined, `${w.dims[name] ?? name}: `, ...values.flatMap((v, i) => [i > 0 ? ', ' : '', el('span', 'code', v.value), ` (${num(v.count)})`])));
  }
  return ul;
}

function alertBox(s: Status, a: AlertEvent, w: Words, lang: Lang): HTMLElement {
  const box = el('div', 'alert');
  box.dataset['family'] = a.family;
  box.append(el('div', 'title', `${w[a.family]} · ${w.firingNow} · ${w.since} ${utc(a.startsAt)}`));
  box.append(
    el('div', undefined, `${w.onFiring}: ${pct(a.ratio)} ${w.ofResponses} (${w.baseline} ${pct(a.baseline_ratio)}), ${num(a.count)} / ${num(a.total)}, ${w.inWindow} ${a.window_seconds}s`),
  );
  box.append(el('h3', undefined, w.topCodes));
  box.append(
    table(
      [[w.code, false], [w.count, true], [w.description, false]],
      a.top_codes.map((c) => [td('code', c.code), num(c.count), td('text', describe(s, c.code, c.description, lang))]),
    ),
  );
  const onFiring = labelsList(a.top_labels, w);
  if (onFiring) box.append(el('h3', undefined, w.topPlacesFiring), onFiring);
  const now = labelsList(s.alerts.families[a.family].top_labels, w);
  if (now) box.append(el('h3', undefined, w.topPlacesWindow), now);
  return box;
}

function renderFiring(p: Page, s: Status, w: Words): void {
  const firing = [...s.alerts.firing].sort((a, b) => FAMILY_LIST.indexOf(a.family) - FAMILY_LIST.indexOf(b.family));
  fill(p.parts.firing, el('h2', undefined, p.mode === 'live' ? w.firing : w.firingAtEnd), firing.length === 0 ? el('div', 'calm', w.noFiring) : null, ...firing.map((a) => alertBox(s, a, w, p.lang)));
}

function categoryCell(c: Category, w: Words): HTMLTableCellElement {
  const dot = el('span', 'cat');
  dot.style.background = COLORS[c];
  return td('', dot, w.cats[c]);
}

function renderCodes(p: Page, s: Status, w: Words): void {
  const shown: readonly CodeSummary[] = s.codes.slice(0, TOP_CODES_SHOWN);
  const rows = shown.map((c) => [
    td('code', c.code),
    categoryCell(c.category, w),
    num(c.count),
    s.responses > 0 ? pct(c.count / s.responses) : '-',
    td('text', p.lang === 'en' ? c.description_en : c.description),
  ]);
  fill(
    p.parts.codes,
    el('h2', undefined, w.codes),
    table([[w.code, false], [w.category, false], [w.count, true], [w.share, true], [w.description, false]], rows),
    s.codes.length > shown.length ? el('p', 'note', w.moreCodes.replace('{n}', String(s.codes.length))) : null,
  );
}

function placeTable(d: PlaceDimension, list: readonly Place[], errors: boolean, w: Words, total: number): HTMLElement {
  const head: [string, boolean][] = errors
    ? [[w.dims[d.name] ?? d.name, false], [w.server, true], [w.platform, true], [w.count, true]]
    : [[w.dims[d.name] ?? d.name, false], [w.count, true], [w.share, true], [w.errors, true]];
  const rows = list.map((v) =>
    errors
      ? [td('text code', v.value), num(v.server), num(v.platform), num(v.count)]
      : [td('text code', v.value), num(v.count), total > 0 ? pct(v.count / total) : '-', num(v.server + v.platform)],
  );
  return el('div', undefined, el('h3', undefined, `${w.dims[d.name] ?? d.name} · ${errors ? w.topErrors : w.top}`), list.length > 0 ? table(head, rows) : el('div', 'empty', w.none));
}

function renderPlaces(p: Page, s: Status, w: Words): void {
  const dims = s.places.filter((d) => d.top.length > 0);
  const blocks = dims.map((d) => {
    const b = el('div', 'grid', placeTable(d, d.top, false, w, s.responses), placeTable(d, d.errors, true, w, s.responses));
    b.dataset['dimension'] = d.name;
    return b;
  });
  fill(p.parts.places, el('h2', undefined, w.places), blocks.length === 0 ? el('div', 'empty', w.noPlaces) : null, ...blocks);
}

function renderIncidents(p: Page, s: Status, w: Words): void {
  const list = s.alerts.incidents;
  const end = s.history.to;
  const rows = list.map((inc, i) => {
    const a = Date.parse(inc.startsAt) / 1000;
    const b = inc.endsAt === null ? (end ?? NaN) : Date.parse(inc.endsAt) / 1000;
    const state = el('span', inc.endsAt === null ? 'badge firing' : 'badge resolved', inc.endsAt === null ? w.stillFiring : utc(inc.endsAt));
    const codes = inc.firing.top_codes.map((c) => `${c.code} (${num(c.count)}) ${describe(s, c.code, c.description, p.lang)}`).join('; ');
    const placesText = Object.entries(inc.firing.top_labels ?? {})
      .filter(([, v]) => v.length > 0)
      .map(([name, v]) => `${w.dims[name] ?? name}: ${v.map((x) => x.value).join(', ')}`)
      .join('; ');
    return [`#${i + 1}`, w[inc.family], utc(inc.startsAt), td('', state), duration(b - a), pct(inc.firing.ratio), td('text', codes, placesText ? el('div', 'note', placesText) : null)];
  });
  fill(
    p.parts.incidents,
    el('h2', undefined, w.incidents),
    list.length === 0
      ? el('div', 'empty', w.noIncidents)
      : table(
          [['#', false], [w.family, false], [w.start, false], [w.end, false], [w.duration, true], [w.share, true], [w.topCodes, false]],
          rows,
          [false, false, false, false, true, true, false],
        ),
  );
}

function renderHealth(p: Page, s: Status, w: Words): void {
  const lines = s.input.lines;
  const outcomes = ['ok', 'malformed', 'missing_code', 'invalid_code', 'oversized'] as const;
  const rows: Child[][] = outcomes.map((o) => {
    const n = lines[o];
    const cell = td('n', num(n));
    if (o !== 'ok' && n > 0) cell.classList.add('health-bad');
    return [o, cell, lines.total > 0 ? pct(n / lines.total) : '-'];
  });
  rows.push([w.lines, num(lines.total), ''], [w.blank, num(s.input.blank_lines), ''], [w.bytes, `${num(s.input.bytes)} (${bytes(s.input.bytes)})`, '']);
  if (p.mode === 'live') rows.push([w.linesPerSec, rate(s.input.lines_per_second), ''], [w.lastLine, utc(s.input.last_line_at), ''], [w.eventLag, s.input.event_lag_seconds === null ? '-' : `${s.input.event_lag_seconds.toFixed(1)}s`, '']);
  const t = table([[w.outcome, false], [w.count, true], [w.share, true]], rows);
  t.id = 'outcomes';
  fill(p.parts.health, el('h2', undefined, w.health), t);
}

// ---- chart life cycle ----

let incidentsForMarks: readonly Incident[] = [];

function resetCharts(): void {
  charts.categories?.destroy();
  charts.shares?.destroy();
  charts.categories = charts.shares = undefined;
}

function drawCharts(p: Page): void {
  const s = p.status;
  if (!s) return;
  incidentsForMarks = s.alerts.incidents;
  const w = WORDS[p.lang];
  if (!charts.categories) {
    p.boxes.categories.replaceChildren();
    charts.categories = categoryChart(p.boxes.categories, s, w).chart;
  } else {
    const data = categoryData(s, chartWidth(p.boxes.categories));
    categoryRaw = data.raw;
    charts.categories.setData(data.aligned);
  }
  if (!charts.shares) {
    p.boxes.shares.replaceChildren();
    charts.shares = shareChart(p.boxes.shares, s, w, () => incidentsForMarks).chart;
  } else charts.shares.setData(shareData(s));
}

function resize(p: Page): void {
  for (const [chart, box] of [[charts.categories, p.boxes.categories], [charts.shares, p.boxes.shares]] as const) {
    chart?.setSize({ width: chartWidth(box), height: chartHeight() });
  }
}

// ---- start ----

function startLang(fallback: Lang): Lang {
  try {
    const saved = localStorage.getItem('errcode-stream.lang');
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    // no storage (a file:// page in some browsers): the run's --lang
  }
  return fallback;
}

function saveLang(lang: Lang): void {
  try {
    localStorage.setItem('errcode-stream.lang', lang);
  } catch {
    // as above
  }
}

async function poll(p: Page): Promise<void> {
  try {
    const res = await fetch('api/v1/status', { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(String(res.status));
    const first = p.status === undefined;
    p.status = (await res.json()) as Status;
    p.connection = 'ok';
    if (first) p.lang = startLang(p.status.lang);
    render(p);
    drawCharts(p);
  } catch {
    p.connection = 'lost';
    renderHeader(p, WORDS[p.lang]);
  }
  setTimeout(() => void poll(p), 1000);
}

function main(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const mode = root.dataset['mode'] === 'report' ? 'report' : 'live';
  const p = skeleton(root, mode);
  root.addEventListener('click', (e) => {
    const lang = (e.target as HTMLElement).closest('button')?.dataset['lang'];
    if (lang === 'zh' || lang === 'en') saveLang(lang);
  });
  let resizing: number | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = window.setTimeout(() => resize(p), 100);
  });
  if (mode === 'report') {
    const data = document.getElementById('report-data')?.textContent;
    p.status = JSON.parse(data ?? 'null') as Status;
    p.lang = startLang(p.status.lang);
    render(p);
    drawCharts(p);
    return;
  }
  render(p);
  void poll(p);
}

main();
