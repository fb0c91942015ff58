// --follow: reads files as they grow and across rotation, like `tail -F`, on the reader thread with
// synchronous reads and a poll. Each followed path is checked by identity (device + inode of what the
// path names now, through symlinks) and each open file by size and a fingerprint of its first bytes:
//
//   rename + create   the old file is read to its end first, and kept open while it still grows (a writer
//                     that has not reopened yet) until it has been quiet for ROTATED_QUIET_MS
//   copytruncate      the size drops below our offset, or the first bytes change: read again from 0
//   deletion          the file is read to its end and its descriptor closed at once
//   late creation     a path that does not exist is polled until it does, then read from its start
//   symlink swap      a new identity behind the same path: a rotation
//   missed rotations  generations created and rotated away between two polls (or while we were down) are
//                     found by name (the path's name plus a suffix) and birth time (after the last file we
//                     had, before the one at the path now), and read whole, oldest first
//
// Every file has its own LineFramer, so the unfinished last line of a rotated file is never glued to the
// first line of the next one; a line is counted when its newline arrives, or when its file is left for
// good (rotated and quiet, deleted, truncated), since nothing can complete it then.
//
// Why not a tail library: @logdna/tail-file 4.0.2 (the best kept of them) and `tail` 2.2.6 were run on the
// scenarios of test/e2e/follow.test.ts, polling every 100 ms, counting distinct lines received. tail-file
// lost 100 of 100 lines of a file created after the start (start() rejects with ENOENT), 199 of 500 on a
// copytruncate refilled past the old size within a poll, 100 of 200 when a deleted file came back after 3 s
// (it gives up after 10 retries), 1 of 151 when the writer appended to the renamed file after the poll saw
// the rename, and 72,000 of 100,000 with a rename every 256 KB (it reads the file it opened first and the
// newest, skipping the ones rotated in between); `tail` lost more in every case. tail-file also reads by
// name after its rename check, which races with the next rotation, and both run on the event loop, which
// this thread leaves blocked while a stalled stdout holds it. Here a poll every 100 ms at most costs a
// stat, an fstat and two small reads per file.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { LineFramer } from './framing.js';
import { FollowError, loadState, serializeState, writeState, type FileState } from './state.js';

export interface FollowOptions {
  readonly paths: readonly string[];
  /** Read files that exist at start from their beginning instead of their end (no saved state for them). */
  readonly fromStart: boolean;
  readonly stateFile: string | undefined;
}

/** What the reader thread does with the bytes, and how it waits. */
export interface FollowHooks {
  /** A framer for a newly opened file. */
  framer(): LineFramer;
  /** Counts and frames one chunk read from a file. */
  chunk(framer: LineFramer, buf: Buffer): void;
  /** Writes buffered outputs out: before sleeping, and before the state file claims the lines done. */
  flush(): void;
  /** Makes the counts visible before a wait; true when asked to stop. */
  beforeWait(): boolean;
  /** True when reading must end now (a stop request, a closed stdout). */
  stopped(): boolean;
}

const READ_SIZE = 1 << 20;
/** A busy file yields to the others after this many reads, so one fast writer cannot starve the rest. */
const READS_PER_TURN = 4;
/** The longest sleep between polls when nothing changes; lines show in /metrics well within a second. */
const IDLE_MAX_MS = 100;
/** A rotated file still growing is a writer that has not reopened yet; quiet this long, it is done. */
const ROTATED_QUIET_MS = 5000;
/** Rotated files kept open per path at most; beyond that the oldest is read to its end and closed. */
const MAX_ROTATED = 32;
const STATE_EVERY_MS = 1000;
export const FINGERPRINT_BYTES = 64;
/** How far back from the end of an existing file to look for the end of its last complete line. */
const LAST_LINE_SEARCH = 1 << 16;
/** How often the directory of a path with no file is searched for generations that came and went. */
const MISSING_SCAN_MS = 1000;
/** File times are kernel ticks that may lag the wall clock by a few ms. */
const CLOCK_SLACK_NS = 20_000_000n;
/** Names of compressed generations: their bytes are not lines. */
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|z|zip)$/i;
/** Identities and first bytes of files already read, remembered so a missed generation is never one of them. */
const REMEMBER = 1024;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepMs = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

