// The reader thread: owns the input. Synchronous reads (fs.readSync) cost less than stream 'data' events on
// the same pipe (0.24-0.27 s vs 0.31-0.61 s to count a million piped lines, start-up included); doing them
// here keeps the main thread free for scrapes, alert timers and the live view. Counters live in this
// thread and reach the main thread as consistent snapshots (postMessage) at least every 100 ms, and
// always before this thread could wait on anything: pipes are switched to non-blocking mode, so the
// reader never sits in a read with counts the main thread has not seen.
import { closeSync, createReadStream, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { Socket } from 'node:net';
import { createGunzip } from 'node:zlib';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Tally } from '../aggregate/tally.js';
import { CodeTable } from '../codes/table.js';
import { extractReference } from '../extract/reference.js';
import { MALFORMED, OK, OVERSIZED, newLineResult, type LineResult } from '../extract/result.js';
import { DIM_KEY_IDS, DIM_KEY_LAST, DIM_KEY_RAW, DIM_KEY_ROUTE, FastExtractor, LINE_DECIDED, scanReadBuffer, wasmSplicer } from '../extract/scan.js';
import { hasIdentifierLiteral } from '../labels/route.js';
import { LabelResolver } from '../labels/resolver.js';
import { follow } from '../input/follow.js';
import { inflatePieces } from '../input/gunzip.js';
import { LineFramer, type LineSink } from '../input/framing.js';
import { EnrichedWriter } from '../output/enriched.js';
import { FdWriter, sleepMs } from '../output/fd-writer.js';
import { collectIfDue } from './collect.js';
import { CREDIT, GO, STOP, type ControlMessage, type EndReason, type ReaderData, type ReaderMessage, type ReaderSetup } from './protocol.js';

const READ_SIZE = 1 << 20;
const FLUSH_EVERY_MS = 100;
/** Waits for a drained pipe: from 1/32 ms, doubling, up to 50 ms. */
const MIN_IDLE_MS = 1 / 32;
const MAX_IDLE_MS = 50;

const { control } = workerData as ReaderData;
const port = parentPort!;
// This thread starts before the command line is parsed (see spawn.ts); the configuration comes first.
const { config, table: entries } = await new Promise<ReaderSetup>((resolve) => port.once('message', resolve));
const stopFlag = new Int32Array(control);
let table = new CodeTable(entries);
const dims = config.dimensions.length;
const resolver = new LabelResolver(config.dimensions, { maxValues: config.maxLabelValues, routePatterns: config.routePatterns });
const tally = new Tally(
  table,
  config.maxUnlisted,
  config.checkpointEveryMs > 0 ? { everyMs: config.checkpointEveryMs, hook: checkpoint } : undefined,
  { count: dims, labels: config.maxLabelValues + 2, maxSeries: config.maxLabelSeries, takeValues: () => resolver.takeAdded() },
);
let checkpointsPosted = 0;
const result = newLineResult(dims);
/** How the scanner's cache keys each dimension's values: a route by its shape, `:id` in it unless a pattern needs the identifiers. */
const dimensionKeys = config.dimensions.map((d) =>
  d.kind === 'route' ? DIM_KEY_ROUTE | (hasIdentifierLiteral(config.routePatterns) ? 0 : DIM_KEY_IDS) : d.kind === 'method' ? DIM_KEY_LAST : DIM_KEY_RAW,
);
let lastFlush = 0;
let now = Date.now();

function post(msg: ReaderMessage): void {
  if (msg.type === 'error' || msg.type === 'warning' || msg.type === 'table-applied') port.postMessage(msg);
  else {
    const s = msg.snapshot;
    port.postMessage(msg, [s.counts.buffer as ArrayBuffer, s.buckets.buffer as ArrayBuffer, ...s.labelCounts.map((c) => c.buffer as ArrayBuffer)]);
  }
}

function stopping(): boolean {
  return Atomics.load(stopFlag, STOP) !== 0;
}

/**
 * The log's clock reached a checkpoint: the counts so far go out stamped with it. Then, if the main thread has
 * not finished with enough of the earlier ones (a receiver that is slower than the replay), wait for it.
 */
