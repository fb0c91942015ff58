import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SPIKE_OPTIONS,
  SpikeDetector,
  type SlotDescription,
} from '../../dist/alerts/detector.js';
import type { AlertEvent } from '../../dist/alerts/events.js';
import { packBuckets, type BucketDelta } from '../../dist/aggregate/types.js';

// Series slots as the engine would number them. 500 and 500003 carry no category, so their family comes from
// the code's shape, as it does when the caller describes a slot by code and description only.
const SERIES: Record<number, SlotDescription> = {
  0: { code: '5021', description: '数据库服务连接失败，请稍后再试', category: 'server' },
  1: { code: '500', description: '服务发生错误,请稍后再试' },
  2: { code: 'http_502', description: '系统级错误', category: 'system' },
  3: { code: '500003', description: '签名无效' },
  4: { code: '500010', description: '时间戳无效', category: 'platform_auth' },
  5: { code: '5022', description: 'REDIS服务连接失败，请稍后再试', category: 'server' },
  6: { code: '5023', description: '发送邮件可能出现异常,请检查收件箱', category: 'server' },
  7: { code: '501', description: '请求的接口暂未实现', category: 'server' },
  8: { code: 'other', description: '错误代码表中没有此代码' },
};
const SERVER_SLOTS = [0, 1, 2];
const PLATFORM_SLOTS = [3, 4];
const describeSlot = (slot: number): SlotDescription =>
  SERIES[slot] ?? { code: `9${slot}`, description: `series ${slot}`, category: 'server' };

const T0 = Date.UTC(2024, 0, 1) / 1000;

/** One flush of `deltas`, packed as the reader sends them. */
const add = (det: SpikeDetector, deltas: readonly BucketDelta[]): AlertEvent[] => det.add(packBuckets(deltas));
const iso = (sec: number): string => new Date(sec * 1000).toISOString();
const secOf = (isoTime: string): number => Date.parse(isoTime) / 1000;

// A seeded generator, so every run sees the same "random" traffic.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function binomial(rand: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
}

/** One second of traffic: `total` responses, of which errors by series slot. */
function second(sec: number, total: number, errors: Record<number, number> = {}): BucketDelta {
  let server = 0;
  let platform = 0;
  const codes: number[] = [];
  for (const [slotText, n] of Object.entries(errors)) {
    const slot = Number(slotText);
    if (n === 0) continue;
    codes.push(slot, n);
    if (PLATFORM_SLOTS.includes(slot)) platform += n;
    else server += n;
  }
  return { sec, total: Math.max(total, server + platform), server, platform, codes };
}

interface Phase {
  seconds: number;
  /** Responses per second. */
  rate: number;
  server?: number;
  platform?: number;
  /** Slots the phase's server (or platform) errors go to, the first most often. */
  serverSlots?: number[];
  platformSlots?: number[];
}

/** Seconds of traffic from `start`, phase after phase; the rate may be fractional (a line every few seconds). */
function traffic(start: number, phases: Phase[], seed = 1): BucketDelta[] {
  const rand = prng(seed);
  const out: BucketDelta[] = [];
  let sec = start;
  let carry = 0;
  for (const ph of phases) {
    for (let i = 0; i < ph.seconds; i++, sec++) {
      carry += ph.rate;
      const total = Math.floor(carry);
      carry -= total;
      const errors: Record<number, number> = {};
      const spread = (n: number, slots: number[]): void => {
        for (let k = 0; k < n; k++) {
          // Two thirds to the first slot, the rest shared: the first is the clear top code.
          const slot = rand() < 0.67 ? slots[0]! : slots[1 + Math.floor(rand() * (slots.length - 1))] ?? slots[0]!;
          errors[slot] = (errors[slot] ?? 0) + 1;
        }
      };
      spread(binomial(rand, total, ph.server ?? 0.01), ph.serverSlots ?? SERVER_SLOTS);
      spread(binomial(rand, total, ph.platform ?? 0.003), ph.platformSlots ?? PLATFORM_SLOTS);
      out.push(second(sec, total, errors));
    }
  }
  return out;
}

