// The spike alert event of SPEC "Spike alerts", and the NDJSON sink that writes it. Field names and their
// order are the public interface: alert consumers parse these lines.
import { PassThrough, type Transform, type Writable } from 'node:stream';
import type { Family } from '../codes/category.js';

export type AlertStatus = 'firing' | 'resolved';

export interface TopCode {
  readonly code: string;
  readonly count: number;
  readonly description: string;
}

/** A value of a dimension with its count among the family's responses in the window. */
export interface TopLabel {
  readonly value: string;
  readonly count: number;
}

export interface AlertEvent {
  readonly type: 'alert';
  readonly status: AlertStatus;
  readonly family: Family;
  /** ISO-8601, event time; a resolved event repeats its incident's startsAt. */
  readonly startsAt: string;
  /** ISO-8601, event time; only on resolved events. */
  readonly endsAt?: string;
  readonly window_seconds: number;
  /** The family's responses in the window. */
  readonly count: number;
  /** All responses in the window. */
  readonly total: number;
  readonly ratio: number;
  readonly baseline_ratio: number;
  /** The family's most frequent codes in the window, most frequent first. */
  readonly top_codes: readonly TopCode[];
  /** On firing events with dimensions: per dimension name, its values with the most of the family's responses in the window. */
  readonly top_labels?: Readonly<Record<string, readonly TopLabel[]>>;
}

export interface NdjsonAlertSinkOptions {
  /**
   * End the destination when the sink closes. Default: true, except for process.stdout and process.stderr,
   * which the rest of the program still writes to.
   */
  readonly end?: boolean;
  /**
   * Called when the destination fails (a full disk, a closed pipe). Without it such an error is not
   * handled here, as for any stream the program writes to.
   */
  readonly onError?: (err: Error) => void;
}

/** Writes alert events one JSON object per line (stderr by default, `--alerts FILE`, or stdout). */
export class NdjsonAlertSink {
  /**
   * ndjson and its streams library (about 15 ms to load) load at the first event, in the background; most
   * runs have none. Writes and the close wait for it in order.
   */
  private lines: Promise<Transform> | undefined;
  private readonly endsDestination: boolean;
  private closing: Promise<void> | undefined;

  constructor(private readonly out: Writable, options: NdjsonAlertSinkOptions = {}) {
    this.endsDestination = options.end ?? (out !== process.stdout && out !== process.stderr);
    if (options.onError) out.on('error', options.onError);
  }

  private piped<T extends Transform>(lines: T): T {
    lines.pipe(this.out, { end: this.endsDestination });
    return lines;
  }

  write(event: AlertEvent): void {
    if (this.closing || this.out.errored) return;
    this.lines ??= import('ndjson').then(({ stringify }) => this.piped(stringify()));
    void this.lines.then((lines) => lines.write(event));
  }

  /** Resolves once every event written so far has reached the destination (and it has finished, if ended). */
  close(): Promise<void> {
    // Without an event, an empty stream stands in for ndjson's, so the destination is ended the same way.
    this.closing ??= (this.lines ?? Promise.resolve(this.piped(new PassThrough()))).then(
      (lines) =>
        new Promise<void>((resolve, reject) => {
          const out = this.out;
          // A failed destination has been unpiped: nothing more would drain, so there is nothing to wait for.
          if (out.errored) {
            reject(out.errored);
            return;
          }
          const settle = (err?: Error | null): void => {
            out.off('error', settle);
            if (err) reject(err);
            else resolve();
          };
          out.once('error', settle);
          if (this.endsDestination) {
            out.once('finish', () => settle());
            lines.end();
          } else {
            // The pipe has handed every line to `out` once `lines` ends; the empty write's callback then runs
            // after they are flushed, without closing a stream the program still uses.
            lines.once('end', () => {
              if (out.writableEnded || out.destroyed) settle();
              else out.write('', (err) => settle(err));
            });
            lines.end();
          }
        }),
    );
    return this.closing;
  }
}
