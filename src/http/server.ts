// The HTTP endpoint of SPEC "Prometheus metrics": GET/HEAD of the routes the run's faces serve (/metrics, the
// web page) and /healthz, over HTTP or HTTPS, with optional basic auth, as a web config file (webconfig.ts)
// asks. Nothing from a request reaches a metric: a route sees only its query string.
//
// It faces the network, so it is defended the way exporter-toolkit learnt to be: bcrypt runs off the event
// loop on a worker thread, one check at a time per worker, and a verified (user, password, hash) is cached
// so a scrape every 15s costs one bcrypt per process life; unknown users cost a bcrypt as well; slow or idle
// connections are cut by timeouts; a malformed request gets 400 and never an exception.
import { createHash, randomInt } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WebConfig } from './webconfig.js';

export interface MetricsServerOptions {
  /** Address to bind; undefined binds every interface (`--listen :9477`). */
  readonly host?: string;
  /** 0 picks a free port; MetricsServer.port tells which. */
  readonly port: number;
  readonly webConfig?: WebConfig;
  /** What each path serves (`/metrics`, `/`, ...), behind the same TLS and passwords. */
  readonly routes: Readonly<Record<string, Route>>;
  /** /healthz answers 200 "ok" while this is true, 503 otherwise. */
  healthy(): boolean;
}

/** A response: the body may come in pieces, written in order. */
export interface Reply {
  readonly status?: number;
  readonly contentType: string;
  readonly body: string | Buffer | readonly (string | Buffer)[];
  readonly headers?: Readonly<Record<string, string>>;
}

/** Called on every GET/HEAD of its path; a rejection answers 500 (wrap it to log the reason). */
export type Route = (query: URLSearchParams) => Promise<Reply> | Reply;

export interface MetricsServer {
  /** Where to scrape, e.g. http://127.0.0.1:9477/metrics; `localhost` when bound to every interface. */
  readonly url: string;
  readonly port: number;
  /** Stops listening, drops open connections and stops the bcrypt worker. Safe to call twice. */
  close(): Promise<void>;
}

