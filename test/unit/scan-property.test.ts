// The fast byte scanner must agree with the JSON.parse reference on every line: valid and invalid, with
// nested decoys, duplicate keys, escapes, unicode and every kind of code value.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PATHS, fieldPaths } from '../../dist/extract/paths.js';
import { extractReference } from '../../dist/extract/reference.js';
import { newLineResult } from '../../dist/extract/result.js';
import { FastExtractor, type ExtractorOptions } from '../../dist/extract/scan.js';

// Every case runs on both scans: the WebAssembly one (the default) and the JS one it falls back to.
let options: ExtractorOptions = {};

const KEYS = ['code', 'response', 'body', 'status', 'statusCode', 'http_status', 'ts', 'time', '@timestamp', 'data', 'msg', '__proto__', 'constructor', 'códe', 'Code'];

const codeValue = fc.oneof(
  fc.integer({ min: -10, max: 1_000_000 }),
  fc.constantFrom(200, 4004, 500001, 200.0, 1e12, 999999999999, -0, 2e2, 1.5, 0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.stringMatching(/^[0-9]{0,14}$/),
  fc.constantFrom('4004', ' 200', '20 0', '', '0200', '٢٠٠', null, true, false),
  fc.constantFrom('2026-11-25T10:00:00Z', '2026-11-25T10:00:00.123+08:00', 'yesterday', 1764064800, 1764064800123),
);

type Member = [string, unknown];
const leaf = fc.oneof(codeValue, fc.jsonValue({ maxDepth: 2 }));
const members = (depth: number): fc.Arbitrary<Member[]> =>
  fc.array(fc.tuple(fc.constantFrom(...KEYS), depth > 0 ? fc.oneof(leaf, fc.constant(null).chain(() => objectText(depth - 1))) : leaf), { maxLength: 6 });

/** Object text with possible duplicate keys, escaped keys and odd whitespace, as a string value wrapper. */
class Raw {
  constructor(readonly text: string) {}
}
function objectText(depth: number): fc.Arbitrary<Raw> {
  return fc.tuple(members(depth), fc.boolean(), fc.constantFrom('', ' ', '\t', ' \r')).map(([ms, escapeKeys, ws]) => {
    const parts = ms.map(([k, v]) => {
      let key = JSON.stringify(k);
      if (escapeKeys && k.length > 1) key = `"${k[0]}\\u${k.charCodeAt(1).toString(16).padStart(4, '0')}${JSON.stringify(k.slice(2)).slice(1)}`;
      const value = v instanceof Raw ? v.text : JSON.stringify(v);
      return `${ws}${key}${ws}:${ws}${value}`;
    });
    return new Raw(`{${parts.join(',')}${ws}}`);
  });
}

const validLine = objectText(3).map((r) => Buffer.from(r.text));
/** `b` truncated, or with one byte inserted, replaced or appended. */
const mutationOf = (b: Buffer): fc.Arbitrary<Buffer> =>
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('truncate', 'insert', 'replace', 'append')).map(([at, byte, how]) => {
    const i = b.length === 0 ? 0 : at % b.length;
    if (how === 'truncate') return b.subarray(0, i);
    if (how === 'append') return Buffer.concat([b, Buffer.from([byte])]);
    if (how === 'insert') return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
    const c = Buffer.from(b);
    c[i] = byte;
    return c;
  });
