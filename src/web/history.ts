// Responses over event time, for the charts of the web page and the report: each flush's bucket deltas
// (aggregate/types.ts) folded into buckets of `step` seconds. The live page keeps the last minutes at one
// second; the report keeps the whole run and coarsens its step as the run grows, merging neighbours, so
// that its size depends on how many buckets it may hold and not on how long the log is.
import { B_CATEGORIES, B_PLATFORM, B_SEC, B_SERVER, B_TOTAL, bucketEnd } from '../aggregate/types.js';
import { CATEGORIES, FAMILIES, type Category, type Family } from '../codes/category.js';

/** The series of a history, each one value per bucket (see HistoryJson). */
export interface HistoryJson {
  /** Seconds of event time each bucket spans. */
  readonly step_seconds: number;
  /** Start of each bucket, epoch seconds, ascending; only buckets that counted something. */
  readonly t: readonly number[];
  readonly total: readonly number[];
  /** Responses of the server family (categories server and system) and of the platform family. */
  readonly server: readonly number[];
  readonly platform: readonly number[];
  readonly categories: Readonly<Record<Category, readonly number[]>>;
  /** The family's firing threshold (share of all responses) when the bucket was last counted. */
  readonly threshold: Readonly<Record<Family, readonly number[]>>;
}

// A bucket's fields: total, server, platform, a count per category, then a threshold per family.
const F_TOTAL = 0;
const F_SERVER = 1;
const F_PLATFORM = 2;
const F_CATEGORIES = 3;
const F_THRESHOLDS = F_CATEGORIES + CATEGORIES.length;
const FIELDS = F_THRESHOLDS + FAMILIES.length;

/**
 * The steps a growing history moves through: each divides the next, so buckets merge whole, and each is a
 * length a clock shows (a day at one-minute buckets). Past the list the step doubles.
 */
export const STEPS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400] as const;

export interface HistoryOptions {
  /** Most buckets held; past it the step grows to the next of STEPS and neighbours merge. */
  readonly maxBuckets: number;
  /**
   * Only the last `keepSec` seconds are kept (the live page), and the step stays at one second; a second
   * older than that arriving late is dropped.
   */
  readonly keepSec?: number;
}

export class EventHistory {
  private step = 1;
  private buckets = new Map<number, Float64Array>();
  /** Newest second counted; -Infinity before any. */
  private newest = -Infinity;

  constructor(private readonly options: HistoryOptions) {}

  get stepSeconds(): number {
    return this.step;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Newest second of event time counted, NaN before any. */
  get newestSec(): number {
    return Number.isFinite(this.newest) ? this.newest : NaN;
  }

  /** Folds one flush's packed bucket deltas in; `thresholds` are the families' firing thresholds now. */
  add(packed: Float64Array, thresholds: Readonly<Record<Family, number>>): void {
    const keep = this.options.keepSec;
    for (let at = 0; at < packed.length; at = bucketEnd(packed, at)) {
      const sec = Math.floor(packed[at + B_SEC]!);
      if (!Number.isFinite(sec)) continue;
      if (sec > this.newest) this.newest = sec;
      if (keep !== undefined && sec <= this.newest - keep) continue;
      const key = sec - mod(sec, this.step);
      let b = this.buckets.get(key);
      if (!b) this.buckets.set(key, (b = new Float64Array(FIELDS)));
      b[F_TOTAL] += packed[at + B_TOTAL]!;
      b[F_SERVER] += packed[at + B_SERVER]!;
      b[F_PLATFORM] += packed[at + B_PLATFORM]!;
      for (let c = 0; c < CATEGORIES.length; c++) b[F_CATEGORIES + c] += packed[at + B_CATEGORIES + c]!;
      FAMILIES.forEach((f, i) => (b[F_THRESHOLDS + i] = thresholds[f]));
    }
    if (keep !== undefined) this.prune(this.newest - keep);
    else while (this.buckets.size > this.options.maxBuckets) this.coarsen();
  }

  /** The buckets from `fromSec` on (all by default), oldest first. */
  toJSON(fromSec = -Infinity): HistoryJson {
    const keys = [...this.buckets.keys()].filter((k) => k + this.step > fromSec).sort((a, b) => a - b);
    const column = (field: number): number[] => keys.map((k) => this.buckets.get(k)![field]!);
    return {
      step_seconds: this.step,
      t: keys,
      total: column(F_TOTAL),
      server: column(F_SERVER),
      platform: column(F_PLATFORM),
      categories: Object.fromEntries(CATEGORIES.map((c, i) => [c, column(F_CATEGORIES + i)])) as Record<Category, number[]>,
      threshold: Object.fromEntries(FAMILIES.map((f, i) => [f, column(F_THRESHOLDS + i)])) as Record<Family, number[]>,
    };
  }

  private prune(olderThanOrAt: number): void {
    // Amortised: swept only once the map holds more than maxBuckets (set a little above keepSec).
    if (this.buckets.size <= this.options.maxBuckets) return;
    for (const key of this.buckets.keys()) if (key <= olderThanOrAt) this.buckets.delete(key);
  }

  /** Moves to the next step and merges the buckets that now share one. */
  private coarsen(): void {
    const at = STEPS.indexOf(this.step as (typeof STEPS)[number]);
    this.step = at >= 0 && at < STEPS.length - 1 ? STEPS[at + 1]! : this.step * 2;
    const merged = new Map<number, Float64Array>();
    // Oldest first, so a merged bucket ends with the thresholds of its newest part.
    for (const key of [...this.buckets.keys()].sort((a, b) => a - b)) {
      const b = this.buckets.get(key)!;
      const into = key - mod(key, this.step);
      const m = merged.get(into);
      if (!m) {
        merged.set(into, b);
        continue;
      }
      for (let i = 0; i < F_THRESHOLDS; i++) m[i] += b[i]!;
      for (let i = F_THRESHOLDS; i < FIELDS; i++) m[i] = b[i]!;
    }
    this.buckets = merged;
  }
}

/** Non-negative remainder: seconds before 1970 fall into the bucket that starts at or before them. */
function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
