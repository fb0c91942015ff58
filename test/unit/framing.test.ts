// LineFramer: however the input is cut into reads, the same lines come out, each exactly once, and the
// same counts follow from them; lines over the byte limit come out as oversized pieces, never buffered.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PATHS } from '../../dist/extract/paths.js';
import { extractReference } from '../../dist/extract/reference.js';
import { OUTCOMES, OVERSIZED, newLineResult } from '../../dist/extract/result.js';
import { FastExtractor } from '../../dist/extract/scan.js';
import { LineFramer, type LineSink } from '../../dist/input/framing.js';

type Event = { kind: 'line'; text: string; newline: boolean; skip: number } | { kind: 'oversized'; text: string; newline: boolean };

/** Records what the framer hands out; oversized pieces are joined so the whole line can be compared. */
class Recorder implements LineSink {
  readonly events: Event[] = [];
  private pieces: Buffer[] = [];
  line(b: Buffer, start: number, end: number, newline: boolean, skip: number): void {
    this.events.push({ kind: 'line', text: b.toString('latin1', start, end), newline, skip });
  }
  oversizedPiece(b: Buffer, start: number, end: number): void {
    this.pieces.push(Buffer.from(b.subarray(start, end)));
  }
  oversizedEnd(newline: boolean): void {
    this.events.push({ kind: 'oversized', text: Buffer.concat(this.pieces).toString('latin1'), newline });
    this.pieces = [];
  }
}

/** What any framing must produce: split on LF, the last piece a line if not empty, the BOM on the first. */
function oracle(input: Buffer, max: number): Event[] {
  const parts = input.toString('latin1').split('\n');
  const out: Event[] = [];
  parts.forEach((text, i) => {
    const newline = i < parts.length - 1;
    if (!newline && text === '') return;
    if (Buffer.byteLength(text, 'latin1') > max) out.push({ kind: 'oversized', text, newline });
    else out.push({ kind: 'line', text, newline, skip: i === 0 && text.startsWith('\xef\xbb\xbf') ? 3 : 0 });
  });
  return out;
}

/** Cuts `input` at the given points (any order, duplicates allowed: empty reads happen too). */
function cut(input: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (input.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, input.length]) {
    out.push(input.subarray(prev, p));
    prev = p;
  }
  return out;
}

function frame(chunks: Buffer[], max: number): { events: Event[]; framer: LineFramer } {
  const rec = new Recorder();
  const framer = new LineFramer(max, rec);
  for (const c of chunks) framer.push(Buffer.from(c)); // a fresh buffer per read, as a reused one would be
  return { events: rec.events, framer };
}

