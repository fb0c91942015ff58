// Event times read from bytes must equal the regex + Date.UTC path on the same text, for the gateway's
// forms and for everything near them that the fast path must hand over to the slow one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timeFromBytes, timeFromString } from '../../dist/extract/values.js';

const d = (n: number, lo = 0, hi = 9): fc.Arbitrary<string> => fc.array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }).map((a) => a.join(''));
const isoLike = fc
  .tuple(
    fc.oneof(d(4), fc.constantFrom('0050', '1969', '2026', '9999')),
    fc.oneof(d(2), fc.constantFrom('00', '01', '12', '13')),
    fc.oneof(d(2), fc.constantFrom('00', '31', '32')),
    fc.constantFrom('T', 't', ' ', 'x'),
    fc.oneof(d(2), fc.constantFrom('23', '24', '99')),
    d(2),
    d(2),
    fc.oneof(fc.constant(''), fc.tuple(fc.constantFrom('.', ',', ':'), fc.integer({ min: 0, max: 11 })).chain(([sep, n]) => d(n).map((x) => sep + x))),
    fc.constantFrom('Z', 'z', '+08:00', '-0530', '+01', '-12:3', '+0800x', '', ' Z', '+08:60'),
  )
  .map(([y, mo, day, sep, h, mi, s, frac, zone]) => `${y}-${mo}-${day}${sep}${h}:${mi}:${s}${frac}${zone}`);
const mangled = fc.tuple(isoLike, fc.nat(), fc.integer({ min: 0x20, max: 0x7e })).map(([t, at, c]) => {
  const i = at % t.length;
  return t.slice(0, i) + String.fromCharCode(c) + t.slice(i + 1);
});

function fromBytes(text: string): number {
  const b = Buffer.from(`"${text}"`);
  return timeFromBytes(b, 1, b.length - 1);
}

describe('event time from bytes', () => {
  it('equals the string path on ISO-8601 forms and near misses', () => {
    fc.assert(
      fc.property(fc.oneof(isoLike, mangled, fc.string({ maxLength: 30 })), (text) => {
        expect(Object.is(fromBytes(text), timeFromString(text)), text).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps the cached hour right when consecutive times change only in minutes, seconds or zone', () => {
    const times = ['2026-11-25T10:59:59.999Z', '2026-11-25T10:00:00+08:00', '2026-11-25T11:00:00Z', '2026-11-25t11:00:00.5z', '2026-11-25 11:30:00-0530', '2026-12-25T11:30:00Z'];
    for (const t of [...times, ...times.reverse()]) expect(fromBytes(t)).toBe(timeFromString(t));
    expect(fromBytes('2026-11-25T10:00:00.123+08:00')).toBe(Date.UTC(2026, 10, 25, 2, 0, 0, 123));
  });
});
