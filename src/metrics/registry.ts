// The Prometheus view over the engine's counters: every value is read at scrape time from state the
// engine, the detector and the notifier already keep; nothing per line touches prom-client.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { FAMILIES, type Family } from '../codes/category.js';
import type { CodeTable } from '../codes/table.js';
import type { Counts } from '../engine/engine.js';
import { OUTCOMES } from '../extract/result.js';
import { errcodeDescriptions } from '../output/describe.js';
import { metricNames } from './names.js';

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

export function createRegistry(src: MetricsSources): Registry {
  const registry = new Registry();
  const names = metricNames(src.prefix);
  const registers = [registry];

  new Counter({
    name: names.responses,
    help: 'Responses seen, by business code (or http_<status>, or other past the cardinality bound) and category.',
    labelNames: ['code', 'category'],
    registers,
    collect() {
      this.reset();
      const c = src.counts();
      for (const s of c.series) if (s) this.inc({ code: s.code, category: s.category }, c.count(s.slot));
    },
  });

  const infoOf: { table: CodeTable | undefined; series: number } = { table: undefined, series: -1 };
  new Gauge({
    name: names.codeInfo,
    help: 'Descriptions of every known code (value 1): join on code for the platform description.',
    labelNames: ['code', 'category', 'description', 'description_en'],
    registers,
    collect() {
      // Rebuilt only when the table or the set of series changed: a scrape would otherwise make
      // hundreds of label sets for text that stays the same.
      const table = src.table();
      const series = src.counts().series.length;
      if (table === infoOf.table && series === infoOf.series) return;
      infoOf.table = table;
      infoOf.series = series;
      this.reset();
      const seen = new Set<string>();
      for (const e of table.entries) {
        seen.add(`${e.code}|${e.category}`);
        this.set({ code: String(e.code), category: e.category, description: e.description, description_en: e.description_en }, 1);
      }
      // Series outside the table (unlisted, http_<status>, other) get their info too, so joins never drop them.
      for (const s of src.counts().series) {
        if (!s || seen.has(`${s.code}|${s.category}`)) continue;
        const d = errcodeDescriptions(s, table);
        this.set({ code: s.code, category: s.category, description: d.description, description_en: d.description_en }, 1);
      }
    },
  });

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
