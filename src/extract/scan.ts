// The fast extractor: one validating pass over a line's bytes that records the values at the looked-up
// paths, without decoding the line to a string or building objects. It must agree with extractReference
// on every line (test/unit/scan-property.test.ts checks that with fast-check).
//
// Where the time goes (test/bench/RESULTS.md has the numbers): the pass is one function with local
// variables, so each token costs a few compares and no call; string bodies, most of a gateway line's
// bytes, are skipped 4 bytes a step up to the first '"', '\' or control character; a key is first
// compared with the key at the same place of the previous line (gateways write one shape), and only
// keys at the depths of the looked-up paths are looked up, by a hash of their first word.
//
// Where the WebAssembly module loads (Node 20 has v128 SIMD), lines go to it first (src/wasm/scan.ts, the
// same pass with the same results, 16 bytes a step): it checks a line against a template of the line before
// (same bytes between the leaf values, each leaf scanned by its type), scans anything else in full, and
// decodes code, status and event time in their usual forms. The reader reads into the module's memory
// (scanReadBuffer) and hands it whole reads of lines (scanLines: one call for up to 1024 lines); lines from
// elsewhere are copied in one at a time (extract). The JS pass below stays for the lines the module leaves
// to it and for where WebAssembly is not available; test/unit/scan-property.test.ts runs on both.
import type { FieldPaths } from './paths.js';
import { ABSENT, INVALID_CODE, MALFORMED, MISSING_CODE, NUMBER, OK, OTHER, STRING, STRING_ESCAPED, type LineResult } from './result.js';
import { SCAN_WASM_BASE64, SCAN_WASM_PAGES } from './scan-wasm.js';
import { codeFromNumber, codeFromString, statusFromNumber, timeFromBytes, timeFromNumber, timeFromString } from './values.js';

const OBJ = 1;
const ARR = 2;

/** 1 for the bytes that end a run of plain string bytes: '"', '\' and the control characters JSON forbids. */
const STRING_STOP = new Uint8Array(256);
/** 1 for JSON whitespace. */
const WS = new Uint8Array(256);
/** 1 for the characters that may follow a backslash (besides 'u'). */
const SIMPLE_ESCAPE = new Uint8Array(256);
/** 1 for hex digits. */
const HEX = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[0x22] = STRING_STOP[0x5c] = 1;
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

interface PathNode {
  readonly key: string;
  readonly keyBytes: Buffer;
  /** Index of the value recorded for the path ending here, or -1. */
  slot: number;
  readonly children: PathNode[];
  /** Byte length of the key and its first word (see firstWord). */
  readonly length: number;
  readonly first: number;
  /** Children by keyHash (index + 1, 0 for none), chained through nextInBucket: most keys of a line miss. */
  readonly buckets: Int8Array;
  nextInBucket: number;
  /** Slots of the paths below this node: a repeated key replaces the whole subtree (JSON.parse keeps the last). */
  readonly below: number[];
}

/** The first 4 bytes of a key (fewer for a shorter key, the rest zero) as a little-endian word. */
function firstWord(word: number, length: number): number {
  return length >= 4 ? word : word & ((1 << (length << 3)) - 1);
}

function keyHash(first: number, length: number): number {
  return Math.imul(first ^ length, 0x9e3779b1) >>> 26;
}

function node(key: string): PathNode {
  const keyBytes = Buffer.from(key, 'utf8');
  const padded = Buffer.alloc(4);
  keyBytes.copy(padded, 0, 0, 4);
  const first = firstWord(padded.readInt32LE(0), keyBytes.length);
  return { key, keyBytes, slot: -1, children: [], below: [], length: keyBytes.length, first, buckets: new Int8Array(64), nextInBucket: 0 };
}

/**
 * The child of `parent` named by the plain key b[s, e) (no escapes), or null. One hash of the key's first
 * word and length instead of byte compares per candidate: 11 keys a gateway line are looked up, and this
 * took the lookups from 25% to 7% of the scan (--cpu-prof).
 */
function match(parent: PathNode, b: Buffer, view: DataView<ArrayBufferLike>, base: number, s: number, e: number): PathNode | null {
  const length = e - s;
  let word: number;
  if (base + s + 4 <= view.byteLength) word = firstWord(view.getInt32(base + s, true), length);
  else {
    word = 0;
    for (let j = Math.min(length, 4) - 1; j >= 0; j--) word = (word << 8) | b[s + j]!;
  }
  const kids = parent.children;
  for (let k = parent.buckets[keyHash(word, length)]! - 1; k >= 0; k = kids[k]!.nextInBucket - 1) {
    const kid = kids[k]!;
    if (kid.first !== word || kid.length !== length) continue;
    const kb = kid.keyBytes;
    let j = 4;
    while (j < length && kb[j] === b[s + j]) j++;
    if (j >= length) return kid;
  }
  return null;
}

/** The child of `parent` named by the key b[s, e) that has escapes, decoded the slow way. */
function matchEscaped(parent: PathNode, b: Buffer, s: number, e: number): PathNode | null {
  const key = JSON.parse(b.toString('utf8', s - 1, e + 1)) as string;
  for (const child of parent.children) if (child.key === key) return child;
  return null;
}

/**
 * Index of the closing quote of a string whose body has an escape or a control character at i, or -1 when
 * the string is invalid or does not end before `end`. The slow path: few lines have escapes.
 */