/** Splits a second into two deltas, as a flush boundary inside that second would. */
function halves(d: BucketDelta): BucketDelta[] {
  const half = (n: number): number => Math.floor(n / 2);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < d.codes.length; i += 2) {
    a.push(d.codes[i]!, half(d.codes[i + 1]!));
    b.push(d.codes[i]!, d.codes[i + 1]! - half(d.codes[i + 1]!));
  }
  return [
    { sec: d.sec, total: half(d.total), server: half(d.server), platform: half(d.platform), codes: a },
    {
      sec: d.sec,
      total: d.total - half(d.total),
      server: d.server - half(d.server),
      platform: d.platform - half(d.platform),
      codes: b,
    },
  ];
}

/** Feeds seconds in flushes of `perFlush` seconds, each second in two pieces; returns every event. */
function feed(det: SpikeDetector, seconds: readonly BucketDelta[], perFlush = 1): AlertEvent[] {
  const events: AlertEvent[] = [];
  for (let i = 0; i < seconds.length; i += perFlush) {
    events.push(...add(det, seconds.slice(i, i + perFlush).flatMap(halves)));
  }
  return events;
}

const detector = (): SpikeDetector => new SpikeDetector(DEFAULT_SPIKE_OPTIONS, describeSlot);
const only = (events: AlertEvent[], family: string): AlertEvent[] => events.filter((e) => e.family === family);

