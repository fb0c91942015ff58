// The fast extractor: one validating pass over a line's bytes that records the values at the looked-up
// paths, without decoding the line to a string or building objects. It must agree with extractReference
// on every line (test/unit/scan-property.test.ts checks that with fast-check).
import type { FieldPaths } from './paths.js';
import { INVALID_CODE, MALFORMED, MISSING_CODE, OK, type LineResult } from './result.js';
import { codeFromNumber, codeFromString, statusFromNumber, timeFromNumber, timeFromString } from './values.js';

// Kinds of a recorded value.
const ABSENT = 0;
const NUMBER = 1;
const STRING = 2; // no escapes: the bytes are the value
const STRING_ESCAPED = 3;
const OTHER = 4; // object, array, true, false, null

const OBJ = 1;
const ARR = 2;

interface PathNode {
  readonly key: string;
  readonly keyBytes: Buffer;
  /** Index of the value recorded for the path ending here, or -1. */
  slot: number;
  readonly children: PathNode[];
  /** Slots of the paths below this node: a repeated key replaces the whole subtree (JSON.parse keeps the last). */
  readonly below: number[];
}

function node(key: string): PathNode {
  return { key, keyBytes: Buffer.from(key, 'utf8'), slot: -1, children: [], below: [] };
}

export class FastExtractor {
  private readonly root = node('');
  private readonly codeSlots: number[] = [];
  private readonly statusSlots: number[] = [];
  private readonly timeSlots: number[] = [];
  private readonly kind: Uint8Array;
  private readonly vStart: Int32Array;
  private readonly vEnd: Int32Array;
  /** Container type per nesting depth; a line of n bytes nests at most n deep. */
  private types: Uint8Array;
  /** Path nodes of the open objects along a looked-up path (depth 0..nodeDepth). */
  private readonly nodes: PathNode[] = [];
  private escaped = false;

