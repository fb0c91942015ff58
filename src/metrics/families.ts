// Every errcode_* series, defined once: each family's name, type, help and label names, and how its series
// are read from the state that the engine, the detector and the senders already keep. The exposition
// (registry.ts), remote write and the OpenMetrics file (export/) all enumerate them here, so all three carry
// the same series with the same values. A new family is one function added to errcodeFamilies.
import type { LabelPairInfo, SeriesInfo } from '../aggregate/types.js';
import { FAMILIES, type Family } from '../codes/category.js';
import { errcodeDescriptions } from '../codes/describe.js';
import { RELOAD_RESULTS, type CodeTableStats } from '../codes/sources.js';
import type { CodeTable } from '../codes/table.js';
import type { Counts } from '../engine/engine.js';
import { OUTCOMES } from '../extract/result.js';
import { dimensionMetric, metricNames } from './names.js';

export interface AlertState {
  ratio(family: Family): number;
  active(family: Family): boolean;
  firedTotal(family: Family): number;
}

export interface NotifierState {
  readonly queueLength: number;
  stats(): readonly { url: string; sent: number; errors: number; dropped: number }[];
}

/** One remote-write receiver's counters (SPEC "History"), in samples. */
export interface RemoteWriteStats {
  /** The `remote` label: the URL without credentials. */
  readonly remote: string;
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly pending: number;
}

export interface RemoteWriteState {
  stats(): readonly RemoteWriteStats[];
}

/** The code table's source (SPEC "The code table from the platform's API"). */
export interface CodeTableState {
  /** Whether the table comes partly from --codes-url: only then does it have a last success to report. */
  readonly fromApi: boolean;
  stats(): CodeTableStats;
}

export interface MetricsSources {
  readonly prefix: string;
  counts(): Counts;
  table(): CodeTable;
  alerts?: AlertState | undefined;
  notifier?: NotifierState | undefined;
  remoteWrite?: RemoteWriteState | undefined;
  codeTable?: CodeTableState | undefined;
}

/** What the families read beside the run's context: the state of the faces and sources that have metrics. */
export type MetricsExtras = Pick<MetricsSources, 'notifier' | 'codeTable' | 'remoteWrite'>;

/**
 * One series: its label values, in the order of its family's labelNames. The same object comes back from one
 * collect() to the next while the series lasts, so a writer keeps what it made of it (exposition text,
 * encoded labels) keyed by the object; an object belongs to one family.
 */
export interface Series {
  readonly values: readonly string[];
}

export interface MetricFamily {
  /** The full name, prefix included. */
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Every series with its value now, in a stable order. */
  collect(each: (series: Series, value: number) => void): void;
}

type Names = ReturnType<typeof metricNames>;

/** Series objects by their label values, made once: the values read from state (a URL) map to the same object. */
function seriesByValues(): (...values: string[]) => Series {
  const made = new Map<string, Series>();
  return (...values) => {
    const key = values.join('\u0000');
    let s = made.get(key);
    if (!s) made.set(key, (s = { values }));
    return s;
  };
}

function single(name: string, type: MetricFamily['type'], help: string, value: () => number): MetricFamily {
  const series: Series = { values: [] };
  return { name, type, help, labelNames: [], collect: (each) => each(series, value()) };
}

function perAlertFamily(name: string, type: MetricFamily['type'], help: string, value: (family: Family) => number): MetricFamily {
  const series = FAMILIES.map((f) => ({ values: [f] }));
  return { name, type, help, labelNames: ['family'], collect: (each) => FAMILIES.forEach((f, i) => each(series[i]!, value(f))) };
}

