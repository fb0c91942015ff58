// A remote-write receiver (a real Prometheus) stopped for 30 s while live input is pushed to it (SPEC
// "History"): the reading and /metrics go on, the queue keeps the newest samples and counts what it drops,
// and once the receiver is back it gets what was kept, timestamps of the outage included.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { generate } from '../../dist/tools/generate.js';
import { startCli } from '../support/cli.js';
import { scrape, sum } from '../support/exposition.js';
import { scalarOf, startPrometheus } from '../support/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-outage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUTAGE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

it('goes on reading and serving while the receiver is down, counts its drops, and delivers what it kept', { timeout: 120_000 }, async () => {
  const storage = join(dir, 'data');
  const port = await freePort();
  const receiver = { scrape: [], remoteWriteReceiver: true, storageDir: storage, port };
  let prom = await startPrometheus(receiver);
  // About 150 series a push (no breakdowns), one push a second: 3000 samples keep the newest 20 s of a 30 s outage.
  const cli = await startCli(
    ['--output', 'none', '--no-labels', '--listen', '127.0.0.1:0', '--remote-write', `${prom.url}/api/v1/write`, '--remote-write-interval', '1s', '--remote-write-queue', '3000', '--remote-write-label', 'instance=outage'],
    { stdin: 'pipe' },
  );
  const lines = generate({ lines: 100_000, seed: 51 }).text.split('\n');
  let at = 0;
  const feed = setInterval(() => {
    cli.proc.stdin!.write(lines.slice(at, at + 20).join('\n') + '\n');
    at += 20;
  }, 100);
  const LINES = 'errcode_input_lines_total{instance="outage",outcome="ok"}';
  try {
    await prom.waitFor(LINES, (r) => (scalarOf(r) ?? 0) > 0, 20_000);
    await prom.stop();
    const downAt = Date.now();

    const before = await scrape(cli.url);
    await sleep(OUTAGE_MS / 2);
    const during = await scrape(cli.url);
    expect(sum(during, 'errcode_input_lines_total')).toBeGreaterThan(sum(before, 'errcode_input_lines_total'));
    expect(sum(during, 'errcode_remote_write_pending_samples')).toBeGreaterThan(0);
    await sleep(downAt + OUTAGE_MS - Date.now());
    const late = await scrape(cli.url);
    expect(sum(late, 'errcode_remote_write_samples_dropped_total')).toBeGreaterThan(0);
    expect(sum(late, 'errcode_remote_write_pending_samples')).toBeLessThanOrEqual(3000 + 2000);

    prom = await startPrometheus(receiver);
    const upAt = Date.now();
    clearInterval(feed);
    await sleep(1500);
    const read = sum(await scrape(cli.url), 'errcode_input_lines_total', { outcome: 'ok' });
    await prom.waitFor(LINES, (r) => scalarOf(r) === read, 30_000);
    // Samples stamped during the outage reached the receiver after it came back.
    const outageSec = Math.floor((upAt - downAt) / 1000);
    const kept = scalarOf(await prom.query(`count_over_time(${LINES}[${outageSec - 2}s])`, (upAt - 1000) / 1000));
    expect(kept).toBeGreaterThan(5);
    const after = await scrape(cli.url);
    expect(sum(after, 'errcode_remote_write_samples_failed_total')).toBe(0);
    expect(sum(after, 'errcode_remote_write_samples_total')).toBeGreaterThan(0);
    expect(cli.stderr()).toMatch(/remote write .*: ECONNREFUSED; retrying, keeping the newest 3000 samples\n/);
    expect(cli.stderr()).toMatch(/remote write .*: delivering again after \d+ failed attempts\n/);
  } finally {
    clearInterval(feed);
    cli.proc.stdin!.end();
    expect(await cli.stop()).toBe(0);
    await prom.stop();
  }
});
