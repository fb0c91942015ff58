/**
 * A real Prometheus server for integration tests.
 *
 *     const prom = await startPrometheus({ scrape: [{ job: 'errcode', targets: [cli.url] }] });
 *     try {
 *       await prom.waitFor('sum(errcode_input_lines_total)', (r) => scalarOf(r) === 3000, 30_000);
 *       const r = await prom.query('sum by (category) (errcode_responses_total)');
 *     } finally {
 *       await prom.stop();
 *     }
 *
 * It runs `prometheus` (override with PROMETHEUS_BIN) on 127.0.0.1 on a free port, with its own temporary
 * storage and a generated config: scrape and rule evaluation every second, the given static targets, and
 * the given rule files. `startPrometheus` resolves once /-/ready answers; `stop()` ends the process and
 * removes every file it created. Query errors (a PromQL syntax error, an unknown function) reject with a
 * `PrometheusQueryError` that carries Prometheus's own message.
 *
 * With 1s scrapes, `rate(x[10s])` already has enough samples; wait for `count_over_time(up[1m]) >= 2`
 * before asking for a rate.
 *
 * As a remote-write receiver (`remoteWriteReceiver`, at `${url}/api/v1/write`), with or without an
 * `outOfOrderTimeWindow` for old samples; `storageDir` starts it on given blocks (promtool's) or on the data
 * of an earlier server, which stop() then keeps, and `port` where that one listened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export interface ScrapeJob {
  /** Becomes the `job` label. */
  readonly job: string;
  /**
   * `host:port` or a metrics URL such as `http://127.0.0.1:9477/metrics`. URLs of one job must share scheme
   * and path, because Prometheus sets those per job.
   */
  readonly targets: readonly string[];
  /** Extra target labels, e.g. `{ host: 'gw-1' }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PrometheusOptions {
  readonly scrape: readonly ScrapeJob[];
  /** Also scrape itself (job `prometheus`), so that its head holds samples of now from the first seconds on. */
  readonly scrapeSelf?: boolean;
  /** Accept remote write at /api/v1/write (`--web.enable-remote-write-receiver`). */
  readonly remoteWriteReceiver?: boolean;
  /** `storage.tsdb.out_of_order_time_window`, e.g. `30d`; none by default, as Prometheus itself. */
  readonly outOfOrderTimeWindow?: string;
  /**
   * Storage directory to use (blocks made by promtool, or the data of an earlier server); it is kept on
   * stop(). By default a temporary one, removed on stop().
   */
  readonly storageDir?: string;
  /** Listen on this port (a server started again where the previous one was); a free one by default. */
  readonly port?: number;
  /** Rule files, loaded as they are (paths resolved against the current directory). */
  readonly ruleFiles?: readonly string[];
  /** Defaults to 1s, for both scrapes and rule evaluation. */
  readonly interval?: string;
  /** How long to wait for /-/ready; defaults to 30s. */
  readonly readyTimeoutMs?: number;
}

export type Labels = Readonly<Record<string, string>>;
export type SamplePair = readonly [number, string];

export type QueryData =
  | { readonly resultType: 'vector'; readonly result: ReadonlyArray<{ metric: Labels; value: SamplePair }> }
  | { readonly resultType: 'matrix'; readonly result: ReadonlyArray<{ metric: Labels; values: SamplePair[] }> }
  | { readonly resultType: 'scalar'; readonly result: SamplePair }
  | { readonly resultType: 'string'; readonly result: SamplePair };

export interface Prometheus {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The config file Prometheus was started with, for assertions on what was generated. */
  readonly configFile: string;
  /** An instant query via /api/v1/query, evaluated now unless `time` (epoch seconds) is given. */
  query(promql: string, time?: number): Promise<QueryData>;
  /** A range query via /api/v1/query_range (times in epoch seconds, step in seconds). */
  queryRange(promql: string, start: number, end: number, stepSec: number): Promise<QueryData>;
  /**
   * Repeats `query` until `predicate` holds and returns that result. Rejects at once on a query Prometheus
   * rejects as bad (it would never succeed), and after `timeoutMs` with the last result in the message.
   */
  waitFor(promql: string, predicate: (data: QueryData) => boolean, timeoutMs: number): Promise<QueryData>;
  /** Log lines Prometheus wrote so far (the last few hundred), for failure messages. */
  log(): string;
  /** Stops Prometheus and deletes its storage and config. Safe to call twice. */
  stop(): Promise<void>;
}

export class PrometheusQueryError extends Error {
  constructor(
    readonly promql: string,
    readonly errorType: string,
    readonly detail: string,
  ) {
    super(`${errorType}: ${detail} (query: ${promql})`);
    this.name = 'PrometheusQueryError';
  }
}

/** The single number of a scalar or one-element vector result; undefined for anything else. */
export function scalarOf(data: QueryData): number | undefined {
  if (data.resultType === 'scalar') return Number(data.result[1]);
  if (data.resultType === 'vector' && data.result.length === 1) return Number(data.result[0]!.value[1]);
  return undefined;
}

/** Number of series (or 1 for a scalar) a result holds: what "the query returned data" means. */
export function resultSize(data: QueryData): number {
  if (data.resultType === 'vector' || data.resultType === 'matrix') return data.result.length;
  return 1;
}

