// The remote-write encoding (SPEC "History"): what prompb's own schema reads back from a request body, and
// the series table behind it.
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { SeriesTable } from '../../dist/export/frames.js';
import { WriteRequestEncoder } from '../../dist/export/remote-write.js';
import { decodeWriteRequest, labelsOf, staleMarkers } from '../support/remote-write.js';

/** A family whose series and values the test sets. */
function family(name: string, labelNames: string[], type: 'counter' | 'gauge' = 'counter') {
  const state: { series: { values: string[] }[]; values: number[] } = { series: [], values: [] };
  return {
    state,
    family: {
      name,
      type,
      help: `${name} help`,
      labelNames,
      collect: (each: (s: { values: string[] }, v: number) => void) => state.series.forEach((s, i) => each(s, state.values[i]!)),
    },
  };
}

const EXTERNAL: [string, string][] = [
  ['instance', 'gw-1'],
  ['job', 'errcode-stream'],
];
const T = Date.UTC(2026, 10, 28, 14, 5, 0);

describe('WriteRequestEncoder', () => {
  it("encodes frames that prompb's schema reads: each series once, labels sorted, its samples in time order", () => {
    const r = family('errcode_responses_total', ['code', 'category']);
    r.state.series = [{ values: ['5021', 'server'] }, { values: ['200', 'success'] }];
    const table = new SeriesTable([r.family], EXTERNAL);
    const frames = [];
    for (let i = 0; i < 3; i++) {
      r.state.values = [i * 10, i * 100];
      frames.push(table.frame(T + i * 15_000));
    }
    const encoder = new WriteRequestEncoder(table);
    const series = decodeWriteRequest(encoder.encode(frames.map((frame) => ({ frame, from: 0, to: frame.ids.length }))));
    expect(series).toHaveLength(2);
    expect(series[0]!.labels).toEqual([
      { name: '__name__', value: 'errcode_responses_total' },
      { name: 'category', value: 'server' },
      { name: 'code', value: '5021' },
      { name: 'instance', value: 'gw-1' },
      { name: 'job', value: 'errcode-stream' },
    ]);
    expect(series[0]!.samples).toEqual([
      { value: 0, timestamp: T },
      { value: 10, timestamp: T + 15_000 },
      { value: 20, timestamp: T + 30_000 },
    ]);
    expect(series[1]!.samples.map((s) => s.value)).toEqual([0, 100, 200]);
  });

  it('keeps hostile label values as they are, in valid UTF-8 (a lone surrogate becomes U+FFFD)', () => {
    const hostile = ['say "hi"', 'back\\slash', 'two\nlines', '签名无效 ☃', 'lone \ud800 surrogate', '{}=,'];
    const info = family('errcode_code_info', ['code', 'description'], 'gauge');
    info.state.series = hostile.map((d, i) => ({ values: [String(i), d] }));
    info.state.values = hostile.map(() => 1);
    const table = new SeriesTable([info.family], EXTERNAL);
    const frame = table.frame(T);
    const raw = new WriteRequestEncoder(table).encode([{ frame, from: 0, to: frame.ids.length }]);
    const expected = [...hostile.slice(0, 4), 'lone \ufffd surrogate', '{}=,'];
    expect(decodeWriteRequest(raw).map((s) => labelsOf(s)['description'])).toEqual(expected);
    // On the wire as UTF-8, byte for byte; never the surrogate's own bytes (ED A0 80), which are not UTF-8.
    for (const v of expected) expect(Buffer.from(raw).includes(Buffer.from(v, 'utf8'))).toBe(true);
    expect(Buffer.from(raw).includes(Buffer.from([0xed, 0xa0, 0x80]))).toBe(false);
  });

  it("lets a series' own label win over a pushed label of the same name, and leaves empty values out", () => {
    const f = family('errcode_input_lines_total', ['outcome', 'job', 'empty']);
    f.state.series = [{ values: ['ok', 'mine', ''] }];
    f.state.values = [7];
    const table = new SeriesTable([f.family], [['Zone', 'a'], ...EXTERNAL]);
    const frame = table.frame(T);
    const [s] = decodeWriteRequest(new WriteRequestEncoder(table).encode([{ frame, from: 0, to: 1 }]));
    // Byte order: upper case before '_', '_' before lower case.
    expect(s!.labels.map((l) => l.name)).toEqual(['Zone', '__name__', 'instance', 'job', 'outcome']);
    expect(labelsOf(s!)['job']).toBe('mine');
  });

  it("marks stale samples with the spec's NaN, 0x7ff0000000000002", () => {
    const f = family('errcode_input_bytes_total', []);
    f.state.series = [{ values: [] }];
    f.state.values = [42];
    const table = new SeriesTable([f.family], EXTERNAL);
    const last = table.frame(T);
    const end = table.ended(last, T + 15_000);
    const raw = new WriteRequestEncoder(table).encode([
      { frame: last, from: 0, to: 1 },
      { frame: end, from: 0, to: 1 },
    ]);
    const [s] = decodeWriteRequest(raw);
    expect(s!.samples.map((x) => x.timestamp)).toEqual([T, T + 15_000]);
    expect(s!.samples[0]!.value).toBe(42);
    expect(Number.isNaN(s!.samples[1]!.value)).toBe(true);
    expect(staleMarkers(raw)).toBe(1);
  });

  it("compresses in snappy's block format, not the framed one", () => {
    const f = family('errcode_input_bytes_total', []);
    f.state.series = [{ values: [] }];
    f.state.values = [1];
    const table = new SeriesTable([f.family], EXTERNAL);
    const frame = table.frame(T);
    const encoder = new WriteRequestEncoder(table);
    const raw = encoder.encode([{ frame, from: 0, to: 1 }]);
    const body = encoder.body([{ frame, from: 0, to: 1 }]);
    // The block format starts with the uncompressed length as a varint; the framed format with 0xff "sNaPpY".
    expect(body[0]).toBe(raw.length);
    expect(body.subarray(0, 10).includes(Buffer.from('sNaPpY'))).toBe(false);
    expect(Buffer.from(snappy.uncompressSync(body) as Buffer).equals(Buffer.from(raw))).toBe(true);
  });

  it('takes part of a frame: the series from..to of it', () => {
    const f = family('errcode_responses_total', ['code']);
    f.state.series = ['1', '2', '3', '4'].map((c) => ({ values: [c] }));
    f.state.values = [1, 2, 3, 4];
    const table = new SeriesTable([f.family], []);
    const frame = table.frame(T);
    const series = decodeWriteRequest(new WriteRequestEncoder(table).encode([{ frame, from: 1, to: 3 }]));
    expect(series.map((s) => labelsOf(s)['code'])).toEqual(['2', '3']);
  });
});

describe('SeriesTable', () => {
  it('gives a series re-made by its family (same labels, a new object) the id it had', () => {
    const f = family('errcode_code_info', ['code']);
    f.state.series = [{ values: ['200'] }];
    f.state.values = [1];
    const table = new SeriesTable([f.family], EXTERNAL);
    const a = table.frame(T);
    f.state.series = [{ values: ['200'] }];
    const b = table.frame(T + 1);
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
    expect(table.entries).toHaveLength(1);
  });

  it('gives stale markers to the series that left since an earlier frame', () => {
    const f = family('errcode_code_info', ['code']);
    f.state.series = [{ values: ['200'] }, { values: ['4004'] }];
    f.state.values = [1, 1];
    const table = new SeriesTable([f.family], []);
    const a = table.frame(T);
    f.state.series = [f.state.series[0]!];
    table.frame(T + 15_000);
    const gone = table.gone(a, T + 15_000);
    expect(gone?.stale).toBe(true);
    expect(Array.from(gone!.ids).map((id) => table.entries[id].labels)).toEqual([[['__name__', 'errcode_code_info'], ['code', '4004']]]);
    expect(table.gone(table.frame(T + 30_000), T + 30_000)).toBeUndefined();
  });
});
