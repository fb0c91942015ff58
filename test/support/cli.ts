/**
 * Starts the built CLI (`dist/cli.js`, so run `npm run build` first) and resolves with its metrics URL once
 * it prints `listening on http://HOST:PORT/metrics` on stderr. Pass `--listen 127.0.0.1:0` among `args` so
 * parallel tests never fight over a port.
 *
 *     const cli = await startCli([log, '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving']);
 *     const text = await (await fetch(cli.url)).text();
 *     await cli.stop();
 *
 * With `{ stdin: 'pipe' }` the CLI reads what the test writes to `cli.proc.stdin` (give no file, or `-`).
 * stdout is discarded unless `{ stdout: 'pipe' }`; then the caller must read it, or the CLI blocks on a
 * full pipe. stderr is always read (alert events go there) and kept for `stderr()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const LISTENING = /listening on (http\S+)/;

export interface CliOptions {
  readonly stdin?: 'ignore' | 'pipe';
  readonly stdout?: 'ignore' | 'pipe';
  /** Added to the inherited environment (which carries NODE_V8_COVERAGE for c8). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the listening line; defaults to 20s. */
  readonly timeoutMs?: number;
}

export interface RunningCli {
  /** The metrics URL the CLI printed, e.g. `http://127.0.0.1:40211/metrics`. */
  readonly url: string;
  readonly proc: ChildProcess;
  /** Everything the CLI wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

export function startCli(args: readonly string[], options: CliOptions = {}): Promise<RunningCli> {
  const proc = spawn(process.execPath, [CLI_PATH, ...args], {
    stdio: [options.stdin ?? 'ignore', options.stdout ?? 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  // A test process that dies mid-test must not leave the CLI serving.
  const killOnExit = (): void => {
    proc.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<number | null> | undefined;
  const stop = (): Promise<number | null> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      // SIGTERM first: the CLI then exits by itself and writes its coverage data.
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    })();
    return stopping;
  };

  return new Promise<RunningCli>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${reason}\n--- cli stderr ---\n${stderr}`)));
    };
    const timer = setTimeout(
      () => fail(`no "listening on" line within ${options.timeoutMs ?? 20_000} ms: node ${CLI_PATH} ${args.join(' ')}`),
      options.timeoutMs ?? 20_000,
    );
    proc.once('error', (err) => fail(`cannot start the CLI: ${err.message}`));
    void exited.then((code) => fail(`the CLI exited with code ${code} before it was listening`));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      // Only complete lines: a chunk boundary inside the URL would otherwise yield a truncated port.
      const match = LISTENING.exec(stderr.slice(0, stderr.lastIndexOf('\n') + 1));
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ url: match[1]!, proc, stderr: () => stderr, stop });
      }
    });
  });
}