  constructor(paths: FieldPaths, maxLineBytes: number) {
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
          if (!child) at.children.push((child = node(key)));
          at = child;
        }
        at.slot = slot;
      }
      list.push(slot);
    };
    for (const p of paths.code) add(p, this.codeSlots);
    for (const p of paths.status) add(p, this.statusSlots);
    for (const p of paths.time) add(p, this.timeSlots);
    const collect = (n: PathNode): number[] => {
      for (const c of n.children) {
        if (c.slot >= 0) n.below.push(c.slot);
        n.below.push(...collect(c));
      }
      return n.below;
    };
    collect(this.root);
    this.kind = new Uint8Array(slotOf.size);
    this.vStart = new Int32Array(slotOf.size);
    this.vEnd = new Int32Array(slotOf.size);
    this.types = new Uint8Array(Math.min(maxLineBytes + 2, 1 << 16));
  }

  /** Extracts from b[start, end) (no line terminator, BOM already skipped). `close` is a byte offset. */
  extract(b: Buffer, start: number, end: number, out: LineResult): void {
    out.code = -1;
    out.status = 0;
    out.timeMs = NaN;
    this.kind.fill(ABSENT);
    if (!this.scan(b, start, end, out)) {
      out.outcome = MALFORMED;
      out.close = -1;
      return;
    }
    const status = this.first(this.statusSlots);
    if (status >= 0 && this.kind[status] === NUMBER) {
      out.status = statusFromNumber(this.number(b, status));
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
      const k = this.kind[t];
      if (k === NUMBER) out.timeMs = timeFromNumber(this.number(b, t));
      else if (k === STRING || k === STRING_ESCAPED) out.timeMs = timeFromString(this.string(b, t));
    }
  }

  private first(slots: number[]): number {
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

  private code(b: Buffer, slot: number): number {
    const k = this.kind[slot];
    const s = this.vStart[slot]!;
    const e = this.vEnd[slot]!;
    if (k === NUMBER || k === STRING) {
      // Plain digits (the usual case): the value without a string or a Number() call.
      if (e > s && e - s <= 12) {
        let v = 0;
        let i = s;
        for (; i < e; i++) {
          const c = b[i]!;
          if (c < 0x30 || c > 0x39) break;
          v = v * 10 + (c - 0x30);
        }
        if (i === e) return v;
      }
      return k === NUMBER ? codeFromNumber(this.number(b, slot)) : -1;
    }
    if (k === STRING_ESCAPED) return codeFromString(this.string(b, slot));
    return -1;
  }

  private record(slot: number, kind: number, start: number, end: number): void {
    this.kind[slot] = kind;
    this.vStart[slot] = start;
    this.vEnd[slot] = end;
  }

  private match(parent: PathNode, b: Buffer, s: number, e: number): PathNode | null {
    const kids = parent.children;
    if (this.escaped) {
      const key = JSON.parse(b.toString('utf8', s - 1, e + 1)) as string;
      for (let k = 0; k < kids.length; k++) if (kids[k]!.key === key) return kids[k]!;
      return null;
    }
    const len = e - s;
    outer: for (let k = 0; k < kids.length; k++) {
      const kb = kids[k]!.keyBytes;
      if (kb.length !== len) continue;
      for (let j = 0; j < len; j++) if (kb[j] !== b[s + j]) continue outer;
      return kids[k]!;
    }
    return null;
  }

  /** Index after the closing quote of the string whose body starts at i, or -1. Sets `escaped`. */
  private str(b: Buffer, i: number, end: number): number {
    this.escaped = false;
    while (i < end) {
      const c = b[i]!;
      if (c === 0x22) return i + 1;
      if (c === 0x5c) {
        this.escaped = true;
        if (++i >= end) return -1;
        const d = b[i]!;
        if (d === 0x75) {
          if (i + 4 >= end) return -1;
          for (let h = 1; h <= 4; h++) {
            const x = b[i + h]!;
            if (!((x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x46) || (x >= 0x61 && x <= 0x66))) return -1;
          }
          i += 5;
        } else if (d === 0x22 || d === 0x5c || d === 0x2f || d === 0x62 || d === 0x66 || d === 0x6e || d === 0x72 || d === 0x74) {
          i++;
        } else return -1;
      } else if (c < 0x20) return -1;
      else i++;
    }
    return -1;
  }

  /** Index after the JSON number starting at i, or -1. */
  private num(b: Buffer, i: number, end: number): number {
    if (b[i] === 0x2d) i++;
    if (i >= end) return -1;
    let c = b[i]!;
    if (c === 0x30) i++;
    else if (c >= 0x31 && c <= 0x39) {
      i++;
      while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) i++;
    } else return -1;
    if (i < end && b[i] === 0x2e) {
      i++;
      const d = i;
      while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) i++;
      if (i === d) return -1;
    }
    if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
      const d = i;
      while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) i++;
      if (i === d) return -1;
    }
    return i;
  }

  private literal(b: Buffer, i: number, end: number, word: string): number {
    if (i + word.length > end) return -1;
    for (let j = 0; j < word.length; j++) if (b[i + j] !== word.charCodeAt(j)) return -1;
    return i + word.length;
  }

  /** Validates b[start, end) as one JSON object, recording looked-up values; sets out.close and out.empty. */
  private scan(b: Buffer, start: number, end: number, out: LineResult): boolean {
    let i = start;
    let c = 0;
    while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
    if (i >= end || b[i] !== 0x7b) return false;
    if (this.types.length < end - start + 2) this.types = new Uint8Array(end - start + 2);
    const types = this.types;
    const nodes = this.nodes;
    let depth = 0;
    let nodeDepth = 0;
    nodes[0] = this.root;
    types[0] = OBJ;
    let first = true;
    i++;
    for (;;) {
      // A member (object) or an element (array) of the container at `depth`, or its end if `first`.
      while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
      if (i >= end) return false;
      let closing = false;
      let matched: PathNode | null = null;
      if (first && c === (types[depth] === OBJ ? 0x7d : 0x5d)) {
        closing = true;
      } else {
        if (types[depth] === OBJ) {
          if (c !== 0x22) return false;
          const ks = i + 1;
          i = this.str(b, ks, end);
          if (i < 0) return false;
          if (depth <= nodeDepth) matched = this.match(nodes[depth]!, b, ks, i - 1);
          while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
          if (i >= end || c !== 0x3a) return false;
          i++;
          while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
          if (i >= end) return false;
          if (matched !== null) {
            const below = matched.below;
            for (let k = 0; k < below.length; k++) this.kind[below[k]!] = ABSENT;
          }
        }
        const vs = i;
        if (c === 0x7b || c === 0x5b) {
          if (matched !== null && matched.slot >= 0) this.record(matched.slot, OTHER, vs, vs);
          depth++;
          types[depth] = c === 0x7b ? OBJ : ARR;
          if (matched !== null && c === 0x7b && matched.children.length > 0) {
            nodes[depth] = matched;
            nodeDepth = depth;
          }
          i++;
          first = true;
          continue;
        }
        let kind: number;
        if (c === 0x22) {
          i = this.str(b, i + 1, end);
          if (i < 0) return false;
          kind = this.escaped ? STRING_ESCAPED : STRING;
          if (matched !== null && matched.slot >= 0) this.record(matched.slot, kind, vs + 1, i - 1);
        } else {
          if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            i = this.num(b, i, end);
            kind = NUMBER;
          } else {
            i = this.literal(b, i, end, c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null');
            kind = OTHER;
          }
          if (i < 0) return false;
          if (matched !== null && matched.slot >= 0) this.record(matched.slot, kind, vs, i);
        }
      }
      // After a value: a comma, or the end of one or more containers.
      for (;;) {
        if (!closing) {
          while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
          if (i >= end) return false;
          if (c === 0x2c) {
            i++;
            first = false;
            break;
          }
          if (c !== (types[depth] === OBJ ? 0x7d : 0x5d)) return false;
        }
        if (depth === 0) {
          out.close = i;
          out.empty = closing;
          i++;
          while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
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
