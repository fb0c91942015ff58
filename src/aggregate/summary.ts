// The totals of a run as every face reports them (the terminal summary, --summary-json, the HTML report, the
// web page): lines by outcome, responses by category, every counted code with its descriptions. One function,
// so that the faces' totals cannot drift apart.
import { CATEGORIES, familyOf, type Category } from '../codes/category.js';
import type { CodeTable } from '../codes/table.js';
import type { Counts, DimensionCounts } from '../engine/engine.js';
import { LABEL_NONE, LABEL_OTHER } from './types.js';
import { OUTCOMES, type Outcome } from '../extract/result.js';
import { errcodeDescriptions } from '../codes/describe.js';

export interface CodeSummary {
  readonly code: string;
  readonly category: Category;
  readonly count: number;
  readonly description: string;
  readonly description_en: string;
}

/** A value of a dimension (a route, an app) with its responses, and those of the two spike families. */
export interface Place {
  readonly value: string;
  readonly count: number;
  readonly server: number;
  readonly platform: number;
}

export interface PlaceDimension {
  /** The dimension's name: `route`, `app`, `method`, or a `--label` name. */
  readonly name: string;
  /** The values with the most responses, most first. */
  readonly top: readonly Place[];
  /** The values with the most server and platform errors, most first; only values that have some. */
  readonly errors: readonly Place[];
}

/** How many values of each dimension a summary lists. */
export const TOP_PLACES = 10;

export interface Summary {
  readonly lines: Record<Outcome, number> & { total: number };
  readonly blank_lines: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly responses: number;
  readonly categories: Record<Category, number>;
  /** Every series with a count, largest first. */
  readonly codes: readonly CodeSummary[];
  /** Per dimension (SPEC "Breakdowns"), its top values overall and among server and platform errors. */
  readonly places: readonly PlaceDimension[];
  readonly alerts: Record<string, number>;
}

export function summarize(counts: Counts, table: CodeTable, seconds: number, alerts: Record<string, number>): Summary {
  const lines = { total: 0 } as Record<Outcome, number> & { total: number };
  OUTCOMES.forEach((o, i) => {
    lines[o] = counts.outcomes[i] ?? 0;
    lines.total += lines[o];
  });
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const codes: CodeSummary[] = [];
  for (const s of counts.series) {
    const n = s ? counts.count(s.slot) : 0;
    if (!s || n === 0) continue;
    categories[s.category] += n;
    codes.push({ code: s.code, category: s.category, count: n, ...errcodeDescriptions(s, table) });
  }
  codes.sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const responses = codes.reduce((a, c) => a + c.count, 0);
  return { lines, blank_lines: counts.blank, bytes: counts.bytes, seconds, responses, categories, codes, places: places(counts), alerts };
}

/** Per dimension, its values' responses summed over codes: the most frequent, and those with the most server and platform errors. */
export function places(counts: Counts, limit = TOP_PLACES): PlaceDimension[] {
  return counts.dimensions.map((d) => {
    const byLabel = new Map<number, { count: number; server: number; platform: number }>();
    for (const p of d.pairs) {
      if (!p) continue;
      const n = d.count(p.pair);
      if (n === 0) continue;
      let e = byLabel.get(p.label);
      if (!e) byLabel.set(p.label, (e = { count: 0, server: 0, platform: 0 }));
      e.count += n;
      const family = familyOf(p.category);
      if (family) e[family] += n;
    }
    const all = [...byLabel].map(([label, e]): Place => ({ value: labelValue(d, label), ...e }));
    const byValue = (a: Place, b: Place): number => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
    const top = [...all].sort((a, b) => b.count - a.count || byValue(a, b)).slice(0, limit);
    const errors = all
      .filter((p) => p.server + p.platform > 0)
      .sort((a, b) => b.server + b.platform - (a.server + a.platform) || byValue(a, b))
      .slice(0, limit);
    return { name: d.name, top, errors };
  });
}

function labelValue(d: DimensionCounts, label: number): string {
  return d.values[label] ?? (label === LABEL_NONE ? 'none' : label === LABEL_OTHER ? 'other' : `#${label}`);
}


