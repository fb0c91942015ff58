// The multi-host story: one errcode-stream per gateway host, one real Prometheus scraping them all, and
// fleet-wide sums through Prometheus's HTTP API that equal the ground truth of both hosts' logs exactly.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryByShape } from '../../dist/codes/category.js';
import { CodeTable } from '../../dist/codes/table.js';
import { generate } from '../../dist/tools/generate.js';
import { startCli, type RunningCli } from '../support/cli.js';
import { scalarOf, startPrometheus, type Prometheus } from '../support/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-multihost-'));
const hosts = [
  generate({ lines: 12_000, seed: 21, shape: 'wrapped', hostile: 0.03, spikes: [{ family: 'server', at: 30, seconds: 20, share: 0.4 }] }),
  generate({ lines: 7_000, seed: 22, shape: 'raw', hostile: 0.03, spikes: [{ family: 'platform', at: 10, seconds: 20, share: 0.3 }] }),
];
const table = CodeTable.builtin();
const categoryOf = (code: string): string => (code.startsWith('http_') ? 'system' : table.info(Number(code)).category ?? categoryByShape(Number(code)));

describe('two gateway hosts scraped by one Prometheus', () => {
  let clis: RunningCli[] = [];
  let prom: Prometheus;

  beforeAll(async () => {
    clis = await Promise.all(
      hosts.map((h, i) => {
        const file = join(dir, `gw-${i}.ndjson`);
        writeFileSync(file, h.text);
        return startCli([file, '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving']);
      }),
    );
    prom = await startPrometheus({ scrape: [{ job: 'errcode', targets: clis.map((c) => c.url) }] });
  });

  afterAll(async () => {
    await prom?.stop();
    for (const c of clis) expect(await c.stop()).toBe(0);
  });

  it('sees both instances up', async () => {
    await prom.waitFor('sum(up{job="errcode"})', (r) => scalarOf(r) === 2, 30_000);
  });

  it('sums responses across instances to both logs exactly', async () => {
    const expected = hosts.reduce((a, h) => a + h.truth.outcomes.ok, 0);
    const r = await prom.waitFor('sum(errcode_responses_total)', (d) => scalarOf(d) === expected, 30_000);
    expect(scalarOf(r)).toBe(expected);
  });

  it('sums each category to the truth', async () => {
    const byCategory: Record<string, number> = {};
    for (const h of hosts) for (const [code, n] of Object.entries(h.truth.codes)) byCategory[categoryOf(code)] = (byCategory[categoryOf(code)] ?? 0) + n;
    const r = await prom.query('sum by (category) (errcode_responses_total) > 0');
    if (r.resultType !== 'vector') throw new Error(r.resultType);
    expect(Object.fromEntries(r.result.map((s) => [s.metric['category'], Number(s.value[1])]))).toEqual(byCategory);
  });

  it('sums input lines by outcome', async () => {
    for (const outcome of ['ok', 'malformed', 'missing_code', 'invalid_code'] as const) {
      const expected = hosts.reduce((a, h) => a + h.truth.outcomes[outcome], 0);
      expect(scalarOf(await prom.query(`sum(errcode_input_lines_total{outcome="${outcome}"})`))).toBe(expected);
    }
  });

  it('joins descriptions from errcode_code_info', async () => {
    const r = await prom.query('sum by (code, description_en) (errcode_responses_total{code="5021"} * on (code, category) group_left (description_en) max by (code, category, description_en) (errcode_code_info))');
    if (r.resultType !== 'vector') throw new Error(r.resultType);
    expect(r.result[0]?.metric['description_en']).toBe('Database connection failed, please try again later');
  });
});
