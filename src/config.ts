// One typed Config built from the parsed flags. Every mistake becomes a UsageError with a one-line reason;
// command.ts prints it and exits 2.
import { accessSync, constants, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { RequestHeader } from './codes/api.js';
import { fieldPaths, type FieldPaths } from './extract/paths.js';
import { DEFAULT_DIMENSIONS, kindOf, MAX_DIMENSIONS, RESERVED_LABEL_NAMES, type DimensionSpec } from './labels/dimensions.js';
import { parseRoutePattern, RoutePatternError, type RoutePattern } from './labels/route.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type OutputMode = 'enriched' | 'none' | 'live';

export interface Listen {
  readonly host: string | undefined;
  readonly port: number;
}

export interface Config {
  readonly inputs: readonly string[];
  readonly follow: boolean;
  readonly fromStart: boolean;
  readonly stateFile: string | undefined;
  readonly engine: 'fast' | 'reference';
  readonly maxLineBytes: number;
  readonly paths: FieldPaths;
  readonly codes: readonly string[];
  readonly codesUrl: string | undefined;
  /** Sent with every request to --codes-url; values may be keys (never print them). */
  readonly codesUrlHeaders: readonly RequestHeader[];
  readonly codesCache: string | undefined;
  readonly codesTimeoutMs: number;
  readonly codesRefreshMs: number;
  /** null: no metrics endpoint. */
  readonly listen: Listen | null;
  readonly metricsPrefix: string;
  readonly maxUnlistedCodes: number;
  readonly webConfig: string | undefined;
  readonly keepServing: boolean;
  readonly alertWindowSec: number;
  readonly alertMinCount: number;
  readonly alertRatio: number;
  readonly alertFactor: number;
  readonly alerts: string | undefined;
  readonly alertmanagerUrls: readonly string[];
  readonly alertmanagerResendMs: number;
  readonly alertmanagerQueue: number;
  readonly output: OutputMode;
  readonly lang: 'zh' | 'en';
  readonly deadLetter: string | undefined;
  readonly summaryJson: string | undefined;
  /** The breakdowns (SPEC "Breakdowns"); their lookup lists are also in paths.dims. */
  readonly dimensions: readonly DimensionSpec[];
  readonly routePatterns: readonly RoutePattern[];
  readonly maxLabelValues: number;
  readonly maxLabelSeries: number;
  /** --report: the self-contained HTML report written at the end of the run. */
  readonly report: string | undefined;
  /** SPEC "History": remote write and the OpenMetrics file. */
  readonly history: HistoryConfig;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A duration as Prometheus writes it: `500ms`, `30s`, `5m`, `1h30m` (each unit once, largest first). */
export function parseDuration(flag: string, text: string): number {
  const re = /(\d+)(ms|s|m|h|d|w|y)/y;
  let ms = 0;
  let at = 0;
  let unit = Infinity;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const size = UNIT_MS[m[2]!]!;
    if (size >= unit) break;
    unit = size;
    ms += Number(m[1]) * size;
    at = re.lastIndex;
  }
  if (text === '' || at !== text.length || ms <= 0) {
    throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected a duration like 500ms, 30s, 5m or 1h`);
  }
  return ms;
}

/** How often to fetch or re-send: under a second would hammer the other end. */
function atLeastASecond(flag: string, text: string): number {
  const ms = parseDuration(flag, text);
  if (ms < 1000) throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected at least 1s`);
  return ms;
}

/** A duration the spike windows can use: they advance one second at a time. */
function wholeSeconds(flag: string, text: string): number {
  const ms = parseDuration(flag, text);
  if (ms % 1000 !== 0) throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected whole seconds, such as 30s or 5m`);
  return ms / 1000;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1 << 20, gib: 1 << 30, kb: 1000, mb: 1e6, gb: 1e9 };

/** A size in bytes: `65536`, `64KiB`, `1MiB`. */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!(n >= 1) || n > 1 << 30) throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected a size like 65536, 64KiB or 1MiB (at most 1GiB)`);
  return n;
}

