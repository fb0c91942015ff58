// A slow or stalled consumer of the enriched output slows the reading down instead of filling memory, while
// /metrics keeps answering with fresh counts; a consumer that goes away ends the run quietly, followed
// files included.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { CLI } from '../support/exec.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const LINE = '{"ts":"2026-11-25T10:00:00Z","path":"/api/v1/orders","latency_ms":12,"response":{"code":4004,"msg":"签名无效"}}\n';

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

function rssMiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

describe('backpressure', () => {
  it('a stalled stdout reader stops the input at a bounded size, /metrics still answers, and all flows on once it reads', { timeout: 90_000 }, async () => {
    const cli = await startCli(['--output', 'enriched', '--listen', '127.0.0.1:0'], { stdin: 'pipe', stdout: 'pipe' });
    const stdin = cli.proc.stdin!;
    const stdout = cli.proc.stdout!;
    stdout.pause(); // nobody reads the enriched lines
    const block = Buffer.from(LINE.repeat(1000));
    let offered = 0;
    let stalled = false;
    // Write until the CLI stops taking input: its stdin pipe stays full for a whole second.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !stalled; ) {
      if (stdin.write(block)) offered += block.length;
      else {
        offered += block.length;
        stalled = !(await Promise.race([new Promise((r) => stdin.once('drain', () => r(true))), sleep(1000).then(() => false)]));
      }
    }
    expect(stalled).toBe(true);

    // Stalled: the input read so far is a few buffers' worth, and stays there.
    const scrape = async (): Promise<{ bytes: number; ms: number }> => {
      const t0 = Date.now();
      const text = await (await fetch(cli.url)).text();
      return { bytes: metric(text, 'errcode_input_bytes_total'), ms: Date.now() - t0 };
    };
    const first = await scrape();
    await sleep(1500);
    const second = await scrape();
    expect(second.bytes).toBe(first.bytes);
    expect(second.bytes).toBeGreaterThan(0);
    expect(second.bytes).toBeLessThan(16 * 2 ** 20);
    // Answered while the reader is blocked (generous bound for a shared machine).
    expect(second.ms).toBeLessThan(2000);
    expect(rssMiB(cli.proc.pid!)).toBeLessThan(200);

    // The consumer reads again: every line offered comes out, once, and the run ends cleanly.
    let out = 0;
    stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) out++;
    });
    const closed = new Promise<number | null>((r) => cli.proc.once('close', (code) => r(code)));
    stdout.resume();
    stdin.end();
    expect(await closed).toBe(0);
    expect(out).toBe(offered / Buffer.byteLength(LINE));
  });

  it('a closed stdout ends a --follow run quietly with exit code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'errcode-bp-'));
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const child = spawn('bash', ['-c', `node ${CLI} --follow ${log} --from-start --listen none | head -n 3 >/dev/null; echo "$\{PIPESTATUS[0]}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const done = new Promise<void>((r) => child.once('close', () => r()));
    // Keep writing: the CLI finds out at its first write after head has gone.
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      appendFileSync(log, LINE.repeat(100));
      await sleep(100);
    }
    await done;
    expect(stdout.trim()).toBe('0');
    expect(stderr).toBe('');
  });
});
