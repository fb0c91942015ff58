// Counters of the reader thread: lines by outcome, responses by series (code label + category), and
// per-second buckets for the spike detector. Plain typed arrays, one increment per line; the main thread
// gets consistent copies through flush().
import { CATEGORIES, categoryByShape, familyOf, type Category } from '../codes/category.js';
import type { CodeTable } from '../codes/table.js';
import { OK, OUTCOMES, type LineResult } from '../extract/result.js';
import { Breakdown } from './breakdown.js';
import { B_CATEGORIES, BUCKET_HEADER, eventClockSec, labelKey, type LabelValueInfo, type SeriesInfo, type Snapshot } from './types.js';

/** Codes below this are looked up in a flat array (4 MB): every code of the platform's table fits. */
const DIRECT_CODES = 1_000_000;
const SERVER = 0;
const PLATFORM = 1;
/**
 * A jump of the log's clock beyond this is taken for a new timeline (another day's file, or one line with a
 * wrong date) rather than filled with a checkpoint every interval: see checkpointClock.
 */
const MAX_CHECKPOINT_FILL_MS = 3_600_000;
/** Buckets kept for reuse: a flush of a fast replay holds a few thousand event-seconds. */
const MAX_SPARE_BUCKETS = 4096;

interface Bucket {
  sec: number;
  total: number;
  server: number;
  platform: number;
  readonly categories: Float64Array;
  codes: Map<number, number> | null;
  /** Family responses by labelKey. */
  labels: Map<number, number> | null;
}


/** The breakdowns counted beside the codes: how many dimensions, their bound, and the values' source. */
export interface TallyDimensions {
  readonly count: number;
  /** How many labels a dimension can have: its values (--max-label-values), none and other. */
  readonly labels: number;
  readonly maxSeries: number;
  /** Values admitted since the last flush (the label resolver's). */
  readonly takeValues: () => LabelValueInfo[];
}

/** Event-time checkpoints (ReaderConfig.checkpointEveryMs): called with the boundary before the line that reaches it is counted. */
export type CheckpointHook = (atMs: number) => void;

export class Tally {
  readonly outcomes = new Float64Array(OUTCOMES.length);
  blank = 0;
  bytes = 0;
  private counts = new Float64Array(256);
  private family = new Int8Array(256);
  private category = new Int8Array(256);
  private readonly series: SeriesInfo[] = [];
  private added: SeriesInfo[] = [];
  private readonly bySeries = new Map<string, number>();
  /** code -> slot + 1 for codes below DIRECT_CODES (0: not resolved yet). */
  private readonly direct = new Int32Array(DIRECT_CODES);
  private readonly large = new Map<number, number>();
  private readonly http = new Int32Array(600);
  private unlisted = 0;
  private pending = new Map<number, Bucket>();
  /** Buckets of earlier flushes, for reuse: a replay makes tens of thousands a second. */
  private spare: Bucket[] = [];
  private last: Bucket | null = null;
  /** The next checkpoint boundary of the log's clock (NaN before the first line); see checkpointClock. */
  private nextCheckpointMs = NaN;
  /** A line far ahead of the clock was seen: a second one confirms the jump. */
  private jumpSeen = false;
  private readonly breakdown: Breakdown | null;
  private lastLineMs = 0;
  private eventLagSec = NaN;
  dirty = false;

  constructor(
    private table: CodeTable,
    private readonly maxUnlisted: number,
    private readonly checkpoints?: { readonly everyMs: number; readonly hook: CheckpointHook },
    private readonly dimensions?: TallyDimensions,
  ) {
    this.registerTable();
    this.breakdown = dimensions && dimensions.count > 0 ? new Breakdown(dimensions.count, dimensions.labels, dimensions.maxSeries) : null;
  }

  /** A reloaded table: listed codes get their series now; every code is classified again when next seen. */
  setTable(table: CodeTable): void {
    this.table = table;
    this.direct.fill(0);
    this.large.clear();
    this.registerTable();
  }

  seriesInfo(slot: number): SeriesInfo {
    return this.series[slot]!;
  }

