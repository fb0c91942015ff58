// The command line with yargs: --help, --version, the `codes` command and unknown options, and a run when
// args.ts's quick way declines it. User mistakes print one line and exit 2; nothing else here decides anything.
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { fail, joinDashValues, OPTIONS, PARSER_CONFIGURATION, usageExit } from './args.js';
import { CODE_FORMATS, formatCodes, type CodeFormat } from './codes/format.js';
import { loadTable } from './codes/sources.js';
import { buildConfig, type Flags } from './config.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Parses `args` (without node and the script) and runs what they ask; a run's flags go to `start`. */
export async function command(args: readonly string[], start: (flags: Flags) => Promise<void>): Promise<void> {
  await yargs(joinDashValues(args))
    .scriptName('errcode-stream')
    .version(version)
    // Not strict(): yargs drops a lone '-' from positional lists, so files are read from argv._ instead.
    .strictOptions()
    .usage('$0 [files..] [options]\n\nClassify the business codes of an NDJSON API log, serve Prometheus metrics, alert on error spikes.\nFiles may be .gz; - or no file reads standard input.')
    .wrap(Math.min(110, process.stdout.columns || 110))
    .parserConfiguration(PARSER_CONFIGURATION)
    .options(OPTIONS)
    .command('$0', false, () => {}, (argv) => start({ ...argv, files: argv._.map(String) }))
    .command(
      'codes',
      'Print the effective code table (built-in plus --codes and --codes-url).',
      (y) => y.option('format', { type: 'string', default: 'table', describe: `output format: ${CODE_FORMATS.join(', ')}` }),
      async (argv) => {
        try {
          const format = argv['format'] as CodeFormat;
          if (!CODE_FORMATS.includes(format)) usageExit(`--format ${JSON.stringify(format)}: expected one of ${CODE_FORMATS.join(', ')}`);
          const table = await loadTable(buildConfig({ ...argv, files: [], listen: 'none' } as Flags, false), (line) => process.stderr.write(`errcode-stream: ${line}\n`));
          process.stdout.write(formatCodes(table, format));
        } catch (err) {
          fail(err);
        }
      },
    )
    .example('tail -F /var/log/gateway/api.log | $0', 'live, on the gateway host')
    .example('$0 --follow /var/log/gateway/api.log', 'same, rotation-aware, no tail needed')
    .example('$0 yesterday.ndjson.gz', 'replay an archive, summary at the end')
    .example('$0 api.log --output none --listen :9477', 'metrics only')
    .example('$0 codes --format markdown', 'print the effective code table')
    .fail((msg, err) => {
      if (err) fail(err);
      usageExit(`${msg}; see errcode-stream --help`);
    })
    .help()
    .alias('help', 'h')
    .parseAsync();
}
