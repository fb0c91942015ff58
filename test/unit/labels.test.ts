// The breakdowns' values (SPEC "Breakdowns"): route templating, method and length shaping, the admission of
// values, and the byte scanners (WebAssembly with its cache of resolved values, and JS) agreeing with the
// JSON.parse reference on every line's dimension values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldPaths } from '../../dist/extract/paths.js';
import { extractReference } from '../../dist/extract/reference.js';
import { newLineResult, OK, type LineResult } from '../../dist/extract/result.js';
import { DIM_KEY_IDS, DIM_KEY_RAW, DIM_KEY_ROUTE, FastExtractor, LINE_DECIDED, scanReadBuffer, type ExtractorOptions } from '../../dist/extract/scan.js';
import { Admission, ADMIT_AFTER } from '../../dist/labels/admission.js';
import { DEFAULT_DIMENSIONS } from '../../dist/labels/dimensions.js';
import { LabelResolver } from '../../dist/labels/resolver.js';
import { hasIdentifierLiteral, isIdentifier, parseRoutePattern, templateRoute } from '../../dist/labels/route.js';
import { cutUtf8, normalizeMethod } from '../../dist/labels/values.js';

describe('route templating', () => {
  it.each([
    ['/openapi/v1/orders/12345', '/openapi/v1/orders/:id'],
    ['/openapi/v1/orders/12345?page=2&size=20', '/openapi/v1/orders/:id'],
    ['https://gw.example.com:8443/openapi/v1/users/me#top', '/openapi/v1/users/me'],
    ['//cdn.example.com/static/app.js', '/static/app.js'],
    ['http://gw.example.com', '/'],
    ['', '/'],
    ['?x=1', '/'],
    ['/v1/items/550e8400-e29b-41d4-a716-446655440000', '/v1/items/:id'],
    ['/v1/blobs/deadbeef/raw', '/v1/blobs/:id/raw'],
    ['/v1/blobs/deadbee/raw', '/v1/blobs/deadbee/raw'],
    ['/v1/tokens/Ab3dE5gH7jK9mN1p', '/v1/tokens/:id'],
    ['/v1/tokens/abcdefghijklmnop', '/v1/tokens/abcdefghijklmnop'],
    ['/v1/tokens/Ab3dE5gH7jK9mN1', '/v1/tokens/Ab3dE5gH7jK9mN1'],
    ['/a//b/', '/a//b/'],
    ['orders/7', 'orders/:id'],
    ['mailto:ops@example.com', 'mailto:ops@example.com'],
  ])('templates %j as %j', (value, want) => {
    expect(templateRoute(value, [])).toBe(want);
  });

  it('takes the first matching --route-pattern before the identifier rules', () => {
    const patterns = ['/openapi/v1/orders/:id', '/openapi/v1/orders/:id/items', '/static/*', '/'].map(parseRoutePattern);
    expect(templateRoute('/openapi/v1/orders/ABC-DEF', patterns)).toBe('/openapi/v1/orders/:id');
    expect(templateRoute('/openapi/v1/orders/9/items?x', patterns)).toBe('/openapi/v1/orders/:id/items');
    expect(templateRoute('/static/js/app.12ab.js', patterns)).toBe('/static/*');
    expect(templateRoute('/static', patterns)).toBe('/static/*');
    expect(templateRoute('https://h/', patterns)).toBe('/');
    expect(templateRoute('/openapi/v1/orders/', patterns)).toBe('/openapi/v1/orders/');
    expect(templateRoute('/openapi/v1/users/42', patterns)).toBe('/openapi/v1/users/:id');
  });

  it.each([
    ['orders/:id', 'expected a path starting with /, such as /openapi/v1/orders/:id'],
    ['/a?b', 'a pattern is a path: no query, fragment or spaces'],
    ['/a//b', 'empty segment (//, or a / at the end)'],
    ['/a/', 'empty segment (//, or a / at the end)'],
    ['/a/*/b', '* stands alone as the last segment'],
    ['/a/b*', '* stands alone as the last segment'],
    ['/a/:', '":" is not a :name (letters, digits, _)'],
    ['/a/:1x', '":1x" is not a :name (letters, digits, _)'],
    [`/${'x'.repeat(128)}`, 'longer than 128 bytes'],
  ])('rejects the pattern %j: %s', (text, why) => {
    expect(() => parseRoutePattern(text)).toThrow(`--route-pattern ${JSON.stringify(text)}: ${why}`);
  });

  it('knows when a pattern needs the identifiers themselves', () => {
    expect(hasIdentifierLiteral([parseRoutePattern('/v1/apps/:app/keys')])).toBe(false);
    expect(hasIdentifierLiteral([parseRoutePattern('/v1/apps/12345/keys')])).toBe(true);
    expect(isIdentifier('')).toBe(false);
  });
});

