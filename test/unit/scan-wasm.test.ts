// The WebAssembly scanner's own paths, against the JSON.parse reference: the template (lines of the shape
// of the line before, with other leaf values), lines scanned where they were read (in the module's read
// buffer, followed by anything), the fallback to the JS scan (deep nesting), and the committed module
// being the one its source compiles to.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PATHS, fieldPaths, type FieldPaths } from '../../dist/extract/paths.js';
import { extractReference } from '../../dist/extract/reference.js';
import { newLineResult } from '../../dist/extract/result.js';
import { FastExtractor, LINE_BLANK, LINE_DECIDED, scanReadBuffer } from '../../dist/extract/scan.js';
import { LineFramer } from '../../dist/input/framing.js';

const KEYS = ['code', 'response', 'body', 'status', 'statusCode', 'ts', 'time', 'data', 'msg', 'items', 'a_rather_long_key_name', 'códe'];

type Shape = { kind: 'obj'; members: [string, Shape][] } | { kind: 'arr'; items: Shape[] } | { kind: 'leaf' };

const shapes = fc.letrec<{ node: Shape; obj: Shape; arr: Shape }>((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, { arbitrary: fc.constant<Shape>({ kind: 'leaf' }), weight: 4 }, tie('obj'), tie('arr')),
  obj: fc.array(fc.tuple(fc.constantFrom(...KEYS), tie('node')), { maxLength: 6 }).map((members): Shape => ({ kind: 'obj', members })),
  arr: fc.array(tie('node'), { maxLength: 3 }).map((items): Shape => ({ kind: 'arr', items })),
}));

function leafCount(s: Shape): number {
  if (s.kind === 'leaf') return 1;
  if (s.kind === 'arr') return s.items.reduce((n, x) => n + leafCount(x), 0);
  return s.members.reduce((n, [, x]) => n + leafCount(x), 0);
}

/** Leaf values as text: valid ones of every type, with escapes, unicode and control characters, and invalid ones. */
const leafText = fc.oneof(
  fc.jsonValue({ maxDepth: 0 }).map((v) => JSON.stringify(v)),
  fc.oneof(fc.integer({ min: -10, max: 1_000_000 }), fc.constantFrom(200, 4004, 1e12, -0, 2e2, 1.5, 0, 1764064800123)).map((v) => JSON.stringify(v)),
  fc.stringMatching(/^[0-9]{0,14}$/).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((v) => `"${v.replace(/[\\"\u0000-\u001f]/g, '')}"`),
  fc.constantFrom('"2026-11-25T10:00:00Z"', '"2026-11-25T10:00:00.123+08:00"', '"\\u0041"', '"a\\"b"', '"\\/"', '"x\\\\"', '-0', '1e5', '1E+2', '2.50', '0.5e-3', 'true', 'false', 'null'),
  fc.constantFrom('01', '-', '1.', '.5', '"\u0001"', '"a\tb"', '"\\x"', '"\\u12g4"', 'tru', 'nul', 'fals', '+1', '"abc', '1e', '1e+', 'NaN', '"\\u12"', '{}', '[]', '[1]', '{"code":1}'),
);

/** The text of `shape` with these leaves, keys written plainly or with an escape, and this whitespace. */
function render(shape: Shape, leaves: string[], ws: string, escapeKeys: boolean): string {
  let k = 0;
  const go = (s: Shape): string => {
    if (s.kind === 'leaf') return leaves[k++]!;
    if (s.kind === 'arr') return `[${s.items.map(go).join(`,${ws}`)}]`;
    return `{${s.members
      .map(([key, v]) => {
        const name = escapeKeys && key.length > 1 ? `"${key[0]}\\u${key.charCodeAt(1).toString(16).padStart(4, '0')}${key.slice(2)}"` : JSON.stringify(key);
        return `${ws}${name}${ws}:${ws}${go(v)}`;
      })
      .join(',')}${ws}}`;
  };
  return go(shape);
}

