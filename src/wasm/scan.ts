// AssemblyScript source of the WebAssembly line scanner (src/extract/scan-wasm.ts holds the compiled bytes;
// `npm run build:wasm` regenerates them, and test/unit/scan-wasm.test.ts checks that they match this file).
//
// It is the same validating pass as FastExtractor's JS scan (src/extract/scan.ts), on bytes in this
// module's memory: one function, local variables, string bodies 16 bytes a step with v128 compares. The
// JS side writes the looked-up paths as a tree of nodes (the layout below), calls scan(start, end) on a
// line, and reads back, per slot, the kind and byte range of the value found. scan returns 1 for a valid
// object, 0 for a line JSON.parse rejects, -1 for a line it leaves to the JS scan (an escaped key where
// keys are looked up, nesting deeper than MAX_DEPTH).
//
// While it runs, the byte at `end` is replaced by 0 (and restored): every loop stops at a 0 byte, and a 0
// is invalid wherever it stands, so no loop needs a bounds check and no byte after the line is looked at
// except by the 16-byte loads, whose lanes past the 0 are ignored. Callers keep 16 readable bytes after
// `end`.

// Memory layout, in bytes (mirrored in src/extract/scan.ts).
const CFG: u32 = 1024; //        i32 number of slots; then address and count of the slot lists of the status,
//                               code and time paths (in the order they are looked up)
const NODES: u32 = 2048; //      32 bytes a node, node 0 the root: key length, first word, key address,
//                               slot (-1 none), first child (-1), next sibling (-1), below address, below count
const OUT_KIND: u32 = 26624; //  u8 per slot
const OUT_START: u32 = 27136; // i32 per slot
const OUT_END: u32 = 28160; //   i32 per slot
const OUT_CLOSE: u32 = 29184; // i32 offset of the top-level '}', i32 1 when the object is empty
const TYPES: u32 = 30720; //     u8 per depth: container type
const PARENTS: u32 = 32768; //   i32 per depth: node of the open object along a looked-up path
const MAX_DEPTH: u32 = 1024;
// The keys of the previous line by depth and place, as FastExtractor's JS scan keeps them: a gateway writes
// every line with the same keys in the same order, so `"key":` is first compared, 16 bytes at once, with
// the one found at the same place last time (a compare that always goes the same way, where scanning the
// key and looking it up cost two branches the processor mispredicts).
const MEMO: u32 = 40960; //      32 bytes a place: the `"key":` bytes (zero-padded), i32 their length
//                               (0: none), i32 the node it was looked up under (-1: none), i32 the node found
const MEMO_DEPTH: u32 = 4;
const MEMO_MEMBERS: u32 = 32;
const MEMBERS: u32 = 45056; //   i32 per depth below MEMO_DEPTH: members seen so far in the open object
const MASKS: u32 = 45312; //     17 x 16 bytes: the first n bytes 0xff (written by init)

// Dimensions (SPEC "Breakdowns"). After the time list, CFG holds at +28 the number of dimensions and at
// +32 + 16 d, for dimension d: the address and count of its slot list, its key flags (DIM_ROUTE: the key
// is the route's shape, see routeKey; DIM_IDS: identifiers in it as `:id`), pad. For each line the module
// looks the value up in the dimension's cache of values the JS side has resolved for good (remember), and
// gives the label, or -1 with the value's kind and bytes for the JS side to resolve.
const DIMS_MAX: u32 = 8;
const DIM_ROUTE: u32 = 1;
const DIM_IDS: u32 = 2;
/** Compare with the last line's value first (a method: most lines repeat the last one's). */
const DIM_LAST: u32 = 4;
const DIM_OUT: u32 = 57344; //   16 bytes a dimension: i32 label (-1: not known here; then the value's kind, start, end)
const KEY_MAX: u32 = 128; //     longer keys are not cached
const VALBUF: u32 = 57856; //    a value copied in by the JS side for remember(), up to VALBUF_SIZE
const VALBUF_SIZE: u32 = 4096;
const DREC: u32 = 53 << 16; //    scanLines: DIM_OUT's 16 bytes a dimension, 128 bytes a record
// Per dimension, the raw value of the last line that the cache answered, and its label: consecutive lines
// often repeat a method or an app, and the compare costs less than a key and a lookup.
const LAST: u32 = 61952; //       80 bytes a dimension: u32 length | kind << 16 (0: none), i32 label, pad, the bytes
const LAST_MAX: u32 = 64;
// Per dimension, at DCACHE + d * DCACHE_DIM: DCACHE_ENTRIES entries of 16 bytes (u32 hash, u32 key length |
// kind << 16, i32 label, u32 1 when used), then DCACHE_ENTRIES keys of KEY_MAX bytes. Sets of DCACHE_WAYS
// entries (a 64-byte cache line): a value takes a free entry of its set, or the place of one picked by its
// hash, so a flood of values costs the cache, not memory. (Direct-mapped, two popular apps of 200 that
// shared a slot took turns evicting each other: 5.6% of a gateway log's lines missed.)
const DCACHE: u32 = 55 << 16;
const DCACHE_ENTRIES: u32 = 2048;
const DCACHE_WAYS: u32 = 4;
const DCACHE_DIM: u32 = DCACHE_ENTRIES * (16 + KEY_MAX);

export function init(): void {
  store<f64>(HOUR_MS, NaN);
  store<u8>(SLASH, 0x2f);
  for (let n: u32 = 0; n <= 16; n++) for (let k: u32 = 0; k < 16; k++) store<u8>(MASKS + (n << 4) + k, k < n ? 0xff : 0);
}

const NUMBER: u8 = 1;
const STRING: u8 = 2;
const STRING_ESCAPED: u8 = 3;
const OTHER: u8 = 4;

const OBJ: u8 = 1;
const ARR: u8 = 2;

@inline function isWs(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

@inline function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

@inline function isHex(c: u32): bool {
  return c - 0x30 < 10 || (c | 0x20) - 0x61 < 6;
}

/** Address of the first '"', '\' or control character at or after i: 16 bytes a step. */
@inline function stringStop(i: u32): u32 {
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const space = i8x16.splat(0x20);
  for (;;) {
    const v = v128.load(i);
    const m = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.lt_u(v, space)));
    if (m != 0) return i + ctz(m);
    i += 16;
  }
  return 0; // not reached
}

/** Address of the first byte at or after i that is not a decimal digit. */
@inline function digitsEnd(i: u32): u32 {
  const zero = i8x16.splat(0x30);
  const nine = i8x16.splat(9);
  for (;;) {
    const m = i8x16.bitmask(i8x16.gt_u(i8x16.sub(v128.load(i), zero), nine));
    if (m != 0) return i + ctz(m);
    i += 16;
  }
  return 0; // not reached
}

/** The end of the JSON number at i, or 0 when there is none: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
@inline function numberEnd(i: u32): u32 {
  let c = load<u8>(i) as u32;
  if (c == 0x2d) c = load<u8>(++i);
  if (c == 0x30) c = load<u8>(++i);
  else if (c - 0x31 < 9) {
    i = digitsEnd(i + 1);
    c = load<u8>(i);
  } else return 0;
  if (c == 0x2e) {
    if (!isDigit(load<u8>(++i))) return 0;
    i = digitsEnd(i + 1);
    c = load<u8>(i);
  }
  if ((c | 0x20) == 0x65) {
    c = load<u8>(++i);
    if (c == 0x2b || c == 0x2d) c = load<u8>(++i);
    if (!isDigit(c)) return 0;
    i = digitsEnd(i + 1);
  }
  return i;
}

/** The end of true, false or null at i, or 0 (the 0 at `end` fails every compare). */
@inline function literalEnd(i: u32): u32 {
  const c = load<u8>(i);
  if (c == 0x74) return load<u8>(i + 1) == 0x72 && load<u8>(i + 2) == 0x75 && load<u8>(i + 3) == 0x65 ? i + 4 : 0;
  if (c == 0x66) return load<u8>(i + 1) == 0x61 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x73 && load<u8>(i + 4) == 0x65 ? i + 5 : 0;
  if (c == 0x6e) return load<u8>(i + 1) == 0x75 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x6c ? i + 4 : 0;
  return 0;
}

