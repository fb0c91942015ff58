// The live view end to end: the real CLI in a real pseudo-terminal (tmux, 80x24 unless resized), fed by the
// replay tool at the pace of the bundled fixture's event time, and the screen read back as a person sees it.
// Also the fallback when stdout is not a terminal, and the replay tool itself (the demo's other half).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../support/exec.js';

const REPLAY = join(ROOT, 'dist/tools/replay.js');
const FIXTURE = join(ROOT, 'fixtures/sample.ndjson');
const NODE = process.execPath;
const CATEGORIES = ['success', 'upgrade', 'client', 'server', 'business_quota', 'platform_auth', 'system', 'unknown'];

const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** The fixture (10 minutes of event time) replayed in 20 seconds into the CLI. */
const replayInto = (cliArgs: string): string => `${sh(NODE)} ${sh(REPLAY)} --speed 30 ${sh(FIXTURE)} | ${sh(NODE)} ${sh(CLI)} ${cliArgs}`;

// A UTF-8 locale, so tmux gives CJK characters two cells; no TMUX variable, so it also runs inside tmux; the
// sockets in a directory of our own, removed at the end.
const TMUX_DIR = mkdtempSync(join(tmpdir(), 'errcode-tmux-'));
const TMUX_ENV: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TERM: 'xterm-256color', TMUX_TMPDIR: TMUX_DIR };
delete TMUX_ENV['TMUX'];
afterAll(() => rmSync(TMUX_DIR, { recursive: true, force: true }));

let sessions = 0;

/** One tmux server on a private socket, running one command in a pane of a fixed size. */
class Terminal {
  private readonly socket = `errcode-live-${process.pid}-${++sessions}`;

  constructor(command: string, width = 80, height = 24) {
    // The pane outlives the command, so the screen it leaves (the summary) and its exit status can be read.
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'live', '-x', String(width), '-y', String(height), '-c', ROOT, `${command}; echo "[exit $?]"; sleep 600`);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { env: TMUX_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** The visible screen, one string per row (tmux drops trailing blanks). */
  screen(history = false): string[] {
    return this.tmux('capture-pane', '-p', '-t', 'live', ...(history ? ['-S', '-'] : [])).replace(/\n+$/, '').split('\n');
  }

  /** A tmux format variable of the pane: alternate_on, cursor_flag, pane_width... */
  pane(variable: string): string {
    return this.tmux('display-message', '-p', '-t', 'live', `#{${variable}}`).trim();
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', 'live', '-x', String(width), '-y', String(height));
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'live', ...keys);
  }

