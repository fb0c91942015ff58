// Messages between the main thread and the reader thread, and the reader's configuration.
import type { Snapshot } from '../aggregate/types.js';
import type { CodeEntry } from '../codes/builtin.js';
import type { FieldPaths } from '../extract/paths.js';
import type { DimensionSpec } from '../labels/dimensions.js';
import type { RoutePattern } from '../labels/route.js';

export interface ReaderConfig {
  /** Files to read in order; '-' is standard input. */
  readonly inputs: readonly string[];
  readonly engine: 'fast' | 'reference';
  readonly maxLineBytes: number;
  /** paths.dims are the dimensions' lookup lists, in the order of `dimensions`. */
  readonly paths: FieldPaths;
  readonly maxUnlisted: number;
  readonly dimensions: readonly DimensionSpec[];
  readonly routePatterns: readonly RoutePattern[];
  readonly maxLabelValues: number;
  readonly maxLabelSeries: number;
  /** Whether the reader writes enriched lines to standard output. */
  readonly enriched: boolean;
  readonly deadLetter: string | undefined;
  readonly follow: boolean;
  readonly fromStart: boolean;
  readonly stateFile: string | undefined;
  /**
   * Every this many ms of the log's own clock, a checkpoint flush (Snapshot.checkpointMs); 0 for none. The
   * reader waits for the main thread to take them (see CREDIT), so a replay goes no faster than they are used.
   */
  readonly checkpointEveryMs: number;
}

/** The reader thread's workerData: it starts before its configuration is known (see spawn.ts). */
export interface ReaderData {
  /** Int32Array over it: [GO] is set by the main thread to let the reader read, [STOP] to make it finish. */
  readonly control: SharedArrayBuffer;
}

/** The reader thread's first message. */
export interface ReaderSetup {
  readonly config: ReaderConfig;
  readonly table: readonly CodeEntry[];
}

export const STOP = 0;
export const GO = 1;
/** Checkpoints the reader may have posted so far: the main thread adds one for each it has finished with. */
export const CREDIT = 2;
/**
 * Checkpoints posted before the first is finished: enough to overlap the two threads, few enough to stay small
 * (a snapshot each, a few KB). 4 let any pause of the main thread of a few ms (an HTTP request) hold the reader:
 * a 1M-line replay with remote write spent 260 ms of its 1.5 s waiting for credit; with 64, none.
 */
export const CHECKPOINT_CREDIT = 64;

export type EndReason = 'eof' | 'stopped' | 'stdout-closed';

export type ReaderMessage =
  | { readonly type: 'flush'; readonly snapshot: Snapshot }
  | { readonly type: 'done'; readonly snapshot: Snapshot; readonly reason: EndReason }
  | { readonly type: 'error'; readonly message: string; readonly usage: boolean }
  /** Something the user should know that does not end the run (a truncated archive). */
  | { readonly type: 'warning'; readonly message: string }
  /** A table sent by the main thread is in force; the flush before this carries its new series. */
  | { readonly type: 'table-applied' };

export type ControlMessage = { readonly type: 'table'; readonly entries: readonly CodeEntry[] };
