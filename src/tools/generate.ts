// A deterministic generator of gateway logs with a known ground truth: realistic code mixes, both line
// shapes, hostile lines on request, and injected error spikes at given event times. Tests compare the
// CLI's counts with the truth it returns; the benchmark and the demo use its logs.
//
//   node dist/tools/generate.js --lines 1000000 --shape wrapped --out big.ndjson --truth truth.json
//   node dist/tools/generate.js --lines 3000 --rate 5 --spike server@300+90 --hostile 0.02
import { createWriteStream, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { BUILTIN_CODES } from '../codes/builtin.js';

/**
 * `wrapped`: a gateway line with the response inside; `raw`: the response body alone; `mixed`: both.
 * `gateway`: a realistic gateway log for the breakdowns: 30 routes (some with identifiers in the path and
 * query strings), 200 apps, Chinese `msg` texts on errors with `data: null`, small objects on success.
 * `flood`: like gateway, but every line has a path and an app never seen before (a scanner's random paths).
 */
export type Shape = 'wrapped' | 'raw' | 'mixed' | 'gateway' | 'flood';
export type SpikeFamily = 'server' | 'platform';

export interface Spike {
  readonly family: SpikeFamily;
  /** Seconds after the log's start. */
  readonly at: number;
  readonly seconds: number;
  /** Share of the family's errors among responses during the spike. */
  readonly share: number;
  /** gateway shape: the spike's errors all come from this route (as logged) and app. */
  readonly path?: string;
  readonly app?: string;
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
  /** gateway shape: responses per dimension (route, app, method) and value, the route as templated. */
  labels?: Record<string, Record<string, number>>;
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

// The gateway shape: [template, method, weight]; `{id}` is a number, `{uuid}` a UUID, `{hex}` 16 hex digits.
const GATEWAY_ROUTES: readonly (readonly [string, string, number])[] = [
  ['/openapi/v1/token', 'POST', 60], ['/openapi/v1/orders', 'GET', 90], ['/openapi/v1/orders', 'POST', 40],
  ['/openapi/v1/orders/{id}', 'GET', 120], ['/openapi/v1/orders/{id}/items', 'GET', 35], ['/openapi/v1/orders/{id}/cancel', 'POST', 8],
  ['/openapi/v1/users/me', 'GET', 70], ['/openapi/v1/users/{id}', 'GET', 30], ['/openapi/v1/users/{id}/addresses', 'GET', 12],
  ['/openapi/v1/products', 'GET', 80], ['/openapi/v1/products/{id}', 'GET', 110], ['/openapi/v1/products/search', 'GET', 65],
  ['/openapi/v1/inventory/{id}', 'PUT', 15], ['/openapi/v1/payments', 'POST', 25], ['/openapi/v1/payments/{uuid}', 'GET', 20],
  ['/openapi/v1/refunds', 'POST', 6], ['/openapi/v1/refunds/{uuid}', 'GET', 5], ['/openapi/v1/logistics/{id}/track', 'GET', 28],
  ['/openapi/v1/coupons', 'GET', 18], ['/openapi/v1/coupons/{id}/redeem', 'POST', 7], ['/openapi/v1/messages', 'POST', 22],
  ['/openapi/v1/files/{hex}', 'GET', 9], ['/openapi/v1/files', 'POST', 4], ['/openapi/v1/stores/{id}', 'GET', 14],
  ['/openapi/v1/stores/{id}/reviews', 'GET', 11], ['/openapi/v2/orders/{id}', 'GET', 16], ['/openapi/v2/products/{id}/skus', 'GET', 13],
  ['/openapi/v1/notify/callback', 'POST', 10], ['/openapi/v1/reports/daily', 'GET', 3], ['/openapi/v1/orders/{id}', 'DELETE', 2],
];
const GATEWAY_WEIGHT = GATEWAY_ROUTES.reduce((a, [, , w]) => a + w, 0);
const SUCCESS_DATA = ['{"id":%d,"status":"PAID","amount":1999}', '{"items":[],"total":%d}', '{"token":"tk_%h","expiresIn":7200}', '{"ok":true}', '{"id":%d}'];
const descriptions = new Map(BUILTIN_CODES.map((e) => [e.code, e.description]));

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(r() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

function uuid(r: () => number): string {
  const h = hex(r, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** 200 app keys; app k carries about 1/(k+1) of the traffic (Zipf), as a platform's callers do. */
const APPS = Array.from({ length: 200 }, (_, k) => `ak_${hex(rng(1000 + k), 16)}`);
const APP_CDF = (() => {
  const w = APPS.map((_, k) => 1 / (k + 1));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
})();

function gatewayApp(r: () => number): string {
  const x = r();
  let lo = 0;
  let hi = APP_CDF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (APP_CDF[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return APPS[lo]!;
}

/**
 * The app of a wrapped line: one of 40 keys of the same length as the request id it replaces (the log's
 * bytes stay as they were), picked by that id with a Zipf weight, so the app dimension sees callers, not
 * a new key on every line.
 */
const WRAPPED_APPS = Array.from({ length: 40 }, (_, k) => hex(rng(5000 + k), 8));
const WRAPPED_CDF = (() => {
  const w = WRAPPED_APPS.map((_, k) => 1 / (k + 1));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
})();

export function wrappedApp(requestId: string): string {
  const x = parseInt(requestId, 16) / 0x100000000;
  const k = WRAPPED_CDF.findIndex((c) => x < c);
  return `ak_${WRAPPED_APPS[k < 0 ? WRAPPED_APPS.length - 1 : k]}`;
}

/** A gateway line's route: its path as logged, and its templated value. */
function gatewayRoute(r: () => number): { path: string; template: string; method: string } {
  let x = r() * GATEWAY_WEIGHT;
  let route = GATEWAY_ROUTES[0]!;
  for (const g of GATEWAY_ROUTES) if ((x -= g[2]) < 0) { route = g; break; }
  const [template, method] = route;
  const path = template.replace('{id}', () => String(Math.floor(r() * 1e9) + 100000)).replace('{uuid}', () => uuid(r)).replace('{hex}', () => hex(r, 16));
  const query = method === 'GET' && r() < 0.3 ? `?page=${Math.floor(r() * 20) + 1}&size=20` : '';
  return { path: path + query, template: template.replace(/\{(id|uuid|hex)\}/g, ':id'), method };
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
    let place: Spike | undefined;
    if (spike && r() < spike.share) {
      place = spike;
      if (spike.family === 'server' && r() < 0.2) http = pick(r, HTTP_ERRORS);
      else code = pick(r, spike.family === 'server' ? SERVER_SPIKE : PLATFORM_SPIKE);
    } else {
      let x = r() * total;
      for (const [c, w] of BACKGROUND) if ((x -= w) < 0) { code = c; break; }
      if (r() < 0.0015) http = pick(r, HTTP_ERRORS);
    }
    if (shape === 'gateway' || shape === 'flood') {
      truth.lines++;
      count(http === 200 ? String(code) : `http_${http}`);
      yield gatewayLine(r, shape, ts, code, http, i, truth, place);
      continue;
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
      yield `{"ts":"${ts}","method":"${method}","path":"${path}?page=${latency % 13}&size=20","status":${http},"latencyMs":${latency},"clientIp":"10.${latency % 250}.${i % 250}.${(i * 7) % 250}","appKey":"${wrappedApp(requestId)}","response":${response}}`;
    }
  }
}

function gatewayLine(r: () => number, shape: Shape, ts: string, code: number, http: number, i: number, truth: Truth, spike?: Spike): string {
  let { path, template, method } = shape === 'flood' ? { path: `/probe/${hex(r, 12)}.php`, template: '', method: 'GET' } : gatewayRoute(r);
  let app = shape === 'flood' ? `app_${hex(r, 12)}` : gatewayApp(r);
  if (spike?.path) ({ path, template, method } = { path: spike.path, template: spike.path.replace(/\/[0-9]+(?=\/|$)/g, '/:id'), method: 'POST' });
  if (spike?.app) app = spike.app;
  if (shape === 'gateway') {
    const labels = (truth.labels ??= { route: {}, app: {}, method: {} });
    for (const [dim, value] of [['route', template], ['app', app], ['method', method]] as const) labels[dim]![value] = (labels[dim]![value] ?? 0) + 1;
  }
  const requestId = hex(r, 16);
  const latency = Math.floor(r() * 900) + 3;
  let response = 'null';
  if (http === 200) {
    const ok = code === 200 || code === 201;
    const msg = ok ? 'success' : (descriptions.get(code) ?? '系统繁忙，请稍后再试').replace(/%s/g, 'appKey');
    const data = ok ? pick(r, SUCCESS_DATA).replace('%d', String(Math.floor(r() * 1e6))).replace('%h', hex(r, 12)) : 'null';
    response = `{"code":${code},"msg":"${msg}","data":${data}}`;
  }
  return `{"ts":"${ts}","requestId":"${requestId}","method":"${method}","path":"${path}","appKey":"${app}","clientIp":"10.${latency % 250}.${i % 250}.${(i * 7) % 250}","status":${http},"latencyMs":${latency},"response":${response}}`;
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
