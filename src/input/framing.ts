// Line framing with a byte limit. Lines are handed out as views into the read buffer; only a line that
// spans two reads is copied, into a carry buffer that grows as needed up to maxLineBytes (a follower keeps
// a framer per open file, and most never carry more than a few hundred bytes). A line longer than the
// limit is handed out in pieces and never buffered whole (split2's maxLength counts characters of the
// unfinished tail instead, so it cannot give this guarantee).

export interface LineSink {
  /** One line b[start, end) without its '\n'; `skip` is 3 when it starts with the input's UTF-8 BOM. */
  line(b: Buffer, start: number, end: number, newline: boolean, skip: number): void;
  /** A piece of an oversized line, in order; the first piece is at least maxLineBytes long in total. */
  oversizedPiece(b: Buffer, start: number, end: number): void;
  oversizedEnd(newline: boolean): void;
  /**
   * Optional: takes the complete lines of b[from, to) at once (each with its '\n', none longer than
   * maxLineBytes, none the first of an input) and returns where the lines it did not take start; those go
   * through line() and oversizedPiece() as usual.
   */
  lines?(b: Buffer, from: number, to: number, maxLineBytes: number): number;
}

const LF = 0x0a;

export class LineFramer {
  private carry = Buffer.alloc(0);
  private carryLen = 0;
  /** Inside an oversized line: pieces go out as they come until its newline. */
  private skipping = false;
  private atStart = true;

  constructor(
    private readonly maxLineBytes: number,
    private readonly sink: LineSink,
  ) {}

  /** Room in the carry buffer for `n` bytes in all (n <= maxLineBytes), keeping what it holds. */
  private reserve(n: number): Buffer {
    if (n > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxLineBytes, Math.max(n, 2 * this.carry.length, 4096)));
      this.carry.copy(grown, 0, 0, this.carryLen);
      this.carry = grown;
    }
    return this.carry;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    if (this.skipping || this.carryLen > 0) {
      const nl = chunk.indexOf(LF, 0);
      const stop = nl < 0 ? len : nl;
      if (this.skipping) {
        if (stop > 0) this.piece(chunk, 0, stop);
      } else if (this.carryLen + stop > this.maxLineBytes) {
        this.piece(this.carry, 0, this.carryLen);
        this.carryLen = 0;
        if (stop > 0) this.piece(chunk, 0, stop);
        this.skipping = true;
      } else {
        chunk.copy(this.reserve(this.carryLen + stop), this.carryLen, 0, stop);
        this.carryLen += stop;
        if (nl >= 0) {
          const n = this.carryLen;
          this.carryLen = 0;
          this.emit(this.carry, 0, n, true);
        }
      }
      if (nl < 0) return;
      if (this.skipping) {
        this.skipping = false;
        this.sink.oversizedEnd(true);
      }
      pos = nl + 1;
    }
    // The sink takes lines in bulk (if it can) from the second line of an input on, and again after an
    // oversized line, the one kind of line it leaves here.
    let bulk = this.sink.lines !== undefined;
    for (;;) {
      if (bulk && !this.atStart) {
        bulk = false;
        pos = this.sink.lines!(chunk, pos, len, this.maxLineBytes);
      }
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) break;
      if (nl - pos > this.maxLineBytes) {
        this.piece(chunk, pos, nl);
        this.sink.oversizedEnd(true);
        bulk = this.sink.lines !== undefined;
      } else this.emit(chunk, pos, nl, true);
      pos = nl + 1;
    }
    if (pos < len) {
      if (len - pos > this.maxLineBytes) {
        this.piece(chunk, pos, len);
        this.skipping = true;
      } else {
        chunk.copy(this.reserve(len - pos), 0, pos, len);
        this.carryLen = len - pos;
      }
    }
  }

  /** The input ended: a last line without a newline is still a line. */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      this.sink.oversizedEnd(false);
    } else if (this.carryLen > 0) {
      const n = this.carryLen;
      this.carryLen = 0;
      this.emit(this.carry, 0, n, false);
    }
    this.atStart = true;
  }

  /** Bytes of an unfinished last line held back until its newline arrives. */
  get pending(): number {
    return this.carryLen;
  }

  private piece(b: Buffer, start: number, end: number): void {
    this.atStart = false;
    this.sink.oversizedPiece(b, start, end);
  }

  private emit(b: Buffer, start: number, end: number, newline: boolean): void {
    let skip = 0;
    if (this.atStart) {
      this.atStart = false;
      if (end - start >= 3 && b[start] === 0xef && b[start + 1] === 0xbb && b[start + 2] === 0xbf) skip = 3;
    }
    this.sink.line(b, start, end, newline, skip);
  }
}
