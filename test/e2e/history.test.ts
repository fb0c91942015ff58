// History from the command line (SPEC "History"): the flags' one-line errors, and the real CLI pushing to a
// remote-write receiver on loopback: a replay at event time that waits for a slow receiver and drops
// nothing, live input at wall-clock time, and a stop while the receiver is unreachable.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../dist/tools/generate.js';
import { startCli } from '../support/cli.js';
import { runCli } from '../support/exec.js';
import { labelsOf, startReceiver, staleMarkers } from '../support/remote-write.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = join(dir, 'gw.ndjson');
writeFileSync(log, '{"code":200}\n');
const RW = ['--remote-write', 'http://127.0.0.1:9/api/v1/write'];

describe('history flags: one line, exit 2', () => {
  it.each([
    [['--remote-write', 'ftp://x'], 'errcode-stream: --remote-write "ftp://x": expected an http or https URL'],
    [['--remote-write', 'not a url'], 'errcode-stream: --remote-write "not a url": not a URL'],
    [['--remote-write'], 'errcode-stream: --remote-write needs a value'],
    [[...RW, '--remote-write-header', 'X-Scope-OrgID'], `errcode-stream: --remote-write-header "X-Scope-OrgID": expected 'Name: value'`],
    [[...RW, '--remote-write-header', 'Content-Type: text/plain'], 'errcode-stream: --remote-write-header "Content-Type: text/plain": Content-Type is set by the remote-write protocol'],
    [[...RW, '--remote-write-header', 'Authorization: Bearer ${ERRCODE_NO_SUCH_TOKEN}'], 'errcode-stream: --remote-write-header "Authorization: Bearer ${ERRCODE_NO_SUCH_TOKEN}": ERRCODE_NO_SUCH_TOKEN is not set in the environment'],
    [[...RW, '--remote-write-label', '1bad=x'], 'errcode-stream: --remote-write-label "1bad=x": "1bad" is not a label name (letters, digits and _, not starting with a digit or __)'],
    [[...RW, '--remote-write-label', '__name__=x'], 'errcode-stream: --remote-write-label "__name__=x": "__name__" is not a label name (letters, digits and _, not starting with a digit or __)'],
    [[...RW, '--remote-write-label', 'job'], 'errcode-stream: --remote-write-label "job": expected NAME=VALUE'],
    [[...RW, '--remote-write-interval', '500ms'], 'errcode-stream: --remote-write-interval "500ms": expected at least 1s'],
    [[...RW, '--remote-write-interval', 'soon'], 'errcode-stream: --remote-write-interval "soon": expected a duration like 500ms, 30s, 5m or 1h'],
    [[...RW, '--remote-write-queue', '0'], 'errcode-stream: --remote-write-queue "0": expected an integer of at least 1'],
    [['--remote-write-header', 'X-Scope-OrgID: a'], 'errcode-stream: --remote-write-header works with --remote-write'],
    [['--remote-write-label', 'region=eu'], 'errcode-stream: --remote-write-label works with --remote-write or --openmetrics'],
    [['--openmetrics', join(dir, 'x.om')], 'errcode-stream: --openmetrics writes the history of a replay; it needs files to read, not standard input or --follow'],
    [[log, '--openmetrics', '-'], 'errcode-stream: --openmetrics -: needs a file name'],
    [[log, '--openmetrics', '/nonexistent-dir/x.om'], 'errcode-stream: --openmetrics /nonexistent-dir/x.om: no such directory /nonexistent-dir'],
  ])('%j', async (args, message) => {
    const res = await runCli(args);
    expect(res.stderr).toBe(`${message}\n`);
    expect(res.code).toBe(2);
  });

  it('lists the flags in --help', async () => {
    const help = (await runCli(['--help'])).stdout.toString();
    for (const flag of ['--remote-write ', '--remote-write-interval', '--remote-write-label', '--remote-write-header', '--remote-write-queue', '--openmetrics']) expect(help).toContain(flag);
  });
});

