// The command line's options, and the quick way through them for a run. yargs (command.ts) answers --help,
// --version, the `codes` command and unknown options, but loading it takes 70-95 ms of ES modules and
// string-width's Intl.Segmenter, on the main thread, before the reader thread gets its configuration. A run
// with known options is parsed here by yargs-parser, the parser yargs itself calls, with the same options
// and configuration, so it gets the same flags (a property test holds the two ways to it); anything else
// goes to yargs. Wrong values are found by buildConfig either way, and end the same way (fail()).
import parser from 'yargs-parser';
import { buildConfig, type Flags } from './config.js';

const str = (describe: string) => ({ type: 'string' as const, describe });

export const OPTIONS = {
  follow: { alias: 'F', type: 'boolean', describe: 'keep reading the files as they grow, across rotation (like tail -F)' },
  'from-start': { type: 'boolean', describe: 'with --follow: read existing files from the beginning' },
  'state-file': str('with --follow: remember file offsets here and resume from them'),
  engine: str('fast (byte scanner, default) or reference (split2 + JSON.parse)'),
  'max-line-bytes': str('skip longer lines as oversized, without buffering them (default 1MiB)'),
  'code-field': str('dotted path of the business code (default: code, then response.code, then body.code)'),
  'status-field': str('dotted path of the HTTP status (default: status, statusCode, http_status, httpStatus)'),
  'time-field': str('dotted path of the event time (default: ts, time, timestamp, @timestamp)'),
  codes: { type: 'string', array: true, describe: 'code table file (JSON array, JSON object or Markdown); repeatable' },
  'codes-url': str("fetch a newer code table from this URL (the platform's API envelope, JSON or Markdown)"),
  'codes-url-header': { type: 'string', array: true, describe: "send 'Name: value' to --codes-url; ${ENV_NAME} in the value is read from the environment; repeatable" },
  'codes-cache': str('keep the last table from --codes-url in this file; used at start-up when the API is unreachable'),
  'codes-timeout': str('time allowed for a whole --codes-url answer (default 10s)'),
  'codes-refresh': str('how often to re-fetch --codes-url (default 1h)'),
  listen: str('metrics endpoint [HOST]:PORT, or none (default :9477 when the input can grow)'),
  'metrics-prefix': str('prefix of the metric names (default errcode_)'),
  'max-unlisted-codes': str('distinct codes outside the table that get their own series (default 100)'),
  'web-config': str('exporter-toolkit web config file: TLS and basic auth for the endpoint'),
  'keep-serving': { type: 'boolean', describe: 'keep the metrics endpoint up after the input ends, until a signal' },
  'alert-window': str('spike window (default 60s)'),
  'alert-min-count': str('errors a window needs before it can fire (default 20)'),
  'alert-ratio': str("family's share of responses that fires (default 0.05)"),
  'alert-factor': str('how many times its baseline share the family must reach (default 3)'),
  alerts: str('write alert events (NDJSON) to this file, - for stdout (default stderr)'),
  'alertmanager-url': { type: 'string', array: true, describe: 'post alerts to this Alertmanager; repeatable' },
  'alertmanager-resend': str('re-send firing alerts this often (default 60s)'),
  'alertmanager-queue': str('alerts kept while Alertmanager is unreachable (default 10000)'),
  output: str('enriched (default when stdout is not a terminal), none, or live (default on a terminal)'),
  lang: str('description language of the live view and summary: zh (default) or en'),
  'dead-letter': str('append every line that could not be counted as ok to this file'),
  'summary-json': str('write the end-of-run summary as JSON to this file'),
  label: { type: 'string', array: true, describe: 'count by a dimension NAME read at PATH (NAME=PATH); repeatable; replaces the defaults route, app, method' },
  labels: { type: 'boolean', describe: 'count by the dimensions (default); --no-labels turns them off' },
  'route-pattern': { type: 'string', array: true, describe: 'a route template matched first, e.g. /openapi/v1/orders/:id (* for the rest); repeatable' },
  'max-label-values': str('values of a dimension with their own series (default 100); the rest count as other'),
  'max-label-series': str('series of a dimension (default 2000); past it new pairs count under code="other"'),
  // The HTML report (src/web/).
  report: str('write a self-contained HTML report of the run (charts, incidents, top codes) to this file at its end'),
  'remote-write': { type: 'string', array: true, describe: 'push every errcode_* series to this Prometheus remote-write URL; repeatable' },
  'remote-write-interval': str("how often to push, and the step of a replay's history (default 15s)"),
  'remote-write-label': { type: 'string', array: true, describe: 'NAME=VALUE on every pushed series (default job=errcode-stream, instance=<host name>); repeatable' },
  'remote-write-header': { type: 'string', array: true, describe: "'Name: value' on every push (X-Scope-OrgID, Authorization); ${ENV} from the environment; repeatable" },
  'remote-write-queue': str('samples kept per receiver while it is unreachable (default 100000)'),
  openmetrics: str("write a replay's history to this file as OpenMetrics text, for promtool tsdb create-blocks-from openmetrics"),
} as const;

