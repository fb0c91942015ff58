// Delivery to a remote-write receiver (SPEC "History"): the protocol's headers, retries with backoff for 5xx
// and network errors, 429 with Retry-After, 4xx dropped and counted, receivers that refuse old samples told
// once and not retried, live input's bounded queue, and a replay that waits for room.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SeriesTable } from '../../dist/export/frames.js';
import { WriteRequestEncoder } from '../../dist/export/remote-write.js';
import { MAX_SAMPLES_PER_SEND, RemoteWriteSender, remoteOf, retryAfterMs } from '../../dist/export/sender.js';
import { startReceiver, type Receiver } from '../support/remote-write.js';

const T = Date.UTC(2026, 10, 28, 14, 0, 0);

/** A table of `n` series and a way to take frames of it at successive times. */
function frames(n: number) {
  const series = Array.from({ length: n }, (_, i) => ({ values: [String(i)] }));
  let value = 0;
  const table = new SeriesTable(
    [{ name: 'errcode_responses_total', type: 'counter', help: 'h', labelNames: ['code'], collect: (each: (s: unknown, v: number) => void) => series.forEach((s) => each(s, value)) }],
    [['job', 'errcode-stream']],
  );
  let at = T;
  return {
    encoder: new WriteRequestEncoder(table),
    next: () => {
      value++;
      return table.frame((at += 15_000));
    },
  };
}

let receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

