// The CLI's contract with its user: one-line reasons and exit 2 for mistakes, help and version, the codes
// command, and a clean end on EOF, on signals and on a closed stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../dist/tools/generate.js';
import { CLI, ROOT, codeCounts, runCli, type SummaryJson } from '../support/exec.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bad flags and configuration: one line, exit 2', () => {
  writeFileSync(join(dir, 'bad-codes.json'), '[{"code":"x1","description":"bad"}]');
  it.each([
    [['--bogus-flag'], 'errcode-stream: Unknown argument: bogus-flag; see errcode-stream --help'],
    [['--output', 'xml'], 'errcode-stream: --output "xml": expected one of enriched, none, live'],
    [['--engine', 'turbo'], 'errcode-stream: --engine "turbo": expected one of fast, reference'],
    [['--max-line-bytes', '12XB'], 'errcode-stream: --max-line-bytes "12XB": expected a size like 65536, 64KiB or 1MiB (at most 1GiB)'],
    [['--listen', '1.2.3.4'], 'errcode-stream: --listen "1.2.3.4": expected [HOST]:PORT such as :9477, 127.0.0.1:9477 or [::1]:9477, or none'],
    [['--alert-window', '5'], 'errcode-stream: --alert-window "5": expected a duration like 500ms, 30s, 5m or 1h'],
    [['--alert-window', '30s1h'], 'errcode-stream: --alert-window "30s1h": expected a duration like 500ms, 30s, 5m or 1h'],
    [['--alert-window', '1s1s'], 'errcode-stream: --alert-window "1s1s": expected a duration like 500ms, 30s, 5m or 1h'],
    [['--codes-refresh', '500ms'], 'errcode-stream: --codes-refresh "500ms": expected at least 1s'],
    [['--alertmanager-resend', '10ms'], 'errcode-stream: --alertmanager-resend "10ms": expected at least 1s'],
    [['--alert-window', '1500ms'], 'errcode-stream: --alert-window "1500ms": expected whole seconds, such as 30s or 5m'],
    [['--alert-ratio', '2'], 'errcode-stream: --alert-ratio "2": expected a number above 0 and at most 1'],
    [['--alert-min-count', '0'], 'errcode-stream: --alert-min-count "0": expected an integer of at least 1'],
    [['--max-unlisted-codes', '-1'], 'errcode-stream: --max-unlisted-codes "-1": expected an integer of at least 0'],
    [['--code-field', 'a..b'], 'errcode-stream: --code-field "a..b": expected a dotted path such as response.code'],
    [['--metrics-prefix', '1bad'], 'errcode-stream: --metrics-prefix "1bad": not a valid Prometheus metric name prefix'],
    [['--codes-url', 'ftp://x'], 'errcode-stream: --codes-url "ftp://x": expected an http or https URL'],
    [['--codes', '/nonexistent.json'], 'errcode-stream: --codes /nonexistent.json: no such file'],
    [['--codes', join(dir, 'bad-codes.json')], `errcode-stream: --codes ${join(dir, 'bad-codes.json')}: item 0: code "x1" is not a non-negative integer of at most 12 digits`],
    [['nofile.log'], 'errcode-stream: nofile.log: no such file'],
    [['--follow'], 'errcode-stream: --follow needs one or more files; standard input is followed anyway'],
    [['--alerts', '-', '--output', 'enriched'], 'errcode-stream: --alerts - would mix alert events into the enriched output on stdout; use a file or --output none'],
    [['--keep-serving', '--listen', 'none'], 'errcode-stream: --keep-serving needs the metrics endpoint; --listen none turns it off'],
    [['--summary-json', '-'], 'errcode-stream: --summary-json - would mix the summary into the enriched output on stdout; use a file or --output none'],
    [['--output', 'none', '--alerts', '-', '--summary-json', '-'], 'errcode-stream: --alerts - and --summary-json - would share stdout; send one of them to a file'],
    // Outputs that cannot be written are found before any input is read, not at the end of the run.
    [['--summary-json', '/nonexistent-dir/s.json'], 'errcode-stream: --summary-json /nonexistent-dir/s.json: no such directory /nonexistent-dir'],
    [['--alerts', '/nonexistent-dir/a.ndjson'], 'errcode-stream: --alerts /nonexistent-dir/a.ndjson: no such directory /nonexistent-dir'],
    [['--dead-letter', dir], `errcode-stream: --dead-letter ${dir}: is a directory`],
    // A value-taking flag given last, without its value, is a mistake, not "off".
    [['--dead-letter'], 'errcode-stream: --dead-letter needs a value'],
    [['--dead-letter', '-'], 'errcode-stream: --dead-letter -: needs a file name (- for stdout is for --alerts and --summary-json)'],
    [['--alerts'], 'errcode-stream: --alerts needs a value'],
    [['--alerts', 'a.ndjson', '--alerts', 'b.ndjson'], 'errcode-stream: --alerts takes one value; it was given 2'],
    [['--summary-json'], 'errcode-stream: --summary-json needs a value'],
    [['--codes'], 'errcode-stream: --codes needs a value'],
    [['--alertmanager-url'], 'errcode-stream: --alertmanager-url needs a value'],
    [['--max-unlisted-codes', ''], 'errcode-stream: --max-unlisted-codes "": expected an integer of at least 0'],
    [['--alert-min-count', '0x14'], 'errcode-stream: --alert-min-count "0x14": expected an integer of at least 1'],
    [['--alert-factor', '0x10'], 'errcode-stream: --alert-factor "0x10": expected a number above 0 and at most 1000000'],
    [['--state-file', join(dir, 'state.json')], 'errcode-stream: --state-file works with --follow'],
    [['--from-start'], 'errcode-stream: --from-start works with --follow'],
    [['--follow', join(dir, 'gw.log.gz')], `errcode-stream: --follow reads plain text files as they grow; ${join(dir, 'gw.log.gz')} is compressed`],
    [['codes', '--format', 'yaml'], 'errcode-stream: --format "yaml": expected one of table, json, markdown'],
    // The code table from the platform's API: a header value may be a key, so only its name is ever shown.
    [['--codes-url-header', 'X-App-Key: k'], 'errcode-stream: --codes-url-header works with --codes-url'],
    [['--codes-cache', join(dir, 'c.json')], 'errcode-stream: --codes-cache works with --codes-url'],
    [['--codes-timeout', '5s'], 'errcode-stream: --codes-timeout works with --codes-url'],
    [['--codes-url', 'http://api.invalid/a', '--codes-url', 'http://api.invalid/b'], 'errcode-stream: --codes-url takes one value; it was given 2'],
    [['--codes-url', 'http://api.invalid/codes', '--codes-url-header', 'k-secret-no-name'], "errcode-stream: --codes-url-header: expected 'Name: value', such as 'X-App-Key: ${APP_KEY}'"],
    [['--codes-url', 'http://api.invalid/codes', '--codes-url-header', 'X App: k-secret'], 'errcode-stream: --codes-url-header "X App": not an HTTP header name'],
    [['--codes-url', 'http://api.invalid/codes', '--codes-url-header', 'X-App-Key: ${ERRCODE_TEST_UNSET_VARIABLE}'], 'errcode-stream: --codes-url-header X-App-Key: the environment variable ERRCODE_TEST_UNSET_VARIABLE is not set'],
    [['codes', '--codes-url', 'http://api.invalid/codes', '--codes-url-header', 'Authorization: Bearer ${ERRCODE_TEST_UNSET_VARIABLE}'], 'errcode-stream: --codes-url-header Authorization: the environment variable ERRCODE_TEST_UNSET_VARIABLE is not set'],
    [['--codes-url', 'http://api.invalid/codes', '--codes-cache', '/nonexistent-dir/c.json'], 'errcode-stream: --codes-cache /nonexistent-dir/c.json: no such directory /nonexistent-dir'],
    [['--codes-url', 'http://api.invalid/codes', '--codes-cache', '-'], 'errcode-stream: --codes-cache -: needs a file name'],
    [['--codes-url', 'http://api.invalid/codes', '--codes-timeout', 'soon'], 'errcode-stream: --codes-timeout "soon": expected a duration like 500ms, 30s, 5m or 1h'],
    // Breakdowns (SPEC "Breakdowns").
    [['--label', 'route'], 'errcode-stream: --label "route": expected NAME=PATH, such as route=request.path'],
    [['--label', 'Route=path'], 'errcode-stream: --label "Route=path": "Route" is not a label name (lower case letters, digits and _, not first a digit)'],
    [['--label', '1x=path'], 'errcode-stream: --label "1x=path": "1x" is not a label name (lower case letters, digits and _, not first a digit)'],
    [['--label', 'code=response.code'], 'errcode-stream: --label "code=response.code": "code" is taken (code, category, outcome, family, le, instance, job are reserved)'],
    [['--label', 'instance=host'], 'errcode-stream: --label "instance=host": "instance" is taken (code, category, outcome, family, le, instance, job are reserved)'],
    [['--label', '__name__=x'], "errcode-stream: --label \"__name__=x\": names starting with __ are Prometheus's own"],
    [['--label', 'route='], 'errcode-stream: --label "route=": expected a dotted path after =, such as request.path'],
    [['--label', 'route=a..b'], 'errcode-stream: --label "route=a..b": expected a dotted path after =, such as request.path'],
    [['--label', 'api=path', '--label', 'api=uri'], 'errcode-stream: --label api: given twice'],
    [['--label'], 'errcode-stream: --label needs a value'],
    [['--label', 'a=a', '--label', 'b=b', '--label', 'c=c', '--label', 'd=d', '--label', 'e=e', '--label', 'f=f', '--label', 'g=g', '--label', 'h=h', '--label', 'i=i'], 'errcode-stream: --label: at most 8 dimensions; 9 were given'],
    [['--no-labels', '--label', 'route=path'], 'errcode-stream: --no-labels turns the dimensions off; it cannot go with --label'],
    [['--route-pattern', 'orders/:id'], 'errcode-stream: --route-pattern "orders/:id": expected a path starting with /, such as /openapi/v1/orders/:id'],
    [['--route-pattern', '/a/*/b'], 'errcode-stream: --route-pattern "/a/*/b": * stands alone as the last segment'],
    [['--route-pattern', '/a/:9'], 'errcode-stream: --route-pattern "/a/:9": ":9" is not a :name (letters, digits, _)'],
    [['--route-pattern', '/a?x=1'], 'errcode-stream: --route-pattern "/a?x=1": a pattern is a path: no query, fragment or spaces'],
    [['--no-labels', '--route-pattern', '/a/:id'], 'errcode-stream: --route-pattern shapes the route dimension, and there is none (see --label)'],
    [['--label', 'api=path', '--route-pattern', '/a/:id'], 'errcode-stream: --route-pattern shapes the route dimension, and there is none (see --label)'],
    [['--max-label-values', '0'], 'errcode-stream: --max-label-values "0": expected an integer of at least 1'],
    [['--max-label-values', '5000'], 'errcode-stream: --max-label-values 5000: at most 1000 (each value is a set of series in every scrape)'],
    [['--max-label-series', 'many'], 'errcode-stream: --max-label-series "many": expected an integer of at least 1'],
  ])('%j', async (args, message) => {
    const res = await runCli(args);
    expect(res.stderr).toBe(`${message}\n`);
    expect(res.code).toBe(2);
    expect(res.stdout.length).toBe(0);
  });

  it('reports a metrics port already in use', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as AddressInfo).port;
    const res = await runCli(['--listen', `127.0.0.1:${port}`], { stdin: '' });
    blocker.close();
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*in use`));
  });
});

describe('help, version and the code table', () => {
  it('prints help with examples and the flags', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    const help = res.stdout.toString();
    expect(help).toContain('tail -F /var/log/gateway/api.log | errcode-stream');
    for (const flag of ['--follow', '--listen', '--web-config', '--alert-window', '--alertmanager-url', '--output', '--dead-letter']) expect(help).toContain(flag);
    const short = await runCli(['-h']);
    expect(short.code).toBe(0);
    expect(short.stdout.toString()).toBe(help);
  });

  it('prints the version of package.json', async () => {
    const res = await runCli(['--version']);
    expect(res.stdout.toString().trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('prints the effective table as JSON, with --codes overrides', async () => {
    const extra = join(dir, 'extra.json');
    writeFileSync(extra, JSON.stringify({ '4004': '签名错误', '700001': '新业务' }));
    const res = await runCli(['codes', '--format', 'json', '--codes', extra]);
    const table = JSON.parse(res.stdout.toString()) as { code: number; description: string; category: string }[];
    expect(table.find((e) => e.code === 4004)?.description).toBe('签名错误');
    expect(table.find((e) => e.code === 700001)?.category).toBe('unknown');
    expect(table.find((e) => e.code === 500013)?.category).toBe('platform_auth');
  });

  it('loads a table from --codes-url', async () => {
    const server = createServer((_, res) => res.end('[{"code":5999,"description":"限流","category":"server","description_en":"Rate limited"}]')).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codes`;
    const res = await runCli(['--listen', 'none', '--output', 'enriched', '--codes-url', url], { stdin: '{"code":5999}\n' });
    server.close();
    expect(JSON.parse(res.stdout.toString()).errcode).toEqual({ code: '5999', category: 'server', description: '限流', description_en: 'Rate limited' });
  });

  it('fails at start-up when --codes-url cannot be loaded', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const res = await runCli(['--listen', 'none', '--codes-url', `http://127.0.0.1:${port}/codes`], { stdin: '' });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`errcode-stream: --codes-url http://127.0.0.1:${port}/codes: ECONNREFUSED\n`);
  });
});

