// Loaders for code tables published by the platform: a JSON array, a JSON object (either of them bare or
// in the platform's response envelope), or Markdown like fixtures/error-code-table.md. They throw
// CodeTableError with a one-line reason; the caller decides what a failure means (exit 2 at start-up, keep
// the old table on a reload).
import { readFile } from 'node:fs/promises';
import { BUILTIN_CODES, type CodeEntry } from './builtin.js';
import { categoryByShape, CATEGORIES, isCategory, type Category } from './category.js';
import { isEnvelope, unwrapEnvelope, type Describe } from './envelope.js';
import { CodeTableError } from './errors.js';

export { CodeTableError };

const MAX_CODE = 999_999_999_999;
const builtinByCode = new Map(BUILTIN_CODES.map((e) => [e.code, e]));

function parseCode(raw: unknown, where: string): number {
  const n = typeof raw === 'string' && /^[0-9]{1,12}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_CODE) {
    throw new CodeTableError(`${where}: code ${JSON.stringify(raw)} is not a non-negative integer of at most 12 digits`);
  }
  return n;
}

/** English text for a loaded entry: the built-in translation when the Chinese text is unchanged. */
function englishFor(code: number, description: string): string {
  const known = builtinByCode.get(code);
  return known && known.description === description ? known.description_en : description;
}

function makeEntry(code: number, description: unknown, where: string, category?: unknown, en?: unknown): CodeEntry {
  if (typeof description !== 'string' || description.trim() === '') {
    throw new CodeTableError(`${where}: code ${code} has no description`);
  }
  let cat: Category = categoryByShape(code);
  if (category !== undefined) {
    if (typeof category !== 'string' || !isCategory(category)) {
      throw new CodeTableError(
        `${where}: code ${code} has category ${JSON.stringify(category)}; expected one of ${CATEGORIES.join(', ')}`,
      );
    }
    cat = category;
  }
  if (en !== undefined && typeof en !== 'string') {
    throw new CodeTableError(`${where}: code ${code} has a description_en that is not a string`);
  }
  return Object.freeze({
    code,
    category: cat,
    description,
    description_en: en ?? englishFor(code, description),
  });
}

/** The keys an item may call its description by (SPEC: the platform's API says msg, message or desc). */
const DESCRIPTION_KEYS = ['description', 'desc', 'message', 'msg'] as const;
const ITEM_KEYS = new Set<string>(['code', 'category', 'description_en', ...DESCRIPTION_KEYS]);

export interface ParseOptions {
  /** Descriptions from the table in force, for an envelope whose code is not 200 (default: the built-in table). */
  readonly describe?: Describe;
}

const describeBuiltin: Describe = (code) => builtinByCode.get(code)?.description;

/**
 * One item of a list. A file's items are checked strictly (an unknown key is a typo); the items of an API's
 * envelope are the platform's own records, whose other fields (id, times, remarks) are not ours to judge.
 */
function itemEntry(item: unknown, where: string, strict: boolean): CodeEntry {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new CodeTableError(`${where} is not an object`);
  const o = item as Record<string, unknown>;
  if (strict) {
    for (const key of Object.keys(o)) if (!ITEM_KEYS.has(key)) throw new CodeTableError(`${where}: unknown key ${JSON.stringify(key)}`);
  }
  const code = parseCode(o['code'], where);
  const named = DESCRIPTION_KEYS.filter((k) => o[k] !== undefined);
  if (new Set(named.map((k) => o[k])).size > 1) {
    throw new CodeTableError(`${where}: code ${code} has two different descriptions (${named.join(', ')}); keep one`);
  }
  return makeEntry(code, named.length > 0 ? o[named[0]!] : undefined, where, o['category'], o['description_en']);
}

/** A code may appear once: two entries for one code leave it to chance which description is shown. */
function once(entries: readonly CodeEntry[], whereOf: (i: number) => string, source: string): CodeEntry[] {
  const first = new Map<number, number>();
  entries.forEach((e, i) => {
    const before = first.get(e.code);
    if (before !== undefined) throw new CodeTableError(`${source}: code ${e.code} is given twice (${whereOf(before)} and ${whereOf(i)})`);
    first.set(e.code, i);
  });
  return [...entries];
}

/** A table as JSON holds it: a list of items, or an object {"<code>": "<description>"}. */
function tableEntries(table: unknown, source: string, path: string, strict: boolean): CodeEntry[] {
  const at = path === '' ? source : `${source}: ${path}`;
  if (Array.isArray(table)) {
    const item = (i: number): string => (path === '' ? `item ${i}` : `${path} item ${i}`);
    const entries = table.map((it, i) => itemEntry(it, `${source}: ${item(i)}`, strict));
    return once(entries, item, source);
  }
  if (table !== null && typeof table === 'object') {
    const pairs = Object.entries(table as Record<string, unknown>);
    const entries = pairs.map(([key, description]) => makeEntry(parseCode(key, at), description, at));
    return once(entries, (i) => JSON.stringify(pairs[i]![0]), at);
  }
  throw new CodeTableError(`${source}: expected a JSON array or object of codes`);
}

/** Entries of a table already parsed from JSON (a list or an object), checked as a file's are. */
export function codeEntries(table: unknown, source: string): CodeEntry[] {
  return tableEntries(table, source, '', true);
}

/**
 * A JSON array of {code, description, category?, description_en?}, an object {"<code>": "<description>"},
 * or either inside the platform's envelope {"code":200,"msg":...,"data":...}.
 */
export function parseCodesJson(text: string, source: string, options: ParseOptions = {}): CodeEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CodeTableError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (doc !== null && typeof doc === 'object' && isEnvelope(doc)) {
    const { table, path } = unwrapEnvelope(doc, source, options.describe ?? describeBuiltin);
    return tableEntries(table, source, path, false);
  }
  return tableEntries(doc, source, '', true);
}

/** Markdown laid out like the platform's table: section headings decide business/platform categories. */
export function parseCodesMarkdown(text: string, source: string): CodeEntry[] {
  const entries: CodeEntry[] = [];
  const lineOf: number[] = [];
  let section = '';
  for (const [n, line] of text.split(/\r?\n/).entries()) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      section = heading[1]!.trim();
      continue;
    }
    if (!line.trim().startsWith('|') || /HTTP/i.test(section)) continue;
    const cells = line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
    if (cells.length < 2 || !/^[0-9]{1,12}$/.test(cells[0]!)) continue;
    const code = Number(cells[0]);
    const category: Category = section.includes('自定义业务状态码')
      ? 'business_quota'
      : section.includes('开放平台特定错误码')
        ? 'platform_auth'
        : categoryByShape(code);
    entries.push(makeEntry(code, cells[1], source, category));
    lineOf.push(n + 1);
  }
  if (entries.length === 0) throw new CodeTableError(`${source}: no code rows found in the Markdown table`);
  return once(entries, (i) => `line ${lineOf[i]}`, source);
}

/** Parses a table by its content: JSON when it starts like JSON, Markdown otherwise. */
export function parseCodes(text: string, source: string, options: ParseOptions = {}): CodeEntry[] {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  return body.startsWith('[') || body.startsWith('{') ? parseCodesJson(body, source, options) : parseCodesMarkdown(body, source);
}

export async function loadCodesFile(path: string): Promise<CodeEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CodeTableError(`--codes ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseCodes(text, `--codes ${path}`);
}