function responses(names: Names, src: MetricsSources): MetricFamily {
  /** A series object per slot, kept with the SeriesInfo it was made for. */
  const bySlot: { of: SeriesInfo; series: Series }[] = [];
  return {
    name: names.responses,
    type: 'counter',
    help: 'Responses seen, by business code (or http_<status>, or other past the cardinality bound) and category.',
    labelNames: ['code', 'category'],
    collect(each) {
      const c = src.counts();
      for (const s of c.series) {
        if (!s) continue;
        let e = bySlot[s.slot];
        if (e?.of !== s) bySlot[s.slot] = e = { of: s, series: { values: [s.code, s.category] } };
        each(e.series, c.count(s.slot));
      }
    },
  };
}

/**
 * The breakdowns (SPEC "Breakdowns"): a family per dimension, errcode_<NAME>_responses_total{<NAME>, code,
 * category}, a series per (value, code) pair. The dimensions are known from the start (--label).
 */
function dimensions(src: MetricsSources): MetricFamily[] {
  return src.counts().dimensions.map((dim, d) => {
    const byPair: { of: LabelPairInfo; series: Series }[] = [];
    return {
      name: dimensionMetric(dim.name, src.prefix),
      type: 'counter',
      help: `Responses by ${dim.name}, code and category; values past --max-label-values count as other.`,
      labelNames: [dim.name, 'code', 'category'],
      collect(each) {
        const c = src.counts().dimensions[d]!;
        for (const p of c.pairs) {
          if (!p) continue;
          let e = byPair[p.pair];
          if (e?.of !== p) byPair[p.pair] = e = { of: p, series: { values: [c.values[p.label] ?? 'other', p.code, p.category] } };
          each(e.series, c.count(p.pair));
        }
      },
    };
  });
}

function codeInfo(names: Names, src: MetricsSources): MetricFamily {
  // The info series change only with the table or when a series appears.
  let table: CodeTable | undefined;
  let seriesCount = -1;
  let list: Series[] = [];
  const series = seriesByValues();
  return {
    name: names.codeInfo,
    type: 'gauge',
    help: 'Descriptions of every known code (value 1): join on code for the platform description.',
    labelNames: ['code', 'category', 'description', 'description_en'],
    collect(each) {
      const c = src.counts();
      const t = src.table();
      if (t !== table || c.series.length !== seriesCount) {
        table = t;
        seriesCount = c.series.length;
        const seen = new Set<string>();
        list = [];
        for (const e of t.entries) {
          seen.add(`${e.code}|${e.category}`);
          list.push(series(String(e.code), e.category, e.description, e.description_en));
        }
        // Series outside the table (unlisted, http_<status>, other) get their info too, so joins never drop them.
        for (const s of c.series) {
          if (!s || seen.has(`${s.code}|${s.category}`)) continue;
          const d = errcodeDescriptions(s, t);
          list.push(series(s.code, s.category, d.description, d.description_en));
        }
      }
      for (const s of list) each(s, 1);
    },
  };
}

function inputLines(names: Names, src: MetricsSources): MetricFamily {
  const series = OUTCOMES.map((o) => ({ values: [o] }));
  return {
    name: names.inputLines,
    type: 'counter',
    help: 'Input lines, each counted once under its outcome (blank lines are not counted).',
    labelNames: ['outcome'],
    collect(each) {
      const o = src.counts().outcomes;
      series.forEach((s, i) => each(s, o[i] ?? 0));
    },
  };
}

function alertmanagers(names: Names, src: MetricsSources): MetricFamily[] {
  const per = (name: string, help: string, pick: (s: { sent: number; errors: number; dropped: number }) => number): MetricFamily => {
    const series = seriesByValues();
    return {
      name,
      type: 'counter',
      help,
      labelNames: ['alertmanager'],
      collect: (each) => src.notifier?.stats().forEach((s) => each(series(s.url), pick(s))),
    };
  };
  return [
    per(names.notificationsSent, 'Alerts posted to Alertmanager.', (s) => s.sent),
    per(names.notificationsErrors, 'Failed posts to Alertmanager.', (s) => s.errors),
    per(names.notificationsDropped, 'Alerts dropped from the full notification queue.', (s) => s.dropped),
    single(names.notificationsQueueLength, 'gauge', 'Alerts waiting to be posted to Alertmanager.', () => src.notifier?.queueLength ?? 0),
  ];
}

