// The metrics endpoint of the real CLI process: exact counts, the table's series from start-up, the
// descriptions to join, input health, consistency under load, the cardinality bound, promtool's approval.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_CODES } from '../../dist/codes/builtin.js';
import { generate } from '../../dist/tools/generate.js';
import { startCli, type RunningCli } from '../support/cli.js';
import { parseExposition, samples, scrape, sum, type Sample } from '../support/exposition.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-metrics-'));
const { text, truth } = generate({ lines: 20_000, seed: 5, shape: 'mixed', hostile: 0.05 });
const log = join(dir, 'log.ndjson');
writeFileSync(log, text);

async function waitForLines(url: string, lines: number): Promise<Sample[]> {
  for (let i = 0; i < 200; i++) {
    const s = await scrape(url);
    if (sum(s, 'errcode_input_lines_total') >= lines) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never saw ${lines} lines`);
}

describe('a replay served with --keep-serving', () => {
  let cli: RunningCli;
  let metrics: Sample[];
  const summaryJson = join(dir, 'keep-serving.json');
  beforeAll(async () => {
    cli = await startCli([log, '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', '--summary-json', summaryJson]);
    metrics = await waitForLines(cli.url, truth.lines);
  });
  afterAll(async () => {
    expect(await cli.stop()).toBe(0);
    // The input ended long before the signal: its summary was reported then, and not again.
    expect(cli.stderr().match(/^errcode-stream: [\d,]+ lines/gm)).toHaveLength(1);
  });

  it('writes the summary, to stderr and --summary-json, when the input ends', async () => {
    for (let i = 0; i < 100 && !cli.stderr().includes('--keep-serving keeps'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(cli.stderr()).toContain(`errcode-stream: ${truth.lines.toLocaleString('en')} lines`);
    expect(existsSync(summaryJson)).toBe(true);
    expect((JSON.parse(readFileSync(summaryJson, 'utf8')) as { lines: { total: number } }).lines.total).toBe(truth.lines);
  });

  it('counts every response by code exactly', () => {
    const byCode: Record<string, number> = {};
    for (const s of samples(metrics, 'errcode_responses_total')) if (s.value > 0) byCode[s.labels['code']!] = s.value;
    expect(byCode).toEqual(truth.codes);
  });

  it('counts every line once under its outcome, and the bytes', () => {
    for (const [outcome, n] of Object.entries(truth.outcomes)) expect(sum(metrics, 'errcode_input_lines_total', { outcome })).toBe(n);
    expect(sum(metrics, 'errcode_input_bytes_total')).toBe(truth.bytes);
  });

  it('has a series at 0 for every code of the table, and its description to join', () => {
    for (const e of BUILTIN_CODES) {
      expect(samples(metrics, 'errcode_responses_total', { code: String(e.code), category: e.category })).toHaveLength(1);
      expect(samples(metrics, 'errcode_code_info', { code: String(e.code), description: e.description, description_en: e.description_en })[0]?.value).toBe(1);
    }
    expect(samples(metrics, 'errcode_responses_total', { code: '500013' })[0]?.value).toBe(0);
    expect(samples(metrics, 'errcode_code_info', { code: 'http_502', category: 'system' })).toHaveLength(1);
  });

  it('serves the alert and freshness gauges and the process metrics', () => {
    expect(samples(metrics, 'errcode_window_ratio').map((s) => s.labels['family']).sort()).toEqual(['platform', 'server']);
    expect(samples(metrics, 'errcode_alert_active')).toHaveLength(2);
    expect(sum(metrics, 'errcode_last_line_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(samples(metrics, 'process_resident_memory_bytes')).toHaveLength(1);
    expect(samples(metrics, 'errcode_notifications_queue_length')).toHaveLength(1);
  });

  it('passes promtool check metrics', async () => {
    const body = await (await fetch(cli.url)).text();
    const res = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(res.stderr + res.stdout).toBe('');
    expect(res.status).toBe(0);
  });

  it('answers /healthz, 404 elsewhere, 405 for other methods', async () => {
    const base = cli.url.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(cli.url, { method: 'POST' })).status).toBe(405);
    expect((await fetch(cli.url, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('the endpoint while a stream runs', () => {
  it('never shows a half-updated view: counters only rise and per-code series sum to the ok lines', async () => {
    const big = generate({ lines: 300_000, seed: 9, shape: 'wrapped', hostile: 0.02 });
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving'], { stdin: 'pipe' });
    const stdin = cli.proc.stdin!;
    const data = Buffer.from(big.text);
    let offset = 0;
    const feed = (): void => {
      while (offset < data.length) {
        const chunk = data.subarray(offset, offset + (1 << 16));
        offset += chunk.length;
        if (!stdin.write(chunk)) {
          stdin.once('drain', feed);
          return;
        }
      }
      stdin.end();
    };
    feed();
    let previous: Sample[] = [];
    let scrapes = 0;
    for (;;) {
      const now = await scrape(cli.url);
      scrapes++;
      const ok = sum(now, 'errcode_input_lines_total', { outcome: 'ok' });
      expect(sum(now, 'errcode_responses_total')).toBe(ok);
      const key = (s: Sample): string => `${s.name}${JSON.stringify(s.labels)}`;
      const byKey = new Map(now.map((s) => [key(s), s.value]));
      for (const p of previous.filter((s) => s.name.startsWith('errcode_') && s.name.endsWith('_total'))) {
        expect(byKey.get(key(p)) ?? 0, key(p)).toBeGreaterThanOrEqual(p.value);
      }
      previous = now;
      if (sum(now, 'errcode_input_lines_total') === big.truth.lines) break;
    }
    expect(scrapes).toBeGreaterThan(1);
    expect(await cli.stop()).toBe(0);
  });
});

describe('the cardinality bound', () => {
  it('keeps 100k distinct unlisted codes to --max-unlisted-codes series plus "other"', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`{"code":${600_000 + i}}`, `{"code":${4100 + (i % 800)}}`);
    const input = join(dir, 'many.ndjson');
    writeFileSync(input, lines.join('\n') + '\n');
    const cli = await startCli([input, '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', '--max-unlisted-codes', '50']);
    const m = await waitForLines(cli.url, 200_000);
    const series = samples(m, 'errcode_responses_total');
    const listed = new Set(BUILTIN_CODES.map((e) => String(e.code)));
    const unlisted = series.filter((s) => !listed.has(s.labels['code']!) && s.labels['code'] !== 'other');
    expect(unlisted).toHaveLength(50);
    expect(sum(m, 'errcode_responses_total')).toBe(200_000);
    // The first 50 distinct unlisted codes keep their series; every later one is "other" in its shape's category.
    const others = samples(m, 'errcode_responses_total', { code: 'other' });
    expect(others.map((s) => s.labels['category']).sort()).toEqual(['client', 'unknown']);
    expect(others.reduce((a, s) => a + s.value, 0)).toBe(200_000 - unlisted.reduce((a, s) => a + s.value, 0));
    expect(sum(m, 'process_resident_memory_bytes')).toBeLessThan(150 * 1024 * 1024);
    expect(await cli.stop()).toBe(0);
  });
});

describe('--metrics-prefix', () => {
  it('renames the errcode_ metrics and leaves the process metrics alone', async () => {
    const cli = await startCli([log, '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', '--metrics-prefix', 'gw_']);
    const text = await (await fetch(cli.url)).text();
    const m = parseExposition(text);
    expect(samples(m, 'gw_responses_total').length).toBeGreaterThan(60);
    expect(samples(m, 'errcode_responses_total')).toHaveLength(0);
    expect(samples(m, 'process_cpu_seconds_total')).toHaveLength(1);
    expect(await cli.stop()).toBe(0);
  });
});

describe('errcode_code_info after a reload and new series', () => {
  it('follows a SIGHUP reload and every series that appears later', async () => {
    const codes = join(dir, 'reload-codes.json');
    writeFileSync(codes, '{"5999":"旧描述"}');
    const cli = await startCli(['--codes', codes, '--output', 'none', '--listen', '127.0.0.1:0'], { stdin: 'pipe' });
    const info = async (code: string): Promise<string[]> => samples(await scrape(cli.url), 'errcode_code_info', { code }).map((s) => s.labels['description']!);
    expect(await info('5999')).toEqual(['旧描述']);

    writeFileSync(codes, '{"5999":"新描述","5998":"另一个"}');
    cli.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !cli.stderr().includes('code table reloaded'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await info('5999')).toEqual(['新描述']);
    expect(await info('5998')).toEqual(['另一个']);

    expect(await info('7777')).toEqual([]);
    cli.proc.stdin!.write('{"code":7777}\n');
    await waitForLines(cli.url, 1);
    expect(await info('7777')).toHaveLength(1);
    expect(await cli.stop()).toBe(0);
  });
});

describe('label values that need escaping', () => {
  it('writes quotes, backslashes and newlines of a description escaped, as promtool and Prometheus read them', async () => {
    const codes = join(dir, 'escapes.json');
    const description = 'say "hi" \\ to C:\\path\nnext line';
    writeFileSync(codes, JSON.stringify({ 5997: description }));
    const cli = await startCli(['--codes', codes, '--output', 'none', '--listen', '127.0.0.1:0'], { stdin: 'pipe' });
    cli.proc.stdin!.write('{"code":5997}\n');
    await waitForLines(cli.url, 1);
    const body = await (await fetch(cli.url)).text();
    expect(body).toContain('description="say \\"hi\\" \\\\ to C:\\\\path\\nnext line"');
    expect(samples(parseExposition(body), 'errcode_code_info', { code: '5997' })[0]?.labels['description']).toBe(description);
    expect(samples(parseExposition(body), 'errcode_responses_total', { code: '5997' })[0]?.value).toBe(1);
    const res = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(res.stderr + res.stdout).toBe('');
    expect(await cli.stop()).toBe(0);
  });
});