function escapedStringEnd(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c === 0x22) return i;
    if (c === 0x5c) {
      if (i + 1 >= end) return -1;
      const d = b[i + 1]!;
      if (d === 0x75) {
        if (i + 5 >= end) return -1;
        if (HEX[b[i + 2]!]! + HEX[b[i + 3]!]! + HEX[b[i + 4]!]! + HEX[b[i + 5]!]! !== 4) return -1;
        i += 6;
      } else if (SIMPLE_ESCAPE[d] === 1) i += 2;
      else return -1;
    } else if (c < 0x20) return -1;
    else i++;
  }
  return -1;
}

/** 0x80 in each byte of a 4-byte word whose byte is '"', '\' or below 0x20 (the lowest flag is exact). */
function stopBytes(x: number): number {
  const q = x ^ 0x22222222;
  const s = x ^ 0x5c5c5c5c;
  return (((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s) | ((x - 0x20202020) & ~x)) & 0x80808080;
}

/**
 * Index of the first '"', '\' or control character at or after i in a string body (b's bytes start at
 * `base` in `view`): 4 bytes a step through a DataView (an unaligned little-endian read that V8 inlines),
 * then the tail byte by byte. 314 instead of 530 ms for the string bodies of 1M gateway lines.
 */
function stringStop(b: Buffer, view: DataView<ArrayBufferLike>, base: number, i: number, end: number): number {
  while (i + 4 <= end) {
    const m = stopBytes(view.getInt32(base + i, true));
    if (m !== 0) return i + ((31 - Math.clz32(m & -m)) >> 3);
    i += 4;
  }
  while (STRING_STOP[b[i]!] === 0) i++;
  return i;
}

// The keys of the previous line, by depth and place: a gateway writes every line with the same keys in the
// same order, so `"key":` is first compared, 4 bytes a step, with the key found at the same place last time.
const MEMO_DEPTH = 4;
const MEMO_MEMBERS = 32;
const MEMO_WORDS = 16;

/** Whether b[i, i + len) (within the line) holds the `len` bytes packed little-endian in words[w...]. */
function sameBytes(view: DataView<ArrayBufferLike>, base: number, i: number, end: number, words: Int32Array, w: number, len: number): boolean {
  if (i + len > end) return false;
  let k = 0;
  for (; k + 4 <= len; k += 4) if (view.getInt32(base + i + k, true) !== words[w++]) return false;
  for (; k < len; k++) if (view.getUint8(base + i + k) !== ((words[w]! >>> ((k & 3) << 3)) & 0xff)) return false;
  return true;
}

/** Packs b[s, s + len) little-endian into words[w...]. */
function pack(b: Buffer, s: number, len: number, words: Int32Array, w: number): void {
  for (let k = 0; k < len; k += 4) {
    let x = 0;
    for (let j = Math.min(4, len - k) - 1; j >= 0; j--) x = (x << 8) | b[s + k + j]!;
    words[w++] = x;
  }
}

// The WebAssembly scanner (src/wasm/scan.ts): the same pass on bytes in its memory, 16 bytes a step through
// string bodies. Its memory layout (the addresses are src/wasm/scan.ts's):
const W_CFG = 1024; // i32 number of slots, then the path nodes and their key bytes (the config image)
const W_NODES = 2048;
const W_NODES_MAX = 256;
const W_DATA = 10240; // key bytes and `below` lists, up to W_OUT_KIND
const W_OUT_KIND = 26624;
const W_OUT_START = 27136;
const W_OUT_END = 28160;
const W_OUT_CLOSE = 29184;
/** The decoded result (see src/wasm/scan.ts decode): i32 decided, outcome, status, pad; f64 code, time. */
const W_RES = 29696;
const W_SLOTS_MAX = 256;
/** Lines that are not in the module's memory are copied here (up to 1 MiB; longer ones take the JS scan). */
const W_SCRATCH = 65536;
const W_SCRATCH_SIZE = 1 << 20;
/** The read buffer handed out by scanReadBuffer: lines read into it are scanned where they are. */
const W_INPUT = W_SCRATCH + W_SCRATCH_SIZE + 65536;
const W_INPUT_SIZE = 1 << 20;
/** The records of scanLines (see src/wasm/scan.ts): 48 bytes a line, at most W_REC_MAX a call. */
const W_REC = 35 << 16;
const W_REC_MAX = 1024;
const FIRST_BATCH = 16;
const W_LINES = 29792;
/** The write buffer of wasmSplicer, and the fragments it splices in. */
const W_WRITE = 36 << 16;
const W_WRITE_SIZE = 1 << 20;
const W_FRAGS = 52 << 16;
const W_FRAGS_SIZE = 1 << 16;
/** Record types. */
export const LINE_DECIDED = 0;
export const LINE_BLANK = 2;
export const LINE_OTHER = 3;
/** Readable bytes the module needs after a line's end (its 16-byte loads). */
const W_PAD = 16;
/** Dimensions: 16 bytes each (label or -1, kind, start, end) for the line scanned, and per record of scanLines. */
const W_DIM_OUT = 57344;
const W_DREC = 53 << 16;
const W_DREC_STRIDE = 32; // i32s a record
/** A value copied in for remember(). */
const W_VALBUF = 57856;
const W_VALBUF_SIZE = 4096;
const W_DIMS_MAX = 8;

/** Key flags of a dimension for the module's cache (ExtractorOptions.dimensionKeys). */
export const DIM_KEY_RAW = 0;
/** The key is the route's shape (scheme, host, query, fragment dropped: src/labels/route.ts routePath). */
export const DIM_KEY_ROUTE = 1;
/** With DIM_KEY_ROUTE: identifier segments as `:id` in the key (no --route-pattern has a literal that looks like one). */
export const DIM_KEY_IDS = 2;
/** The value is first compared with the last line's (a method: most lines repeat it; for others it costs more than it saves). */
export const DIM_KEY_LAST = 4;

interface WasmExports {
  scan(start: number, end: number): number;
  scanLines(from: number, to: number, maxLine: number, most: number): number;
  enrich(dst: number, start: number, close: number, end: number, frag: number, fragLen: number, newline: number): number;
  init(): void;
  reset(): void;
  remember(dim: number, kind: number, len: number, label: number): void;
  memory: { buffer: ArrayBuffer };
}

interface WasmScanner {
  readonly scan: (start: number, end: number) => number;
  readonly scanLines: (from: number, to: number, maxLine: number, most: number) => number;
  readonly enrich: WasmExports['enrich'];
  readonly recI: Int32Array;
  readonly recF: Float64Array;
  readonly lines: Int32Array;
  readonly reset: () => void;
  readonly remember: WasmExports['remember'];
  readonly dimOut: Int32Array;
  readonly drec: Int32Array;
  readonly memory: ArrayBuffer;
  /** All of the memory (it never grows, so views stay valid). */
  readonly mem: Buffer;
  readonly close: Int32Array;
  readonly res: Int32Array;
  readonly resF: Float64Array;
  /** The extractor whose paths are in the memory now. */
  owner: FastExtractor | null;
}

/** WebAssembly as Node has it (the project's lib settings declare no WebAssembly types). */
const WASM = (globalThis as unknown as { WebAssembly?: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } } }).WebAssembly;

