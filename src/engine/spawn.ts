// Starting the reader thread costs about 0.1 s of Node's worker start-up, so the entry point starts it
// before it loads anything else, and the thread boots on the other core while this one parses the flags and
// loads the code table and the metrics server. It gets its configuration later, in a message (see Engine).
import { Worker } from 'node:worker_threads';

export interface ReaderThread {
  readonly worker: Worker;
  /** Int32Array over it: see GO and STOP in protocol.ts. */
  readonly control: SharedArrayBuffer;
}

let early: ReaderThread | undefined;

/**
 * The reader's young generation, in MB (V8 makes it a 2 MB new space: two 1 MB semi-spaces). Left to V8, a
 * worker's new space starts small and doubles, up to 32 MB, whenever the bytes surviving its scavenges add
 * up to its size; a thread that never stops allocating (the follower's stat calls alone are about 1 MB/s)
 * gets there in time and never gives the pages back. In the follow soak the reader's new space went from 4
 * to 8 MB at minute 1.5 (RSS +4 MiB, most of the growth after the warm-up); on 10M piped lines its heap went
 * from 14 to 22 MB in the second half (RSS 90 -> 104-106 MB). Capped, neither happens, at the same speed.
 */
const READER_YOUNG_GENERATION_MB = 2;

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
