// Every Grafana dashboard under dashboards/: checked against Grafana's own dashboard model (the
// @grafana/schema types, compiled by tsc), then every panel query run against a real Prometheus scraping
// the real CLI, as Grafana would run it with the variables filled in.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SPIKE_OPTIONS } from '../../dist/alerts/detector.js';
import { BUILTIN_CODES } from '../../dist/codes/builtin.js';
import { CATEGORIES, FAMILIES } from '../../dist/codes/category.js';
import { OUTCOMES } from '../../dist/extract/result.js';
import { DEFAULT_DIMENSIONS } from '../../dist/labels/dimensions.js';
import { dimensionMetric, METRICS } from '../../dist/metrics/names.js';
import { startCli, type RunningCli } from '../support/cli.js';
import { resultSize, scalarOf, startPrometheus, type Prometheus, type QueryData } from '../support/prometheus.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARDS = join(ROOT, 'dashboards');
const MAIN_DASHBOARD = 'errcode-stream.json';
// The bundled fixture: 10 minutes of gateway traffic with a server spike, and its ground truth.
const FIXTURE = join(ROOT, 'fixtures', 'sample.ndjson');
const FIXTURE_TRUTH = join(ROOT, 'fixtures', 'sample.truth.json');
const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' };
const GRID_COLUMNS = 24;
// Variables Grafana itself provides; every other `$name` must be a dashboard variable.
const GRAFANA_VARIABLES = new Set(['__rate_interval', '__range', '__interval', '__interval_ms', '__range_s']);
const RULES = join(DASHBOARDS, 'rules', 'errcode.rules.yml');
/** Metric names the exporter serves: the fixed ones and one per default dimension. */
const SERVED = new Set<string>([...Object.values(METRICS), ...DEFAULT_DIMENSIONS.map((d) => dimensionMetric(d.name))]);
/** The exporter's metric names in a query; a recorded series (level:metric:operations) is not one. */
const metricsIn = (expr: string): string[] => expr.match(/(?<![\w:])(?:errcode|process|nodejs)_[a-z0-9_]+(?![\w:])/g) ?? [];

interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Target {
  refId?: string;
  expr?: string;
  datasource?: unknown;
  [key: string]: unknown;
}
interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  gridPos?: GridPos;
  datasource?: unknown;
  targets?: Target[];
  panels?: PanelJson[];
  options?: Record<string, unknown>;
  fieldConfig?: {
    defaults?: {
      custom?: Record<string, unknown>;
      thresholds?: { steps: { value: number | null }[] };
    };
  };
}
interface VariableJson {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: unknown;
}
interface DashboardJson {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: PanelJson[];
  templating?: { list?: VariableJson[] };
}
interface DashboardFile {
  name: string;
  json: DashboardJson;
}

let dashboards: DashboardFile[];

beforeAll(async () => {
  const files = await findJson(DASHBOARDS);
  dashboards = await Promise.all(
    files.map(async (file) => ({
      name: relative(DASHBOARDS, file),
      json: JSON.parse(await readFile(file, 'utf8')) as DashboardJson,
    })),
  );
});