/** The closing quote of a string with an escape or a control character at i, or 0 when it is invalid. */
function escapedStringEnd(i: u32): u32 {
  for (;;) {
    const c = load<u8>(i) as u32;
    if (c == 0x22) return i;
    if (c == 0x5c) {
      const d = load<u8>(i + 1) as u32;
      if (d == 0x75) {
        if (!(isHex(load<u8>(i + 2)) && isHex(load<u8>(i + 3)) && isHex(load<u8>(i + 4)) && isHex(load<u8>(i + 5)))) return 0;
        i += 6;
      } else if (d == 0x22 || d == 0x5c || d == 0x2f || d == 0x62 || d == 0x66 || d == 0x6e || d == 0x72 || d == 0x74) i += 2;
      else return 0;
    } else if (c < 0x20) return 0;
    else i++;
  }
  return 0; // not reached
}

/** Records where the value of `slot` is (nothing for -1, a key no path looks up). */
@inline function record(slot: i32, kind: u8, start: u32, end: u32): void {
  if (slot < 0) return;
  store<u8>(OUT_KIND + slot, kind);
  store<u32>(OUT_START + (slot << 2), start);
  store<u32>(OUT_END + (slot << 2), end);
}

/** The closing quote of the string value whose opening quote is at i, recorded for `slot`; 0 when invalid. */
@inline function stringValueEnd(i: u32, slot: i32): u32 {
  let e = stringStop(i + 1);
  let kind = STRING;
  if (load<u8>(e) != 0x22) {
    e = escapedStringEnd(e);
    if (e == 0) return 0;
    kind = STRING_ESCAPED;
  }
  record(slot, kind, i + 1, e);
  return e;
}

/** The child of `parent` named by the plain key at [s, s + len), or -1. */
function matchKey(parent: u32, s: u32, len: u32): i32 {
  let word = load<u32>(s);
  if (len < 4) word &= (1 << (len << 3)) - 1;
  let k = load<i32>(NODES + (parent << 5) + 16);
  while (k >= 0) {
    const p = NODES + ((k as u32) << 5);
    if (load<u32>(p) == len && load<u32>(p + 4) == word) {
      const key = load<u32>(p + 8);
      let j: u32 = 4;
      while (j < len && load<u8>(key + j) == load<u8>(s + j)) j++;
      if (j >= len) return k;
    }
    k = load<i32>(p + 20);
  }
  return -1;
}

/** Where scan() writes the dimensions of a valid line: DIM_OUT, or scanLines' record. */
let dimsAt: u32 = DIM_OUT;

export function scan(start: u32, end: u32): i32 {
  const saved = load<u8>(end);
  store<u8>(end, 0);
  let r = templates > 0 ? scanTemplates(start, end) : -1;
  if (r < 0) {
    r = scanLine(start, end);
    if (r > 0) buildTemplate(start);
  }
  store<u8>(end, saved);
  if (r > 0) {
    decode();
    dims(dimsAt);
  }
  return r;
}

// The outcome, code, status and event time of a valid line, as FastExtractor.values decides them, for the
// common forms: a status of plain digits, a code of plain digits (number or string), an event time of
// plain digits or ISO-8601 text in the form timeFromBytes reads. Anything else is left to the JS side.
const RES: u32 = 29696; //       i32 1 when decided, i32 outcome, i32 status, pad, f64 code, f64 time in ms

const OK: i32 = 0;
const MISSING_CODE: i32 = 2;
const INVALID_CODE: i32 = 3;

/** The first slot of a list whose value was found, or -1. */
@inline function firstFound(list: u32): i32 {
  const at = load<u32>(CFG + list);
  const n = load<u32>(CFG + list + 4);
  for (let k: u32 = 0; k < n; k++) {
    const slot = load<u32>(at + (k << 2));
    if (load<u8>(OUT_KIND + slot) != 0) return slot;
  }
  return -1;
}

/** The value of the plain decimal digits of a slot's value, 1 to `max` of them, or -1. */
function digitsOf(slot: u32, max: u32): f64 {
  const s = load<u32>(OUT_START + (slot << 2));
  const e = load<u32>(OUT_END + (slot << 2));
  if (e <= s || e - s > max) return -1;
  let v: f64 = 0;
  for (let i = s; i < e; i++) {
    const c = (load<u8>(i) as u32) - 0x30;
    if (c > 9) return -1;
    v = v * 10 + (c as f64);
  }
  return v;
}

function decode(): void {
  store<u32>(RES, 0);
  let status: i32 = 0;
  const ss = firstFound(4);
  if (ss >= 0 && load<u8>(OUT_KIND + ss) == NUMBER) {
    const v = digitsOf(ss, 3);
    if (v < 0) return; // 200.0, 2e2, -1, 1000: the JS side
    status = v >= 100 && v <= 599 && v != 200 ? (v as i32) : 0;
  }
  let code: f64 = -1;
  store<i32>(RES + 8, status);
  store<f64>(RES + 16, -1);
  store<f64>(RES + 24, NaN);
  if (status == 0) {
    const cs = firstFound(12);
    if (cs < 0) {
      store<i32>(RES + 4, MISSING_CODE);
      store<u32>(RES, 1);
      return;
    }
    const kind = load<u8>(OUT_KIND + cs);
    if (kind == NUMBER || kind == STRING) {
      code = digitsOf(cs, 12);
      if (code < 0 && kind == NUMBER) return; // 200.0, 1e3, -0, 13 digits: the JS side
    } else if (kind == STRING_ESCAPED) return;
    if (code < 0) {
      store<i32>(RES + 4, INVALID_CODE);
      store<u32>(RES, 1);
      return;
    }
    store<f64>(RES + 16, code);
  }
  store<i32>(RES + 4, OK);
  const ts = firstFound(20);
  if (ts >= 0) {
    const kind = load<u8>(OUT_KIND + ts);
    let ms: f64 = NaN;
    if (kind == NUMBER) {
      const v = digitsOf(ts, 15);
      if (v < 0) return; // fractions, exponents, signs: the JS side
      ms = v <= 0 ? NaN : v >= 1e11 ? v : v * 1000;
    } else if (kind == STRING) {
      ms = timeOf(load<u32>(OUT_START + (ts << 2)), load<u32>(OUT_END + (ts << 2)));
      if (ms == -1) return; // not the gateway form: the JS side
    } else if (kind == STRING_ESCAPED) return;
    store<f64>(RES + 24, ms);
  }
  store<u32>(RES, 1);
}

/** Two decimal digits at i, or -1. */
@inline function digit2(i: u32): i32 {
  const h = (load<u8>(i) as u32) - 0x30;
  const l = (load<u8>(i + 1) as u32) - 0x30;
  return h <= 9 && l <= 9 ? ((h * 10 + l) as i32) : -1;
}

// The date and hour of the last time read here, and its epoch ms (timeFromBytes keeps the same cache).
const HOUR_TEXT: u32 = 29760; // 16 bytes: "YYYY-MM-DDTHH", zero-padded
const HOUR_MS: u32 = 29776; //   f64; NaN: no hour yet

