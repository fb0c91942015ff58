// The totals of a run as every face reports them (the terminal summary, --summary-json, the HTML report, the
// web page): lines by outcome, responses by category, every counted code with its descriptions. One function,
// so that the faces' totals cannot drift apart.
import { CATEGORIES, type Category } from '../codes/category.js';
import type { CodeTable } from '../codes/table.js';
import type { Counts } from '../engine/engine.js';
import { OUTCOMES, type Outcome } from '../extract/result.js';
import { errcodeDescriptions } from '../codes/describe.js';

export interface CodeSummary {
  readonly code: string;
  readonly category: Category;
  readonly count: number;
  readonly description: string;
  readonly description_en: string;
}

export interface Summary {
  readonly lines: Record<Outcome, number> & { total: number };
  readonly blank_lines: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly responses: number;
  readonly categories: Record<Category, number>;
  /** Every series with a count, largest first. */
  readonly codes: readonly CodeSummary[];
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
  return { lines, blank_lines: counts.blank, bytes: counts.bytes, seconds, responses, categories, codes, alerts };
}
