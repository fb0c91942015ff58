// Starting the reader thread costs about 0.1 s of Node's worker start-up, so the entry point starts it
// before it loads anything else, and the thread boots on the other core while this one loads yargs, the
// code table and the metrics server. It gets its configuration later, in a message (see Engine).
import { Worker } from 'node:worker_threads';

export interface ReaderThread {
  readonly worker: Worker;
  /** Int32Array over it: see GO and STOP in protocol.ts. */
  readonly control: SharedArrayBuffer;
}

let early: ReaderThread | undefined;

/**
 * The reader keeps about 6 MB live and makes little garbage, but V8 grows a busy thread's young generation
 * anyway: on 10M piped lines its heap went from 14 to 22 MB in the second half, and RSS from 90 to
 * 104-106 MB. Capped at 8 MB, the heap stays at 14.5 MB and RSS at 95-96 MB, at the same speed.
 */
const READER_YOUNG_GENERATION_MB = 8;

function spawn(): ReaderThread {
  const control = new SharedArrayBuffer(16);
  const worker = new Worker(new URL('./reader.js', import.meta.url), {
    workerData: { control },
    stdout: false,
    stderr: false,
    resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB },
  });
  // Unreferenced until the engine starts it, so `--help` or a usage error still ends the process.
  worker.unref();
  return { worker, control };
}

/** Starts the reader thread now, for the next takeReaderThread(). */
export function spawnReaderEarly(): void {
  early ??= spawn();
}

/** The thread started early, or a new one. */
export function takeReaderThread(): ReaderThread {
  const thread = early ?? spawn();
  early = undefined;
  return thread;
}