function checkpoint(atMs: number): void {
  post({ type: 'flush', snapshot: tally.flush(atMs) });
  checkpointsPosted++;
  for (let credit = Atomics.load(stopFlag, CREDIT); checkpointsPosted > credit && !stopping(); credit = Atomics.load(stopFlag, CREDIT)) {
    Atomics.wait(stopFlag, CREDIT, credit, 100);
  }
}

/** Sends the counters if anything changed, and applies a reloaded table if one arrived. */
function publish(): void {
  lastFlush = now;
  applyControl();
  if (tally.dirty) post({ type: 'flush', snapshot: tally.flush() });
}

/** A table reloaded by the main thread applies from the next chunk on (one native call per chunk). */
function applyControl(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message as ControlMessage;
    if (msg.type === 'table') {
      table = new CodeTable(msg.entries);
      tally.setTable(table);
      enriched?.setTable(table);
      // The new codes' series go out now, and the main thread learns that they have.
      post({ type: 'flush', snapshot: tally.flush() });
      post({ type: 'table-applied' });
    }
  }
}

/** Before anything that may wait: make the counts visible; true when the main thread asked us to stop. */
function beforeWait(): boolean {
  now = Date.now();
  publish();
  collectIfDue(now);
  return stopping();
}

// With the fast engine, enriched lines are spliced together in the scanner's memory (wasmSplicer).
const splicer = config.enriched && config.engine === 'fast' ? wasmSplicer() : null;
const stdout = config.enriched ? new FdWriter(1, 1 << 20, beforeWait, splicer?.out) : null;
const enriched = stdout ? new EnrichedWriter(stdout, table, (slot) => tally.seriesInfo(slot), splicer) : null;
const dead = config.deadLetter ? new FdWriter(openSync(config.deadLetter, 'a'), 1 << 16, beforeWait) : null;