/** `[HOST]:PORT`, `none` to turn the endpoint off. */
export function parseListen(text: string): Listen | null {
  if (text === 'none') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen ${JSON.stringify(text)}: expected [HOST]:PORT such as :9477, 127.0.0.1:9477 or [::1]:9477, or none`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

function positiveInt(flag: string, v: unknown, min = 1): number {
  // Decimal digits only: Number() would also take '' (0), '0x14' (20) and '1e3'.
  const n = /^\s*\d+\s*$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected an integer of at least ${min}`);
  return n;
}

function ratio(flag: string, v: unknown, max: number): number {
  const n = /^\s*(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(String(v)) ? Number(v) : NaN;
  if (!(n > 0 && n <= max)) throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected a number above 0 and at most ${max}`);
  return n;
}

function oneOf<T extends string>(flag: string, v: unknown, choices: readonly T[]): T {
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected one of ${choices.join(', ')}`);
}

function fieldPath(flag: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.split('.').some((k) => k === '')) {
    throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected a dotted path such as response.code`);
  }
  return v;
}

/** `Name: value` of --codes-url-header, with `${NAME}` in the value taken from the environment. */
function requestHeader(text: string, env: NodeJS.ProcessEnv): RequestHeader {
  // Only the name is ever shown: the value may be the key itself.
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError("--codes-url-header: expected 'Name: value', such as 'X-App-Key: ${APP_KEY}'");
  const name = text.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`--codes-url-header ${JSON.stringify(name)}: not an HTTP header name`);
  const value = text.slice(colon + 1).trim().replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
    const v = env[variable];
    if (v === undefined || v === '') throw new UsageError(`--codes-url-header ${name}: the environment variable ${variable} is ${v === undefined ? 'not set' : 'empty'}`);
    return v;
  });
  if (/[\r\n\0]/.test(value)) throw new UsageError(`--codes-url-header ${name}: the value holds a line break or a NUL`);
  return { name, value };
}

/** An http(s) URL; a base URL (Alertmanager's) loses its trailing slashes, a resource's (--codes-url) keeps them. */
function url(flag: string, v: string, base = true): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--${flag} ${JSON.stringify(v)}: not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected an http or https URL`);
  return base ? v.replace(/\/+$/, '') : v;
}

function readable(flag: string, path: string): void {
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${flag}${path}: is a directory`);
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${flag}${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not readable'}`);
  }
}

/** A file the run will write: an existing file it may write, or a new name in a directory it may write. */
function writable(flag: string, path: string): void {
  let target = path;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`--${flag} ${path}: is a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    target = dirname(path);
  }
  try {
    accessSync(target, constants.W_OK);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';
    throw new UsageError(`--${flag} ${path}: ${missing ? `no such directory ${target}` : `${target} is not writable`}`);
  }
}

/** The values of a repeatable flag; given without one, yargs hands over an empty list. */
function list(flag: string, v: unknown): string[] {
  if (v === undefined) return [];
  const values = Array.isArray(v) ? v.map(String) : [String(v)];
  if (values.length === 0 || values.includes('')) throw new UsageError(`--${flag} needs a value`);
  return values;
}

/** The value of a flag that takes one; an empty value (the flag given last, or as --flag=) is an error. */
function optString(flag: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new UsageError(`--${flag} takes one value; it was given ${v.length}`);
  if (v === '') throw new UsageError(`--${flag} needs a value`);
  return String(v);
}

/** `--label NAME=PATH` values, or the defaults; none with --no-labels. */
function dimensions(flags: Flags): DimensionSpec[] {
  const given = list('label', flags['label']);
  if (flags['labels'] === false) {
    if (given.length > 0) throw new UsageError('--no-labels turns the dimensions off; it cannot go with --label');
    return [];
  }
  if (given.length === 0) return [...DEFAULT_DIMENSIONS];
  if (given.length > MAX_DIMENSIONS) throw new UsageError(`--label: at most ${MAX_DIMENSIONS} dimensions; ${given.length} were given`);
  const seen = new Set<string>();
  return given.map((text) => {
    const eq = text.indexOf('=');
    if (eq < 0) throw new UsageError(`--label ${JSON.stringify(text)}: expected NAME=PATH, such as route=request.path`);
    const name = text.slice(0, eq);
    const path = text.slice(eq + 1);
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new UsageError(`--label ${JSON.stringify(text)}: ${JSON.stringify(name)} is not a label name (lower case letters, digits and _, not first a digit)`);
    if (name.startsWith('__')) throw new UsageError(`--label ${JSON.stringify(text)}: names starting with __ are Prometheus's own`);
    if (RESERVED_LABEL_NAMES.includes(name)) throw new UsageError(`--label ${JSON.stringify(text)}: ${JSON.stringify(name)} is taken (${RESERVED_LABEL_NAMES.join(', ')} are reserved)`);
    if (seen.has(name)) throw new UsageError(`--label ${name}: given twice`);
    seen.add(name);
    if (path === '' || path.split('.').some((k) => k === '')) throw new UsageError(`--label ${JSON.stringify(text)}: expected a dotted path after =, such as request.path`);
    return { name, kind: kindOf(name), paths: [path.split('.')] };
  });
}

