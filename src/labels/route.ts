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
 * and digits of 16 or more (ASCII).
 */
export function isIdentifier(segment: string): boolean {
  return (
    /^[0-9]+$/.test(segment) ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment) ||
    /^[0-9a-f]{8,}$/i.test(segment) ||
    (segment.length >= 16 && /^[A-Za-z0-9]+$/.test(segment) && /[0-9]/.test(segment) && /[A-Za-z]/.test(segment))
  );
}

/** Whether a literal segment of a pattern looks like an identifier (then the scanner's cache cannot key on `:id`). */
export function hasIdentifierLiteral(patterns: readonly RoutePattern[]): boolean {
  return patterns.some((p) => p.segments.some((s) => s !== '*' && !s.startsWith(':') && isIdentifier(s)));
}

const SCHEME_AND_HOST = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/[^/?#]*/;

/** The path a route value names: scheme and host, query string and fragment dropped; `/` when nothing is left. */
export function routePath(value: string): string {
  const m = SCHEME_AND_HOST.exec(value);
  let path = m ? value.slice(m[0].length) : value;
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  return path === '' ? '/' : path;
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
  const segments = path === '/' ? [''] : path.slice(path.startsWith('/') ? 1 : 0).split('/');
  for (const p of patterns) if (path.startsWith('/') && matches(p, segments)) return p.text;
  return path
    .split('/')
    .map((s) => (s !== '' && isIdentifier(s) ? ':id' : s))
    .join('/');
}
