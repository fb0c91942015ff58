// A line's dimension values to label indices, in the reader thread: the value shaped (route templated,
// method normalised, cut to 128 bytes), then admitted or counted as `other` (admission.ts). Label 0 is `none`
// (absent, or not a string or number), 1 is `other`; admitted values follow, never to be removed.
import { LABEL_NONE, LABEL_OTHER, type LabelValueInfo } from '../aggregate/types.js';
import { NUMBER, STRING, STRING_ESCAPED } from '../extract/result.js';
import { Admission, ADMIT_AFTER } from './admission.js';
import type { DimensionSpec } from './dimensions.js';
import { templateRoute, type RoutePattern } from './route.js';
import { cutUtf8, normalizeMethod } from './values.js';

export interface LabelLimits {
  /** Admitted values per dimension (--max-label-values), besides none and other. */
  readonly maxValues: number;
  readonly routePatterns: readonly RoutePattern[];
  /** Counts a candidate needs before it is admitted (default ADMIT_AFTER; tests use 1 to see every value). */
  readonly admitAfter?: number;
}

/** Candidates kept per dimension: enough to hold every value that carries traffic while a flood goes by. */
export function candidateCapacity(maxValues: number): number {
  return Math.max(1024, 8 * maxValues);
}

// ES2024's well-formed strings, in Node 20's V8 though not in the project's lib (es2022).
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

class DimensionValues {
  private readonly byValue = new Map<string, number>([
    ['none', LABEL_NONE],
    ['other', LABEL_OTHER],
  ]);
  private readonly admission: Admission;
  private admitted = 0;
  /** By label. */
  readonly values: string[] = ['none', 'other'];

  constructor(
    private readonly dim: number,
    private readonly spec: DimensionSpec,
    private readonly limits: LabelLimits,
    private readonly added: LabelValueInfo[],
  ) {
    // A method is one of ten values once normalised: nothing to keep out.
    this.admission = new Admission(candidateCapacity(limits.maxValues), spec.kind === 'method' ? 1 : (limits.admitAfter ?? ADMIT_AFTER));
  }

  /** Whether every slot is taken: from then on `other` is as final as an admitted value. */
  get full(): boolean {
    return this.admitted >= this.limits.maxValues;
  }

  shape(text: string): string {
    const kind = this.spec.kind;
    // A lone surrogate (`"\ud800"` in the JSON) would be U+FFFD in UTF-8: as such, or two values would
    // print as one series.
    const whole = text.isWellFormed() ? text : text.toWellFormed();
    const shaped = kind === 'route' ? templateRoute(whole, this.limits.routePatterns) : kind === 'method' ? normalizeMethod(whole) : whole;
    return cutUtf8(shaped);
  }

  label(text: string | null): number {
    if (text === null || text === '') return LABEL_NONE;
    const value = this.shape(text);
    const known = this.byValue.get(value);
    if (known !== undefined) return known;
    if (this.full || !this.admission.offer(value)) return LABEL_OTHER;
    const label = LABEL_OTHER + 1 + this.admitted++;
    this.byValue.set(value, label);
    this.values.push(value);
    this.added.push({ dim: this.dim, label, value });
    if (this.full) this.admission.clear();
    return label;
  }
}

export class LabelResolver {
  private added: LabelValueInfo[] = [];
  private readonly dims: DimensionValues[];

  constructor(specs: readonly DimensionSpec[], limits: LabelLimits) {
    this.dims = specs.map((spec, d) => new DimensionValues(d, spec, limits, this.added));
  }

  get dimensions(): number {
    return this.dims.length;
  }

  /** The label of a value's text (null: absent, or neither a string nor a number). */
  fromText(dim: number, text: string | null): number {
    return this.dims[dim]!.label(text);
  }

  /** The label of a value found by a byte scanner: `kind` as in extract/result.ts, its bytes b[s, e). */
  fromBytes(dim: number, kind: number, b: Buffer, s: number, e: number): number {
    let text: string | null = null;
    if (kind === STRING) text = b.toString('utf8', s, e);
    else if (kind === STRING_ESCAPED) text = JSON.parse(b.toString('utf8', s - 1, e + 1)) as string;
    else if (kind === NUMBER) text = String(Number(b.toString('latin1', s, e)));
    return this.fromText(dim, text);
  }

  /** The value a label stands for. */
  valueText(dim: number, label: number): string {
    return this.dims[dim]!.values[label]!;
  }

  /** Whether the same raw value will always get this label (a scanner may then remember it). */
  final(dim: number, label: number): boolean {
    return label !== LABEL_OTHER || this.dims[dim]!.full;
  }

  /** Values admitted since the last call. */
  takeAdded(): LabelValueInfo[] {
    return this.added.splice(0);
  }
}
