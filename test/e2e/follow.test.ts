// --follow end to end: the real CLI follows real files while the test rotates, truncates, deletes and
// re-creates them the way logrotate and gateway processes do. Counts come from /metrics while it runs and
// from --summary-json at the end, and must equal what was written, line for line.
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { runCli, type SummaryJson } from '../support/exec.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let seq = 0;
/** n distinct complete lines (their first bytes differ, as real logs' timestamps do). */
function lines(n: number, code = 200): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `{"seq":${++seq},"ts":"2026-11-25T10:00:00Z","path":"/api/v1/orders","code":${code}}\n`;
  return s;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'errcode-follow-'));
}

interface Followed {
  cli: RunningCli;
  summaryPath: string;
  /** Lines counted so far under any outcome, from /metrics. */
  counted(): Promise<number>;
  /** Waits until /metrics shows exactly n lines (fails after timeoutMs, or if it overshoots). */
  until(n: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM, exit 0, and the summary it wrote. */
  finish(): Promise<SummaryJson>;
}

async function followFiles(dir: string, files: readonly string[], extra: readonly string[] = []): Promise<Followed> {
  const id = Math.random().toString(16).slice(2);
  const summaryPath = join(dir, `summary-${id}.json`);
  // The follower writes its state file as soon as it has opened the files: that is when it is ready (before
  // that, lines appended to an existing file would count as already there and be skipped, as tail -F does).
  const ready = extra.includes('--state-file') ? undefined : join(dir, `ready-${id}.json`);
  const stateArgs = ready ? ['--state-file', ready] : [];
  const cli = await startCli(['--follow', ...files, ...extra, ...stateArgs, '--output', 'none', '--listen', '127.0.0.1:0', '--summary-json', summaryPath]);
  for (const deadline = Date.now() + 10_000; ready && !existsSync(ready) && Date.now() < deadline; ) await sleep(10);
  const counted = async (): Promise<number> => {
    const text = await (await fetch(cli.url)).text();
    let total = 0;
    for (const m of text.matchAll(/^errcode_input_lines_total\{outcome="[a-z_]+"\} (\d+)$/gm)) total += Number(m[1]);
    return total;
  };
  const until = async (n: number, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let c = await counted();
    while (c < n && Date.now() < deadline) {
      await sleep(25);
      c = await counted();
    }
    if (c !== n) throw new Error(`expected ${n} lines counted, /metrics shows ${c}\n${cli.stderr()}`);
  };
  const finish = async (): Promise<SummaryJson> => {
    expect(await cli.stop()).toBe(0);
    return JSON.parse(readFileSync(summaryPath, 'utf8')) as SummaryJson;
  };
  return { cli, summaryPath, counted, until, finish };
}

/** Lines counted under any outcome in a summary. */
const total = (s: SummaryJson): number => s.lines['total']!;

/** The CLI's descriptors that point at `path` (deleted or not). */
function descriptorsOn(pid: number, path: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith(path)) out.push(target);
    } catch {
      // closed between readdir and readlink
    }
  }
  return out;
}

describe('follow: where it starts', () => {
  it('starts at the end of an existing file, and counts an unfinished last line once it is complete', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, lines(100) + '{"seq":0,"code":');
    const f = await followFiles(dir, [log]);
    appendFileSync(log, '4004}\n' + lines(10));
    await f.until(11);
    const s = await f.finish();
    expect(s.lines).toMatchObject({ total: 11, ok: 11 });
    expect(s.codes.find((c) => c.code === '4004')?.count).toBe(1);
  });

  it('reads existing files whole with --from-start', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, lines(100));
    const f = await followFiles(dir, [log], ['--from-start']);
    await f.until(100);
    appendFileSync(log, lines(5));
    await f.until(105);
    expect(total(await f.finish())).toBe(105);
  });

  it('follows a file created after the start, from its first line', async () => {
    const dir = tempDir();
    const log = join(dir, 'late.log');
    const f = await followFiles(dir, [log]);
    await sleep(300);
    appendFileSync(log, lines(50));
    await f.until(50);
    expect(total(await f.finish())).toBe(50);
  });

  it('follows several files at once', async () => {
    const dir = tempDir();
    const paths = ['a.log', 'b.log', 'c.log'].map((n) => join(dir, n));
    for (const p of paths) writeFileSync(p, '');
    const f = await followFiles(dir, paths);
    paths.forEach((p, i) => appendFileSync(p, lines(10 * (i + 1))));
    await f.until(60);
    expect(total(await f.finish())).toBe(60);
  });

  it('refuses --engine reference, which reads its input once, with exit code 2', async () => {
    const res = await runCli(['--follow', join(tempDir(), 'api.log'), '--engine', 'reference', '--listen', 'none']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--follow needs the fast engine');
  });

  it('refuses a directory or a FIFO with exit code 2 (opening a FIFO would block)', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    for (const path of [dir, join(dir, 'fifo')]) {
      const res = await runCli(['--follow', path, '--output', 'none', '--listen', 'none'], { timeoutMs: 10_000 });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`${path}: not a regular file`);
    }
  });
});

