// What extraction decides about one line. The hot path reuses one LineResult per engine (no allocation per line).

export const OUTCOMES = ['ok', 'malformed', 'missing_code', 'invalid_code', 'oversized'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const OK = 0;
export const MALFORMED = 1;
export const MISSING_CODE = 2;
export const INVALID_CODE = 3;
export const OVERSIZED = 4;

// Kinds of a value found at a looked-up path by the byte scanners.
export const ABSENT = 0;
export const NUMBER = 1;
/** No escapes: the bytes are the value. */
export const STRING = 2;
export const STRING_ESCAPED = 3;
/** Object, array, true, false, null. */
export const OTHER = 4;

export interface LineResult {
  /** Index into OUTCOMES. */
  outcome: number;
  /** The business code when the line counts by code; -1 when an HTTP status decides or the line is not ok. */
  code: number;
  /** A non-200 HTTP status that makes the line a system error (code `http_<status>`); 0 otherwise. */
  status: number;
  /** Event time in epoch milliseconds; NaN when the line has none. */
  timeMs: number;
  /** Offset of the top-level object's closing brace (fast engine: byte offset; reference: string index). */
  close: number;
  /** True when the top-level object has no members (the enrichment adds no comma). */
  empty: boolean;
  /**
   * Per dimension (SPEC "Breakdowns"), of an ok line: its label when the scanner's cache knew the value, else -1;
   * then the value is in dimKind with its byte range [dimStart, dimEnd) (byte scanners), or in dimText
   * (reference: the value's text, null when absent or neither a string nor a number).
   */
  readonly labels: Int32Array;
  readonly dimKind: Uint8Array;
  readonly dimStart: Int32Array;
  readonly dimEnd: Int32Array;
  readonly dimText: (string | null)[];
}

export function newLineResult(dimensions = 0): LineResult {
  return {
    outcome: MALFORMED,
    code: -1,
    status: 0,
    timeMs: NaN,
    close: -1,
    empty: false,
    labels: new Int32Array(dimensions).fill(-1),
    dimKind: new Uint8Array(dimensions),
    dimStart: new Int32Array(dimensions),
    dimEnd: new Int32Array(dimensions),
    dimText: new Array<string | null>(dimensions).fill(null),
  };
}
