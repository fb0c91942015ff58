// Counters of the reader thread: lines by outcome, responses by series (code label + category), and
// per-second buckets for the spike detector. Plain typed arrays, one increment per line; the main thread
// gets consistent copies through flush().
import { categoryByShape, familyOf, type Category } from '../codes/category.js';
import type { CodeTable } from '../codes/table.js';
import { OK, OUTCOMES, type LineResult } from '../extract/result.js';
import { BUCKET_HEADER, eventClockSec, type SeriesInfo, type Snapshot } from './types.js';

/** Codes below this are looked up in a flat array (4 MB): every code of the platform's table fits. */
const DIRECT_CODES = 1_000_000;
const SERVER = 0;
const PLATFORM = 1;

interface Bucket {
  sec: number;
  total: number;
  server: number;
  platform: number;
  codes: Map<number, number> | null;
}

export class Tally {
  readonly outcomes = new Float64Array(OUTCOMES.length);
  blank = 0;
  bytes = 0;
  private counts = new Float64Array(256);
  private family = new Int8Array(256);
  private readonly series: SeriesInfo[] = [];
  private added: SeriesInfo[] = [];
  private readonly bySeries = new Map<string, number>();
  /** code -> slot + 1 for codes below DIRECT_CODES (0: not resolved yet). */
  private readonly direct = new Int32Array(DIRECT_CODES);
  private readonly large = new Map<number, number>();
  private readonly http = new Int32Array(600);
  private unlisted = 0;
  private pending = new Map<number, Bucket>();
  private last: Bucket | null = null;
  private lastLineMs = 0;
  private eventLagSec = NaN;
  dirty = false;

  constructor(
    private table: CodeTable,
    private readonly maxUnlisted: number,
  ) {
    this.registerTable();
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
    this.outcomes[r.outcome]!++;
    this.dirty = true;
    this.lastLineMs = nowMs;
    if (r.outcome !== OK) return -1;
    const slot = r.status !== 0 ? this.statusSlot(r.status) : this.codeSlot(r.code);
    this.counts[slot]!++;
    let sec: number;
    if (r.timeMs === r.timeMs) {
      sec = Math.floor(r.timeMs / 1000);
      this.eventLagSec = (nowMs - r.timeMs) / 1000;
    } else {
      // Arrival time on the log's clock: a line without a time in a replayed log lands among its
      // neighbours, not at today's date (where the replay's own seconds would look late to the detector).
      sec = eventClockSec(nowMs, this.eventLagSec);
    }
    let b = this.last;
    if (b === null || b.sec !== sec) b = this.bucket(sec);
    b.total++;
    const fam = this.family[slot]!;
    if (fam >= 0) {
      if (fam === SERVER) b.server++;
      else b.platform++;
      const codes = (b.codes ??= new Map());
      codes.set(slot, (codes.get(slot) ?? 0) + 1);
    }
    return slot;
  }

  /** Counts one line that is not looked at (oversized) under its outcome. */
  countOutcome(outcome: number, nowMs: number): void {
    this.outcomes[outcome]!++;
    this.lastLineMs = nowMs;
    this.dirty = true;
  }

  /** A consistent copy of everything counted so far, with the bucket deltas since the previous flush. */
  flush(): Snapshot {
    let size = 0;
    for (const b of this.pending.values()) size += BUCKET_HEADER + 2 * (b.codes?.size ?? 0);
    const buckets = new Float64Array(size);
    let at = 0;
    for (const b of this.pending.values()) {
      buckets[at] = b.sec;
      buckets[at + 1] = b.total;
      buckets[at + 2] = b.server;
      buckets[at + 3] = b.platform;
      buckets[at + 4] = b.codes?.size ?? 0;
      at += BUCKET_HEADER;
      if (b.codes) {
        for (const [slot, n] of b.codes) {
          buckets[at++] = slot;
          buckets[at++] = n;
        }
      }
    }
    this.pending = new Map();
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
      buckets,
      lastLineMs: this.lastLineMs,
      eventLagSec: this.eventLagSec,
    };
  }

  private bucket(sec: number): Bucket {
    let b = this.pending.get(sec);
    if (!b) {
      b = { sec, total: 0, server: 0, platform: 0, codes: null };
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
    }
    const info: SeriesInfo = { slot, code, category };
    this.series.push(info);
    this.added.push(info);
    this.bySeries.set(key, slot);
    const fam = familyOf(category);
    this.family[slot] = fam === 'server' ? SERVER : fam === 'platform' ? PLATFORM : -1;
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
