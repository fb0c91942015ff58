// The reader's counters: bucket records by category, and checkpoints on the log's own clock.
import { describe, expect, it } from 'vitest';
import { Breakdown } from '../../dist/aggregate/breakdown.js';
import { Tally } from '../../dist/aggregate/tally.js';
import { B_CATEGORIES, B_TOTAL, bucketEnd } from '../../dist/aggregate/types.js';
import { CATEGORIES } from '../../dist/codes/category.js';
import { CodeTable } from '../../dist/codes/table.js';
import { newLineResult, OK } from '../../dist/extract/result.js';

const table = CodeTable.builtin();

function line(code: number, timeMs: number) {
  const r = newLineResult();
  r.outcome = OK;
  r.code = code;
  r.timeMs = timeMs;
  return r;
}

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('Tally buckets', () => {
  it('counts each event second by category in its packed record', () => {
    const tally = new Tally(table, 100);
    tally.count(line(200, T0), Date.now());
    tally.count(line(5021, T0 + 10), Date.now());
    tally.count(line(500001, T0 + 20), Date.now());
    tally.count(line(200, T0 + 1000), Date.now());
    const b = tally.flush().buckets;
    const records: Record<string, number>[] = [];
    for (let at = 0; at < b.length; at = bucketEnd(b, at)) {
      records.push(Object.fromEntries([['sec', b[at]!], ['total', b[at + B_TOTAL]!], ...CATEGORIES.map((c, i) => [c, b[at + B_CATEGORIES + i]!])]));
    }
    expect(records).toEqual([
      expect.objectContaining({ sec: T0 / 1000, total: 3, success: 1, server: 1, platform_auth: 1, client: 0 }),
      expect.objectContaining({ sec: T0 / 1000 + 1, total: 1, success: 1, server: 0 }),
    ]);
  });
});

describe('Tally checkpoints', () => {
  /** Runs lines at the given event times (ms after T0) and returns the checkpoints with the ok count at each. */
  function checkpoints(offsetsMs: readonly number[], everyMs = 15_000): [number, number][] {
    const seen: [number, number][] = [];
    const tally: Tally = new Tally(table, 100, { everyMs, hook: (at) => seen.push([at - T0, tally.flush(at).outcomes[0]!]) });
    for (const t of offsetsMs) tally.count(line(200, T0 + t), Date.now());
    tally.finishCheckpoints();
    return seen;
  }

  it('starts with the counts before the first line and ends with the whole input', () => {
    expect(checkpoints([1000, 2000, 3000])).toEqual([
      [0, 0],
      [15_000, 3],
    ]);
  });

  it('makes one checkpoint per boundary passed, each with the lines before it', () => {
    expect(checkpoints([0, 14_999, 15_000, 50_000])).toEqual([
      [0, 0],
      [15_000, 2],
      [30_000, 3],
      [45_000, 3],
      [60_000, 4],
    ]);
  });

  it('does not follow one line far ahead of the rest', () => {
    expect(checkpoints([0, 86_400_000, 16_000])).toEqual([
      [0, 0],
      [15_000, 2],
      [30_000, 3],
    ]);
  });

  it('starts a new timeline without filling a confirmed jump of more than an hour', () => {
    const day = 86_400_000;
    expect(checkpoints([0, day, day + 1000])).toEqual([
      [0, 0],
      [15_000, 2],
      [day, 2],
      [day + 15_000, 3],
    ]);
  });

  it('runs on event time only: an untimed line before the first timed one neither starts nor moves the clock', () => {
    // The untimed line counts at arrival time (today); the log's lines are of T0, long before.
    expect(checkpoints([NaN, 1000, 2000, 16_000])).toEqual([
      [0, 1],
      [15_000, 3],
      [30_000, 4],
    ]);
  });

  it('makes none when no face asks for them', () => {
    const tally = new Tally(table, 100);
    tally.count(line(200, T0), Date.now());
    tally.finishCheckpoints();
    expect(Number.isNaN(tally.flush().checkpointMs)).toBe(true);
  });
});

describe('Breakdown pairs', () => {
  it('keeps every pair and its count when the series slots outgrow the table (256 rows at first)', () => {
    const series = Array.from({ length: 700 }, (_, slot) => ({ slot, code: String(1000 + slot), category: 'client' as const }));
    const b = new Breakdown(2, 10, 100_000);
    const want = [new Map<string, number>(), new Map<string, number>()];
    const labels = new Int32Array(2);
    // Slots in an order that grows the table twice, with pairs made before each growth counted again after it.
    for (let round = 0; round < 3; round++) {
      for (const slot of [0, 255, 3, 256, 511, 512, 699, 1, 300]) {
        labels[0] = 2 + (slot % 7);
        labels[1] = 2 + ((slot + round) % 3);
        b.count(labels, slot, series);
        for (let d = 0; d < 2; d++) {
          const key = `${labels[d]}|${series[slot]!.code}`;
          want[d]!.set(key, (want[d]!.get(key) ?? 0) + 1);
        }
      }
    }
    const pairs = b.takeAdded();
    const counts = b.snapshot();
    for (let d = 0; d < 2; d++) {
      const got = new Map(pairs.filter((p) => p.dim === d).map((p) => [`${p.label}|${p.code}`, counts[d]![p.pair]!]));
      expect(got).toEqual(want[d]);
    }
  });
});