class OpenFile {
  /** Next byte to read. */
  offset: number;
  /** End of the last complete line: where a restart resumes. */
  complete: number;
  /** The first bytes seen so far (grows up to FINGERPRINT_BYTES while the file is young). */
  fingerprint: Buffer;
  lastGrowthMs: number;
  nlink = 1n;

  constructor(
    readonly fd: number,
    readonly dev: bigint,
    readonly ino: bigint,
    /** Birth time in ns; 0n where the filesystem keeps none. */
    readonly birth: bigint,
    readonly framer: LineFramer,
    offset: number,
    fingerprint: Buffer,
    now: number,
  ) {
    this.offset = offset;
    this.complete = offset;
    this.fingerprint = fingerprint;
    this.lastGrowthMs = now;
  }

  sameAs(st: { dev: bigint; ino: bigint }): boolean {
    return st.dev === this.dev && st.ino === this.ino;
  }
}

/** The first bytes of the file last looked at (readHead). */
const scratch = Buffer.allocUnsafe(FINGERPRINT_BYTES);

/** Reads the first bytes of `fd` into `scratch`; returns how many there are. */
function readHead(fd: number): number {
  return readSync(fd, scratch, 0, FINGERPRINT_BYTES, 0);
}

/**
 * A fingerprint kept from `scratch`: its own memory, made only when a fingerprint changes. A pooled copy
 * (Buffer.from) on every poll was a fifth of this thread's garbage, and the one a file kept pinned an 8 KiB
 * pool slab per rotation that outlived the file until a full GC.
 */
function keepHead(n: number): Buffer {
  const b = Buffer.allocUnsafeSlow(n);
  scratch.copy(b, 0, 0, n);
  return b;
}

/** Whether the first `n` bytes in `scratch` and `fingerprint` agree on the bytes both have. */
function headMatches(n: number, fingerprint: Buffer): boolean {
  const m = Math.min(n, fingerprint.length);
  return scratch.compare(fingerprint, 0, m, 0, m) === 0;
}

/** Whether two fingerprints agree on the bytes both have. */
function samePrefix(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  return a.subarray(0, n).equals(b.subarray(0, n));
}

/** Offset just past the last newline of an existing file (so an unfinished last line is read whole). */
function lastLineEnd(fd: number, size: number): number {
  const from = Math.max(0, size - LAST_LINE_SEARCH);
  const b = Buffer.allocUnsafe(size - from);
  let n = 0;
  while (n < b.length) {
    const r = readSync(fd, b, n, b.length - n, from + n);
    if (r === 0) break;
    n += r;
  }
  const lf = b.subarray(0, n).lastIndexOf(0x0a);
  return lf >= 0 ? from + lf + 1 : n === 0 ? from : size;
}

function statPath(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    // EACCES, ENOTDIR, ELOOP: not followable right now (logrotate may be halfway through); try again later.
    return undefined;
  }
}

/** Device, inode and birth: an inode number freed by a deletion comes back with another birth time. */
const identity = (st: { dev: bigint; ino: bigint; birth: bigint }): string => `${st.dev}:${st.ino}:${st.birth}`;

class FollowedPath {
  current: OpenFile | null = null;
  /** Rotated away but maybe still written to; read before `current`, oldest first. */
  readonly rotated: OpenFile[] = [];
  /** Birth time of the newest file taken from this path: later-born generations we never saw were missed. */
  lastBirth: bigint;
  private lastScanMs = 0;
  /** Names of other followed paths in this directory that start with this one's: their files, not ours. */
  others: string[] = [];

  constructor(
    readonly path: string,
    private readonly reader: FileReader,
    startedNs: bigint,
  ) {
    this.lastBirth = startedNs;
  }

  /** One turn: check what the path names now, then read what is new. Returns the bytes read. */
  poll(now: number): number {
    this.checkIdentity(now);
    let read = 0;
    for (let i = 0; i < this.rotated.length; i++) {
      const f = this.rotated[i]!;
      const n = this.reader.read(f, now);
      read += n;
      if (n > 0) f.lastGrowthMs = now;
      else if (f.nlink === 0n || now - f.lastGrowthMs >= ROTATED_QUIET_MS) {
        this.reader.release(f);
        this.rotated.splice(i--, 1);
      }
      if (this.reader.hooks.stopped()) return read;
    }
    if (this.current) read += this.reader.read(this.current, now);
    return read;
  }