describe('value shaping', () => {
  it('cuts values to 128 bytes of UTF-8, never inside a character', () => {
    expect(cutUtf8('a'.repeat(200))).toBe('a'.repeat(128));
    const cjk = '签名'.repeat(30); // 3 bytes each
    expect(Buffer.byteLength(cutUtf8(cjk))).toBe(126);
    expect(cutUtf8('a' + '😀'.repeat(40))).toBe('a' + '😀'.repeat(31));
    expect(cutUtf8('short')).toBe('short');
  });

  it('upper-cases methods and names every other one other', () => {
    expect(['get', 'Post', 'PATCH', 'options', 'PURGE', 'GETS', ''].map(normalizeMethod)).toEqual(['GET', 'POST', 'PATCH', 'OPTIONS', 'other', 'other', 'other']);
  });

  it('takes an absent value, an empty string and anything but a string or a number as none', () => {
    const r = new LabelResolver(DEFAULT_DIMENSIONS, { maxValues: 10, routePatterns: [], admitAfter: 1 });
    expect([r.fromText(1, null), r.fromText(1, ''), r.fromText(1, 'ak_1')].map((l) => r.valueText(1, l))).toEqual(['none', 'none', 'ak_1']);
  });
});

describe('admission of values', () => {
  const random = (i: number): string => `/probe/${(i * 2654435761 >>> 0).toString(36)}x${i}.php`;

  it('does not let 50,000 one-off paths that come first take the slots of the 30 routes that carry the traffic', () => {
    const resolver = new LabelResolver([DEFAULT_DIMENSIONS[0]!], { maxValues: 30, routePatterns: [] });
    for (let i = 0; i < 50_000; i++) resolver.fromText(0, random(i));
    expect(resolver.takeAdded()).toEqual([]);
    const routes = Array.from({ length: 30 }, (_, k) => `/openapi/v1/service${k}/call`);
    const lost = new Map<string, number>();
    for (let round = 0; round < 200; round++) {
      for (const route of routes) {
        const label = resolver.fromText(0, route);
        if (resolver.valueText(0, label) === 'other') lost.set(route, (lost.get(route) ?? 0) + 1);
      }
    }
    expect(resolver.takeAdded().map((v) => v.value).sort()).toEqual([...routes].sort());
    // Each lost exactly its first ADMIT_AFTER - 1 counts to other.
    expect(new Set(lost.values())).toEqual(new Set([ADMIT_AFTER - 1]));
  });

  it('admits a heavy value among a steady flood of one-offs, and never a one-off', () => {
    const a = new Admission(1024);
    const admitted: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      if (a.offer(random(i))) admitted.push('one-off');
      if (i % 50 === 0 && !admitted.includes('/heavy') && a.offer('/heavy')) admitted.push('/heavy');
    }
    expect(admitted).toEqual(['/heavy']);
    expect(a.size).toBe(1024);
  });

  it('counts values past --max-label-values as other, and then for good', () => {
    const r = new LabelResolver([DEFAULT_DIMENSIONS[1]!], { maxValues: 2, routePatterns: [], admitAfter: 1 });
    const labels = ['a', 'b', 'c', 'a', 'd'].map((v) => r.fromText(0, v));
    expect(labels.map((l) => r.valueText(0, l))).toEqual(['a', 'b', 'other', 'a', 'other']);
    expect(r.final(0, labels[2]!)).toBe(true);
  });
});