/** Days from 1970-01-01 to the first of month m (1-12) of year y (Gregorian). */
function daysFromCivil(y: i32, m: i32): i32 {
  if (m <= 2) y--;
  const era = y / 400; // y >= 99 here
  const yoe = y - era * 400;
  const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/**
 * The ISO-8601 time at [s, e) in epoch ms, exactly as timeFromBytes computes it (src/extract/values.ts), or
 * -1 where timeFromBytes would take its slow path (or Date.UTC would fold a month or a year below 100).
 */
function timeOf(s: u32, e: u32): f64 {
  if (e - s < 20 || load<u8>(s + 4) != 0x2d || load<u8>(s + 7) != 0x2d || load<u8>(s + 13) != 0x3a || load<u8>(s + 16) != 0x3a) return -1;
  const text = v128.and(v128.load(s), v128.load(MASKS + (13 << 4)));
  if (i8x16.bitmask(i8x16.eq(text, v128.load(HOUR_TEXT))) != 0xffff || isNaN(load<f64>(HOUR_MS))) {
    const century = digit2(s);
    const year = digit2(s + 2);
    const mo = digit2(s + 5);
    const d = digit2(s + 8);
    const h = digit2(s + 11);
    const sep = load<u8>(s + 10);
    if (century < 0 || year < 0 || mo < 0 || d < 0 || h < 0 || (sep != 0x54 && sep != 0x74 && sep != 0x20)) return -1;
    const y = century * 100 + year;
    if (y < 100 || mo < 1 || mo > 12) return -1;
    store<f64>(HOUR_MS, (daysFromCivil(y, mo) + d - 1) as f64 * 86400000 + (h as f64) * 3600000);
    v128.store(HOUR_TEXT, text);
  }
  const mi = digit2(s + 14);
  const sec = digit2(s + 17);
  if (mi < 0 || sec < 0) return -1;
  let i = s + 19;
  let frac: f64 = 0;
  let c = load<u8>(i) as u32;
  if (c == 0x2e || c == 0x2c) {
    let f: f64 = 0;
    let scale: f64 = 1;
    const from = ++i;
    while (i < e && i - from < 10) {
      const d = (load<u8>(i) as u32) - 0x30;
      if (d > 9) break;
      f = f * 10 + (d as f64);
      scale *= 10;
      i++;
    }
    if (i == from || i - from > 9) return -1;
    frac = Math.floor((f / scale) * 1000);
    c = load<u8>(i);
  }
  const ms = load<f64>(HOUR_MS) + (mi as f64) * 60000 + (sec as f64) * 1000 + frac;
  if (i + 1 == e && (c == 0x5a || c == 0x7a)) return ms;
  if (c != 0x2b && c != 0x2d) return -1;
  const oh = digit2(i + 1);
  if (oh < 0) return -1;
  let om = 0;
  if (i + 3 != e) {
    const at = load<u8>(i + 3) == 0x3a ? i + 4 : i + 3;
    om = digit2(at);
    if (om < 0 || at + 2 != e) return -1;
  }
  const offset = ((oh * 60 + om) as f64) * 60000;
  return c == 0x2d ? ms + offset : ms - offset;
}

// scanLines: the lines of a read buffer, one call for up to REC_MAX of them. A record per line, 48 bytes:
// u32 start, end (its '\n'), type (0: decided, results follow; 2: blank; 3: for the JS side: invalid, or
// not decided here), outcome, status, close, empty, pad, f64 code, time.
const REC: u32 = 35 << 16;
const REC_MAX: u32 = 1024;
const LINES: u32 = 29792; //     u32 where the next line starts, u32 1 when REC_MAX lines were recorded

/** The first '\n' in [i, to), or `to`. */
@inline function newlineFrom(i: u32, to: u32): u32 {
  const lf = i8x16.splat(0x0a);
  for (; i < to; i += 16) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(i), lf));
    if (m != 0) return min(i + ctz(m), to);
  }
  return to;
}

/**
 * Scans the lines of [from, to) that end in a '\n' before `to`, up to `most` of them (at most REC_MAX),
 * stopping before a line longer than maxLine (the framer deals with it). Returns the number of records.
 */
export function scanLines(from: u32, to: u32, maxLine: u32, most: u32): u32 {
  let pos = from;
  let n: u32 = 0;
  const limit = min(most, REC_MAX);
  while (n < limit) {
    const nl = newlineFrom(pos, to);
    if (nl >= to || nl - pos > maxLine) break;
    const r = REC + n * 48;
    store<u32>(r, pos);
    store<u32>(r + 4, nl);
    let i = pos;
    while (i < nl) {
      const c = load<u8>(i);
      if (c != 0x20 && c != 0x09 && c != 0x0d) break;
      i++;
    }
    dimsAt = DREC + (n << 7);
    if (i == nl) store<u32>(r + 8, 2);
    else if (scan(pos, nl) > 0 && load<u32>(RES) == 1) {
      store<u32>(r + 8, 0);
      store<u32>(r + 12, load<u32>(RES + 4));
      store<u32>(r + 16, load<u32>(RES + 8));
      store<u32>(r + 20, load<u32>(OUT_CLOSE));
      store<u32>(r + 24, load<u32>(OUT_CLOSE + 4));
      store<f64>(r + 32, load<f64>(RES + 16));
      store<f64>(r + 40, load<f64>(RES + 24));
    } else store<u32>(r + 8, 3);
    n++;
    pos = nl + 1;
  }
  dimsAt = DIM_OUT;
  store<u32>(LINES, pos);
  store<u32>(LINES + 4, n == limit ? 1 : 0);
  return n;
}

/**
 * One line of --output enriched at dst: the line's bytes up to its closing brace at `close`, the fragment
 * (`,"errcode":{...}`), the rest of the line, and a newline if asked for. Returns the bytes written. The
 * writer's buffer and the fragments live in this memory (scan.ts: wasmSplicer) when this is used.
 */
export function enrich(dst: u32, start: u32, close: u32, end: u32, frag: u32, fragLen: u32, newline: u32): u32 {
  let at = dst;
  memory.copy(at, start, close - start);
  at += close - start;
  memory.copy(at, frag, fragLen);
  at += fragLen;
  memory.copy(at, close, end - close);
  at += end - close;
  if (newline != 0) store<u8>(at++, 0x0a);
  return at - dst;
}

/** Forgets the previous lines (the keys by place, the template): the paths at CFG have changed. */
export function reset(): void {
  memory.fill(MEMO, 0, MEMO_DEPTH * MEMO_MEMBERS * 32);
  templates = 0;
  for (let d: u32 = 0; d < DIMS_MAX; d++) memory.fill(DCACHE + d * DCACHE_DIM, 0, DCACHE_ENTRIES * 16);
  memory.fill(LAST, 0, DIMS_MAX * 80);
  memory.fill(RMEMO, 0, DIMS_MAX << 16);
}

// Templates: recent lines taken apart into their leaf values (strings, numbers, true/false/null) and the
// bytes between them (keys, brackets, commas, colons, whitespace). A line that has the same bytes between its
// leaves, each leaf a valid value of the same type, is valid JSON with the same keys at the same places, so
// its values go to the same slots: it is checked with a 16-byte compare per stretch between leaves and a scan
// of each leaf, without the grammar's branches. Any difference sends the line to the full scan (which decides
// it and makes it a template).
//
// A gateway writes a few shapes of line (a success with one kind of data or another, an error with data
// null): TEMPLATES of them are kept, the one used last tried first. Templates that share their first f
// leaves (same stretches, types and slots) are known to each other: when a line leaves one at leaf f, the
// match goes on in another that shares exactly f leaves, from where it was, so a line of another shape costs
// one more compare, not a second scan. (With one template, 4 in 5 lines of a log with five shapes of data
// took the full scan: 40% more time a line.)
const TRACE: u32 = 36864; //     16 bytes a leaf of the full scan: start, end, type
const TRACE_MAX: u32 = 64;
const TEMPLATES: u32 = 8;
const TPLS: u32 = 91 << 16; //   TPL_SIZE a template: u32 leaves, u32 last stretch address and length, pad;
//                               then TRACE_MAX leaves of 16 bytes (address and length of the bytes before
//                               the leaf, type, slot or -1); then the stretches' bytes, up to TPL_SIZE
const TPL_SIZE: u32 = 4096;
const TPL_LEAVES: u32 = 16;
const TPL_BYTES: u32 = TPL_LEAVES + TRACE_MAX * 16;
/** u8 [a * TEMPLATES + b]: how many first leaves templates a and b share. */
const SHARED: u32 = TPLS + TEMPLATES * TPL_SIZE;
/** u8 per place: the templates, the one used last first. */
const ORDER: u32 = SHARED + TEMPLATES * TEMPLATES;
/** Templates in ORDER. */
let templates: u32 = 0;

let leaves: u32 = 0;
/** Set when the full scan recorded a container's position in a slot: no template then. */
let untemplated = false;

@inline function leaf(start: u32, end: u32, type: u8): void {
  if (leaves < TRACE_MAX) {
    const t = TRACE + (leaves << 4);
    store<u32>(t, start);
    store<u32>(t + 4, end);
    store<u32>(t + 8, type);
  }
  leaves++;
}

/** Whether the `len` bytes at a equal those at b (the 0 at `end` equals no byte of a stretch). */
@inline function same(a: u32, b: u32, len: u32): bool {
  let k: u32 = 0;
  for (; k + 16 <= len; k += 16) if (v128.any_true(v128.xor(v128.load(a + k), v128.load(b + k)))) return false;
  const need = (1 << (len - k)) - 1;
  return (i8x16.bitmask(i8x16.eq(v128.load(a + k), v128.load(b + k))) & need) == need;
}

