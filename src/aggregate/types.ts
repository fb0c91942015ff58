// What the engine's reader (a worker thread) tells the main thread, and what the main thread's consumers
// (metrics, alerts, live view, summary) read. Everything here is plain data that survives postMessage.
import { CATEGORIES, type Category } from '../codes/category.js';

/** A counted series: one `code` label value (`"4004"`, `"http_502"`, `"other"`) with its category. */
export interface SeriesInfo {
  readonly slot: number;
  readonly code: string;
  readonly category: Category;
}

/** A value of a dimension (SPEC "Breakdowns"), by its label index; index 0 is `none`, 1 is `other`. */
export interface LabelValueInfo {
  readonly dim: number;
  readonly label: number;
  readonly value: string;
}

export const LABEL_NONE = 0;
export const LABEL_OTHER = 1;

/** A counted (value, code) pair of a dimension: one series of errcode_<NAME>_responses_total. */
export interface LabelPairInfo {
  readonly dim: number;
  readonly pair: number;
  readonly label: number;
  /** The `code` label: as SeriesInfo.code, or `other` past --max-label-series. */
  readonly code: string;
  readonly category: Category;
}

/**
 * Responses counted in one second of event time (arrival time for lines without one), as a delta since the
 * previous flush: the same second can arrive in several deltas, and seconds can arrive out of order.
 * `codes` holds [slot, count, slot, count, ...] for the series of the spike families only; `categories` the
 * responses by category.
 */
export interface BucketDelta {
  readonly sec: number;
  readonly total: number;
  readonly server: number;
  readonly platform: number;
  readonly codes: readonly number[];
  readonly categories?: Partial<Readonly<Record<Category, number>>>;
  /** [labelKey, count, ...] for the spike families' responses. */
  readonly labels?: readonly number[];
}

/**
 * Bucket deltas travel packed in one Float64Array, a record per second: [sec, total, server, platform,
 * nCodes, nLabels, a count per category (CATEGORIES order), then nCodes (slot, count) pairs, then nLabels
 * (key, count) pairs]. A full-speed replay moves tens of thousands of event-seconds a second; as an object
 * and an array per second they were most of what the main thread's heap had to collect.
 */
export const B_SEC = 0;
export const B_TOTAL = 1;
export const B_SERVER = 2;
export const B_PLATFORM = 3;
export const B_CODES = 4;
export const B_LABELS = 5;
export const B_CATEGORIES = 6;
export const BUCKET_HEADER = B_CATEGORIES + CATEGORIES.length;

/** The key of a dimension's label among one family's responses (family 0 server, 1 platform) in a bucket record. */
export function labelKey(dim: number, family: number, label: number): number {
  return (dim * 2 + family) * 65536 + label;
}

export function parseLabelKey(key: number): { dim: number; family: number; label: number } {
  const high = Math.floor(key / 65536);
  return { dim: high >> 1, family: high & 1, label: key % 65536 };
}

/** Where the bucket record after the one at `at` starts. */
export function bucketEnd(b: Float64Array, at: number): number {
  return at + BUCKET_HEADER + 2 * (b[at + B_CODES]! + b[at + B_LABELS]!);
}

/** The packed form of `deltas`. */
export function packBuckets(deltas: readonly BucketDelta[]): Float64Array {
  const pairsOf = (list: readonly number[] | undefined): number => Math.floor((list?.length ?? 0) / 2);
  const out = new Float64Array(deltas.reduce((n, d) => n + BUCKET_HEADER + 2 * (pairsOf(d.codes) + pairsOf(d.labels)), 0));
  let at = 0;
  for (const d of deltas) {
    const codes = pairsOf(d.codes);
    const labels = pairsOf(d.labels);
    out.set([d.sec, d.total, d.server, d.platform, codes, labels], at);
    CATEGORIES.forEach((c, i) => (out[at + B_CATEGORIES + i] = d.categories?.[c] ?? 0));
    out.set(d.codes.slice(0, 2 * codes), at + BUCKET_HEADER);
    out.set((d.labels ?? []).slice(0, 2 * labels), at + BUCKET_HEADER + 2 * codes);
    at += BUCKET_HEADER + 2 * (codes + labels);
  }
  return out;
}

/**
 * The second on the log's own clock at arrival time `nowMs`: arrival minus the lag of the latest line that
 * had an event time (`lagSec`, NaN before one), so a replay's clock runs on from where its lines are.
 */
export function eventClockSec(nowMs: number, lagSec: number): number {
  return Math.floor((nowMs - (lagSec === lagSec ? lagSec * 1000 : 0)) / 1000);
}

/** One flush of the reader: cumulative counters plus the bucket deltas since the previous flush. */
export interface Snapshot {
  /** Lines per outcome, indexed like OUTCOMES; cumulative. */
  readonly outcomes: readonly number[];
  readonly blank: number;
  readonly bytes: number;
  /** Series created since the previous flush. */
  readonly added: readonly SeriesInfo[];
  /** Cumulative count per slot (index = slot), for every slot created so far. */
  readonly counts: Float64Array;
  /** Dimension values and (value, code) pairs created since the previous flush. */
  readonly labelValues: readonly LabelValueInfo[];
  readonly labelPairs: readonly LabelPairInfo[];
  /** Per dimension, the cumulative count per pair (index = pair). */
  readonly labelCounts: readonly Float64Array[];
  /** Bucket deltas since the previous flush, packed (see BUCKET_HEADER). */
  readonly buckets: Float64Array;
  /** Arrival time (epoch ms) of the last line read, 0 before the first. */
  readonly lastLineMs: number;
  /** Arrival minus event time (seconds) of the last line that had an event time; NaN before the first. */
  readonly eventLagSec: number;
  /**
   * Set on the flush the reader makes when the log's clock reaches a checkpoint (a boundary every
   * ReaderConfig.checkpointEveryMs of event time): the counts are those of the lines before it. NaN otherwise.
   */
  readonly checkpointMs: number;
}
