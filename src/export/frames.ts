// The errcode_* series as the history writers see them: a series gets an id the first time it is seen, with
// its whole label set (__name__, the family's labels, then the pushed labels such as job and instance),
// sorted by name; a frame is the value of every series at one time. What a writer makes of a series (its
// protobuf labels, its line prefix) is kept by id, so a frame costs little more than its values.
import type { MetricFamily, Series } from '../metrics/families.js';

export type Label = readonly [name: string, value: string];

export interface SeriesEntry {
  readonly id: number;
  readonly family: MetricFamily;
  /** Sorted by name (byte order, as the remote-write spec asks), without empty values. */
  readonly labels: readonly Label[];
}

export interface Frame {
  /** Epoch ms. */
  readonly atMs: number;
  /** Series ids, and their values at atMs. */
  readonly ids: Int32Array;
  readonly values: Float64Array;
  /** Stale markers: the series end here (values unused). */
  readonly stale: boolean;
}

const byName = (a: Label, b: Label): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export class SeriesTable {
  readonly entries: SeriesEntry[] = [];
  private readonly ids = new WeakMap<Series, number>();
  private readonly byLabels = new Map<string, number>();
  /** Per id, the number of the last frame it was in (series that leave get stale markers). */
  private lastFrame = new Int32Array(256);
  private frames = 0;

  /** `external`: labels of every series unless the series has its own of that name (Prometheus's external_labels). */
  constructor(
    private readonly families: readonly MetricFamily[],
    private readonly external: readonly Label[],
  ) {}

  /** The value of every series now, stamped `atMs`. */
  frame(atMs: number): Frame {
    const ids: number[] = [];
    const values: number[] = [];
    for (const f of this.families) {
      f.collect((s, v) => {
        ids.push(this.idOf(f, s));
        values.push(v);
      });
    }
    this.frames++;
    for (const id of ids) this.lastFrame[id] = this.frames;
    return { atMs, ids: Int32Array.from(ids), values: Float64Array.from(values), stale: false };
  }

  /** Stale markers at `atMs` for the series of an earlier frame that the latest one no longer has (a reloaded table's info series). */
  gone(earlier: Frame, atMs: number): Frame | undefined {
    const ids = earlier.ids.filter((id) => this.lastFrame[id] !== this.frames);
    return ids.length === 0 ? undefined : { atMs, ids, values: new Float64Array(ids.length), stale: true };
  }

  /** Stale markers at `atMs` for every series of `last`: the run's series end. */
  ended(last: Frame, atMs: number): Frame {
    return { atMs, ids: last.ids, values: new Float64Array(last.ids.length), stale: true };
  }

  private idOf(family: MetricFamily, s: Series): number {
    let id = this.ids.get(s);
    if (id !== undefined) return id;
    const own: Label[] = [['__name__', family.name]];
    family.labelNames.forEach((n, i) => own.push([n, s.values[i] ?? '']));
    const labels = [...own, ...this.external.filter(([n]) => !own.some(([m]) => m === n))].filter(([, v]) => v !== '').sort(byName);
    // A family may make a new object for a series it had: the same labels are the same series (one id).
    const key = labels.map(([n, v]) => `${n}\u0000${v}`).join('\u0000');
    id = this.byLabels.get(key);
    if (id !== undefined) {
      this.ids.set(s, id);
      return id;
    }
    id = this.entries.length;
    this.entries.push({ id, family, labels });
    this.byLabels.set(key, id);
    this.ids.set(s, id);
    if (id >= this.lastFrame.length) {
      const grown = new Int32Array(this.lastFrame.length * 2);
      grown.set(this.lastFrame);
      this.lastFrame = grown;
    }
    return id;
  }
}
