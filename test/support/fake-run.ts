/**
 * A run's state made by hand, for the web faces' tests: the real Counts, fed a hand-made Snapshot through
 * Counts.apply (with dimensions, which the reader does not produce yet), the real alert state, the built-in
 * code table. What the page shows of routes and apps can be tested through it before the breakdowns exist.
 */
import type { AlertEvent } from '../../dist/alerts/events.js';
import { SpikeDetector } from '../../dist/alerts/detector.js';
import { AlertState } from '../../dist/alerts/state.js';
import { Tally } from '../../dist/aggregate/tally.js';
import { packBuckets, type BucketDelta, type LabelPairInfo, type LabelValueInfo, type Snapshot } from '../../dist/aggregate/types.js';
import type { Category } from '../../dist/codes/category.js';
import { CodeTable } from '../../dist/codes/table.js';
import { buildConfig } from '../../dist/config.js';
import { Counts } from '../../dist/engine/engine.js';
import type { RunContext } from '../../dist/face.js';

/** One (value, code) pair of a dimension with its count. */
export interface PairCount {
  readonly value: string;
  readonly code: string;
  readonly category: Category;
  readonly count: number;
}

export interface FakeRun {
  readonly ctx: RunContext;
  readonly counts: Counts;
  readonly table: CodeTable;
  readonly alerts: AlertState;
  /** Applies a snapshot made of these bucket deltas (and nothing else new) to the counts. */
  snapshot(buckets: readonly BucketDelta[]): Snapshot;
}

/** `dimensions`: per dimension name, its pairs; `flags`: as on the command line (`{ report: file }`). */
export function fakeRun(dimensions: Record<string, readonly PairCount[]> = {}, flags: Record<string, unknown> = {}, firing: readonly AlertEvent[] = []): FakeRun {
  const table = CodeTable.builtin();
  const names = Object.keys(dimensions);
  const counts = new Counts(names);
  const base = new Tally(table, 100).flush();
  const labelValues: LabelValueInfo[] = [];
  const labelPairs: LabelPairInfo[] = [];
  const labelCounts: Float64Array[] = [];
  names.forEach((name, dim) => {
    const values = ['none', 'other'];
    const pairs = dimensions[name]!;
    for (const p of pairs) if (!values.includes(p.value)) values.push(p.value);
    values.forEach((value, label) => labelValues.push({ dim, label, value }));
    const c = new Float64Array(pairs.length);
    pairs.forEach((p, pair) => {
      labelPairs.push({ dim, pair, label: values.indexOf(p.value), code: p.code, category: p.category });
      c[pair] = p.count;
    });
    labelCounts.push(c);
  });
  counts.apply({ ...base, labelValues, labelPairs, labelCounts });
  const config = buildConfig({ files: [], listen: '127.0.0.1:0', output: 'none', ...flags }, false);
  const detector = new SpikeDetector({ windowSec: 60, minCount: 20, ratio: 0.05, factor: 3 }, (slot) => ({ code: counts.series[slot]!.code, description: '' }));
  const alerts = new AlertState(detector);
  alerts.apply(firing);
  const ctx: RunContext = { config, startedMs: Date.now(), counts: () => counts, table: () => table, alerts, log: () => {} };
  return {
    ctx,
    counts,
    table,
    alerts,
    snapshot: (buckets) => {
      const s: Snapshot = { ...base, counts: counts.counts, labelValues: [], labelPairs: [], labelCounts: counts.dimensions.map((d) => d.counts), buckets: packBuckets(buckets) };
      counts.apply(s);
      return s;
    },
  };
}

/** A firing event as the detector makes it, with the places a breakdown would add. */
export function firingEvent(family: 'server' | 'platform', startsAt: string, topLabels: AlertEvent['top_labels'] = {}): AlertEvent {
  return {
    type: 'alert',
    status: 'firing',
    family,
    startsAt,
    window_seconds: 60,
    count: 40,
    total: 200,
    ratio: 0.2,
    baseline_ratio: 0.01,
    top_codes: [{ code: '5021', count: 30, description: '数据库服务连接失败，请稍后再试' }],
    top_labels: topLabels,
  };
}
