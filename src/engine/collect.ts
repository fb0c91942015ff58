// A long-running process whose heap hardly grows never reaches V8's next major-GC threshold: what the
// scavenges promote (scrape buffers, messages from the reader) piles up in old space for hours, and RSS
// climbs with it. Go's runtime answers the same problem by forcing a collection every two minutes; this is
// that, for each thread that calls it (an isolate collects only its own heap).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const COLLECT_EVERY_MS = 60_000;

let gc: (() => void) | undefined;
let last = Date.now();

/** Runs a full collection when the last one is COLLECT_EVERY_MS old (true when it did); cheap to call often. */
export function collectIfDue(now: number): boolean {
  if (now - last < COLLECT_EVERY_MS) return false;
  last = now;
  if (!gc) {
    // The flag only puts gc() on contexts made after it is set, so a fresh context hands it over. Should a
    // runtime refuse either step, V8 is left to collect on its own rather than the run failing.
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = () => {};
    }
  }
  gc();
  return true;
}