@inline function templateAt(t: u32): u32 {
  return TPLS + t * TPL_SIZE;
}

/** Moves template t to the front of ORDER (it is at place `at`). */
@inline function toFront(at: u32): void {
  const t = load<u8>(ORDER + at);
  for (let k = at; k > 0; k--) store<u8>(ORDER + k, load<u8>(ORDER + k - 1));
  store<u8>(ORDER, t);
}

/** Makes the line just scanned (valid, its leaves in TRACE) a template, if it can be one: in a free place or the last used one's. */
function buildTemplate(start: u32): void {
  const n = leaves;
  if (n > TRACE_MAX || untemplated || load<u32>(OUT_CLOSE + 4) != 0) return;
  let at = templates;
  if (at == TEMPLATES) at = TEMPLATES - 1;
  const t = at < templates ? (load<u8>(ORDER + at) as u32) : at;
  const base = templateAt(t);
  // Until it is complete, the place holds no template.
  if (at < templates) {
    for (let k = at; k + 1 < templates; k++) store<u8>(ORDER + k, load<u8>(ORDER + k + 1));
    templates--;
  }
  for (let k: u32 = 0; k < n; k++) store<i32>(base + TPL_LEAVES + (k << 4) + 12, -1);
  // Each value found must be a leaf's: the slot goes with that leaf.
  const slots = load<u32>(CFG);
  for (let s: u32 = 0; s < slots; s++) {
    const kind = load<u8>(OUT_KIND + s);
    if (kind == 0) continue;
    const pos = load<u32>(OUT_START + (s << 2)) - (kind == STRING || kind == STRING_ESCAPED ? 1 : 0);
    let k: u32 = 0;
    while (k < n && load<u32>(TRACE + (k << 4)) != pos) k++;
    if (k == n) return;
    store<i32>(base + TPL_LEAVES + (k << 4) + 12, s);
  }
  let prev = start;
  let b = base + TPL_BYTES;
  const limit = base + TPL_SIZE - 16;
  for (let k: u32 = 0; k < n; k++) {
    const tr = TRACE + (k << 4);
    const len = load<u32>(tr) - prev;
    if (b + len > limit) return;
    memory.copy(b, prev, len);
    const l = base + TPL_LEAVES + (k << 4);
    store<u32>(l, b);
    store<u32>(l + 4, len);
    store<u32>(l + 8, load<u32>(tr + 8));
    b += len;
    prev = load<u32>(tr + 4);
  }
  const len = load<u32>(OUT_CLOSE) + 1 - prev;
  if (b + len > limit) return;
  memory.copy(b, prev, len);
  store<u32>(base, n);
  store<u32>(base + 4, b);
  store<u32>(base + 8, len);
  // What it shares with each of the others.
  for (let k: u32 = 0; k < templates; k++) {
    const u = load<u8>(ORDER + k) as u32;
    const other = templateAt(u);
    const m = min(n, load<u32>(other));
    let f: u32 = 0;
    while (f < m) {
      const x = base + TPL_LEAVES + (f << 4);
      const y = other + TPL_LEAVES + (f << 4);
      const xl = load<u32>(x + 4);
      if (xl != load<u32>(y + 4) || load<u32>(x + 8) != load<u32>(y + 8) || load<i32>(x + 12) != load<i32>(y + 12)) break;
      if (xl > 0 && !same(load<u32>(x), load<u32>(y), xl)) break;
      f++;
    }
    store<u8>(SHARED + t * TEMPLATES + u, f);
    store<u8>(SHARED + u * TEMPLATES + t, f);
  }
  for (let k = templates; k > 0; k--) store<u8>(ORDER + k, load<u8>(ORDER + k - 1));
  store<u8>(ORDER, t);
  templates++;
}

/** Where matchFrom stopped: the leaf whose stretch or value did not match (the leaf count: the last stretch), and the line's position there. */
let stopLeaf: u32 = 0;
let stopAt: u32 = 0;

/**
 * Matches the line from leaf `from` of template t at position i (the leaves before matched already): 1 when
 * the rest has the template's form (and so the line is valid), -1 when not (see stopLeaf, stopAt).
 */
function matchFrom(t: u32, from: u32, i: u32, end: u32): i32 {
  const base = templateAt(t);
  const n = load<u32>(base);
  for (let k = from; k < n; k++) {
    stopLeaf = k;
    stopAt = i;
    const l = base + TPL_LEAVES + (k << 4);
    const len = load<u32>(l + 4);
    if (!same(i, load<u32>(l), len)) return -1;
    i += len;
    const type = load<u32>(l + 8);
    const slot = load<i32>(l + 12);
    if (type == STRING) {
      if (load<u8>(i) != 0x22) return -1;
      const e = stringValueEnd(i, slot);
      if (e == 0) return -1;
      i = e + 1;
    } else if (type == NUMBER) {
      const e = numberEnd(i);
      if (e == 0) return -1;
      record(slot, NUMBER, i, e);
      i = e;
    } else {
      const e = literalEnd(i);
      if (e == 0) return -1;
      record(slot, OTHER, i, i);
      i = e;
    }
  }
  stopLeaf = n;
  stopAt = i;
  const len = load<u32>(base + 8);
  if (!same(i, load<u32>(base + 4), len)) return -1;
  i += len;
  const close = i - 1;
  while (isWs(load<u8>(i))) i++;
  if (i != end) return -1;
  store<u32>(OUT_CLOSE, close);
  store<u32>(OUT_CLOSE + 4, 0);
  return 1;
}

/** Scans a line by the templates: 1 when it has the form of one (and so is valid), -1 when of none. */
function scanTemplates(start: u32, end: u32): i32 {
  const slots = load<u32>(CFG);
  for (let k: u32 = 0; k < slots; k += 16) v128.store(OUT_KIND + k, i32x4.splat(0));
  let at: u32 = 0;
  let t = load<u8>(ORDER) as u32;
  if (matchFrom(t, 0, start, end) > 0) return 1;
  // Another template that goes the same way up to where this one left the line, and on from there.
  for (;;) {
    const f = stopLeaf;
    const i = stopAt;
    let next: u32 = TEMPLATES;
    for (let k = at + 1; k < templates; k++) {
      const u = load<u8>(ORDER + k) as u32;
      if (load<u8>(SHARED + t * TEMPLATES + u) == f) {
        next = k;
        break;
      }
    }
    if (next == TEMPLATES) return -1;
    at = next;
    t = load<u8>(ORDER + at) as u32;
    if (matchFrom(t, f, i, end) > 0) {
      toFront(at);
      return 1;
    }
  }
  return -1; // not reached
}