/** yargs takes the `-` of `--alerts -` for a positional; `--alerts=-` keeps it the option's value. */
export function joinDashValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.replace(/^--/, '');
    if (args[i]!.startsWith('--') && args[i + 1] === '-' && OPTIONS[name as keyof typeof OPTIONS]?.type === 'string') {
      out.push(`${args[i]}=-`);
      i++;
    } else out.push(args[i]!);
  }
  return out;
}

/** Given to yargs-parser by both ways. Positional numbers stay strings: a file named 2024.10 is not 2024.1. */
export const PARSER_CONFIGURATION = { 'camel-case-expansion': false, 'parse-positional-numbers': false } as const;

const entries = Object.entries(OPTIONS) as [string, { type: string; array?: boolean; alias?: string }][];
const names = (pick: (o: (typeof entries)[number][1]) => boolean) => entries.filter(([, o]) => pick(o)).map(([name]) => name);
/** OPTIONS for yargs-parser; the arguments after `--` kept apart, as yargs keeps them to look for commands. */
const QUICK_OPTIONS: parser.Options = {
  boolean: names((o) => o.type === 'boolean'),
  string: names((o) => o.type === 'string'),
  array: names((o) => o.array === true),
  alias: Object.fromEntries(entries.filter(([, o]) => o.alias).map(([name, o]) => [name, [o.alias!]])),
  configuration: { ...PARSER_CONFIGURATION, 'populate--': true },
};
const KNOWN = new Set(entries.flatMap(([name, o]) => (o.alias ? [name, o.alias] : [name])));

/**
 * A run's flags, as yargs would hand them to the run, or undefined when yargs has to answer: an unknown
 * option (help and version among them), a parse error, the `codes` command (the first positional), or a
 * last positional `help` (yargs takes it for --help). Both look only before a `--`, as yargs does.
 */
export function parseRun(args: readonly string[]): Flags | undefined {
  const { argv, error } = parser.detailed(joinDashValues(args), QUICK_OPTIONS);
  const { _: before, '--': after = [], ...options } = argv;
  if (error || Object.keys(options).some((key) => !KNOWN.has(key))) return undefined;
  if (before[0] === 'codes' || before.at(-1) === 'help') return undefined;
  const files = [...before, ...after].map(String);
  return { ...options, _: files, files };
}

/** A user mistake: its first line, exit 2. */
export function usageExit(message: string): never {
  process.stderr.write(`errcode-stream: ${message.split('\n')[0]}\n`);
  process.exit(2);
}

/** Errors that are the user's to fix: flags, files, tables, web config, a listen address in use. */
const USAGE_ERRORS = new Set(['UsageError', 'CodeTableError', 'WebConfigError', 'MetricsServerError', 'AlertmanagerUrlError']);

export function fail(err: unknown): never {
  if (err instanceof Error && USAGE_ERRORS.has(err.name)) usageExit(err.message);
  process.stderr.write(`errcode-stream: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}

/** Flags -> Config -> run. prom-client and the engine load here, once the flags are known to be a run. */
export async function startRun(flags: Flags): Promise<void> {
  try {
    const config = buildConfig(flags, Boolean(process.stdout.isTTY));
    const { run } = await import('./run.js');
    await run(config);
  } catch (err) {
    fail(err);
  }
}