describe('dashboards/ as Grafana reads it', () => {
  it('holds the errcode-stream dashboard', () => {
    expect(dashboards.map((d) => d.name)).toContain(MAIN_DASHBOARD);
  });

  it("matches Grafana's dashboard model and each panel plugin's options (@grafana/schema, checked by tsc)", async () => {
    const { code, output } = await typeCheck(dashboards);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('has a title, a stable uid and a current schema version', () => {
    for (const { name, json } of dashboards) {
      expect(json.title, name).toMatch(/\S/);
      // Grafana accepts uids of up to 40 characters; a fixed one keeps links stable across imports.
      expect(json.uid, name).toMatch(/^[A-Za-z0-9_-]{8,40}$/);
      expect(json.schemaVersion, name).toBeGreaterThanOrEqual(39);
    }
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length);
  });

  it('gives every panel a unique id and its own place on the 24-column grid', () => {
    for (const { name, json } of dashboards) {
      const panels = allPanels(json);
      const ids = panels.map((p) => p.id);
      for (const id of ids) expect(Number.isInteger(id), `${name}: panel id ${id}`).toBe(true);
      expect(new Set(ids).size, `${name}: duplicate panel ids in ${ids.join(',')}`).toBe(ids.length);
      const boxes = panels.map((p) => ({ title: p.title ?? `#${p.id}`, g: p.gridPos }));
      for (const { title, g } of boxes) {
        expect(g, `${name}: ${title} has no gridPos`).toBeDefined();
        const { x, y, w, h } = g!;
        for (const v of [x, y, w, h]) expect(Number.isInteger(v), `${name}: ${title} gridPos ${JSON.stringify(g)}`).toBe(true);
        expect(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= GRID_COLUMNS, `${name}: ${title} ${JSON.stringify(g)}`).toBe(
          true,
        );
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          expect(overlaps(boxes[i]!.g!, boxes[j]!.g!), `${name}: "${boxes[i]!.title}" overlaps "${boxes[j]!.title}"`).toBe(
            false,
          );
        }
      }
    }
  });

  it('takes every query from the ${datasource} variable, a Prometheus data source picker', () => {
    for (const { name, json } of dashboards) {
      const vars = json.templating?.list ?? [];
      const ds = vars.find((v) => v.name === 'datasource');
      expect(ds, `${name}: no datasource variable`).toMatchObject({ type: 'datasource', query: 'prometheus' });
      for (const panel of allPanels(json).filter((p) => p.type !== 'row')) {
        expect(panel.datasource, `${name}: ${panel.title}`).toEqual(DATASOURCE_REF);
        for (const t of panel.targets ?? []) expect(t.datasource, `${name}: ${panel.title} ${t.refId}`).toEqual(DATASOURCE_REF);
      }
      for (const v of vars.filter((v) => v.type === 'query')) expect(v.datasource, `${name}: $${v.name}`).toEqual(DATASOURCE_REF);
    }
  });

  it('offers job, instance, code, route and app variables queried from the exporter', () => {
    for (const { name, json } of dashboards) {
      const vars = new Map((json.templating?.list ?? []).map((v) => [v.name, v]));
      for (const wanted of ['job', 'instance', 'code', 'route', 'app']) {
        const v = vars.get(wanted);
        expect(v?.type, `${name}: $${wanted}`).toBe('query');
        expect(labelValuesQuery(variableQuery(v!)), `${name}: $${wanted}`).toMatchObject({ label: wanted });
      }
    }
  });

  it('gives every data panel PromQL targets with distinct refIds and only defined variables', () => {
    for (const { name, json } of dashboards) {
      const defined = new Set((json.templating?.list ?? []).map((v) => v.name));
      for (const panel of allPanels(json).filter((p) => p.type !== 'row')) {
        const where = `${name}: ${panel.title}`;
        const targets = panel.targets ?? [];
        expect(targets.length, where).toBeGreaterThan(0);
        expect(new Set(targets.map((t) => t.refId)).size, where).toBe(targets.length);
        for (const t of targets) {
          expect(typeof t.expr === 'string' && t.expr.trim() !== '', `${where} ${t.refId}`).toBe(true);
          for (const v of variablesIn(t.expr!)) {
            expect(defined.has(v) || GRAFANA_VARIABLES.has(v), `${where}: unknown variable $${v}`).toBe(true);
          }
        }
        for (const v of variablesIn(panel.title ?? '')) expect(defined.has(v), `${where}: unknown variable $${v}`).toBe(true);
      }
    }
  });

  it('uses only the metric names and label values the exporter defines, and series the rules record', async () => {
    const recorded = new Set((parse(await readFile(RULES, 'utf8')) as { groups: { rules: { record?: string }[] }[] }).groups.flatMap((g) => g.rules.flatMap((r) => r.record ?? [])));
    const values: Record<string, readonly string[]> = { category: CATEGORIES, outcome: OUTCOMES, family: FAMILIES };
    for (const { name, json } of dashboards) {
      for (const expr of exprs(json)) {
        for (const metric of metricsIn(expr).filter((m) => m.startsWith('errcode_'))) {
          expect(SERVED, `${name}: ${metric} is not in src/metrics/names.ts`).toContain(metric);
        }
        for (const series of expr.match(/\b[a-z_]+:errcode_[a-z_]+:[a-z0-9_]+\b/g) ?? []) expect(recorded, `${name}: ${series} is not recorded in ${RULES}`).toContain(series);
        for (const [, label, op, value] of expr.matchAll(/\b(category|outcome|family)\s*(=~|!~|=|!=)\s*"([^"]*)"/g)) {
          const listed = op!.includes('~') ? value!.split('|') : [value!];
          for (const v of listed) expect(values[label!], `${name}: ${label}="${v}" in ${expr}`).toContain(v);
        }
      }
    }
  });
});

