// History against a real Prometheus (SPEC "History"): a two-hour archive dated three days ago replayed by
// remote write into a receiver with an out-of-order window shows its traffic and its spike at their event
// times, with the log's exact counts; promtool's blocks from --openmetrics answer the same queries with the
// same numbers; two live instances pushing sum exactly; receivers without a window large enough refuse the
// old samples, which the run tells in one line and does not retry.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeTable } from '../../dist/codes/table.js';
import { generate } from '../../dist/tools/generate.js';
import { startCli } from '../support/cli.js';
import { runCli } from '../support/exec.js';
import { scalarOf, startPrometheus, type Prometheus, type QueryData } from '../support/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-rw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const START = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
const START_S = START / 1000;
const END_S = START_S + 7200; // the checkpoint after the last line (the log ends 0.2 s before)
const SPIKE_S = START_S + 3600;
const { text, truth } = generate({ lines: 36_000, seed: 31, rate: 5, startMs: START, spikes: [{ family: 'server', at: 3600, seconds: 300, share: 0.4 }] });
const archive = join(dir, 'yesterday.ndjson.gz');
writeFileSync(archive, gzipSync(text));
const openMetrics = join(dir, 'yesterday.om');

const table = CodeTable.builtin();
/** Event time (s) of every server or system response: the spike's family. */
const serverTimes = text
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as { ts: string; status: number; response: { code: number } | null })
  .filter((l) => l.status !== 200 || table.info(l.response!.code).category === 'server')
  .map((l) => Date.parse(l.ts) / 1000);
const SERVER = 'errcode_responses_total{instance="replay",category=~"server|system"}';

const values = (d: QueryData): [number, number][] => {
  if (d.resultType !== 'matrix' || d.result.length !== 1) throw new Error(JSON.stringify(d).slice(0, 300));
  return d.result[0]!.values.map(([t, v]) => [t, Number(v)]);
};
const byLabel = (d: QueryData, label: string): Record<string, number> => {
  if (d.resultType !== 'vector') throw new Error(d.resultType);
  return Object.fromEntries(d.result.map((s) => [s.metric[label], Number(s.value[1])]));
};

/** Waits until Prometheus has scraped itself: its head holds samples of now, so old ones go the out-of-order way. */
const scrapedItself = (p: Prometheus) => p.waitFor('up{job="prometheus"}', (r) => scalarOf(r) === 1, 30_000);

