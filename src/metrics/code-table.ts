// The code table's own metrics (SPEC "The code table from the platform's API"): its size, its reloads by
// result, and when the API last gave or confirmed it. Read at scrape time from the table's source.
import { Counter, Gauge, type Registry } from 'prom-client';
import { RELOAD_RESULTS, type CodeTableStats } from '../codes/sources.js';
import type { metricNames } from './names.js';

export interface CodeTableState {
  /** Whether the table comes partly from --codes-url: only then does it have a last success to report. */
  readonly fromApi: boolean;
  stats(): CodeTableStats;
}

export function codeTableMetrics(names: ReturnType<typeof metricNames>, state: CodeTableState, registers: Registry[]): void {
  new Gauge({
    name: names.codeTableCodes,
    help: 'Codes in the code table in force (built-in, --codes files, --codes-url).',
    registers,
    collect() {
      this.set(state.stats().codes);
    },
  });

  new Counter({
    name: names.codeTableReloads,
    help: 'Reloads of the code table (SIGHUP, --codes-refresh), by result: success, failure (the previous table kept), not_modified (HTTP 304).',
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      const { reloads } = state.stats();
      for (const result of RELOAD_RESULTS) this.inc({ result }, reloads[result]);
    },
  });

  // Without --codes-url nothing refreshes the table, so there is no staleness to report (and the rule
  // ErrcodeCodeTableStale stays quiet for such instances).
  if (!state.fromApi) return;
  new Gauge({
    name: names.codeTableLastSuccess,
    help: 'When --codes-url last answered with a good table or 304 Not Modified, in seconds since the epoch (from --codes-cache when the run started without the API).',
    registers,
    collect() {
      this.set(state.stats().lastSuccessSec ?? 0);
    },
  });
}
