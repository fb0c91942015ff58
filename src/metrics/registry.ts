// The Prometheus view over the engine's counters: every value is read at scrape time from state the
// engine, the detector and the senders already keep (families.ts); nothing per line touches prom-client.
import { collectDefaultMetrics, Registry } from 'prom-client';
import { errcodeFamilies, type MetricFamily, type MetricsSources, type Series } from './families.js';

export type { AlertState, MetricsSources, NotifierState, RemoteWriteState } from './families.js';

// The errcode_* families are written here rather than through prom-client's Counter and Gauge: setting and
// formatting the per-code metrics' 130 labelled series made 350 KB of garbage per scrape (of 566 KB in all),
// measured with --trace-gc over 3000 scrapes, and under steady scraping that garbage grew the main thread's
// heap (test/bench/RESULTS.md, follow soak). Each series' label text is built once; a scrape appends the
// values. prom-client's registry serves the process metrics and the content type.
const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A sample value as prom-client writes it. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

/**
 * One family's exposition text, kept encoded: a family whose series and values are those of the previous
 * scrape (the info series, with their descriptions) gives the same bytes again. The descriptions made the
 * body a two-byte string that every scrape flattened and encoded again (Buffer.byteLength, then the socket
 * write), about 90 KB of garbage a scrape.
 */
function familyText(f: MetricFamily): () => Buffer {
  const head = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
  /** `name{label="…",…} ` per series. */
  const prefixes = new WeakMap<Series, string>();
  const prefixOf = (s: Series): string => {
    let p = prefixes.get(s);
    if (p === undefined) {
      const labels = f.labelNames.map((n, i) => `${n}="${escapeLabel(s.values[i] ?? '')}"`).join(',');
      prefixes.set(s, (p = labels === '' ? `${f.name} ` : `${f.name}{${labels}} `));
    }
    return p;
  };
  let series: Series[] = [];
  let values: number[] = [];
  let bytes: Buffer | undefined;
  return () => {
    const lastSeries = series;
    const lastValues = values;
    series = [];
    values = [];
    f.collect((s, v) => {
      series.push(s);
      values.push(v);
    });
    if (bytes !== undefined && series.length === lastSeries.length && series.every((s, i) => s === lastSeries[i] && Object.is(values[i], lastValues[i]))) return bytes;
    let text = head;
    for (let i = 0; i < series.length; i++) text += `${prefixOf(series[i]!)}${formatValue(values[i]!)}\n`;
    return (bytes = Buffer.from(text, 'utf8'));
  };
}

/** prom-client's registry with the errcode_* families in front. */
export class ErrcodeRegistry extends Registry {
  constructor(private readonly families: readonly (() => Buffer)[]) {
    super();
  }

  override async metrics(): Promise<string> {
    return this.families.map((f) => f().toString('utf8')).join('') + (await super.metrics());
  }

  /** The same text as metrics(), in pieces to be written one after the other (a family's bytes kept between scrapes). */
  async exposition(): Promise<(string | Buffer)[]> {
    return [...this.families.map((f) => f()), await super.metrics()];
  }
}

export function createRegistry(src: MetricsSources): ErrcodeRegistry {
  const registry = new ErrcodeRegistry(errcodeFamilies(src).map(familyText));
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges *_total, which promtool rejects (and which misleads rate()); the
  // exposition has to pass promtool check metrics, so they go.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  return registry;
}
