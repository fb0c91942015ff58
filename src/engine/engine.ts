// The main thread's side of the engine: starts the reader thread, keeps the latest consistent view of its
// counters, and tells the rest of the program about flushes and the end of the input.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Tally } from '../aggregate/tally.js';
import type { LabelPairInfo, SeriesInfo, Snapshot } from '../aggregate/types.js';
import type { CodeTable } from '../codes/table.js';
import { OUTCOMES } from '../extract/result.js';
import { CHECKPOINT_CREDIT, CREDIT, GO, STOP, type ControlMessage, type EndReason, type ReaderConfig, type ReaderMessage, type ReaderSetup } from './protocol.js';
import { takeReaderThread } from './spawn.js';

/** One dimension's counters (SPEC "Breakdowns"): its values by label index and its (value, code) pairs. */
export class DimensionCounts {
  /** By label index: `none` and `other`, then the admitted values. */
  readonly values: string[] = ['none', 'other'];
  readonly pairs: LabelPairInfo[] = [];
  counts: Float64Array = new Float64Array(0);

  constructor(readonly name: string) {}

  count(pair: number): number {
    return this.counts[pair] ?? 0;
  }
}

/** The counters as of the reader's last flush. Replaced as a whole, so every reader sees one moment. */
export class Counts {
  outcomes: readonly number[] = OUTCOMES.map(() => 0);
  blank = 0;
  bytes = 0;
  readonly series: SeriesInfo[] = [];
  counts: Float64Array = new Float64Array(0);
  lastLineMs = 0;
  eventLagSec = NaN;
  readonly dimensions: readonly DimensionCounts[];

  constructor(dimensionNames: readonly string[] = []) {
    this.dimensions = dimensionNames.map((n) => new DimensionCounts(n));
  }

  apply(s: Snapshot): void {
    for (const info of s.added) this.series[info.slot] = info;
    for (const v of s.labelValues) this.dimensions[v.dim]!.values[v.label] = v.value;
    for (const p of s.labelPairs) this.dimensions[p.dim]!.pairs[p.pair] = p;
    s.labelCounts.forEach((c, d) => (this.dimensions[d]!.counts = c));
    this.outcomes = s.outcomes;
    this.blank = s.blank;
    this.bytes = s.bytes;
    this.counts = s.counts;
    this.lastLineMs = s.lastLineMs;
    this.eventLagSec = s.eventLagSec;
  }

  count(slot: number): number {
    return this.counts[slot] ?? 0;
  }

  /** Series at 0 for the codes of `table` that have none yet: a table reloaded after the reader ended. */
  register(table: CodeTable): void {
    const known = new Set(this.series.map((s) => `${s.code}|${s.category}`));
    const before = this.series.length;
    for (const e of table.entries) {
      const code = String(e.code);
      if (known.has(`${code}|${e.category}`)) continue;
      known.add(`${code}|${e.category}`);
      this.series.push({ slot: this.series.length, code, category: e.category });
    }
    if (this.series.length === before) return;
    const counts = new Float64Array(this.series.length);
    counts.set(this.counts);
    this.counts = counts;
  }

  get lines(): number {
    return this.outcomes.reduce((a, b) => a + b, 0);
  }
}

export interface EngineEvents {
  flush: [Snapshot];
  /** After the flush of a checkpoint: call finishedCheckpoint() once it has been used. */
  checkpoint: [atMs: number];
  end: [EndReason];
  error: [message: string, usage: boolean];
  warning: [message: string];
  tableApplied: [];
}

export class Engine extends EventEmitter<EngineEvents> {
  private readonly worker: Worker;
  private readonly control: SharedArrayBuffer;
  private ended: EndReason | undefined;

  /** `counts` is where the reader's flushes land: made by the caller when others read it before the engine exists. */
  constructor(
    private readonly config: ReaderConfig,
    private table: CodeTable,
    readonly counts = new Counts(),
  ) {
    super();
    // The table's series exist from start-up at 0, so the first 5xxx after a restart shows in increase().
    this.counts.apply(new Tally(table, config.maxUnlisted).flush());
    ({ worker: this.worker, control: this.control } = takeReaderThread());
    this.listen();
    const setup: ReaderSetup = { config: this.config, table: this.table.entries };
    this.worker.postMessage(setup);
  }

  get finished(): EndReason | undefined {
    return this.ended;
  }

  /** Wired at once: a reader that fails while it sets up (an unwritable --dead-letter file) says so before start(). */
  private listen(): void {
    const worker = this.worker;
    worker.on('message', (msg: ReaderMessage) => {
      if (msg.type === 'error') {
        this.ended = 'stopped';
        this.emit('error', msg.message, msg.usage);
        return;
      }
      if (msg.type === 'warning') {
        this.emit('warning', msg.message);
        return;
      }
      if (msg.type === 'table-applied') {
        this.emit('tableApplied');
        return;
      }
      this.counts.apply(msg.snapshot);
      this.emit('flush', msg.snapshot);
      if (msg.snapshot.checkpointMs === msg.snapshot.checkpointMs) this.emit('checkpoint', msg.snapshot.checkpointMs);
      if (msg.type === 'done') {
        this.ended = msg.reason;
        // A table sent while the reader was finishing may never have reached it.
        this.counts.register(this.table);
        this.emit('end', msg.reason);
      }
    });
    worker.on('error', (err) => {
      this.ended = 'stopped';
      this.emit('error', err.message, false);
    });
  }

  /** Lets the reader read. */
  start(): void {
    this.worker.ref();
    const control = new Int32Array(this.control);
    Atomics.store(control, CREDIT, CHECKPOINT_CREDIT);
    Atomics.store(control, GO, 1);
    Atomics.notify(control, GO);
  }

  /** One more checkpoint may be posted: the reader waits when it is that far ahead of their use. */
  finishedCheckpoint(): void {
    const control = new Int32Array(this.control);
    Atomics.add(control, CREDIT, 1);
    Atomics.notify(control, CREDIT);
  }

  /**
   * The reader registers the new codes' series; once it has ended (--keep-serving after EOF), this thread
   * does. Resolves once the counts have them (or after `timeoutMs`, for a reader stuck in a write).
   */
  setTable(table: CodeTable, timeoutMs = 5000): Promise<void> {
    this.table = table;
    if (this.ended !== undefined) {
      this.counts.register(table);
      return Promise.resolve();
    }
    const msg: ControlMessage = { type: 'table', entries: table.entries };
    this.worker.postMessage(msg);
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('tableApplied', done);
        this.off('end', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.once('tableApplied', done);
      this.once('end', done);
    });
  }

  /**
   * Asks the reader to finish and waits for its last flush. A reader stuck in a blocking write to a
   * stalled consumer cannot answer; its counts were flushed before that write, so we stop waiting.
   */
  async stop(timeoutMs = 1000): Promise<void> {
    if (this.ended) return;
    const control = new Int32Array(this.control);
    Atomics.store(control, STOP, 1);
    Atomics.store(control, GO, 1);
    Atomics.notify(control, GO);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.ended ??= 'stopped';
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
