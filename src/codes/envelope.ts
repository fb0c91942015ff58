// The platform's response envelope, as its APIs answer: {"code":200,"msg":"...","data":TABLE}. TABLE is what
// a --codes file may hold, or a list under data.list, data.records or data.items (SPEC "The code table from
// the platform's API"). An answer whose code is not 200 is a failed load that names the code and its
// description from the table in force, the way the platform's own table describes it.
import { CodeTableError } from './errors.js';
import { UNLISTED_DESCRIPTION } from './table.js';

/** Where a list of codes may sit inside `data`. */
const LIST_KEYS = ['list', 'records', 'items'] as const;

/** Description of a code in the table in force, undefined for a code the table does not list. */
export type Describe = (code: number) => string | undefined;

export interface Unwrapped {
  /** The table inside the envelope: an array of items or an object {"<code>": "<description>"}. */
  readonly table: unknown;
  /** Where it was found, for messages: `data`, `data.list`, ... */
  readonly path: string;
}

/** A JSON object is an envelope when it has a `code` key: a table object's keys are all codes. */
export function isEnvelope(doc: object): doc is Record<string, unknown> {
  return !Array.isArray(doc) && Object.hasOwn(doc, 'code');
}

/** Text the API wrote, fit for a one-line message: no control characters, at most 200 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

function answerCode(raw: unknown, source: string): number {
  const n = typeof raw === 'string' && /^[0-9]{1,12}$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new CodeTableError(`${source}: the answer's code ${JSON.stringify(raw)} is not a business code`);
  }
  return n;
}

/**
 * `4003 传入的AppKey无效` for an envelope whose code is not 200 (the description from the table in force, or
 * the answer's own msg for a code the table does not list); undefined for a 200.
 */
export function failedAnswer(doc: Record<string, unknown>, source: string, describe: Describe): string | undefined {
  const code = answerCode(doc['code'], source);
  if (code === 200) return undefined;
  const msg = [doc['msg'], doc['message']].find((m): m is string => typeof m === 'string' && m.trim() !== '');
  return `${code} ${describe(code) ?? (msg !== undefined ? oneLine(msg) : UNLISTED_DESCRIPTION)}`;
}

/** The table inside an envelope whose code is 200; a CodeTableError naming the code otherwise. */
export function unwrapEnvelope(doc: Record<string, unknown>, source: string, describe: Describe): Unwrapped {
  const failed = failedAnswer(doc, source, describe);
  if (failed !== undefined) throw new CodeTableError(`${source}: the API answered code ${failed}`);
  const data = doc['data'];
  if (data === undefined || data === null) throw new CodeTableError(`${source}: the API answered code 200 without data`);
  if (Array.isArray(data)) return { table: data, path: 'data' };
  if (typeof data !== 'object') throw new CodeTableError(`${source}: data is neither a list nor an object of codes`);
  const page = data as Record<string, unknown>;
  for (const key of LIST_KEYS) {
    if (!Object.hasOwn(page, key)) continue;
    const list = page[key];
    if (!Array.isArray(list)) throw new CodeTableError(`${source}: data.${key} is not a list`);
    // A paged answer (MyBatis-style {records, total, size, current}) would load part of the table and look fine.
    const total = page['total'];
    const count = typeof total === 'string' && /^[0-9]+$/.test(total) ? Number(total) : total;
    if (typeof count === 'number' && count > list.length) {
      throw new CodeTableError(
        `${source}: data.${key} holds ${list.length} of ${count} codes (one page of a paged answer); ask the API for all of them in one page`,
      );
    }
    return { table: list, path: `data.${key}` };
  }
  return { table: page, path: 'data' };
}
