// The reference extractor: JSON.parse and plain property walks. It is the oracle the fast scanner is tested
// against, and the engine behind `--engine reference`.
import type { FieldPaths } from './paths.js';
import { INVALID_CODE, MALFORMED, MISSING_CODE, OK, type LineResult } from './result.js';
import { codeFromNumber, codeFromString, statusFromNumber, timeFromNumber, timeFromString } from './values.js';

const ABSENT = Symbol('absent');

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at an exact path of own properties of objects, or ABSENT. */
function lookup(root: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return ABSENT;
    node = node[key];
  }
  return node;
}

function firstPresent(root: Record<string, unknown>, paths: readonly (readonly string[])[]): unknown {
  for (const p of paths) {
    const v = lookup(root, p);
    if (v !== ABSENT) return v;
  }
  return ABSENT;
}

/** Extracts from one line's text (no line terminator, BOM removed). `close` is a string index. */
export function extractReference(line: string, paths: FieldPaths, out: LineResult): void {
  out.code = -1;
  out.status = 0;
  out.timeMs = NaN;
  out.close = -1;
  out.empty = false;
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    out.outcome = MALFORMED;
    return;
  }
  if (!isObject(doc)) {
    out.outcome = MALFORMED;
    return;
  }
  out.close = line.lastIndexOf('}');
  out.empty = Object.keys(doc).length === 0;

  const status = firstPresent(doc, paths.status);
  out.status = typeof status === 'number' ? statusFromNumber(status) : 0;
  if (out.status === 200) out.status = 0;

  if (out.status === 0) {
    const code = firstPresent(doc, paths.code);
    if (code === ABSENT) {
      out.outcome = MISSING_CODE;
      return;
    }
    out.code = typeof code === 'number' ? codeFromNumber(code) : typeof code === 'string' ? codeFromString(code) : -1;
    if (out.code < 0) {
      out.outcome = INVALID_CODE;
      return;
    }
  }
  out.outcome = OK;
  const time = firstPresent(doc, paths.time);
  out.timeMs = typeof time === 'number' ? timeFromNumber(time) : typeof time === 'string' ? timeFromString(time) : NaN;
  for (let d = 0; d < paths.dims.length; d++) {
    const v = firstPresent(doc, paths.dims[d]!);
    out.labels[d] = -1;
    out.dimText[d] = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
  }
}
