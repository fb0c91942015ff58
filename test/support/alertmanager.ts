/**
 * A real Alertmanager for integration tests.
 *
 *     const am = await startAlertmanager();
 *     try {
 *       notifier = new AlertmanagerNotifier({ urls: [am.url] });
 *       const [alert] = await am.waitForAlerts((alerts) => alerts.length === 1, 20_000, ['alertname="ErrcodeSpike"']);
 *       await am.stop();      // unreachable now, same port kept
 *       await am.restart();   // back, with no alerts: Alertmanager keeps them in memory only
 *     } finally {
 *       await am.close();
 *     }
 *
 * It runs `/usr/bin/prometheus-alertmanager` (the Debian package; override with ALERTMANAGER_BIN) on
 * 127.0.0.1 on a free port, clustering off (an empty --cluster.listen-address), storage in a temporary
 * directory, and a config that routes everything to a receiver with no integrations. Options add HTTP
 * basic auth (a web config file) or a route prefix. `startAlertmanager` resolves once /-/ready answers;
 * `close()` ends the process and removes every file it created.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

/** An alert as GET /api/v2/alerts returns it (gettableAlert of Alertmanager's OpenAPI spec). */
export interface GettableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly updatedAt: string;
  readonly fingerprint: string;
  readonly generatorURL?: string;
  readonly receivers: readonly { readonly name: string }[];
  readonly status: {
    readonly state: 'active' | 'suppressed' | 'unprocessed';
    readonly silencedBy: readonly string[];
    readonly inhibitedBy: readonly string[];
  };
}

export interface AlertmanagerOptions {
  /** How long to wait for /-/ready; defaults to 30s. */
  readonly readyTimeoutMs?: number;
  /** Require HTTP basic auth (a web config file with a bcrypt hash, as exporter-toolkit reads it). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** Serve everything under this path (`--web.route-prefix`), as behind a reverse proxy. */
  readonly routePrefix?: string;
}

export interface Alertmanager {
  /** Base URL, e.g. `http://127.0.0.1:40123` (with the route prefix, if any): what `--alertmanager-url` takes. */
  readonly url: string;
  readonly port: number;
  /**
   * GET /api/v2/alerts, optionally filtered by label matchers such as `family="server"`. Alertmanager lists
   * only alerts whose endsAt is still ahead: a resolved alert is gone from this list.
   */
  alerts(filter?: readonly string[]): Promise<GettableAlert[]>;
  /** Repeats `alerts(filter)` until `predicate` holds and returns that list; rejects after `timeoutMs`. */
  waitForAlerts(
    predicate: (alerts: GettableAlert[]) => boolean,
    timeoutMs: number,
    filter?: readonly string[],
  ): Promise<GettableAlert[]>;
  /** Ends the process but keeps its port and files, so `restart()` brings it back at the same URL. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it is ready. */
  restart(): Promise<void>;
  /** Log lines it wrote so far (the last few hundred), for failure messages. */
  log(): string;
  /** Stops it and removes its files. Safe to call twice. */
  close(): Promise<void>;
}

const ALERTMANAGER_BIN = process.env['ALERTMANAGER_BIN'] ?? '/usr/bin/prometheus-alertmanager';
const LOG_LINES_KEPT = 300;
const POLL_MS = 200;
// Bind races (another process takes the port between our probe and Alertmanager's bind) are retried.
const START_ATTEMPTS = 3;

const CONFIG = `route:
  receiver: 'null'
receivers:
  - name: 'null'
`;

/** Everything a launch needs, the same for every restart. */
interface Setup {
  readonly dir: string;
  readonly args: readonly string[];
  readonly prefix: string;
  readonly authorization: string | undefined;
  readonly readyTimeoutMs: number;
  readonly lines: string[];
}