// ---- the scanners against the reference ----

const PATHS = fieldPaths(undefined, undefined, undefined, DEFAULT_DIMENSIONS.map((d) => d.paths));
const KEYS_OF = (opts: { ids: boolean }): number[] => DEFAULT_DIMENSIONS.map((d) => (d.kind === 'route' ? DIM_KEY_ROUTE | (opts.ids ? DIM_KEY_IDS : 0) : DIM_KEY_RAW));

const segment = fc.oneof(
  fc.constantFrom('api', 'v1', 'orders', 'users', 'ö', 'a b', '%2F', '.', '..', ':id', 'x-y', 'deadbeef', 'DEADBEEF1', '12345', '0', 'abcdefgh12345678', 'abcdefghijklmnop', '550e8400-e29b-41d4-a716-446655440000', '550E8400-E29B-41D4-A716-44665544000Z', '签名', ''),
  fc.stringMatching(/^[0-9a-f]{6,10}$/),
  fc.stringMatching(/^[A-Za-z0-9]{14,18}$/),
  fc.string({ maxLength: 4 }),
);
const routeText = fc
  .tuple(
    fc.constantFrom('', '', 'http://gw.example.com', 'HTTPS://h:8080', '//cdn', 'x+y.z-1://h', 'mailto:', '1http://h', 'h:'),
    fc.array(segment, { maxLength: 5 }),
    fc.constantFrom('', '/'),
    fc.constantFrom('', '', '?a=1', '?', '#f', '?x#y', '#', '?/b/12345'),
  )
  .map(([pre, segs, trail, q]) => pre + (segs.length ? '/' + segs.join('/') : '') + trail + q);
/**
 * Routes of a few shapes with their variable segments filled in: identifiers and near misses (hex of 7,
 * mixed of 15, letters only, a UUID with a Z) side by side, so that a cache keyed too broadly shows.
 */
const variable = fc.oneof(
  fc.stringMatching(/^[0-9]{1,12}$/),
  fc.stringMatching(/^[0-9a-fA-F]{6,10}$/),
  fc.stringMatching(/^[A-Za-z0-9]{14,18}$/),
  fc.stringMatching(/^[a-z]{14,18}$/),
  fc.uuid(),
  fc.constantFrom('550E8400-E29B-41D4-A716-44665544000Z', '550e8400-e29b-41d4-a716-44665544000-', '550e8400-e29b-41d4-a716-4466554400-0', 'deadbee', '1234x', 'x', ':id', '签名', '-'),
  fc.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]{4}-[0-9a-fA-F]{4}-[0-9a-f-]{12}$/),
);
const skeleton = fc.array(fc.oneof(fc.constantFrom('api', 'v1', 'orders', ''), fc.constant(null)), { minLength: 1, maxLength: 4 });
const routeFamilies = fc.array(skeleton, { minLength: 1, maxLength: 3 }).chain((skeletons) =>
  fc.array(
    fc.tuple(fc.constantFrom(...skeletons), fc.array(variable, { minLength: 4, maxLength: 4 }), fc.constantFrom('', '?q=1', 'https://h', '//h')).map(([skel, vars, extra]) => {
      const path = '/' + skel.map((seg, i) => seg ?? vars[i]!).join('/');
      return extra.startsWith('?') ? path + extra : extra + path;
    }),
    { minLength: 2, maxLength: 30 },
  ),
);

const textValue = fc.oneof(routeText, fc.constantFrom('get', 'POST', 'Patch', 'PURGE', 'ak_1', 'ak_2', '', 'none', 'other', 'x'.repeat(130), '签'.repeat(50)), fc.string({ maxLength: 8 }));

