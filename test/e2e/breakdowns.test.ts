// The breakdowns (SPEC "Breakdowns") through the real CLI, scraped from its real endpoint: every response
// counted once in every dimension, per-category totals exact, routes templated, the bounds held against a
// flood, one-off values kept out of the slots, hostile values escaped as promtool reads them, the same
// counts from both engines, and the places in alert events and the summary.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIT_AFTER } from '../../dist/labels/admission.js';
import { generate } from '../../dist/tools/generate.js';
import { startCli } from '../support/cli.js';
import { runCli } from '../support/exec.js';
import { parseExposition, samples, sum, type Sample } from '../support/exposition.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-breakdowns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI over `file` with an endpoint kept up, and returns its exposition once every line is counted. */
async function exposition(file: string, lines: number, extra: readonly string[] = []): Promise<{ text: string; samples: Sample[] }> {
  const cli = await startCli([file, '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', ...extra]);
  try {
    for (let i = 0; ; i++) {
      const text = await (await fetch(cli.url)).text();
      const all = parseExposition(text);
      if (sum(all, 'errcode_input_lines_total') === lines && cli.stderr().includes('input ended')) return { text, samples: all };
      if (i > 300) throw new Error(`not all lines counted: ${cli.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    expect(await cli.stop()).toBe(0);
  }
}

/** Sums of a dimension's series by one of its labels. */
function by(all: readonly Sample[], metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples(all, metric)) out[s.labels[label]!] = (out[s.labels[label]!] ?? 0) + s.value;
  return out;
}

describe('a gateway log through the breakdowns', () => {
  const log = generate({ lines: 20_000, shape: 'gateway', seed: 5, spikes: [{ family: 'server', at: 60, seconds: 40, share: 0.3 }] });
  const file = join(dir, 'gateway.ndjson');
  writeFileSync(file, log.text);
  const truth = log.truth.labels!;
  let all: Sample[];

  it('counts every response once in every dimension: per category, each sums to the totals', async () => {
    ({ samples: all } = await exposition(file, log.truth.lines));
    const totals = by(all, 'errcode_responses_total', 'category');
    expect(Object.values(totals).reduce((a, b) => a + b, 0)).toBe(log.truth.outcomes.ok);
    for (const dim of ['route', 'app', 'method']) {
      expect(by(all, `errcode_${dim}_responses_total`, 'category'), dim).toEqual(Object.fromEntries(Object.entries(totals).filter(([, n]) => n > 0)));
    }
  });

  it('templates routes (identifiers as :id, query strings dropped), each short only of the counts it needed to be admitted', () => {
    const routes = by(all, 'errcode_route_responses_total', 'route');
    const expected = Object.fromEntries(Object.entries(truth['route']!).map(([route, n]) => [route, n - (ADMIT_AFTER - 1)]));
    expect(Object.keys(truth['route']!).length).toBeGreaterThan(25);
    expect(routes).toEqual({ ...expected, other: (ADMIT_AFTER - 1) * Object.keys(truth['route']!).length });
    expect(Object.keys(routes)).toContain('/openapi/v1/orders/:id');
    expect(Object.keys(routes).some((r) => /\d{3}|\?/.test(r))).toBe(false);
  });

  it('gives methods their own series at once, and keeps to 100 apps of 200, the rest as other', () => {
    expect(by(all, 'errcode_method_responses_total', 'method')).toEqual(truth['method']);
    const apps = by(all, 'errcode_app_responses_total', 'app');
    expect(Object.keys(apps)).toHaveLength(101);
    for (const [app, n] of Object.entries(apps)) if (app !== 'other') expect(n, app).toBe(truth['app']![app]! - (ADMIT_AFTER - 1));
    expect(apps['other']).toBe(log.truth.outcomes.ok - Object.entries(apps).reduce((a, [app, n]) => a + (app === 'other' ? 0 : n), 0));
  });

  it('names the place in firing events, with the counts of the window, and lists the top places in the summary', async () => {
    const placed = generate({
      lines: 20_000,
      shape: 'gateway',
      seed: 6,
      spikes: [{ family: 'server', at: 100, seconds: 40, share: 0.4, path: '/openapi/v1/payments/991', app: 'ak_spike' }],
    });
    const f = join(dir, 'placed.ndjson');
    writeFileSync(f, placed.text);
    const summaryFile = join(dir, 'placed.summary.json');
    // Room for every app: the spike's own comes after the 200 others.
    const res = await runCli([f, '--output', 'none', '--listen', 'none', '--summary-json', summaryFile, '--max-label-values', '300']);
    expect(res.code).toBe(0);
    const firing = res.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e['status'] === 'firing')!;
    const top = firing['top_labels'] as Record<string, { value: string; count: number }[]>;
    expect(Object.keys(top)).toEqual(['route', 'app', 'method']);
    expect(top['route']![0]!.value).toBe('/openapi/v1/payments/:id');
    expect(top['app']![0]!.value).toBe('ak_spike');
    expect(top['method']![0]).toEqual({ value: 'POST', count: expect.any(Number) });
    // Each dimension accounts for every error of the window, split over its values (five at most shown).
    for (const values of Object.values(top)) {
      expect(values.length).toBeLessThanOrEqual(5);
      expect(values.reduce((a, v) => a + v.count, 0)).toBeLessThanOrEqual(firing['count'] as number);
    }
    expect(top['method']!.reduce((a, v) => a + v.count, 0)).toBe(firing['count']);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { places: { name: string; top: { value: string }[]; errors: { value: string }[] }[] };
    expect(summary.places.map((p) => p.name)).toEqual(['route', 'app', 'method']);
    expect(summary.places[0]!.errors[0]!.value).toBe('/openapi/v1/payments/:id');
    expect(res.stderr).toMatch(/^ {2}route +top: \/openapi\/v1\/orders(\/:id)? [\d,]+, /m);
    expect(res.stderr).toMatch(/^ +server\/platform errors: \/openapi\/v1\/payments\/:id [\d,]+, /m);
  });
});

describe('bounds', () => {
  it('keeps the slots for the 30 routes that carry the traffic when 50,000 one-off paths come first', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) lines.push(`{"code":404,"path":"/wp-${(i * 2654435761 >>> 0).toString(36)}x.php","appKey":"scan${i}","method":"GET"}`);
    const routes = Array.from({ length: 30 }, (_, k) => `/openapi/v1/service${k}/call`);
    for (let round = 0; round < 50; round++) for (const r of routes) lines.push(`{"code":200,"path":"${r}?n=${round}","appKey":"ak_${round % 3}","method":"POST"}`);
    const file = join(dir, 'flood-first.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    const { samples: all } = await exposition(file, lines.length, ['--max-label-values', '30']);
    const got = by(all, 'errcode_route_responses_total', 'route');
    expect(Object.keys(got).sort()).toEqual([...routes, 'other'].sort());
    for (const r of routes) expect(got[r], r).toBe(50 - (ADMIT_AFTER - 1));
    expect(got['other']).toBe(50_000 + 30 * (ADMIT_AFTER - 1));
    expect(Object.keys(by(all, 'errcode_app_responses_total', 'app')).sort()).toEqual(['ak_0', 'ak_1', 'ak_2', 'other']);
  });

  it('holds each dimension to --max-label-values values and --max-label-series series, past them other', async () => {
    const lines: string[] = [];
    const codes = [200, 4001, 4002, 4004, 5021, 500001];
    for (let i = 0; i < 6000; i++) lines.push(`{"code":${codes[i % codes.length]},"path":"/api/r${i % 20}","appKey":"ak_${i % 7}"}`);
    const file = join(dir, 'bounded.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    const { samples: all } = await exposition(file, lines.length, ['--max-label-values', '5', '--max-label-series', '12']);
    const route = samples(all, 'errcode_route_responses_total');
    // 12 pairs of real codes, then one code="other" series per value and category.
    expect(route.filter((s) => s.labels['code'] !== 'other')).toHaveLength(12);
    expect(new Set(route.map((s) => s.labels['route'])).size).toBeLessThanOrEqual(5 + 1);
    for (const s of route.filter((x) => x.labels['code'] === 'other')) expect(s.labels['category']).toMatch(/^(success|client|server|platform_auth)$/);
    expect(sum(all, 'errcode_route_responses_total')).toBe(6000);
    const nonzero = (o: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(o).filter(([, n]) => n > 0));
    expect(by(all, 'errcode_route_responses_total', 'category')).toEqual(nonzero(by(all, 'errcode_responses_total', 'category')));
  });
});

describe('hostile values', () => {
  // Values as JSON text in a line: quotes, backslashes, newlines, CJK, markup, a 5 KB value.
  const hostile: [json: string, label: string][] = [
    ['"/a\\"b"', '/a"b'],
    ['"/c\\\\d"', '/c\\d'],
    ['"/e\\nf"', '/e\nf'],
    ['"/签名/验证"', '/签名/验证'],
    ['"/x/<script>alert(1)</script>"', '/x/<script>alert(1)</script>'],
    [`"/${'长'.repeat(2000)}"`, `/${'长'.repeat(42)}`],
    ['"/\\ud800/lone"', '/\ufffd/lone'],
  ];

  it('writes them escaped, cut to 128 bytes, as promtool and a parser read them back', async () => {
    const lines: Buffer[] = [];
    for (let i = 0; i < ADMIT_AFTER; i++) {
      for (const [json] of hostile) lines.push(Buffer.from(`{"code":200,"path":${json},"appKey":${json}}\n`));
      // Bytes that are not UTF-8 in a value: taken as the replacement character.
      lines.push(Buffer.from('{"code":200,"path":"/bad/\xff\xfe","appKey":"\xc3"}\n', 'latin1'));
    }
    const file = join(dir, 'hostile.ndjson');
    writeFileSync(file, Buffer.concat(lines));
    const { text, samples: all } = await exposition(file, lines.length);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stderr + check.stdout).not.toMatch(/error|invalid/i);
    const routes = Object.keys(by(all, 'errcode_route_responses_total', 'route'));
    const apps = Object.keys(by(all, 'errcode_app_responses_total', 'app'));
    for (const [, label] of hostile) expect(routes, JSON.stringify(label)).toContain(label);
    expect(routes).toContain('/bad/\ufffd\ufffd');
    expect(apps).toContain('\ufffd');
    expect(apps).toContain('/e\nf');
    for (const r of routes) expect(Buffer.byteLength(r)).toBeLessThanOrEqual(128);
    expect(text).toContain('route="/a\\"b"');
    expect(text).toContain('route="/c\\\\d"');
    expect(text).toContain('route="/e\\nf"');
  });

  it('gives the same counts with the reference engine, line for line', async () => {
    const log = generate({ lines: 3000, shape: 'gateway', seed: 9 });
    const extra = ['{"code":200,"path":"/a\\u002Fb/12345","appKey":12.50,"method":"get"}', '{"code":200,"path":null,"appKey":{"k":1},"method":["GET"]}', '{"code":200,"request":{"path":"/nested/7"},"path":"/top","path":"/last/8"}'];
    const text = log.text + Array.from({ length: 6 }, () => extra.join('\n')).join('\n') + '\n';
    const file = join(dir, 'both.ndjson');
    writeFileSync(file, text);
    const lines = log.truth.lines + 18;
    const fast = await exposition(file, lines, ['--max-label-values', '1000']);
    const reference = await exposition(file, lines, ['--max-label-values', '1000', '--engine', 'reference']);
    const dims = (s: Sample[]): Sample[] => s.filter((x) => /^errcode_(route|app|method)_responses_total$/.test(x.name)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(dims(fast.samples).length).toBeGreaterThan(50);
    expect(dims(reference.samples)).toEqual(dims(fast.samples));
    const route = by(fast.samples, 'errcode_route_responses_total', 'route');
    expect(route['/a/b/:id']).toBe(6 - (ADMIT_AFTER - 1));
    expect(route['/last/:id']).toBe(6 - (ADMIT_AFTER - 1));
    expect(by(fast.samples, 'errcode_app_responses_total', 'app')['12.5']).toBe(6 - (ADMIT_AFTER - 1));
    expect(by(fast.samples, 'errcode_method_responses_total', 'method')['none']).toBe(12);
  });
});
