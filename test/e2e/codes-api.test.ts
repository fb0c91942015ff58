// The code table from the platform's API (SPEC "The code table from the platform's API"), against a real
// HTTP server on loopback and the real CLI: the envelope, the key from the environment, conditional
// requests, the cache, the limits, reloads on SIGHUP and --codes-refresh, and the errcode_code_table_*
// metrics.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { deadUrl, envelope, startCodesApi, until, type CodesApi } from '../support/codes-api.js';
import { runCli } from '../support/exec.js';
import { samples, scrape, sum, type Sample } from '../support/exposition.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-codes-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'k-7f3a9c21-good';
const LIMIT_TABLE = [{ code: 5999, msg: '限流', category: 'server', description_en: 'Rate limited' }];

let api: CodesApi | undefined;
let cli: RunningCli | undefined;
afterEach(async () => {
  await cli?.stop();
  cli = undefined;
  await api?.close();
  api = undefined;
});

/** The description the enriched output gives a line with `code`, and what stderr said before the summary. */
async function describeCode(args: readonly string[], code: number, env?: NodeJS.ProcessEnv): Promise<{ description: string; stderr: string; exit: number | null }> {
  const res = await runCli(['--listen', 'none', '--output', 'enriched', ...args], { stdin: `{"code":${code}}\n`, env });
  const line = res.stdout.toString().trim();
  const stderr = res.stderr.split(/^errcode-stream: [\d,]+ lines,/m)[0]!;
  return { description: line === '' ? '' : (JSON.parse(line) as { errcode: { description: string } }).errcode.description, stderr, exit: res.code };
}

/** Starts the CLI on an open stdin with its metrics endpoint on a free port. */
function live(args: readonly string[], env?: Record<string, string>): Promise<RunningCli> {
  return startCli(['--output', 'none', '--listen', '127.0.0.1:0', ...args], { stdin: 'pipe', env });
}

const info = (s: readonly Sample[], code: string, prefix = 'errcode_'): Sample | undefined => samples(s, `${prefix}code_info`, { code })[0];

describe('the envelope', () => {
  const list = [
    { code: 5999, msg: '限流' },
    { code: '700001', desc: '新业务' },
  ];
  it.each([
    ['the table as data', envelope(list)],
    ['an object of codes as data', envelope({ '5999': '限流', '700001': '新业务' })],
    ['data.list', envelope({ list })],
    ['data.records, with its page fields', envelope({ records: list, total: 2, size: 100, current: 1 })],
    ['data.items, items spelled message and description', envelope({ items: [{ code: 5999, message: '限流' }, { code: 700001, description: '新业务' }] })],
    ['the envelope code as a string', JSON.stringify({ code: '200', message: 'OK', data: list })],
  ])('loads %s', async (_name, body) => {
    api = await startCodesApi((_, res) => {
      res.setHeader('content-type', 'application/json;charset=UTF-8');
      res.end(body);
    });
    const res = await runCli(['codes', '--format', 'json', '--codes-url', api.url()]);
    expect(res.stderr).toBe('');
    const table = JSON.parse(res.stdout.toString()) as { code: number; description: string; category: string }[];
    expect(table.find((e) => e.code === 5999)).toMatchObject({ description: '限流', category: 'server' });
    expect(table.find((e) => e.code === 700001)).toMatchObject({ description: '新业务', category: 'unknown' });
    expect(table.find((e) => e.code === 4003)?.description).toBe('传入的AppKey无效');
  });

  it('reads the charset the answer declares, and refuses bytes that are not in it', async () => {
    // 限流 in GBK, as a platform in China may answer.
    const gbk = Buffer.concat([Buffer.from('{"code":200,"data":[{"code":5999,"msg":"'), Buffer.from([0xcf, 0xde, 0xc1, 0xf7]), Buffer.from('"}]}')]);
    api = await startCodesApi((req, res) => {
      res.setHeader('content-type', req.url === '/gbk' ? 'application/json; charset=GBK' : req.url === '/klingon' ? 'application/json; charset=x-klingon' : 'application/json');
      res.end(gbk);
    });
    expect((await describeCode(['--codes-url', api.url('/gbk')], 5999)).description).toBe('限流');
    const utf8 = await runCli(['codes', '--codes-url', api.url('/utf8')]);
    expect(utf8.stderr).toBe(`errcode-stream: --codes-url ${api.url('/utf8')}: the answer is not valid utf-8\n`);
    const unknown = await runCli(['codes', '--codes-url', api.url('/klingon')]);
    expect(unknown.stderr).toBe(`errcode-stream: --codes-url ${api.url('/klingon')}: the answer is in charset "x-klingon", which is unknown\n`);
  });

  it('describes the lines of a run with the codes it loaded', async () => {
    api = await startCodesApi((_, res) => res.end(envelope({ list: LIMIT_TABLE })));
    expect((await describeCode(['--codes-url', api.url()], 5999)).description).toBe('限流');
  });
});