// Inputs rich in what framing gets wrong: newlines, CR, BOM bytes, UTF-8 sequences, runs longer than the limit.
const token = fc.oneof(
  fc.constantFrom('\n', '\n', '\r\n', '\xef\xbb\xbf', '\xe4\xb8\xad', '{"code":200}', '"', ' ', '\x00'),
  fc.string({ maxLength: 12 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')),
  fc.integer({ min: 1, max: 90 }).map((n) => 'x'.repeat(n)),
);
const input = fc.array(token, { maxLength: 40 }).map((ts) => Buffer.from(ts.join(''), 'latin1'));

/** Any input, cut at any points into reads, framed under any limit, gives the oracle's events once ended. */
function framesLikeOracle(inputs: fc.Arbitrary<Buffer>, points: fc.Arbitrary<number[]>, limits: fc.Arbitrary<number>, numRuns: number): void {
  fc.assert(
    fc.property(inputs, points, limits, (bytes, at, max) => {
      const { events, framer } = frame(cut(bytes, at), max);
      framer.end();
      expect(events).toEqual(oracle(bytes, max));
    }),
    { numRuns },
  );
}

describe('LineFramer', () => {
  it('hands out the same lines, each exactly once, however the input is cut into reads', () => {
    framesLikeOracle(input, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 1, max: 64 }), 3000);
  });

  it('holds back only the unfinished last line, and only while it fits the limit', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (bytes, points, max) => {
        const { events, framer } = frame(cut(bytes, points), max);
        const tail = bytes.length - (bytes.lastIndexOf(0x0a) + 1);
        expect(framer.pending).toBe(tail <= max ? tail : 0);
        // Nothing of the unfinished line is counted before its newline.
        expect(events.filter((e) => !e.newline)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('grows its carry buffer for long lines cut into many reads, keeping what it holds', () => {
    const long = fc.array(fc.oneof(token, fc.integer({ min: 1, max: 9000 }).map((n) => 'y'.repeat(n))), { maxLength: 12 }).map((ts) => Buffer.from(ts.join(''), 'latin1'));
    framesLikeOracle(long, fc.array(fc.nat(), { maxLength: 60 }), fc.integer({ min: 1000, max: 40_000 }), 500);
  });

  it('cuts a line of exactly the limit whole, one byte more is oversized', () => {
    for (const split of [0, 1, 5, 9, 10, 11]) {
      const bytes = Buffer.from('0123456789\n0123456789a\nok\n');
      const { events, framer } = frame(cut(bytes, [split, split + 3]), 10);
      framer.end();
      expect(events.map((e) => e.kind)).toEqual(['line', 'oversized', 'line']);
    }
  });

  it('skips the BOM of the first line only, and again after end() for the next input', () => {
    const rec = new Recorder();
    const framer = new LineFramer(100, rec);
    framer.push(Buffer.from('\xef\xbb\xbf{}\n\xef\xbb\xbf{}\n', 'latin1'));
    framer.end();
    framer.push(Buffer.from('\xef\xbb\xbf{}', 'latin1'));
    framer.end();
    expect(rec.events.map((e) => (e.kind === 'line' ? e.skip : -1))).toEqual([3, 0, 3]);
  });
});

/** Outcome counts of an NDJSON text as the engine takes them: framer + fast extractor. */
function countFramed(chunks: Buffer[], max: number): number[] {
  const counts = OUTCOMES.map(() => 0);
  const extractor = new FastExtractor(DEFAULT_PATHS, max);
  const res = newLineResult();
  const framer = new LineFramer(max, {
    line(b, start, end, _newline, skip) {
      if (/^[ \t\r]*$/.test(b.toString('latin1', start + skip, end))) return;
      extractor.extract(b, start + skip, end, res);
      counts[res.outcome]!++;
    },
    oversizedPiece() {},
    oversizedEnd() {
      counts[OVERSIZED]!++;
    },
  });
  for (const c of chunks) framer.push(c);
  framer.end();
  return counts;
}

/** The same counts from the whole text: split on LF, JSON.parse per line. */
function countReference(text: Buffer, max: number): number[] {
  const counts = OUTCOMES.map(() => 0);
  const res = newLineResult();
  const lines = text.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const l = i === 0 && line.startsWith('\ufeff') ? line.slice(1) : line;
    if (Buffer.byteLength(line) > max) counts[OVERSIZED]!++;
    else if (!/^[ \t\r]*$/.test(l)) {
      extractReference(l, DEFAULT_PATHS, res);
      counts[res.outcome]!++;
    }
  });
  return counts;
}

const ndjsonLine = fc.oneof(
  fc.constantFrom('{"code":200}', '{"response":{"code":"4004"}}', '{"status":502}', '{"code":1.5}', '{}', '{"msg":"签名无效"}', '[1]', '{"code":200', '', ' \r', '{"code":200}\r'),
  fc.record({ code: fc.oneof(fc.integer({ min: -5, max: 600_000 }), fc.string({ maxLength: 6 })), msg: fc.string({ maxLength: 30 }) }).map((o) => JSON.stringify(o)),
);

describe('framing + extraction', () => {
  it('counts every line once under the same outcome, however the input is cut into reads', () => {
    fc.assert(
      fc.property(fc.array(ndjsonLine, { maxLength: 30 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 40 }), fc.integer({ min: 16, max: 80 }), (ls, lastNewline, points, max) => {
        const text = Buffer.from(ls.join('\n') + (lastNewline && ls.length > 0 ? '\n' : ''));
        const want = countReference(text, max);
        expect(countFramed(cut(text, points), max)).toEqual(want);
        // One byte per read: the most cuts there can be.
        expect(countFramed([...text].map((b) => Buffer.from([b])), max)).toEqual(want);
      }),
      { numRuns: 1500 },
    );
  });
});
