// The end-of-run summary: a table on stderr and, with --summary-json, the same numbers as JSON.
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

/** 1234567.8 -> "1,234,568". Not toLocaleString: Intl's first use costs about 10 ms at the end of every run. */
export const num = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
export const pct = (n: number, of: number): string => (of > 0 ? `${((100 * n) / of).toFixed(1)}%` : '-');

/** A terminal the report is cut to: its width, and width.ts's fitWidth (loaded only when there is one). */
export interface Terminal {
  columns: number;
  fitWidth: (text: string, width: number) => string;
}

/**
 * The end-of-run report. On a terminal, descriptions are cut to fit its width (a cut line wraps into the
 * next row); a file or a pipe gets them whole.
 */
export function formatSummary(s: Summary, lang: 'zh' | 'en', terminal?: Terminal, topCodes = 15): string {
  const out: string[] = [];
  const rate = s.seconds > 0 ? ` (${num(Math.round(s.lines.total / s.seconds))} lines/s)` : '';
  out.push(`errcode-stream: ${num(s.lines.total)} lines, ${num(s.bytes)} bytes in ${s.seconds.toFixed(2)} s${rate}`);
  out.push(`  lines: ${OUTCOMES.map((o) => `${o} ${num(s.lines[o])}`).join(', ')}; blank ${num(s.blank_lines)}`);
  out.push('');
  out.push(`  ${'category'.padEnd(16)}${'responses'.padStart(12)}${'share'.padStart(9)}`);
  for (const c of CATEGORIES) {
    if (s.categories[c] === 0) continue;
    out.push(`  ${c.padEnd(16)}${num(s.categories[c]).padStart(12)}${pct(s.categories[c], s.responses).padStart(9)}`);
  }
  out.push(`  ${'total'.padEnd(16)}${num(s.responses).padStart(12)}`);
  if (s.codes.length > 0) {
    out.push('');
    out.push(`  ${'code'.padEnd(10)}${'category'.padEnd(16)}${'count'.padStart(12)}  description`);
    for (const c of s.codes.slice(0, topCodes)) {
      const d = lang === 'en' ? c.description_en : c.description;
      const left = `  ${c.code.padEnd(10)}${c.category.padEnd(16)}${num(c.count).padStart(12)}  `;
      out.push(left + (terminal ? terminal.fitWidth(d, terminal.columns - 1 - left.length) : d));
    }
    if (s.codes.length > topCodes) out.push(`  ... ${s.codes.length - topCodes} more codes (--summary-json has them all)`);
  }
  const fired = Object.entries(s.alerts).filter(([, n]) => n > 0);
  if (fired.length > 0) out.push('', `  spike alerts fired: ${fired.map(([f, n]) => `${f} ${n}`).join(', ')}`);
  return out.join('\n') + '\n';
}
