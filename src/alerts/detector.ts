// The spike detector of SPEC "Spike alerts". Per family, a sliding window over per-second rings of event
// time; each closed second is judged once, against the ratio floor and a slowly learned baseline share.
import { B_CODES, B_LABELS, B_PLATFORM, B_SERVER, B_TOTAL, BUCKET_HEADER, bucketEnd, parseLabelKey } from '../aggregate/types.js';
import { categoryByShape, FAMILIES, familyOf, type Category, type Family } from '../codes/category.js';
import type { AlertEvent, AlertStatus, TopCode, TopLabel } from './events.js';

export interface SpikeOptions {
  /** Sliding window in whole seconds of event time (`--alert-window`). */
  readonly windowSec: number;
  /** Least family responses in the window for a spike (`--alert-min-count`). */
  readonly minCount: number;
  /** Least family share of all responses in the window (`--alert-ratio`). */
  readonly ratio: number;
  /** Least multiple of the family's baseline share (`--alert-factor`). */
  readonly factor: number;
}

export const DEFAULT_SPIKE_OPTIONS: SpikeOptions = Object.freeze({ windowSec: 60, minCount: 20, ratio: 0.05, factor: 3 });

/** What the detector needs to know of a counted series. */
export interface SlotDescription {
  readonly code: string;
  readonly description: string;
  /** Decides the series' family; without it the code's shape does (`http_*` is server). */
  readonly category?: Category;
}

export type DescribeSlot = (slot: number) => SlotDescription;

/** The dimensions (SPEC "Breakdowns"): their names, and the value of a label. */
export interface DescribeLabels {
  readonly names: readonly string[];
  value(dim: number, label: number): string;
}

/**
 * Time constant of the baseline, in seconds of non-alerting event time that carried traffic. An hour: a
 * regression that slowly raises the normal error share becomes the new normal within hours, while a spike of
 * a few minutes could move it only by a few percent even if it were learned (it is not: learning pauses
 * while alerting). Seconds without traffic say nothing about the normal share, so a night without traffic
 * or a jump in event time leaves the baseline as it was.
 */
export const BASELINE_TIME_CONSTANT_SEC = 3600;

/**
 * The baseline counts once it has learned this many windows of seconds with traffic (and enough responses).
 * Until then only the count and ratio tests apply, so a big spike in the first minutes still fires.
 */
export const WARM_UP_WINDOWS = 5;

/** How many codes an event lists. */
export const TOP_CODES = 5;

/** How many values of each dimension an event lists. */
export const TOP_LABELS = 5;

/** A dimension's label in the window maps: dim * 65536 + label. */
const windowLabel = (dim: number, label: number): number => dim * 65536 + label;

const KEEP = 1 - 1 / BASELINE_TIME_CONSTANT_SEC;
const MAX_DATE_MS = 8.64e15;

class FamilyWindow {
  /** Family responses per ring slot. */
  readonly perSec: Float64Array;
  /** Responses per series slot, per ring slot; created on first use. */
  readonly codesPerSec: (Map<number, number> | undefined)[];
  /** Family responses in the window. */
  count = 0;
  /** Responses per series slot in the window; a slot leaves when its count drops to zero. */
  readonly codes = new Map<number, number>();
  /** The same for the dimensions' labels (windowLabel keys). */
  readonly labelsPerSec: (Map<number, number> | undefined)[];
  readonly labels = new Map<number, number>();

  firing = false;
  /** Epoch second the current incident started. */
  startsAt = 0;
  /** Consecutive judged seconds below the firing threshold while firing. */
  quietSec = 0;
  fired = 0;

  // Exponentially decayed sums over the calm (non-alerting) seconds learned so far: their quotient is the
  // baseline share, weighted by traffic so that a quiet second with one error does not count as 100%.
  learnedCount = 0;
  learnedTotal = 0;

  warm = false;
  // During warm-up only: every second with traffic, calm or not, and how many there were. A family that
  // alerts through all of its warm-up (its normal share is above the ratio floor) takes these as its
  // baseline; learning only from calm time would leave it alerting for ever.
  warmUpSeconds = 0;
  warmUpCount = 0;
  warmUpTotal = 0;

  constructor(readonly family: Family, size: number) {
    this.perSec = new Float64Array(size);
    this.codesPerSec = new Array<Map<number, number> | undefined>(size).fill(undefined);
    this.labelsPerSec = new Array<Map<number, number> | undefined>(size).fill(undefined);
  }

  add(ring: number, n: number): void {
    this.perSec[ring] += n;
    this.count += n;
  }

  addCode(ring: number, slot: number, n: number): void {
    add(this.codesPerSec, this.codes, ring, slot, n);
  }

