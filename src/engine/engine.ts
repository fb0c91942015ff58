// The main thread's side of the engine: starts the reader thread, keeps the latest consistent view of its
// counters, and tells the rest of the program about flushes and the end of the input.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Tally } from '../aggregate/tally.js';
import type { SeriesInfo, Snapshot } from '../aggregate/types.js';
import type { CodeTable } from '../codes/table.js';
import { OUTCOMES } from '../extract/result.js';
import { GO, STOP, type ControlMessage, type EndReason, type ReaderConfig, type ReaderData, type ReaderMessage } from './protocol.js';

/**
 * The reader's young generation, in MB (V8 makes it a 2 MB new space: two 1 MB semi-spaces). Left to V8, a
 * worker's new space starts small and doubles, up to 32 MB, whenever the bytes surviving its scavenges add
 * up to its size; a thread that never stops allocating (the follower's stat calls alone are about 1 MB/s)
 * gets there in time and never gives the pages back. In the follow soak the reader's new space went from 4
 * to 8 MB at minute 1.5 (RSS +4 MiB, most of the growth after the warm-up). Capped here it stays at 2 MB;
 * the fast engine's 1M-line replay took the same time (1.3-1.6 s either way), the reference engine too.
 */
const READER_YOUNG_GENERATION_MB = 2;

/** The counters as of the reader's last flush. Replaced as a whole, so every reader sees one moment. */
export class Counts {
  outcomes: readonly number[] = OUTCOMES.map(() => 0);
  blank = 0;
  bytes = 0;
  readonly series: SeriesInfo[] = [];
  counts: Float64Array = new Float64Array(0);
  lastLineMs = 0;
  eventLagSec = NaN;

  apply(s: Snapshot): void {
    for (const info of s.added) this.series[info.slot] = info;
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

  get lines(): number {
    return this.outcomes.reduce((a, b) => a + b, 0);
  }
}

export interface EngineEvents {
  flush: [Snapshot];
  end: [EndReason];
  error: [message: string, usage: boolean];
}

export class Engine extends EventEmitter<EngineEvents> {
  readonly counts = new Counts();
  private readonly worker: Worker;
  private readonly control = new SharedArrayBuffer(16);
  private ended: EndReason | undefined;

  constructor(
    private readonly config: ReaderConfig,
    private table: CodeTable,
  ) {
    super();
    // The table's series exist from start-up at 0, so the first 5xxx after a restart shows in increase().
    this.counts.apply(new Tally(table, config.maxUnlisted).flush());
    this.worker = this.spawn();
  }

  get finished(): EndReason | undefined {
    return this.ended;
  }

  /**
   * The reader thread starts at once and loads its modules on the other core while this thread loads the
   * metrics server's (an empty run went from 0.34 to 0.26 s); it reads nothing until start(). Unreferenced
   * until then, so a start-up error still ends the process.
   */
  private spawn(): Worker {
    const data: ReaderData = { config: this.config, table: this.table.entries, control: this.control };
    const worker = new Worker(new URL('./reader.js', import.meta.url), {
      workerData: data,
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB },
    });
    worker.unref();
    worker.on('message', (msg: ReaderMessage) => {
      if (msg.type === 'error') {
        this.ended = 'stopped';
        this.emit('error', msg.message, msg.usage);
        return;
      }
      this.counts.apply(msg.snapshot);
      this.emit('flush', msg.snapshot);
      if (msg.type === 'done') {
        this.ended = msg.reason;
        this.emit('end', msg.reason);
      }
    });
    worker.on('error', (err) => {
      this.ended = 'stopped';
      this.emit('error', err.message, false);
    });
    return worker;
  }

  /** Lets the reader read. */
  start(): void {
    this.worker.ref();
    const control = new Int32Array(this.control);
    Atomics.store(control, GO, 1);
    Atomics.notify(control, GO);
  }

  setTable(table: CodeTable): void {
    this.table = table;
    const msg: ControlMessage = { type: 'table', entries: table.entries };
    this.worker.postMessage(msg);
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