let shared: WasmScanner | null | undefined;

/** The module instance of this thread, made on first use; null where WebAssembly SIMD is not available. */
function wasmScanner(): WasmScanner | null {
  if (shared !== undefined) return shared;
  shared = null;
  try {
    if (WASM === undefined) return null;
    const module = new WASM.Module(Buffer.from(SCAN_WASM_BASE64, 'base64'));
    const exports = new WASM.Instance(module, {}).exports as WasmExports;
    exports.init();
    const memory = exports.memory.buffer;
    if (memory.byteLength !== SCAN_WASM_PAGES * 65536 || W_INPUT + W_INPUT_SIZE + W_PAD > W_REC || W_FRAGS + W_FRAGS_SIZE > memory.byteLength) return null;
    shared = {
      scan: exports.scan,
      scanLines: exports.scanLines,
      enrich: exports.enrich,
      recI: new Int32Array(memory, W_REC, W_REC_MAX * 12),
      recF: new Float64Array(memory, W_REC, W_REC_MAX * 6),
      lines: new Int32Array(memory, W_LINES, 2),
      reset: exports.reset,
      remember: exports.remember,
      dimOut: new Int32Array(memory, W_DIM_OUT, 4 * W_DIMS_MAX),
      drec: new Int32Array(memory, W_DREC, W_REC_MAX * W_DREC_STRIDE),
      memory,
      mem: Buffer.from(memory),
      close: new Int32Array(memory, W_OUT_CLOSE, 2),
      res: new Int32Array(memory, W_RES, 4),
      resF: new Float64Array(memory, W_RES, 4),
      owner: null,
    };
  } catch {
    shared = null;
  }
  return shared;
}

/**
 * A buffer for the reader's reads of up to `size` bytes: in the scanner's memory when it fits, so that the
 * lines read into it are scanned without a copy. One per thread: a second call returns the same memory.
 */
export function scanReadBuffer(size: number): Buffer {
  const w = wasmScanner();
  return w !== null && size <= W_INPUT_SIZE ? w.mem.subarray(W_INPUT, W_INPUT + size) : Buffer.allocUnsafe(size);
}

/**
 * Splices for --output enriched in the module's memory: the writer's buffer (`out`) and the fragments are
 * there, so a line read into scanReadBuffer goes out with one call (three memory.copy) instead of two
 * Buffer.copy calls (each makes a Uint8Array view: about 100 ns). One per thread; null without the module.
 */
export class Splicer {
  readonly out: Buffer;
  private fragEnd = W_FRAGS;
  private mark = W_FRAGS;
  private lastB: Buffer | null = null;
  private lastBase = -1;

  constructor(private readonly w: WasmScanner) {
    this.out = w.mem.subarray(W_WRITE, W_WRITE + W_WRITE_SIZE);
  }

  /** The address of a copy of `bytes` in the module's memory, or -1 when the room for fragments is used up. */
  fragment(bytes: Buffer): number {
    if (this.fragEnd + bytes.length > W_FRAGS + W_FRAGS_SIZE) return -1;
    const at = this.fragEnd;
    bytes.copy(this.w.mem, at);
    this.fragEnd += bytes.length;
    return at;
  }