  addLabel(ring: number, key: number, n: number): void {
    add(this.labelsPerSec, this.labels, ring, key, n);
  }

  /** Empties one ring slot; returns the family responses it held. */
  clear(ring: number): number {
    const n = this.perSec[ring];
    this.perSec[ring] = 0;
    this.count -= n;
    drop(this.codesPerSec[ring], this.codes);
    drop(this.labelsPerSec[ring], this.labels);
    return n;
  }

  /** Learns one second with traffic leaving the window. */
  learn(n: number, total: number, warmUpSeconds: number, warmUpResponses: number): void {
    // Learning pauses while the family alerts, so an incident never teaches the baseline it is normal.
    if (!this.firing) {
      this.learnedCount = this.learnedCount * KEEP + n;
      this.learnedTotal = this.learnedTotal * KEEP + total;
    }
    if (this.warm) return;
    this.warmUpSeconds += 1;
    this.warmUpCount = this.warmUpCount * KEEP + n;
    this.warmUpTotal = this.warmUpTotal * KEEP + total;
    if (this.warmUpSeconds < warmUpSeconds || this.warmUpTotal < warmUpResponses) return;
    this.warm = true;
    if (this.learnedTotal < warmUpResponses) {
      this.learnedCount = this.warmUpCount;
      this.learnedTotal = this.warmUpTotal;
    }
  }
}

/** Counts n for `key` in ring slot `ring` and in the window's totals. */
function add(perSec: (Map<number, number> | undefined)[], window: Map<number, number>, ring: number, key: number, n: number): void {
  let m = perSec[ring];
  if (!m) perSec[ring] = m = new Map();
  m.set(key, (m.get(key) ?? 0) + n);
  window.set(key, (window.get(key) ?? 0) + n);
}

/** Takes a ring slot's counts out of the window's totals; a key leaves when its count drops to zero. */
function drop(m: Map<number, number> | undefined, window: Map<number, number>): void {
  if (!m || m.size === 0) return;
  for (const [key, c] of m) {
    const left = (window.get(key) ?? 0) - c;
    if (left > 0) window.set(key, left);
    else window.delete(key);
  }
  m.clear();
}

function familyOfCode(code: string): Family | undefined {
  if (/^http_[0-9]+$/.test(code)) return 'server';
  if (/^[0-9]{1,12}$/.test(code)) return familyOf(categoryByShape(Number(code)));
  return undefined;
}

