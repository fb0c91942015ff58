// Loaders for code tables published by the platform: a JSON array, a JSON object, or Markdown like
// fixtures/error-code-table.md. They throw CodeTableError with a one-line reason; the caller decides what a
// failure means (exit 2 at start-up, keep the old table on a reload).
import { readFile } from 'node:fs/promises';
import { BUILTIN_CODES, type CodeEntry } from './builtin.js';
import { categoryByShape, CATEGORIES, isCategory, type Category } from './category.js';

export class CodeTableError extends Error {
  override name = 'CodeTableError';
}

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

/** A JSON array of {code, description, category?, description_en?} or an object {"<code>": "<description>"}. */
export function parseCodesJson(text: string, source: string): CodeEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CodeTableError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (Array.isArray(doc)) {
    return doc.map((item, i) => {
      const where = `${source}: item ${i}`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new CodeTableError(`${where} is not an object`);
      }
      const o = item as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        if (!['code', 'description', 'category', 'description_en'].includes(key)) {
          throw new CodeTableError(`${where}: unknown key ${JSON.stringify(key)}`);
        }
      }
      return makeEntry(parseCode(o.code, where), o.description, where, o.category, o.description_en);
    });
  }
  if (doc !== null && typeof doc === 'object') {
    return Object.entries(doc as Record<string, unknown>).map(([key, description]) =>
      makeEntry(parseCode(key, source), description, source),
    );
  }
  throw new CodeTableError(`${source}: expected a JSON array or object of codes`);
}

/** Markdown laid out like the platform's table: section headings decide business/platform categories. */
export function parseCodesMarkdown(text: string, source: string): CodeEntry[] {
  const entries: CodeEntry[] = [];
  let section = '';
  for (const line of text.split(/\r?\n/)) {
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
  }
  if (entries.length === 0) throw new CodeTableError(`${source}: no code rows found in the Markdown table`);
  return entries;
}

/** Parses a table by its content: JSON when it starts like JSON, Markdown otherwise. */
export function parseCodes(text: string, source: string): CodeEntry[] {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  return body.startsWith('[') || body.startsWith('{') ? parseCodesJson(body, source) : parseCodesMarkdown(body, source);
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

export async function fetchCodes(url: string, timeoutMs = 10_000): Promise<CodeEntry[]> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CodeTableError(`--codes-url ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok) throw new CodeTableError(`--codes-url ${url}: HTTP ${res.status}`);
  return parseCodes(await res.text(), `--codes-url ${url}`);
}