export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<Alertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'errcode-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  const lines: string[] = [];
  const log = (): string => lines.join('\n');
  try {
    await writeFile(configFile, CONFIG);
    const args = [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      // Empty: no gossip listener, so nothing but the API port is bound and no peers are looked for.
      '--cluster.listen-address=',
      '--log.level=info',
    ];
    let authorization: string | undefined;
    if (options.basicAuth) {
      const { user, password } = options.basicAuth;
      const webConfig = join(dir, 'web.yml');
      await writeFile(webConfig, `basic_auth_users:\n  ${JSON.stringify(user)}: ${JSON.stringify(bcrypt.hashSync(password, 4))}\n`);
      args.push(`--web.config.file=${webConfig}`);
      authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    const prefix = options.routePrefix ? `/${options.routePrefix.replace(/^\/+|\/+$/g, '')}` : '';
    if (prefix) args.push(`--web.route-prefix=${prefix}`);
    const setup: Setup = { dir, args, prefix, authorization, readyTimeoutMs: options.readyTimeoutMs ?? 30_000, lines };
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = await freePort();
      try {
        const proc = await launch(setup, port);
        return handle(setup, port, proc);
      } catch (err) {
        lastError = err;
        if (!(err instanceof Error && /address already in use/i.test(err.message))) break;
      }
    }
    throw lastError;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err instanceof Error ? new Error(`${err.message}\n--- alertmanager log ---\n${log()}`) : err;
  }
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly killOnExit: () => void;
}

function handle(setup: Setup, port: number, first: Running): Alertmanager {
  const url = `http://127.0.0.1:${port}${setup.prefix}`;
  const headers: Record<string, string> = setup.authorization ? { authorization: setup.authorization } : {};
  let running: Running | undefined = first;
  let closed = false;

  const stop = async (): Promise<void> => {
    const r = running;
    running = undefined;
    if (r) await terminate(r);
  };

  const alerts = async (filter: readonly string[] = []): Promise<GettableAlert[]> => {
    const query = new URLSearchParams();
    for (const f of filter) query.append('filter', f);
    const res = await fetch(`${url}/api/v2/alerts${filter.length ? `?${query}` : ''}`, { headers });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /api/v2/alerts answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as GettableAlert[];
  };

  return {
    url,
    port,
    alerts,
    async waitForAlerts(predicate, timeoutMs, filter) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer yet';
      for (;;) {
        try {
          const list = await alerts(filter);
          if (predicate(list)) return list;
          last = JSON.stringify(list);
        } catch (err) {
          last = err instanceof Error ? err.message : String(err);
        }
        if (Date.now() >= deadline) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for alerts [${filter?.join(', ') ?? ''}]; last: ${last}`);
        }
        await sleep(POLL_MS);
      }
    },
    stop,
    async restart() {
      if (closed) throw new Error('alertmanager harness already closed');
      await stop();
      running = await launch(setup, port);
    },
    log: () => setup.lines.join('\n'),
    async close() {
      if (closed) return;
      closed = true;
      await stop();
      await rm(setup.dir, { recursive: true, force: true });
    },
  };
}

async function launch(setup: Setup, port: number): Promise<Running> {
  const { lines } = setup;
  const child = spawn(ALERTMANAGER_BIN, [...setup.args, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      lines.push(line);
      if (lines.length > LOG_LINES_KEPT) lines.shift();
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const spawnFailed = new Promise<string>((res) => child.once('error', (err) => res(err.message)));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  // A test process that dies mid-test must not leave a server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const running: Running = { child, exited, killOnExit };

  const gaveUp = { value: false };
  void exited.then(() => {
    gaveUp.value = true;
  });
  const failure = await Promise.race([
    waitReady(`http://127.0.0.1:${port}${setup.prefix}`, setup.authorization, setup.readyTimeoutMs, gaveUp).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    ),
    exited.then(() => `alertmanager exited with code ${child.exitCode} before it was ready: ${lines.slice(-3).join(' | ')}`),
    spawnFailed.then((m) => `cannot run ${ALERTMANAGER_BIN}: ${m}`),
  ]);
  if (failure !== undefined) {
    await terminate(running);
    throw new Error(failure);
  }
  return running;
}

async function waitReady(
  url: string,
  authorization: string | undefined,
  timeoutMs: number,
  gaveUp: { readonly value: boolean },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && !gaveUp.value) {
    try {
      const res = await fetch(`${url}/-/ready`, authorization ? { headers: { authorization } } : {});
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(POLL_MS);
  }
  throw new Error(`alertmanager at ${url} not ready after ${timeoutMs} ms (${last})`);
}

async function terminate(r: Running): Promise<void> {
  process.removeListener('exit', r.killOnExit);
  const { child } = r;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await r.exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? res(port) : rej(new Error('no free port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
