// Responses over event time, for the charts of the web page and the report: each flush's bucket deltas
// (aggregate/types.ts) folded into buckets of `step` seconds. The live page keeps the last minutes at one
// second (a ring); the report keeps the whole run and coarsens its step as the run grows, merging
// neighbours, so that its size depends on how many buckets it may hold and not on how long the log is.
//
// Both keep their buckets in one Float64Array allocated at the start: a replay moves tens of thousands of
// event-seconds a second to the main thread, and an array per second was garbage enough to add 30-50 MB to
// the peak RSS of a 100,000-second replay.
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

/** Non-negative remainder: seconds before 1970 fall into the bucket that starts at or before them. */
function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Buckets in one array, `FIELDS` numbers each. */
class BucketStore {
  readonly data: Float64Array;

  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity * FIELDS);
  }

  /** Adds the bucket record at `at` of `packed` to bucket `slot`. */
  addRecord(slot: number, packed: Float64Array, at: number, thresholds: Readonly<Record<Family, number>>): void {
    const d = this.data;
    const o = slot * FIELDS;
    d[o + F_TOTAL] += packed[at + B_TOTAL]!;
    d[o + F_SERVER] += packed[at + B_SERVER]!;
    d[o + F_PLATFORM] += packed[at + B_PLATFORM]!;
    for (let c = 0; c < CATEGORIES.length; c++) d[o + F_CATEGORIES + c] += packed[at + B_CATEGORIES + c]!;
    for (let f = 0; f < FAMILIES.length; f++) d[o + F_THRESHOLDS + f] = thresholds[FAMILIES[f]!];
  }

  clear(slot: number): void {
    this.data.fill(0, slot * FIELDS, (slot + 1) * FIELDS);
  }

  /** Adds bucket `from` into bucket `into`; `into` takes `from`'s thresholds (the newer part's). */
  merge(into: number, from: number): void {
    const d = this.data;
    for (let i = 0; i < F_THRESHOLDS; i++) d[into * FIELDS + i] += d[from * FIELDS + i]!;
    for (let i = F_THRESHOLDS; i < FIELDS; i++) d[into * FIELDS + i] = d[from * FIELDS + i]!;
  }

  /** The buckets in `slots` (in that order) starting at `starts`, as the JSON of the charts. */
  toJSON(step: number, starts: readonly number[], slots: readonly number[]): HistoryJson {
    const column = (field: number): number[] => slots.map((s) => this.data[s * FIELDS + field]!);
    return {
      step_seconds: step,
      t: [...starts],
      total: column(F_TOTAL),
      server: column(F_SERVER),
      platform: column(F_PLATFORM),
      categories: Object.fromEntries(CATEGORIES.map((c, i) => [c, column(F_CATEGORIES + i)])) as Record<Category, number[]>,
      threshold: Object.fromEntries(FAMILIES.map((f, i) => [f, column(F_THRESHOLDS + i)])) as Record<Family, number[]>,
    };
  }
}

/** The last `keepSec` seconds of event time at one second each: the live page's quarter hour. */
export class RecentHistory {
  private readonly store: BucketStore;
  /** The second each ring slot holds; NaN while empty. */
  private readonly stamps: Float64Array;
  private newest = -Infinity;

  constructor(readonly keepSec: number) {
    this.store = new BucketStore(keepSec);
    this.stamps = new Float64Array(keepSec).fill(NaN);
  }

  /** Newest second of event time counted, NaN before any. */
  get newestSec(): number {
    return Number.isFinite(this.newest) ? this.newest : NaN;
  }

  /** Folds one flush's packed bucket deltas in; `thresholds` are the families' firing thresholds now. */
  add(packed: Float64Array, thresholds: Readonly<Record<Family, number>>): void {
    for (let at = 0; at < packed.length; at = bucketEnd(packed, at)) {
      const sec = Math.floor(packed[at + B_SEC]!);
      if (!Number.isFinite(sec)) continue;
      if (sec > this.newest) this.newest = sec;
      // Too late for the ring: the second has left the quarter hour.
      if (sec <= this.newest - this.keepSec) continue;
      // The slot holds this second or one that has left the quarter hour.
      const slot = mod(sec, this.keepSec);
      if (this.stamps[slot] !== sec) {
        this.store.clear(slot);
        this.stamps[slot] = sec;
      }
      this.store.addRecord(slot, packed, at, thresholds);
    }
  }

  /** The seconds from `fromSec` on that counted something, oldest first. */
  toJSON(fromSec = -Infinity): HistoryJson {
    const slots: number[] = [];
    for (let s = 0; s < this.keepSec; s++) {
      const sec = this.stamps[s]!;
      if (sec >= fromSec && sec > this.newest - this.keepSec) slots.push(s);
    }
    slots.sort((a, b) => this.stamps[a]! - this.stamps[b]!);
    return this.store.toJSON(1, slots.map((s) => this.stamps[s]!), slots);
  }
}

/** A whole run's event time in at most `maxBuckets` buckets: past that the step grows and neighbours merge. */
export class RunHistory {
  private step = 1;
  private readonly store: BucketStore;
  /** Bucket start (epoch seconds) -> its slot in the store. */
  private slots = new Map<number, number>();
  private readonly free: number[] = [];
  private used = 0;

  constructor(readonly maxBuckets: number) {
    this.store = new BucketStore(maxBuckets + 1);
  }

  get stepSeconds(): number {
    return this.step;
  }

  get size(): number {
    return this.slots.size;
  }

  add(packed: Float64Array, thresholds: Readonly<Record<Family, number>>): void {
    for (let at = 0; at < packed.length; at = bucketEnd(packed, at)) {
      const sec = Math.floor(packed[at + B_SEC]!);
      if (!Number.isFinite(sec)) continue;
      const key = sec - mod(sec, this.step);
      let slot = this.slots.get(key);
      if (slot === undefined) {
        slot = this.free.pop() ?? this.used++;
        this.store.clear(slot);
        this.slots.set(key, slot);
      }
      this.store.addRecord(slot, packed, at, thresholds);
      while (this.slots.size > this.maxBuckets) this.coarsen();
    }
  }

  toJSON(): HistoryJson {
    const starts = [...this.slots.keys()].sort((a, b) => a - b);
    return this.store.toJSON(this.step, starts, starts.map((k) => this.slots.get(k)!));
  }

  /** Moves to the next step and merges the buckets that now share one. */
  private coarsen(): void {
    const at = STEPS.indexOf(this.step as (typeof STEPS)[number]);
    this.step = at >= 0 && at < STEPS.length - 1 ? STEPS[at + 1]! : this.step * 2;
    const merged = new Map<number, number>();
    // Oldest first, so a merged bucket ends with the thresholds of its newest part.
    for (const key of [...this.slots.keys()].sort((a, b) => a - b)) {
      const slot = this.slots.get(key)!;
      const into = key - mod(key, this.step);
      const target = merged.get(into);
      if (target === undefined) merged.set(into, slot);
      else {
        this.store.merge(target, slot);
        this.free.push(slot);
      }
    }
    this.slots = merged;
  }
}