  /** Fragments made from now on can be dropped by release() (a reloaded table makes new ones). */
  keep(): void {
    this.mark = this.fragEnd;
  }

  release(): void {
    this.fragEnd = this.mark;
  }

  /**
   * Writes b[start, close), the fragment bytes [frag, frag + fragLen), b[close, end) and a newline if
   * asked at out[at...]; returns the bytes written, or -1 when b is not in the module's memory.
   */
  splice(at: number, b: Buffer, start: number, close: number, end: number, frag: number, fragLen: number, newline: boolean): number {
    if (b !== this.lastB) {
      this.lastB = b;
      this.lastBase = b.buffer === this.w.memory ? b.byteOffset : -1;
    }
    const base = this.lastBase;
    if (base < 0) return -1;
    return this.w.enrich(W_WRITE + at, base + start, base + close, base + end, frag, fragLen, newline ? 1 : 0);
  }
}

let splicer: Splicer | null | undefined;

export function wasmSplicer(): Splicer | null {
  if (splicer === undefined) {
    const w = wasmScanner();
    splicer = w === null ? null : new Splicer(w);
  }
  return splicer;
}

export interface ExtractorOptions {
  /** Use the WebAssembly scanner where it can (default true); false runs the JS scan only. */
  readonly wasm?: boolean;
  /** Per dimension of FieldPaths.dims, how the module's cache keys its values (DIM_KEY_*); default raw. */
  readonly dimensionKeys?: readonly number[];
}

export class FastExtractor {
  private readonly root = node('');
  /** A DataView over the ArrayBuffer of the last line's Buffer, for the 4-bytes-at-a-time string scan. */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /** The Buffer `view` and `base` were taken for: lines of one read share it (getters are not free). */
  private viewOf: Buffer | null = null;
  private base = 0;
  private readonly codeSlots: Int32Array;
  private readonly statusSlots: Int32Array;
  private readonly timeSlots: Int32Array;
  private readonly dimSlots: Int32Array[];
  /** The read buffer's offset in the module's memory as of the last scanLines (its records hold addresses). */
  private linesBase = 0;
  /**
   * Records of the next scanLines: a few at first, doubling to W_REC_MAX. The module knows a dimension's value
   * once the JS side has resolved it, and it looks up the values of a whole call's lines before the JS side
   * sees the first: with W_REC_MAX records from the start, every route and app of the first 1024 lines of a
   * gateway log was resolved here (2,800 values in the first 10,000 lines, 1,250 now), most of them after the
   * module could have known them.
   */
  private batch = FIRST_BATCH;
  /** Per slot, the kind and byte range of the value found: views of the module's output when it is used. */
  private readonly kind: Uint8Array;
  private readonly vStart: Int32Array;
  private readonly vEnd: Int32Array;
  private readonly wasm: WasmScanner | null = null;
  /** The paths as the module reads them, copied to W_CFG when another extractor used the module last. */
  private readonly image: Uint8Array | null = null;
  /** Container type per nesting depth; a line of n bytes nests at most n deep. */
  private types: Uint8Array;
  /** Path nodes of the open objects along a looked-up path (depth 0..nodeDepth). */
  private readonly nodes: PathNode[] = [];
  /** Members seen so far in the open object at each depth below MEMO_DEPTH. */
  private readonly members = new Int32Array(MEMO_DEPTH);
  /** Per depth and place: the length of `"key":`, its bytes, and the key's node under memoParent. */
  private readonly memoLen = new Int32Array(MEMO_DEPTH * MEMO_MEMBERS);
  private readonly memoWords = new Int32Array(MEMO_DEPTH * MEMO_MEMBERS * MEMO_WORDS);
  private readonly memoParent: (PathNode | null)[] = new Array<PathNode | null>(MEMO_DEPTH * MEMO_MEMBERS).fill(null);
  private readonly memoNode: (PathNode | null)[] = new Array<PathNode | null>(MEMO_DEPTH * MEMO_MEMBERS).fill(null);

  constructor(paths: FieldPaths, maxLineBytes: number, options: ExtractorOptions = {}) {
    const slotOf = new Map<string, number>();
    const add = (path: readonly string[], list: number[]): void => {
      const id = path.join('\u0000');
      let slot = slotOf.get(id);
      if (slot === undefined) {
        slot = slotOf.size;
        slotOf.set(id, slot);
        let at = this.root;
        for (const key of path) {
          let child = at.children.find((c) => c.key === key);
          if (!child) {
            at.children.push((child = node(key)));
            const bucket = keyHash(child.first, child.length);
            child.nextInBucket = at.buckets[bucket]!;
            at.buckets[bucket] = at.children.length;
          }
          at = child;
        }
        at.slot = slot;
      }
      list.push(slot);
    };
    const code: number[] = [];
    const status: number[] = [];
    const time: number[] = [];
    for (const p of paths.code) add(p, code);
    for (const p of paths.status) add(p, status);
    for (const p of paths.time) add(p, time);
    this.dimSlots = paths.dims.map((list) => {
      const slots: number[] = [];
      for (const p of list) add(p, slots);
      return Int32Array.from(slots);
    });
    this.codeSlots = Int32Array.from(code);
    this.statusSlots = Int32Array.from(status);
    this.timeSlots = Int32Array.from(time);
    const collect = (n: PathNode): number[] => {
      for (const c of n.children) {
        if (c.slot >= 0) n.below.push(c.slot);
        n.below.push(...collect(c));
      }
      return n.below;
    };
    collect(this.root);
    const slots = slotOf.size;
    this.types = new Uint8Array(Math.min(maxLineBytes + 2, 1 << 16));
    const w = options.wasm === false ? null : wasmScanner();
    const keys = paths.dims.map((_, d) => options.dimensionKeys?.[d] ?? DIM_KEY_RAW);
    this.image = w === null || this.dimSlots.length > W_DIMS_MAX ? null : wasmImage(this.root, slots, [this.statusSlots, this.codeSlots, this.timeSlots], this.dimSlots, keys);
    if (w !== null && this.image !== null) {
      this.wasm = w;
      this.kind = new Uint8Array(w.memory, W_OUT_KIND, slots);
      this.vStart = new Int32Array(w.memory, W_OUT_START, slots);
      this.vEnd = new Int32Array(w.memory, W_OUT_END, slots);
    } else {
      this.kind = new Uint8Array(slots);
      this.vStart = new Int32Array(slots);
      this.vEnd = new Int32Array(slots);
    }
  }

