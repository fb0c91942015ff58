// What the run's faces share: a face is one way the run shows what it counts (the metrics endpoint, the live
// screen, the summary, alert sinks). Each reads the same state through RunContext and gets the run's events
// through the optional methods of Face; none imports another.
import type { Snapshot } from './aggregate/types.js';
import type { AlertState } from './alerts/state.js';
import type { AlertEvent } from './alerts/events.js';
import type { CodeTable } from './codes/table.js';
import type { Config } from './config.js';
import type { Counts } from './engine/engine.js';
import type { EndReason } from './engine/protocol.js';
import type { Route } from './http/server.js';

export interface RunContext {
  readonly config: Config;
  /** Wall-clock start of the run, epoch ms. */
  readonly startedMs: number;
  /** The counters as of the reader's last flush. */
  counts(): Counts;
  /** The code table in force. */
  table(): CodeTable;
  readonly alerts: AlertState;
  /** One line to stderr, prefixed with the program's name. */
  log(line: string): void;
}

export type StopReason = EndReason | 'signal';

export interface Face {
  /** Paths this face serves on the endpoint (`--listen`), behind its TLS and passwords. */
  readonly routes?: Readonly<Record<string, Route>>;
  /** The reader is about to read; the endpoint is up. */
  start?(): void;
  /** Spike alert events, in the order the detector gave them. */
  alerts?(events: readonly AlertEvent[]): void;
  /** Every flush of the reader, after the counts and the detector have taken it (its buckets carry event time). */
  flush?(snapshot: Snapshot): void;
  /**
   * A face that wants the counts at fixed points of the log's own clock (a replay's history) says how far
   * apart; the reader then makes a checkpoint flush at each, and checkpoint() follows its flush.
   */
  readonly checkpointEveryMs?: number;
  /**
   * The counts (ctx.counts()) are those of the lines before event time `atMs`. The reader runs at most a few
   * checkpoints ahead of the slowest face's promise: this is how a replay waits for a slow receiver.
   */
  checkpoint?(atMs: number): Promise<void> | void;
  /** The input ended and the run stays up (--keep-serving): what reports at the end does it now. */
  inputEnded?(): void;
  /** The run ends; faces stop one after the other, in the order of the list. */
  stop?(reason: StopReason): Promise<void> | void;
  /** The run fails and exits at once: undo what must not outlive it (the live view's alternate screen). */
  abort?(): void;
}

export type FaceFactory = (ctx: RunContext) => Face | undefined | Promise<Face | undefined>;
