// Buffered synchronous writes to a file descriptor, for the reader thread. A full pipe blocks the writer
// (or, on a non-blocking descriptor, it waits and retries), which in turn stops reading: a slow consumer
// slows the input down instead of filling memory.
import { writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export class FdWriter {
  private buf: Buffer;
  private len = 0;
  /** Set when the reader of the descriptor went away (EPIPE): later writes are dropped. */
  closed = false;

  constructor(
    private readonly fd: number,
    size: number,
    /** Called before a write that may block, and polled while waiting; returns true to give up. */
    private readonly beforeBlock: () => boolean = () => false,
    /** The buffer to collect writes in (`size` bytes), if not a new one. */
    buffer?: Buffer,
  ) {
    this.buf = buffer && buffer.length === size ? buffer : Buffer.allocUnsafe(size);
  }

  /** Room for n more bytes, flushing first if needed; false if the bytes must be written directly. */
  reserve(n: number): boolean {
    if (this.len + n <= this.buf.length) return true;
    this.flush();
    return n <= this.buf.length;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  get length(): number {
    return this.len;
  }

  advance(n: number): void {
    this.len += n;
  }

  write(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.reserve(n)) {
      this.len += (b as Buffer).copy(this.buf, this.len, start, end);
    } else this.writeAll(b, start, end);
  }

  byte(c: number): void {
    if (this.len === this.buf.length) this.flush();
    this.buf[this.len++] = c;
  }

  flush(): void {
    if (this.len === 0) return;
    const n = this.len;
    this.len = 0;
    this.writeAll(this.buf, 0, n);
  }

  private writeAll(b: Uint8Array, start: number, end: number): void {
    if (this.closed) return;
    if (this.beforeBlock()) return;
    let pause = 1;
    while (start < end) {
      try {
        start += writeSync(this.fd, b, start, end - start);
        pause = 1;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          if (this.beforeBlock()) return;
          sleepMs(pause);
          pause = Math.min(pause * 2, 50);
        } else if (code === 'EPIPE') {
          this.closed = true;
          return;
        } else throw err;
      }
    }
  }
}