/** Runs of lines of one shape with other leaf values, sometimes with one byte changed, sometimes another shape. */
const runs = fc
  .tuple(shapes.obj, fc.constantFrom('', ' ', '\t'), fc.boolean())
  .chain(([shape, ws, esc]) => {
    const n = leafCount(shape);
    const line = fc.array(leafText, { minLength: n, maxLength: n }).map((leaves) => render(shape, leaves, ws, esc));
    const mutated = fc.tuple(line, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('truncate', 'replace', 'insert', 'append', 'append-space')).map(([text, at, byte, how]) => {
      const b = Buffer.from(text);
      const i = b.length === 0 ? 0 : at % b.length;
      if (how === 'truncate') return b.subarray(0, i);
      if (how === 'append') return Buffer.concat([b, Buffer.from([byte])]);
      if (how === 'append-space') return Buffer.concat([b, Buffer.from(' \t\r'.slice(0, 1 + (at % 3)))]);
      if (how === 'insert') return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      const c = Buffer.from(b);
      c[i] = byte;
      return c;
    });
    return fc.array(fc.oneof({ arbitrary: line.map((t) => Buffer.from(t)), weight: 6 }, mutated, fc.constant(Buffer.from('{"code":1}'))), { minLength: 2, maxLength: 25 });
  });

/**
 * Lines of several shapes interleaved, as a gateway writes them (data of one kind or another, errors with
 * data null): the scanner keeps several templates and moves from one to another where they part. Shapes that
 * share their first members, more shapes than templates, and changed bytes.
 */
const interleaved = fc
  .tuple(shapes.obj, fc.array(shapes.obj, { minLength: 1, maxLength: 11 }), fc.constantFrom('', ' '))
  .chain(([common, tails, ws]) => {
    // Each shape: the common members, then its own.
    const kinds = tails.map((t): Shape => (common.kind === 'obj' && t.kind === 'obj' ? { kind: 'obj', members: [...common.members, ...t.members] } : t));
    const lineOf = (shape: Shape) =>
      fc.array(leafText, { minLength: leafCount(shape), maxLength: leafCount(shape) }).map((leaves) => Buffer.from(render(shape, leaves, ws, false)));
    const mutate = (b: Buffer, at: number, byte: number): Buffer => {
      const c = Buffer.from(b);
      if (c.length > 0) c[at % c.length] = byte;
      return c;
    };
    const one = fc.oneof(
      { arbitrary: fc.constantFrom(...kinds).chain(lineOf), weight: 8 },
      fc.tuple(fc.constantFrom(...kinds).chain(lineOf), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, byte]) => mutate(b, at, byte)),
    );
    return fc.array(one, { minLength: 2, maxLength: 60 });
  });

function summary(r: ReturnType<typeof newLineResult>): object {
  return { outcome: r.outcome, code: r.code, status: r.status, time: r.timeMs, empty: r.outcome === 1 ? false : r.empty };
}

/** Extracts `line` with `fast`, copied (as a line from elsewhere) or in the read buffer at `at`, followed by `tail`. */
function check(paths: FieldPaths, fast: FastExtractor, line: Buffer, inPlace: { buf: Buffer; at: number; tail: Uint8Array } | null): void {
  const a = newLineResult();
  const b = newLineResult();
  if (inPlace) {
    const { buf, at, tail } = inPlace;
    line.copy(buf, at);
    buf.set(tail, at + line.length);
    fast.extract(buf, at, at + line.length, a);
    // The scan leaves the buffer as it was.
    expect(Buffer.compare(buf.subarray(at, at + line.length), line)).toBe(0);
    expect(Buffer.compare(buf.subarray(at + line.length, at + line.length + tail.length), Buffer.from(tail))).toBe(0);
    if (a.close >= 0) a.close -= at;
  } else fast.extract(line, 0, line.length, a);
  const text = line.toString('utf8');
  extractReference(text, paths, b);
  expect(summary(a), text).toEqual(summary(b));
  if (b.outcome !== 1) expect(a.close).toBe(line.lastIndexOf(0x7d));
}