const PROMETHEUS_BIN = process.env['PROMETHEUS_BIN'] ?? 'prometheus';
const LOG_LINES_KEPT = 300;
const POLL_MS = 250;
// Bind races (another process takes the port between our probe and Prometheus's bind) are retried.
const START_ATTEMPTS = 3;

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'errcode-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  try {
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        const port = options.port ?? (await freePort());
        await writeFile(configFile, renderConfig(options, port));
        return await launch(dir, configFile, port, options);
      } catch (err) {
        lastError = err;
        if (options.port !== undefined || !(err instanceof Error && /address already in use/i.test(err.message))) break;
      }
    }
    throw lastError;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function renderConfig(options: PrometheusOptions, port: number): string {
  const interval = options.interval ?? '1s';
  const scrape = options.scrapeSelf ? [...options.scrape, { job: 'prometheus', targets: [`127.0.0.1:${port}`] }] : options.scrape;
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: (options.ruleFiles ?? []).map((f) => resolve(f)),
    scrape_configs: scrape.map(scrapeConfig),
    ...(options.outOfOrderTimeWindow ? { storage: { tsdb: { out_of_order_time_window: options.outOfOrderTimeWindow } } } : {}),
  };
  return stringify(config);
}

function scrapeConfig(job: ScrapeJob): Record<string, unknown> {
  const parsed = job.targets.map(parseTarget);
  const schemes = new Set(parsed.map((t) => t.scheme));
  const paths = new Set(parsed.map((t) => t.path));
  if (schemes.size > 1 || paths.size > 1) {
    throw new Error(`targets of job ${job.job} differ in scheme or path: ${job.targets.join(', ')}`);
  }
  return {
    job_name: job.job,
    scheme: parsed[0]?.scheme ?? 'http',
    metrics_path: parsed[0]?.path ?? '/metrics',
    static_configs: [{ targets: parsed.map((t) => t.address), ...(job.labels ? { labels: job.labels } : {}) }],
  };
}

function parseTarget(target: string): { scheme: string; address: string; path: string } {
  if (!/^[a-z]+:\/\//i.test(target)) return { scheme: 'http', address: target, path: '/metrics' };
  const url = new URL(target);
  return { scheme: url.protocol.replace(/:$/, ''), address: url.host, path: url.pathname || '/metrics' };
}

async function launch(dir: string, configFile: string, port: number, options: PrometheusOptions): Promise<Prometheus> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${options.storageDir ?? join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // The Debian build defaults these to /etc/prometheus, which need not exist on a CI runner.
      `--web.console.templates=${join(dir, 'consoles')}`,
      `--web.console.libraries=${join(dir, 'console_libraries')}`,
      ...(options.remoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );

  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      lines.push(line);
      if (lines.length > LOG_LINES_KEPT) lines.shift();
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const log = (): string => lines.join('\n');

  // 'error' alone (no 'exit') is what a missing binary gives; either way the server is gone.
  const exited = new Promise<number | null>((res) => {
    child.once('exit', (code) => res(code));
    child.once('error', (err) => {
      lines.push(`cannot run ${PROMETHEUS_BIN}: ${err.message}`);
      res(null);
    });
  });
  // A test process that dies mid-test must not leave a server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
    await rm(dir, { recursive: true, force: true });
  };

  const exitedEarly = { value: false };
  void exited.then(() => {
    exitedEarly.value = true;
  });
  const failure = await Promise.race([
    waitReady(url, readyTimeoutMs, exitedEarly).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    ),
    exited.then((code) => `prometheus exited with code ${code} before it was ready`),
  ]);
  if (failure !== undefined) {
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
    throw new Error(`${failure}\n--- prometheus log ---\n${log()}`);
  }

  const query = (promql: string, time?: number): Promise<QueryData> => instantQuery(url, promql, time);
  const waitFor = async (
    promql: string,
    predicate: (data: QueryData) => boolean,
    timeoutMs: number,
  ): Promise<QueryData> => {
    const deadline = Date.now() + timeoutMs;
    let last: string = 'no answer yet';
    for (;;) {
      try {
        const data = await query(promql);
        if (predicate(data)) return data;
        last = JSON.stringify(data);
      } catch (err) {
        if (err instanceof PrometheusQueryError && err.errorType === 'bad_data') throw err;
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() >= deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${promql}; last result: ${last}`);
      }
      await sleep(POLL_MS);
    }
  };

  const queryRange = (promql: string, start: number, end: number, stepSec: number): Promise<QueryData> =>
    apiQuery(url, 'query_range', promql, { start: String(start), end: String(end), step: String(stepSec) });
  return { url, configFile, query, queryRange, waitFor, log, stop };
}

function instantQuery(base: string, promql: string, time?: number): Promise<QueryData> {
  return apiQuery(base, 'query', promql, time === undefined ? {} : { time: String(time) });
}

async function apiQuery(base: string, endpoint: 'query' | 'query_range', promql: string, params: Record<string, string>): Promise<QueryData> {
  const body = new URLSearchParams({ query: promql, ...params });
  const res = await fetch(`${base}/api/v1/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const text = await res.text();
  let parsed: { status?: string; data?: QueryData; errorType?: string; error?: string };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Error(`Prometheus answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (parsed.status !== 'success' || parsed.data === undefined) {
    throw new PrometheusQueryError(promql, parsed.errorType ?? `http_${res.status}`, parsed.error ?? text);
  }
  return parsed.data;
}

async function waitReady(url: string, timeoutMs: number, gaveUp: { readonly value: boolean }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && !gaveUp.value) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(POLL_MS);
  }
  throw new Error(`prometheus at ${url} not ready after ${timeoutMs} ms (${last})`);
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? res(port) : rej(new Error('no free port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
