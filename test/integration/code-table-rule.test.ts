// The rule ErrcodeCodeTableStale (dashboards/rules/errcode.rules.yml) against a real Prometheus scraping the
// real CLI: an instance that starts from a two-day-old --codes-cache while its API is down is found by the
// rule's own expression and goes pending; once the API answers again (SIGHUP), it is not.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRICS } from '../../dist/metrics/names.js';
import { startCli, type RunningCli } from '../support/cli.js';
import { envelope, startCodesApi, type CodesApi, type Handler } from '../support/codes-api.js';
import { runCli } from '../support/exec.js';
import { resultSize, startPrometheus, type Prometheus, type QueryData } from '../support/prometheus.js';

const RULES = fileURLToPath(new URL('../../dashboards/rules/errcode.rules.yml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'errcode-table-rule-'));
const JOB = 'errcode-table';

const rule = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] }).groups
  .flatMap((g) => g.rules)
  .find((r) => r.alert === 'ErrcodeCodeTableStale')!;

const instances = (data: QueryData): string[] =>
  data.resultType === 'vector' ? data.result.map((r) => r.metric['instance'] ?? '') : [];

describe('ErrcodeCodeTableStale on a real Prometheus', () => {
  let api: CodesApi | undefined;
  let cli: RunningCli | undefined;
  let prom: Prometheus | undefined;
  afterAll(async () => {
    await prom?.stop();
    await cli?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds an instance started from a two-day-old cache, and lets it go once the API answers', async () => {
    const good: Handler = (_, res) => res.end(envelope([{ code: 5999, msg: '限流' }]));
    api = await startCodesApi(good);
    const cache = join(dir, 'codes-cache.json');
    const args = ['--codes-url', api.url(), '--codes-cache', cache];
    expect((await runCli(['codes', ...args])).code).toBe(0);
    // As if the API had last been reached two days ago.
    const saved = JSON.parse(readFileSync(cache, 'utf8')) as { confirmed_at: string };
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    writeFileSync(cache, JSON.stringify({ ...saved, confirmed_at: twoDaysAgo }));

    // The API drops every connection: unreachable.
    api.handle((req) => req.socket.destroy());
    cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', ...args], { stdin: 'pipe' });
    expect(cli.stderr()).toContain(`using the table in --codes-cache ${cache}`);
    const instance = new URL(cli.url).host;

    prom = await startPrometheus({ scrape: [{ job: JOB, targets: [cli.url] }], ruleFiles: [RULES] });
    await prom.waitFor(`${METRICS.codeTableLastSuccess}{job="${JOB}"}`, (r) => resultSize(r) === 1, 30_000);
    const found = await prom.waitFor(rule.expr, (r) => instances(r).includes(instance), 30_000);
    expect(instances(found)).toEqual([instance]);
    await prom.waitFor(`ALERTS{alertname="ErrcodeCodeTableStale", instance="${instance}"}`, (r) => resultSize(r) === 1, 30_000);

    api.handle(good);
    cli.proc.kill('SIGHUP');
    await prom.waitFor(rule.expr, (r) => resultSize(r) === 0, 30_000);
    await prom.waitFor(`ALERTS{alertname="ErrcodeCodeTableStale", instance="${instance}"}`, (r) => resultSize(r) === 0, 30_000);
  }, 120_000);
});