describe('SpikeDetector', () => {
  it('fires a server spike once within 30 s of its onset and resolves it once after it ends', () => {
    const det = detector();
    const onset = T0 + 900;
    const end = onset + 180;
    const before = feed(det, traffic(T0, [{ seconds: 900, rate: 100 }]));
    expect(before).toEqual([]);
    expect(det.baseline('server')).toBeGreaterThan(0.005);
    expect(det.baseline('server')).toBeLessThan(0.015);

    const during = feed(det, traffic(onset, [{ seconds: 180, rate: 100, server: 0.2 }], 2));
    expect(during).toHaveLength(1);
    const firing = during[0]!;
    expect(firing).toMatchObject({ type: 'alert', status: 'firing', family: 'server', window_seconds: 60 });
    expect(firing.endsAt).toBeUndefined();
    expect(secOf(firing.startsAt)).toBeGreaterThan(onset);
    expect(secOf(firing.startsAt)).toBeLessThanOrEqual(onset + 30);
    expect(firing.count).toBeGreaterThanOrEqual(20);
    expect(firing.ratio).toBeGreaterThanOrEqual(0.05);
    expect(firing.ratio).toBeGreaterThanOrEqual(3 * firing.baseline_ratio);
    expect(firing.ratio).toBeCloseTo(firing.count / firing.total, 5);
    expect(firing.baseline_ratio).toBeGreaterThan(0.005);
    expect(firing.baseline_ratio).toBeLessThan(0.015);
    expect(firing.top_codes[0]).toEqual({
      code: '5021',
      count: expect.any(Number),
      description: '数据库服务连接失败，请稍后再试',
    });
    // Codes of the other family never show up in a server event.
    expect(firing.top_codes.map((c) => c.code).sort()).toEqual(['500', '5021', 'http_502']);
    expect(det.active('server')).toBe(true);
    expect(det.active('platform')).toBe(false);
    expect(det.firedTotal('server')).toBe(1);
    expect(det.ratio('server')).toBeGreaterThan(0.15);

    const after = feed(det, traffic(end, [{ seconds: 600, rate: 100 }], 3));
    expect(after).toHaveLength(1);
    const resolved = after[0]!;
    expect(resolved).toMatchObject({ status: 'resolved', family: 'server', startsAt: firing.startsAt });
    // Below the threshold for a full window: never before the spike has left the window and a window more.
    expect(secOf(resolved.endsAt!)).toBeGreaterThan(end + 60);
    expect(secOf(resolved.endsAt!)).toBeLessThanOrEqual(end + 120);
    expect(resolved.ratio).toBeLessThan(0.05);
    expect(det.active('server')).toBe(false);
    expect(det.firedTotal('server')).toBe(1);
  });

  it('fires and resolves a platform spike the same way, leaving the server family alone', () => {
    const det = detector();
    const onset = T0 + 600;
    const events = feed(
      det,
      traffic(T0, [
        { seconds: 600, rate: 80 },
        { seconds: 120, rate: 80, platform: 0.15, platformSlots: [3, 4] },
        { seconds: 600, rate: 80 },
      ]),
      3,
    );
    expect(events.map((e) => `${e.family}:${e.status}`)).toEqual(['platform:firing', 'platform:resolved']);
    const [firing, resolved] = events as [AlertEvent, AlertEvent];
    expect(secOf(firing.startsAt) - onset).toBeLessThanOrEqual(30);
    expect(firing.top_codes[0]).toMatchObject({ code: '500003', description: '签名无效' });
    expect(firing.top_codes.map((c) => c.code).sort()).toEqual(['500003', '500010']);
    expect(resolved.startsAt).toBe(firing.startsAt);
    expect(secOf(resolved.endsAt!)).toBeGreaterThan(onset + 120 + 60);
    expect(det.firedTotal('platform')).toBe(1);
    expect(det.firedTotal('server')).toBe(0);
  });

  it('counts two separated spikes as two incidents', () => {
    const det = detector();
    const events = feed(
      det,
      traffic(T0, [
        { seconds: 600, rate: 100 },
        { seconds: 90, rate: 100, server: 0.25 },
        { seconds: 600, rate: 100 },
        { seconds: 90, rate: 100, server: 0.25, serverSlots: [2, 0] },
        { seconds: 600, rate: 100 },
      ]),
      5,
    );
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    expect(events.every((e) => e.family === 'server')).toBe(true);
    expect(events[0]!.startsAt).toBe(events[1]!.startsAt);
    expect(events[2]!.startsAt).toBe(events[3]!.startsAt);
    expect(secOf(events[2]!.startsAt)).toBeGreaterThan(secOf(events[1]!.endsAt!));
    expect(events[2]!.top_codes[0]!.code).toBe('http_502');
    expect(det.firedTotal('server')).toBe(2);
  });

  it('stays silent through two hours of normal background errors and learns them as the baseline', () => {
    const det = detector();
    // Traffic swings between 40 and 160 responses a second; server errors around 1%, platform around 0.3%,
    // with the odd busier minute of server errors at 2%.
    const phases: Phase[] = [];
    for (let m = 0; m < 120; m++) {
      const rate = 100 + 60 * Math.sin((m / 120) * 2 * Math.PI);
      phases.push({ seconds: 60, rate, server: m % 17 === 5 ? 0.02 : 0.01, platform: 0.003 });
    }
    const events = feed(det, traffic(T0, phases, 7), 10);
    expect(events).toEqual([]);
    expect(det.firedTotal('server')).toBe(0);
    expect(det.firedTotal('platform')).toBe(0);
    expect(det.baseline('server')).toBeGreaterThan(0.008);
    expect(det.baseline('server')).toBeLessThan(0.014);
    expect(det.baseline('platform')).toBeGreaterThan(0.001);
    expect(det.baseline('platform')).toBeLessThan(0.005);
  });

  it('stays silent on low traffic (< 1 req/s) with a handful of errors', () => {
    const det = detector();
    const events = feed(det, [
      ...traffic(T0, [{ seconds: 300, rate: 0.5, server: 0 }]),
      // Five server errors in ten seconds: a 100% share of those seconds, but far below the least count.
      ...traffic(T0 + 300, [{ seconds: 10, rate: 0.5, server: 1 }]),
      ...traffic(T0 + 310, [{ seconds: 300, rate: 0.5, server: 0 }]),
    ]);
    expect(events).toEqual([]);
    expect(det.firedTotal('server')).toBe(0);
  });

  it('fires a big spike with no history yet (warm-up) and reports no baseline for it', () => {
    const det = detector();
    const events = feed(det, traffic(T0, [{ seconds: 60, rate: 50, server: 0.5 }]));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 'firing', family: 'server', baseline_ratio: 0 });
    expect(secOf(events[0]!.startsAt) - T0).toBeLessThanOrEqual(5);
  });

  it('starting in the middle of a spike, fires it, resolves it, and keeps it out of the baseline', () => {
    const det = detector();
    const events = feed(
      det,
      traffic(T0, [
        { seconds: 180, rate: 100, server: 0.4 },
        { seconds: 900, rate: 100 },
        { seconds: 120, rate: 100, server: 0.1 },
      ]),
      3,
    );
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved', 'firing']);
    expect(secOf(events[1]!.endsAt!)).toBeLessThanOrEqual(T0 + 180 + 120);
    expect(events[2]!.baseline_ratio).toBeGreaterThan(0.005);
    expect(events[2]!.baseline_ratio).toBeLessThan(0.015);
  });

  it('does not fire what only the factor would allow while the ratio floor is not met', () => {
    const det = detector();
    // 0.2% -> 3%: fifteen times the baseline, with 180 errors a window, but under the 5% floor.
    const events = feed(
      det,
      traffic(T0, [
        { seconds: 1800, rate: 100, server: 0.002 },
        { seconds: 300, rate: 100, server: 0.03 },
      ]),
      10,
    );
    expect(events).toEqual([]);
  });

  it('does not fire a share that is high but normal for the family (under factor x baseline)', () => {
    const det = detector();
    // A family that always runs at 8%: above the 5% floor, so it fires while there is no baseline yet; its
    // warm-up ends that incident, and once learned, 15% (< 3 x 8%) is no spike.
    const events = feed(
      det,
      traffic(T0, [
        { seconds: 3600, rate: 100, server: 0.08 },
        { seconds: 300, rate: 100, server: 0.15 },
      ]),
      10,
    );
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(secOf(events[1]!.endsAt!)).toBeLessThan(T0 + 3600);
    expect(det.baseline('server')).toBeGreaterThan(0.06);
  });

  it('gives one incident while the share hovers around the threshold (hysteresis)', () => {
    const det = detector();
    const phases: Phase[] = [{ seconds: 600, rate: 100 }];
    // Ten minutes alternating 30 s of 12% with 40 s of 0.5%: the window share dips under 5% for a while
    // in every lull, but never for a full window.
    for (let i = 0; i < 9; i++) {
      phases.push({ seconds: 30, rate: 100, server: 0.12 }, { seconds: 40, rate: 100, server: 0.005 });
    }
    phases.push({ seconds: 400, rate: 100 });
    const events = feed(det, traffic(T0, phases, 11), 2);
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(secOf(events[1]!.endsAt!)).toBeGreaterThan(T0 + 600 + 600);
  });

  it('finds the same incident when seconds arrive split, shuffled and a few seconds late', () => {
    const seconds = traffic(T0, [
      { seconds: 600, rate: 100 },
      { seconds: 120, rate: 100, server: 0.2 },
      { seconds: 400, rate: 100 },
    ]);
    const inOrder = feed(detector(), seconds);

    // Two interleaved sources: every other second shows up three flushes late, and each flush is shuffled.
    const rand = prng(99);
    const det = detector();
    const events: AlertEvent[] = [];
    const held: BucketDelta[][] = [[], [], []];
    for (let i = 0; i < seconds.length; i += 2) {
      const now = seconds.slice(i, i + 2).flatMap(halves);
      const late = now.filter((d) => d.sec % 2 === 1);
      const flush = [...now.filter((d) => d.sec % 2 === 0), ...held.shift()!];
      held.push(late);
      flush.sort(() => rand() - 0.5);
      events.push(...add(det, flush));
    }
    for (const rest of held) events.push(...add(det, rest));

    expect(inOrder.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(Math.abs(secOf(events[0]!.startsAt) - secOf(inOrder[0]!.startsAt))).toBeLessThanOrEqual(8);
    expect(Math.abs(secOf(events[1]!.endsAt!) - secOf(inOrder[1]!.endsAt!))).toBeLessThanOrEqual(8);
  });

  it('reads a flush that spans minutes, whatever the order of its seconds', () => {
    const seconds = traffic(T0, [
      { seconds: 600, rate: 100 },
      { seconds: 120, rate: 100, server: 0.2 },
      { seconds: 400, rate: 100 },
    ]);
    const inOrder = feed(detector(), seconds);
    const det = detector();
    const events: AlertEvent[] = [];
    for (let i = 0; i < seconds.length; i += 300) events.push(...add(det, seconds.slice(i, i + 300).reverse()));
    expect(events).toEqual(inOrder);
  });

  it('ignores data older than the window for detection', () => {
    const det = detector();
    expect(feed(det, traffic(T0, [{ seconds: 600, rate: 100 }]))).toEqual([]);
    const ratioBefore = det.ratio('server');
    // A burst of server errors stamped 90 s ago, well behind the 60 s window.
    const stale = Array.from({ length: 20 }, (_, i) => second(T0 + 600 - 90 - i, 200, { 0: 180 }));
    expect(add(det, stale)).toEqual([]);
    expect(det.ratio('server')).toBe(ratioBefore);
    expect(feed(det, traffic(T0 + 600, [{ seconds: 120, rate: 100 }], 5))).toEqual([]);
    expect(det.firedTotal('server')).toBe(0);
  });

  it('resolves on an idle stream when only time advances', () => {
    const det = detector();
    const events = feed(det, traffic(T0, [{ seconds: 600, rate: 100 }, { seconds: 60, rate: 100, server: 0.3 }]));
    expect(events.map((e) => e.status)).toEqual(['firing']);
    const last = T0 + 660 - 1;
    const ticked: AlertEvent[] = [];
    for (let t = last + 1; t <= last + 200; t++) ticked.push(...det.tick(t + 0.4));
    expect(ticked.map((e) => e.status)).toEqual(['resolved']);
    expect(secOf(ticked[0]!.endsAt!)).toBeLessThanOrEqual(last + 1 + 2 * 60);
    expect(det.active('server')).toBe(false);
    expect(det.ratio('server')).toBe(0);
    // Time never moves back, and a tick before any data does nothing.
    expect(det.tick(T0)).toEqual([]);
    expect(detector().tick(T0)).toEqual([]);
  });

  it('follows event time back when an older log is replayed after a newer one', () => {
    const det = detector();
    const newer = traffic(T0 + 86_400, [{ seconds: 600, rate: 100 }], 1);
    const older = traffic(T0, [
      { seconds: 600, rate: 100 },
      { seconds: 120, rate: 100, server: 0.25 },
      { seconds: 300, rate: 100 },
    ], 2);
    const events = [...feed(det, newer, 5), ...feed(det, older, 5)];
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(secOf(events[0]!.startsAt)).toBeGreaterThan(T0 + 600);
    expect(secOf(events[0]!.startsAt)).toBeLessThanOrEqual(T0 + 630);
  });

  it('is not blinded by one line stamped far in the future', () => {
    const det = detector();
    feed(det, traffic(T0, [{ seconds: 600, rate: 100 }]));
    expect(add(det, [second(T0 + 10 * 365 * 86_400, 1)])).toEqual([]);
    const events = feed(
      det,
      traffic(T0 + 600, [{ seconds: 300, rate: 100 }, { seconds: 120, rate: 100, server: 0.25 }], 3),
    );
    expect(events.map((e) => e.status)).toEqual(['firing']);
    expect(secOf(events[0]!.startsAt)).toBeGreaterThan(T0 + 900);
    // The jump there and back carried no traffic, so what was learned before it still counts.
    expect(events[0]!.baseline_ratio).toBeGreaterThan(0.005);
  });

  it('closes an incident that is open when event time jumps back', () => {
    const det = detector();
    const events = [
      ...feed(det, traffic(T0 + 86_400, [{ seconds: 300, rate: 100 }, { seconds: 60, rate: 100, server: 0.3 }])),
      ...feed(det, traffic(T0, [{ seconds: 300, rate: 100 }])),
    ];
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(secOf(events[1]!.endsAt!)).toBe(T0 + 86_400 + 360);
    expect(det.active('server')).toBe(false);
  });

  it('lists at most five top codes, most frequent first, with their descriptions', () => {
    const det = detector();
    const events = add(det, 
      Array.from({ length: 30 }, (_, i) => second(T0 + i, 100, { 0: 10, 5: 8, 6: 6, 7: 4, 1: 2, 2: 1 })),
    );
    expect(events).toHaveLength(1);
    const top = events[0]!.top_codes;
    expect(top.map((c) => c.code)).toEqual(['5021', '5022', '5023', '501', '500']);
    // It fires on the first second judged, so the window holds that second alone.
    expect(top.map((c) => c.count)).toEqual([10, 8, 6, 4, 2]);
    expect(top[1]).toEqual({ code: '5022', count: 8, description: 'REDIS服务连接失败，请稍后再试' });
  });

  it('puts a series of no recognisable family with the errors of its second', () => {
    const det = detector();
    // `other` without a category: its family can only come from the delta it arrives in.
    const seconds = Array.from({ length: 30 }, (_, i): BucketDelta => ({
      sec: T0 + i,
      total: 100,
      server: 0,
      platform: 40,
      codes: [8, 30, 3, 10],
    }));
    const events = add(det, seconds);
    expect(events.map((e) => `${e.family}:${e.status}`)).toEqual(['platform:firing']);
    expect(events[0]!.top_codes.map((c) => c.code)).toEqual(['other', '500003']);
  });

  it('writes the event fields in the order SPEC gives them', () => {
    const det = detector();
    const events = feed(det, traffic(T0, [{ seconds: 60, rate: 100, server: 0.5 }, { seconds: 200, rate: 100, server: 0 }]));
    expect(events.map((e) => Object.keys(e))).toEqual([
      ['type', 'status', 'family', 'startsAt', 'window_seconds', 'count', 'total', 'ratio', 'baseline_ratio', 'top_codes'],
      [
        'type',
        'status',
        'family',
        'startsAt',
        'endsAt',
        'window_seconds',
        'count',
        'total',
        'ratio',
        'baseline_ratio',
        'top_codes',
      ],
    ]);
    expect(events[0]!.startsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  it('honours its options', () => {
    const strict = new SpikeDetector({ windowSec: 30, minCount: 1000, ratio: 0.05, factor: 3 }, describeSlot);
    const seconds = traffic(T0, [{ seconds: 60, rate: 100, server: 0.3 }]);
    expect(feed(strict, seconds)).toEqual([]);
    const loose = new SpikeDetector({ windowSec: 30, minCount: 5, ratio: 0.02, factor: 3 }, describeSlot);
    const events = feed(loose, traffic(T0, [{ seconds: 60, rate: 10, server: 0.1 }]));
    expect(events[0]).toMatchObject({ status: 'firing', window_seconds: 30 });
    expect(loose.windowSec).toBe(30);
  });

  it('rejects options it cannot honour', () => {
    const make = (o: Partial<typeof DEFAULT_SPIKE_OPTIONS>) => () =>
      new SpikeDetector({ ...DEFAULT_SPIKE_OPTIONS, ...o }, describeSlot);
    expect(make({ windowSec: 0 })).toThrow(/alert window .* got 0/);
    expect(make({ windowSec: 1.5 })).toThrow(RangeError);
    expect(make({ ratio: 0 })).toThrow(/alert ratio/);
    expect(make({ ratio: 1.5 })).toThrow(/alert ratio/);
    expect(make({ minCount: -1 })).toThrow(/min count/);
    expect(make({ factor: Number.NaN })).toThrow(/factor/);
  });

  it('crosses a gap of years in one step', () => {
    const det = detector();
    feed(det, traffic(T0, [{ seconds: 120, rate: 100 }]));
    // One step per second would take minutes here; the test's timeout is the assertion.
    expect(det.tick(T0 + 120 + 50 * 365 * 86_400)).toEqual([]);
    const events = feed(det, traffic(T0 + 120 + 50 * 365 * 86_400, [{ seconds: 60, rate: 100, server: 0.4 }]));
    expect(events.map((e) => e.status)).toEqual(['firing']);
  });

  it('keeps memory constant in the stream length', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const det = detector();
    const rand = prng(5);
    // Each second brings a few of 300 series, so a per-second or per-series leak would show.
    const run = (from: number, n: number): void => {
      for (let s = from; s < from + n; s++) {
        const errors: Record<number, number> = {};
        for (let k = 0; k < 4; k++) errors[8 + Math.floor(rand() * 300)] = 1 + Math.floor(rand() * 3);
        add(det, [second(s, 500, errors)]);
      }
    };
    run(T0, 20_000);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    run(T0 + 20_000, 300_000);
    gc();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('SpikeDetector places (top_labels)', () => {
  const names = ['route', 'app'];
  const values: Record<number, string[]> = { 0: ['none', 'other', '/openapi/v1/orders/:id', '/openapi/v1/token'], 1: ['none', 'other', 'ak_1', 'ak_2'] };
  const labels = { names, value: (dim: number, label: number) => values[dim]![label]! };
  const key = (dim: number, family: number, label: number): number => (dim * 2 + family) * 65536 + label;

  /** A second with `errors` server errors on slot 0, split between labels as given. */
  function placed(sec: number, total: number, errors: number, routes: Record<number, number>, apps: Record<number, number>): BucketDelta {
    const b = second(sec, total, { 0: errors });
    const pairs: number[] = [];
    for (const [l, n] of Object.entries(routes)) pairs.push(key(0, 0, Number(l)), n);
    for (const [l, n] of Object.entries(apps)) pairs.push(key(1, 0, Number(l)), n);
    return { ...b, labels: pairs };
  }

  it('names the places of a firing alert with their exact counts in the window', () => {
    const det = new SpikeDetector({ ...DEFAULT_SPIKE_OPTIONS, windowSec: 10 }, describeSlot, labels);
    const events: AlertEvent[] = [];
    // 20 quiet seconds, then errors: 6 a second on the orders route (app ak_1), 2 on the token route (ak_2).
    for (let s = 0; s < 20; s++) events.push(...add(det, [placed(T0 + s, 100, 0, {}, {})]));
    for (let s = 20; s < 40; s++) events.push(...add(det, [placed(T0 + s, 100, 8, { 2: 6, 3: 2 }, { 2: 6, 3: 2 })]));
    const firing = events.find((e) => e.status === 'firing')!;
    expect(firing).toBeDefined();
    // The window holds the seconds since the errors began, 8 errors each.
    const seconds = firing.count / 8;
    expect(seconds).toBeGreaterThan(1);
    expect(firing.top_labels).toEqual({
      route: [
        { value: '/openapi/v1/orders/:id', count: 6 * seconds },
        { value: '/openapi/v1/token', count: 2 * seconds },
      ],
      app: [
        { value: 'ak_1', count: 6 * seconds },
        { value: 'ak_2', count: 2 * seconds },
      ],
    });
    // Later the window slides: the places count only its own ten seconds (up to T0 + 44, closed by T0 + 45).
    for (let s = 40; s < 45; s++) add(det, [placed(T0 + s, 100, 8, { 3: 8 }, { 3: 8 })]);
    add(det, [placed(T0 + 45, 100, 0, {}, {})]);
    expect(det.topLabels('server').route).toEqual([
      { value: '/openapi/v1/token', count: 4 * 2 + 5 * 8 },
      { value: '/openapi/v1/orders/:id', count: 4 * 6 },
    ]);
    expect(det.topLabels('platform')).toEqual({ route: [], app: [] });
    expect(events.filter((e) => e.status === 'resolved').every((e) => e.top_labels === undefined)).toBe(true);
  });
});