const mutated = validLine.chain(mutationOf);
const anyLine = fc.oneof(validLine, mutated, fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')));

function agree(paths: typeof DEFAULT_PATHS, line: Buffer, fast = new FastExtractor(paths, 1 << 20, options)): void {
  const a = newLineResult();
  const b = newLineResult();
  fast.extract(line, 0, line.length, a);
  const text = line.toString('utf8');
  extractReference(text, paths, b);
  expect({ outcome: a.outcome, code: a.code, status: a.status, time: a.timeMs, empty: a.outcome === 1 ? false : a.empty }, text).toEqual({
    outcome: b.outcome,
    code: b.code,
    status: b.status,
    time: b.timeMs,
    empty: b.outcome === 1 ? false : b.empty,
  });
  if (b.outcome !== 1) {
    // The top-level closing brace is the last '}' of the line (only whitespace may follow it).
    expect(a.close).toBe(line.lastIndexOf(0x7d));
    expect(text[b.close]).toBe('}');
  }
}

describe.each([
  ['WebAssembly', {}],
  ['JS', { wasm: false }],
] as [string, ExtractorOptions][])('fast extractor (%s scan) vs JSON.parse reference', (_name, opts) => {
  beforeAll(() => {
    options = opts;
  });

  it('agrees on generated valid objects (default paths)', () => {
    fc.assert(fc.property(validLine, (line) => agree(DEFAULT_PATHS, line)), { numRuns: 3000 });
  });

  it('agrees on mutated, truncated and random lines', () => {
    fc.assert(fc.property(anyLine, (line) => agree(DEFAULT_PATHS, line)), { numRuns: 5000 });
  });

  it('agrees with configured nested paths', () => {
    const paths = fieldPaths('data.code', 'response.status', 'body.ts');
    fc.assert(fc.property(anyLine, (line) => agree(paths, line)), { numRuns: 2000 });
  });

  // The extractor remembers the previous line's keys by place: runs of one shape with one-byte changes (a
  // key cut short, lengthened, replaced or escaped; a colon moved) must decide each line on its own.
  it('agrees line after line through one extractor, whatever the lines before', () => {
    const runs = validLine.chain((b) => fc.array(fc.oneof(fc.constant(b), mutationOf(b), validLine), { minLength: 2, maxLength: 30 }));
    for (const paths of [DEFAULT_PATHS, fieldPaths('data.code', 'response.status', 'body.ts')]) {
      fc.assert(
        fc.property(runs, (lines) => {
          const fast = new FastExtractor(paths, 1 << 20, options);
          for (const line of lines) agree(paths, line, fast);
        }),
        { numRuns: 1500 },
      );
    }
  });

  it('takes a remembered key for what it is under its own parent', () => {
    for (const paths of [DEFAULT_PATHS, fieldPaths('response.code', 'data.code', 'body.ts')]) {
      const fast = new FastExtractor(paths, 1 << 20, options);
      for (const text of ['{"response":{"code":1}}', '{"data":{"code":502}}', '{"response":{"code":3}}', '{"body":{"code":4}}', '{"body":{"codes":5}}', '{"response":{"co\\u0064e":6}}', '{"response" :{"code" :7}}', '{"response":{"code"'])
        agree(paths, Buffer.from(text), fast);
    }
  });

  it.each([
    ['{"code":200,"code":500}', 'ok:500'],
    ['{"response":{"code":1},"response":{"msg":"x"}}', 'missing_code'],
    ['{"data":{"code":5021},"msg":"{\\"code\\":500}"}', 'missing_code'],
    ['{"co\\u0064e":"4004"}', 'ok:4004'],
    ['{"code":200.0}', 'ok:200'],
    ['{"code":-0}', 'invalid_code'],
    ['{"code":1234567890123}', 'invalid_code'],
    ['{"status":503,"code":"x"}', 'ok:http_503'],
    ['{"status":200}', 'missing_code'],
    ['{"http_status":600}', 'missing_code'],
    ['{"status":999,"code":200}', 'ok:200'],
    ['{"code":200} x', 'malformed'],
    ['{"code":"20\u0000"}', 'malformed'],
    ['[{"code":200}]', 'malformed'],
  ])('decides %s as %s', (text, expected) => {
    const r = newLineResult();
    new FastExtractor(DEFAULT_PATHS, 1 << 20, options).extract(Buffer.from(text), 0, Buffer.byteLength(text), r);
    const names = ['ok', 'malformed', 'missing_code', 'invalid_code'];
    const got = r.outcome === 0 ? `ok:${r.status ? `http_${r.status}` : r.code}` : names[r.outcome];
    expect(got).toBe(expected);
    agree(DEFAULT_PATHS, Buffer.from(text));
  });

  // The string scan reads 4 bytes at a time: a quote, backslash or control character at every offset of a
  // word, in keys and in values, must end or break the string exactly where JSON.parse says.
  const special = fc.constantFrom('"', '\\', '\\"', '\\u0041', '\\u00g1', '\\x', '\u0000', '\u001f', '\t', '\r', '\n', 'é', '☃', '\u007f');
  const wordOffsets = fc.tuple(fc.string({ maxLength: 9 }), special, fc.string({ maxLength: 9 }), fc.boolean());
  it('agrees on quotes, escapes and control characters at every offset of a string', () => {
    fc.assert(
      fc.property(wordOffsets, ([before, mid, after, inKey]) => {
        const body = `${before}${mid}${after}`;
        const text = inKey ? `{"${body}":1,"code":200}` : `{"code":200,"msg":"${body}","ts":"${body}"}`;
        agree(DEFAULT_PATHS, Buffer.from(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('never reads the bytes after the line: a line inside a larger buffer, followed by anything', () => {
    const tails = fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.constantFrom('}', '"}', '0}', 'e}', '":1}', 'rue}', '\n{"code":1}').map((t) => Buffer.from(t)));
    fc.assert(
      fc.property(anyLine, fc.uint8Array({ maxLength: 7 }), tails, (line, head, tail) => {
        const b = Buffer.concat([Buffer.from(head), line, Buffer.from(tail)]);
        const fast = new FastExtractor(DEFAULT_PATHS, 1 << 20, options);
        const alone = newLineResult();
        const inside = newLineResult();
        fast.extract(line, 0, line.length, alone);
        fast.extract(b, head.length, head.length + line.length, inside);
        expect({ ...inside, close: inside.close < 0 ? -1 : inside.close - head.length }).toEqual(alone);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees when a key ends the memory of its buffer (no word can be read past it)', () => {
    for (const text of ['{"code":1,"ts"', '{"ts":1,"code"', '{"a":{"response":{"code":7}},"response":{"code":3},"c"', '{"code":5,"co', '{"code":5,"'])
      for (const tail of ['', ':1}', ':"2026-01-01T00:00:00Z"}']) {
        const bytes = Buffer.from(text + tail);
        // A Buffer that owns exactly its bytes: nothing readable after the last one.
        const exact = Buffer.from(new Uint8Array(bytes).buffer);
        agree(DEFAULT_PATHS, exact);
      }
  });

  it('handles 200k nested brackets without a stack overflow', () => {
    const deep = `{"code":200,"data":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    agree(DEFAULT_PATHS, Buffer.from(deep));
    agree(DEFAULT_PATHS, Buffer.from(deep.slice(0, -1)));
  });
});