  /** Counts one extracted line; returns the series slot of an ok line, -1 otherwise. */
  count(r: LineResult, nowMs: number): number {
    if (r.outcome !== OK) {
      this.countOutcome(r.outcome, nowMs);
      return -1;
    }
    let sec: number;
    let atMs: number;
    if (r.timeMs === r.timeMs) {
      atMs = r.timeMs;
      sec = Math.floor(atMs / 1000);
    } else {
      // Arrival time on the log's clock: a line without a time in a replayed log lands among its
      // neighbours, not at today's date (where the replay's own seconds would look late to the detector).
      sec = eventClockSec(nowMs, this.eventLagSec);
      atMs = sec * 1000;
    }
    // NaN before the first line: the comparison fails, and the first line sets the clock. Only lines with an
    // event time move it: an untimed first line took the arrival time (today) for the log's clock, and a
    // replayed archive's lines, all before it, came out as one point at the end.
    if (this.checkpoints !== undefined && r.timeMs === r.timeMs && !(atMs < this.nextCheckpointMs)) this.checkpointClock(atMs);
    if (r.timeMs === r.timeMs) this.eventLagSec = (nowMs - r.timeMs) / 1000;
    this.outcomes[OK]!++;
    this.dirty = true;
    this.lastLineMs = nowMs;
    const slot = r.status !== 0 ? this.statusSlot(r.status) : this.codeSlot(r.code);
    this.counts[slot]!++;
    let b = this.last;
    if (b === null || b.sec !== sec) b = this.bucket(sec);
    b.total++;
    b.categories[this.category[slot]!]!++;
    const fam = this.family[slot]!;
    if (fam >= 0) {
      if (fam === SERVER) b.server++;
      else b.platform++;
      const codes = (b.codes ??= new Map());
      codes.set(slot, (codes.get(slot) ?? 0) + 1);
    }
    const breakdown = this.breakdown;
    if (breakdown !== null) {
      breakdown.count(r.labels, slot, this.series);
      if (fam >= 0) {
        const labels = (b.labels ??= new Map());
        for (let d = 0; d < r.labels.length; d++) {
          const key = labelKey(d, fam, r.labels[d]!);
          labels.set(key, (labels.get(key) ?? 0) + 1);
        }
      }
    }
    return slot;
  }

  /** Counts one line that is not looked at (oversized) under its outcome. */
  countOutcome(outcome: number, nowMs: number): void {
    this.outcomes[outcome]!++;
    this.lastLineMs = nowMs;
    this.dirty = true;
  }

  /**
   * The log's clock reached `atMs` at or past the next checkpoint: one checkpoint per boundary passed, each
   * with the counts of the lines before it. The first line starts the clock with a checkpoint of the counts
   * before it (the table's series at 0), so increase() sees the first minute. A jump of more than an hour
   * starts a new timeline (no fill) once a second line confirms it: one line with a wrong date cannot take
   * the clock away from the rest of the log.
   */
  private checkpointClock(atMs: number): void {
    const { everyMs, hook } = this.checkpoints!;
    const boundary = Math.floor(atMs / everyMs) * everyMs;
    if (this.nextCheckpointMs !== this.nextCheckpointMs) {
      hook(boundary);
      this.nextCheckpointMs = boundary + everyMs;
      return;
    }
    if (atMs >= this.nextCheckpointMs + MAX_CHECKPOINT_FILL_MS) {
      if (!this.jumpSeen) {
        this.jumpSeen = true;
        return;
      }
      this.jumpSeen = false;
      // The old timeline's last sample, then the new one's first.
      hook(this.nextCheckpointMs);
      hook(boundary);
      this.nextCheckpointMs = boundary + everyMs;
      return;
    }
    this.jumpSeen = false;
    for (; this.nextCheckpointMs <= atMs; this.nextCheckpointMs += everyMs) hook(this.nextCheckpointMs);
  }

  /** The last checkpoint, after the last line: its counts are the whole input's. No-op without checkpoints or lines. */
  finishCheckpoints(): void {
    if (this.checkpoints !== undefined && this.nextCheckpointMs === this.nextCheckpointMs) {
      this.checkpoints.hook(this.nextCheckpointMs);
      this.nextCheckpointMs += this.checkpoints.everyMs;
    }
  }

