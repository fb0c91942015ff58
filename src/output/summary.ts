// The end-of-run summary: a table on stderr and, with --summary-json, the same numbers as JSON. The numbers
// themselves (summarize) are shared by every face that reports totals, so they live in aggregate/summary.ts.
import { CATEGORIES } from '../codes/category.js';
import { OUTCOMES } from '../extract/result.js';
import type { Summary } from '../aggregate/summary.js';

export { summarize, type CodeSummary, type Summary } from '../aggregate/summary.js';

// Routes, apps and descriptions come from logs and loaded tables: a control character in one must not reach
// a terminal as a command (cursor moves, title changes, a cleared screen).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
export const clean = (text: string): string => text.replace(CONTROL, ' ');

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
      const d = clean(lang === 'en' ? c.description_en : c.description);
      const left = `  ${clean(c.code).padEnd(10)}${c.category.padEnd(16)}${num(c.count).padStart(12)}  `;
      out.push(left + (terminal ? terminal.fitWidth(d, terminal.columns - 1 - left.length) : d));
    }
    if (s.codes.length > topCodes) out.push(`  ... ${s.codes.length - topCodes} more codes (--summary-json has them all)`);
  }
  // Where the responses and the errors come from: the top values of each dimension.
  const fit = (line: string): string => (terminal ? terminal.fitWidth(line, terminal.columns - 1) : line);
  const list = (places: readonly { value: string; count: number }[]): string => places.map((p) => `${clean(p.value)} ${num(p.count)}`).join(', ');
  const shown = s.places.filter((p) => p.top.length > 0);
  if (shown.length > 0) {
    out.push('');
    const width = Math.max(...shown.map((p) => p.name.length));
    for (const p of shown) {
      out.push(fit(`  ${p.name.padEnd(width)}  top: ${list(p.top.slice(0, 5))}`));
      if (p.errors.length > 0) out.push(fit(`  ${''.padEnd(width)}  server/platform errors: ${list(p.errors.slice(0, 5).map((e) => ({ value: e.value, count: e.server + e.platform })))}`));
    }
  }
  const fired = Object.entries(s.alerts).filter(([, n]) => n > 0);
  if (fired.length > 0) out.push('', `  spike alerts fired: ${fired.map(([f, n]) => `${f} ${n}`).join(', ')}`);
  return out.join('\n') + '\n';
}