  /** Polls the screen until `ready` holds; fails with the last screen. */
  async until(what: string, ready: (lines: string[]) => boolean, timeoutMs = 60_000, history = false): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = this.screen(history);
      if (ready(lines)) return lines;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${lines.join('\n')}`);
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

let terminal: Terminal | undefined;
afterEach(() => {
  terminal?.close();
  terminal = undefined;
});

function expectWithin(lines: readonly string[], width: number): void {
  for (const line of lines) expect(stringWidth(line), `wider than ${width} columns: ${JSON.stringify(line)}`).toBeLessThanOrEqual(width);
}

/** Nothing of the input or of the enriched output reaches the screen. */
function expectNoNdjson(lines: readonly string[]): void {
  const text = lines.join('\n');
  for (const fragment of ['"errcode"', '{"ts"', '"response"', '"description"', '{"code"']) expect(text).not.toContain(fragment);
}

const categoryHeader = (lines: readonly string[]): string | undefined => lines.find((l) => l.startsWith(' category '));
const hasText = (text: string) => (lines: readonly string[]) => lines.some((l) => l.includes(text));

describe('the live view in a terminal', () => {
  it('shows categories, top codes and English descriptions, an alert when the spike arrives, redraws on resize and restores the terminal', async () => {
    terminal = new Terminal(replayInto('--listen none --lang en'));
    const t = terminal;

    let lines = await t.until('the first counts', (ls) => ls.some((l) => /^ 200 +success +[0-9,]+ +[0-9.]+% +The platform handled/.test(l)) && ls.some((l) => /\d lines\/s/.test(l)));
    expect(t.pane('alternate_on')).toBe('1');
    expect(t.pane('cursor_flag')).toBe('0');
    expect(lines.length).toBeLessThanOrEqual(24);
    expectWithin(lines, 80);
    expectNoNdjson(lines);
    for (const c of CATEGORIES) expect(lines.join('\n')).toMatch(new RegExp(` ${c} +[0-9,]+ +[0-9.]+%`));
    expect(lines.join('\n')).toContain('no spike alert firing');
    expect(lines.join('\n')).toMatch(/ lines  ok [0-9,]+  malformed \d+ \(/);

    // The fixture's server spike starts 300 s of event time in: 10 s into the replay.
    lines = await t.until('the server spike alert', hasText('!! SPIKE server'));
    expectWithin(lines, 80);
    expectNoNdjson(lines);
    const text = lines.join('\n');
    expect(text).toMatch(/on firing: [0-9.]+% of responses \(baseline [0-9.]+%\), \d+ of \d+ in 60s/);
    expect(text).toMatch(/top: (5\d{2,4}|http_5\d\d) \(\d+\) [A-Z][a-z]/);
    expect(text).toContain('server !!');
    // Where the errors come from: the fixture's routes, templated (no query string), with their counts.
    expect(text).toContain(' where (server and platform errors, last 60s)');
    expect(text).toMatch(/^ {3}route +\/(api|open)\/[a-z0-9/]+ \d+/m);

    // 30 rows leave room for the codes even while the alert takes its three.
    t.resize(60, 30);
    lines = await t.until('a redraw at 60 columns', (ls) => categoryHeader(ls)?.match(/category/g)?.length === 1 && ls.some((l) => /^ 201 /.test(l)));
    expect(t.pane('pane_width')).toBe('60');
    expect(lines.length).toBeLessThanOrEqual(30);
    expectWithin(lines, 60);
    expect(lines.find((l) => l.startsWith(' 201 '))).toMatch(/\.\.\.$/);

    t.resize(100, 30);
    lines = await t.until('a redraw at 100 columns', (ls) => categoryHeader(ls)?.match(/category/g)?.length === 2 && ls.some((l) => stringWidth(l) > 80));
    expectWithin(lines, 100);
    expectNoNdjson(lines);

    // The input ends: the view leaves the alternate screen, shows the cursor again, and the summary stays.
    lines = await t.until('the end of the run', hasText('[exit 0]'), 60_000, true);
    expect(t.pane('alternate_on')).toBe('0');
    expect(t.pane('cursor_flag')).toBe('1');
    const end = lines.join('\n');
    expect(end).toContain('errcode-stream: 2,996 lines');
    expect(end).toContain('spike alerts fired: server 1');
    expect(end).not.toContain('lines/s  ');
  }, 120_000);

  it('shows Chinese descriptions cut to the screen by display width, and restores the terminal on Ctrl-C', async () => {
    terminal = new Terminal(replayInto('--listen none'));
    const t = terminal;
    const lines = await t.until('Chinese descriptions', (ls) => ls.some((l) => /^ 200 .*开放平台成功处理了您的请求，业务正常结束$/.test(l)) && ls.some((l) => /^ 201 .*\.\.\.$/.test(l)));
    expectWithin(lines, 80);
    expectNoNdjson(lines);
    // The cut description of 201 fills the row to the edge: measured in columns, not characters.
    expect(stringWidth(lines.find((l) => l.startsWith(' 201 '))!)).toBeGreaterThanOrEqual(78);
    for (const c of CATEGORIES) expect(lines.join('\n')).toContain(` ${c} `);
    expect(t.pane('alternate_on')).toBe('1');

    t.keys('C-c');
    const end = await t.until('the end of the run', hasText('[exit 0]'), 30_000, true);
    expect(t.pane('alternate_on')).toBe('0');
    expect(t.pane('cursor_flag')).toBe('1');
    expect(end.join('\n')).toMatch(/errcode-stream: [0-9,]+ lines/);
    expect(end.join('\n')).not.toContain('errcode-stream: 2,996 lines');
    expect(end.join('\n')).toContain('开放平台成功处理了您的请求');
  }, 60_000);
});

describe('--output live when stdout is not a terminal', () => {
  const statusLine = /^time=\S+ lines=\d+ lines_per_sec=\S+ bytes_per_sec=\S+ responses=\d+ .*top=\S+ alerts=\S+$/;

  it('writes one plain status line at the end of a short run, and no escape sequence', async () => {
    const res = await runCli(['--output', 'live', '--listen', 'none', FIXTURE]);
    expect(res.code).toBe(0);
    const out = res.stdout.toString('utf8');
    expect(out).not.toContain('\x1b');
    expectNoNdjson([out]);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(statusLine);
    expect(lines[0]).toContain(' lines=2996 ');
    expect(lines[0]).toContain(' responses=2984 ');
    expect(lines[0]).toContain(' top=200:2545,');
    expect(res.stderr).toContain('errcode-stream: 2,996 lines');
  });

  it('writes a status line every 5 seconds while the input flows', async () => {
    const child = spawn('sh', ['-c', `${sh(NODE)} ${sh(REPLAY)} --speed 60 ${sh(FIXTURE)} | ${sh(NODE)} ${sh(CLI)} --output live --listen none`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out).not.toContain('\x1b');
    const lines = out.trimEnd().split('\n');
    // The replay takes at least 10 s: at least one periodic line before the last one.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(statusLine);
    const counts = lines.map((l) => Number(/ lines=(\d+) /.exec(l)![1]));
    expect(counts[0]).toBeLessThan(2996);
    expect(counts.at(-1)).toBe(2996);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
  }, 60_000);
});

describe('the replay tool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'errcode-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the replay tool; records when each complete line arrived (ms since spawn). */
  function replay(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string; arrivals: number[] }> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(NODE, [REPLAY, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      const arrivals: number[] = [];
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => {
        chunks.push(b);
        for (const byte of b) if (byte === 0x0a) arrivals.push(performance.now() - started);
      });
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr, arrivals }));
    });
  }

  it('passes every byte through: BOM, CRLF, blank, malformed and invalid UTF-8 lines, no final newline', async () => {
    const input = Buffer.concat([
      Buffer.from('\ufeff{"ts":"2026-11-25T00:00:00Z","code":200}\r\n\n   \n'),
      Buffer.from('not json\n{"ts":"2026-11-25T00:00:00.500Z","code":"4004"}\n[1,2]\n'),
      Buffer.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
      Buffer.from('{"ts":"2026-11-25T00:00:01Z","code":500}'),
    ]);
    const file = join(dir, 'hostile.ndjson');
    writeFileSync(file, input);
    const res = await replay(['--speed', '1000', file]);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout.equals(input)).toBe(true);
  });

  it('replays the bundled fixture byte for byte', async () => {
    const res = await replay(['--speed', '100000', FIXTURE]);
    expect(res.code).toBe(0);
    expect(res.stdout.equals(execFileSync('cat', [FIXTURE]))).toBe(true);
  });

  it('waits for each line\'s event time divided by the speed, ISO or epoch, across the time fields', async () => {
    const t0 = Date.UTC(2026, 10, 25, 0, 0, 0);
    const file = join(dir, 'paced.ndjson');
    writeFileSync(file, [
      JSON.stringify({ ts: new Date(t0).toISOString(), code: 200 }),
      JSON.stringify({ '@timestamp': (t0 + 1000) / 1000, code: 200 }), // epoch seconds
      JSON.stringify({ code: 200, note: 'no time: keeps the pace of the line before' }),
      JSON.stringify({ time: t0 + 2000, code: 200 }), // epoch milliseconds
      JSON.stringify({ timestamp: new Date(t0 + 1500).toISOString(), code: 200 }), // earlier: no rewind
    ].join('\n') + '\n');
    const res = await replay(['--speed', '2', file]);
    expect(res.code).toBe(0);
    const [a, b, c, d, e] = res.arrivals as [number, number, number, number, number];
    expect(res.arrivals).toHaveLength(5);
    // 1 s and 2 s of event time at double speed: at least 0.5 s and 1 s after the first line.
    expect(b - a).toBeGreaterThanOrEqual(450);
    expect(c).toBeGreaterThanOrEqual(b);
    expect(d - a).toBeGreaterThanOrEqual(950);
    expect(e).toBeGreaterThanOrEqual(d);
  });

  it('reads the time at --time-field', async () => {
    const file = join(dir, 'field.ndjson');
    writeFileSync(file, '{"meta":{"at":"2026-11-25T00:00:00Z"},"ts":"2030-01-01T00:00:00Z"}\n{"meta":{"at":"2026-11-25T00:00:01Z"},"ts":"2020-01-01T00:00:00Z"}\n');
    const res = await replay(['--speed', '4', '--time-field', 'meta.at', file]);
    expect(res.code).toBe(0);
    expect(res.arrivals[1]! - res.arrivals[0]!).toBeGreaterThanOrEqual(200);
  });

  it('ends quietly when its reader goes away', () => {
    const res = spawnSync('bash', ['-c', `${sh(NODE)} ${sh(REPLAY)} --speed 1000 ${sh(FIXTURE)} | head -n 1 >/dev/null; echo "\${PIPESTATUS[0]}"`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(res.stdout.trim()).toBe('0');
    expect(res.stderr).toBe('');
  });

  it('rejects a bad speed and a missing file with one line and exit 2', async () => {
    for (const [args, message] of [
      [['--speed', '0', FIXTURE], /^replay: --speed "0": expected a number above 0\n$/],
      [['--speed', 'fast', FIXTURE], /^replay: --speed "fast": expected a number above 0\n$/],
      [[join(dir, 'nope.ndjson')], /^replay: .*nope\.ndjson: no such file or not readable\n$/],
      [['--sped', '2'], /^replay: unknown option --sped; usage: /],
    ] as const) {
      const res = await replay([...args]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stdout.length).toBe(0);
    }
  });
});