  /** A consistent copy of everything counted so far, with the bucket deltas since the previous flush. */
  flush(checkpointMs = NaN): Snapshot {
    let size = 0;
    for (const b of this.pending.values()) size += BUCKET_HEADER + 2 * ((b.codes?.size ?? 0) + (b.labels?.size ?? 0));
    const buckets = new Float64Array(size);
    let at = 0;
    for (const b of this.pending.values()) {
      buckets[at] = b.sec;
      buckets[at + 1] = b.total;
      buckets[at + 2] = b.server;
      buckets[at + 3] = b.platform;
      buckets[at + 4] = b.codes?.size ?? 0;
      buckets[at + 5] = b.labels?.size ?? 0;
      buckets.set(b.categories, at + B_CATEGORIES);
      at += BUCKET_HEADER;
      for (const map of [b.codes, b.labels]) {
        if (!map) continue;
        for (const [key, n] of map) {
          buckets[at++] = key;
          buckets[at++] = n;
        }
        map.clear();
      }
      if (this.spare.length < MAX_SPARE_BUCKETS) this.spare.push(b);
    }
    this.pending.clear();
    this.last = null;
    const added = this.added;
    this.added = [];
    this.dirty = false;
    return {
      outcomes: Array.from(this.outcomes),
      blank: this.blank,
      bytes: this.bytes,
      added,
      counts: this.counts.slice(0, this.series.length),
      labelValues: this.dimensions?.takeValues() ?? [],
      labelPairs: this.breakdown?.takeAdded() ?? [],
      labelCounts: this.breakdown?.snapshot() ?? [],
      buckets,
      lastLineMs: this.lastLineMs,
      eventLagSec: this.eventLagSec,
      checkpointMs,
    };
  }

  private bucket(sec: number): Bucket {
    let b = this.pending.get(sec);
    if (!b) {
      b = this.spare.pop();
      if (b) {
        b.sec = sec;
        b.total = b.server = b.platform = 0;
        b.categories.fill(0);
      } else b = { sec, total: 0, server: 0, platform: 0, categories: new Float64Array(CATEGORIES.length), codes: null, labels: null };
      this.pending.set(sec, b);
    }
    this.last = b;
    return b;
  }

  private registerTable(): void {
    for (const e of this.table.entries) this.slotFor(String(e.code), e.category);
  }

  private slotFor(code: string, category: Category): number {
    const key = `${code}|${category}`;
    let slot = this.bySeries.get(key);
    if (slot !== undefined) return slot;
    slot = this.series.length;
    if (slot === this.counts.length) {
      const counts = new Float64Array(slot * 2);
      counts.set(this.counts);
      this.counts = counts;
      const family = new Int8Array(slot * 2);
      family.set(this.family);
      this.family = family;
      const cat = new Int8Array(slot * 2);
      cat.set(this.category);
      this.category = cat;
    }
    const info: SeriesInfo = { slot, code, category };
    this.series.push(info);
    this.added.push(info);
    this.bySeries.set(key, slot);
    const fam = familyOf(category);
    this.family[slot] = fam === 'server' ? SERVER : fam === 'platform' ? PLATFORM : -1;
    this.category[slot] = CATEGORIES.indexOf(category);
    this.dirty = true;
    return slot;
  }

  private statusSlot(status: number): number {
    let slot = this.http[status]! - 1;
    if (slot < 0) {
      slot = this.slotFor(`http_${status}`, 'system');
      this.http[status] = slot + 1;
    }
    return slot;
  }

  private codeSlot(code: number): number {
    if (code < DIRECT_CODES) {
      const s = this.direct[code]! - 1;
      if (s >= 0) return s;
    } else {
      const s = this.large.get(code);
      if (s !== undefined) return s;
    }
    const info = this.table.info(code);
    let slot: number;
    let cache = true;
    if (info.listed || this.bySeries.has(`${code}|${info.category}`)) slot = this.slotFor(String(code), info.category);
    else if (this.unlisted < this.maxUnlisted) {
      this.unlisted++;
      slot = this.slotFor(String(code), info.category);
    } else {
      // Past the cardinality bound: the shape's "other" series. Large codes are not cached so that a
      // flood of distinct codes cannot grow the map.
      slot = this.slotFor('other', categoryByShape(code));
      cache = code < DIRECT_CODES;
    }
    if (code < DIRECT_CODES) this.direct[code] = slot + 1;
    else if (cache) this.large.set(code, slot);
    return slot;
  }
}