function routePatterns(flags: Flags, dims: readonly DimensionSpec[]): RoutePattern[] {
  const texts = list('route-pattern', flags['route-pattern']);
  if (texts.length > 0 && !dims.some((d) => d.kind === 'route')) throw new UsageError('--route-pattern shapes the route dimension, and there is none (see --label)');
  try {
    return texts.map(parseRoutePattern);
  } catch (err) {
    if (err instanceof RoutePatternError) throw new UsageError(err.message);
    throw err;
  }
}

// --- History: remote write and backfill (SPEC "History") ---

export interface HistoryConfig {
  /** Remote-write receivers (--remote-write), http or https. */
  readonly remoteWrite: readonly string[];
  /** Between two pushes, and between two points of a replay's history (remote write and --openmetrics). */
  readonly intervalMs: number;
  /** Labels of every pushed series, sorted by name: job and instance unless --remote-write-label sets them (an empty value drops one). */
  readonly labels: readonly (readonly [name: string, value: string])[];
  readonly headers: readonly (readonly [name: string, value: string])[];
  /** Samples kept per receiver while it cannot take them (--remote-write-queue). */
  readonly queueSamples: number;
  readonly openMetrics: string | undefined;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the protocol sets (or the transport owns): a user's value would break it (Prometheus refuses them too). */
const RESERVED_HEADERS = ['content-encoding', 'content-type', 'content-length', 'user-agent', 'x-prometheus-remote-write-version', 'host', 'connection', 'transfer-encoding'];

function remoteWriteLabel(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 0) throw new UsageError(`--remote-write-label ${JSON.stringify(text)}: expected NAME=VALUE`);
  const name = text.slice(0, eq);
  if (!LABEL_NAME.test(name) || name.startsWith('__')) {
    throw new UsageError(`--remote-write-label ${JSON.stringify(text)}: ${JSON.stringify(name)} is not a label name (letters, digits and _, not starting with a digit or __)`);
  }
  return [name, text.slice(eq + 1)];
}

/** `Name: value`, with `${NAME}` in the value taken from the environment so that a token stays off the command line. */
function remoteWriteHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).trim();
  if (!HEADER_NAME.test(name)) throw new UsageError(`--remote-write-header ${JSON.stringify(text)}: expected 'Name: value'`);
  if (RESERVED_HEADERS.includes(name.toLowerCase())) throw new UsageError(`--remote-write-header ${JSON.stringify(text)}: ${name} is set by the remote-write protocol`);
  const value = text.slice(colon + 1).trim().replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, env: string) => {
    const v = process.env[env];
    if (v === undefined) throw new UsageError(`--remote-write-header ${JSON.stringify(text)}: ${env} is not set in the environment`);
    return v;
  });
  return [name, value];
}