describe('a replay into a receiver with an out-of-order window', () => {
  let prom: Prometheus;
  let stderr = '';

  beforeAll(async () => {
    prom = await startPrometheus({ scrape: [], scrapeSelf: true, remoteWriteReceiver: true, outOfOrderTimeWindow: '30d' });
    await scrapedItself(prom);
    const res = await runCli([archive, '--output', 'none', '--remote-write', `${prom.url}/api/v1/write`, '--remote-write-label', 'instance=replay', '--openmetrics', openMetrics]);
    expect(res.code).toBe(0);
    stderr = res.stderr;
  });

  afterAll(async () => {
    await prom?.stop();
  });

  it('delivers every sample and says so in one line', () => {
    const account = stderr.split('\n').filter((l) => l.includes('remote write'));
    expect(account).toHaveLength(1);
    expect(account[0]).toMatch(/samples delivered in \d+ requests, 481 points, event time .*, [\d.]+ s; 0 failed, 0 dropped$/);
  });

  it("holds the log's exact totals at its end", async () => {
    expect(scalarOf(await prom.query('sum(errcode_responses_total{instance="replay"})', END_S))).toBe(truth.outcomes.ok);
    const codes = byLabel(await prom.query('sum by (code) (errcode_responses_total{instance="replay"}) > 0', END_S), 'code');
    expect(codes).toEqual(truth.codes);
    expect(scalarOf(await prom.query('errcode_input_lines_total{instance="replay",outcome="ok"}', END_S))).toBe(truth.lines);
  });

  it("shows the spike's increase at its event time, minute by minute as the log has it", async () => {
    const r = values(await prom.queryRange(`sum(${SERVER}) - sum(${SERVER} offset 5m)`, START_S + 300, END_S, 60));
    // The sample at T counts the lines before T.
    const exact = r.map(([t]) => [t, serverTimes.filter((s) => s >= t - 300 && s < t).length]);
    expect(r).toEqual(exact);
    const peak = r.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(peak[0]).toBeGreaterThan(SPIKE_S);
    expect(peak[0]).toBeLessThanOrEqual(SPIKE_S + 600);
    expect(peak[1]).toBeGreaterThan(10 * r[10]![1]);
    // increase() over the same data peaks at the same time.
    const inc = values(await prom.queryRange(`sum(increase(${SERVER}[5m]))`, START_S + 300, END_S, 60));
    expect(inc.reduce((a, b) => (b[1] > a[1] ? b : a))[0]).toBe(peak[0]);
  });

  it('carries the breakdowns at event time: per route, the totals of the log', async () => {
    const routes = byLabel(await prom.query('sum by (route) (errcode_route_responses_total{instance="replay"})', END_S), 'route');
    expect(Object.values(routes).reduce((a, b) => a + b, 0)).toBe(truth.outcomes.ok);
    expect(Object.keys(routes)).toContain('/api/v1/orders');
    expect(Object.keys(routes).some((r) => r.includes('?'))).toBe(false);
    // Halfway through, the per-route counts are those of the first hour, not of the whole log.
    const half = byLabel(await prom.query('sum(errcode_route_responses_total{instance="replay"})', SPIKE_S), '');
    expect(Object.values(half)[0]).toBeLessThan(0.6 * truth.outcomes.ok);
    expect(Object.values(half)[0]).toBeGreaterThan(0.4 * truth.outcomes.ok);
  });

  it('shows the spike alert active at its event time', async () => {
    expect(scalarOf(await prom.query('max_over_time(errcode_alert_active{instance="replay",family="server"}[10m])', SPIKE_S + 300))).toBe(1);
    expect(scalarOf(await prom.query('max_over_time(errcode_alert_active{instance="replay",family="server"}[10m])', SPIKE_S - 600))).toBe(0);
  });

  it('answers the same queries with the same numbers from promtool blocks of the --openmetrics file', async () => {
    const blocks = join(dir, 'blocks');
    const made = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', openMetrics, blocks], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const backfilled = await startPrometheus({ scrape: [], storageDir: blocks });
    try {
      for (const [q, label] of [
        ['sum by (category) (errcode_responses_total{instance="replay"})', 'category'],
        ['errcode_input_lines_total{instance="replay"}', 'outcome'],
        ['errcode_code_info{code="5021"}', 'description_en'],
        ['sum by (route) (errcode_route_responses_total{instance="replay"})', 'route'],
      ] as const) {
        expect(byLabel(await backfilled.query(q, END_S), label)).toEqual(byLabel(await prom.query(q, END_S), label));
      }
      const range = `sum(increase(${SERVER}[5m]))`;
      expect(values(await backfilled.queryRange(range, START_S + 300, END_S, 60))).toEqual(values(await prom.queryRange(range, START_S + 300, END_S, 60)));
    } finally {
      await backfilled.stop();
    }
  });

  it('sums two live instances pushing to it exactly', async () => {
    const hosts = [generate({ lines: 3000, seed: 41, hostile: 0.02 }), generate({ lines: 2000, seed: 42, shape: 'raw' })];
    const clis = await Promise.all(
      hosts.map((_, i) =>
        startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--remote-write', `${prom.url}/api/v1/write`, '--remote-write-interval', '1s', '--remote-write-label', `instance=gw-${i}`], { stdin: 'pipe' }),
      ),
    );
    hosts.forEach((h, i) => clis[i]!.proc.stdin!.write(h.text));
    const ok = hosts.reduce((a, h) => a + h.truth.outcomes.ok, 0);
    await prom.waitFor('sum(errcode_responses_total{instance=~"gw-."})', (r) => scalarOf(r) === ok, 30_000);
    const lines = hosts.reduce((a, h) => a + h.truth.lines, 0);
    expect(scalarOf(await prom.query('sum(errcode_input_lines_total{instance=~"gw-."})'))).toBe(lines);
    for (const c of clis) c.proc.stdin!.end();
    for (const c of clis) expect(await c.stop()).toBe(0);
  });
});

describe('receivers that refuse old samples', () => {
  it.each([
    ['without an out-of-order window', undefined, 400, 'out of bounds'],
    ['with a window too small', '1h', 500, 'too old sample'],
  ])('%s: one line that names the fix, no retries, and the run ends', async (_, window, status, said) => {
    const prom = await startPrometheus({ scrape: [], scrapeSelf: true, remoteWriteReceiver: true, ...(window ? { outOfOrderTimeWindow: window } : {}) });
    try {
      await scrapedItself(prom);
      const res = await runCli([archive, '--output', 'none', '--listen', 'none', '--remote-write', `${prom.url}/api/v1/write`]);
      expect(res.code).toBe(0);
      const told = res.stderr.split('\n').filter((l) => l.includes('too old'));
      expect(told).toHaveLength(1);
      expect(told[0]).toContain(`(HTTP ${status}: ${said})`);
      expect(told[0]).toContain('out_of_order_time_window');
      const [, requests, failed] = /0 samples delivered in (\d+) requests, 481 points.*; ([\d,]+) failed, 0 dropped/.exec(res.stderr)!;
      expect(Number(failed!.replace(/,/g, ''))).toBeGreaterThan(70_000);
      // The receiver saw the requests the run made, and no more once it had ended (that none was a retry the
      // unit tests count, sample by sample).
      await prom.waitFor('sum(prometheus_http_requests_total{handler="/api/v1/write"})', (r) => scalarOf(r) === Number(requests), 30_000);
    } finally {
      await prom.stop();
    }
  });
});
