// Validation of extracted values, shared by the fast and the reference engine so they cannot disagree.

const MAX_CODE = 999_999_999_999; // "over 12 digits" is invalid

/** A code from a JSON number: a non-negative integral value of at most 12 digits, else -1. */
export function codeFromNumber(v: number): number {
  return Number.isInteger(v) && v >= 0 && v <= MAX_CODE && !Object.is(v, -0) ? v : -1;
}

/** A code from a JSON string: 1 to 12 decimal digits, nothing else, else -1. */
export function codeFromString(s: string): number {
  return /^[0-9]{1,12}$/.test(s) ? Number(s) : -1;
}

/** An HTTP status: an integer 100..599 (a JSON number), else 0. */
export function statusFromNumber(v: number): number {
  return Number.isInteger(v) && v >= 100 && v <= 599 ? v : 0;
}

/** Epoch seconds or milliseconds, told apart by size (1e11 s is the year 5138; 1e11 ms is 1973). */
export function timeFromNumber(v: number): number {
  if (!Number.isFinite(v) || v <= 0) return NaN;
  return v >= 1e11 ? v : v * 1000;
}

let lastTimeText = '';
let lastTimeMs = NaN;

/** ISO-8601 text to epoch ms (NaN when unparseable). Consecutive lines often repeat it: one-entry cache. */
export function timeFromString(s: string): number {
  if (s === lastTimeText) return lastTimeMs;
  const ms = parseIsoTime(s);
  lastTimeText = s;
  lastTimeMs = ms;
  return ms;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

// The common gateway forms are parsed by hand (Date.parse is several times slower on them); anything else
// goes to Date.parse, which treats a date-time without an offset as local time.
function parseIsoTime(s: string): number {
  const m = ISO.exec(s);
  if (!m) {
    const t = Date.parse(s);
    return Number.isNaN(t) || t <= 0 ? NaN : t;
  }
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + (m[7] ? Math.floor(+`0.${m[7]}` * 1000) : 0);
  const zone = m[8]!;
  if (zone === 'Z' || zone === 'z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offset = (+digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2) : 0)) * 60_000;
  return ms - sign * offset;
}