  /**
   * The lines of b[from, to) that end in a newline, up to `batch` of them (see there) and none longer than
   * maxLineBytes, when b is the read buffer (scanReadBuffer): one call into the module for all of them.
   * Returns the number of records (-1 when b is not the read buffer), read with lineStart, lineEnd,
   * lineType and decided; positions are offsets in b. `linesNext` is where the lines not recorded start;
   * `linesFull` says whether the call stopped only for lack of records.
   */
  scanLines(b: Buffer, from: number, to: number, maxLineBytes: number): number {
    const w = this.wasm;
    if (w === null || b.buffer !== w.memory || b.byteOffset < W_INPUT || b.byteOffset + to + W_PAD > w.mem.length) return -1;
    if (w.owner !== this) {
      w.mem.set(this.image!, W_CFG);
      w.reset();
      w.owner = this;
    }
    const base = b.byteOffset;
    this.linesBase = base;
    const n = w.scanLines(base + from, base + to, maxLineBytes, this.batch);
    this.batch = Math.min(this.batch * 2, W_REC_MAX);
    const recI = w.recI;
    for (let k = 0; k < n; k++) {
      const o = 12 * k;
      recI[o] -= base;
      recI[o + 1] -= base;
      recI[o + 5] -= base;
    }
    this.linesNext = w.lines[0]! - base;
    this.linesFull = w.lines[1] === 1;
    return n;
  }

  linesNext = 0;
  linesFull = false;

  // Record k of the last scanLines is recI[12k .. 12k + 8): start, end, type, outcome, status, close, empty;
  // and recF[6k + 4], recF[6k + 5]: code and time.

  /** Where the line of record k starts. */
  lineStart(k: number): number {
    return this.wasm!.recI[12 * k]!;
  }

  /** Where the line of record k ends (its newline). */
  lineEnd(k: number): number {
    return this.wasm!.recI[12 * k + 1]!;
  }

  /** LINE_DECIDED, LINE_BLANK, or LINE_OTHER for a line to extract one at a time. */
  lineType(k: number): number {
    return this.wasm!.recI[12 * k + 2]!;
  }

  /** The result of record k, a LINE_DECIDED one; false when a dimension's value is left to the caller (labels -1). */
  decided(k: number, out: LineResult): boolean {
    const { recI, recF } = this.wasm!;
    const o = 12 * k;
    out.outcome = recI[o + 3]!;
    out.status = recI[o + 4]!;
    out.close = recI[o + 5]!;
    out.empty = recI[o + 6] === 1;
    out.code = recF[6 * k + 4]!;
    out.timeMs = recF[6 * k + 5]!;
    return this.dimSlots.length === 0 || this.dimsFrom(this.wasm!.drec, k * W_DREC_STRIDE, -this.linesBase, out);
  }

  /**
   * The dimensions the module found, from its 16-byte entries at dims[at...]; `shift` turns its addresses into
   * offsets. False when one is left to the caller.
   */
  private dimsFrom(dims: Int32Array, at: number, shift: number, out: LineResult): boolean {
    const labels = out.labels;
    let known = true;
    for (let d = 0; d < labels.length; d++) {
      const o = at + 4 * d;
      const label = dims[o]!;
      labels[d] = label;
      if (label < 0) {
        known = false;
        out.dimKind[d] = dims[o + 1]!;
        out.dimStart[d] = dims[o + 2]! + shift;
        out.dimEnd[d] = dims[o + 3]! + shift;
      }
    }
    return known;
  }

  /** The dimensions from the JS scan's values: none, or the value for the caller to resolve. */
  private dimsFromValues(out: LineResult): void {
    const kind = this.kind;
    for (let d = 0; d < this.dimSlots.length; d++) {
      const slot = this.first(this.dimSlots[d]!);
      const k = slot < 0 ? ABSENT : kind[slot]!;
      if (k === ABSENT || k === OTHER || (k === STRING && this.vStart[slot]! === this.vEnd[slot]!)) out.labels[d] = 0;
      else {
        out.labels[d] = -1;
        out.dimKind[d] = k;
        out.dimStart[d] = this.vStart[slot]!;
        out.dimEnd[d] = this.vEnd[slot]!;
      }
    }
  }