describe('follow: the rotation matrix', () => {
  it('rename + create, writer keeps its file open: the old file is read to its end, including a line written to it after the rename was seen', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const f = await followFiles(dir, [log]);
    const old = openSync(log, 'a');
    writeSync(old, lines(100));
    await f.until(100);
    renameSync(log, `${log}.1`);
    writeSync(old, lines(20)); // the gateway has not reopened yet
    const fresh = openSync(log, 'a');
    writeSync(fresh, lines(10));
    await f.until(130); // the follower has switched to the new file
    writeSync(old, lines(1)); // a late line into the rotated file
    writeSync(fresh, lines(30));
    closeSync(old);
    closeSync(fresh);
    await f.until(161);
    expect(total(await f.finish())).toBe(161);
  });

  it('rename + create, writer reopens for every write: five rotations in a burst lose nothing', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const f = await followFiles(dir, [log]);
    for (let r = 1; r <= 5; r++) {
      for (let i = 0; i < 10; i++) appendFileSync(log, lines(10));
      renameSync(log, `${log}.${r}`);
    }
    appendFileSync(log, lines(7));
    await f.until(507);
    expect(total(await f.finish())).toBe(507);
  });

  it('copytruncate, writer keeps its file open (O_APPEND): lines after the truncation are read from the start', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const f = await followFiles(dir, [log]);
    const fd = openSync(log, 'a');
    writeSync(fd, lines(200));
    await f.until(200);
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    writeSync(fd, lines(100));
    closeSync(fd);
    await f.until(300);
    expect(total(await f.finish())).toBe(300);
  });

  it('copytruncate, writer reopens: refilled past the old size before the next poll, still read from the start', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const f = await followFiles(dir, [log]);
    appendFileSync(log, lines(200));
    await f.until(200);
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(300)); // more bytes than before: only the first bytes tell
    await f.until(500);
    expect(total(await f.finish())).toBe(500);
  });

  it('truncation: 200 lines, truncate, 100 more gives 300', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const f = await followFiles(dir, [log]);
    appendFileSync(log, lines(200));
    await f.until(200);
    truncateSync(log, 0);
    await sleep(300);
    appendFileSync(log, lines(100));
    await f.until(300);
    expect(total(await f.finish())).toBe(300);
  });

  it('deletion: the descriptor is released, and a re-created file is followed from its start', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const f = await followFiles(dir, [log]);
    const pid = f.cli.proc.pid!;
    const writer = openSync(log, 'a'); // a writer that still holds the deleted file
    writeSync(writer, lines(100));
    await f.until(100);
    expect(descriptorsOn(pid, log)).toHaveLength(1);
    rmSync(log);
    const deadline = Date.now() + 5000;
    while (descriptorsOn(pid, log).length > 0 && Date.now() < deadline) await sleep(50);
    expect(descriptorsOn(pid, log)).toEqual([]);
    closeSync(writer);
    appendFileSync(log, lines(50));
    await f.until(150);
    expect(total(await f.finish())).toBe(150);
  });

  it('a symlink swapped to another file: the old target is read to its end, then the new one', async () => {
    const dir = tempDir();
    const a = join(dir, 'api-1.log');
    const b = join(dir, 'api-2.log');
    const link = join(dir, 'current.log');
    writeFileSync(a, '');
    symlinkSync(a, link);
    const f = await followFiles(dir, [link]);
    appendFileSync(a, lines(40));
    await f.until(40);
    appendFileSync(b, lines(25));
    symlinkSync(b, `${link}.new`);
    renameSync(`${link}.new`, link); // an atomic swap, as deploy tools do it
    appendFileSync(a, lines(5));
    await f.until(70);
    expect(total(await f.finish())).toBe(70);
  });

  it('shows a new line in /metrics within one second', async () => {
    const dir = tempDir();
    const log = join(dir, 'api.log');
    writeFileSync(log, '');
    const f = await followFiles(dir, [log]);
    const delays: number[] = [];
    for (let i = 1; i <= 5; i++) {
      await sleep(1200); // long enough for the follower to reach its longest idle sleep
      appendFileSync(log, lines(1));
      const t0 = Date.now();
      while ((await f.counted()) < i && Date.now() - t0 < 5000) await sleep(20);
      delays.push(Date.now() - t0);
    }
    await f.finish();
    // Shared machines stall now and then: four of five within the second.
    expect(delays.filter((d) => d < 1000).length, `delays ${delays.join(', ')} ms`).toBeGreaterThanOrEqual(4);
  });
});