describe('Grafana provisioning in dashboards/provisioning', () => {
  const load = async (path: string): Promise<Record<string, unknown>> =>
    parse(await readFile(join(DASHBOARDS, path), 'utf8')) as Record<string, unknown>;

  it('provisions a Prometheus data source whose time interval is the example scrape interval', async () => {
    const file = (await load('provisioning/datasources/errcode-stream.yml')) as {
      apiVersion: number;
      datasources: { type: string; url: string; jsonData?: { timeInterval?: string } }[];
    };
    const prometheus = (await load('prometheus.yml')) as { global: { scrape_interval: string } };
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toHaveLength(1);
    expect(file.datasources[0]).toMatchObject({ type: 'prometheus' });
    expect(() => new URL(file.datasources[0]!.url)).not.toThrow();
    expect(file.datasources[0]!.jsonData?.timeInterval).toBe(prometheus.global.scrape_interval);
  });

  it('provisions the dashboards from files', async () => {
    const file = (await load('provisioning/dashboards/errcode-stream.yml')) as {
      apiVersion: number;
      providers: { name: string; type: string; options: { path: string } }[];
    };
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toHaveLength(1);
    expect(file.providers[0]).toMatchObject({ name: 'errcode-stream', type: 'file' });
    expect(file.providers[0]!.options.path).toMatch(/^\//);
  });
});

describe(`${MAIN_DASHBOARD} shows what an operator asks for`, () => {
  let panels: PanelJson[];
  beforeAll(() => {
    panels = allPanels(dashboards.find((d) => d.name === MAIN_DASHBOARD)!.json).filter((p) => p.type !== 'row');
  });
  const withExpr = (re: RegExp): PanelJson[] => panels.filter((p) => (p.targets ?? []).some((t) => re.test(t.expr ?? '')));

  it('responses/s by category, stacked', () => {
    const found = withExpr(/sum by \(category\) \(rate\(errcode_responses_total\{/);
    expect(found.map((p) => p.fieldConfig?.defaults?.custom?.['stacking'])).toContainEqual({ mode: 'normal', group: 'A' });
  });

  it("both spike families' shares against the detector's default ratio", () => {
    const found = withExpr(/category=~"server\|system"/).filter((p) => withExpr(/category="platform_auth"/).includes(p));
    expect(found).toHaveLength(1);
    const steps = found[0]!.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value);
    expect(steps).toContain(DEFAULT_SPIKE_OPTIONS.ratio);
  });

  it('the alert state over time', () => {
    expect(withExpr(/errcode_alert_active\{/).map((p) => p.type)).toContain('state-timeline');
  });

  it('top codes with the Chinese and English descriptions joined from the info metric', () => {
    const found = withExpr(/group_left \(description, description_en\)[\s\S]*errcode_code_info\{/);
    expect(found.map((p) => p.type)).toContain('table');
  });

  it('a drill-down into the code picked in $code', () => {
    expect(withExpr(/code="\$code"/).length).toBeGreaterThanOrEqual(2);
  });

  it('where the errors come from: top routes and apps by server and platform errors, and their drill-downs', () => {
    for (const dim of ['route', 'app']) {
      expect(withExpr(new RegExp(`topk\\(10, sum by \\(${dim}\\) \\(rate\\(errcode_${dim}_responses_total\\{[^}]*category=~"server\\|system\\|platform_auth"`))).toHaveLength(1);
      expect(withExpr(new RegExp(`${dim}="\\$${dim}"`)).length, dim).toBeGreaterThanOrEqual(2);
    }
    expect(withExpr(/job_route:errcode_server_errors:ratio5m\{/).map((p) => p.type)).toContain('table');
  });

  it('input health: lines by outcome, bytes read, malformed share', () => {
    expect(withExpr(/sum by \(outcome\) \(rate\(errcode_input_lines_total/)).not.toHaveLength(0);
    expect(withExpr(/rate\(errcode_input_bytes_total/)).not.toHaveLength(0);
    expect(withExpr(/outcome="malformed"/)).not.toHaveLength(0);
  });

  it('process CPU and memory', () => {
    expect(withExpr(/rate\(process_cpu_seconds_total/)).not.toHaveLength(0);
    expect(withExpr(/process_resident_memory_bytes/)).not.toHaveLength(0);
  });
});

describe('every panel query against a real Prometheus scraping the real CLI', () => {
  const JOB = 'errcode';
  const DRILL_DOWN_CODE = '5021';
  // The fixture's routes (templated: the query strings go) and its most frequent app.
  const DRILL_DOWN_ROUTE = '/api/v1/orders';
  let drillDownApp: string;
  // With 1s scrapes any window over 2s has samples; a wide one keeps the counters' rise inside it however
  // slowly the queries below run.
  const RATE_INTERVAL = '5m';
  const RANGE = '10m';
  let cli: RunningCli | undefined;
  let prom: Prometheus | undefined;
  let instance: string;

  beforeAll(async () => {
    // Input arrives after Prometheus's first scrape, as on a live gateway: rates and increases then see the
    // counters rise instead of starting at their final values.
    cli = await startCli(['-', '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving'], { stdin: 'pipe' });
    instance = new URL(cli.url).host;
    prom = await startPrometheus({ scrape: [{ job: JOB, targets: [cli.url] }], ruleFiles: [RULES] });
    await prom.waitFor(`${METRICS.inputLines}{job="${JOB}"}`, (r) => resultSize(r) > 0, 30_000);
    const fixture = await readFile(FIXTURE, 'utf8');
    const apps = new Map<string, number>();
    for (const m of fixture.matchAll(/"appKey":"([^"]+)"/g)) apps.set(m[1]!, (apps.get(m[1]!) ?? 0) + 1);
    drillDownApp = [...apps].sort((a, b) => b[1] - a[1])[0]![0];
    // In two halves, a few scrapes apart: a breakdown's (value, code) series appear when first counted, and
    // rate() needs to see them rise, as it does on a live gateway.
    const lines = fixture.split('\n');
    const half = Math.floor(lines.length / 2);
    cli.proc.stdin!.write(lines.slice(0, half).join('\n') + '\n');
    await prom.waitFor(`count_over_time(${dimensionMetric('route')}{job="${JOB}", route="${DRILL_DOWN_ROUTE}", code="200"}[1m])`, (r) => (scalarOf(r) ?? 0) >= 2, 30_000);
    cli.proc.stdin!.end(lines.slice(half).join('\n'));
    const truth = JSON.parse(await readFile(FIXTURE_TRUTH, 'utf8')) as { lines: number };
    await prom.waitFor(`sum(${METRICS.inputLines}{job="${JOB}"})`, (r) => scalarOf(r) === truth.lines, 30_000);
    await prom.waitFor(`count_over_time(up{job="${JOB}"}[1m])`, (r) => (scalarOf(r) ?? 0) >= 2, 30_000);
    // Every breakdown series seen in at least two scrapes, and the route rule evaluated on them.
    await prom.waitFor(`min(count_over_time(${dimensionMetric('route')}{job="${JOB}"}[1m]))`, (r) => (scalarOf(r) ?? 0) >= 2, 30_000);
    await prom.waitFor(`count(job_route:errcode_server_errors:ratio5m{job="${JOB}"} > 0)`, (r) => (scalarOf(r) ?? 0) > 0, 30_000);
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await cli?.stop();
  });

  const substitute = (expr: string): string =>
    expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
      const name = a ?? b ?? c ?? '';
      const value: Record<string, string> = {
        job: JOB,
        // Grafana escapes regex metacharacters of a multi-value variable used with =~; so do we.
        instance: instance.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&'),
        code: DRILL_DOWN_CODE,
        route: DRILL_DOWN_ROUTE,
        app: drillDownApp,
        __rate_interval: RATE_INTERVAL,
        __range: RANGE,
      };
      const v = value[name];
      if (v === undefined) throw new Error(`no test value for ${whole} in ${expr}`);
      return v;
    });

  it('serves every metric the dashboards use', async () => {
    const text = await (await fetch(cli!.url)).text();
    const served = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)/gm)].map((m) => m[1]!));
    for (const { name, json } of dashboards) {
      for (const expr of exprs(json)) {
        for (const metric of metricsIn(expr)) {
          expect(served, `${name}: ${metric}`).toContain(metric);
        }
      }
    }
  });

  it('resolves the job, instance, code, route and app variables to the scraped target', async () => {
    for (const { name, json } of dashboards) {
      for (const v of json.templating?.list ?? []) {
        if (v.type !== 'query') continue;
        const { selector, label } = labelValuesQuery(variableQuery(v))!;
        const data = await prom!.query(`count by (${label}) (${substitute(selector)})`);
        const values = data.resultType === 'vector' ? data.result.map((s) => s.metric[label]) : [];
        const wanted = { job: JOB, instance, code: DRILL_DOWN_CODE, route: DRILL_DOWN_ROUTE, app: drillDownApp }[v.name];
        expect(values, `${name}: $${v.name}`).toContain(wanted);
      }
    }
  });

  it('returns data for every panel query', async () => {
    const failures: string[] = [];
    let queried = 0;
    for (const { name, json } of dashboards) {
      for (const panel of allPanels(json)) {
        for (const t of panel.targets ?? []) {
          const where = `${name}: "${panel.title}" ${t.refId}: ${t.expr}`;
          queried++;
          try {
            const data = await prom!.query(substitute(t.expr ?? ''));
            if (resultSize(data) === 0) failures.push(`${where} -> empty result`);
            else if (!hasNumber(data)) failures.push(`${where} -> no finite value in ${JSON.stringify(data)}`);
          } catch (err) {
            failures.push(`${where} -> ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      }
    }
    expect(queried).toBeGreaterThanOrEqual(15);
    expect(failures).toEqual([]);
  });

  it("lists the fixture's most frequent codes with their descriptions from the code table", async () => {
    const truth = JSON.parse(await readFile(FIXTURE_TRUTH, 'utf8')) as { codes: Record<string, number> };
    const table = new Map(BUILTIN_CODES.map((e) => [String(e.code), e]));
    const frequent = Object.entries(truth.codes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .flatMap(([code]) => table.get(code) ?? []);
    expect(frequent.map((e) => String(e.code))).toContain(DRILL_DOWN_CODE);

    const dashboard = dashboards.find((d) => d.name === MAIN_DASHBOARD)!.json;
    const panel = allPanels(dashboard).find((p) => p.title === 'Top codes');
    const data = await prom!.query(substitute(panel!.targets![0]!.expr!));
    const rows = data.resultType === 'vector' ? data.result.map((s) => s.metric) : [];
    for (const entry of frequent) {
      expect(rows).toContainEqual(
        expect.objectContaining({
          code: String(entry.code),
          category: entry.category,
          description: entry.description,
          description_en: entry.description_en,
        }),
      );
    }
  });
});

async function findJson(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findJson(path)));
    else if (entry.name.endsWith('.json')) out.push(path);
  }
  return out.sort();
}

/** Top-level panels and the panels inside collapsed rows. */
function allPanels(json: DashboardJson): PanelJson[] {
  return (json.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

function exprs(json: DashboardJson): string[] {
  return allPanels(json).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
}

function variablesIn(text: string): string[] {
  return [...text.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

function variableQuery(v: VariableJson): string {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
}

/** The parts of Grafana's `label_values(selector, label)`, which is not PromQL. */
function labelValuesQuery(query: string): { selector: string; label: string } | undefined {
  const m = /^label_values\((.+),\s*(\w+)\s*\)$/.exec(query.trim());
  return m ? { selector: m[1]!, label: m[2]! } : undefined;
}

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function hasNumber(data: QueryData): boolean {
  switch (data.resultType) {
    case 'vector':
      return data.result.some((s) => Number.isFinite(Number(s.value[1])));
    case 'matrix':
      return data.result.some((s) => s.values.some((v) => Number.isFinite(Number(v[1]))));
    case 'scalar':
      return Number.isFinite(Number(data.result[1]));
    case 'string':
      return false;
  }
}

/**
 * Compiles each dashboard as a TypeScript literal against @grafana/schema: the dashboard against
 * `Dashboard`, and each panel's `options` and `fieldConfig.defaults.custom` against its plugin's `Options`
 * and `FieldConfig`. Object literals get TypeScript's excess-property check, so a misspelt or unknown key
 * fails as surely as a wrong type. Resolves with tsc's exit code and output.
 */
async function typeCheck(files: readonly DashboardFile[]): Promise<{ code: number; output: string }> {
  const require = createRequire(import.meta.url);
  const schemaPackage = require.resolve('@grafana/schema/package.json', { paths: [ROOT] });
  const exportsMap = (JSON.parse(await readFile(schemaPackage, 'utf8')) as { exports: Record<string, unknown> }).exports;
  const pluginModule = (type: string): string | undefined => {
    const dir = type.replace(/-/g, '');
    const key = Object.keys(exportsMap).find((k) => k.startsWith(`./dist/esm/raw/composable/${dir}/panelcfg/x/`));
    return key && `@grafana/schema/${key.slice(2)}`;
  };

  const lines = [
    "import type { Dashboard } from '@grafana/schema';",
    // Grafana's types spell many values as enums; dashboard JSON holds the enums' plain values.
    'type Json<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T :',
    '  T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
  ];
  const imported = new Map<string, string>();
  const checks: string[] = [];
  files.forEach(({ name, json }, d) => {
    checks.push(`// ${name}`, `export const d${d} = ${JSON.stringify(json, null, 2)} satisfies Json<Dashboard>;`);
    for (const panel of allPanels(json)) {
      if (panel.type === 'row') continue;
      const module = pluginModule(panel.type);
      if (module === undefined) {
        checks.push(`// ${name}: "${panel.title}"`, `export const d${d}_p${panel.id}: never = 'no schema for ${panel.type}';`);
        continue;
      }
      if (!imported.has(module)) imported.set(module, `plugin${imported.size}`);
      const ns = imported.get(module)!;
      checks.push(
        `// ${name}: "${panel.title}" options`,
        `export const d${d}_p${panel.id}_options = ${JSON.stringify(panel.options ?? {}, null, 2)} satisfies Json<${ns}.Options>;`,
      );
      const custom = panel.fieldConfig?.defaults?.custom;
      if (custom !== undefined) {
        checks.push(
          `// ${name}: "${panel.title}" fieldConfig.defaults.custom`,
          `export const d${d}_p${panel.id}_custom = ${JSON.stringify(custom, null, 2)} satisfies Json<${ns}.FieldConfig>;`,
        );
      }
    }
  });
  for (const [module, ns] of imported) lines.push(`import type * as ${ns} from '${module}';`);

  const dir = await mkdtemp(join(tmpdir(), 'errcode-dashboards-'));
  try {
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await writeFile(join(dir, 'check.ts'), [...lines, ...checks].join('\n') + '\n');
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        skipLibCheck: true,
        types: [],
      },
      files: ['check.ts'],
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(dirname(require.resolve('typescript/package.json', { paths: [ROOT] })), 'bin', 'tsc');
    return await new Promise((resolve) => {
      execFile(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