function scanLine(start: u32, end: u32): i32 {
  leaves = 0;
  untemplated = false;
  const slots = load<u32>(CFG);
  for (let k: u32 = 0; k < slots; k += 16) v128.store(OUT_KIND + k, i32x4.splat(0));
  let i = start;
  let c = load<u8>(i) as u32;
  while (isWs(c)) c = load<u8>(++i);
  if (c != 0x7b) return 0;
  let depth: u32 = 0;
  let nodeDepth: u32 = 0;
  store<i32>(PARENTS, 0);
  store<u8>(TYPES, OBJ);
  store<u32>(MEMBERS, 0);
  let first = true;
  i++;
  for (;;) {
    // A member (object) or an element (array) of the container at `depth`, or its end if `first`.
    c = load<u8>(i);
    while (isWs(c)) c = load<u8>(++i);
    let closing = false;
    const obj = load<u8>(TYPES + depth) == OBJ;
    if (first && c == (obj ? 0x7d : 0x5d)) {
      closing = true;
    } else {
      let matched: i32 = -1;
      if (obj) {
        if (c != 0x22) return 0;
        let m: u32 = 0;
        let hit = false;
        if (depth < MEMO_DEPTH) {
          const n = load<u32>(MEMBERS + (depth << 2));
          store<u32>(MEMBERS + (depth << 2), n + 1);
          m = MEMO + ((depth * MEMO_MEMBERS + (n & (MEMO_MEMBERS - 1))) << 5);
          const len = load<u32>(m + 16);
          // The 0 at `end` differs from every byte of a remembered key, so no byte after it decides.
          const need = (1 << len) - 1;
          hit = len > 0 && (i8x16.bitmask(i8x16.eq(v128.load(i), v128.load(m))) & need) == need;
          if (hit) {
            if (depth == nodeDepth) {
              const parent = load<i32>(PARENTS + (depth << 2));
              if (load<i32>(m + 20) != parent) {
                store<i32>(m + 20, parent);
                store<i32>(m + 24, matchKey(parent, i + 1, len - 3));
              }
              matched = load<i32>(m + 24);
            }
            i += len;
          }
        }
        if (!hit) {
          const qs = i;
          const ks = i + 1;
          let e = stringStop(ks);
          let escaped = false;
          if (load<u8>(e) != 0x22) {
            e = escapedStringEnd(e);
            if (e == 0) return 0;
            if (depth == nodeDepth) return -1;
            escaped = true;
          } else if (depth == nodeDepth) matched = matchKey(load<u32>(PARENTS + (depth << 2)), ks, e - ks);
          i = e + 1;
          c = load<u8>(i);
          if (c != 0x3a) {
            while (isWs(c)) c = load<u8>(++i);
            if (c != 0x3a) return 0;
          } else if (m != 0 && !escaped && i + 1 - qs <= 16) {
            const len = i + 1 - qs;
            v128.store(m, v128.and(v128.load(qs), v128.load(MASKS + (len << 4))));
            store<u32>(m + 16, len);
            store<i32>(m + 20, depth == nodeDepth ? load<i32>(PARENTS + (depth << 2)) : -1);
            store<i32>(m + 24, matched);
          }
          i++;
        }
        c = load<u8>(i);
        while (isWs(c)) c = load<u8>(++i);
        if (matched >= 0) {
          const p = NODES + ((matched as u32) << 5);
          const below = load<u32>(p + 24);
          const n = load<u32>(p + 28);
          for (let k: u32 = 0; k < n; k++) store<u8>(OUT_KIND + load<u32>(below + (k << 2)), 0);
        }
      }
      const slot: i32 = matched < 0 ? -1 : load<i32>(NODES + ((matched as u32) << 5) + 12);
      const vs = i;
      if (c == 0x22) {
        const e = stringValueEnd(i, slot);
        if (e == 0) return 0;
        i = e + 1;
        leaf(vs, i, STRING);
      } else if (c == 0x7b || c == 0x5b) {
        if (slot >= 0) untemplated = true;
        record(slot, OTHER, vs, vs);
        depth++;
        if (depth >= MAX_DEPTH) return -1;
        store<u8>(TYPES + depth, c == 0x7b ? OBJ : ARR);
        if (depth < MEMO_DEPTH) store<u32>(MEMBERS + (depth << 2), 0);
        if (matched >= 0 && c == 0x7b && load<i32>(NODES + ((matched as u32) << 5) + 16) >= 0) {
          store<i32>(PARENTS + (depth << 2), matched);
          nodeDepth = depth;
        }
        i++;
        first = true;
        continue;
      } else if (c == 0x2d || isDigit(c)) {
        i = numberEnd(i);
        if (i == 0) return 0;
        record(slot, NUMBER, vs, i);
        leaf(vs, i, NUMBER);
      } else {
        i = literalEnd(i);
        if (i == 0) return 0;
        record(slot, OTHER, vs, vs);
        leaf(vs, i, OTHER);
      }
    }
    // After a value: a comma, or the end of one or more containers.
    for (;;) {
      if (!closing) {
        c = load<u8>(i);
        while (isWs(c)) c = load<u8>(++i);
        if (c == 0x2c) {
          i++;
          first = false;
          break;
        }
        if (c != (load<u8>(TYPES + depth) == OBJ ? 0x7d : 0x5d)) return 0;
      }
      if (depth == 0) {
        store<u32>(OUT_CLOSE, i);
        store<u32>(OUT_CLOSE + 4, closing ? 1 : 0);
        i++;
        while (isWs(load<u8>(i))) i++;
        return i == end ? 1 : 0;
      }
      if (depth == nodeDepth) nodeDepth--;
      depth--;
      i++;
      closing = false;
    }
  }
  return 0; // not reached
}

// ---- dimensions ----
//
// A value's key is a list of pieces of the line's own bytes: the value itself, or for a route the stretches
// of its path between identifier segments, each of those standing for `:id`. Its hash and the check against
// a cached key read the pieces where they are. (Assembled in a buffer first, the key's 16-byte loads came
// right after its byte-sized stores, which a processor cannot forward: a route's lookup took 45 ns more.)

const PIECES: u32 = 62592; //    8 bytes a piece: address, length (0: an identifier, `:id`)
const PIECES_MAX: u32 = 64;
/** `:id` as the 3 bytes of a cached key. */
const ID_BYTES: u32 = 0x64693a;
let pieces: u32 = 0;
/** The key's length: its pieces' bytes, 3 for each identifier. */
let keyLen: u32 = 0;

@inline function isAlpha(c: u32): bool {
  return (c | 0x20) - 0x61 < 26;
}

/** Adds a piece (`len` 0: an identifier); false when there are too many or the key is too long. */
@inline function piece(at: u32, len: u32): bool {
  if (pieces >= PIECES_MAX) return false;
  store<u32>(PIECES + (pieces << 3), at);
  store<u32>(PIECES + (pieces << 3) + 4, len);
  pieces++;
  keyLen += len == 0 ? 3 : len;
  return keyLen <= KEY_MAX;
}

/** The key of a value that is its own bytes. */
@inline function rawPieces(s: u32, e: u32): bool {
  pieces = 0;
  keyLen = 0;
  return e > s ? piece(s, e - s) : true;
}

/** The first byte at or after i that is `c` or at `to`. */
@inline function byteFrom(i: u32, to: u32, c: u8): u32 {
  const want = i8x16.splat(c);
  for (; i < to; i += 16) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(i), want));
    if (m != 0) return min(i + ctz(m), to);
  }
  return to;
}

/** The first '?' or '#' at or after i, or `to`. */
@inline function queryFrom(i: u32, to: u32): u32 {
  const q = i8x16.splat(0x3f);
  const h = i8x16.splat(0x23);
  for (; i < to; i += 16) {
    const v = v128.load(i);
    const m = i8x16.bitmask(v128.or(i8x16.eq(v, q), i8x16.eq(v, h)));
    if (m != 0) return min(i + ctz(m), to);
  }
  return to;
}

/**
 * The classes of 16 bytes as bit masks, a bit a byte: digits in bits 0-15, the letters a-f (either case) in
 * 16-31, letters in 32-47.
 */
@inline function byteClasses(v: v128): u64 {
  const l = i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61));
  const digit = i8x16.bitmask(i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(10))) as u64;
  const hexLetter = i8x16.bitmask(i8x16.lt_u(l, i8x16.splat(6))) as u64;
  const letter = i8x16.bitmask(i8x16.lt_u(l, i8x16.splat(26))) as u64;
  return digit | (hexLetter << 16) | (letter << 32);
}

/**
 * Whether the segment [s, e) (not empty) looks like an identifier, as src/labels/route.ts isIdentifier
 * decides: all digits, hex of 8 or more, letters and digits mixed of 16 or more, or a UUID. 16 bytes a step:
 * one step for most segments.
 */
function isIdentifier(s: u32, e: u32): bool {
  const len = e - s;
  if (len == 36 && load<u8>(s + 8) == 0x2d && load<u8>(s + 13) == 0x2d && load<u8>(s + 18) == 0x2d && load<u8>(s + 23) == 0x2d) {
    // A UUID: the 32 others are hex.
    for (let i = s; i < e; i++) {
      const c = load<u8>(i) as u32;
      const k = i - s;
      const dash = k == 8 || k == 13 || k == 18 || k == 23;
      if (dash ? c != 0x2d : !(c - 0x30 < 10 || (c | 0x20) - 0x61 < 6)) return false;
    }
    return true;
  }
  let digits = true;
  let hex = true;
  let alnum = true;
  let anyDigit = false;
  for (let i = s; i < e; i += 16) {
    const c = byteClasses(v128.load(i));
    const need: u32 = e - i >= 16 ? 0xffff : (1 << (e - i)) - 1;
    const d = (c as u32) & 0xffff & need;
    const h = (((c >> 16) as u32) & 0xffff) | d;
    const al = ((c >> 32) as u32) | d;
    digits = digits && d == need;
    hex = hex && (h & need) == need;
    alnum = alnum && (al & need) == need;
    anyDigit = anyDigit || d != 0;
  }
  return digits || (hex && len >= 8) || (alnum && len >= 16 && anyDigit);
}

