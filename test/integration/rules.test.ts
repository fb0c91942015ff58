// The shipped Prometheus rules and example config, checked by the real promtool: syntax, the rules' own
// unit tests (dashboards/rules/errcode.rules.test.yml), and agreement with the names the exporter serves.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BASELINE_TIME_CONSTANT_SEC, DEFAULT_SPIKE_OPTIONS } from '../../dist/alerts/detector.js';
import { CATEGORIES, FAMILIES, familyOf } from '../../dist/codes/category.js';
import { DEFAULT_DIMENSIONS } from '../../dist/labels/dimensions.js';
import { dimensionMetric, METRICS } from '../../dist/metrics/names.js';

const PROMTOOL = process.env['PROMTOOL_BIN'] ?? 'promtool';
const DASHBOARDS = fileURLToPath(new URL('../../dashboards/', import.meta.url));
const RULES = join(DASHBOARDS, 'rules', 'errcode.rules.yml');
const RULES_TEST = join(DASHBOARDS, 'rules', 'errcode.rules.test.yml');
const PROMETHEUS_CONFIG = join(DASHBOARDS, 'prometheus.yml');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

interface Run {
  code: number;
  output: string;
}

function promtool(args: readonly string[], cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { cwd }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

let rules: Rule[];

beforeAll(async () => {
  const file = parse(await readFile(RULES, 'utf8')) as RuleFile;
  rules = file.groups.flatMap((g) => g.rules);
});

describe('promtool', () => {
  it('accepts the rule file and counts every rule in it', async () => {
    const run = await promtool(['check', 'rules', RULES]);
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(run.code).toBe(0);
  });

  it("passes the rules' unit tests", async () => {
    const run = await promtool(['test', 'rules', RULES_TEST]);
    expect(run.output).toContain('SUCCESS');
    expect(run.code, run.output).toBe(0);
  });

  it('accepts the example Prometheus config and the rule file it loads', async () => {
    const run = await promtool(['check', 'config', PROMETHEUS_CONFIG]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/SUCCESS: 1 rule files found/);
    expect(run.output).toContain('errcode.rules.yml');
  });
});

describe('the unit tests pin the thresholds', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'errcode-rules-'));
    await copyFile(RULES_TEST, join(dir, 'errcode.rules.test.yml'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A rule file with one threshold changed must make `promtool test rules` fail; otherwise the unit tests
  // would not be checking that threshold at all.
  it.each([
    ['the share threshold', '>= 0.05', '>= 0.5'],
    ['the minimum count', '* 60 >= 20', '* 60 >= 1'],
    ['the baseline factor', '>= on (job, family) 3 *', '>= on (job, family) 1 *'],
    ['the silence limit', '> 300', '> 3000'],
    ['the code table staleness limit', '> 86400', '> 864000'],
  ])('fails when %s changes', async (_name, from, to) => {
    const original = await readFile(RULES, 'utf8');
    expect(original).toContain(from);
    await writeFile(join(dir, 'errcode.rules.yml'), original.replaceAll(from, to));
    const run = await promtool(['test', 'rules', 'errcode.rules.test.yml'], dir);
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toContain('FAILED');
  });
});

describe('the rules and the exporter agree', () => {
  it('uses only metric names the exporter serves', () => {
    const served = new Set<string>([...Object.values(METRICS), ...DEFAULT_DIMENSIONS.map((d) => dimensionMetric(d.name))]);
    // Recorded series (level:metric:operations) contain the base name between colons; skip those.
    const used = new Set(rules.flatMap((r) => r.expr.match(/(?<![\w:])errcode_[a-z_]+(?![\w:])/g) ?? []));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(served, `${name} is not in src/metrics/names.ts`).toContain(name);
  });

  it('builds each spike family from exactly the categories the local detector uses', () => {
    for (const family of FAMILIES) {
      const expected = CATEGORIES.filter((c) => familyOf(c) === family).sort();
      const recorded = rules.filter((r) => r.record !== undefined && r.labels?.['family'] === family);
      expect(recorded.length, `recording rules for family ${family}`).toBeGreaterThan(0);
      for (const rule of recorded) expect(categoriesMatched(rule.expr), rule.expr).toEqual(expected);
    }
  });

  it('alerts on every spike family, with a severity and a pending period', () => {
    const spikes = rules.filter((r) => r.alert === 'ErrcodeFleetSpike');
    const families = spikes.map((r) => /family="([a-z_]+)"/.exec(r.expr)?.[1]).sort();
    expect(families).toEqual([...FAMILIES].sort());
    for (const rule of spikes) {
      expect(rule.labels?.['severity']).toMatch(/^(critical|warning)$/);
      expect(rule.for).toMatch(/^\d+[smh]$/);
    }
    expect(rules.some((r) => r.alert === 'ErrcodePipelineSilent' && r.expr.includes(METRICS.lastLineTimestamp))).toBe(
      true,
    );
  });

  it('records the server error share per route from the route breakdown, server family categories only', () => {
    const rule = rules.find((r) => r.record === 'job_route:errcode_server_errors:ratio5m');
    expect(rule?.expr).toContain(`sum by (job, route) (rate(${dimensionMetric('route')}{`);
    expect(categoriesMatched(rule!.expr)).toEqual(CATEGORIES.filter((c) => familyOf(c) === 'server').sort());
  });

  it('warns about a stale code table per instance, on the timestamp served only with --codes-url', () => {
    const stale = rules.filter((r) => r.alert === 'ErrcodeCodeTableStale');
    expect(stale).toHaveLength(1);
    expect(stale[0]!.expr).toBe(`time() - ${METRICS.codeTableLastSuccess} > 86400`);
    expect(stale[0]!.labels?.['severity']).toBe('warning');
    expect(stale[0]!.for).toMatch(/^\d+[smh]$/);
  });

  // An operator reading both alerts should find the same numbers: the fleet rule is the local detector's
  // rule applied to the summed counts.
  it("fires at the local detector's default thresholds", () => {
    const { windowSec, minCount, ratio, factor } = DEFAULT_SPIKE_OPTIONS;
    const window = `${windowSec / 60}m`;
    const baseline = `${BASELINE_TIME_CONSTANT_SEC / 3600}h`;
    const spikes = rules.filter((r) => r.alert === 'ErrcodeFleetSpike');
    for (const rule of spikes) {
      expect(rule.expr).toMatch(new RegExp(`:ratio${window}\\{family="\\w+"\\} >= ${ratio}\\s`));
      expect(rule.expr).toMatch(new RegExp(`:rate${window}\\{family="\\w+"\\} \\* ${windowSec} >= ${minCount}\\s`));
      const baselineTest = `>= on \\(job, family\\) ${factor} \\* job_family:errcode_responses:ratio${baseline}\\{`;
      expect(rule.expr).toMatch(new RegExp(baselineTest));
    }
    const recorded = new Map(rules.filter((r) => r.record).map((r) => [r.record, r.expr]));
    expect(recorded.get(`job:errcode_responses:rate${window}`)).toContain(`[${window}]`);
    expect(recorded.get(`job:errcode_responses:rate${baseline}`)).toContain(`[${baseline}]`);
  });
});

/** The category label values a `category="x"` or `category=~"x|y"` matcher in `expr` selects. */
function categoriesMatched(expr: string): string[] {
  const m = /category(=~?)"([^"]*)"/.exec(expr);
  if (!m) return [];
  const values = m[1] === '=~' ? m[2]!.split('|') : [m[2]!];
  for (const v of values) expect(CATEGORIES as readonly string[], `category ${v}`).toContain(v);
  return values.sort();
}