  private checkIdentity(now: number): void {
    const st = statPath(this.path);
    const cur = this.current;
    if (st && cur?.sameAs(st)) return;
    const next = st?.isFile() ? st : undefined;
    if (!cur && !next) {
      // Still nothing at the path; a file may have come and been rotated away since we last looked.
      if (now - this.lastScanMs >= MISSING_SCAN_MS) {
        this.lastScanMs = now;
        this.adoptMissed(undefined, now);
      }
      return;
    }
    if (cur) {
      this.current = null;
      this.retire(cur, now);
    }
    // A symlink swapped back to a file we still read: carry on with it rather than read it twice.
    const back = next ? this.rotated.findIndex((f) => f.sameAs(next)) : -1;
    if (back >= 0) {
      this.current = this.rotated.splice(back, 1)[0]!;
      return;
    }
    // Created after we started (or after the last rotation): everything in it is new. Opened before the
    // search for missed generations, since it may already be newer than what stat just saw.
    const opened = next ? this.reader.open(this.path, 0, now) : null;
    this.adoptMissed(opened ?? undefined, now);
    this.current = opened;
    if (opened && opened.birth > this.lastBirth) this.lastBirth = opened.birth;
  }

  /** The path names another file now, or nothing: finish this one first. */
  private retire(f: OpenFile, now: number): void {
    this.reader.read(f, now);
    if (f.nlink === 0n) {
      // Deleted: nobody can reach it any more, so its descriptor must not pin its blocks.
      this.reader.drain(f, now);
      this.reader.release(f);
      return;
    }
    this.keepRotated(f, now);
  }

  private keepRotated(f: OpenFile, now: number): void {
    f.lastGrowthMs = now;
    this.rotated.push(f);
    if (this.rotated.length > MAX_ROTATED) {
      const oldest = this.rotated.shift()!;
      this.reader.drain(oldest, now);
      this.reader.release(oldest);
    }
  }

  /**
   * Generations that were at the path only between two polls: same directory, named after the path,
   * born after the last file we took from it and before `next`, not one we have read. Read whole.
   */
  adoptMissed(next: OpenFile | undefined, now: number): void {
    if (this.lastBirth === 0n) return;
    const dir = dirname(this.path);
    const base = basename(this.path);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const found: { name: string; birth: bigint; ino: bigint }[] = [];
    for (const name of names) {
      if (name === base || !name.startsWith(base) || COMPRESSED.test(name)) continue;
      const st = statPath(join(dir, name));
      // Inclusive bounds: file times are kernel ticks (ms apart), so a burst of rotations shares one birth
      // time; what we have read is excluded by identity instead.
      if (!st?.isFile() || st.birthtimeNs < this.lastBirth || (next && st.birthtimeNs > next.birth)) continue;
      if (next?.sameAs(st) || this.holds(st) || this.reader.wasRead({ dev: st.dev, ino: st.ino, birth: st.birthtimeNs })) continue;
      if (this.others.some((o) => name.startsWith(o))) continue;
      found.push({ name, birth: st.birthtimeNs, ino: st.ino });
    }
    found.sort((a, b) => (a.birth !== b.birth ? (a.birth < b.birth ? -1 : 1) : a.ino < b.ino ? -1 : a.ino > b.ino ? 1 : 0));
    for (const { name, birth } of found) {
      const f = this.reader.open(join(dir, name), 0, now);
      if (!f) continue;
      // Renamed since the stat, a name may now stand for a file we have. A copy made by copytruncate starts
      // with bytes we have already read from the original.
      if (next?.sameAs(f) || this.holds(f) || this.reader.wasRead(f) || this.reader.readBefore(f.fingerprint)) closeSync(f.fd);
      else this.keepRotated(f, now);
      this.lastBirth = birth;
    }
  }