/**
 * The pieces of a route value at [s, e): what src/labels/route.ts routePath leaves of it (scheme and host,
 * query and fragment dropped; `/` when nothing is left), with identifier segments as pieces of their own
 * when `ids`. Values with the same key get the same label. False when the key is longer than KEY_MAX.
 */
function routePieces(s: u32, e: u32, ids: bool): bool {
  pieces = 0;
  keyLen = 0;
  let i = s;
  // An optional scheme (a letter, then letters, digits, + . -, a colon), then //authority, as routePath
  let j = s;
  if (j < e && isAlpha(load<u8>(j))) {
    j++;
    for (; j < e; j++) {
      const c = load<u8>(j) as u32;
      if (!(isAlpha(c) || c - 0x30 < 10 || c == 0x2b || c == 0x2e || c == 0x2d)) break;
    }
    if (j < e && load<u8>(j) == 0x3a) j++;
    else j = s;
  }
  if (j + 1 < e && load<u8>(j) == 0x2f && load<u8>(j + 1) == 0x2f) {
    i = j + 2;
    for (; i < e; i++) {
      const c = load<u8>(i);
      if (c == 0x2f || c == 0x3f || c == 0x23) break;
    }
  }
  const end = queryFrom(i, e);
  // Nothing left is `/`: the pieces of the value `/`, wherever its byte is.
  if (end == i) return piece(SLASH, 1);
  if (!ids) return piece(i, end - i);
  if (end - i < 64) return shortRoutePieces(i, end);
  let literal = i;
  while (i < end) {
    const slash = byteFrom(i, end, 0x2f);
    if (slash > i && isIdentifier(i, slash)) {
      if ((i > literal && !piece(literal, i - literal)) || !piece(0, 0)) return false;
      literal = slash;
    }
    i = slash + 1;
  }
  return end > literal ? piece(literal, end - literal) : true;
}

/** A `/` byte for the key of a route with no path. */
const SLASH: u32 = 63200;

/**
 * routePieces' identifier pass for a path [i, end) of under 64 bytes (nearly all): the path's bytes classified
 * 16 at a time into 64-bit masks (slashes, digits, hex, letters and digits). An identifier has a digit, or is 8
 * hex letters or more: only the segments with a digit or a run of 8 hex letters are judged, usually one or two
 * of a route's five (judging every segment, its branches went wrong on every other line: 30 ns a route).
 */
function shortRoutePieces(i: u32, end: u32): bool {
  const len = end - i;
  const slashes = i8x16.splat(0x2f);
  let slash: u64 = 0;
  let digit: u64 = 0;
  let hexLetter: u64 = 0;
  let alpha: u64 = 0;
  for (let c: u32 = 0; c < len; c += 16) {
    const v = v128.load(i + c);
    const at = c as u64;
    const k = byteClasses(v);
    slash |= (i8x16.bitmask(i8x16.eq(v, slashes)) as u64) << at;
    digit |= (k & 0xffff) << at;
    hexLetter |= ((k >> 16) & 0xffff) << at;
    alpha |= (k >> 32) << at;
  }
  const one: u64 = 1;
  const valid = (one << (len as u64)) - 1;
  digit &= valid;
  hexLetter &= valid;
  alpha &= valid;
  // A slash just past the end closes the last segment.
  slash = (slash & valid) | (one << (len as u64));
  // Runs of 8 hex letters: a bit stays where 8 of them start.
  let run = hexLetter;
  run &= run >> 1;
  run &= run >> 2;
  run &= run >> 4;
  let candidates = digit | run;
  if (candidates == 0) return piece(i, len);
  const hex = digit | hexLetter;
  const alnum = digit | alpha;
  let literal = i;
  while (candidates != 0) {
    const p = ctz(candidates);
    // The segment around byte p: after the slash before it (or the path's start), up to the slash after it.
    const before = slash & ((one << p) - 1);
    const from: u64 = before == 0 ? 0 : 64 - clz(before);
    const to: u64 = p + ctz(slash >> p);
    const size = to - from;
    const range = ((one << size) - 1) << from;
    candidates &= ~range;
    const id =
      (digit & range) == range ||
      (size >= 8 && (hex & range) == range) ||
      (size >= 16 && (alnum & range) == range && (digit & range) != 0) ||
      (size == 36 && isIdentifier(i + (from as u32), i + (to as u32)));
    if (id) {
      const at = i + (from as u32);
      if ((at > literal && !piece(literal, at - literal)) || !piece(0, 0)) return false;
      literal = i + (to as u32);
    }
  }
  return end > literal ? piece(literal, end - literal) : true;
}

/** Sets the pieces of dimension d's value of `kind` at [s, e); false when it is not cached. */
@inline function keyOf(d: u32, kind: u32, s: u32, e: u32): bool {
  if (kind != NUMBER && kind != STRING) return false;
  const flags = load<u32>(CFG + 40 + (d << 4));
  if (kind == STRING && (flags & DIM_ROUTE) != 0) return routePieces(s, e, (flags & DIM_IDS) != 0);
  return e - s <= KEY_MAX && rawPieces(s, e);
}

/**
 * A hash of the key, from its pieces: 8 bytes a step, each xored in, multiplied and folded (3-cycle scalar
 * multiplies; four 32-bit lanes multiplied 16 bytes a step and folded at the end took 10 ns more a line).
 */
function hashKey(kind: u32): u32 {
  const m: u64 = 0x9e3779b97f4a7c15;
  let h: u64 = (keyLen as u64) ^ ((kind as u64) << 56);
  for (let p: u32 = 0; p < pieces; p++) {
    const at = load<u32>(PIECES + (p << 3));
    const len = load<u32>(PIECES + (p << 3) + 4);
    if (len == 0) {
      h = (h ^ (ID_BYTES as u64)) * m;
      h ^= h >> 32;
      continue;
    }
    let i: u32 = 0;
    for (; i + 8 <= len; i += 8) {
      h = (h ^ load<u64>(at + i)) * m;
      h ^= h >> 32;
    }
    if (i < len) {
      h = (h ^ (load<u64>(at + i) & ((<u64>1 << (((len - i) << 3) as u64)) - 1))) * m;
      h ^= h >> 32;
    }
  }
  h *= 0xff51afd7ed558ccd;
  return (h ^ (h >> 29)) as u32;
}

/** Whether the cached key at `stored` is the one the pieces make. */
@inline function samePieces(stored: u32): bool {
  let off: u32 = 0;
  for (let p: u32 = 0; p < pieces; p++) {
    const at = load<u32>(PIECES + (p << 3));
    const len = load<u32>(PIECES + (p << 3) + 4);
    if (len == 0) {
      if ((load<u32>(stored + off) & 0xffffff) != ID_BYTES) return false;
      off += 3;
    } else {
      if (!same(at, stored + off, len)) return false;
      off += len;
    }
  }
  return true;
}

/** The entry of the key the pieces make (hash h) in dimension d's cache, or 0. */
@inline function lookup(d: u32, kind: u32, h: u32): u32 {
  const base = DCACHE + d * DCACHE_DIM;
  const first = (h & (DCACHE_ENTRIES / DCACHE_WAYS - 1)) * DCACHE_WAYS;
  const tag = keyLen | (kind << 16);
  for (let k: u32 = first; k < first + DCACHE_WAYS; k++) {
    const entry = base + (k << 4);
    if (load<u32>(entry) == h && load<u32>(entry + 4) == tag && load<u32>(entry + 12) != 0 && samePieces(base + (DCACHE_ENTRIES << 4) + k * KEY_MAX)) return entry;
  }
  return 0;
}

/** The label remembered for the key of the pieces, or -1. */
@inline function cached(d: u32, kind: u32): i32 {
  const entry = lookup(d, kind, hashKey(kind));
  return entry != 0 ? load<i32>(entry + 8) : -1;
}

