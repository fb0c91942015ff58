// The live screen of `--output live`: once a second, lines/s, responses by category, the top codes with their
// descriptions, the firing spike alerts and the input's health, drawn to fit the terminal.
//
// On a terminal the screen uses the alternate screen with the cursor hidden, redraws at once on a resize and
// restores the terminal on stop() and on any exit. When the output is not a terminal (`--output live >
// file`, a pipe, a service's journal) there is nothing to redraw: the view falls back to one plain logfmt
// status line every 5 seconds and a last one on stop(), without escape sequences, so a log of it stays
// readable and parseable.
//
// Decoration is ASCII only. Box drawing, middle dots, arrows and the ellipsis are East Asian "ambiguous"
// width: terminals set up for Chinese, the audience of `--lang zh`, draw them two columns wide and the
// layout would break. Widths are measured in terminal columns (CJK characters take two).
import type { AlertEvent, TopLabel } from '../alerts/events.js';
import { CATEGORIES, FAMILIES, familyOf, type Category, type Family } from '../codes/category.js';
import type { CodeTable } from '../codes/table.js';
import type { Counts } from '../engine/engine.js';
import { OUTCOMES } from '../extract/result.js';
import { errcodeDescriptions } from '../codes/describe.js';
import { clean, num, pct, summarize, type Summary } from './summary.js';
import { displayWidth, fitWidth, padWidth } from './width.js';

export interface LiveSource {
  counts(): Counts;
  table(): CodeTable;
  activeAlerts(): readonly AlertEvent[];
  /** Per dimension, its values with the most of the family's responses in the spike window. */
  topLabels?(family: Family): Record<string, TopLabel[]>;
  /** The spike window, in seconds. */
  readonly windowSec?: number;
}

/** A dimension's top values among the server and platform errors of the window, both families summed. */
export interface WherePlace {
  readonly name: string;
  readonly values: readonly TopLabel[];
}

export type Lang = 'zh' | 'en';

/** One refresh: the counters and what changed since the previous refresh. */
export interface LiveFrame {
  readonly summary: Summary;
  /** NaN until two refreshes have been seen. */
  readonly linesPerSec: number;
  readonly bytesPerSec: number;
  /** Wall seconds since the last line arrived; NaN before the first. */
  readonly lastLineAgoSec: number;
  readonly alerts: readonly AlertEvent[];
  readonly now: Date;
  /** The "where" panel: empty without dimensions. */
  readonly where?: readonly WherePlace[];
  readonly windowSec?: number;
}

export interface ScreenOptions {
  /** Terminal columns and rows. */
  readonly width: number;
  readonly height: number;
  readonly lang: Lang;
  /** Where the alerts' top codes get their description in `lang` (events carry the Chinese one). */
  readonly table: CodeTable;
  /** SGR colours and reverse video for the alerts. */
  readonly color: boolean;
}

export const REFRESH_MS = 1000;
export const PLAIN_EVERY_MS = 5000;



// ---- numbers ----

function rate(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n < 100 ? n.toFixed(1) : num(n);
}

function bytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function ago(sec: number): string {
  if (!Number.isFinite(sec)) return 'none yet';
  if (sec < 60) return `${Math.max(0, Math.floor(sec))}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  return `${Math.floor(sec / 3600)}h ago`;
}

/** `2026-11-25T00:05:03.000Z` -> `2026-11-25 00:05:03Z`: event time, to the second. */
const eventTime = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

// ---- the screen ----

const SGR = {
  title: '1',
  header: '4',
  alert: '1;97;41',
  alertDetail: '1;31',
  calm: '32',
  quiet: '2',
} as const;

/** One screen line before it is fitted and painted: its text and the SGR parameters of its colour. */
interface Row {
  readonly text: string;
  readonly sgr: string;
}

/** Lays items out on as many lines as needed, each line at most `width` columns. */
function flow(lead: string, items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = lead;
  for (const item of items) {
    const next = line === lead ? line + item : `${line}  ${item}`;
    if (line !== lead && displayWidth(next) > width) {
      lines.push(line);
      line = ' '.repeat(displayWidth(lead)) + item;
    } else line = next;
  }
  lines.push(line);
  return lines;
}

// Events carry one description, in Chinese; the table gives the one in the chosen language.
function describe(code: string, table: CodeTable, lang: Lang): string {
  const d = errcodeDescriptions({ code }, table);
  return lang === 'en' ? d.description_en : d.description;
}

/** The top codes of an alert on one line, their descriptions sharing what the codes leave of it. */
function topCodesLine(lead: string, codes: AlertEvent['top_codes'], o: ScreenOptions): string {
  const room = o.width - displayWidth(lead);
  // As many codes as keep each description at least 8 columns wide (the first code always shows).
  for (let n = codes.length; n >= 1; n--) {
    const items = codes.slice(0, n).map((c) => `${c.code} (${num(c.count)}) `);
    const fixed = items.reduce((a, t) => a + t.length, 0) + 2 * (n - 1);
    const each = Math.min(24, Math.floor((room - fixed) / n));
    if (each < 8 && n > 1) continue;
    return lead + items.map((t, i) => t + fitWidth(clean(describe(codes[i]!.code, o.table, o.lang)), Math.max(0, each))).join(', ');
  }
  return lead + '-';
}

/**
 * Three lines per firing alert: the family and since when (highlighted), how hard it was when it fired
 * (events are not updated while an incident lasts), and the codes behind it.
 */
function alertLines(alerts: readonly AlertEvent[], o: ScreenOptions): Row[] {
  const firing = alerts
    .filter((a) => a.status === 'firing')
    .sort((a, b) => FAMILIES.indexOf(a.family) - FAMILIES.indexOf(b.family));
  if (firing.length === 0) return [{ text: ' alerts: no spike alert firing', sgr: SGR.calm }];
  const out: Row[] = [];
  for (const a of firing) {
    const pctOf = (x: number): string => `${(100 * x).toFixed(1)}%`;
    out.push({ text: padWidth(` !! SPIKE ${a.family}  firing since ${eventTime(a.startsAt)}`, o.width), sgr: SGR.alert });
    out.push({
      text: `    on firing: ${pctOf(a.ratio)} of responses (baseline ${pctOf(a.baseline_ratio)}), ${num(a.count)} of ${num(a.total)} in ${a.window_seconds}s`,
      sgr: SGR.alertDetail,
    });
    out.push({ text: topCodesLine('    top: ', a.top_codes, o), sgr: SGR.alertDetail });
  }
  return out;
}

// " name(16) count(10) share(6)": room for `business_quota` and for `platform_auth !!`, the firing mark.
const CATEGORY_COLUMN = 35;

function categoryLines(s: Summary, o: ScreenOptions, hot: ReadonlySet<Category>): Row[] {
  const row = (name: string, count: string, share: string): string => ` ${padWidth(name, 16)} ${count.padStart(10)} ${share.padStart(6)}`;
  const cell = (c: Category): string => row(hot.has(c) ? `${c} !!` : c, num(s.categories[c]), pct(s.categories[c], s.responses));
  const header = row('category', 'responses', 'share');
  const twoColumns = o.width >= 2 * CATEGORY_COLUMN + 3;
  const out: Row[] = [];
  if (twoColumns) {
    const half = Math.ceil(CATEGORIES.length / 2);
    out.push({ text: `${padWidth(header, CATEGORY_COLUMN + 3)}${header}`, sgr: SGR.header });
    for (let i = 0; i < half; i++) {
      const right = CATEGORIES[i + half];
      out.push({ text: `${padWidth(cell(CATEGORIES[i]!), CATEGORY_COLUMN + 3)}${right ? cell(right) : ''}`, sgr: '' });
    }
  } else {
    // One column is tall: the categories without responses make room for the codes.
    out.push({ text: header, sgr: SGR.header });
    for (const c of CATEGORIES) if (s.categories[c] > 0) out.push({ text: cell(c), sgr: '' });
  }
  return out;
}

function codeLines(s: Summary, o: ScreenOptions, rows: number): Row[] {
  const shown = s.codes.slice(0, rows);
  const codeW = Math.max(4, ...shown.map((c) => c.code.length));
  const countW = Math.max(5, ...shown.map((c) => num(c.count).length));
  // Below 60 columns the category column gives its room to the description.
  const withCategory = o.width >= 60;
  const row = (code: string, category: string, count: string, share: string): string =>
    ` ${code.padEnd(codeW)} ${withCategory ? `${category.padEnd(14)} ` : ''}${count.padStart(countW)} ${share.padStart(6)}  `;
  const more = s.codes.length > shown.length ? ` (top ${shown.length} of ${s.codes.length})` : '';
  const out: Row[] = [{ text: row('code', 'category', 'count', 'share') + `description${more}`, sgr: SGR.header }];
  for (const c of shown) {
    const left = row(c.code, c.category, num(c.count), pct(c.count, s.responses));
    const d = clean(o.lang === 'en' ? c.description_en : c.description);
    out.push({ text: left + fitWidth(d, o.width - displayWidth(left)), sgr: '' });
  }
  return out;
}

/** Where the errors of the window come from: a line per dimension, its top values with their counts. */
function whereLines(f: LiveFrame, o: ScreenOptions): Row[] {
  const where = f.where ?? [];
  if (where.length === 0) return [];
  const window = `${f.windowSec ?? 60}s`;
  if (where.every((p) => p.values.length === 0)) return [{ text: ` where: no server or platform errors in the last ${window}`, sgr: SGR.quiet }];
  const nameW = Math.max(...where.map((p) => displayWidth(p.name)));
  const out: Row[] = [{ text: ` where (server and platform errors, last ${window})`, sgr: SGR.header }];
  for (const p of where) {
    const items = p.values.map((v) => `${clean(v.value)} ${num(v.count)}`);
    out.push({ text: flow(`   ${padWidth(p.name, nameW)}  `, items.length > 0 ? items : ['-'], o.width)[0]!, sgr: '' });
  }
  return out;
}

function healthLines(f: LiveFrame, o: ScreenOptions): string[] {
  const l = f.summary.lines;
  const first = flow(' input  ', [
    `${bytes(f.bytesPerSec)}/s`,
    `${bytes(f.summary.bytes)} read`,
    `last line ${ago(f.lastLineAgoSec)}`,
    `blank lines ${num(f.summary.blank_lines)}`,
  ], o.width);
  const outcomes = OUTCOMES.map((k) => (k === 'malformed' ? `malformed ${num(l[k])} (${pct(l[k], l.total)})` : `${k} ${num(l[k])}`));
  return [...first, ...flow(' lines  ', outcomes, o.width)];
}

/**
 * The screen as lines, each at most `width` columns and at most `height` of them. When rows are short the
 * top codes give way first, then the categories; the title, the alerts and the input's health stay.
 */
export function renderScreen(f: LiveFrame, o: ScreenOptions): string[] {
  const s = f.summary;
  const clock = f.now.toISOString().slice(11, 19);
  const title = flow(' errcode-stream  ', [`${rate(f.linesPerSec)} lines/s`, `${num(s.lines.total)} lines`, `${num(s.responses)} responses`, clock], o.width).slice(0, 1);
  const firingFamilies = new Set(f.alerts.filter((a) => a.status === 'firing').map((a) => a.family));
  const hot = new Set(CATEGORIES.filter((c) => {
    const fam = familyOf(c);
    return fam !== undefined && firingFamilies.has(fam);
  }));

  const top = [...title.map((text) => ({ text, sgr: SGR.title })), ...alertLines(f.alerts, o)];
  const where = whereLines(f, o);
  const categories = [...(where.length > 0 ? [{ text: '', sgr: '' }, ...where] : []), { text: '', sgr: '' }, ...categoryLines(s, o, hot)];
  const health = healthLines(f, o).map((text) => ({ text, sgr: SGR.quiet }));
  const bottom = [{ text: '', sgr: '' }, ...health];

  let body = [...top, ...categories];
  const codeRows = o.height - body.length - bottom.length - 2; // a blank line and the header
  if (codeRows >= 1 && s.codes.length > 0) body = [...body, { text: '', sgr: '' }, ...codeLines(s, o, codeRows)];
  let lines = [...body, ...bottom];
  if (lines.length > o.height) {
    // Too few rows even without the codes: keep the title and alerts, then health, then what fits between.
    const keepTop = top.slice(0, o.height);
    let rest = o.height - keepTop.length;
    const keepHealth = health.slice(0, rest);
    rest -= keepHealth.length;
    // A header without a row says nothing: the categories show with at least one row, or not at all.
    const middle = rest >= 3 ? categories.slice(0, rest) : [];
    rest -= middle.length;
    lines = [...keepTop, ...middle, ...(rest > 0 ? [{ text: '', sgr: '' }] : []), ...keepHealth];
  }
  return lines.map(({ text, sgr }) => {
    const fitted = fitWidth(text, o.width);
    return o.color && sgr && fitted !== '' ? `\x1b[${sgr}m${fitted}\x1b[0m` : fitted;
  });
}

/** The fallback when the output is not a terminal: one logfmt line, no escape sequences. */
export function formatStatusLine(f: LiveFrame): string {
  const s = f.summary;
  const fields: [string, string][] = [
    ['time', f.now.toISOString()],
    ['lines', String(s.lines.total)],
    ['lines_per_sec', Number.isFinite(f.linesPerSec) ? f.linesPerSec.toFixed(1) : 'NaN'],
    ['bytes_per_sec', Number.isFinite(f.bytesPerSec) ? String(Math.round(f.bytesPerSec)) : 'NaN'],
    ['responses', String(s.responses)],
    ...CATEGORIES.filter((c) => s.categories[c] > 0).map((c): [string, string] => [c, String(s.categories[c])]),
    ...OUTCOMES.filter((k) => k !== 'ok').map((k): [string, string] => [k, String(s.lines[k])]),
    ['top', s.codes.slice(0, 5).map((c) => `${c.code}:${c.count}`).join(',') || '-'],
    ['alerts', f.alerts.filter((a) => a.status === 'firing').map((a) => `${a.family}:${a.ratio.toFixed(3)}`).join(',') || 'none'],
  ];
  return fields.map(([k, v]) => `${k}=${v}`).join(' ') + '\n';
}

// ---- the view ----

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[2J';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';

export interface LiveViewOptions {
  /** Period of the status line when the output is not a terminal. */
  readonly plainEveryMs?: number;
}

export class LiveView {
  private readonly tty: boolean;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private last: { lines: number; bytes: number; atMs: number } | undefined;
  private frame: LiveFrame | undefined;
  private readonly onResize = (): void => this.draw(true);
  // 'exit' listeners run synchronously; a terminal write is synchronous too, so the terminal is restored
  // even when the process ends without stop() (an engine error, a second Ctrl-C).
  private readonly onExit = (): void => this.restore();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly src: LiveSource,
    private readonly lang: Lang,
    private readonly options: LiveViewOptions = {},
  ) {
    this.tty = Boolean(out.isTTY);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.sample();
    if (this.tty) {
      this.out.write(ENTER);
      this.out.on('resize', this.onResize);
      process.on('exit', this.onExit);
      this.draw(false);
      this.timer = setInterval(() => {
        this.sample();
        this.draw(false);
      }, REFRESH_MS);
    } else {
      this.timer = setInterval(() => this.writeStatus(), this.options.plainEveryMs ?? PLAIN_EVERY_MS);
    }
    // The view only watches: it must not keep a finished run alive.
    this.timer.unref();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    if (this.tty) this.restore();
    else this.writeStatus();
  }

  private restore(): void {
    this.out.off('resize', this.onResize);
    process.off('exit', this.onExit);
    if (!this.out.destroyed && this.out.writable) this.out.write(LEAVE);
  }

  /** Reads the counters and measures the rates since the previous sample. */
  private sample(): LiveFrame {
    const counts = this.src.counts();
    const nowMs = Date.now();
    const summary = summarize(counts, this.src.table(), 0, {});
    const prev = this.last;
    const sec = prev ? (nowMs - prev.atMs) / 1000 : 0;
    const linesPerSec = prev && sec > 0 ? (summary.lines.total - prev.lines) / sec : NaN;
    const bytesPerSec = prev && sec > 0 ? (summary.bytes - prev.bytes) / sec : NaN;
    this.last = { lines: summary.lines.total, bytes: summary.bytes, atMs: nowMs };
    this.frame = {
      summary,
      linesPerSec,
      bytesPerSec,
      lastLineAgoSec: counts.lastLineMs > 0 ? (nowMs - counts.lastLineMs) / 1000 : NaN,
      alerts: this.src.activeAlerts(),
      now: new Date(nowMs),
      where: this.where(),
      windowSec: this.src.windowSec,
    };
    return this.frame;
  }

  /** Both families' top values per dimension, summed: the errors an operator looks into. */
  private where(): WherePlace[] {
    const top = this.src.topLabels;
    if (!top) return [];
    const byFamily = FAMILIES.map((f) => top.call(this.src, f));
    return Object.keys(byFamily[0] ?? {}).map((name) => {
      const sum = new Map<string, number>();
      for (const t of byFamily) for (const v of t[name] ?? []) sum.set(v.value, (sum.get(v.value) ?? 0) + v.count);
      const values = [...sum].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
      return { name, values: values.slice(0, 5) };
    });
  }

  private draw(clear: boolean): void {
    if (!this.running || !this.frame) return;
    const width = this.out.columns || 80;
    const height = this.out.rows || 24;
    const color = !process.env['NO_COLOR'];
    const lines = renderScreen(this.frame, { width, height, lang: this.lang, table: this.src.table(), color });
    // Every row is placed and erased on its own: no newline can scroll the screen, and erasing before
    // writing keeps a line that fills the last column intact.
    let text = clear ? '\x1b[2J' : '';
    lines.forEach((line, i) => (text += `\x1b[${i + 1};1H\x1b[2K${line}`));
    // Below the frame, erase what a taller previous frame left; a full frame ends at the last row, where
    // erasing would take its own last line.
    if (lines.length < height) text += `\x1b[${lines.length + 1};1H\x1b[J`;
    this.out.write(text);
  }

  private writeStatus(): void {
    if (this.out.destroyed || !this.out.writable) return;
    this.out.write(formatStatusLine(this.sample()));
  }
}