  private holds(st: { dev: bigint; ino: bigint }): boolean {
    return this.current?.sameAs(st) === true || this.rotated.some((f) => f.sameAs(st));
  }

  state(): FileState[] {
    const out: FileState[] = [];
    const add = (f: OpenFile, rotated: boolean): void => {
      out.push({
        path: this.path,
        dev: String(f.dev),
        ino: String(f.ino),
        fingerprint: f.fingerprint.toString('base64'),
        offset: f.complete,
        rotated,
        birth: String(f.birth),
      });
    };
    for (const f of this.rotated) add(f, true);
    if (this.current) add(this.current, false);
    return out;
  }

  close(): void {
    for (const f of this.rotated) closeSync(f.fd);
    if (this.current) closeSync(this.current.fd);
    this.rotated.length = 0;
    this.current = null;
  }
}

/** Reads open files into their framers; one read buffer for all of them. */
class FileReader {
  private readonly buf = Buffer.allocUnsafe(READ_SIZE);
  /** Identities of files read and let go, and first bytes of contents truncated away (most recent last). */
  private readonly released = new Set<string>();
  private readonly truncatedHeads: Buffer[] = [];

  constructor(readonly hooks: FollowHooks) {}

  /** Opens `path` (null when it is not there or not a regular file) and positions it at `offset`. */
  open(path: string, offset: number | 'end', now: number, strict = false): OpenFile | null {
    // Never open what is not a regular file: opening a FIFO would block until a writer comes.
    const kind = statPath(path);
    if (kind && !kind.isFile()) {
      if (strict) throw new FollowError(`${path}: not a regular file`);
      return null;
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (strict && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return null;
    }
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) {
      closeSync(fd);
      return null;
    }
    const size = Number(st.size);
    const at = offset === 'end' ? lastLineEnd(fd, size) : offset;
    return new OpenFile(fd, st.dev, st.ino, st.birthtimeNs, this.hooks.framer(), at, keepHead(readHead(fd)), now);
  }

  /**
   * Reads what is new in `f`, a few reads at most. A size below our offset or changed first bytes mean
   * the file was truncated (copytruncate), maybe refilled since: it is read again from its start.
   */
  read(f: OpenFile, now: number): number {
    const st = fstatSync(f.fd, { bigint: true });
    f.nlink = st.nlink;
    const headLen = readHead(f.fd);
    if (Number(st.size) < f.offset || !headMatches(headLen, f.fingerprint)) {
      f.framer.end();
      if (f.fingerprint.length > 0) remember(this.truncatedHeads, f.fingerprint);
      f.offset = 0;
      f.complete = 0;
      f.fingerprint = keepHead(headLen);
      f.lastGrowthMs = now;
    } else if (headLen > f.fingerprint.length) f.fingerprint = keepHead(headLen);
    let total = 0;
    for (let i = 0; i < READS_PER_TURN; i++) {
      const n = readSync(f.fd, this.buf, 0, READ_SIZE, f.offset);
      if (n === 0) break;
      const lf = this.buf.lastIndexOf(0x0a, n - 1);
      if (lf >= 0) f.complete = f.offset + lf + 1;
      f.offset += n;
      total += n;
      this.hooks.chunk(f.framer, this.buf.subarray(0, n));
      if (n < READ_SIZE || this.hooks.stopped()) break;
    }
    return total;
  }

  /** Reads `f` to its current end. */
  drain(f: OpenFile, now: number): void {
    while (this.read(f, now) > 0 && !this.hooks.stopped());
  }

  /** Leaves `f` for good: its unfinished last line can no longer be completed, so it counts as it is. */
  release(f: OpenFile): void {
    f.framer.end();
    closeSync(f.fd);
    this.released.add(identity(f));
    if (this.released.size > REMEMBER) this.released.delete(this.released.values().next().value!);
  }

  wasRead(st: { dev: bigint; ino: bigint; birth: bigint }): boolean {
    return this.released.has(identity(st));
  }

  /** Whether a file starting with `head` holds what we read before a truncation. */
  readBefore(head: Buffer): boolean {
    return head.length > 0 && this.truncatedHeads.some((h) => samePrefix(h, head));
  }
}

