// Route templating (SPEC "Breakdowns"): a route value becomes the path it names, with the parts that vary per
// request taken out, so `/openapi/v1/orders/12345?x=1` and `https://gw/openapi/v1/orders/67890` count as one
// `/openapi/v1/orders/:id`. The WebAssembly scanner keys its cache of resolved values on the same shape
// (src/wasm/scan.ts routeKey): the two must take the same bytes for scheme, host, query and identifiers.

/** A `--route-pattern`: literal segments, `:name` for any one segment, `*` (last) for any rest. */
export interface RoutePattern {
  readonly text: string;
  readonly segments: readonly string[];
}

export class RoutePatternError extends Error {
  override name = 'RoutePatternError';
}

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a --route-pattern; a malformed one throws RoutePatternError with the reason. */
export function parseRoutePattern(text: string): RoutePattern {
  const fail = (why: string): never => {
    throw new RoutePatternError(`--route-pattern ${JSON.stringify(text)}: ${why}`);
  };
  if (!text.startsWith('/')) fail('expected a path starting with /, such as /openapi/v1/orders/:id');
  if (/[?#\s]/.test(text)) fail('a pattern is a path: no query, fragment or spaces');
  if (Buffer.byteLength(text) > 128) fail('longer than 128 bytes');
  if (text === '/') return { text, segments: [''] };
  const segments = text.slice(1).split('/');
  segments.forEach((s, i) => {
    if (s === '') fail('empty segment (//, or a / at the end)');
    if (s.includes('*') && (s !== '*' || i !== segments.length - 1)) fail('* stands alone as the last segment');
    if (s.startsWith(':') && !PARAM.test(s)) fail(`${JSON.stringify(s)} is not a :name (letters, digits, _)`);
  });
  return { text, segments };
}

/**
 * Whether a path segment looks like an identifier: all digits, a UUID, hex of 8 or more, or a mix of letters
 * and digits of 16 or more (ASCII). Character codes, not regular expressions: a route that the scanner's cache
 * does not know (a first sighting, a flood of new paths) is templated here, and four regular expressions a
 * segment made it 1.6 us a route.
 */
export function isIdentifier(segment: string, from = 0, to = segment.length): boolean {
  const len = to - from;
  if (len === 0) return false;
  let digits = 0;
  let hex = 0;
  let alnum = 0;
  for (let i = from; i < to; i++) {
    const c = segment.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      hex++;
      alnum++;
    } else {
      const l = c | 0x20;
      if (l >= 0x61 && l <= 0x7a) {
        alnum++;
        if (l <= 0x66) hex++;
      }
    }
  }
  if (digits === len || (hex === len && len >= 8) || (alnum === len && len >= 16 && digits > 0)) return true;
  if (len !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = segment.charCodeAt(from + i);
    const dash = i === 8 || i === 13 || i === 18 || i === 23;
    const l = c | 0x20;
    if (dash ? c !== 0x2d : !((c >= 0x30 && c <= 0x39) || (l >= 0x61 && l <= 0x66))) return false;
  }
  return true;
}

/** Whether a literal segment of a pattern looks like an identifier (then the scanner's cache cannot key on `:id`). */
export function hasIdentifierLiteral(patterns: readonly RoutePattern[]): boolean {
  return patterns.some((p) => p.segments.some((s) => s !== '*' && !s.startsWith(':') && isIdentifier(s)));
}

// Where the path of a route value starts: after `scheme://host` or `//host` (an optional scheme of a letter,
// then letters, digits, + . and -, a colon; then two slashes and everything up to the next / ? or #).
function pathStart(v: string): number {
  let j = 0;
  const first = v.charCodeAt(0) | 0x20;
  if (first >= 0x61 && first <= 0x7a) {
    j = 1;
    for (; j < v.length; j++) {
      const c = v.charCodeAt(j);
      const l = c | 0x20;
      if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2e || c === 0x2d)) break;
    }
    j = v.charCodeAt(j) === 0x3a ? j + 1 : 0;
  }
  if (v.charCodeAt(j) !== 0x2f || v.charCodeAt(j + 1) !== 0x2f) return 0;
  let i = j + 2;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
  }
  return i;
}

/** The path a route value names: scheme and host, query string and fragment dropped; `/` when nothing is left. */
export function routePath(value: string): string {
  const start = pathStart(value);
  let end = start;
  while (end < value.length) {
    const c = value.charCodeAt(end);
    if (c === 0x3f || c === 0x23) break;
    end++;
  }
  return end === start ? '/' : value.slice(start, end);
}

function matches(p: RoutePattern, segments: readonly string[]): boolean {
  for (let i = 0; i < p.segments.length; i++) {
    const want = p.segments[i]!;
    if (want === '*') return true;
    if (i >= segments.length) return false;
    const got = segments[i]!;
    if (want.startsWith(':') ? got === '' : got !== want) return false;
  }
  return segments.length === p.segments.length;
}

/** The route label of a value: the first pattern that matches its path, else the path with identifiers as `:id`. */
export function templateRoute(value: string, patterns: readonly RoutePattern[]): string {
  const path = routePath(value);
  if (patterns.length > 0 && path.startsWith('/')) {
    const segments = path === '/' ? [''] : path.slice(1).split('/');
    for (const p of patterns) if (matches(p, segments)) return p.text;
  }
  // Identifier segments become :id; the rest of the path is copied in stretches.
  let out = '';
  let literal = 0;
  let from = 0;
  while (from <= path.length) {
    let to = path.indexOf('/', from);
    if (to < 0) to = path.length;
    if (isIdentifier(path, from, to)) {
      out += path.slice(literal, from) + ':id';
      literal = to;
    }
    from = to + 1;
  }
  return literal === 0 ? path : out + path.slice(literal);
}
