// The metrics endpoint over real loopback sockets: routing, TLS, basic auth and its bounded bcrypt work, and
// the hostile clients an exporter meets (malformed requests, slow-loris, silent connections, login floods).
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  METRICS_SERVER_TIMEOUTS,
  MetricsServerError,
  startMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
} from '../../dist/http/server.js';
import { loadWebConfig } from '../../dist/http/webconfig.js';

const DIR = new URL('../../fixtures/web-config/', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(DIR + name, 'utf8');
const HOST = '127.0.0.1';
const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8';
// The users of fixtures/web-config/tls_users.good.yml.
const PROMETHEUS = { user: 'prometheus', password: 'scrape-secret' };
const GRAFANA = { user: 'grafana', password: 'dashboards' };

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Ask {
  path?: string;
  method?: string;
  auth?: { user: string; password: string };
  authorization?: string;
  tls?: { ca?: string; cert?: string; key?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' };
}

/** One request on its own connection (no agent), so every test sees the server's handling of a fresh client. */
function ask(server: MetricsServer, options: Ask = {}): Promise<Reply> {
  const target = new URL(server.url);
  const headers: Record<string, string> = {};
  if (options.auth) headers['authorization'] = basic(options.auth.user, options.auth.password);
  if (options.authorization !== undefined) headers['authorization'] = options.authorization;
  // The path goes out as written: URL parsing would turn /%2e%2e/metrics into /metrics.
  const path = options.path ?? '/metrics';
  const common = { host: target.hostname, port: target.port, path, method: options.method ?? 'GET', headers, agent: false as const };
  return new Promise((resolve, reject) => {
    const req =
      target.protocol === 'https:'
        ? httpsRequest({ ...common, ca: fixture('server.crt'), ...options.tls })
        : httpRequest(common);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

/** Writes raw bytes and collects everything until the server closes the connection. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const socket = connect(port, HOST, () => socket.write(bytes));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

/** Resolves with how long the server took to close a connection the client never finishes. */
function closedAfter(socket: Socket): Promise<{ ms: number; got: string }> {
  const start = Date.now();
  let got = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (got += d));
  socket.on('error', () => {});
  return new Promise((resolve) => socket.on('close', () => resolve({ ms: Date.now() - start, got })));
}

function openTls(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: HOST, port, ca: fixture('server.crt') }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function start(overrides: Partial<MetricsServerOptions> = {}): Promise<MetricsServer> {
  return startMetricsServer({
    host: HOST,
    port: 0,
    routes: { '/metrics': async () => ({ contentType: EXPOSITION, body: 'errcode_input_bytes_total 0\n' }) },
    healthy: () => true,
    ...overrides,
  });
}

describe('metrics server over plain HTTP', () => {
  let server: MetricsServer;
  let scrapes = 0;
  let healthy = true;

  beforeAll(async () => {
    server = await start({
      routes: { '/metrics': async () => ({ contentType: EXPOSITION, body: `errcode_scrapes ${++scrapes}\n` }) },
      healthy: () => healthy,
    });
  });
  afterAll(() => server.close());

  it('binds port 0 to a free port and reports it in url and port', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
  });

  it('renders /metrics at request time with the content type its route gives', async () => {
    const first = await ask(server);
    const second = await ask(server);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe(EXPOSITION);
    expect(Number(second.body.match(/errcode_scrapes (\d+)/)?.[1])).toBe(Number(first.body.match(/errcode_scrapes (\d+)/)?.[1]) + 1);
  });

  it('answers HEAD /metrics with the headers of a GET and no body', async () => {
    const head = await ask(server, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(`errcode_scrapes ${scrapes}\n`));
  });

  it('writes a body given in pieces (strings and bytes) in order, with the length of them all, for GET and HEAD', async () => {
    const pieces = ['errcode_a 1\n', Buffer.from('errcode_info{description="数据库服务连接失败"} 1\n'), '', 'errcode_b 2\n'];
    const text = 'errcode_a 1\nerrcode_info{description="数据库服务连接失败"} 1\nerrcode_b 2\n';
    const pieced = await start({ routes: { '/metrics': async () => ({ contentType: EXPOSITION, body: pieces }) } });
    try {
      const get = await ask(pieced);
      expect([get.status, get.body]).toEqual([200, text]);
      expect(Number(get.headers['content-length'])).toBe(Buffer.byteLength(text));
      const head = await ask(pieced, { method: 'HEAD' });
      expect([head.status, head.body]).toEqual([200, '']);
      expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(text));
    } finally {
      await pieced.close();
    }
  });

  it('takes a query string on /metrics as /metrics', async () => {
    expect((await ask(server, { path: '/metrics?name[]=x' })).status).toBe(200);
  });

  it('answers /healthz 200 "ok" while healthy() holds, 503 once it does not', async () => {
    const up = await ask(server, { path: '/healthz' });
    expect([up.status, up.body]).toEqual([200, 'ok']);
    healthy = false;
    try {
      expect((await ask(server, { path: '/healthz' })).status).toBe(503);
      expect((await ask(server, { path: '/healthz', method: 'HEAD' })).status).toBe(503);
    } finally {
      healthy = true;
    }
  });

  it.each(['/', '/metrics/', '/metricsx', '/healthz/x', '/favicon.ico', '/%2e%2e/metrics'])('answers 404 for %s', async (path) => {
    expect((await ask(server, { path })).status).toBe(404);
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])('answers %s /metrics with 405 and Allow: GET, HEAD', async (method) => {
    const reply = await ask(server, { method });
    expect(reply.status).toBe(405);
    expect(reply.headers['allow']).toBe('GET, HEAD');
  });

  it('answers a malformed request line with 400 and keeps serving', async () => {
    expect(await raw(server.port, 'GET /metrics HTTP/1.1 trailing junk\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(server.port, '\x00\x01\x02\xff / HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(server.port, 'GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(server.port, 'GET http://[broken/metrics HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect((await ask(server)).status).toBe(200);
  });

  it('answers oversized headers with 431 and keeps serving', async () => {
    const reply = await raw(server.port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect((await ask(server)).status).toBe(200);
  });

  it('closes a slow-loris connection and a silent one within the header timeout, and keeps serving', async () => {
    const drip = connect(server.port, HOST);
    const silent = connect(server.port, HOST);
    drip.on('connect', () => drip.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'));
    const dripping = setInterval(() => drip.writable && drip.write('X-Slow: 1\r\n'), 500);
    try {
      const [slow, quiet] = await Promise.all([closedAfter(drip), closedAfter(silent)]);
      const bound = METRICS_SERVER_TIMEOUTS.headers + METRICS_SERVER_TIMEOUTS.checkInterval + 4_000;
      expect(slow.ms).toBeLessThan(bound);
      expect(quiet.ms).toBeLessThan(bound);
      expect(slow.got).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(dripping);
    }
    expect((await ask(server)).status).toBe(200);
  });

  it('refuses a second server on the same address with one line naming it', async () => {
    const err: unknown = await start({ port: server.port }).then(
      (s) => s.close(),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MetricsServerError);
    expect((err as MetricsServerError).code).toBe('EADDRINUSE');
    expect((err as Error).message).toBe(`--listen 127.0.0.1:${server.port}: address already in use (another process is listening there)`);
    expect((await ask(server)).status).toBe(200);
  });
});

describe('metrics server life cycle and failures', () => {
  it('frees its port on close(), and close() can be called twice', async () => {
    const first = await start();
    await Promise.all([first.close(), first.close()]);
    await first.close();
    const second = await start({ port: first.port });
    expect(second.port).toBe(first.port);
    expect((await ask(second)).status).toBe(200);
    await second.close();
  });

  it('answers 500 when a route rejects, and serves again once it resolves', async () => {
    let broken = true;
    const server = await start({
      routes: {
        '/metrics': async () => {
          if (broken) throw new Error('registry exploded');
          return { contentType: EXPOSITION, body: 'up 1\n' };
        },
      },
    });
    try {
      const failed = await ask(server);
      expect(failed.status).toBe(500);
      expect(failed.body).not.toContain('registry exploded');
      broken = false;
      expect((await ask(server)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('adds the web config headers to every response, errors included', async () => {
    const server = await start({ webConfig: await loadWebConfig(DIR + 'headers.good.yml') });
    try {
      for (const reply of [await ask(server), await ask(server, { path: '/nope' })]) {
        expect(reply.headers['x-frame-options']).toBe('deny');
        expect(reply.headers['content-security-policy']).toBe("default-src 'self'");
        expect(reply.headers['x-xss-protection']).toBe('1');
      }
    } finally {
      await server.close();
    }
  });
});

describe('metrics server with TLS and basic auth', () => {
  let server: MetricsServer;

  beforeAll(async () => {
    server = await start({ webConfig: await loadWebConfig(DIR + 'tls_users.good.yml') });
  });
  afterAll(() => server.close());

  it('serves HTTPS and says so in its url', () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}/metrics`);
  });

  it('serves the right credentials (both users, $2y$ and $2b$ hashes)', async () => {
    expect((await ask(server, { auth: PROMETHEUS })).status).toBe(200);
    expect((await ask(server, { auth: GRAFANA, path: '/healthz' })).status).toBe(200);
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', basic('prometheus', 'scrape-secreT')],
    ['an unknown user', basic('alertmanager', 'scrape-secret')],
    ["another user's password", basic('grafana', 'scrape-secret')],
    ['an empty user and password', basic('', '')],
    ['a bearer token', 'Bearer scrape-secret'],
    ['credentials that are not base64', 'Basic !!!not-base64!!!'],
    ['credentials without a colon', 'Basic ' + Buffer.from('prometheus').toString('base64')],
  ])('answers 401 with WWW-Authenticate for %s', async (_, authorization) => {
    const reply = await ask(server, authorization === undefined ? {} : { authorization });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('never lets a wrong password in on the strength of a cached right one', async () => {
    expect((await ask(server, { auth: PROMETHEUS })).status).toBe(200);
    expect((await ask(server, { auth: { user: 'prometheus', password: 'wrong' } })).status).toBe(401);
    expect((await ask(server, { auth: { user: 'prometheus', password: '' } })).status).toBe(401);
    expect((await ask(server, { auth: PROMETHEUS })).status).toBe(200);
  });

  it('authenticates before routing: an unknown path is 401 without credentials, 404 with them', async () => {
    expect((await ask(server, { path: '/nope' })).status).toBe(401);
    expect((await ask(server, { path: '/nope', auth: PROMETHEUS })).status).toBe(404);
    expect((await ask(server, { method: 'POST', auth: PROMETHEUS })).status).toBe(405);
  });

  it('does not answer plain HTTP on the TLS port', async () => {
    const plain = { ...server, url: server.url.replace('https:', 'http:') };
    await expect(ask(plain)).rejects.toThrow();
  });

  it('answers 300 concurrent logins, half of them wrong, while the event loop keeps turning', async () => {
    // Connections first, then all 300 requests in one burst, so the server reads them in one turn of its
    // loop: bcrypt on the loop would then run 150 times back to back (seconds at cost 8) with no timer between.
    const sockets = await Promise.all(Array.from({ length: 300 }, () => openTls(server.port)));
    let ticks = 0;
    let last = Date.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = Date.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 10);
    try {
      const replies = sockets.map((socket, i) => {
        const reply = closedAfter(socket);
        // Each wrong password is distinct, so each costs a real bcrypt (no cache, no shared check).
        const authorization = i % 2 === 0 ? basic(PROMETHEUS.user, PROMETHEUS.password) : basic('prometheus', `guess-${i}`);
        socket.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`);
        return reply;
      });
      const statuses = (await Promise.all(replies)).map(({ got }) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(got)?.[1]));
      statuses.forEach((status, i) => expect(status, `login ${i}`).toBe(i % 2 === 0 ? 200 : 401));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(10);
    expect(longestGap).toBeLessThan(1_500);
  });

  it('closes a connection that never starts its TLS handshake', async () => {
    const { ms } = await closedAfter(connect(server.port, HOST));
    expect(ms).toBeLessThan(METRICS_SERVER_TIMEOUTS.handshake + 4_000);
  });
});

describe('metrics server TLS options', () => {
  it('requires a client certificate signed by client_ca_file under RequireAndVerifyClientCert', async () => {
    const server = await start({ webConfig: await loadWebConfig(DIR + 'tls_client_auth.good.yml') });
    try {
      const signed = { ca: fixture('server.crt'), cert: fixture('client.crt'), key: fixture('client.key') };
      expect((await ask(server, { tls: signed })).status).toBe(200);
      await expect(ask(server)).rejects.toThrow();
      // A certificate the CA did not sign: the server's own, which is self-signed.
      const stranger = { ca: fixture('server.crt'), cert: fixture('server.crt'), key: fixture('server.key') };
      await expect(ask(server, { tls: stranger })).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('refuses clients below min_version', async () => {
    const server = await start({ webConfig: await loadWebConfig(DIR + 'tls_options.good.yml') });
    try {
      expect((await ask(server)).status).toBe(200);
      await expect(ask(server, { tls: { ca: fixture('server.crt'), maxVersion: 'TLSv1.2' } })).rejects.toThrow(/version|protocol/i);
    } finally {
      await server.close();
    }
  });
});
