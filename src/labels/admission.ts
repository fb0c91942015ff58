// Which values of a dimension get a series of their own (SPEC "Breakdowns": not first come, first served).
//
// Values not yet admitted are candidates in a Space-Saving table (Metwally, Agrawal, El Abbadi 2005) of a fixed
// size: a new value takes the place of the candidate with the smallest count and inherits that count as its
// possible error, so count - error is a lower bound of the value's own counts since it entered. A value is
// admitted once that bound reaches ADMIT_AFTER. A one-off value never gets past a bound of 1, however many
// of them come (a scanner's random paths), so they cannot take the slots; a value that carries traffic
// reaches the bound within its first few counts and stays in the table meanwhile, since a newcomer only ever
// replaces the candidate with the smallest count.

/** Counts a candidate needs (the lower bound) to be admitted: its first ADMIT_AFTER - 1 counts go to `other`. */
export const ADMIT_AFTER = 5;

interface Candidate {
  readonly value: string;
  count: number;
  error: number;
  /** Position in the heap. */
  at: number;
}

export class Admission {
  private readonly byValue = new Map<string, Candidate>();
  /** A min-heap on count. */
  private readonly heap: Candidate[] = [];

  constructor(
    readonly capacity: number,
    private readonly admitAfter = ADMIT_AFTER,
  ) {}

  /** Counts one occurrence of a value not admitted yet; true when it is admitted now (it leaves the table). */
  offer(value: string): boolean {
    let c = this.byValue.get(value);
    if (c) {
      c.count++;
      this.down(c.at);
    } else if (this.heap.length < this.capacity) {
      c = { value, count: 1, error: 0, at: this.heap.length };
      this.heap.push(c);
      this.byValue.set(value, c);
      this.up(c.at);
    } else {
      const min = this.heap[0]!;
      this.byValue.delete(min.value);
      c = { value, count: min.count + 1, error: min.count, at: 0 };
      this.heap[0] = c;
      this.byValue.set(value, c);
      this.down(0);
    }
    if (c.count - c.error < this.admitAfter) return false;
    this.remove(c);
    return true;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Forgets every candidate: nothing more can be admitted. */
  clear(): void {
    this.byValue.clear();
    this.heap.length = 0;
  }

  private remove(c: Candidate): void {
    this.byValue.delete(c.value);
    const last = this.heap.pop()!;
    if (last !== c) {
      this.heap[c.at] = last;
      last.at = c.at;
      this.down(last.at);
      this.up(last.at);
    }
  }

  private up(i: number): void {
    const h = this.heap;
    const c = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.count <= c.count) break;
      h[i] = h[p]!;
      h[i]!.at = i;
      i = p;
    }
    h[i] = c;
    c.at = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const c = h[i]!;
    for (;;) {
      let m = 2 * i + 1;
      if (m >= h.length) break;
      if (m + 1 < h.length && h[m + 1]!.count < h[m]!.count) m++;
      if (h[m]!.count >= c.count) break;
      h[i] = h[m]!;
      h[i]!.at = i;
      i = m;
    }
    h[i] = c;
    c.at = i;
  }
}
