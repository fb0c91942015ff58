// What extraction decides about one line. The hot path reuses one LineResult per engine (no allocation per line).

export const OUTCOMES = ['ok', 'malformed', 'missing_code', 'invalid_code', 'oversized'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const OK = 0;
export const MALFORMED = 1;
export const MISSING_CODE = 2;
export const INVALID_CODE = 3;
export const OVERSIZED = 4;

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
}

export function newLineResult(): LineResult {
  return { outcome: MALFORMED, code: -1, status: 0, timeMs: NaN, close: -1, empty: false };
}

export function describeResult(r: LineResult): string {
  const what = r.outcome === OK ? (r.status ? `http_${r.status}` : String(r.code)) : OUTCOMES[r.outcome];
  return `${OUTCOMES[r.outcome]}:${what}`;
}
