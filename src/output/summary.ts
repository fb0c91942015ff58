// The end-of-run summary: a table on stderr and, with --summary-json, the same numbers as JSON. The numbers
// themselves (summarize) are shared by every face that reports totals, so they live in aggregate/summary.ts.
import { CATEGORIES } from '../codes/category.js';
import { OUTCOMES } from '../extract/result.js';
import type { Summary } from '../aggregate/summary.js';

export { summarize, type CodeSummary, type Summary } from '../aggregate/summary.js';

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