function remember(list: Buffer[], b: Buffer): void {
  list.push(b);
  if (list.length > REMEMBER) list.shift();
}

/** Finds a file in `dir` with the identity of a saved one (rotated while we were down). */
function findRotated(dir: string, saved: FileState): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const st = statPath(join(dir, name));
    if (st?.isFile() && String(st.dev) === saved.dev && String(st.ino) === saved.ino) return join(dir, name);
  }
  return undefined;
}

/**
 * Opens the paths where the saved state says (or at their end, or start with fromStart), including files
 * rotated while we were down that still hold unread lines.
 */
function openAll(opts: FollowOptions, reader: FileReader, saved: readonly FileState[], now: number): FollowedPath[] {
  const startedNs = BigInt(now) * 1_000_000n - CLOCK_SLACK_NS;
  return opts.paths.map((given) => {
    const path = resolve(given);
    const mine = saved.filter((s) => s.path === path);
    const newestSaved = mine.reduce((b, s) => (BigInt(s.birth) > b ? BigInt(s.birth) : b), 0n);
    const fp = new FollowedPath(path, reader, mine.length > 0 ? newestSaved : startedNs);
    fp.others = opts.paths
      .map((p) => resolve(p))
      .filter((p) => p !== path && dirname(p) === dirname(path) && basename(p).startsWith(basename(path)))
      .map((p) => basename(p));
    const resumable = (f: OpenFile, s: FileState): boolean =>
      f.sameAs({ dev: BigInt(s.dev), ino: BigInt(s.ino) }) && samePrefix(f.fingerprint, Buffer.from(s.fingerprint, 'base64')) && Number(fstatSync(f.fd).size) >= s.offset;
    const st = statPath(path);
    for (const s of mine) {
      if (st && String(st.dev) === s.dev && String(st.ino) === s.ino) continue;
      const where = findRotated(dirname(path), s);
      const f = where ? reader.open(where, s.offset, now) : null;
      if (f && resumable(f, s)) fp.rotated.push(f);
      else if (f) closeSync(f.fd);
    }
    const cur = reader.open(path, mine.length > 0 || opts.fromStart ? 0 : 'end', now, true);
    // A saved file we cannot match is gone or was truncated: the one at the path now is new, read it whole.
    const s = cur && mine.find((m) => resumable(cur, m));
    if (cur && s) {
      cur.offset = s.offset;
      cur.complete = s.offset;
    }
    // Generations that came and went while we were down (state) or before the start: between the saved
    // files and the one at the path now.
    if (mine.length > 0 && (!cur || !s)) fp.adoptMissed(cur ?? undefined, now);
    if (cur && cur.birth > fp.lastBirth) fp.lastBirth = cur.birth;
    fp.current = cur;
    return fp;
  });
}

/** Follows the paths until the hooks say stop. Throws on a state file it cannot read or write. */
export function follow(opts: FollowOptions, hooks: FollowHooks): void {
  const reader = new FileReader(hooks);
  const saved = opts.stateFile ? loadState(opts.stateFile) : [];
  let now = Date.now();
  const followed = openAll(opts, reader, saved, now);
  let written = '';
  const save = (): void => {
    if (!opts.stateFile) return;
    const text = serializeState(followed.flatMap((p) => p.state()));
    if (text === written) return;
    // Outputs first: the state must never claim a line whose enriched copy is still in a buffer.
    hooks.flush();
    writeState(opts.stateFile, text);
    written = text;
  };
  try {
    // At once, so a restart soon after this start resumes from here rather than at the then end.
    save();
    let lastSave = now;
    let idle = 1;
    for (;;) {
      now = Date.now();
      let read = 0;
      for (const p of followed) {
        read += p.poll(now);
        if (hooks.stopped()) return;
      }
      if (now - lastSave >= STATE_EVERY_MS) {
        save();
        lastSave = now;
      }
      if (read > 0) {
        idle = 1;
        continue;
      }
      hooks.flush();
      if (hooks.beforeWait()) return;
      sleepMs(idle);
      idle = Math.min(idle * 2, IDLE_MAX_MS);
    }
  } finally {
    save();
    for (const p of followed) p.close();
  }
}