/** A value as JSON text: plain, with escapes, as a number or another type; or raw bytes that are not UTF-8. */
const valueBytes = fc.oneof(
  { arbitrary: textValue.map((v) => Buffer.from(JSON.stringify(v))), weight: 6 },
  { arbitrary: textValue.map((v) => Buffer.from(JSON.stringify(v).replace(/\//g, '\\/'))), weight: 1 },
  { arbitrary: textValue.map((v) => Buffer.from(JSON.stringify(v).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`))), weight: 1 },
  { arbitrary: fc.constantFrom('12345', '-0', '1.50', '1e3', '2E+2', '123456789012345678901', 'null', 'true', '{}', '[]', '{"path":"/x"}', '"\\ud800"', '"\\udc00x"').map((v) => Buffer.from(v)), weight: 2 },
  {
    arbitrary: fc.tuple(routeText, fc.constantFrom([0xff], [0xc3], [0xe7, 0xad], [0xed, 0xa0, 0x80], [0xc0, 0xaf]), fc.nat()).map(([v, bad, at]) => {
      const b = Buffer.from(v);
      const i = at % (b.length + 1);
      return Buffer.concat([Buffer.from('"'), b.subarray(0, i), Buffer.from(bad), b.subarray(i), Buffer.from('"')]);
    }),
    weight: 1,
  },
);
const DIM_KEYS = ['route', 'path', 'uri', 'url', 'appKey', 'app_key', 'appId', 'consumer', 'method', 'httpMethod', 'msg', 'request'];
const member = fc.oneof(
  fc.tuple(fc.constantFrom(...DIM_KEYS), valueBytes),
  fc.tuple(fc.constant('request'), fc.tuple(fc.constantFrom('path', 'uri', 'method', 'x'), valueBytes).map(([k, v]) => Buffer.concat([Buffer.from(`{"${k}":`), v, Buffer.from('}')]))),
);
/** A gateway-like line: a code, and dimension keys (some repeated: the last one counts) with any value. */
const dimLine = fc.tuple(fc.array(member, { maxLength: 6 }), fc.constantFrom(200, 5021, '"4004"')).map(([ms, code]) =>
  Buffer.concat([Buffer.from(`{"code":${code}`), ...ms.map(([k, v]) => Buffer.concat([Buffer.from(`,"${k}":`), v])), Buffer.from('}')]),
);

/** The values of a line's dimensions as the reader resolves them: the scanner's label, or resolved and remembered. */
function fastValues(fast: FastExtractor, resolver: LabelResolver, b: Buffer, r: LineResult): string[] {
  if (r.outcome !== OK) return [];
  return DEFAULT_DIMENSIONS.map((_, d) => {
    let label = r.labels[d]!;
    if (label < 0) {
      label = resolver.fromBytes(d, r.dimKind[d]!, b, r.dimStart[d]!, r.dimEnd[d]!);
      if (resolver.final(d, label)) fast.remember(d, r.dimKind[d]!, b, r.dimStart[d]!, r.dimEnd[d]!, label);
    }
    return resolver.valueText(d, label);
  });
}

function referenceValues(resolver: LabelResolver, line: Buffer): string[] {
  const r = newLineResult(DEFAULT_DIMENSIONS.length);
  extractReference(line.toString('utf8'), PATHS, r);
  if (r.outcome !== OK) return [];
  return DEFAULT_DIMENSIONS.map((_, d) => resolver.valueText(d, resolver.fromText(d, r.dimText[d] ?? null)));
}

describe('the module learns values between its calls', () => {
  it('resolves a new value on the JS side only in the first, short call of a read buffer', () => {
    const buf = scanReadBuffer(1 << 20);
    const line = '{"code":200,"path":"/api/v1/orders/12345","appKey":"ak_1","method":"GET"}\n';
    const all = Buffer.from(line.repeat(3000));
    all.copy(buf);
    const b = buf.subarray(0, all.length);
    const fast = new FastExtractor(PATHS, 1 << 20, { dimensionKeys: KEYS_OF({ ids: true }) });
    const resolver = new LabelResolver(DEFAULT_DIMENSIONS, { maxValues: 100, routePatterns: [], admitAfter: 1 });
    const r = newLineResult(DEFAULT_DIMENSIONS.length);
    let resolved = 0;
    const calls: number[] = [];
    for (let at = 0; at < b.length; at = fast.linesNext) {
      const n = fast.scanLines(b, at, b.length, 1 << 20);
      calls.push(n);
      for (let k = 0; k < n; k++) {
        if (!fast.decided(k, r)) resolved++;
        fastValues(fast, resolver, b, r);
      }
    }
    expect(calls.reduce((a, n) => a + n, 0)).toBe(3000);
    // The first call's lines were all looked up before the first was resolved; none after it.
    expect(resolved).toBe(calls[0]);
    expect(calls[0]).toBeLessThanOrEqual(16);
    expect(Math.max(...calls)).toBe(1024);
  });
});

describe.each([
  ['WebAssembly, identifiers keyed as :id', { ids: true }, {}],
  ['WebAssembly, routes keyed whole', { ids: false }, {}],
  ['JS', { ids: true }, { wasm: false }],
] as [string, { ids: boolean }, ExtractorOptions][])('dimension values: fast extractor (%s) vs JSON.parse reference', (_name, keys, opts) => {
  const limits = (maxValues: number) => ({ maxValues, routePatterns: [], admitAfter: 1 });

  // Every value is admitted at once (admitAfter 1), so a label stands for exactly one shaped value: a scanner
  // cache that gave one value's label to a line with another value would show here as a different text.
  it('gives every line the reference values, line after line through one extractor and its cache', () => {
    fc.assert(
      fc.property(fc.array(dimLine, { minLength: 1, maxLength: 40 }), fc.constantFrom(1000, 3), (lines, maxValues) => {
        const fast = new FastExtractor(PATHS, 1 << 20, { ...opts, dimensionKeys: KEYS_OF(keys) });
        const fr = new LabelResolver(DEFAULT_DIMENSIONS, limits(maxValues));
        const rr = new LabelResolver(DEFAULT_DIMENSIONS, limits(maxValues));
        const r = newLineResult(DEFAULT_DIMENSIONS.length);
        for (const line of [...lines, ...lines]) {
          fast.extract(line, 0, line.length, r);
          expect(fastValues(fast, fr, line, r), line.toString()).toEqual(referenceValues(rr, line));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('gives routes that differ only in their identifiers the reference values', () => {
    fc.assert(
      fc.property(routeFamilies, (routes) => {
        const fast = new FastExtractor(PATHS, 1 << 20, { ...opts, dimensionKeys: KEYS_OF(keys) });
        const fr = new LabelResolver(DEFAULT_DIMENSIONS, limits(1000));
        const rr = new LabelResolver(DEFAULT_DIMENSIONS, limits(1000));
        const r = newLineResult(DEFAULT_DIMENSIONS.length);
        for (const route of routes) {
          const line = Buffer.from(JSON.stringify({ code: 200, path: route }));
          fast.extract(line, 0, line.length, r);
          expect(fastValues(fast, fr, line, r), route).toEqual(referenceValues(rr, line));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('tells apart routes whose identifiers or lengths are all that differ', () => {
    // A route's memo key has its identifier's bytes zeroed: `/` and `/01` have the same bytes and differ in
    // length only, as do `/api/use` and `/api/users` in their first bytes. The memo's tags once kept only a
    // length's bits other than its second, and `/thhp/xu` (8 bytes), in the same set of the memo as
    // `/thhp/xujn` (10), was counted under it.
    const sequences = [
      ['/thhp/xujn', '/thhp/xujn', '/thhp/xu', '/kylm/mrmg', '/kylm/mrmg', '/kylm/mr'],
      ['/', '/', '/01', '/01', '/', '/0', '/012', '/0123'],
      ['/api/users', '/api/users', '/api/use', '/api/use', '/api/us'],
      ['/a/1', '/a/1', '/a/12', '/a/123', '/a/', '/a', '/a/1/', '/a/12/'],
      ['/v1/orders/7', '/v1/orders/7', '/v1/orders/7?x=1', '/v1/orders/', '/v1/orders/77#f', '/v1/orders'],
      // Identifiers by each rule, beside near misses of the same length.
      ['/r/deadbeef', '/r/deadbeef', '/r/deadbeeg', '/r/deadbee', '/r/DEADBEEF/x', '/r/deadbeef/1'],
      ['/r/abcdefgh12345678', '/r/abcdefgh12345678', '/r/abcdefghijklmnop', '/r/abcdefgh1234567', '/r/abcdefgh-2345678'],
      ['/r/550e8400-e29b-41d4-a716-446655440000', '/r/550e8400-e29b-41d4-a716-446655440000/x', '/r/550e8400-e29b-41d4-a716-44665544000Z', '/r/550e8400-e29b-41d4-a716-4466554400-0', '/r/550e8400xe29bx41d4xa716x446655440000'],
    ];
    for (const routes of sequences) {
      const fast = new FastExtractor(PATHS, 1 << 20, { ...opts, dimensionKeys: KEYS_OF(keys) });
      const fr = new LabelResolver(DEFAULT_DIMENSIONS, limits(1000));
      const rr = new LabelResolver(DEFAULT_DIMENSIONS, limits(1000));
      const r = newLineResult(DEFAULT_DIMENSIONS.length);
      for (const route of [...routes, ...routes]) {
        const line = Buffer.from(JSON.stringify({ code: 200, path: route }));
        fast.extract(line, 0, line.length, r);
        expect(fastValues(fast, fr, line, r), route).toEqual(referenceValues(rr, line));
      }
    }
  });

  it('gives the lines of a bulk scan (the read buffer) the reference values', () => {
    const buf = scanReadBuffer(1 << 20);
    fc.assert(
      fc.property(fc.array(dimLine, { minLength: 1, maxLength: 60 }), (lines) => {
        const fast = new FastExtractor(PATHS, 1 << 20, { ...opts, dimensionKeys: KEYS_OF(keys) });
        const fr = new LabelResolver(DEFAULT_DIMENSIONS, limits(1000));
        const rr = new LabelResolver(DEFAULT_DIMENSIONS, limits(1000));
        const all = Buffer.concat([...lines, ...lines].flatMap((l) => [l, Buffer.from('\n')]));
        all.copy(buf);
        const b = buf.subarray(0, all.length);
        const r = newLineResult(DEFAULT_DIMENSIONS.length);
        const got: string[][] = [];
        if (opts.wasm === false) {
          // The JS scan has no bulk path: line by line, as the reader does.
          let at = 0;
          for (const line of [...lines, ...lines]) {
            fast.extract(b, at, at + line.length, r);
            got.push(fastValues(fast, fr, b, r));
            at += line.length + 1;
          }
        } else {
          // Call after call, as the reader does: values resolved in one call are the module's in the next.
          for (let at = 0; at < b.length; at = fast.linesNext) {
            const n = fast.scanLines(b, at, b.length, 1 << 20);
            for (let k = 0; k < n; k++) {
              if (fast.lineType(k) === LINE_DECIDED) fast.decided(k, r);
              else fast.extract(b, fast.lineStart(k), fast.lineEnd(k), r);
              got.push(fastValues(fast, fr, b, r));
            }
          }
        }
        expect(got).toEqual([...lines, ...lines].map((l) => referenceValues(rr, l)));
      }),
      { numRuns: 300 },
    );
  });
});
