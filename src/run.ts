// Wires one run: code table -> engine (reader thread) -> metrics endpoint, spike alerts, outputs; and the
// run's life cycle: EOF, signals, a closed stdout, reloads.
import { createWriteStream, writeFileSync } from 'node:fs';
import { eventClockSec } from './aggregate/types.js';
import { AlertmanagerNotifier } from './alerts/alertmanager.js';
import { SpikeDetector } from './alerts/detector.js';
import { NdjsonAlertSink, type AlertEvent } from './alerts/events.js';
import { FAMILIES, type Family } from './codes/category.js';
import { CodeTableError } from './codes/load.js';
import { CodeTableSource } from './codes/sources.js';
import type { CodeTable } from './codes/table.js';
import { UsageError, type Config } from './config.js';
import { collectIfDue } from './engine/collect.js';
import { Engine } from './engine/engine.js';
import type { EndReason } from './engine/protocol.js';
import type { MetricsServer } from './metrics/server.js';
import { errcodeDescriptions } from './output/describe.js';
import { formatSummary, summarize, type Summary } from './output/summary.js';

const log = (line: string): void => {
  process.stderr.write(`errcode-stream: ${line}\n`);
};

async function tableOrUsageError(source: CodeTableSource): Promise<CodeTable> {
  try {
    return await source.start();
  } catch (err) {
    if (err instanceof CodeTableError) throw new UsageError(err.message);
    throw err;
  }
}