describe('WebAssembly scanner vs JSON.parse reference', () => {
  it('reads into the module memory', () => {
    const buf = scanReadBuffer(1 << 20);
    expect(buf.length).toBe(1 << 20);
    expect(buf.buffer.byteLength).toBeGreaterThan(2 << 20);
    expect(scanReadBuffer(2 << 20).buffer.byteLength).toBe(2 << 20);
  });

  for (const paths of [DEFAULT_PATHS, fieldPaths('data.code', 'response.status', 'body.ts')]) {
    it(`agrees on runs of lines of one shape with other values, copied in (${paths.code[0]!.join('.')})`, () => {
      fc.assert(
        fc.property(runs, (lines) => {
          const fast = new FastExtractor(paths, 1 << 20);
          for (const line of lines) check(paths, fast, line, null);
        }),
        { numRuns: 1500 },
      );
    });

    it(`agrees on lines of many shapes interleaved, through its templates (${paths.code[0]!.join('.')})`, () => {
      fc.assert(
        fc.property(interleaved, (lines) => {
          const fast = new FastExtractor(paths, 1 << 20);
          for (const line of lines) check(paths, fast, line, null);
        }),
        { numRuns: 1500 },
      );
    });

    it(`agrees on the same runs scanned in the read buffer, followed by anything (${paths.code[0]!.join('.')})`, () => {
      const buf = scanReadBuffer(1 << 20);
      const tails = fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.constantFrom('}', '"}', '0}', 'e}', '":1}', 'rue}', '\n{"code":1}', ' ', '\n').map((t) => Buffer.from(t)));
      fc.assert(
        fc.property(runs, fc.array(fc.tuple(fc.nat({ max: 4096 }), tails), { minLength: 25, maxLength: 25 }), (lines, places) => {
          const fast = new FastExtractor(paths, 1 << 20);
          lines.forEach((line, k) => {
            const [at, tail] = places[k]!;
            check(paths, fast, line, { buf, at, tail });
          });
        }),
        { numRuns: 1500 },
      );
    });
  }

  it('agrees at the end of the read buffer', () => {
    const buf = scanReadBuffer(1 << 20);
    const fast = new FastExtractor(DEFAULT_PATHS, 1 << 20);
    for (const text of ['{"code":200,"msg":"ok"}', '{"code":200,"msg":"ok', '{"code":2', '{"code":"abcdefghijklmnopqrstuvwxyz"}', '{"code":"abcdefghijklmnopqrstuvwxyz'])
      for (let k = 0; k < 3; k++) {
        const line = Buffer.from(text);
        check(DEFAULT_PATHS, fast, line, { buf, at: buf.length - line.length, tail: new Uint8Array() });
      }
  });

  it('two extractors with different paths take turns on the one module', () => {
    const a = fieldPaths('data.code', 'response.status', 'body.ts');
    const fa = new FastExtractor(a, 1 << 20);
    const fd = new FastExtractor(DEFAULT_PATHS, 1 << 20);
    const lines = ['{"code":1,"data":{"code":2},"response":{"status":503}}', '{"code":3,"data":{"code":4},"response":{"status":200}}', '{"data":{"code":"5"},"status":404}'];
    for (let k = 0; k < 4; k++)
      for (const t of lines) {
        check(a, fa, Buffer.from(t), null);
        check(DEFAULT_PATHS, fd, Buffer.from(t), null);
      }
  });

  it('leaves nesting past its depth limit to the JS scan, with the same answers', () => {
    const fast = new FastExtractor(DEFAULT_PATHS, 1 << 20);
    for (let n = 1018; n <= 1030; n++) {
      for (const text of [
        `{"code":200,"data":${'['.repeat(n)}${']'.repeat(n)}}`,
        `{"code":200,"data":${'['.repeat(n)}${']'.repeat(n - 1)}}`,
        `${'{"response":'.repeat(n)}{"code":7}${'}'.repeat(n)}}`,
        `{"code":200,"d":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
      ])
        check(DEFAULT_PATHS, fast, Buffer.from(text), null);
    }
  });

  it('agrees with strings whose stops fall at every place of a 16-byte load', () => {
    const special = fc.constantFrom('"', '\\', '\\"', '\\u0041', '\\u00g1', '\\x', '\u0000', '\u001f', '\t', '\n', 'é', '\u007f', '\\\\');
    const fast = new FastExtractor(DEFAULT_PATHS, 1 << 20);
    fc.assert(
      fc.property(fc.nat({ max: 40 }), special, fc.string({ maxLength: 20 }), fc.boolean(), (before, mid, after, inKey) => {
        const body = `${'x'.repeat(before)}${mid}${after}`;
        const text = inKey ? `{"${body}":1,"code":200}` : `{"code":200,"msg":"${body}","ts":"${body}","n":${before}}`;
        check(DEFAULT_PATHS, fast, Buffer.from(text), null);
      }),
      { numRuns: 3000 },
    );
  });

  // The module also decodes status, code and event time for the common forms (plain digits, the gateway's
  // ISO-8601 form with its hour cached): every form near those must come out as the JS side decides it.
  it('decodes status, code and time as the JS side does, line after line', () => {
    const d = (n: number, lo = 0, hi = 9): fc.Arbitrary<string> => fc.array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const isoLike = fc
      .tuple(
        fc.oneof(d(4), fc.constantFrom('0050', '0099', '0100', '1969', '2024', '2026', '9999')),
        fc.oneof(d(2), fc.constantFrom('00', '01', '02', '03', '12', '13')),
        fc.oneof(d(2), fc.constantFrom('00', '01', '29', '30', '31', '32')),
        fc.constantFrom('T', 't', ' ', 'x'),
        fc.oneof(d(2), fc.constantFrom('00', '23', '24', '99')),
        d(2),
        d(2),
        fc.oneof(fc.constant(''), fc.tuple(fc.constantFrom('.', ',', ':'), fc.integer({ min: 0, max: 11 })).chain(([sep, n]) => d(n).map((x) => sep + x))),
        fc.constantFrom('Z', 'z', '+08:00', '-0530', '+01', '-12:3', '+0800x', '', ' Z', '+08:60', '+0', '-'),
      )
      .map(([y, mo, day, sep, h, mi, sec, frac, zone]) => `${y}-${mo}-${day}${sep}${h}:${mi}:${sec}${frac}${zone}`);
    const sameHour = fc.tuple(d(2), d(2), fc.integer({ min: 0, max: 999 })).map(([mi, sec, ms]) => `2026-11-25T10:${mi}:${sec}.${ms}Z`);
    const number = fc.oneof(
      fc.integer({ min: -1000, max: 1_000_000 }).map(String),
      fc.constantFrom('200', '200.0', '2e2', '-0', '0', '99', '100', '599', '600', '999', '1000', '007', '1.5', '999999999999', '1000000000000', '1764064800', '1764064800123', '99999999999', '100000000000', '123456789012345', '1234567890123456', '1e11', '-5'),
    );
    const text = fc.oneof(isoLike, sameHour, fc.stringMatching(/^[0-9]{0,14}$/), fc.constantFrom('', 'x', '\u0032\u0030\u0030', '2026-11-25T10:00:00\u005a'));
    const value = fc.oneof(number, text.map((t) => `"${t}"`), fc.constantFrom('null', 'true', '{}', '[]', '{"code":1}'));
    const member = fc.tuple(fc.constantFrom('code', 'status', 'statusCode', 'ts', 'time', 'timestamp', '@timestamp', 'response', 'x'), value);
    const line = fc.array(member, { minLength: 1, maxLength: 5 }).map((ms) => Buffer.from(`{${ms.map(([k, v]) => `"${k}":${v}`).join(',')}}`));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const fast = new FastExtractor(DEFAULT_PATHS, 1 << 20);
        for (const l of lines) check(DEFAULT_PATHS, fast, l, null);
      }),
      { numRuns: 3000 },
    );
  });

  // The reader takes the lines of its read buffer in bulk (LineSink.lines -> FastExtractor.scanLines): cut
  // into reads anywhere, with blank, oversized, CRLF and invalid lines, every line must come out once, in
  // order, decided as the reference decides it (whether the module decided it or handed it back).
  it('scans the lines of the read buffer in bulk as the reference decides them one by one', () => {
    const buf = scanReadBuffer(1 << 20);
    const text = fc.oneof(
      { arbitrary: runs.map((ls) => ls.map((l) => l.toString('latin1'))), weight: 3 },
      fc.array(fc.constantFrom('', ' ', '\t \r', '{"code":1}\r', '{"code":2,"ts":"2026-11-25T10:00:00Z"}', 'x'.repeat(90), `{"code":3,"msg":"${'y'.repeat(80)}"}`, '{"code":4', '{"status":503}'), { maxLength: 30 }),
    );
    // Some reads hold more lines than one call records (1024), some cut lines anywhere.
    const many = fc.constantFrom('{"code":1}', '', '{}', ' ', '{"code":"x"}').chain((l) => fc.integer({ min: 1000, max: 2100 }).map((n) => Array.from({ length: n }, (_, k) => (k % 7 === 3 ? '{"code":2}' : l))));
    const input = fc.tuple(
      fc.array(fc.oneof(text, many), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.array(fc.oneof(fc.integer({ min: 1, max: 700 }), fc.integer({ min: 10_000, max: 40_000 })), { minLength: 1, maxLength: 40 }),
      fc.constantFrom(64, 100, 1 << 20),
    );
    fc.assert(
      fc.property(input, ([groups, lastNewline, cuts, max]) => {
        const lines = groups.flat().map((l) => l.replace(/\n/g, ''));
        const all = Buffer.from(lines.join('\n') + (lastNewline ? '\n' : ''), 'latin1');
        const fast = new FastExtractor(DEFAULT_PATHS, max);
        const got: string[] = [];
        const r = newLineResult();
        const decided = (b: Buffer, s: number, e: number): void => {
          got.push(`${b.toString('latin1', s, e)} ${JSON.stringify(summary(r))} ${r.outcome === 1 ? '' : r.close - s}`);
        };
        const framer = new LineFramer(max, {
          line(b, start, end, _newline, skip) {
            if (/^[ \t\r]*$/.test(b.toString('latin1', start + skip, end))) got.push(`${b.toString('latin1', start, end)} blank`);
            else {
              fast.extract(b, start + skip, end, r);
              decided(b, start, end);
            }
          },
          lines(b, from, to, maxLineBytes) {
            let pos = from;
            for (;;) {
              const n = fast.scanLines(b, pos, to, maxLineBytes);
              if (n < 0) return pos;
              for (let k = 0; k < n; k++) {
                const [s, e, type] = [fast.lineStart(k), fast.lineEnd(k), fast.lineType(k)];
                expect(b[e]).toBe(0x0a);
                if (type === LINE_BLANK) got.push(`${b.toString('latin1', s, e)} blank`);
                else if (type === LINE_DECIDED) {
                  fast.decided(k, r);
                  decided(b, s, e);
                } else this.line(b, s, e, true, 0);
              }
              pos = fast.linesNext;
              if (!fast.linesFull) return pos;
            }
          },
          oversizedPiece() {},
          oversizedEnd() {
            got.push('oversized');
          },
        });
        let at = 0;
        for (let k = 0; at < all.length; k++) {
          const n = Math.min(cuts[k % cuts.length]!, all.length - at);
          all.copy(buf, 0, at, at + n);
          framer.push(buf.subarray(0, n));
          at += n;
        }
        framer.end();
        const want: string[] = [];
        const parts = all.toString('latin1').split('\n');
        if (parts[parts.length - 1] === '') parts.pop();
        for (const line of parts) {
          if (Buffer.byteLength(line, 'latin1') > max) want.push('oversized');
          else if (/^[ \t\r]*$/.test(line)) want.push(`${line} blank`);
          else {
            extractReference(Buffer.from(line, 'latin1').toString('utf8'), DEFAULT_PATHS, r);
            const close = r.outcome === 1 ? '' : Buffer.from(line, 'latin1').lastIndexOf(0x7d);
            want.push(`${line} ${JSON.stringify(summary(r))} ${close}`);
          }
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('the committed module is what src/wasm/scan.ts compiles to (npm run build:wasm)', async () => {
    const script: string = '../../src/wasm/build.mjs';
    const build = (await import(script)) as { compile(): Promise<Buffer>; source(b: Buffer): string };
    const committed = readFileSync(new URL('../../src/extract/scan-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(build.source(await build.compile()));
  });
});