// Per dimension, a memo of values whose label is known, by their bytes as logged: a value seen again skips its
// key, its hash and the cache's compare of pieces. 64 KiB a dimension at RMEMO + (d << 16), a plain
// dimension's memo by its values' bytes or a route dimension's by its routes' keys (below). An entry is made
// only when the memo key stands for exactly one cache key, so two values with the same memo key always have
// the same label.
//
// A plain dimension's memo key is the value's bytes (up to RMEMO_KEY): RMEMO_SETS sets of 2 entries of 64
// bytes, u32 tag (length | kind << 16, 0: none), i32 label, u32 the entry to replace next (in the set's
// first), pad, the bytes. It answers 97% of the bench's gateway log's apps.
const RMEMO: u32 = 93 << 16;
const RMEMO_KEY: u32 = 48;
const RMEMO_SETS: u32 = 512;
/** Bytes and tag of the current value's memo entry (memoLen 0: the value has none). */
let memoAt: u32 = 0;
let memoLen: u32 = 0;
let memoTag: u32 = 0;

/** The memo entry's set for the current memo bytes. */
@inline function memoSet(d: u32): u32 {
  const s = memoAt;
  const len = memoLen;
  let tail: u64 = 0;
  let mid: u64 = 0;
  if (len >= 8) {
    tail = load<u64>(s + len - 8);
    mid = load<u64>(s + ((len - 8) >> 1));
  } else tail = load<u64>(s) & ((<u64>1 << ((len << 3) as u64)) - 1);
  let h = (tail * 0x9e3779b97f4a7c15) ^ ((mid ^ (memoTag as u64)) * 0xff51afd7ed558ccd);
  h ^= h >> 32;
  return RMEMO + (d << 16) + (((h as u32) & (RMEMO_SETS - 1)) << 7);
}

/** The label that set `set` of the memo holds for the current memo bytes, or -1. */
@inline function memoFind(set: u32): i32 {
  if (load<u32>(set) == memoTag && same(memoAt, set + 16, memoLen)) return load<i32>(set + 4);
  if (load<u32>(set + 64) == memoTag && same(memoAt, set + 80, memoLen)) return load<i32>(set + 68);
  return -1;
}

/** Whether the pieces just made are the memo bytes: the key the memo stands for. */
@inline function piecesAreMemo(): bool {
  return pieces == 1 && load<u32>(PIECES) == memoAt && load<u32>(PIECES + 4) == memoLen;
}

/**
 * The entry of set `set` (two of 1 << `shift` bytes) that a new memo entry takes, a free one, else the older
 * one, with the current tag and `label` written in.
 */
@inline function memoEntry(set: u32, shift: u32, label: i32): u32 {
  const second = set + (1 << shift);
  const entry = load<u32>(set) == 0 ? set : load<u32>(second) == 0 ? second : set + (load<u32>(set + 8) << shift);
  // The entry taken when both are used alternates, so the older of the two goes.
  store<u32>(set + 8, entry == set ? 1 : 0);
  store<u32>(entry, memoTag);
  store<i32>(entry + 4, label);
  return entry;
}

/** Memoises `label` for the current memo bytes in set `set`. */
@inline function memoKeep(set: u32, label: i32): void {
  const entry = memoEntry(set, 6, label);
  for (let k: u32 = 0; k < memoLen; k += 16) v128.store(entry + 16 + k, v128.load(memoAt + k));
}

// A route's memo key is its path before any query, up to 63 bytes, with its identifier segment's bytes
// zeroed: a 0 byte is never in a plain JSON string, so the zeros mark where `:id` stands, and
// `/v1/orders/154593134?x=1` and `/v1/orders/867` have an entry each, both for `/v1/orders/:id`. The key is
// held in four vectors (KEYBUF), zero past the path, and compared whole, so no branch depends on where the
// path ends or where the identifier is; the segments are judged by isIdentifier's rules a bit a segment,
// side by side (a UUID's dashes only by isIdentifier itself, for a segment of 32 bytes or more). Routes with
// a scheme and host or more than one identifier take the pieces' way. (Keyed by the path up to a last
// identifier segment and compared as long as the path, the memo missed every route with an identifier
// further in, 12% of the gateway log's, and each miss built the key's pieces and looked them up in the
// cache.) RROUTE_SETS sets of 2 entries of 128 bytes: u32 tag (path length | kind << 16), i32 label, u32 the
// entry to replace next (in the set's first), pad, the key's 64 bytes.
const RROUTE_KEY: u32 = 64;
const RROUTE_SETS: u32 = 256;
const KEYBUF: u32 = 63232; //    the current route's memo key, 64 bytes

/** 16-byte masks of the bytes whose index (from `base`) is below `end` and outside [a, b). */
@inline function keptBytes(base: u32, end: u32, a: u32, b: u32): v128 {
  const idx = i8x16.add(i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), i8x16.splat(base as u8));
  const inId = v128.and(i8x16.ge_u(idx, i8x16.splat(a as u8)), i8x16.lt_u(idx, i8x16.splat(b as u8)));
  return v128.andnot(i8x16.lt_u(idx, i8x16.splat(end as u8)), inId);
}

/** The 64-bit mask of the bytes of four vectors equal to c. */
@inline function eqMask(v0: v128, v1: v128, v2: v128, v3: v128, c: u8): u64 {
  const w = i8x16.splat(c);
  return (
    (i8x16.bitmask(i8x16.eq(v0, w)) as u64) |
    ((i8x16.bitmask(i8x16.eq(v1, w)) as u64) << 16) |
    ((i8x16.bitmask(i8x16.eq(v2, w)) as u64) << 32) |
    ((i8x16.bitmask(i8x16.eq(v3, w)) as u64) << 48)
  );
}

/** The bits of `ends` (each a segment's end) whose segment, a run of `inside`, has no byte of `bad`. */
@inline function cleanEnds(inside: u64, ends: u64, bad: u64): u64 {
  // A bad byte's carry runs up its segment's bytes to the bit that ends it.
  return ends & ~(inside + (inside & bad));
}

/** Where the segment that ends at bit q starts: after the last slash before it (the path starts with one). */
@inline function segmentStart(slash: u64, q: u32): u32 {
  return 64 - (clz((slash & (((1 as u64) << (q as u64)) - 1)) | 1) as u32);
}

/**
 * The memo key of a route value [s, e) in KEYBUF and its tag in memoTag (see RROUTE_KEY); false when it has
 * none: 64 bytes or more, a scheme or host, or two identifiers.
 */
function routeKey(s: u32, e: u32, ids: bool): bool {
  const len = e - s;
  if (len >= RROUTE_KEY || load<u8>(s) != 0x2f || load<u8>(s + 1) == 0x2f) return false;
  const v0 = v128.load(s);
  const v1 = v128.load(s + 16);
  const v2 = v128.load(s + 32);
  const v3 = v128.load(s + 48);
  const one: u64 = 1;
  // The path ends at the first '?' or '#', or at the value's end.
  const end = ctz(eqMask(v0, v1, v2, v3, 0x3f) | eqMask(v0, v1, v2, v3, 0x23) | (one << (len as u64))) as u32;
  let a: u32 = 0;
  let b: u32 = 0;
  if (ids) {
    const path = (one << (end as u64)) - 1;
    const slash = eqMask(v0, v1, v2, v3, 0x2f) & path;
    const c0 = byteClasses(v0);
    const c1 = byteClasses(v1);
    const c2 = byteClasses(v2);
    const c3 = byteClasses(v3);
    const digit = (c0 & 0xffff) | ((c1 & 0xffff) << 16) | ((c2 & 0xffff) << 32) | ((c3 & 0xffff) << 48);
    const hex = digit | ((c0 >> 16) & 0xffff) | (((c1 >> 16) & 0xffff) << 16) | (((c2 >> 16) & 0xffff) << 32) | (((c3 >> 16) & 0xffff) << 48);
    const alnum = digit | (c0 >> 32) | ((c1 >> 32) << 16) | ((c2 >> 32) << 32) | ((c3 >> 32) << 48);
    // Segments are the runs of `inside`; each ends at a slash or at the path's end.
    const inside = path & ~slash;
    const ends = (slash | (one << (end as u64))) & (inside << 1);
    // Where runs of 8, 16 and 32 bytes start, and so the ends of segments at least that long.
    let run8 = inside & (inside >> 1);
    run8 &= run8 >> 2;
    run8 &= run8 >> 4;
    const run16 = run8 & (run8 >> 8);
    const long8 = (run8 << 8) & ends;
    const long16 = (run16 << 16) & ends;
    const long32 = ((run16 & (run16 >> 16)) << 32) & ends;
    // isIdentifier's rules, a bit a segment: all digits, hex of 8 or more, letters and digits of 16 or more
    // with a digit among them; a segment of 32 bytes or more that is none of those may be a UUID.
    let id = cleanEnds(inside, ends, ~digit) | (cleanEnds(inside, ends, ~hex) & long8);
    id |= cleanEnds(inside, ends, ~alnum) & long16 & ~cleanEnds(inside, ends, digit);
    const uuid = long32 & ~id;
    // Two identifiers, or two segments to judge: the pieces' way.
    if ((id & (id - 1)) != 0 || (uuid & (uuid - 1)) != 0) return false;
    if (uuid != 0) {
      const to = 63 - (clz(uuid) as u32);
      if (isIdentifier(s + segmentStart(slash, to), s + to)) {
        if (id != 0) return false;
        id = uuid;
      }
    }
    // The identifier, if there is one, up to its end (with none, b is 0 and [a, b) is empty).
    b = 63 - (clz(id | one) as u32);
    a = segmentStart(slash, b);
  }
  v128.store(KEYBUF, v128.and(v0, keptBytes(0, end, a, b)));
  v128.store(KEYBUF + 16, v128.and(v1, keptBytes(16, end, a, b)));
  v128.store(KEYBUF + 32, v128.and(v2, keptBytes(32, end, a, b)));
  v128.store(KEYBUF + 48, v128.and(v3, keptBytes(48, end, a, b)));
  memoTag = end | ((STRING as u32) << 16);
  return true;
}