export async function run(config: Config): Promise<void> {
  const started = Date.now();
  const codeTable = new CodeTableSource(config, log);
  let table = await tableOrUsageError(codeTable);
  const engine = new Engine(
    {
      inputs: config.inputs,
      engine: config.engine,
      maxLineBytes: config.maxLineBytes,
      paths: config.paths,
      maxUnlisted: config.maxUnlistedCodes,
      enriched: config.output === 'enriched',
      deadLetter: config.deadLetter,
      follow: config.follow,
      fromStart: config.fromStart,
      stateFile: config.stateFile,
    },
    table,
  );
  const detector = new SpikeDetector(
    { windowSec: config.alertWindowSec, minCount: config.alertMinCount, ratio: config.alertRatio, factor: config.alertFactor },
    (slot) => {
      const s = engine.counts.series[slot]!;
      return { code: s.code, category: s.category, description: errcodeDescriptions(s, table).description };
    },
  );
  // Alert events go to stderr, except when the live view shares that terminal: its screen shows them.
  const alertSink =
    config.alerts === '-'
      ? new NdjsonAlertSink(process.stdout)
      : config.alerts
        ? new NdjsonAlertSink(createWriteStream(config.alerts, { flags: 'a' }))
        : config.output === 'live' && process.stderr.isTTY
          ? undefined
          : new NdjsonAlertSink(process.stderr);
  const notifier =
    config.alertmanagerUrls.length > 0
      ? new AlertmanagerNotifier({ urls: config.alertmanagerUrls, resendMs: config.alertmanagerResendMs, queueCapacity: config.alertmanagerQueue })
      : undefined;
  /** The firing event of each family's current incident. */
  const active = new Map<Family, AlertEvent>();
  const onAlerts = (events: readonly AlertEvent[]): void => {
    for (const e of events) {
      if (e.status === 'firing') active.set(e.family, e);
      else active.delete(e.family);
      alertSink?.write(e);
      notifier?.notify(e);
    }
  };
  engine.on('flush', (snapshot) => onAlerts(detector.add(snapshot.buckets)));
  // An idle live stream still moves on: event time is estimated from the last line's lag behind the clock.
  const ticker = setInterval(() => {
    const now = Date.now();
    onAlerts(detector.tick(eventClockSec(now, engine.counts.eventLagSec)));
    collectIfDue(now);
  }, 1000);
  ticker.unref();
  // The live screen reads the same counters, table and firing alerts as the metrics endpoint.
  // Loaded only for a terminal: the width tables they use take about 30 ms to load.
  const live =
    config.output === 'live'
      ? new (await import('./output/live.js')).LiveView(process.stdout, { counts: () => engine.counts, table: () => table, activeAlerts: () => [...active.values()] }, config.lang)
      : undefined;
  // Cut to the terminal's width when stderr is one; whole in a file or a pipe.
  const fitWidth = process.stderr.isTTY ? (await import('./output/width.js')).fitWidth : undefined;
  const report = (s: Summary): string => formatSummary(s, config.lang, fitWidth && { columns: process.stderr.columns, fitWidth });
  const firedTotals = (): Record<string, number> => Object.fromEntries(FAMILIES.map((f) => [f, detector.firedTotal(f)]));

  const reload = async (): Promise<void> => {
    const r = await codeTable.reload();
    if (r.table !== table) {
      table = r.table;
      engine.setTable(table);
    }
    log(r.message);
  };
  const refresh = config.codesUrl ? setInterval(() => void reload(), config.codesRefreshMs) : undefined;
  refresh?.unref();

  let server: MetricsServer | undefined;
  let reported = false;
  /** The end-of-run summary, to stderr and --summary-json, once: at EOF under --keep-serving, else at exit. */
  const reportOnce = (reason: EndReason | 'signal'): void => {
    if (reported) return;
    reported = true;
    const summary = summarize(engine.counts, table, (Date.now() - started) / 1000, firedTotals());
    if (config.summaryJson === '-') process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else if (config.summaryJson) writeFileSync(config.summaryJson, JSON.stringify(summary, null, 2) + '\n');
    // A closed stdout (`| head`) ends quietly: the reader is gone, nobody asked for a report.
    if (reason !== 'stdout-closed') process.stderr.write(report(summary));
  };
  let finishing = false;
  const finish = async (reason: EndReason | 'signal'): Promise<void> => {
    if (finishing) return;
    finishing = true;
    clearInterval(refresh);
    clearInterval(ticker);
    await engine.stop();
    // Leave the alternate screen before the summary, or the terminal would swallow it.
    live?.stop();
    await alertSink?.close();
    await notifier?.stop();
    reportOnce(reason);
    await server?.close();
    await engine.terminate();
    process.exit(0);
  };

  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    void finish('signal');
  });
  process.on('SIGTERM', () => void finish('signal'));
  process.on('SIGHUP', () => void reload());
  process.stdout.on('error', () => void finish('stdout-closed'));

  engine.on('warning', log);
  engine.on('error', (message, usage) => {
    live?.stop();
    log(message);
    process.exit(usage ? 2 : 1);
  });
  engine.on('end', (reason) => {
    if (config.keepServing && reason === 'eof') {
      // A finished replay keeps its last window: event time stops where the input did.
      clearInterval(ticker);
      live?.stop();
      reportOnce(reason);
      log('input ended; --keep-serving keeps the metrics endpoint up until a signal');
      return;
    }
    void finish(reason);
  });
  // The endpoint is up before the reader reads anything: a port in use must not consume input or move a
  // state file, and a scrape must not wait for prom-client to load (it did, 172 ms, when it loaded while
  // the reader ran). Without an endpoint prom-client is not loaded at all; the web config's YAML parser
  // only when there is one.
  if (config.listen) {
    const listen = config.listen;
    const [{ createRegistry }, { startMetricsServer }, webConfig] = await Promise.all([
      import('./metrics/registry.js'),
      import('./metrics/server.js'),
      config.webConfig ? import('./metrics/webconfig.js').then((m) => m.loadWebConfig(config.webConfig!)) : undefined,
    ]);
    const registry = createRegistry({ prefix: config.metricsPrefix, counts: () => engine.counts, table: () => table, alerts: detector, notifier, codeTable });
    server = await startMetricsServer({
      host: listen.host,
      port: listen.port,
      webConfig,
      render: async () => ({ contentType: registry.contentType, body: await registry.exposition() }),
      healthy: () => engine.finished === undefined || config.keepServing,
    });
    log(`listening on ${server.url}`);
  }
  engine.start();
  live?.start();
}