function historyConfig(flags: Flags, live: boolean): HistoryConfig {
  const remoteWrite = list('remote-write', flags['remote-write']).map((u) => url('remote-write', u));
  const openMetrics = optString('openmetrics', flags['openmetrics']);
  if (openMetrics !== undefined) {
    if (live) throw new UsageError('--openmetrics writes the history of a replay; it needs files to read, not standard input or --follow');
    if (openMetrics === '-') throw new UsageError('--openmetrics -: needs a file name');
    writable('openmetrics', openMetrics);
  }
  for (const flag of ['remote-write-header', 'remote-write-queue']) {
    if (flags[flag] !== undefined && remoteWrite.length === 0) throw new UsageError(`--${flag} works with --remote-write`);
  }
  for (const flag of ['remote-write-interval', 'remote-write-label']) {
    if (flags[flag] !== undefined && remoteWrite.length === 0 && openMetrics === undefined) throw new UsageError(`--${flag} works with --remote-write or --openmetrics`);
  }
  const labels = new Map<string, string>([
    ['instance', hostname()],
    ['job', 'errcode-stream'],
  ]);
  for (const [name, value] of list('remote-write-label', flags['remote-write-label']).map(remoteWriteLabel)) labels.set(name, value);
  return {
    remoteWrite,
    intervalMs: atLeastASecond('remote-write-interval', String(flags['remote-write-interval'] ?? '15s')),
    labels: [...labels].filter(([, v]) => v !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    headers: list('remote-write-header', flags['remote-write-header']).map(remoteWriteHeader),
    queueSamples: positiveInt('remote-write-queue', flags['remote-write-queue'] ?? 100_000),
    openMetrics,
  };
}

/** The flags as yargs-parser parsed them (kebab-case keys), by args.ts's way or yargs'. */
export type Flags = Record<string, unknown>;

export function buildConfig(flags: Flags, stdoutIsTty: boolean, env: NodeJS.ProcessEnv = process.env): Config {
  const files = flags['files'] === undefined ? [] : (flags['files'] as unknown[]).map(String);
  const inputs = files.length === 0 ? ['-'] : files;
  const follow = Boolean(flags['follow']);
  if (follow && inputs.includes('-')) throw new UsageError('--follow needs one or more files; standard input is followed anyway');
  if (follow && flags['engine'] === 'reference') throw new UsageError('--engine reference reads its input once; --follow needs the fast engine');
  const gz = follow ? inputs.find((f) => f.endsWith('.gz')) : undefined;
  if (gz) throw new UsageError(`--follow reads plain text files as they grow; ${gz} is compressed`);
  if (!follow) for (const flag of ['state-file', 'from-start']) if (flags[flag] !== undefined && flags[flag] !== false) throw new UsageError(`--${flag} works with --follow`);
  if (!follow) for (const f of inputs) if (f !== '-') readable('', f);
  const codes = list('codes', flags['codes']);
  for (const f of codes) readable('--codes ', f);
  const webConfig = optString('web-config', flags['web-config']);
  if (webConfig !== undefined) readable('--web-config ', webConfig);

  const output = flags['output'] === undefined ? (stdoutIsTty ? 'live' : 'enriched') : oneOf('output', flags['output'], ['enriched', 'none', 'live'] as const);
  const alerts = optString('alerts', flags['alerts']);
  const summaryJson = optString('summary-json', flags['summary-json']);
  for (const [flag, v, what] of [['alerts', alerts, 'alert events'], ['summary-json', summaryJson, 'the summary']] as const) {
    if (v === '-' && output !== 'none') throw new UsageError(`--${flag} - would mix ${what} into the ${output} output on stdout; use a file or --output none`);
  }
  if (alerts === '-' && summaryJson === '-') throw new UsageError('--alerts - and --summary-json - would share stdout; send one of them to a file');
  const deadLetter = optString('dead-letter', flags['dead-letter']);
  const stateFile = optString('state-file', flags['state-file']);
  for (const [flag, v, stdoutToo] of [['alerts', alerts, true], ['summary-json', summaryJson, true], ['dead-letter', deadLetter, false], ['state-file', stateFile, false]] as const) {
    if (v === '-' && !stdoutToo) throw new UsageError(`--${flag} -: needs a file name (- for stdout is for --alerts and --summary-json)`);
    if (v !== undefined && v !== '-') writable(flag, v);
  }
  const report = optString('report', flags['report']);
  if (report === '-') throw new UsageError('--report -: needs a file name (the report is one HTML file)');
  if (report !== undefined) writable('report', report);
  const live = follow || inputs.includes('-');
  const listenFlag = optString('listen', flags['listen']);
  const keepServing = Boolean(flags['keep-serving']);
  const listen = listenFlag !== undefined ? parseListen(listenFlag) : live || keepServing ? parseListen(':9477') : null;
  if (keepServing && listen === null) throw new UsageError('--keep-serving needs the metrics endpoint; --listen none turns it off');

  const codesUrlFlag = optString('codes-url', flags['codes-url']);
  const codesUrl = codesUrlFlag === undefined ? undefined : url('codes-url', codesUrlFlag, false);
  const codesCache = optString('codes-cache', flags['codes-cache']);
  if (codesUrl === undefined) {
    for (const flag of ['codes-url-header', 'codes-cache', 'codes-timeout']) if (flags[flag] !== undefined) throw new UsageError(`--${flag} works with --codes-url`);
  }
  if (codesCache === '-') throw new UsageError('--codes-cache -: needs a file name');
  if (codesCache !== undefined) writable('codes-cache', codesCache);

  const prefix = String(flags['metrics-prefix'] ?? 'errcode_');
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new UsageError(`--metrics-prefix ${JSON.stringify(prefix)}: not a valid Prometheus metric name prefix`);

  const dims = dimensions(flags);
  const maxLabelValues = positiveInt('max-label-values', flags['max-label-values'] ?? 100);
  if (maxLabelValues > 1000) throw new UsageError(`--max-label-values ${maxLabelValues}: at most 1000 (each value is a set of series in every scrape)`);
  const maxLabelSeries = positiveInt('max-label-series', flags['max-label-series'] ?? 2000);
  if (maxLabelSeries > 100_000) throw new UsageError(`--max-label-series ${maxLabelSeries}: at most 100000`);

  return {
    inputs,
    follow,
    fromStart: Boolean(flags['from-start']),
    stateFile,
    engine: oneOf('engine', flags['engine'] ?? 'fast', ['fast', 'reference'] as const),
    maxLineBytes: parseSize('max-line-bytes', String(flags['max-line-bytes'] ?? '1MiB')),
    paths: fieldPaths(
      fieldPath('code-field', flags['code-field']),
      fieldPath('status-field', flags['status-field']),
      fieldPath('time-field', flags['time-field']),
      dims.map((d) => d.paths),
    ),
    codes,
    codesUrl,
    codesUrlHeaders: list('codes-url-header', flags['codes-url-header']).map((h) => requestHeader(h, env)),
    codesCache,
    codesTimeoutMs: parseDuration('codes-timeout', String(flags['codes-timeout'] ?? '10s')),
    codesRefreshMs: atLeastASecond('codes-refresh', String(flags['codes-refresh'] ?? '1h')),
    listen,
    metricsPrefix: prefix,
    maxUnlistedCodes: positiveInt('max-unlisted-codes', flags['max-unlisted-codes'] ?? 100, 0),
    webConfig,
    keepServing,
    alertWindowSec: wholeSeconds('alert-window', String(flags['alert-window'] ?? '60s')),
    alertMinCount: positiveInt('alert-min-count', flags['alert-min-count'] ?? 20),
    alertRatio: ratio('alert-ratio', flags['alert-ratio'] ?? 0.05, 1),
    alertFactor: ratio('alert-factor', flags['alert-factor'] ?? 3, 1e6),
    alerts,
    alertmanagerUrls: list('alertmanager-url', flags['alertmanager-url']).map((u) => url('alertmanager-url', u)),
    alertmanagerResendMs: atLeastASecond('alertmanager-resend', String(flags['alertmanager-resend'] ?? '60s')),
    alertmanagerQueue: positiveInt('alertmanager-queue', flags['alertmanager-queue'] ?? 10000),
    output,
    lang: oneOf('lang', flags['lang'] ?? 'zh', ['zh', 'en'] as const),
    deadLetter,
    summaryJson,
    dimensions: dims,
    routePatterns: routePatterns(flags, dims),
    maxLabelValues,
    maxLabelSeries,
    report,
    history: historyConfig(flags, live),
  };
}