  /**
   * Tells the module that dimension `dim`'s value of `kind` at b[s, e) resolves to `label` for good, so it
   * answers the lines with the same value itself. A no-op without the module.
   */
  remember(dim: number, kind: number, b: Buffer, s: number, e: number, label: number): void {
    const w = this.wasm;
    if (w === null || e - s > W_VALBUF_SIZE || dim >= this.dimSlots.length) return;
    if (w.owner !== this) {
      w.mem.set(this.image!, W_CFG);
      w.reset();
      w.owner = this;
    }
    b.copy(w.mem, W_VALBUF, s, e);
    w.remember(dim, kind, e - s, label);
  }

  /** Extracts from b[start, end) (no line terminator, BOM already skipped). `close` is a byte offset. */
  extract(b: Buffer, start: number, end: number, out: LineResult): void {
    out.code = -1;
    out.status = 0;
    out.timeMs = NaN;
    const w = this.wasm;
    if (w !== null) {
      // In the module's read buffer the line is scanned where it is; elsewhere it is copied in first.
      let s = -1;
      if (b.buffer === w.memory && b.byteOffset + start >= W_INPUT && b.byteOffset + end + W_PAD <= w.mem.length) s = b.byteOffset + start;
      else if (end - start <= W_SCRATCH_SIZE) {
        b.copy(w.mem, W_SCRATCH, start, end);
        s = W_SCRATCH;
      }
      if (s >= 0) {
        if (w.owner !== this) {
          w.mem.set(this.image!, W_CFG);
          w.reset();
          w.owner = this;
        }
        const r = w.scan(s, s + end - start);
        if (r === 0) {
          out.outcome = MALFORMED;
          out.close = -1;
          return;
        }
        if (r > 0) {
          out.close = w.close[0]! - s + start;
          out.empty = w.close[1] === 1;
          const res = w.res;
          if (res[0] === 1) {
            out.outcome = res[1]!;
            out.status = res[2]!;
            out.code = w.resF[2]!;
            out.timeMs = w.resF[3]!;
          } else this.values(w.mem, out);
          if (this.dimSlots.length > 0) this.dimsFrom(w.dimOut, 0, start - s, out);
          return;
        }
        // r < 0: a line the module leaves to the JS scan
      }
    }
    const kind = this.kind;
    for (let k = 0; k < kind.length; k++) kind[k] = ABSENT;
    if (!this.scan(b, start, end, out)) {
      out.outcome = MALFORMED;
      out.close = -1;
      return;
    }
    this.values(b, out);
    if (this.dimSlots.length > 0) this.dimsFromValues(out);
  }

  /** The outcome, code, status and time from the values found (their byte ranges are in `b`). */
  private values(b: Buffer, out: LineResult): void {
    const kind = this.kind;
    const status = this.first(this.statusSlots);
    if (status >= 0 && kind[status] === NUMBER) {
      out.status = this.status(b, status);
      if (out.status === 200) out.status = 0;
    }
    if (out.status === 0) {
      const slot = this.first(this.codeSlots);
      if (slot < 0) {
        out.outcome = MISSING_CODE;
        return;
      }
      out.code = this.code(b, slot);
      if (out.code < 0) {
        out.outcome = INVALID_CODE;
        return;
      }
    }
    out.outcome = OK;
    const t = this.first(this.timeSlots);
    if (t >= 0) {
      const k = kind[t];
      if (k === NUMBER) out.timeMs = timeFromNumber(this.number(b, t));
      else if (k === STRING) out.timeMs = timeFromBytes(b, this.vStart[t]!, this.vEnd[t]!);
      else if (k === STRING_ESCAPED) out.timeMs = timeFromString(this.string(b, t));
    }
  }

  private first(slots: Int32Array): number {
    for (let i = 0; i < slots.length; i++) if (this.kind[slots[i]!] !== ABSENT) return slots[i]!;
    return -1;
  }

  private number(b: Buffer, slot: number): number {
    return Number(b.toString('latin1', this.vStart[slot]!, this.vEnd[slot]!));
  }

  private string(b: Buffer, slot: number): string {
    const s = this.vStart[slot]!;
    const e = this.vEnd[slot]!;
    return this.kind[slot] === STRING ? b.toString('utf8', s, e) : (JSON.parse(b.toString('utf8', s - 1, e + 1)) as string);
  }

  /** Plain digits (the usual case) without a string or a Number() call; anything else the slow way. */
  private digits(b: Buffer, slot: number, max: number): number {
    const s = this.vStart[slot]!;
    const e = this.vEnd[slot]!;
    if (e <= s || e - s > max) return -1;
    let v = 0;
    for (let i = s; i < e; i++) {
      const c = b[i]! - 0x30;
      if (c < 0 || c > 9) return -1;
      v = v * 10 + c;
    }
    return v;
  }

  private status(b: Buffer, slot: number): number {
    const v = this.digits(b, slot, 3);
    return v >= 100 && v <= 599 ? v : statusFromNumber(this.number(b, slot));
  }

  private code(b: Buffer, slot: number): number {
    const k = this.kind[slot];
    if (k === NUMBER || k === STRING) {
      const v = this.digits(b, slot, 12);
      if (v >= 0) return v;
      return k === NUMBER ? codeFromNumber(this.number(b, slot)) : -1;
    }
    if (k === STRING_ESCAPED) return codeFromString(this.string(b, slot));
    return -1;
  }