function remoteWrite(names: Names, src: MetricsSources): MetricFamily[] {
  const per = (name: string, type: MetricFamily['type'], help: string, pick: (s: RemoteWriteStats) => number): MetricFamily => {
    const series = seriesByValues();
    return {
      name,
      type,
      help,
      labelNames: ['remote'],
      collect: (each) => src.remoteWrite?.stats().forEach((s) => each(series(s.remote), pick(s))),
    };
  };
  return [
    per(names.remoteWriteSamples, 'counter', 'Samples the remote-write receiver accepted.', (s) => s.sent),
    per(names.remoteWriteFailed, 'counter', 'Samples the receiver refused for good (4xx, too old) or that could not be delivered before a replay gave up.', (s) => s.failed),
    per(names.remoteWriteDropped, 'counter', 'Samples dropped unsent: the oldest of a full queue, or what was left when the run stopped.', (s) => s.dropped),
    per(names.remoteWritePending, 'gauge', 'Samples waiting to be sent, the request in flight included.', (s) => s.pending),
  ];
}

/** The code table's size, its reloads by result, and (with --codes-url) when the API last gave or confirmed it. */
function codeTable(names: Names, src: MetricsSources): MetricFamily[] {
  const state = src.codeTable;
  if (!state) return [];
  const results = RELOAD_RESULTS.map((r) => ({ values: [r] }));
  const out: MetricFamily[] = [
    single(names.codeTableCodes, 'gauge', 'Codes in the code table in force (built-in, --codes files, --codes-url).', () => state.stats().codes),
    {
      name: names.codeTableReloads,
      type: 'counter',
      help: 'Reloads of the code table (SIGHUP, --codes-refresh), by result: success, failure (the previous table kept), not_modified (HTTP 304).',
      labelNames: ['result'],
      collect(each) {
        const { reloads } = state.stats();
        RELOAD_RESULTS.forEach((r, i) => each(results[i]!, reloads[r]));
      },
    },
  ];
  // Without --codes-url nothing refreshes the table, so there is no staleness to report (and the rule
  // ErrcodeCodeTableStale stays quiet for such instances).
  if (state.fromApi) {
    out.push(
      single(
        names.codeTableLastSuccess,
        'gauge',
        'When --codes-url last answered with a good table or 304 Not Modified, in seconds since the epoch (from --codes-cache when the run started without the API).',
        () => state.stats().lastSuccessSec ?? 0,
      ),
    );
  }
  return out;
}

/** The errcode_* families in the order of the exposition. */
export function errcodeFamilies(src: MetricsSources): MetricFamily[] {
  const names = metricNames(src.prefix);
  return [
    responses(names, src),
    codeInfo(names, src),
    ...dimensions(src),
    inputLines(names, src),
    single(names.inputBytes, 'counter', 'Bytes read from the input.', () => src.counts().bytes),
    single(names.lastLineTimestamp, 'gauge', 'Arrival time of the last line read, in seconds since the epoch (0 before the first line).', () => src.counts().lastLineMs / 1000),
    single(names.eventLag, 'gauge', 'Arrival time minus event time of the last line that had an event time, in seconds.', () => {
      const lag = src.counts().eventLagSec;
      return Number.isNaN(lag) ? 0 : lag;
    }),
    perAlertFamily(names.windowRatio, 'gauge', "The family's share of responses in the current spike window.", (f) => src.alerts?.ratio(f) ?? 0),
    perAlertFamily(names.alertActive, 'gauge', "1 while the family's spike alert is firing.", (f) => (src.alerts?.active(f) ? 1 : 0)),
    perAlertFamily(names.alertsTotal, 'counter', 'Spike alerts fired.', (f) => src.alerts?.firedTotal(f) ?? 0),
    ...alertmanagers(names, src),
    ...remoteWrite(names, src),
    ...codeTable(names, src),
  ];
}
