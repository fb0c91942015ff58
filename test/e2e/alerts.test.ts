// Spike alerts replayed through the real CLI on generated logs with injected spikes. Windows run on event
// time, so hours of log replay in seconds and alerts carry the log's own times.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, type GenerateOptions } from '../../dist/tools/generate.js';
import { startCli } from '../support/cli.js';
import { runCli } from '../support/exec.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-alerts-'));
const START = Date.UTC(2026, 10, 25, 8, 0, 0);

interface Event {
  status: string;
  family: string;
  startsAt: string;
  endsAt?: string;
  ratio: number;
  top_codes: { code: string; count: number; description: string }[];
}

async function replay(opts: GenerateOptions, extra: string[] = []): Promise<Event[]> {
  const file = join(dir, `log-${Math.random().toString(16).slice(2)}.ndjson`);
  const alerts = `${file}.alerts`;
  writeFileSync(file, generate({ startMs: START, ...opts }).text);
  const res = await runCli([file, '--output', 'none', '--listen', 'none', '--alerts', alerts, ...extra]);
  expect(res.code).toBe(0);
  const text = readFileSync(alerts, 'utf8');
  return text === '' ? [] : text.trim().split('\n').map((l) => JSON.parse(l) as Event);
}

const secondsAfterStart = (iso: string): number => (Date.parse(iso) - START) / 1000;

describe('spike alerts on replayed logs', () => {
  it('fires once within 30 s of a server spike and resolves once after it ends', async () => {
    const events = await replay({ lines: 60_000, rate: 20, seed: 1, spikes: [{ family: 'server', at: 1200, seconds: 300, share: 0.25 }] });
    expect(events.map((e) => `${e.family}:${e.status}`)).toEqual(['server:firing', 'server:resolved']);
    const [firing, resolved] = events as [Event, Event];
    expect(secondsAfterStart(firing.startsAt)).toBeGreaterThanOrEqual(1200);
    expect(secondsAfterStart(firing.startsAt)).toBeLessThanOrEqual(1230);
    expect(resolved.startsAt).toBe(firing.startsAt);
    expect(secondsAfterStart(resolved.endsAt!)).toBeGreaterThan(1500);
    expect(secondsAfterStart(resolved.endsAt!)).toBeLessThan(1500 + 3 * 60);
    expect(firing.ratio).toBeGreaterThanOrEqual(0.05);
    expect(firing.top_codes.length).toBeGreaterThan(0);
    expect(firing.top_codes[0]!.description).not.toBe('');
  });

  it('reports a platform spike under family platform', async () => {
    const events = await replay({ lines: 40_000, rate: 20, seed: 2, spikes: [{ family: 'platform', at: 900, seconds: 240, share: 0.2 }] });
    expect(events.map((e) => `${e.family}:${e.status}`)).toEqual(['platform:firing', 'platform:resolved']);
    expect(secondsAfterStart(events[0]!.startsAt) - 900).toBeLessThanOrEqual(30);
    expect(events[0]!.top_codes.every((c) => /^5000\d\d$/.test(c.code))).toBe(true);
  });

  it('gives two incidents for two separate spikes', async () => {
    const events = await replay({
      lines: 80_000,
      rate: 20,
      seed: 3,
      spikes: [
        { family: 'server', at: 900, seconds: 180, share: 0.3 },
        { family: 'server', at: 2700, seconds: 180, share: 0.3 },
      ],
    });
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    expect(secondsAfterStart(events[2]!.startsAt)).toBeGreaterThanOrEqual(2700);
  });

  it('stays quiet over two hours of normal background errors', async () => {
    const events = await replay({ lines: 144_000, rate: 20, seed: 4 });
    expect(events).toEqual([]);
  });

  it('stays quiet on a low-traffic log with a handful of errors', async () => {
    const events = await replay({ lines: 3_000, rate: 0.5, seed: 5, spikes: [{ family: 'server', at: 600, seconds: 60, share: 0.5 }] });
    expect(events).toEqual([]);
  });

  it('honours --alert-min-count and --alert-ratio', async () => {
    const spikes = [{ family: 'server' as const, at: 900, seconds: 240, share: 0.08 }];
    expect((await replay({ lines: 40_000, rate: 20, seed: 6, spikes })).length).toBe(2);
    expect(await replay({ lines: 40_000, rate: 20, seed: 6, spikes }, ['--alert-ratio', '0.2'])).toEqual([]);
    expect(await replay({ lines: 40_000, rate: 20, seed: 6, spikes }, ['--alert-min-count', '5000'])).toEqual([]);
  });

  it('sends events to stderr under the live view when stderr is not its terminal', async () => {
    const file = join(dir, 'live.ndjson');
    writeFileSync(file, generate({ startMs: START, lines: 40_000, rate: 20, seed: 2, spikes: [{ family: 'platform', at: 900, seconds: 240, share: 0.2 }] }).text);
    const res = await runCli([file, '--output', 'live', '--listen', 'none']);
    expect(res.code).toBe(0);
    const events = res.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
    expect(events.map((e) => `${e.family}:${e.status}`)).toEqual(['platform:firing', 'platform:resolved']);
  });

  it('puts a line without a time among its neighbours: a replay keeps its spike when one arrives in a pause', async () => {
    // Ten minutes of calm, one line without a time, a pause (the reader flushes), then a spike: the untimed
    // line must not move the detector's clock to today, or the spike's seconds would look late.
    const line = (s: number, code: number): string => `{"ts":"${new Date(START + s * 1000).toISOString()}","response":{"code":${code}}}\n`;
    let calm = '';
    for (let s = 0; s < 600; s++) for (let k = 0; k < 10; k++) calm += line(s, 200);
    let spike = '';
    for (let s = 600; s < 640; s++) for (let k = 0; k < 10; k++) spike += line(s, k % 2 ? 5022 : 200);
    for (let s = 640; s < 900; s++) for (let k = 0; k < 10; k++) spike += line(s, 200);
    const alerts = join(dir, 'untimed.alerts');
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--alerts', alerts], { stdin: 'pipe' });
    cli.proc.stdin!.write(calm + '{"response":{"code":200}}\n');
    await new Promise((r) => setTimeout(r, 500));
    cli.proc.stdin!.end(spike);
    expect(await new Promise((r) => cli.proc.once('exit', r))).toBe(0);
    const events = readFileSync(alerts, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Event);
    expect(events.map((e) => `${e.family}:${e.status}`)).toEqual(['server:firing', 'server:resolved']);
    expect(secondsAfterStart(events[0]!.startsAt)).toBeGreaterThanOrEqual(600);
    expect(secondsAfterStart(events[0]!.startsAt)).toBeLessThan(640);
  });
});