describe('life cycle', () => {
  const { text, truth } = generate({ lines: 20_000, seed: 3 });

  it('ends quietly when stdout closes (| head)', async () => {
    const res = await new Promise<{ code: number | null; stderr: string; out: string }>((resolve) => {
      const child = spawn('bash', ['-c', `node ${CLI} --listen none | head -n 3`], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.stdin.on('error', () => {});
      child.stdin.end(text + text + text);
      child.on('close', (code) => resolve({ code, stderr, out }));
    });
    expect(res.out.trim().split('\n')).toHaveLength(3);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('flushes, prints the summary and exits 0 on SIGTERM while stdin stays open', async () => {
    const summary = join(dir, 'sigterm.json');
    const res = await runCli(['--output', 'enriched', '--listen', 'none', '--summary-json', summary], {
      onSpawn: (child) => {
        child.stdin!.write(text);
        // Signal once every line has come out: the run is then idle on an open stdin.
        whenOutput(child, (out) => out.split('\n').length > truth.lines + truth.blank, () => child.kill('SIGTERM'));
      },
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('errcode-stream: 20,000 lines');
    const s = JSON.parse(readFileSync(summary, 'utf8')) as SummaryJson;
    expect(codeCounts(s)).toEqual(truth.codes);
  });

  it('exits 0 on SIGINT too', async () => {
    const res = await runCli(['--output', 'enriched', '--listen', 'none'], {
      onSpawn: (child) => {
        child.stdin!.write(text.slice(0, 10_000));
        whenOutput(child, (out) => out.length > 0, () => child.kill('SIGINT'));
      },
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('lines');
  });

  it('exits at once with 130 on a second SIGINT while the first waits for an Alertmanager that never answers', async () => {
    // The first SIGINT's shutdown gives a hung Alertmanager 2 s to take the firing alert; the second ends it.
    const hung = createServer(() => {});
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    const res = await runCli(['--output', 'none', '--listen', 'none', '--alertmanager-url', url], {
      onSpawn: (child) => {
        child.stdin!.write(readFileSync(join(ROOT, 'fixtures/sample.ndjson')));
        let err = '';
        let interrupted = false;
        child.stderr!.on('data', (b: Buffer) => {
          err += b.toString();
          if (interrupted || !err.includes('"status":"firing"')) return;
          interrupted = true;
          child.kill('SIGINT');
          setTimeout(() => child.kill('SIGINT'), 200);
        });
      },
    });
    hung.closeAllConnections();
    hung.close();
    expect(res.code).toBe(130);
    expect(res.stderr).not.toContain('lines, ');
  });

  it('reads files named like numbers by their names', async () => {
    // yargs' own positional numbers would make `2024.10` the number 2024.1 (leading zeros it leaves alone).
    writeFileSync(join(dir, '007'), '{"code":200}\n{"code":200}\n');
    writeFileSync(join(dir, '2024.10'), '{"code":5001}\n');
    const summary = join(dir, 'numbers.json');
    const res = await runCli(['007', '2024.10', '--summary-json', summary, '--listen', 'none', '--output', 'none'], { cwd: dir });
    expect(res.stderr).not.toContain('no such file');
    expect(res.code).toBe(0);
    expect(codeCounts(JSON.parse(readFileSync(summary, 'utf8')) as SummaryJson)).toEqual({ '200': 2, '5001': 1 });
  });

  it('skips oversized lines without losing the next ones, and dead-letters what it could not count', async () => {
    const dead = join(dir, 'dead.ndjson');
    const summary = join(dir, 'oversized.json');
    const big = `{"code":500,"pad":"${'x'.repeat(5000)}"}`;
    const input = `{"code":200}\n${big}\n{"code":4004}\nnot json\n{"msg":"no code"}\n${big}`;
    const res = await runCli(['--max-line-bytes', '1KiB', '--dead-letter', dead, '--summary-json', summary, '--listen', 'none', '--output', 'enriched'], { stdin: input });
    expect(res.code).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as SummaryJson;
    expect(s.lines).toMatchObject({ ok: 2, oversized: 2, malformed: 1, missing_code: 1 });
    expect(codeCounts(s)).toEqual({ '200': 1, '4004': 1 });
    const out = res.stdout.toString().split('\n');
    expect(out[1]).toBe(big);
    expect(out[5]).toBe(big);
    expect(readFileSync(dead, 'utf8')).toBe(`${big.slice(0, 1024)}\nnot json\n{"msg":"no code"}\n${big.slice(0, 1024)}\n`);
  });

  it('reloads --codes files on SIGHUP', async () => {
    const codes = join(dir, 'reload.json');
    writeFileSync(codes, '{"5999":"旧描述"}');
    const res = await runCli(['--codes', codes, '--output', 'enriched', '--listen', 'none'], {
      onSpawn: (child) => {
        child.stdin!.write('{"code":5999}\n');
        whenOutput(child, (out) => out.includes('\n'), () => {
          writeFileSync(codes, '{"5999":"新描述"}');
          let reloaded = '';
          child.stderr!.on('data', (b: Buffer) => {
            reloaded += b.toString();
            if (reloaded.includes('code table reloaded')) child.stdin!.end('{"code":5999}\n');
          });
          child.kill('SIGHUP');
        });
      },
    });
    const lines = res.stdout.toString().trim().split('\n').map((l) => JSON.parse(l).errcode.description);
    expect(lines).toEqual(['旧描述', '新描述']);
    expect(res.stderr).toContain('code table reloaded');
  });
});

/** Calls `then` once, when the child's stdout so far satisfies `ready`. */
function whenOutput(child: ChildProcess, ready: (out: string) => boolean, then: () => void): void {
  let out = '';
  let done = false;
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    if (!done && ready(out)) {
      done = true;
      then();
    }
  });
}