  /**
   * Validates b[start, end) as one JSON object, recording looked-up values; sets out.close and out.empty.
   * Reads may run past `end` only into bytes that make the line fail (framed lines are followed by their
   * '\n', which stops every inner loop), so a result never depends on bytes after the line.
   */
  private scan(b: Buffer, start: number, end: number, out: LineResult): boolean {
    let i = start;
    let c = b[i]!;
    while (WS[c] === 1 && i < end) c = b[++i]!;
    if (c !== 0x7b || i >= end) return false;
    if (this.types.length < end - start + 2) this.types = new Uint8Array(end - start + 2);
    if (b !== this.viewOf) {
      this.viewOf = b;
      this.base = b.byteOffset;
      if (this.view.buffer !== b.buffer) this.view = new DataView(b.buffer);
    }
    const view = this.view;
    const base = this.base;
    const types = this.types;
    const nodes = this.nodes;
    const kind = this.kind;
    const vStart = this.vStart;
    const vEnd = this.vEnd;
    const members = this.members;
    const memoLen = this.memoLen;
    const memoWords = this.memoWords;
    const memoParent = this.memoParent;
    const memoNode = this.memoNode;
    members[0] = 0;
    let depth = 0;
    let nodeDepth = 0;
    nodes[0] = this.root;
    types[0] = OBJ;
    let first = true;
    i++;
    for (;;) {
      // A member (object) or an element (array) of the container at `depth`, or its end if `first`.
      c = b[i]!;
      if (WS[c] === 1) {
        do c = b[++i]!;
        while (WS[c] === 1 && i < end);
      }
      let closing = false;
      let matched: PathNode | null = null;
      const obj = types[depth] === OBJ;
      if (first && c === (obj ? 0x7d : 0x5d)) {
        closing = true;
      } else {
        if (obj) {
          if (c !== 0x22) return false;
          const m = depth < MEMO_DEPTH ? depth * MEMO_MEMBERS + (members[depth]++ & (MEMO_MEMBERS - 1)) : -1;
          const len = m >= 0 ? memoLen[m]! : 0;
          if (len > 0 && sameBytes(view, base, i, end, memoWords, m * MEMO_WORDS, len)) {
            // The same `"key":` as at this place last time: a key without escapes, so the same key.
            if (depth === nodeDepth) {
              const parent = nodes[depth]!;
              if (memoParent[m] !== parent) {
                memoParent[m] = parent;
                memoNode[m] = match(parent, b, view, base, i + 1, i + len - 2);
              }
              matched = memoNode[m] as PathNode | null;
            }
            i += len;
          } else {
            const qs = i;
            const ks = ++i;
            i = stringStop(b, view, base, i, end);
            let escaped = false;
            if (b[i] !== 0x22) {
              i = escapedStringEnd(b, i, end);
              if (i < 0) return false;
              escaped = true;
            }
            if (i >= end) return false;
            if (depth === nodeDepth) matched = escaped ? matchEscaped(nodes[depth]!, b, ks, i) : match(nodes[depth]!, b, view, base, ks, i);
            c = b[++i]!;
            if (c !== 0x3a) {
              while (WS[c] === 1 && i < end) c = b[++i]!;
              if (c !== 0x3a) return false;
            } else if (m >= 0 && !escaped && i + 1 - qs <= MEMO_WORDS * 4) {
              memoLen[m] = i + 1 - qs;
              pack(b, qs, i + 1 - qs, memoWords, m * MEMO_WORDS);
              memoParent[m] = depth === nodeDepth ? nodes[depth]! : null;
              memoNode[m] = matched;
            }
            i++;
          }
          c = b[i]!;
          if (WS[c] === 1) {
            do c = b[++i]!;
            while (WS[c] === 1 && i < end);
          }
          if (matched !== null) {
            const below = matched.below;
            for (let k = 0; k < below.length; k++) kind[below[k]!] = ABSENT;
          }
        }
        const slot = matched === null ? -1 : matched.slot;
        const vs = i;
        if (c === 0x22) {
          // A string: plain bytes up to the closing quote; escapes and control characters the slow way.
          i = stringStop(b, view, base, i + 1, end);
          let k = STRING;
          if (b[i] !== 0x22) {
            i = escapedStringEnd(b, i, end);
            if (i < 0) return false;
            k = STRING_ESCAPED;
          }
          if (slot >= 0) {
            kind[slot] = k;
            vStart[slot] = vs + 1;
            vEnd[slot] = i;
          }
          i++;
        } else if (c === 0x7b || c === 0x5b) {
          if (slot >= 0) {
            kind[slot] = OTHER;
            vStart[slot] = vEnd[slot] = vs;
          }
          if (i >= end) return false;
          depth++;
          types[depth] = c === 0x7b ? OBJ : ARR;
          if (depth < MEMO_DEPTH) members[depth] = 0;
          if (matched !== null && c === 0x7b && matched.children.length > 0) {
            nodes[depth] = matched;
            nodeDepth = depth;
          }
          i++;
          first = true;
          continue;
        } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          // A number, by the JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
          if (c === 0x2d) c = b[++i]!;
          if (c === 0x30) c = b[++i]!;
          else if (c >= 0x31 && c <= 0x39) {
            do c = b[++i]!;
            while (c >= 0x30 && c <= 0x39);
          } else return false;
          if (c === 0x2e) {
            c = b[++i]!;
            if (!(c >= 0x30 && c <= 0x39)) return false;
            do c = b[++i]!;
            while (c >= 0x30 && c <= 0x39);
          }
          if (c === 0x65 || c === 0x45) {
            c = b[++i]!;
            if (c === 0x2b || c === 0x2d) c = b[++i]!;
            if (!(c >= 0x30 && c <= 0x39)) return false;
            do c = b[++i]!;
            while (c >= 0x30 && c <= 0x39);
          }
          if (slot >= 0) {
            kind[slot] = NUMBER;
            vStart[slot] = vs;
            vEnd[slot] = i;
          }
        } else {
          // true (74 72 75 65), false (66 61 6c 73 65), null (6e 75 6c 6c)
          if (c === 0x74) {
            if (b[i + 1] !== 0x72 || b[i + 2] !== 0x75 || b[i + 3] !== 0x65) return false;
            i += 4;
          } else if (c === 0x66) {
            if (b[i + 1] !== 0x61 || b[i + 2] !== 0x6c || b[i + 3] !== 0x73 || b[i + 4] !== 0x65) return false;
            i += 5;
          } else if (c === 0x6e) {
            if (b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return false;
            i += 4;
          } else return false;
          if (slot >= 0) {
            kind[slot] = OTHER;
            vStart[slot] = vEnd[slot] = vs;
          }
        }
      }
      // After a value: a comma, or the end of one or more containers.
      for (;;) {
        if (!closing) {
          c = b[i]!;
          if (WS[c] === 1) {
            do c = b[++i]!;
            while (WS[c] === 1 && i < end);
          }
          if (c === 0x2c) {
            i++;
            first = false;
            break;
          }
          if (c !== (types[depth] === OBJ ? 0x7d : 0x5d)) return false;
        }
        if (i >= end) return false;
        if (depth === 0) {
          out.close = i;
          out.empty = closing;
          i++;
          while (i < end && WS[b[i]!] === 1) i++;
          return i === end;
        }
        if (depth === nodeDepth) nodeDepth--;
        depth--;
        i++;
        closing = false;
      }
    }
  }
}

