// Replays NDJSON logs to stdout at the pace of their event time, sped up by --speed, so a recorded log
// behaves like a live gateway: the live view fills up second by second and a recorded spike arrives when it
// happened. Lines pass through byte for byte, whatever they hold.
//
//   node dist/tools/replay.js --speed 10 fixtures/sample.ndjson | node dist/cli.js
//
// A line is due at the wall time its event time is after the first line's, divided by the speed. Time is
// found like the CLI finds it (--time-field, default ts, time, timestamp, @timestamp; ISO-8601 or epoch
// seconds or milliseconds). A line without a time, or with one earlier than the line before it, goes out
// right after the line before it: it keeps that line's pace and never makes the replay wait or rewind.
import { accessSync, constants, createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { fieldPaths } from '../extract/paths.js';
import { timeFromNumber, timeFromString } from '../extract/values.js';

export class ReplayUsageError extends Error {
  override name = 'ReplayUsageError';
}

/** Event time of one line in epoch ms, NaN when it has none. */
export function lineTimeMs(line: string, paths: readonly (readonly string[])[] = fieldPaths().time): number {
  // Only something that could be an object is parsed: most hostile lines are rejected without JSON.parse.
  if (!line.trimStart().startsWith('{')) return NaN;
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return NaN;
  }
  for (const path of paths) {
    let node: unknown = doc;
    for (const key of path) node = node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    if (node === undefined) continue;
    return typeof node === 'number' ? timeFromNumber(node) : typeof node === 'string' ? timeFromString(node) : NaN;
  }
  return NaN;
}

/** When each line is due, in ms of wall time after the replay started. */
export class Pacer {
  private firstMs = NaN;
  private dueMs = 0;

  constructor(private readonly speed: number) {}

  next(timeMs: number): number {
    if (!Number.isFinite(timeMs)) return this.dueMs;
    if (Number.isNaN(this.firstMs)) this.firstMs = timeMs;
    this.dueMs = Math.max(this.dueMs, (timeMs - this.firstMs) / this.speed);
    return this.dueMs;
  }
}

export interface ReplayOptions {
  readonly speed: number;
  readonly timeField?: string;
}

/** Lines of a byte stream, each with its terminator (the last one may have none). */
async function* lines(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let nl = buf.indexOf(0x0a);
    while (nl >= 0) {
      yield buf.subarray(0, nl + 1);
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(0x0a);
    }
    rest = buf;
  }
  if (rest.length > 0) yield rest;
}

/** Writes the inputs' lines to `out`, each when it is due. Lines due together go out in one write. */
export async function replay(inputs: Iterable<AsyncIterable<Buffer>>, out: Writable, options: ReplayOptions): Promise<void> {
  const paths = fieldPaths(undefined, undefined, options.timeField).time;
  const pacer = new Pacer(options.speed);
  const start = performance.now();
  let batch: Buffer[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const ok = out.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    batch = [];
    if (!ok) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  for (const input of inputs) {
    for await (const line of lines(input)) {
      const due = pacer.next(lineTimeMs(line.toString('utf8'), paths));
      const wait = due - (performance.now() - start);
      if (wait > 1) {
        await flush();
        await sleep(wait);
      }
      batch.push(line);
    }
  }
  await flush();
}

function parseArgs(argv: readonly string[]): { files: string[]; options: ReplayOptions } {
  const files: string[] = [];
  let speed = 1;
  let timeField: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ReplayUsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--speed') {
      const v = value();
      speed = Number(v);
      if (!(speed > 0) || !Number.isFinite(speed)) throw new ReplayUsageError(`--speed ${JSON.stringify(v)}: expected a number above 0`);
    } else if (arg === '--time-field') timeField = value();
    else if (arg.startsWith('--')) throw new ReplayUsageError(`unknown option ${arg}; usage: replay [--speed N] [--time-field PATH] [FILE|-]...`);
    else files.push(arg);
  }
  return { files: files.length > 0 ? files : ['-'], options: { speed, ...(timeField ? { timeField } : {}) } };
}

async function main(argv: readonly string[]): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n`);
    process.exit(2);
  }
  // The reader went away (`| head`, the CLI stopped): nothing left to replay to.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  for (const f of parsed.files) {
    try {
      if (f !== '-') accessSync(f, constants.R_OK);
    } catch {
      process.stderr.write(`replay: ${f}: no such file or not readable\n`);
      process.exit(2);
    }
  }
  // Opened one after the other, as the replay reaches them.
  const inputs = (function* () {
    for (const f of parsed.files) yield f === '-' ? process.stdin : createReadStream(f);
  })();
  try {
    await replay(inputs, process.stdout, parsed.options);
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