describe('remote write from the CLI to a receiver on loopback', () => {
  const start = Date.UTC(2026, 10, 27, 10, 0, 0);
  const { text, truth } = generate({ lines: 6000, seed: 15, rate: 5, startMs: start, hostile: 0.02 });
  const archive = join(dir, 'day.ndjson.gz');
  writeFileSync(archive, gzipSync(text));

  it('replays an archive at its event times through a slow receiver and a small queue, dropping nothing', async () => {
    const rx = await startReceiver(() => ({ status: 200, delayMs: 20 }));
    const om = join(dir, 'day.om');
    const res = await runCli([archive, '--output', 'none', '--remote-write', rx.url, '--remote-write-queue', '500', '--remote-write-label', 'instance=gw-7', '--openmetrics', om]);
    await rx.close();
    expect(res.code).toBe(0);
    const accepted = rx.accepted();
    const lines = accepted.filter(([l, s]) => l['__name__'] === 'errcode_input_lines_total' && l['outcome'] === 'ok' && !Number.isNaN(s.value));
    // A point every 15 s of the log's clock: from the boundary of its first line to the one after its last.
    const times = lines.map(([, s]) => s.timestamp);
    expect(times[0]).toBe(start);
    expect(times.every((t, i) => i === 0 || t === times[i - 1]! + 15_000)).toBe(true);
    const ends = Math.ceil((start + 1200_000) / 15_000) * 15_000;
    expect(times.at(-1)).toBe(ends);
    expect(lines.at(-1)![1].value).toBe(truth.outcomes.ok);
    expect(lines[0]![0]).toEqual({ __name__: 'errcode_input_lines_total', outcome: 'ok', instance: 'gw-7', job: 'errcode-stream' });
    // Every series ends with a stale marker one interval after the last point.
    expect(rx.requests.reduce((n, r) => n + staleMarkers(r.raw), 0)).toBe(new Set(accepted.map(([l]) => JSON.stringify(l))).size);
    const sent = rx.requests.reduce((n, r) => n + r.series.reduce((m, s) => m + s.samples.length, 0), 0);
    const account = res.stderr.split('\n').find((l) => l.startsWith(`errcode-stream: remote write ${rx.url}:`));
    expect(account).toBe(
      `errcode-stream: remote write ${rx.url}: ${sent.toLocaleString('en-US')} samples delivered in ${rx.requests.length} requests, ${times.length} points, ` +
        `event time 2026-11-27T10:00:00Z to ${new Date(ends).toISOString().replace('.000Z', 'Z')}, ${account!.match(/, ([\d.]+) s;/)![1]} s; 0 failed, 0 dropped`,
    );
    // The OpenMetrics file has the same points (without the stale markers).
    const omLines = readFileSync(om, 'utf8').split('\n').filter((l) => l.startsWith('errcode_input_lines_total{') && l.includes('outcome="ok"'));
    expect(omLines.map((l) => Number(l.split(' ').at(-1)) * 1000)).toEqual(times);
  });

  it('puts a replay without event times at the time of the run, and says so', async () => {
    const plain = join(dir, 'untimed.ndjson');
    writeFileSync(plain, '{"code":200}\n{"code":5021}\n');
    const om = join(dir, 'untimed.om');
    const before = Date.now();
    const res = await runCli([plain, '--output', 'none', '--openmetrics', om]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('errcode-stream: history: no line of the input had an event time (see --time-field); its counts go at the time of the run\n');
    const line = readFileSync(om, 'utf8').split('\n').find((l) => l.startsWith('errcode_responses_total{category="server",code="5021"'))!;
    expect(line.split(' ')[1]).toBe('1');
    expect(Number(line.split(' ')[2]) * 1000).toBeGreaterThanOrEqual(before);
  });

  it('stops waiting for a receiver that keeps failing at a signal, and gives its account', async () => {
    const rx = await startReceiver(() => ({ status: 503 }));
    let told = false;
    const res = await runCli([archive, '--output', 'none', '--listen', 'none', '--remote-write', rx.url], {
      onSpawn: (child) =>
        child.stderr!.on('data', (b: Buffer) => {
          if (!told && b.toString().includes('retrying')) {
            told = true;
            setTimeout(() => child.kill('SIGINT'), 300);
          }
        }),
    });
    await rx.close();
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`remote write ${rx.url}: 0 samples delivered in \\d+ requests, 81 points, .*; 0 failed, [\\d,]+ dropped\n`));
  });

  it('pushes live input at wall-clock time, with every errcode_* series of /metrics', async () => {
    const rx = await startReceiver();
    const before = Date.now();
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--remote-write', rx.url, '--remote-write-interval', '1s'], { stdin: 'pipe' });
    cli.proc.stdin!.write('{"code":5021}\n{"code":200,"msg":"签名 \\"x\\""}\n');
    const deadline = Date.now() + 10_000;
    while (rx.requests.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const scraped = await (await fetch(cli.url)).text();
    cli.proc.stdin!.end();
    expect(await cli.stop()).toBe(0);
    await rx.close();
    const accepted = rx.accepted();
    for (const [, s] of accepted) expect(s.timestamp).toBeGreaterThanOrEqual(before);
    const names = new Set(accepted.map(([l]) => l['__name__']));
    const served = new Set(scraped.split('\n').filter((l) => l.startsWith('errcode_')).map((l) => l.replace(/[{ ].*/, '')));
    expect(names).toEqual(served);
    const last5021 = accepted.filter(([l, s]) => l['__name__'] === 'errcode_responses_total' && l['code'] === '5021' && !Number.isNaN(s.value)).at(-1)!;
    expect(last5021[1].value).toBe(1);
    expect(labelsOf(rx.requests[0]!.series[0]!)['job']).toBe('errcode-stream');
  });

  it('stops within seconds when the receiver is unreachable, counting what it could not send as dropped', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api/v1/write`;
    await new Promise((r) => closed.close(r));
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--remote-write', url, '--remote-write-interval', '1s'], { stdin: 'pipe' });
    cli.proc.stdin!.write('{"code":200}\n');
    await new Promise((r) => setTimeout(r, 1500));
    const metrics = await (await fetch(cli.url)).text();
    expect(metrics).toMatch(new RegExp(`errcode_remote_write_pending_samples\\{remote="${url}"\\} [1-9]`));
    expect(await cli.stop()).toBe(0);
    expect(cli.stderr()).toContain(`remote write ${url}: ECONNREFUSED; retrying, keeping the newest 100000 samples\n`);
    expect(cli.stderr()).toMatch(new RegExp(`remote write ${url}: 0 samples delivered in \\d+ requests, \\d+ points, [\\d.]+ s; 0 failed, [1-9][\\d,]* dropped\n`));
  });
});