describe('the key, from the environment', () => {
  const keyed = (): Promise<CodesApi> =>
    startCodesApi((req, res) => {
      if (req.headers['x-app-key'] === KEY) res.end(envelope(LIMIT_TABLE));
      // The platform answers a bad key with HTTP 200 and its own code.
      else res.end(JSON.stringify({ code: 4003, msg: `appKey ${String(req.headers['x-app-key'])} invalid` }));
    });

  it('sends --codes-url-header with ${ENV_NAME} taken from the environment, and the key is not on the command line', async () => {
    api = await keyed();
    cli = await live(['--codes-url', api.url(), '--codes-url-header', 'X-App-Key: ${ERRCODE_TEST_APP_KEY}', '--codes-url-header', 'X-Tenant: gw-${ERRCODE_TEST_TENANT}'], {
      ERRCODE_TEST_APP_KEY: KEY,
      ERRCODE_TEST_TENANT: 'east',
    });
    expect(api.requests[0]?.headers).toMatchObject({ 'x-app-key': KEY, 'x-tenant': 'gw-east' });
    const cmdline = readFileSync(`/proc/${cli.proc.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('${ERRCODE_TEST_APP_KEY}');
    expect(cmdline).not.toContain(KEY);
    expect(cli.stderr()).not.toContain(KEY);
  });

  it('fails at start-up on a bad key with the code and its description from the table in force', async () => {
    api = await keyed();
    const res = await runCli(['--listen', 'none', '--codes-url', api.url(), '--codes-url-header', 'X-App-Key: ${ERRCODE_TEST_APP_KEY}'], {
      stdin: '',
      env: { ERRCODE_TEST_APP_KEY: 'k-wrong-but-long' },
    });
    expect(res.stderr).toBe(`errcode-stream: --codes-url ${api.url()}: the API answered code 4003 传入的AppKey无效\n`);
    expect(res.code).toBe(2);
  });

  it('takes the description of the failed code from the --codes files too', async () => {
    api = await startCodesApi((_, res) => res.end(JSON.stringify({ code: 500001, msg: 'invalid' })));
    const base = await runCli(['codes', '--codes-url', api.url()]);
    expect(base.stderr).toBe(`errcode-stream: --codes-url ${api.url()}: the API answered code 500001 无效的AppKey\n`);
    expect(base.code).toBe(2);
    const file = join(dir, 'override-500001.json');
    writeFileSync(file, '{"500001":"AppKey不存在或已注销"}');
    const res = await runCli(['codes', '--codes', file, '--codes-url', api.url()]);
    expect(res.stderr).toBe(`errcode-stream: --codes-url ${api.url()}: the API answered code 500001 AppKey不存在或已注销\n`);
  });

  it('blots out a key the API echoes back in the msg of a code the table does not list', async () => {
    api = await startCodesApi((req, res) => res.end(JSON.stringify({ code: 9101, msg: `key ${String(req.headers['x-app-key'])} is unknown` })));
    const res = await runCli(['codes', '--codes-url', api.url(), '--codes-url-header', 'X-App-Key: ${ERRCODE_TEST_APP_KEY}'], { env: { ERRCODE_TEST_APP_KEY: KEY } });
    expect(res.stderr).toBe(`errcode-stream: --codes-url ${api.url()}: the API answered code 9101 key *** is unknown\n`);
  });

  it('reads the code of an envelope sent with an HTTP error status', async () => {
    api = await startCodesApi((_, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 4003, msg: 'bad key' }));
    });
    const res = await runCli(['codes', '--codes-url', api.url()]);
    expect(res.stderr).toBe(`errcode-stream: --codes-url ${api.url()}: HTTP 401 Unauthorized; the API answered code 4003 传入的AppKey无效\n`);
    expect(res.code).toBe(2);
  });

  it('does not send the key to another origin it is redirected to', async () => {
    const other = await startCodesApi((_, res) => res.end(envelope(LIMIT_TABLE)));
    try {
      api = await startCodesApi((_, res) => {
        res.writeHead(302, { location: other.url('/elsewhere') });
        res.end();
      });
      const res = await runCli(['codes', '--codes-url', api.url(), '--codes-url-header', `X-App-Key: \${ERRCODE_TEST_APP_KEY}`], { env: { ERRCODE_TEST_APP_KEY: KEY } });
      expect(res.code).toBe(0);
      expect(api.requests[0]?.headers['x-app-key']).toBe(KEY);
      expect(other.requests[0]?.path).toBe('/elsewhere');
      expect(other.requests[0]?.headers['x-app-key']).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

/** Streams `total` bytes of a JSON array that never closes, as fast as the client takes them; resolves with the bytes sent when the client hangs up. */
function streamHuge(res: ServerResponse, total: number, sent: { bytes: number; closed: boolean }): void {
  const chunk = Buffer.alloc(64 * 1024, ' ');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('[');
  res.on('close', () => (sent.closed = true));
  const more = (): void => {
    while (sent.bytes < total && !res.destroyed) {
      sent.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  more();
}

describe('limits: at start-up, exit 2 with a clear reason', () => {
  const trickles = new Set<NodeJS.Timeout>();
  afterEach(() => {
    for (const t of trickles) clearInterval(t);
    trickles.clear();
  });

  it.each([
    ['an answer whose headers never come', '/silent', (url: string) => `${url}: no complete answer within 1s (--codes-timeout)`],
    ['a body that trickles past the timeout', '/trickle', (url: string) => `${url}: no complete answer within 1s (--codes-timeout)`],
    ['a Content-Length over 10 MiB', '/declared', (url: string) => `${url}: the answer is 52428800 bytes, over the limit of 10485760 bytes (10 MiB)`],
    ['a redirect loop', '/loop-a', (url: string) => `${url}: redirect loop (${url} -> ${url.replace('loop-a', 'loop-b')} -> ${url})`],
    ['more than 5 redirects', '/hop/0', (url: string) => `${url}: more than 5 redirects (last to ${url.replace('/hop/0', '/hop/6')})`],
    ['a duplicate code', '/duplicate', (url: string) => `${url}: code 5999 is given twice (data.list item 0 and data.list item 1)`],
    ['an out-of-range code', '/range', (url: string) => `${url}: data item 0: code 1234567890123 is not a non-negative integer of at most 12 digits`],
    ['HTTP 500', '/error', (url: string) => `${url}: HTTP 500 Internal Server Error`],
    ['an empty table', '/empty', (url: string) => `${url}: the answer is an empty code table`],
    ['an HTML page', '/html', (url: string) => `${url}: the answer is an HTML page (text/html), not a code table`],
  ])('%s', async (_name, path, reason) => {
    api = await startCodesApi((req, res) => {
      const at = req.url ?? '';
      if (at === '/silent') return;
      if (at === '/trickle') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        const t = setInterval(() => res.write(' '), 100);
        trickles.add(t);
        res.on('close', () => clearInterval(t));
        return;
      }
      if (at === '/declared') {
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        res.write('[');
        return;
      }
      const hop = /^\/hop\/(\d+)$/.exec(at);
      if (hop || at.startsWith('/loop-')) {
        res.writeHead(302, { location: hop ? `/hop/${Number(hop[1]) + 1}` : at === '/loop-a' ? '/loop-b' : '/loop-a' });
        return void res.end();
      }
      if (at === '/duplicate') return void res.end(envelope({ list: [{ code: 5999, msg: 'a' }, { code: 5999, msg: 'b' }] }));
      if (at === '/range') return void res.end(envelope([{ code: 1234567890123, msg: 'a' }]));
      if (at === '/empty') return void res.end(envelope([]));
      if (at === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><body>login</body></html>');
      }
      res.writeHead(500);
      res.end();
    });
    const url = api.url(path);
    const started = Date.now();
    const res = await runCli(['--listen', 'none', '--codes-url', url, '--codes-timeout', '1s'], { stdin: '' });
    expect(res.stderr).toBe(`errcode-stream: --codes-url ${reason(url)}\n`);
    expect(res.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('cuts a 50 MB body at 10 MiB while it streams, without reading the rest', async () => {
    const sent = { bytes: 0, closed: false };
    api = await startCodesApi((_, res) => streamHuge(res, 50 * 1024 * 1024, sent));
    const res = await runCli(['--listen', 'none', '--codes-url', api.url()], { stdin: '' });
    expect(res.stderr).toBe(`errcode-stream: --codes-url ${api.url()}: the answer goes on past the limit of 10485760 bytes (10 MiB)\n`);
    expect(res.code).toBe(2);
    await until(() => sent.closed, 'the server to see the client hang up');
    // What the socket buffers held on top of the 10 MiB read, not the 50 MB.
    expect(sent.bytes).toBeLessThan(25 * 1024 * 1024);
  });

  it('follows a redirect or two to the table', async () => {
    api = await startCodesApi((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/v2/codes' });
        return void res.end();
      }
      res.end(envelope(LIMIT_TABLE));
    });
    expect((await describeCode(['--codes-url', api.url('/old')], 5999)).description).toBe('限流');
    expect(api.requests.map((r) => r.path)).toEqual(['/old', '/v2/codes']);
  });
});

describe('reloads: SIGHUP and --codes-refresh', () => {
  it('keeps every count and the previous table through a failed reload, and gives new codes their series at once', async () => {
    let table: unknown = envelope(LIMIT_TABLE);
    api = await startCodesApi((_, res) => {
      if (table === 500) {
        res.writeHead(500);
        return void res.end();
      }
      res.end(table as string);
    });
    cli = await live(['--codes-url', api.url(), '--metrics-prefix', 'gw_']);
    cli.proc.stdin!.write('{"code":5999}\n{"code":5999}\n{"code":200}\n{"code":5998}\n');
    let before: Sample[] = [];
    await until(async () => sum((before = await scrape(cli!.url)), 'gw_input_lines_total') === 4, 'the first lines');
    expect(sum(before, 'gw_responses_total', { code: '5999' })).toBe(2);
    expect(sum(before, 'gw_code_table_reloads_total')).toBe(0);

    table = 500;
    cli.proc.kill('SIGHUP');
    await until(() => cli!.stderr().includes('reload failed'), 'the failed reload');
    expect(cli.stderr()).toContain(`errcode-stream: code table reload failed, keeping the previous table: --codes-url ${api.url()}: HTTP 500 Internal Server Error\n`);
    const failed = await scrape(cli.url);
    expect(sum(failed, 'gw_code_table_reloads_total', { result: 'failure' })).toBe(1);
    expect(info(failed, '5999', 'gw_')?.labels['description']).toBe('限流');
    expect(sum(failed, 'gw_code_table_last_success_timestamp_seconds')).toBe(sum(before, 'gw_code_table_last_success_timestamp_seconds'));

    table = envelope([...LIMIT_TABLE, { code: 5998, msg: '熔断', category: 'server' }, { code: 700002, msg: '新业务' }]);
    cli.proc.kill('SIGHUP');
    await until(() => cli!.stderr().includes('code table reloaded'), 'the recovery');
    const after = await scrape(cli.url);
    expect(sum(after, 'gw_code_table_reloads_total', { result: 'success' })).toBe(1);
    expect(sum(after, 'gw_code_table_codes')).toBe(sum(before, 'gw_code_table_codes') + 2);
    expect(sum(after, 'gw_code_table_last_success_timestamp_seconds')).toBeGreaterThan(sum(before, 'gw_code_table_last_success_timestamp_seconds'));
    // Nothing counted before is lost; the new code has its series at 0 and its description at once.
    expect(sum(after, 'gw_responses_total', { code: '5999' })).toBe(2);
    expect(sum(after, 'gw_responses_total', { code: '200' })).toBe(1);
    expect(sum(after, 'gw_input_lines_total')).toBe(4);
    expect(samples(after, 'gw_responses_total', { code: '700002', category: 'unknown' }).map((s) => s.value)).toEqual([0]);
    expect(info(after, '700002', 'gw_')?.labels['description']).toBe('新业务');
    expect(info(after, '5998', 'gw_')?.labels['description']).toBe('熔断');
  });

  it.each([
    ['ETag', (res: ServerResponse) => res.setHeader('etag', 'W/"t1"'), 'if-none-match', 'W/"t1"'],
    ['Last-Modified', (res: ServerResponse) => res.setHeader('last-modified', 'Tue, 01 Dec 2026 08:00:00 GMT'), 'if-modified-since', 'Tue, 01 Dec 2026 08:00:00 GMT'],
  ])('asks again every --codes-refresh with %s, and a 304 keeps the table', async (_name, validator, header, value) => {
    api = await startCodesApi((req, res) => {
      validator(res);
      if (req.headers[header] === value) {
        res.writeHead(304);
        return void res.end();
      }
      res.end(envelope(LIMIT_TABLE));
    });
    cli = await live(['--codes-url', api.url(), '--codes-refresh', '1s']);
    await until(() => api!.requests.length >= 3, 'two refreshes');
    expect(api.requests[0]?.headers[header]).toBeUndefined();
    expect(api.requests[1]?.headers[header]).toBe(value);
    await until(() => (cli!.stderr().match(/code table not modified/g) ?? []).length >= 2, 'two 304s logged');
    const s = await scrape(cli.url);
    expect(sum(s, 'errcode_code_table_reloads_total', { result: 'not_modified' })).toBeGreaterThanOrEqual(2);
    expect(sum(s, 'errcode_code_table_reloads_total', { result: 'success' })).toBe(0);
    expect(info(s, '5999')?.labels['description']).toBe('限流');
    expect(Date.now() / 1000 - sum(s, 'errcode_code_table_last_success_timestamp_seconds')).toBeLessThan(3);
    expect(cli.stderr()).toMatch(/errcode-stream: code table not modified \(--codes-url answered 304\): \d+ codes\n/);
  });

  it('keeps the table through every kind of bad answer on a reload', async () => {
    const sent = { bytes: 0, closed: false };
    let mode = 'good';
    api = await startCodesApi((req, res) => {
      if (mode === 'good') return void res.end(envelope(LIMIT_TABLE));
      if (mode === 'slow') return;
      if (mode === 'huge') return streamHuge(res, 50 * 1024 * 1024, sent);
      if (mode === 'key') return void res.end(JSON.stringify({ code: 4003, msg: 'invalid' }));
      if (mode === 'duplicate') return void res.end(envelope([{ code: 4001, msg: 'a' }, { code: 4001, msg: 'b' }]));
      res.writeHead(302, { location: req.url === '/codes' ? '/again' : '/codes' });
      res.end();
    });
    cli = await live(['--codes-url', api.url(), '--codes-timeout', '1s']);
    const reasons: Record<string, string> = {
      slow: 'no complete answer within 1s (--codes-timeout)',
      huge: 'the answer goes on past the limit of 10485760 bytes (10 MiB)',
      key: 'the API answered code 4003 传入的AppKey无效',
      duplicate: 'code 4001 is given twice (data item 0 and data item 1)',
      loop: `redirect loop (${api.url()} -> ${api.url('/again')} -> ${api.url()})`,
    };
    let failures = 0;
    for (const [m, reason] of Object.entries(reasons)) {
      mode = m;
      cli.proc.kill('SIGHUP');
      failures++;
      await until(() => (cli!.stderr().match(/reload failed/g) ?? []).length === failures, `the ${m} reload`);
      expect(cli.stderr()).toContain(`code table reload failed, keeping the previous table: --codes-url ${api.url()}: ${reason}\n`);
      const s = await scrape(cli.url);
      expect(info(s, '5999')?.labels['description']).toBe('限流');
      expect(sum(s, 'errcode_code_table_reloads_total', { result: 'failure' })).toBe(failures);
    }
  });

  it('gives the codes of a table reloaded after the input ended their series (--keep-serving)', async () => {
    let table = envelope(LIMIT_TABLE);
    api = await startCodesApi((_, res) => res.end(table));
    const log = join(dir, 'replay.ndjson');
    writeFileSync(log, '{"code":5999}\n{"code":200}\n');
    cli = await startCli([log, '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', '--codes-url', api.url()]);
    await until(() => cli!.stderr().includes('input ended'), 'the end of the replay');
    table = envelope([...LIMIT_TABLE, { code: 5998, msg: '熔断' }]);
    cli.proc.kill('SIGHUP');
    await until(() => cli!.stderr().includes('code table reloaded'), 'the reload');
    const s = await scrape(cli.url);
    expect(samples(s, 'errcode_responses_total', { code: '5998' }).map((x) => x.value)).toEqual([0]);
    expect(sum(s, 'errcode_responses_total', { code: '5999' })).toBe(1);
    expect(info(s, '5998')?.labels['description']).toBe('熔断');
  });

  it('reloads --codes files without --codes-url and serves no staleness for them', async () => {
    const file = join(dir, 'sighup.json');
    writeFileSync(file, '{"5999":"旧"}');
    cli = await live(['--codes', file]);
    writeFileSync(file, '{"5999":"新","5998":"另一个"}');
    cli.proc.kill('SIGHUP');
    await until(() => cli!.stderr().includes('code table reloaded'), 'the reload');
    const s = await scrape(cli.url);
    expect(info(s, '5999')?.labels['description']).toBe('新');
    expect(sum(s, 'errcode_code_table_reloads_total', { result: 'success' })).toBe(1);
    expect(samples(s, 'errcode_code_table_codes')).toHaveLength(1);
    expect(samples(s, 'errcode_code_table_last_success_timestamp_seconds')).toHaveLength(0);
  });
});

describe('--codes-cache', () => {
  const cacheOf = (file: string): { url: string; etag?: string; fetched_at: string; confirmed_at: string; codes: { code: number; description: string }[] } =>
    JSON.parse(readFileSync(file, 'utf8'));

  it('keeps the last good table (never the key), replaced atomically, and starts from it with a warning when the API is unreachable', async () => {
    // A directory of its own, to see that no temporary file is left beside the cache.
    const cache = join(mkdirSync(join(dir, 'start-up'), { recursive: true }) ?? join(dir, 'start-up'), 'codes-cache.json');
    api = await startCodesApi((req, res) => {
      res.setHeader('etag', '"v7"');
      res.end(envelope({ list: LIMIT_TABLE }));
    });
    const url = api.url();
    const args = ['--codes-url', url, '--codes-cache', cache, '--codes-url-header', 'X-App-Key: ${ERRCODE_TEST_APP_KEY}'];
    const env = { ERRCODE_TEST_APP_KEY: KEY };

    const first = await describeCode(args, 5999, env);
    expect(first).toMatchObject({ description: '限流', stderr: '', exit: 0 });
    const saved = cacheOf(cache);
    expect(saved).toMatchObject({ url, etag: '"v7"', codes: [{ code: 5999, description: '限流' }] });
    expect(readFileSync(cache, 'utf8')).not.toContain(KEY);
    const inode = statSync(cache).ino;

    // Up again: asks with the cached ETag, and the 304 only moves confirmed_at (a new file renamed over the old).
    api.handle((req, res) => {
      res.writeHead(req.headers['if-none-match'] === '"v7"' ? 304 : 500);
      res.end();
    });
    const second = await describeCode(args, 5999, env);
    expect(second).toMatchObject({ description: '限流', stderr: '', exit: 0 });
    expect(api.requests.at(-1)?.headers['if-none-match']).toBe('"v7"');
    const confirmed = cacheOf(cache);
    expect(confirmed.fetched_at).toBe(saved.fetched_at);
    expect(Date.parse(confirmed.confirmed_at)).toBeGreaterThan(Date.parse(saved.confirmed_at));
    expect(statSync(cache).ino).not.toBe(inode);
    expect(readdirSync(join(dir, 'start-up'))).toEqual(['codes-cache.json']);

    await api.close();
    api = undefined;
    const down = await describeCode(args, 5999, env);
    expect(down.exit).toBe(0);
    expect(down.description).toBe('限流');
    expect(down.stderr).toBe(
      `errcode-stream: --codes-url ${url}: ECONNREFUSED; using the table in --codes-cache ${cache} (1 codes, from the API at ${confirmed.confirmed_at})\n`,
    );

    // The staleness clock goes on from the cache's confirmed_at, not from this start.
    cli = await live(args, env);
    const s = await scrape(cli.url);
    expect(sum(s, 'errcode_code_table_last_success_timestamp_seconds')).toBe(Date.parse(confirmed.confirmed_at) / 1000);
    expect(cli.stderr().split('\n').filter((l) => l.includes('using the table in --codes-cache'))).toHaveLength(1);
  });

  it('fails at start-up when the API is unreachable and there is no cache yet', async () => {
    const url = await deadUrl();
    const cache = join(dir, 'never-written.json');
    const res = await runCli(['--listen', 'none', '--codes-url', url, '--codes-cache', cache], { stdin: '' });
    expect(res.stderr).toBe(`errcode-stream: --codes-url ${url}: ECONNREFUSED\n`);
    expect(res.code).toBe(2);
  });

  it('starts from the cache when the API answers with an error, and says why', async () => {
    const cache = join(dir, 'error-cache.json');
    api = await startCodesApi((_, res) => res.end(envelope(LIMIT_TABLE)));
    expect((await runCli(['codes', '--codes-url', api.url(), '--codes-cache', cache])).code).toBe(0);
    api.handle((_, res) => res.end(JSON.stringify({ code: 4003, msg: 'expired' })));
    const res = await describeCode(['--codes-url', api.url(), '--codes-cache', cache], 5999);
    expect(res.description).toBe('限流');
    expect(res.stderr).toMatch(new RegExp(`^errcode-stream: --codes-url ${api.url()}: the API answered code 4003 传入的AppKey无效; using the table in --codes-cache ${cache} \\(1 codes, from the API at [0-9T:.-]+Z\\)\\n$`));
  });

  it('warns about a cache it cannot use, and loads from the API', async () => {
    api = await startCodesApi((_, res) => res.end(envelope(LIMIT_TABLE)));
    const broken = join(dir, 'broken-cache.json');
    writeFileSync(broken, '{"format":"errcode-stream code table cache","version":1,"url":"http://elsewhere/codes"}');
    const res = await describeCode(['--codes-url', api.url(), '--codes-cache', broken], 5999);
    expect(res.description).toBe('限流');
    expect(res.stderr).toBe(`errcode-stream: --codes-cache ${broken}: holds the table of "http://elsewhere/codes", not of --codes-url ${api.url()}; not used\n`);
    // Replaced by the good table.
    expect(cacheOf(broken).url).toBe(api.url());
  });
});
