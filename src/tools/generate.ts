// A deterministic generator of gateway logs with a known ground truth: realistic code mixes, both line
// shapes, hostile lines on request, and injected error spikes at given event times. Tests compare the
// CLI's counts with the truth it returns; the benchmark and the demo use its logs.
//
//   node dist/tools/generate.js --lines 1000000 --shape wrapped --out big.ndjson --truth truth.json
//   node dist/tools/generate.js --lines 3000 --rate 5 --spike server@300+90 --hostile 0.02
import { createWriteStream, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export type Shape = 'wrapped' | 'raw' | 'mixed';
export type SpikeFamily = 'server' | 'platform';

export interface Spike {
  readonly family: SpikeFamily;
  /** Seconds after the log's start. */
  readonly at: number;
  readonly seconds: number;
  /** Share of the family's errors among responses during the spike. */
  readonly share: number;
}

export interface GenerateOptions {
  readonly lines: number;
  readonly seed?: number;
  readonly shape?: Shape;
  /** Event time of the first line, epoch ms. */
  readonly startMs?: number;
  /** Lines per second of event time. */
  readonly rate?: number;
  readonly spikes?: readonly Spike[];
  /** Share of lines that are hostile: decoys, string codes, CRLF, garbage, invalid and missing codes. */
  readonly hostile?: number;
}

export interface Truth {
  lines: number;
  blank: number;
  outcomes: Record<'ok' | 'malformed' | 'missing_code' | 'invalid_code' | 'oversized', number>;
  /** Responses by `code` label value (`"4004"`, `"http_502"`). */
  codes: Record<string, number>;
  bytes: number;
}

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Background mix: [code, weight]. Mostly success, a steady trickle of client and business errors, and a
// little server and platform noise so the baselines are not zero.
const BACKGROUND: readonly (readonly [number, number])[] = [
  [200, 880], [201, 20], [302, 4], [4001, 12], [4002, 10], [4004, 8], [4005, 3], [401, 10], [403, 4],
  [404, 14], [405, 1], [4036, 2], [101004, 5], [102002, 6], [100001, 2], [500, 2], [5021, 1], [5003, 1],
  [500001, 1], [500003, 1], [4999, 1],
];
const SERVER_SPIKE = [500, 5021, 5022, 50211, 5001];
const PLATFORM_SPIKE = [500001, 500003, 500010, 500002];
const HTTP_ERRORS = [502, 503, 504];
const PATHS = ['/api/v1/orders', '/api/v1/users/login', '/api/v2/payments/transfer', '/open/notify', '/api/v1/tasks'];
const METHODS = ['GET', 'POST', 'PUT'];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

export function* generateLines(opts: GenerateOptions, truth: Truth): Generator<string> {
  const r = rng(opts.seed ?? 1);
  const shape = opts.shape ?? 'wrapped';
  const start = opts.startMs ?? Date.UTC(2026, 10, 25, 0, 0, 0);
  const rate = opts.rate ?? 100;
  const hostile = opts.hostile ?? 0;
  const spikes = opts.spikes ?? [];
  const total = BACKGROUND.reduce((a, [, w]) => a + w, 0);
  const count = (key: string): void => {
    truth.codes[key] = (truth.codes[key] ?? 0) + 1;
    truth.outcomes.ok++;
  };

  for (let i = 0; i < opts.lines; i++) {
    const t = start + Math.floor((i * 1000) / rate);
    const ts = new Date(t).toISOString();
    const since = (t - start) / 1000;
    let code = 200;
    const spike = spikes.find((s) => since >= s.at && since < s.at + s.seconds);
    let http = 200;
    if (spike && r() < spike.share) {
      if (spike.family === 'server' && r() < 0.2) http = pick(r, HTTP_ERRORS);
      else code = pick(r, spike.family === 'server' ? SERVER_SPIKE : PLATFORM_SPIKE);
    } else {
      let x = r() * total;
      for (const [c, w] of BACKGROUND) if ((x -= w) < 0) { code = c; break; }
      if (r() < 0.0015) http = pick(r, HTTP_ERRORS);
    }
    const raw = shape === 'raw' || (shape === 'mixed' && r() < 0.3);
    if (raw) http = 200; // a raw body carries no HTTP status
    const latency = Math.floor(r() * 900) + 3;
    const path = pick(r, PATHS);
    const method = pick(r, METHODS);
    const requestId = Math.floor(r() * 0xffffffff).toString(16).padStart(8, '0');

    if (hostile > 0 && r() < hostile) {
      truth.lines++;
      const kind = Math.floor(r() * 10);
      switch (kind) {
        case 0: // a decoy code inside data and inside a string; the real one is response.code
          count(String(code));
          yield `{"ts":"${ts}","status":200,"response":{"msg":"{\\"code\\":500}","data":{"code":5021,"items":[{"code":500001}]},"code":${code}}}`;
          continue;
        case 1: // a string code
          count(String(code));
          yield `{"ts":"${ts}","status":200,"response":{"code":"${code}","msg":"ok"}}`;
          continue;
        case 2: // CRLF line ending
          count(String(code));
          yield `{"code":${code},"msg":"crlf","data":null}\r`;
          continue;
        case 3: // garbage
          truth.outcomes.malformed++;
          yield pick(r, ['not json at all', '[1,2,3]', '"just a string"', 'null', '{"code":200,', `{"ts":"${ts}","response":{"code":200}`, '{"code":200}}', '{"code":200} trailing']);
          continue;
        case 4: // no code anywhere
          truth.outcomes.missing_code++;
          yield `{"ts":"${ts}","status":200,"response":{"msg":"no code","data":{"code":${code}}}}`;
          continue;
        case 5: // an invalid code
          truth.outcomes.invalid_code++;
          yield `{"code":${pick(r, ['null', 'true', '-5', '1.5', '""', '"12a"', '{"v":1}', '1234567890123'])},"msg":"bad"}`;
          continue;
        case 6: // a blank line (not counted)
          truth.lines--;
          truth.blank++;
          yield pick(r, ['', '   ', '\r']);
          continue;
        case 7: // an integral float and an escaped key
          count(String(code));
          yield `{"co\\u0064e":${code}.0,"msg":"escaped key"}`;
          continue;
        case 8: { // an HTTP error status decides, whatever the body says
          const status = pick(r, HTTP_ERRORS);
          count(`http_${status}`);
          yield `{"ts":"${ts}","method":"${method}","path":"${path}","status":${status},"latencyMs":${latency},"response":"<html>bad gateway</html>"}`;
          continue;
        }
        default: // unicode and a nested decoy before the real code
          count(String(code));
          yield `{"data":{"code":5022},"msg":"签名无效 ☃","code":${code}}`;
          continue;
      }
    }

    truth.lines++;
    count(http === 200 ? String(code) : `http_${http}`);
    if (raw) {
      yield `{"code":${code},"msg":"${code === 200 ? 'success' : 'error'}","data":{"requestId":"${requestId}","items":[${latency % 7},${latency % 11}],"total":${latency}}}`;
    } else {
      const response = http === 200 ? `{"code":${code},"msg":"${code === 200 ? 'success' : 'failed'}","data":{"requestId":"${requestId}","total":${latency % 97}}}` : 'null';
      yield `{"ts":"${ts}","method":"${method}","path":"${path}?page=${latency % 13}&size=20","status":${http},"latencyMs":${latency},"clientIp":"10.${latency % 250}.${i % 250}.${(i * 7) % 250}","appKey":"ak_${requestId}","response":${response}}`;
    }
  }
}

export function newTruth(): Truth {
  return { lines: 0, blank: 0, outcomes: { ok: 0, malformed: 0, missing_code: 0, invalid_code: 0, oversized: 0 }, codes: {}, bytes: 0 };
}

/** The whole log as one string (for tests), with its truth. */
export function generate(opts: GenerateOptions): { text: string; truth: Truth } {
  const truth = newTruth();
  const parts: string[] = [];
  for (const line of generateLines(opts, truth)) parts.push(line, '\n');
  const text = parts.join('');
  truth.bytes = Buffer.byteLength(text);
  return { text, truth };
}

/** Writes the log to a file in large chunks; resolves with its truth. */
export async function generateFile(path: string, opts: GenerateOptions): Promise<Truth> {
  const truth = newTruth();
  const out = createWriteStream(path);
  let batch: string[] = [];
  let size = 0;
  for (const line of generateLines(opts, truth)) {
    batch.push(line);
    size += line.length + 1;
    if (size >= 1 << 20) {
      const text = batch.join('\n') + '\n';
      truth.bytes += Buffer.byteLength(text);
      if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) {
    const text = batch.join('\n') + '\n';
    truth.bytes += Buffer.byteLength(text);
    out.write(text);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return truth;
}

function parseSpike(text: string): Spike {
  const m = /^(server|platform)@(\d+)\+(\d+)(?::([0-9.]+))?$/.exec(text);
  if (!m) throw new Error(`--spike ${text}: expected FAMILY@START+SECONDS[:SHARE], e.g. server@300+90:0.3`);
  return { family: m[1] as SpikeFamily, at: Number(m[2]), seconds: Number(m[3]), share: m[4] ? Number(m[4]) : 0.3 };
}

async function main(argv: string[]): Promise<void> {
  const opt: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i += 2) (opt[argv[i]!.replace(/^--/, '')] ??= []).push(argv[i + 1] ?? '');
  const one = (k: string): string | undefined => opt[k]?.[0];
  const options: GenerateOptions = {
    lines: Number(one('lines') ?? 1000),
    seed: Number(one('seed') ?? 1),
    shape: (one('shape') ?? 'wrapped') as Shape,
    rate: Number(one('rate') ?? 100),
    hostile: Number(one('hostile') ?? 0),
    spikes: (opt['spike'] ?? []).map(parseSpike),
    ...(one('start') ? { startMs: Date.parse(one('start')!) } : {}),
  };
  const out = one('out');
  let truth: Truth;
  if (out) truth = await generateFile(out, options);
  else {
    const g = generate(options);
    process.stdout.write(g.text);
    truth = g.truth;
  }
  const truthPath = one('truth');
  if (truthPath) writeFileSync(truthPath, JSON.stringify(truth, null, 2) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