function iso(sec: number): string {
  return new Date(Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, sec * 1000))).toISOString();
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export class SpikeDetector {
  private readonly window: number;
  private readonly minCount: number;
  private readonly minRatio: number;
  private readonly factor: number;
  /**
   * Responses the learned history must hold before the baseline counts: enough that a family at the ratio
   * floor would have shown minCount of them.
   */
  private readonly warmUpResponses: number;
  private readonly warmUpSeconds: number;

  /** All responses per ring slot; ring slot of second s is s mod window. */
  private readonly totals: Float64Array;
  private total = 0;
  private readonly families: readonly FamilyWindow[];
  private readonly byFamily: Record<Family, FamilyWindow>;
  /**
   * Newest second folded or ticked to; NaN before any data. The ring holds (head - window, head]; every
   * second before head is closed and has been judged.
   */
  private head = NaN;
  /** First and newest second of an unbroken run of data older than the window (NaN: no run). */
  private lateFirst = NaN;
  private lateLast = NaN;
  private readonly slotFamily = new Map<number, Family>();

  constructor(
    options: SpikeOptions,
    private readonly describe: DescribeSlot,
    private readonly labels: DescribeLabels = { names: [], value: () => 'other' },
  ) {
    const { windowSec, minCount, ratio, factor } = options;
    if (!Number.isInteger(windowSec) || windowSec < 1) {
      throw new RangeError(`alert window must be a whole number of seconds, at least 1; got ${windowSec}`);
    }
    if (!Number.isFinite(minCount) || minCount < 0) {
      throw new RangeError(`alert min count must be a number >= 0; got ${minCount}`);
    }
    if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`alert ratio must be in (0, 1]; got ${ratio}`);
    if (!Number.isFinite(factor) || factor < 0) throw new RangeError(`alert factor must be a number >= 0; got ${factor}`);
    this.window = windowSec;
    this.minCount = minCount;
    this.minRatio = ratio;
    this.factor = factor;
    this.warmUpResponses = Math.max(1, minCount) / ratio;
    this.warmUpSeconds = WARM_UP_WINDOWS * windowSec;
    this.totals = new Float64Array(windowSec);
    const server = new FamilyWindow('server', windowSec);
    const platform = new FamilyWindow('platform', windowSec);
    this.byFamily = { server, platform };
    this.families = FAMILIES.map((f) => this.byFamily[f]);
  }

  get windowSec(): number {
    return this.window;
  }

  /** Folds one flush of bucket deltas in (packed, see BUCKET_HEADER); returns the events of the seconds this closed. */
  add(buckets: Float64Array): AlertEvent[] {
    const events: AlertEvent[] = [];
    // One flush can span many seconds in any order; in order, none of them is late to another. A log in
    // time order gives them in order already.
    const records: number[] = [];
    let ordered = true;
    for (let at = 0; at < buckets.length; at = bucketEnd(buckets, at)) {
      if (records.length > 0 && buckets[at]! < buckets[records[records.length - 1]!]!) ordered = false;
      records.push(at);
    }
    if (!ordered) records.sort((a, b) => buckets[a]! - buckets[b]!);
    for (const at of records) this.fold(buckets, at, events);
    return events;
  }

  /**
   * Moves event time to `nowSec` when no data comes (an estimate: last event second plus the wall time
   * since it arrived), so an idle stream still resolves. Never moves time back.
   */
  tick(nowSec: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    const sec = Math.floor(nowSec);
    if (Number.isFinite(sec) && sec > this.head) this.advance(sec, events);
    return events;
  }

  /** The family's share of all responses in the current window (errcode_window_ratio). */
  ratio(family: Family): number {
    return this.total > 0 ? this.byFamily[family].count / this.total : 0;
  }

  /** The baseline share the next judgement uses; 0 while it is still warming up. */
  baseline(family: Family): number {
    return this.baselineOf(this.byFamily[family]);
  }

  /** The share the family fires at now: the ratio floor, or the factor times its baseline when that is higher. */
  threshold(family: Family): number {
    return Math.max(this.minRatio, this.factor * this.baselineOf(this.byFamily[family]));
  }

  /** Per dimension, the values with the most of the family's responses in the window, most first. */
  topLabels(family: Family): Record<string, TopLabel[]> {
    const byDim = this.labels.names.map(() => [] as [number, number][]);
    for (const [key, count] of this.byFamily[family].labels) byDim[Math.floor(key / 65536)]?.push([key % 65536, count]);
    return Object.fromEntries(
      byDim.map((entries, d) => [
        this.labels.names[d]!,
        entries
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, TOP_LABELS)
          .map(([label, count]) => ({ value: this.labels.value(d, label), count })),
      ]),
    );
  }

  /** Whether the family's spike alert is firing (errcode_alert_active). */
  active(family: Family): boolean {
    return this.byFamily[family].firing;
  }

  /** Incidents fired so far (errcode_alerts_total). */
  firedTotal(family: Family): number {
    return this.byFamily[family].fired;
  }

  /** Folds the bucket record at `at` of `b`. */
  private fold(b: Float64Array, at: number, events: AlertEvent[]): void {
    const sec = Math.floor(b[at]!);
    const total = b[at + B_TOTAL]!;
    const server = b[at + B_SERVER]!;
    const platform = b[at + B_PLATFORM]!;
    if (!Number.isFinite(sec)) return;
    if (Number.isNaN(this.head)) this.head = sec;
    else if (sec > this.head) this.advance(sec, events);
    else if (sec <= this.head - this.window && !this.lateRun(sec, total, events)) return;
    if (total > 0) this.lateFirst = NaN;

    const ring = this.ringOf(sec);
    this.totals[ring] += total;
    this.total += total;
    this.byFamily.server.add(ring, server);
    this.byFamily.platform.add(ring, platform);
    const end = at + BUCKET_HEADER + 2 * b[at + B_CODES]!;
    for (let i = at + BUCKET_HEADER; i < end; i += 2) {
      const slot = b[i]!;
      const n = b[i + 1]!;
      if (n !== 0) this.familyOfSlot(slot, server, platform).addCode(ring, slot, n);
    }
    const labelsEnd = end + 2 * b[at + B_LABELS]!;
    for (let i = end; i < labelsEnd; i += 2) {
      const { dim, family, label } = parseLabelKey(b[i]!);
      if (b[i + 1]! !== 0) this.families[family]!.addLabel(ring, windowLabel(dim, label), b[i + 1]!);
    }
  }

  /**
   * Data older than the window is ignored, unless it keeps coming for a full window of its own time with
   * nothing newer in between: then event time went back (an older file replayed after a newer one, or one
   * line from the far future pushed time ahead) and the detector follows the new timeline instead of
   * ignoring everything from now on. Returns true when `sec` now belongs to the window.
   */
  private lateRun(sec: number, total: number, events: AlertEvent[]): boolean {
    if (total <= 0) return false;
    if (Number.isNaN(this.lateFirst)) {
      this.lateFirst = this.lateLast = sec;
      return false;
    }
    this.lateFirst = Math.min(this.lateFirst, sec);
    this.lateLast = Math.max(this.lateLast, sec);
    if (sec !== this.lateLast || this.lateLast - this.lateFirst < this.window) return false;
    // The old timeline ends where its data ended: its open incidents close there.
    for (const fam of this.families) if (fam.firing) this.resolve(fam, this.head + 1, events);
    this.totals.fill(0);
    this.total = 0;
    for (const fam of this.families) for (let r = 0; r < this.window; r++) fam.clear(r);
    this.head = sec;
    this.lateFirst = NaN;
    return true;
  }

  /** Closes every second before `to`, judging each, and makes room for `to` in the ring. */
  private advance(to: number, events: AlertEvent[]): void {
    while (this.head < to) {
      this.judge(this.head + 1, events);
      const gap = to - this.head - 1;
      if (gap > 0 && this.quiescent()) {
        // An empty window with nothing firing: the seconds up to `to` can change nothing, so a gap of
        // hours (or a clock jump of years) costs one step instead of one per second.
        this.head += gap;
      }
      this.head += 1;
      this.expire(this.ringOf(this.head));
    }
  }

  /** The ring slot of the new head held the second leaving the window: learn from it, then empty it. */
  private expire(ring: number): void {
    const leaving = this.totals[ring];
    for (const fam of this.families) {
      const n = fam.clear(ring);
      if (leaving > 0) fam.learn(n, leaving, this.warmUpSeconds, this.warmUpResponses);
    }
    this.totals[ring] = 0;
    this.total -= leaving;
  }

  private quiescent(): boolean {
    if (this.total !== 0) return false;
    for (const fam of this.families) if (fam.firing || fam.count !== 0 || fam.codes.size !== 0 || fam.labels.size !== 0) return false;
    return true;
  }

  /** Judges the window that ends at `at` (epoch seconds, the end of the second just closed). */
  private judge(at: number, events: AlertEvent[]): void {
    for (const fam of this.families) {
      const share = this.total > 0 ? fam.count / this.total : 0;
      const threshold = this.threshold(fam.family);
      if (!fam.firing) {
        if (fam.count > 0 && fam.count >= this.minCount && share >= threshold) {
          fam.firing = true;
          fam.startsAt = at;
          fam.quietSec = 0;
          fam.fired += 1;
          events.push(this.event('firing', fam, at));
        }
      } else if (share >= threshold) {
        fam.quietSec = 0;
      } else if (++fam.quietSec >= this.window) {
        this.resolve(fam, at, events);
      }
    }
  }

  private resolve(fam: FamilyWindow, at: number, events: AlertEvent[]): void {
    fam.firing = false;
    fam.quietSec = 0;
    events.push(this.event('resolved', fam, at));
  }

  private baselineOf(fam: FamilyWindow): number {
    return fam.warm ? fam.learnedCount / fam.learnedTotal : 0;
  }

  private event(status: AlertStatus, fam: FamilyWindow, at: number): AlertEvent {
    return {
      type: 'alert',
      status,
      family: fam.family,
      startsAt: iso(fam.startsAt),
      ...(status === 'resolved' ? { endsAt: iso(at) } : {}),
      window_seconds: this.window,
      count: fam.count,
      total: this.total,
      ratio: round6(this.total > 0 ? fam.count / this.total : 0),
      baseline_ratio: round6(this.baselineOf(fam)),
      top_codes: this.topCodes(fam),
      ...(status === 'firing' && this.labels.names.length > 0 ? { top_labels: this.topLabels(fam.family) } : {}),
    };
  }

  private topCodes(fam: FamilyWindow): TopCode[] {
    const top = [...fam.codes].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, TOP_CODES);
    return top.map(([slot, count]) => {
      const d = this.describe(slot);
      return { code: d.code, count, description: d.description };
    });
  }

  private familyOfSlot(slot: number, server: number, platform: number): FamilyWindow {
    let family = this.slotFamily.get(slot);
    if (family === undefined) {
      const info = this.describe(slot);
      family = info.category !== undefined ? familyOf(info.category) : familyOfCode(info.code);
      if (family !== undefined) this.slotFamily.set(slot, family);
    }
    // A series of no recognisable family (`other` without a category) goes where that second's errors are.
    family ??= platform > 0 && server === 0 ? 'platform' : 'server';
    return this.byFamily[family];
  }

  private ringOf(sec: number): number {
    const r = sec % this.window;
    return r < 0 ? r + this.window : r;
  }
}
