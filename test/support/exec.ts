// Runs the real CLI (dist/cli.js) as a child process, feeding stdin from a string, a Buffer or a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, then stdin is closed. A path in `stdinFile` is piped instead. */
  stdin?: string | Buffer;
  stdinFile?: string;
  env?: NodeJS.ProcessEnv;
  /** The working directory (default: the repository). */
  cwd?: string;
  timeoutMs?: number;
  /** Called once the child is running (to send signals, scrape it, ...). */
  onSpawn?: (child: ChildProcess) => void;
}

export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
    if (opts.stdinFile) createReadStream(opts.stdinFile).pipe(child.stdin);
    else if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else if (!opts.onSpawn) child.stdin.end();
    opts.onSpawn?.(child);
  });
}

/** Reads `--summary-json` output. */
export interface SummaryJson {
  lines: Record<string, number>;
  blank_lines: number;
  bytes: number;
  responses: number;
  categories: Record<string, number>;
  codes: { code: string; category: string; count: number; description: string; description_en: string }[];
}

export function codeCounts(s: SummaryJson): Record<string, number> {
  return Object.fromEntries(s.codes.map((c) => [c.code, c.count]));
}