/** The route memo's set for the key in KEYBUF. */
@inline function routeSet(d: u32): u32 {
  const x = v128.xor(v128.load(KEYBUF), v128.load(KEYBUF + 32));
  const y = v128.xor(v128.load(KEYBUF + 16), v128.load(KEYBUF + 48));
  let h =
    (i64x2.extract_lane(x, 0) * 0x9e3779b97f4a7c15) ^
    (i64x2.extract_lane(x, 1) * 0xff51afd7ed558ccd) ^
    ((i64x2.extract_lane(y, 0) ^ (memoTag as u64)) * 0xc4ceb9fe1a85ec53) ^
    (i64x2.extract_lane(y, 1) * 0x2545f4914f6cdd1d);
  h ^= h >> 32;
  return RMEMO + (d << 16) + (((h as u32) & (RROUTE_SETS - 1)) << 8);
}

/** Whether the route memo entry at `entry` holds the key in KEYBUF. */
@inline function routeHolds(entry: u32): bool {
  const diff = v128.or(
    v128.or(v128.xor(v128.load(KEYBUF), v128.load(entry + 16)), v128.xor(v128.load(KEYBUF + 16), v128.load(entry + 32))),
    v128.or(v128.xor(v128.load(KEYBUF + 32), v128.load(entry + 48)), v128.xor(v128.load(KEYBUF + 48), v128.load(entry + 64))),
  );
  return (load<u32>(entry) == memoTag) & !v128.any_true(diff);
}

/** The label that set `set` of the route memo holds for the key in KEYBUF, or -1. */
@inline function routeFind(set: u32): i32 {
  if (routeHolds(set)) return load<i32>(set + 4);
  if (routeHolds(set + 128)) return load<i32>(set + 132);
  return -1;
}

/** Memoises `label` for the key in KEYBUF in set `set` of the route memo. */
@inline function routeKeep(set: u32, label: i32): void {
  const entry = memoEntry(set, 7, label);
  for (let k: u32 = 0; k < RROUTE_KEY; k += 16) v128.store(entry + 16 + k, v128.load(KEYBUF + k));
}

/** The dimensions of the line just scanned, 16 bytes each at `out` (see DIM_OUT). */
function dims(out: u32): void {
  const n = load<u32>(CFG + 28);
  for (let d: u32 = 0; d < n; d++) {
    const last = LAST + d * 80;
    const o = out + (d << 4);
    const slot = firstFound(32 + (d << 4));
    if (slot < 0) {
      store<i32>(o, 0);
      continue;
    }
    const kind = load<u8>(OUT_KIND + slot) as u32;
    const s = load<u32>(OUT_START + (slot << 2));
    const e = load<u32>(OUT_END + (slot << 2));
    // none: not a string or a number, or an empty string
    if (kind == OTHER || (kind == STRING && s == e)) {
      store<i32>(o, 0);
      continue;
    }
    const flags = load<u32>(CFG + 40 + (d << 4));
    const remembers = (flags & DIM_LAST) != 0;
    const tag = (e - s) | (kind << 16);
    if (remembers && load<u32>(last) == tag && same(s, last + 16, e - s)) {
      store<i32>(o, load<i32>(last + 4));
      continue;
    }
    // A route's memo (a string's), or a plain value's; a route dimension's number has none.
    const route = (flags & DIM_ROUTE) != 0;
    const routeMemo = route && kind == STRING && routeKey(s, e, (flags & DIM_IDS) != 0);
    memoAt = s;
    memoLen = route || e - s > RMEMO_KEY ? 0 : e - s;
    if (!routeMemo) memoTag = tag;
    let set: u32 = 0;
    if (routeMemo || memoLen != 0) {
      set = routeMemo ? routeSet(d) : memoSet(d);
      const known = routeMemo ? routeFind(set) : memoFind(set);
      if (known >= 0) {
        store<i32>(o, known);
        continue;
      }
    }
    const label = keyOf(d, kind, s, e) ? cached(d, kind) : -1;
    if (label >= 0 && routeMemo) routeKeep(set, label);
    else if (label >= 0 && memoLen != 0 && piecesAreMemo()) memoKeep(set, label);
    store<i32>(o, label);
    // The value, for the JS side to resolve.
    if (label < 0) {
      store<u32>(o + 4, kind);
      store<u32>(o + 8, s);
      store<u32>(o + 12, e);
    }
    if (remembers && label >= 0 && e - s <= LAST_MAX) {
      store<u32>(last, tag);
      store<i32>(last + 4, label);
      for (let k: u32 = 0; k < e - s; k += 16) v128.store(last + 16 + k, v128.load(s + k));
    }
  }
}

/**
 * Remembers that dimension d's value of `kind` in VALBUF (`len` bytes, copied there by the JS side) has
 * `label` for good: lines with the same key get it here from now on.
 */
export function remember(d: u32, kind: u32, len: u32, label: i32): void {
  if (d >= DIMS_MAX || len > VALBUF_SIZE || !keyOf(d, kind, VALBUF, VALBUF + len)) return;
  keep(d, kind, label, hashKey(kind));
}

/** Stores `label` for the key of the pieces (hash h) in dimension d's cache: its entry, a free one of its set, or one its hash picks. */
function keep(d: u32, kind: u32, label: i32, h: u32): void {
  const base = DCACHE + d * DCACHE_DIM;
  let entry = lookup(d, kind, h);
  if (entry == 0) {
    const first = (h & (DCACHE_ENTRIES / DCACHE_WAYS - 1)) * DCACHE_WAYS;
    let k = first + ((h >>> 24) & (DCACHE_WAYS - 1));
    for (let j: u32 = first; j < first + DCACHE_WAYS; j++) {
      if (load<u32>(base + (j << 4) + 12) == 0) {
        k = j;
        break;
      }
    }
    entry = base + (k << 4);
    // The key's bytes, piece by piece.
    let at = base + (DCACHE_ENTRIES << 4) + k * KEY_MAX;
    for (let p: u32 = 0; p < pieces; p++) {
      const len = load<u32>(PIECES + (p << 3) + 4);
      if (len == 0) {
        store<u8>(at, 0x3a);
        store<u8>(at + 1, 0x69);
        store<u8>(at + 2, 0x64);
        at += 3;
      } else {
        memory.copy(at, load<u32>(PIECES + (p << 3)), len);
        at += len;
      }
    }
  }
  store<u32>(entry, h);
  store<u32>(entry + 4, keyLen | (kind << 16));
  store<i32>(entry + 8, label);
  store<u32>(entry + 12, 1);
}
