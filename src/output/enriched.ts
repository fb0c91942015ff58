// `--output enriched`: every input line, in order; a JSON object gets one added key
// "errcode":{"code","category","description","description_en"} spliced in before its closing brace, and
// every other byte of the line is kept, so the original is recoverable byte for byte.
import type { SeriesInfo } from '../aggregate/types.js';
import type { CodeTable } from '../codes/table.js';
import { INVALID_CODE, MISSING_CODE, OUTCOMES } from '../extract/result.js';
import type { Splicer } from '../extract/scan.js';
import { errcodeDescriptions } from '../codes/describe.js';
import type { FdWriter } from './fd-writer.js';

export const OUTCOME_DESCRIPTIONS: Readonly<Record<string, readonly [string, string]>> = {
  missing_code: ['缺少业务状态码', 'The line has no business code'],
  invalid_code: ['业务状态码无效', 'The business code is not a valid code'],
};

/** The errcode object for a series, as JSON text. */
export function errcodeJson(series: SeriesInfo, table: CodeTable): string {
  const { description, description_en } = errcodeDescriptions(series, table);
  return JSON.stringify({ code: series.code, category: series.category, description, description_en });
}

/** The errcode object of a JSON object line that has no usable code: code and category are null. */
function outcomeJson(outcome: number): string {
  const name = OUTCOMES[outcome]!;
  const [description, description_en] = OUTCOME_DESCRIPTIONS[name]!;
  return JSON.stringify({ code: null, category: null, description, description_en, outcome: name });
}

export class EnrichedWriter {
  /** `,"errcode":{...}` per series slot, built on first use. */
  private fragments: (Buffer | undefined)[] = [];
  private readonly outcomeFragments: Buffer[] = [];
  /** With a splicer: where each fragment is in the module's memory (-1: not there), as for `fragments`. */
  private fragmentAt: number[] = [];
  private readonly outcomeFragmentAt: number[] = [];

  constructor(
    private readonly out: FdWriter,
    private table: CodeTable,
    private readonly seriesInfo: (slot: number) => SeriesInfo,
    /** Splices in the scanner's memory when `out` collects there (lines read elsewhere take copies). */
    private readonly splicer: Splicer | null = null,
  ) {
    for (const o of [MISSING_CODE, INVALID_CODE]) {
      this.outcomeFragments[o] = Buffer.from(`,"errcode":${outcomeJson(o)}`);
      this.outcomeFragmentAt[o] = splicer ? splicer.fragment(this.outcomeFragments[o]!) : -1;
    }
    splicer?.keep();
  }

  setTable(table: CodeTable): void {
    this.table = table;
    this.fragments = [];
    this.fragmentAt = [];
    this.splicer?.release();
  }

  /** A JSON object line: `close` is the offset of its closing brace; `slot` its series, or -1 with `outcome`. */
  object(b: Buffer, start: number, end: number, newline: boolean, close: number, empty: boolean, slot: number, outcome: number): void {
    let frag: Buffer;
    let fragAt: number;
    if (slot >= 0) {
      frag = this.fragments[slot] ??= Buffer.from(`,"errcode":${errcodeJson(this.seriesInfo(slot), this.table)}`);
      fragAt = this.fragmentAt[slot] ??= this.splicer ? this.splicer.fragment(frag) : -1;
    } else {
      frag = this.outcomeFragments[outcome]!;
      fragAt = this.outcomeFragmentAt[outcome]!;
    }
    const out = this.out;
    const fs = empty ? 1 : 0; // an empty object gets no comma
    const n = end - start + frag.length - fs + 1;
    if (fragAt >= 0 && out.reserve(n) && out.buffer === this.splicer!.out) {
      const wrote = this.splicer!.splice(out.length, b, start, close, end, fragAt + fs, frag.length - fs, newline);
      if (wrote >= 0) {
        out.advance(wrote);
        return;
      }
    }
    if (out.reserve(n)) {
      const buf = out.buffer;
      let at = out.length;
      at += b.copy(buf, at, start, close);
      at += frag.copy(buf, at, fs);
      // The tail is usually the closing brace alone: a Buffer.copy call costs about 100 ns whatever its size.
      if (end - close <= 16) for (let i = close; i < end; i++) buf[at++] = b[i]!;
      else at += b.copy(buf, at, close, end);
      if (newline) buf[at++] = 0x0a;
      out.advance(at - out.length);
    } else {
      out.write(b, start, close);
      out.write(frag, fs, frag.length);
      out.write(b, close, end);
      if (newline) out.byte(0x0a);
    }
  }

  /** Any other line, or a piece of one, unchanged. */
  raw(b: Buffer, start: number, end: number, newline: boolean): void {
    this.out.write(b, start, end);
    if (newline) this.out.byte(0x0a);
  }

  newline(): void {
    this.out.byte(0x0a);
  }
}
