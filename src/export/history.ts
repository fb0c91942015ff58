// A run's history (SPEC "History"): frames of every errcode_* series, pushed to each remote-write receiver
// and, for a replay, kept for the OpenMetrics file. Live input takes a frame of wall-clock samples every
// interval; a replay takes one at every checkpoint of the log's own clock, and its reader waits while a
// receiver's queue is full. The series end with stale markers: at the end of the input, where a replay's
// clock jumps to a new timeline, and where a series leaves (a reloaded table's info series).
import { readFileSync } from 'node:fs';
import type { Face, RunContext, StopReason } from '../face.js';
import { errcodeFamilies, type MetricsExtras, type RemoteWriteState, type RemoteWriteStats } from '../metrics/families.js';
import { num } from '../output/summary.js';
import { SeriesTable, type Frame } from './frames.js';
import { OpenMetricsHistory } from './openmetrics.js';
import { WriteRequestEncoder } from './remote-write.js';
import { RemoteWriteSender } from './sender.js';

/** How long a run that stops (a signal, or live input's end) keeps trying to deliver what is queued. */
const STOP_DEADLINE_MS = 5_000;

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export interface HistoryFace extends Face {
  readonly remoteWrite: RemoteWriteState;
}

export class History implements RemoteWriteState {
  private readonly table: SeriesTable;
  private readonly senders: readonly RemoteWriteSender[];
  private readonly openMetrics: OpenMetricsHistory | undefined;
  private readonly live: boolean;
  private readonly intervalMs: number;
  private last: Frame | undefined;
  private first: Frame | undefined;
  private points = 0;
  private timer: NodeJS.Timeout | undefined;
  private finishing: Promise<void> | undefined;

  constructor(
    private readonly ctx: RunContext,
    extras: Omit<MetricsExtras, 'remoteWrite'>,
  ) {
    const { config } = ctx;
    const h = config.history;
    this.live = config.follow || config.inputs.includes('-');
    this.intervalMs = h.intervalMs;
    const families = errcodeFamilies({ prefix: config.metricsPrefix, counts: ctx.counts, table: ctx.table, alerts: ctx.alerts, ...extras, remoteWrite: this });
    this.table = new SeriesTable(families, h.labels);
    const encoder = new WriteRequestEncoder(this.table);
    this.senders = h.remoteWrite.map(
      (url) =>
        new RemoteWriteSender(
          { url, headers: h.headers, userAgent: `errcode-stream/${version}`, capacity: h.queueSamples, dropOldest: this.live, log: ctx.log },
          encoder,
        ),
    );
    this.openMetrics = h.openMetrics !== undefined ? new OpenMetricsHistory(this.table) : undefined;
  }

  stats(): RemoteWriteStats[] {
    return this.senders.map((s) => s.stats());
  }

  face(): HistoryFace {
    if (this.live) {
      return {
        remoteWrite: this,
        start: () => this.startLive(),
        stop: (reason) => this.finish(reason),
      };
    }
    return {
      remoteWrite: this,
      checkpointEveryMs: this.intervalMs,
      checkpoint: (atMs) => this.checkpoint(atMs),
      inputEnded: () => void this.finish('eof'),
      stop: (reason) => this.finish(reason),
    };
  }

  /** A replay's checkpoint: the counts at event time `atMs`; resolves once every receiver has room. */
  private checkpoint(atMs: number): Promise<void> | undefined {
    const last = this.last;
    // A jump of the log's clock to a new timeline: the old one's series end one interval after its last point.
    if (last && atMs > last.atMs + this.intervalMs) this.push(this.table.ended(last, last.atMs + this.intervalMs));
    this.take(atMs);
    if (this.senders.length === 0) return undefined;
    return Promise.all(this.senders.map((s) => s.room())).then(() => undefined);
  }

  private startLive(): void {
    this.take(Date.now());
    this.timer = setInterval(() => this.take(Date.now()), this.intervalMs);
    this.timer.unref();
  }

  /** A frame of every series at `atMs` (never at or before the last one: a series' timestamps must increase). */
  private take(atMs: number): void {
    const last = this.last;
    const frame = this.table.frame(last ? Math.max(atMs, last.atMs + 1) : atMs);
    const gone = last ? this.table.gone(last, frame.atMs) : undefined;
    if (gone) this.push(gone);
    this.push(frame);
    this.points++;
    this.first ??= frame;
    this.last = frame;
  }

  private push(frame: Frame): void {
    for (const s of this.senders) s.enqueue(frame);
    this.openMetrics?.add(frame);
  }

  /**
   * The end: the last frame and the series' end (live input: now; a replay: one interval after its last
   * checkpoint), then delivery (a replay that reached its end waits for all of it; otherwise a few seconds),
   * the OpenMetrics file, and one line per receiver and file.
   */
  finish(reason: StopReason): Promise<void> {
    if (this.finishing) {
      // A signal while a finished replay still delivers (--keep-serving): cut the wait short.
      if (reason !== 'eof') for (const s of this.senders) void s.stop(STOP_DEADLINE_MS);
      return this.finishing;
    }
    this.finishing = (async () => {
      clearInterval(this.timer);
      if (this.live) this.take(Date.now());
      else if (this.points === 0 && reason === 'eof' && this.ctx.counts().lines > 0) {
        // No line had an event time, so the log's clock never started: one point at the time of the run.
        this.ctx.log('history: no line of the input had an event time (see --time-field); its counts go at the time of the run');
        this.take(Date.now());
      }
      const last = this.last;
      if (last) this.push(this.table.ended(last, this.live ? last.atMs + 1 : last.atMs + this.intervalMs));
      const written = this.writeOpenMetrics(reason);
      const complete = !this.live && reason === 'eof';
      // The run is past its own signal handling once its input ended: a signal during the wait for a slow
      // receiver cuts the wait short here.
      const cut = (): void => this.senders.forEach((s) => void s.stop(STOP_DEADLINE_MS));
      if (complete) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, cut);
      await Promise.all(this.senders.map((s) => (complete ? s.drained().then(() => s.stop(0)) : s.stop(STOP_DEADLINE_MS))));
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeListener(signal, cut);
      for (const s of this.senders) this.ctx.log(this.account(s));
      await written;
    })();
    return this.finishing;
  }

  private async writeOpenMetrics(reason: StopReason): Promise<void> {
    const path = this.ctx.config.history.openMetrics;
    if (this.openMetrics === undefined || path === undefined) return;
    try {
      const { series, samples } = await this.openMetrics.write(path);
      const cut = reason === 'eof' ? '' : ' (the run was stopped: the input up to there)';
      this.ctx.log(`openmetrics ${path}: ${num(samples)} samples of ${num(series)} series at ${num(this.points)} points${this.span()}${cut}; backfill with: promtool tsdb create-blocks-from openmetrics ${path} DIR`);
    } catch (err) {
      this.ctx.log(`openmetrics ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; not written`);
    }
  }

  private span(): string {
    if (!this.first || !this.last) return '';
    return this.live ? '' : `, event time ${iso(this.first.atMs)} to ${iso(this.last.atMs)}`;
  }

  /** One line: what a receiver got of this run. */
  private account(s: RemoteWriteSender): string {
    const { sent, failed, dropped } = s.stats();
    const seconds = ((Date.now() - this.ctx.startedMs) / 1000).toFixed(1);
    return `remote write ${s.remote}: ${num(sent)} samples delivered in ${num(s.requests)} requests, ${num(this.points)} points${this.span()}, ${seconds} s; ${num(failed)} failed, ${num(dropped)} dropped`;
  }
}
