// Wires one run: code table -> engine (reader thread) -> spike detector -> the faces that show the counts
// (metrics endpoint, live view, summary, alert sinks); and the run's life cycle: EOF, signals, a closed
// stdout, reloads.
import { eventClockSec } from './aggregate/types.js';
import { SpikeDetector } from './alerts/detector.js';
import type { AlertEvent } from './alerts/events.js';
import { alertLogFace, alertmanagerFace } from './alerts/face.js';
import { AlertState } from './alerts/state.js';
import { errcodeDescriptions } from './codes/describe.js';
import { CodeTableError } from './codes/load.js';
import { CodeTableSource } from './codes/sources.js';
import type { CodeTable } from './codes/table.js';
import { UsageError, type Config } from './config.js';
import { collectIfDue } from './engine/collect.js';
import { Counts, Engine } from './engine/engine.js';
import { historyFace } from './export/face.js';
import type { Face, RunContext, StopReason } from './face.js';
import type { MetricsServer, Route } from './http/server.js';
import { metricsFace } from './metrics/face.js';
import { liveFace, summaryFace } from './output/face.js';

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

/** The faces of a run, in the order they stop: the live view leaves the screen before the summary prints. */
async function faces(ctx: RunContext, codeTable: CodeTableSource): Promise<Face[]> {
  const alertmanager = alertmanagerFace(ctx);
  // The web page and the report load only for a run that has an endpoint or a report to write.
  const web = ctx.config.listen || ctx.config.report ? await import('./web/face.js') : undefined;
  const extras = { notifier: alertmanager?.notifier, codeTable };
  const history = await historyFace(ctx, extras);
  const list = [
    await liveFace(ctx),
    alertLogFace(ctx),
    alertmanager,
    // Before the summary: a replay's account of its pushes is part of its end.
    history,
    await summaryFace(ctx),
    await metricsFace(ctx, { ...extras, remoteWrite: history?.remoteWrite }),
    web?.livePageFace(ctx),
    web?.reportFace(ctx),
  ];
  return list.filter((f): f is Face => f !== undefined);
}

/**
 * The endpoint serves the faces' routes. It is up before the reader reads anything: a port in use must not
 * consume input or move a state file, and a scrape must not wait for prom-client to load (it did, 172 ms,
 * when it loaded while the reader ran). The web config's YAML parser loads only when there is one.
 */
async function serve(config: Config, list: readonly Face[], healthy: () => boolean): Promise<MetricsServer | undefined> {
  if (!config.listen) return undefined;
  const [{ startMetricsServer }, webConfig] = await Promise.all([
    import('./http/server.js'),
    config.webConfig ? import('./http/webconfig.js').then((m) => m.loadWebConfig(config.webConfig!)) : undefined,
  ]);
  const routes: Record<string, Route> = {};
  for (const f of list) Object.assign(routes, f.routes);
  const server = await startMetricsServer({ host: config.listen.host, port: config.listen.port, webConfig, routes, healthy });
  // The page's address, for a person to open (the demo prints it); scripts read the metrics URL before it.
  const page = routes['/'] ? ` (web page: ${server.url.replace(/metrics$/, '')})` : '';
  log(`listening on ${server.url}${page}`);
  return server;
}

export async function run(config: Config): Promise<void> {
  const codeTable = new CodeTableSource(config, log);
  let table = await tableOrUsageError(codeTable);
  // The faces read the engine's counters; the engine starts once they have said what they need of the reader.
  const counts = new Counts(config.dimensions.map((d) => d.name));
  const detector = new SpikeDetector(
    { windowSec: config.alertWindowSec, minCount: config.alertMinCount, ratio: config.alertRatio, factor: config.alertFactor },
    (slot) => {
      const s = counts.series[slot]!;
      return { code: s.code, category: s.category, description: errcodeDescriptions(s, table).description };
    },
    { names: config.dimensions.map((d) => d.name), value: (dim, label) => counts.dimensions[dim]?.values[label] ?? 'other' },
  );
  const alerts = new AlertState(detector);
  const ctx: RunContext = { config, startedMs: Date.now(), counts: () => counts, table: () => table, alerts, log };
  const list = await faces(ctx, codeTable);
  const checkpointEvery = Math.min(...list.map((f) => f.checkpointEveryMs ?? Infinity));
  const engine = new Engine(
    {
      inputs: config.inputs,
      engine: config.engine,
      maxLineBytes: config.maxLineBytes,
      paths: config.paths,
      maxUnlisted: config.maxUnlistedCodes,
      dimensions: config.dimensions,
      routePatterns: config.routePatterns,
      maxLabelValues: config.maxLabelValues,
      maxLabelSeries: config.maxLabelSeries,
      enriched: config.output === 'enriched',
      deadLetter: config.deadLetter,
      follow: config.follow,
      fromStart: config.fromStart,
      stateFile: config.stateFile,
      checkpointEveryMs: Number.isFinite(checkpointEvery) ? checkpointEvery : 0,
    },
    table,
    counts,
  );

  const onAlerts = (events: readonly AlertEvent[]): void => {
    if (events.length === 0) return;
    alerts.apply(events);
    for (const f of list) f.alerts?.(events);
  };
  engine.on('flush', (snapshot) => {
    onAlerts(detector.add(snapshot.buckets));
    for (const f of list) f.flush?.(snapshot);
  });
  engine.on('checkpoint', (atMs) => {
    void Promise.all(list.map((f) => f.checkpoint?.(atMs))).then(() => engine.finishedCheckpoint());
  });
  // An idle live stream still moves on: event time is estimated from the last line's lag behind the clock.
  const ticker = setInterval(() => {
    const now = Date.now();
    onAlerts(detector.tick(eventClockSec(now, engine.counts.eventLagSec)));
    collectIfDue(now);
  }, 1000);
  ticker.unref();

  const reload = async (): Promise<void> => {
    const r = await codeTable.reload();
    if (r.table !== table) {
      table = r.table;
      // Said once the new codes' series are in the counts: a scrape after the message has them.
      await engine.setTable(table);
    }
    log(r.message);
  };
  const refresh = config.codesUrl ? setInterval(() => void reload(), config.codesRefreshMs) : undefined;
  refresh?.unref();

  let server: MetricsServer | undefined;
  let finishing = false;
  const finish = async (reason: StopReason): Promise<void> => {
    if (finishing) return;
    finishing = true;
    clearInterval(refresh);
    clearInterval(ticker);
    await engine.stop();
    for (const f of list) await f.stop?.(reason);
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
    for (const f of list) f.abort?.();
    log(message);
    process.exit(usage ? 2 : 1);
  });
  engine.on('end', (reason) => {
    if (config.keepServing && reason === 'eof') {
      // A finished replay keeps its last window: event time stops where the input did.
      clearInterval(ticker);
      for (const f of list) f.inputEnded?.();
      log('input ended; --keep-serving keeps the metrics endpoint up until a signal');
      return;
    }
    void finish(reason);
  });
  server = await serve(config, list, () => engine.finished === undefined || config.keepServing);
  engine.start();
  for (const f of list) f.start?.();
}
