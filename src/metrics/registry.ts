// The Prometheus view over the engine's counters: every value is read at scrape time from state the
// engine, the detector and the notifier already keep; nothing per line touches prom-client.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { FAMILIES, type Family } from '../codes/category.js';
import type { CodeTable } from '../codes/table.js';
import type { LabelPairInfo, SeriesInfo } from '../aggregate/types.js';
import type { Counts } from '../engine/engine.js';
import { OUTCOMES } from '../extract/result.js';
import { errcodeDescriptions } from '../codes/describe.js';
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

export interface MetricsSources {
  readonly prefix: string;
  counts(): Counts;
  table(): CodeTable;
  alerts?: AlertState | undefined;
  notifier?: NotifierState | undefined;
}

// The two metrics with a series per code are written here rather than through prom-client's Counter and
// Gauge: setting and formatting their 130 labelled series made 350 KB of garbage per scrape (of 566 KB in
// all), measured with --trace-gc over 3000 scrapes, and under steady scraping that garbage grew the main
// thread's heap (test/bench/RESULTS.md, follow soak). Each series' label text is built once; a scrape
// appends the counts. prom-client's registry serves everything else and the content type.
const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function head(name: string, type: string, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** The per-code metrics as exposition text: the responses, then the info series' bytes (cached). */
type PerCode = () => [responses: string, info: Buffer];

function perCodeText(names: ReturnType<typeof metricNames>, src: MetricsSources): PerCode {
  const responsesHead = head(names.responses, 'counter', 'Responses seen, by business code (or http_<status>, or other past the cardinality bound) and category.');
  const infoHead = head(names.codeInfo, 'gauge', 'Descriptions of every known code (value 1): join on code for the platform description.');
  const infoLine = (code: string, category: string, d: { description: string; description_en: string }): string =>
    `${names.codeInfo}{code="${escapeLabel(code)}",category="${category}",description="${escapeLabel(d.description)}",description_en="${escapeLabel(d.description_en)}"} 1\n`;
  /** `name{code="…",category="…"} ` per series, kept with the series it was made for. */
  const labels: { of: SeriesInfo; text: string }[] = [];
  const info = { table: undefined as CodeTable | undefined, series: -1, bytes: Buffer.alloc(0) };
  return () => {
    const c = src.counts();
    let out = responsesHead;
    for (const s of c.series) {
      if (!s) continue;
      let l = labels[s.slot];
      if (l?.of !== s) labels[s.slot] = l = { of: s, text: `${names.responses}{code="${escapeLabel(s.code)}",category="${s.category}"} ` };
      out += `${l.text}${c.count(s.slot)}\n`;
    }
    // The info series change only with the table or when a series appears.
    const table = src.table();
    if (table !== info.table || c.series.length !== info.series) {
      info.table = table;
      info.series = c.series.length;
      const seen = new Set<string>();
      let text = infoHead;
      for (const e of table.entries) {
        seen.add(`${e.code}|${e.category}`);
        text += infoLine(String(e.code), e.category, e);
      }
      // Series outside the table (unlisted, http_<status>, other) get their info too, so joins never drop them.
      for (const s of c.series) {
        if (!s || seen.has(`${s.code}|${s.category}`)) continue;
        text += infoLine(s.code, s.category, errcodeDescriptions(s, table));
      }
      // Kept encoded: the descriptions make it a two-byte string, which every scrape flattened and encoded
      // again (Buffer.byteLength, then the socket write), about 90 KB of garbage a scrape.
      info.bytes = Buffer.from(text, 'utf8');
    }
    return [out, info.bytes];
  };
}

/**
 * The breakdowns' families (SPEC "Breakdowns"), one per dimension: errcode_<NAME>_responses_total{<NAME>,
 * code, category}. Values come from logs: any text is escaped here, and the label text of each pair is
 * built once.
 */
function perDimensionText(src: MetricsSources): () => string {
  const labels: { of: LabelPairInfo; text: string }[][] = [];
  return () => {
    let out = '';
    src.counts().dimensions.forEach((dim, d) => {
      const name = dimensionMetric(dim.name, src.prefix);
      out += head(name, 'counter', `Responses by ${dim.name}, code and category; values past --max-label-values count as other.`);
      const cache = (labels[d] ??= []);
      for (const p of dim.pairs) {
        if (!p) continue;
        let l = cache[p.pair];
        if (l?.of !== p) {
          const value = escapeLabel(dim.values[p.label] ?? 'other');
          cache[p.pair] = l = { of: p, text: `${name}{${dim.name}="${value}",code="${escapeLabel(p.code)}",category="${p.category}"} ` };
        }
        out += `${l.text}${dim.count(p.pair)}\n`;
      }
    });
    return out;
  };
}

/** prom-client's registry with the per-code and per-dimension metrics in front. */
export class ErrcodeRegistry extends Registry {
  constructor(
    private readonly perCode: PerCode,
    private readonly perDimension: () => string,
  ) {
    super();
  }

  override async metrics(): Promise<string> {
    const [responses, info] = this.perCode();
    return responses + info.toString('utf8') + this.perDimension() + (await super.metrics());
  }

  /** The same text as metrics(), in pieces to be written one after the other (the info series stay bytes). */
  async exposition(): Promise<(string | Buffer)[]> {
    const [responses, info] = this.perCode();
    return [responses, info, this.perDimension(), await super.metrics()];
  }
}

export function createRegistry(src: MetricsSources): ErrcodeRegistry {
  const names = metricNames(src.prefix);
  const registry = new ErrcodeRegistry(perCodeText(names, src), perDimensionText(src));
  const registers = [registry];

  new Counter({
    name: names.inputLines,
    help: 'Input lines, each counted once under its outcome (blank lines are not counted).',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      const o = src.counts().outcomes;
      OUTCOMES.forEach((outcome, i) => this.inc({ outcome }, o[i] ?? 0));
    },
  });

  new Counter({
    name: names.inputBytes,
    help: 'Bytes read from the input.',
    registers,
    collect() {
      this.reset();
      this.inc(src.counts().bytes);
    },
  });

  new Gauge({
    name: names.lastLineTimestamp,
    help: 'Arrival time of the last line read, in seconds since the epoch (0 before the first line).',
    registers,
    collect() {
      this.set(src.counts().lastLineMs / 1000);
    },
  });

  new Gauge({
    name: names.eventLag,
    help: 'Arrival time minus event time of the last line that had an event time, in seconds.',
    registers,
    collect() {
      const lag = src.counts().eventLagSec;
      this.set(Number.isNaN(lag) ? 0 : lag);
    },
  });

  new Gauge({
    name: names.windowRatio,
    help: "The family's share of responses in the current spike window.",
    labelNames: ['family'],
    registers,
    collect() {
      for (const family of FAMILIES) this.set({ family }, src.alerts?.ratio(family) ?? 0);
    },
  });

  new Gauge({
    name: names.alertActive,
    help: "1 while the family's spike alert is firing.",
    labelNames: ['family'],
    registers,
    collect() {
      for (const family of FAMILIES) this.set({ family }, src.alerts?.active(family) ? 1 : 0);
    },
  });

  new Counter({
    name: names.alertsTotal,
    help: 'Spike alerts fired.',
    labelNames: ['family'],
    registers,
    collect() {
      this.reset();
      for (const family of FAMILIES) this.inc({ family }, src.alerts?.firedTotal(family) ?? 0);
    },
  });

  const perAlertmanager = (name: string, help: string, pick: (s: { sent: number; errors: number; dropped: number }) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['alertmanager'],
      registers,
      collect() {
        this.reset();
        for (const s of src.notifier?.stats() ?? []) this.inc({ alertmanager: s.url }, pick(s));
      },
    });
  };
  perAlertmanager(names.notificationsSent, 'Alerts posted to Alertmanager.', (s) => s.sent);
  perAlertmanager(names.notificationsErrors, 'Failed posts to Alertmanager.', (s) => s.errors);
  perAlertmanager(names.notificationsDropped, 'Alerts dropped from the full notification queue.', (s) => s.dropped);

  new Gauge({
    name: names.notificationsQueueLength,
    help: 'Alerts waiting to be posted to Alertmanager.',
    registers,
    collect() {
      this.set(src.notifier?.queueLength ?? 0);
    },
  });

  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges *_total, which promtool rejects (and which misleads rate()); the
  // exposition has to pass promtool check metrics, so they go.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  return registry;
}