function sender(url: string, f: ReturnType<typeof frames>, options: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const s = new RemoteWriteSender(
    { url, headers: [], userAgent: 'errcode-stream/test', capacity: 100_000, dropOldest: true, log: (l: string) => lines.push(l), backoffMinMs: 5, backoffMaxMs: 20, ...options },
    f.encoder,
  );
  return { s, lines };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('RemoteWriteSender', () => {
  it("sends the protocol's headers, the custom ones, and the URL's credentials as Basic auth", async () => {
    const rx = await receiver();
    const f = frames(3);
    const url = rx.url.replace('http://', 'http://user:p%40ss@');
    const { s } = sender(url, f, { headers: [['X-Scope-OrgID', 'tenant-1']] });
    s.enqueue(f.next());
    await s.drained();
    const h = rx.requests[0]!.headers;
    expect(h['content-encoding']).toBe('snappy');
    expect(h['content-type']).toBe('application/x-protobuf');
    expect(h['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(h['user-agent']).toBe('errcode-stream/test');
    expect(h['x-scope-orgid']).toBe('tenant-1');
    expect(h['authorization']).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    expect(s.stats()).toEqual({ remote: rx.url, sent: 3, failed: 0, dropped: 0, pending: 0 });
  });

  it('names the remote by its URL without credentials', () => {
    expect(remoteOf('https://u:secret@mimir.example:8080/api/v1/push?x=1#f')).toEqual({
      url: 'https://mimir.example:8080/api/v1/push?x=1',
      remote: 'https://mimir.example:8080/api/v1/push',
      authorization: `Basic ${Buffer.from('u:secret').toString('base64')}`,
    });
  });

  it('retries a 5xx with backoff until the receiver takes it, and says so once each way', async () => {
    const rx = await receiver((n) => (n < 3 ? { status: 503, body: 'overloaded' } : { status: 200 }));
    const f = frames(2);
    const { s, lines } = sender(rx.url, f);
    s.enqueue(f.next());
    await s.drained();
    expect(rx.requests).toHaveLength(4);
    expect(rx.requests.every((r) => r.body.equals(rx.requests[0]!.body))).toBe(true);
    expect(s.stats()).toMatchObject({ sent: 2, failed: 0, dropped: 0 });
    expect(lines).toEqual([`remote write ${rx.url}: HTTP 503: overloaded; retrying, keeping the newest 100000 samples`, `remote write ${rx.url}: delivering again after 3 failed attempts`]);
  });

  it('retries a network error', async () => {
    const f = frames(2);
    const { s, lines } = sender(`http://127.0.0.1:${await closedPort()}/api/v1/write`, f);
    s.enqueue(f.next());
    await new Promise((r) => setTimeout(r, 100));
    expect(s.stats()).toMatchObject({ sent: 0, failed: 0, pending: 2 });
    expect(lines[0]).toMatch(/ECONNREFUSED; retrying/);
    await s.stop(0);
    expect(s.stats()).toMatchObject({ sent: 0, failed: 0, dropped: 2, pending: 0 });
  });

  it('retries a request that got no answer in time', async () => {
    const rx = await receiver((n) => ({ status: 200, delayMs: n === 0 ? 500 : 0 }));
    const f = frames(1);
    const { s, lines } = sender(rx.url, f, { timeoutMs: 100 });
    s.enqueue(f.next());
    await s.drained();
    expect(lines[0]).toBe(`remote write ${rx.url}: no answer in 0.1 s; retrying, keeping the newest 100000 samples`);
    expect(rx.requests).toHaveLength(2);
    expect(s.stats().sent).toBe(1);
  });

  it('waits for the Retry-After of a 429', async () => {
    const rx = await receiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const f = frames(1);
    const { s } = sender(rx.url, f);
    s.enqueue(f.next());
    await s.drained();
    expect(rx.requests).toHaveLength(2);
    expect(rx.requests[1]!.atMs - rx.requests[0]!.atMs).toBeGreaterThanOrEqual(950);
    expect(s.stats().sent).toBe(1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('counts a 4xx as failed without retrying it, says so once, and goes on with the next samples', async () => {
    const rx = await receiver((n) => (n < 2 ? { status: 401, body: 'no token' } : { status: 200 }));
    const f = frames(2);
    const { s, lines } = sender(rx.url, f);
    for (let i = 0; i < 3; i++) {
      s.enqueue(f.next());
      await s.drained();
    }
    expect(rx.requests).toHaveLength(3);
    expect(s.stats()).toMatchObject({ sent: 2, failed: 4 });
    expect(lines).toEqual([`remote write ${rx.url}: the receiver refuses the samples (HTTP 401: no token); they count as failed and are not retried`]);
  });

  it('does not follow a redirect: the URL is wrong, and the samples count as failed', async () => {
    const rx = await receiver(() => ({ status: 308, headers: { location: '/api/v1/push' } }));
    const f = frames(2);
    const { s, lines } = sender(rx.url, f);
    s.enqueue(f.next());
    await s.drained();
    expect(rx.requests).toHaveLength(1);
    expect(s.stats()).toMatchObject({ sent: 0, failed: 2 });
    expect(lines).toEqual([`remote write ${rx.url}: the receiver refuses the samples (HTTP 308 to /api/v1/push, not followed); they count as failed and are not retried`]);
  });

  it.each([
    [400, 'out of bounds'],
    [500, 'too old sample'],
  ])('takes HTTP %i "%s" for samples too old: one line that names the fix, no retries', async (status, body) => {
    const rx = await receiver(() => ({ status, body }));
    const f = frames(MAX_SAMPLES_PER_SEND / 2);
    const { s, lines } = sender(rx.url, f, { dropOldest: false });
    for (let i = 0; i < 4; i++) s.enqueue(f.next());
    await s.drained();
    // Each sample went out once: nothing was retried.
    expect(rx.requests.reduce((n, r) => n + r.series.reduce((m, x) => m + x.samples.length, 0), 0)).toBe(2 * MAX_SAMPLES_PER_SEND);
    expect(s.stats()).toMatchObject({ sent: 0, failed: 2 * MAX_SAMPLES_PER_SEND, pending: 0 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`(HTTP ${status}: ${body})`);
    expect(lines[0]).toContain('out_of_order_time_window');
  });

  it('sends at most MAX_SAMPLES_PER_SEND samples a request, cutting a frame where it must', async () => {
    const rx = await receiver();
    const f = frames(1500);
    const { s } = sender(rx.url, f);
    s.enqueue(f.next());
    s.enqueue(f.next());
    await s.drained();
    const sizes = rx.requests.map((r) => r.series.reduce((n, x) => n + x.samples.length, 0));
    expect(sizes).toEqual([1500, 1500]);
    expect(s.stats().sent).toBe(3000);
  });

  it('on live input drops the oldest samples of a full queue, and delivers the newest once it can', async () => {
    let down = true;
    const rx = await receiver(() => (down ? { status: 503 } : { status: 200 }));
    const f = frames(100);
    const { s } = sender(rx.url, f, { capacity: 250 });
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(f.next());
    for (const frame of taken) s.enqueue(frame);
    // One request of the first frame is in flight; of the other 400 samples the queue keeps the newest 250.
    expect(s.stats()).toMatchObject({ dropped: 150, pending: 350 });
    down = false;
    await s.drained();
    expect(s.stats()).toMatchObject({ sent: 350, dropped: 150, pending: 0 });
    const times = [...new Set(rx.accepted().map(([, x]) => x.timestamp))];
    expect(times).toEqual([taken[0]!.atMs, taken[2]!.atMs, taken[3]!.atMs, taken[4]!.atMs]);
  });

  it('in a replay drops nothing: room() waits until the queue has room', async () => {
    const rx = await receiver(() => ({ status: 200, delayMs: 200 }));
    const f = frames(100);
    const { s } = sender(rx.url, f, { capacity: 150, dropOldest: false });
    s.enqueue(f.next());
    s.enqueue(f.next()); // a request's worth (the queue's size): in flight
    s.enqueue(f.next());
    s.enqueue(f.next());
    let roomy = false;
    void s.room().then(() => (roomy = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(roomy).toBe(false);
    expect(s.stats()).toMatchObject({ pending: 400, dropped: 0 });
    await s.drained();
    expect(roomy).toBe(true);
    expect(s.stats()).toMatchObject({ sent: 400, dropped: 0, failed: 0 });
  });

  it('in a replay sends full requests, and the rest once the end is asked for', async () => {
    const rx = await receiver();
    const f = frames(900);
    const { s } = sender(rx.url, f, { dropOldest: false });
    for (let i = 0; i < 3; i++) s.enqueue(f.next());
    await new Promise((r) => setTimeout(r, 100));
    const size = (r: (typeof rx.requests)[number]) => r.series.reduce((n, x) => n + x.samples.length, 0);
    expect(rx.requests.map(size)).toEqual([MAX_SAMPLES_PER_SEND]);
    await s.drained();
    expect(rx.requests.map(size)).toEqual([MAX_SAMPLES_PER_SEND, 2700 - MAX_SAMPLES_PER_SEND]);
  });

  it('in a replay gives up a receiver that keeps failing, counting what it could not deliver as failed', async () => {
    const f = frames(10);
    const { s, lines } = sender(`http://127.0.0.1:${await closedPort()}/api/v1/write`, f, { dropOldest: false, giveUpAfterMs: 100 });
    s.enqueue(f.next());
    s.enqueue(f.next());
    await s.drained();
    await s.room();
    s.enqueue(f.next());
    expect(s.stats()).toMatchObject({ sent: 0, failed: 30, dropped: 0, pending: 0 });
    expect(lines[1]).toMatch(/gave up after \d+ s of failures \(ECONNREFUSED\)/);
  });
});