/** Listening failed; the message is one line naming the address, `code` is Node's (EADDRINUSE, ...). */
export class MetricsServerError extends Error {
  override name = 'MetricsServerError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Milliseconds. A scrape request is a few hundred bytes sent at once, so seconds are generous. */
export const METRICS_SERVER_TIMEOUTS = {
  /** The whole request head must arrive within this (slow-loris). */
  headers: 5_000,
  request: 10_000,
  /** TLS handshake, from the TCP connection on. */
  handshake: 5_000,
  /** An idle kept-alive connection is closed after this; above Prometheus' usual 1m interval, so it is reused. */
  keepAlive: 65_000,
  /** A connection that sends nothing and reads nothing (mid-response) is closed after this. */
  idleSocket: 30_000,
  /** How often Node checks the headers/request deadlines; the deadlines are only as exact as this. */
  checkInterval: 1_000,
} as const;

const ALLOW = 'GET, HEAD';
const CACHE_SIZE = 100;

/** Binds and serves; rejects with MetricsServerError if the address cannot be used. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const web = options.webConfig;
  const auth = web && web.users.size > 0 ? new BasicAuth(web.users) : undefined;
  const T = METRICS_SERVER_TIMEOUTS;
  const httpOptions = {
    headersTimeout: T.headers,
    requestTimeout: T.request,
    keepAliveTimeout: T.keepAlive,
    connectionsCheckingInterval: T.checkInterval,
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    respond(req, res, options, auth).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  };
  const server: Server = web?.tls
    ? createHttpsServer({ ...web.tls, ...httpOptions, handshakeTimeout: T.handshake }, handler)
    : createHttpServer(httpOptions, handler);
  server.setTimeout(T.idleSocket, (socket: Socket) => socket.destroy());
  server.on('clientError', onClientError);

  const address = formatListen(options.host, options.port);
  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
  } catch (err) {
    await auth?.close();
    throw listenError(address, err as NodeJS.ErrnoException);
  }
  // Accept errors (EMFILE when out of descriptors) are emitted here; they pass, and the server keeps
  // listening, as Go's http.Server does. Without a listener they would crash the process.
  server.on('error', () => {});

  const port = (server.address() as AddressInfo).port;
  const url = `${web?.tls ? 'https' : 'http'}://${urlHost(options.host)}:${port}/metrics`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= Promise.all([
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
        auth?.close(),
      ]).then(() => undefined)),
  };
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  options: MetricsServerOptions,
  auth: BasicAuth | undefined,
): Promise<void> {
  for (const [name, value] of Object.entries(options.webConfig?.headers ?? {})) res.setHeader(name, value);
  // Authentication comes before routing, as upstream: without credentials nothing about the server shows.
  if (auth && !(await auth.allows(req.headers.authorization))) {
    res.setHeader('WWW-Authenticate', 'Basic realm="errcode-stream", charset="UTF-8"');
    send(res, 401, 'unauthorized\n');
    return;
  }
  const target = targetOf(req.url);
  if (target === undefined) {
    res.setHeader('Connection', 'close'); // a client that sends this is not worth a kept connection
    send(res, 400, 'bad request\n');
    return;
  }
  const { path, query } = target;
  const route = Object.hasOwn(options.routes, path) ? options.routes[path] : undefined;
  if (!route && path !== '/healthz') {
    send(res, 404, 'not found; metrics are at /metrics\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', ALLOW);
    send(res, 405, 'method not allowed\n');
    return;
  }
  if (path === '/healthz') {
    if (options.healthy()) send(res, 200, 'ok');
    else send(res, 503, 'unavailable');
    return;
  }
  const reply = await route!(query);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  send(res, reply.status ?? 200, reply.body, reply.contentType);
}

/**
 * Node leaves the body out of a HEAD response by itself; the length stays that of the GET. Pieces go out
 * corked, as one write.
 */
function send(res: ServerResponse, status: number, body: Reply['body'], contentType = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  let length = 0;
  for (const piece of body) length += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
  res.setHeader('Content-Length', length);
  res.cork();
  for (const piece of body) res.write(piece);
  res.end();
}

/**
 * The path and query of a request target as sent: `/metrics?x` is /metrics, but `/%2e%2e/metrics` stays what
 * it is (URL parsing would normalise it to /metrics). The absolute form (`http://h/metrics`, from proxies)
 * is parsed; undefined if it cannot be.
 */
function targetOf(target: string | undefined): { path: string; query: URLSearchParams } | undefined {
  if (target === undefined) return undefined;
  if (!/^https?:\/\//i.test(target)) {
    const m = /^([^?#]*)(?:\?([^#]*))?/s.exec(target)!;
    return { path: m[1]!, query: new URLSearchParams(m[2] ?? '') };
  }
  try {
    const url = new URL(target);
    return { path: url.pathname, query: url.searchParams };
  } catch {
    return undefined;
  }
}

// Node's parser found the request unreadable (bad request line or header, headers too large, a timeout):
// answer like Node's default would, but never throw, the socket may already be half gone. TLS failures come
// here too (https turns tlsClientError into clientError); before a handshake there is no channel to answer
// on, and a response written there would wait forever, so those connections are dropped.
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const httpLevel = err.code?.startsWith('HPE_') || err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  if (!httpLevel || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function listenError(address: string, err: NodeJS.ErrnoException): MetricsServerError {
  const reasons: Record<string, string> = {
    EADDRINUSE: 'address already in use (another process is listening there)',
    EADDRNOTAVAIL: 'address not available on this host',
    EACCES: 'permission denied (ports below 1024 need privileges)',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name could not be resolved',
  };
  const reason = (err.code && reasons[err.code]) ?? err.message.split('\n')[0];
  return new MetricsServerError(`--listen ${address}: ${reason}`, err.code);
}

function formatListen(host: string | undefined, port: number): string {
  if (host === undefined || host === '') return `:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function urlHost(host: string | undefined): string {
  if (host === undefined || host === '' || host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

// Basic auth with the work bounded. A verified login is cached under a hash of user, stored hash and
// password kept as separate fields: CVE-2022-46146 was exporter-toolkit's key that ran the three together,
// so someone who knew a bcrypt hash could spell a cached success with other credentials. Only a known user's
// success is cached (as upstream's fix), so a flood of wrong passwords cannot evict the scraper's entry;
// identical checks in flight share one bcrypt.
class BasicAuth {
  private readonly verified = new Map<string, true>(); // LRU: Map keeps insertion order
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly pool: BcryptPool;
  private readonly decoy: string;

  constructor(private readonly users: ReadonlyMap<string, string>) {
    this.pool = new BcryptPool(Math.max(1, Math.min(2, availableParallelism() - 1)));
    this.decoy = decoyHash(users);
  }

  async allows(header: string | undefined): Promise<boolean> {
    const credentials = parseBasic(header);
    if (!credentials) return false;
    const { user, password } = credentials;
    const stored = this.users.get(user);
    // An unknown user is checked against a decoy of the same cost, so timing does not tell names apart.
    const hash = stored ?? this.decoy;
    const key = createHash('sha256').update(JSON.stringify([user, hash, password])).digest('base64');
    if (this.verified.has(key)) {
      this.verified.delete(key);
      this.verified.set(key, true);
      return true;
    }
    let check = this.inFlight.get(key);
    if (!check) {
      check = this.pool.compare(password, hash).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, check);
    }
    const ok = (await check) && stored !== undefined;
    if (ok) {
      this.verified.set(key, true);
      if (this.verified.size > CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    }
    return ok;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// A random well-formed hash at the users' most common cost: bcrypt does the full work on it and no password
// matches it. Random, not a fixed published hash, and no bcrypt at start-up (cost 14 would take seconds).
function decoyHash(users: ReadonlyMap<string, string>): string {
  const costs = new Map<string, number>();
  for (const hash of users.values()) {
    const cost = hash.slice(4, 6);
    costs.set(cost, (costs.get(cost) ?? 0) + 1);
  }
  const cost = [...costs].sort((a, b) => b[1] - a[1] || Number(b[0]) - Number(a[0]))[0]?.[0] ?? '10';
  let tail = '';
  for (let i = 0; i < 53; i++) tail += BCRYPT_ALPHABET[randomInt(BCRYPT_ALPHABET.length)];
  return `$2b$${cost}$${tail}`;
}

// bcrypt costs ~100ms of CPU at cost 10 in bcryptjs; on the main thread a flood of logins would stall the
// scrapes and the engine's bookkeeping alike. Workers keep it off the event loop, each doing one check at a
// time, so the pool size is the concurrency bound. The worker is inline (eval) so that this file stays the
// one place that owns it; it loads the same bcryptjs this package depends on.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

interface Job {
  resolve(ok: boolean): void;
  reject(err: Error): void;
}

class BcryptPool {
  private readonly workers: { worker: Worker; jobs: Map<number, Job> }[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly size: number) {}

  compare(password: string, hash: string): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const slot = this.leastBusy();
    const id = this.nextId++;
    return new Promise<boolean>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      slot.worker.postMessage({ id, password, hash });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const { jobs } of workers) {
      for (const job of jobs.values()) job.resolve(false);
      jobs.clear();
    }
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  private leastBusy(): { worker: Worker; jobs: Map<number, Job> } {
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  private spawn(): { worker: Worker; jobs: Map<number, Job> } {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bcryptjs: createRequire(import.meta.url).resolve('bcryptjs') },
    });
    worker.unref(); // never what keeps the process alive
    const slot = { worker, jobs: new Map<number, Job>() };
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const job = slot.jobs.get(id);
      slot.jobs.delete(id);
      job?.resolve(ok);
    });
    // A dead worker fails its own checks (answered 500 by the caller) and is replaced on the next check.
    const fail = (err: Error): void => {
      const i = this.workers.indexOf(slot);
      if (i >= 0) this.workers.splice(i, 1);
      for (const job of slot.jobs.values()) job.reject(err);
      slot.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('bcrypt worker exited')));
    this.workers.push(slot);
    return slot;
  }
}