/**
 * The paths as the module reads them (src/wasm/scan.ts): at W_CFG the number of slots, then the address and
 * count of the status, code and time slot lists (in lookup order), the number of dimensions and 16 bytes for
 * each (its slot list, its key flags); at W_NODES 32 bytes a
 * node (key length, first word, key address, slot, first child, next sibling, address and count of the
 * `below` slots), the root first; key bytes and `below` lists from W_DATA. Null when they do not fit.
 */
function wasmImage(root: PathNode, slots: number, lists: Int32Array[], dims: Int32Array[], dimKeys: readonly number[]): Uint8Array | null {
  if (slots > W_SLOTS_MAX) return null;
  const order: PathNode[] = [root];
  for (let k = 0; k < order.length; k++) order.push(...order[k]!.children);
  if (order.length > W_NODES_MAX) return null;
  const index = new Map(order.map((n, k) => [n, k]));
  const image = Buffer.alloc(W_OUT_KIND - W_CFG);
  let data = W_DATA;
  image.writeInt32LE(slots, 0);
  const writeList = (list: Int32Array, at: number): void => {
    image.writeInt32LE(data, at);
    image.writeInt32LE(list.length, at + 4);
    for (const slot of list) {
      image.writeInt32LE(slot, data - W_CFG);
      data += 4;
    }
  };
  lists.forEach((list, k) => writeList(list, 4 + 8 * k));
  image.writeInt32LE(dims.length, 28);
  dims.forEach((list, d) => {
    writeList(list, 32 + 16 * d);
    image.writeInt32LE(dimKeys[d]!, 40 + 16 * d);
  });
  if (data > W_OUT_KIND) return null;
  for (let k = 0; k < order.length; k++) {
    const n = order[k]!;
    const at = W_NODES - W_CFG + k * 32;
    const keyAt = data;
    const belowAt = (keyAt + n.keyBytes.length + 3) & ~3;
    data = belowAt + 4 * n.below.length;
    if (data > W_OUT_KIND) return null;
    n.keyBytes.copy(image, keyAt - W_CFG);
    for (let j = 0; j < n.below.length; j++) image.writeInt32LE(n.below[j]!, belowAt - W_CFG + 4 * j);
    image.writeInt32LE(n.length, at);
    image.writeInt32LE(n.first, at + 4);
    image.writeInt32LE(keyAt, at + 8);
    image.writeInt32LE(n.slot, at + 12);
    image.writeInt32LE(n.children.length > 0 ? index.get(n.children[0]!)! : -1, at + 16);
    image.writeInt32LE(-1, at + 20);
    image.writeInt32LE(belowAt, at + 24);
    image.writeInt32LE(n.below.length, at + 28);
  }
  for (const n of order)
    for (let j = 0; j + 1 < n.children.length; j++) image.writeInt32LE(index.get(n.children[j + 1]!)!, W_NODES - W_CFG + index.get(n.children[j]!)! * 32 + 20);
  return image.subarray(0, data - W_CFG);
}