function isBlank(b: Buffer, i: number, end: number): boolean {
  for (; i < end; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** The fast engine's per-line work: extract, count, and write what the outputs need. */
class FastLines implements LineSink {
  private readonly extractor = new FastExtractor(config.paths, config.maxLineBytes, { dimensionKeys });
  private deadLeft = 0;

  line(b: Buffer, start: number, end: number, newline: boolean, skip: number): void {
    if (isBlank(b, start + skip, end)) {
      tally.blank++;
      tally.dirty = true;
      enriched?.raw(b, start, end, newline);
      return;
    }
    this.extractor.extract(b, start + skip, end, result);
    if (dims > 0 && result.outcome === OK) this.resolve(b);
    this.count(b, start, end, newline);
  }

  /**
   * The lines of the read buffer in bulk: the module scans up to 1024 at a call and decides the usual ones
   * (no framing or extraction call per line); blank lines and the rest go the per-line way.
   */
  lines(b: Buffer, from: number, to: number, maxLineBytes: number): number {
    const ex = this.extractor;
    let pos = from;
    for (;;) {
      const n = ex.scanLines(b, pos, to, maxLineBytes);
      if (n < 0) return pos;
      for (let k = 0; k < n; k++) {
        if (ex.lineType(k) === LINE_DECIDED) {
          // Most lines' dimension values are known to the scanner: nothing to resolve.
          if (!ex.decided(k, result) && result.outcome === OK) this.resolve(b);
          this.count(b, ex.lineStart(k), ex.lineEnd(k), true);
        } else this.line(b, ex.lineStart(k), ex.lineEnd(k), true, 0); // blank, or one to extract here
      }
      pos = ex.linesNext;
      if (!ex.linesFull) return pos;
    }
  }

  /** Counts the line just extracted into `result` (its labels resolved), and writes what the outputs need. */
  private count(b: Buffer, start: number, end: number, newline: boolean): void {
    const slot = tally.count(result, now);
    if (enriched) {
      if (result.outcome === MALFORMED) enriched.raw(b, start, end, newline);
      else enriched.object(b, start, end, newline, result.close, result.empty, slot, result.outcome);
    }
    if (dead && result.outcome !== OK) {
      dead.write(b, start, end);
      dead.byte(0x0a);
    }
  }

  /** Labels of the dimension values the scanner's cache did not know; final ones it remembers. */
  private resolve(b: Buffer): void {
    const r = result;
    for (let d = 0; d < dims; d++) {
      if (r.labels[d]! >= 0) continue;
      const kind = r.dimKind[d]!;
      const label = resolver.fromBytes(d, kind, b, r.dimStart[d]!, r.dimEnd[d]!);
      r.labels[d] = label;
      if (resolver.final(d, label)) this.extractor.remember(d, kind, b, r.dimStart[d]!, r.dimEnd[d]!, label);
    }
  }

  oversizedPiece(b: Buffer, start: number, end: number): void {
    if (this.deadLeft === 0 && dead) this.deadLeft = config.maxLineBytes + 1;
    enriched?.raw(b, start, end, false);
    if (dead && this.deadLeft > 1) {
      const n = Math.min(end - start, this.deadLeft - 1);
      dead.write(b, start, start + n);
      this.deadLeft -= n;
    }
  }

  oversizedEnd(newline: boolean): void {
    tally.countOutcome(OVERSIZED, now);
    if (newline) enriched?.newline();
    if (dead) {
      dead.byte(0x0a);
      this.deadLeft = 0;
    }
  }
}

const lines = new FastLines();

function chunk(framer: LineFramer, buf: Buffer): void {
  applyControl();
  now = Date.now();
  tally.bytes += buf.length;
  tally.dirty = true;
  framer.push(buf);
  if (now - lastFlush >= FLUSH_EVERY_MS) publish();
}

/** Pipes and sockets go non-blocking (libuv does that when it opens them), so an empty pipe is EAGAIN. */
function makeNonBlocking(fd: number, st: Stats): void {
  if (st.isFIFO() || st.isSocket()) new Socket({ fd, readable: false, writable: false }).unref();
}

/** Reads a descriptor to its end with synchronous reads; false when asked to stop. */
function readFd(fd: number): boolean {
  const st = fstatSync(fd);
  makeNonBlocking(fd, st);
  const tty = st.isCharacterDevice();
  const framer = new LineFramer(config.maxLineBytes, lines);
  // In the WebAssembly scanner's memory: the lines are scanned where they are read, without a copy.
  const buf = scanReadBuffer(READ_SIZE);
  let idle = MIN_IDLE_MS;
  for (;;) {
    if (tty && beforeWait()) return false;
    let n: number;
    try {
      n = readSync(fd, buf, 0, READ_SIZE, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      // Caught up with the writer. A writer like `cat` refills a 64 KiB pipe in tens of microseconds, so
      // the first waits are short (a fixed 1 ms wait cost 0.14 s per million piped lines); once the wait
      // reaches a millisecond, the input has paused: everything read so far goes out first.
      if (idle >= 1) {
        stdout?.flush();
        dead?.flush();
        if (beforeWait()) return false;
      }
      sleepMs(idle);
      idle = Math.min(idle * 2, MAX_IDLE_MS);
      continue;
    }
    if (n === 0) break;
    idle = MIN_IDLE_MS;
    chunk(framer, buf.subarray(0, n));
    if (stopping() || stdout?.closed) return false;
  }
  framer.end();
  return true;
}

/** A gzip stream that ends early: what came before counts, a cut last line as malformed, and the run goes on. */
function truncated(input: string, err: unknown): void {
  if (!(err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw err;
  post({ type: 'warning', message: `${input}: ${(err as Error).message}; the lines before it are counted` });
}

/** Inflated off this thread (input/gunzip.ts), into the scanner's read buffer. */
async function readGzip(fd: number, input: string): Promise<boolean> {
  const framer = new LineFramer(config.maxLineBytes, lines);
  const buf = scanReadBuffer(READ_SIZE);
  try {
    for await (const n of inflatePieces(fd, buf)) {
      chunk(framer, buf.subarray(0, n));
      if (stopping() || stdout?.closed) return false;
    }
  } catch (err) {
    truncated(input, err);
  }
  framer.end();
  return true;
}

/**
 * A regular file is gzip when it starts with gzip's magic bytes. A pipe (`<(zcat ...)`, a FIFO, /dev/stdin)
 * cannot be peeked at without taking the bytes, so there the name decides.
 */
function isGzip(fd: number, path: string): boolean {
  if (!fstatSync(fd).isFile()) return path.endsWith('.gz');
  const magic = Buffer.alloc(2);
  return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

/** The reference engine's dimension values are texts already. */
function resolveTexts(r: LineResult): void {
  for (let d = 0; d < dims; d++) r.labels[d] = resolver.fromText(d, r.dimText[d] ?? null);
}

/** The reference engine: split2 + JSON.parse on a stream, same counting and outputs. */
async function readReference(input: string): Promise<boolean> {
  const { default: split2 } = await import('split2');
  const fd = input === '-' ? 0 : openSync(input, 'r');
  const source = createReadStream('', { fd, autoClose: fd !== 0 });
  const gz = fd !== 0 && isGzip(fd, input);
  const bytes = gz ? source.pipe(createGunzip()) : source;
  bytes.on('data', (b: Buffer) => {
    tally.bytes += b.length;
  });
  const split = bytes.pipe(split2('\n'));
  // A truncated archive: split2 still hands over its last, cut line, as the fast engine's framer does.
  let cut: unknown;
  bytes.once('error', (err: Error) => {
    cut = err;
    split.end();
  });
  let first = true;
  const res = result;
  for await (const line of split as AsyncIterable<string>) {
    now = Date.now();
    let text = line;
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const size = Buffer.byteLength(line);
    if (size > config.maxLineBytes) {
      tally.countOutcome(OVERSIZED, now);
      enriched?.raw(Buffer.from(line + '\n'), 0, size + 1, false);
      if (dead) {
        const b = Buffer.from(line).subarray(0, config.maxLineBytes);
        dead.write(b, 0, b.length);
        dead.byte(0x0a);
      }
    } else if (/^[ \t\r]*$/.test(text)) {
      tally.blank++;
      tally.dirty = true;
      enriched?.raw(Buffer.from(line + '\n'), 0, size + 1, false);
    } else {
      extractReference(text, config.paths, res);
      if (res.outcome === OK) resolveTexts(res);
      const slot = tally.count(res, now);
      if (enriched) {
        if (res.outcome === MALFORMED) enriched.raw(Buffer.from(line + '\n'), 0, size + 1, false);
        else {
          const offset = line.length - text.length;
          const b = Buffer.from(line + '\n');
          const close = Buffer.byteLength(line.slice(0, res.close + offset));
          enriched.object(b, 0, size, true, close, res.empty, slot, res.outcome);
        }
      }
      if (dead && res.outcome !== OK) {
        const b = Buffer.from(line + '\n');
        dead.write(b, 0, b.length);
      }
    }
    if (now - lastFlush >= FLUSH_EVERY_MS) publish();
    if (stopping() || stdout?.closed) {
      source.destroy();
      return false;
    }
  }
  if (cut !== undefined) truncated(input, cut);
  return true;
}

async function readInput(input: string): Promise<boolean> {
  if (config.engine === 'reference') return readReference(input);
  if (input === '-') return readFd(0);
  const fd = openSync(input, 'r');
  try {
    if (isGzip(fd, input)) return await readGzip(fd, input);
    return readFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** --follow: all inputs at once, until a stop request or a closed stdout (the input itself never ends). */
function followInputs(): EndReason {
  follow(
    { paths: config.inputs, fromStart: config.fromStart, stateFile: config.stateFile },
    {
      framer: () => new LineFramer(config.maxLineBytes, lines),
      chunk,
      flush: () => {
        stdout?.flush();
        dead?.flush();
      },
      beforeWait,
      stopped: () => stopping() || stdout?.closed === true,
    },
  );
  return stdout?.closed ? 'stdout-closed' : 'stopped';
}

async function main(): Promise<void> {
  // Loaded and ready; the main thread says when to read (after its metrics server is up).
  Atomics.wait(stopFlag, GO, 0);
  let reason: EndReason = 'eof';
  try {
    if (stopping()) reason = 'stopped';
    else if (config.follow) reason = followInputs();
    else {
      for (const input of config.inputs) {
        if (!(await readInput(input))) {
          reason = stdout?.closed ? 'stdout-closed' : 'stopped';
          break;
        }
      }
    }
    if (reason !== 'stdout-closed') stdout?.flush();
    if (stdout?.closed) reason = 'stdout-closed';
    dead?.flush();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const usage = e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.name === 'FollowError';
    port.postMessage({ type: 'error', message: e.path ? `${e.path}: ${e.code}` : e.message, usage } satisfies ReaderMessage);
    return;
  }
  now = Date.now();
  if (reason === 'eof') tally.finishCheckpoints();
  post({ type: 'done', snapshot: tally.flush(), reason });
}

void main();
