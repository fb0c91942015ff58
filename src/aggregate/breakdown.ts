// Counters of the breakdowns (SPEC "Breakdowns"): per dimension, responses by (value, code) pair, at most
// --max-label-series pairs; past that a new pair counts under (value, code "other", its category). The pair
// of a line is found through a row per label indexed by series slot: one array read per dimension and line.
import { CATEGORIES } from '../codes/category.js';
import type { LabelPairInfo, SeriesInfo } from './types.js';

class DimensionPairs {
  /** Per label, pair + 1 per series slot (0: no pair yet). */
  private readonly rows: (Int32Array | undefined)[] = [];
  private counts = new Float64Array(64);
  private size = 0;
  /** (label, category) -> the pair of code "other" past the bound. */
  private readonly overflow = new Map<number, number>();

  constructor(
    private readonly dim: number,
    private readonly maxSeries: number,
    private readonly added: LabelPairInfo[],
  ) {}

  count(label: number, series: SeriesInfo): void {
    const slot = series.slot;
    let row = this.rows[label];
    if (row === undefined || slot >= row.length) row = this.grow(label, slot);
    let pair = row[slot]! - 1;
    if (pair < 0) {
      pair = this.pairOf(label, series);
      row[slot] = pair + 1;
    }
    this.counts[pair]!++;
  }

  snapshot(): Float64Array {
    return this.counts.slice(0, this.size);
  }

  private grow(label: number, slot: number): Int32Array {
    const old = this.rows[label];
    let n = old?.length ?? 32;
    while (n <= slot) n *= 2;
    const row = new Int32Array(n);
    if (old) row.set(old);
    this.rows[label] = row;
    return row;
  }

  private pairOf(label: number, series: SeriesInfo): number {
    let code = series.code;
    if (this.size >= this.maxSeries) {
      const key = label * CATEGORIES.length + CATEGORIES.indexOf(series.category);
      const known = this.overflow.get(key);
      if (known !== undefined) return known;
      this.overflow.set(key, this.size);
      code = 'other';
    }
    const pair = this.size++;
    if (pair === this.counts.length) {
      const counts = new Float64Array(pair * 2);
      counts.set(this.counts);
      this.counts = counts;
    }
    this.added.push({ dim: this.dim, pair, label, code, category: series.category });
    return pair;
  }
}

export class Breakdown {
  private added: LabelPairInfo[] = [];
  private readonly dims: DimensionPairs[];

  constructor(dimensions: number, maxSeries: number) {
    this.dims = Array.from({ length: dimensions }, (_, d) => new DimensionPairs(d, maxSeries, this.added));
  }

  /** Counts one response of `series` under its label in each dimension. */
  count(labels: Int32Array, series: SeriesInfo): void {
    for (let d = 0; d < this.dims.length; d++) this.dims[d]!.count(labels[d]!, series);
  }

  takeAdded(): LabelPairInfo[] {
    return this.added.splice(0);
  }

  snapshot(): Float64Array[] {
    return this.dims.map((d) => d.snapshot());
  }
}