describe('follow: volume', () => {
  it('5 files x 100,000 lines rotated every 256 KB: exactly 500,000 counted', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const paths = [1, 2, 3, 4, 5].map((i) => join(dir, `gw${i}.log`));
    for (const p of paths) writeFileSync(p, '');
    const f = await followFiles(dir, paths);
    const size = paths.map(() => 0);
    const gen = paths.map(() => 0);
    const PER_WRITE = 200;
    for (let done = 0; done < 100_000; done += PER_WRITE) {
      paths.forEach((p, i) => {
        const text = lines(PER_WRITE);
        appendFileSync(p, text);
        size[i]! += text.length;
        if (size[i]! >= 256 * 1024) {
          renameSync(p, `${p}.${++gen[i]!}`);
          size[i] = 0;
        }
      });
      if (done % 5000 === 0) await sleep(1);
    }
    const wrote = Date.now();
    await f.until(500_000, 120_000);
    console.log(`volume: ${gen.reduce((a, b) => a + b, 0)} rotations, all counted ${Date.now() - wrote} ms after the last write`);
    const s = await f.finish();
    expect(s.lines).toMatchObject({ total: 500_000, ok: 500_000 });
  });
});

describe('follow: --state-file', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`resumes after ${signal} where it stopped: lines written and rotated while down are all counted, none twice`, async () => {
      const dir = tempDir();
      const log = join(dir, 'api.log');
      const state = join(dir, 'state.json');
      writeFileSync(log, lines(100));
      const first = await followFiles(dir, [log], ['--from-start', '--state-file', state]);
      await first.until(100);
      appendFileSync(log, lines(50) + '{"seq":0,"code":'); // stopped mid-line
      await first.until(150);
      let before: number;
      if (signal === 'SIGTERM') {
        before = total(await first.finish());
      } else {
        // The state is saved every second; wait for it to cover what was read, then kill without warning.
        const size = readFileSync(log).lastIndexOf('\n') + 1;
        const deadline = Date.now() + 10_000;
        const saved = (): number => (existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as { files: { offset: number }[] }).files[0]!.offset : -1);
        while (saved() !== size && Date.now() < deadline) await sleep(50);
        expect(saved()).toBe(size);
        before = await first.counted();
        first.cli.proc.kill('SIGKILL');
        await new Promise((r) => first.cli.proc.once('exit', r));
      }
      expect(before).toBe(150);
      // While it is down: the line is finished, more lines, a rotation, and a new file.
      appendFileSync(log, '500}\n' + lines(30));
      renameSync(log, `${log}.1`);
      appendFileSync(log, lines(40));
      const second = await followFiles(dir, [log], ['--state-file', state]);
      await second.until(71);
      appendFileSync(log, lines(9));
      await second.until(80);
      const s = await second.finish();
      expect(total(s)).toBe(80);
      expect(s.codes.find((c) => c.code === '500')?.count).toBe(1);
    });
  }

  it('a state file that is not one stops the start with exit code 2', async () => {
    const dir = tempDir();
    const state = join(dir, 'state.json');
    writeFileSync(state, '{"files": 3}');
    writeFileSync(join(dir, 'api.log'), '');
    const res = await runCli(['--follow', join(dir, 'api.log'), '--state-file', state, '--output', 'none', '--listen', 'none']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--state-file .*state\.json: not a state file/);
  });
});

type Action =
  | { kind: 'write'; file: number; n: number }
  | { kind: 'rotate'; file: number }
  | { kind: 'truncate'; file: number }
  | { kind: 'delete'; file: number }
  | { kind: 'pause'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), file: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rotate' as const), file: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), file: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), file: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 250 }) }) },
);

describe('follow: random writes, rotations, truncations, deletions and pauses', () => {
  it('never counts more than was written, and exactly what was written when nothing was truncated away', { timeout: 240_000 }, async () => {
    let lossless = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 14 }), async (actions) => {
        const dir = tempDir();
        const paths = [join(dir, 'a.log'), join(dir, 'b.log')];
        const f = await followFiles(dir, paths);
        let written = 0;
        let lossy = false;
        let rotations = 0;
        for (const a of actions) {
          if (a.kind === 'write') {
            appendFileSync(paths[a.file]!, lines(a.n));
            written += a.n;
          } else if (a.kind === 'rotate') {
            if (existsSync(paths[a.file]!)) renameSync(paths[a.file]!, `${paths[a.file]}.${++rotations}`);
          } else if (a.kind === 'truncate') {
            // Whatever the follower had not read yet is gone for good, as with a real truncation.
            if (existsSync(paths[a.file]!)) {
              truncateSync(paths[a.file]!, 0);
              lossy = true;
            }
          } else if (a.kind === 'delete') {
            if (existsSync(paths[a.file]!)) {
              rmSync(paths[a.file]!);
              lossy = true;
            }
          } else await sleep(a.ms);
        }
        // Settle: the count reaches what was written, or stays put for 2 s (a missing path is searched for
        // generations that came and went once a second).
        let c = await f.counted();
        for (let still = 0, t = 0; t < 200 && still < 8 && c < written; t++) {
          await sleep(250);
          const now = await f.counted();
          still = now === c ? still + 1 : 0;
          c = now;
        }
        const s = await f.finish();
        expect(total(s)).toBeLessThanOrEqual(written);
        if (!lossy) {
          lossless++;
          expect(total(s)).toBe(written);
        }
      }),
      { numRuns: 12, seed: 20261125 },
    );
    // The seed is fixed so the equality branch is known to run; a changed generator must keep it so.
    expect(lossless).toBeGreaterThan(0);
  });
});
