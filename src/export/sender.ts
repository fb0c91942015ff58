// Delivery to one remote-write receiver, as Prometheus's own sender does it: one request at a time (so every
// series' samples arrive in time order), at most MAX_SAMPLES_PER_SEND a request; 5xx and network errors
// retried with backoff (30 ms, doubling, up to 5 s), 429 after its Retry-After; other 4xx dropped and counted.
// Live input: a bounded queue that drops its oldest samples, so the reading never waits. A replay: nothing is
// dropped; room() tells the reader to wait while the queue is full.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RemoteWriteStats } from '../metrics/families.js';
import type { Frame } from './frames.js';
import { CONTENT_ENCODING, CONTENT_TYPE, PROTOCOL_VERSION, type FrameSlice, type WriteRequestEncoder } from './remote-write.js';

/** Samples per request: Prometheus's default max_samples_per_send. */
export const MAX_SAMPLES_PER_SEND = 2000;
/** A replay sends full requests only, or what it has after this long (Prometheus's batch_send_deadline). */
const BATCH_DEADLINE_MS = 5000;

export interface SenderOptions {
  /** The receiver's URL as given; user:password in it becomes a Basic Authorization header. */
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly userAgent: string;
  /** Samples kept waiting (--remote-write-queue). */
  readonly capacity: number;
  /** Live input: a full queue drops its oldest samples. A replay: it never drops, the reader waits (room()). */
  readonly dropOldest: boolean;
  readonly log: (line: string) => void;
  /** Per request. Default 30s, Prometheus's remote_timeout. */
  readonly timeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /**
   * A replay gives up a receiver that has kept failing this long (its samples count as failed), so that a
   * dead receiver cannot hold the run for ever. Live input retries for as long as it runs. Default 2 minutes.
   */
  readonly giveUpAfterMs?: number;
}

/** The `remote` label and the request's target: the URL without credentials (and the Basic header they make). */
export function remoteOf(raw: string): { url: string; remote: string; authorization: string | undefined } {
  const u = new URL(raw);
  const authorization = u.username || u.password ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
  u.username = '';
  u.password = '';
  u.hash = '';
  const remote = `${u.origin}${u.pathname}`;
  return { url: u.href, remote, authorization };
}

/** Retry-After: seconds, or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * A receiver refusing samples for their age: Prometheus answers 400 "out of bounds" without an out-of-order
 * window, and 500 "too old sample" past a window too small (400 only from 2.50 on, prometheus#13334);
 * Mimir and Thanos Receive say "too old" or "out of order". Retrying would never help.
 */
const TOO_OLD = /out of bounds|too old|out[ -]of[ -]order/i;

interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/**
 * One POST through node:http (fetch would do, but loading it costs about 130 ms of CPU at the first request,
 * a third of a 100k-line replay). An error is the socket's (its code, such as ECONNREFUSED) or the signal's.
 */
function post(url: URL, agent: HttpAgent, headers: Record<string, string>, body: Buffer, signal: AbortSignal): Promise<Response> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        // The body is reserved (and ignored) on success; on an error its start says why.
        if (size < 4096) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Outcome = { readonly kind: 'sent' } | { readonly kind: 'rejected'; readonly why: string; readonly tooOld: boolean } | { readonly kind: 'retry'; readonly why: string; readonly afterMs?: number };

interface Queued {
  readonly frame: Frame;
  from: number;
}

export class RemoteWriteSender {
  readonly remote: string;
  sent = 0;
  failed = 0;
  dropped = 0;
  /** POSTs made, retries included. */
  requests = 0;
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly headers: Record<string, string>;
  private readonly queue: Queued[] = [];
  private head = 0;
  private queued = 0;
  private inFlight = 0;
  private running: Promise<void> | undefined;
  /** Given up (a replay's dead receiver: what is left failed) or stopped (what is left was dropped): nothing more is sent. */
  private closedAs: 'failed' | 'dropped' | undefined;
  private stopAt = Infinity;
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  /** The end is asked for (drained(), stop()): partial batches go too. */
  private flushing = false;
  /** A replay's partial batch has waited BATCH_DEADLINE_MS. */
  private due = false;
  private deadline: NodeJS.Timeout | undefined;
  private failingSince = 0;
  private failures = 0;
  private backoffMs = 0;
  private toldTooOld = false;
  private toldRejected = false;

  constructor(
    private readonly options: SenderOptions,
    private readonly encoder: WriteRequestEncoder,
  ) {
    const { url, remote, authorization } = remoteOf(options.url);
    this.url = new URL(url);
    // One connection, kept open between pushes.
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.remote = remote;
    this.headers = {
      ...(authorization ? { authorization } : {}),
      ...Object.fromEntries(options.headers.map(([n, v]) => [n.toLowerCase(), v])),
      'content-encoding': CONTENT_ENCODING,
      'content-type': CONTENT_TYPE,
      'user-agent': options.userAgent,
      'x-prometheus-remote-write-version': PROTOCOL_VERSION,
    };
  }

  stats(): RemoteWriteStats {
    return { remote: this.remote, sent: this.sent, failed: this.failed, dropped: this.dropped, pending: this.queued + this.inFlight };
  }

  /** Queues a frame for delivery; returns at once. */
  enqueue(frame: Frame): void {
    const n = frame.ids.length;
    if (n === 0) return;
    if (this.closedAs) {
      // A replay that gave this receiver up goes on; its samples are the ones it could not deliver.
      this[this.closedAs] += n;
      return;
    }
    this.queue.push({ frame, from: 0 });
    this.queued += n;
    if (this.options.dropOldest) this.dropOverCapacity();
    this.pump();
  }

  /** Resolves once the queue has room (at once on live input, which drops instead). */
  room(): Promise<void> {
    return this.until(() => this.closedAs !== undefined || this.queued < this.options.capacity);
  }

  /** Resolves once everything queued was delivered, refused, or given up. */
  drained(): Promise<void> {
    this.flushing = true;
    this.pump();
    return this.until(() => this.closedAs !== undefined || (this.queued === 0 && this.inFlight === 0));
  }

  /**
   * Sends what it can for at most `deadlineMs` more, then stops: a request in flight is aborted and what is
   * left counts as dropped.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.flushing = true;
    this.stopAt = Math.min(this.stopAt, Date.now() + deadlineMs);
    const timer = setTimeout(() => this.close('dropped'), Math.max(0, this.stopAt - Date.now()));
    timer.unref();
    await this.drained();
    clearTimeout(timer);
    this.close('dropped');
    await this.running;
  }

  private until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (ready()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private dropOverCapacity(): void {
    while (this.queued > this.options.capacity) {
      const q = this.queue[this.head]!;
      const n = Math.min(this.queued - this.options.capacity, q.frame.ids.length - q.from);
      q.from += n;
      this.queued -= n;
      this.dropped += n;
      if (q.from === q.frame.ids.length) this.head++;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The oldest queued samples, up to MAX_SAMPLES_PER_SEND, taken off the queue. */
  private take(): FrameSlice[] {
    const slices: FrameSlice[] = [];
    let room = MAX_SAMPLES_PER_SEND;
    while (room > 0 && this.head < this.queue.length) {
      const q = this.queue[this.head]!;
      const to = Math.min(q.frame.ids.length, q.from + room);
      slices.push({ frame: q.frame, from: q.from, to });
      room -= to - q.from;
      this.queued -= to - q.from;
      this.inFlight += to - q.from;
      q.from = to;
      if (to === q.frame.ids.length) this.head++;
    }
    this.compact();
    return slices;
  }

  /**
   * Whether to send what is queued now. Live input sends at once (a push every interval). A replay makes
   * its frames far faster: it sends full requests (a quarter of the requests, measured on 1M lines: 243 of
   * 430 samples on average before), and the rest at the end or after BATCH_DEADLINE_MS.
   */
  private ready(): boolean {
    return this.options.dropOldest || this.flushing || this.due || this.queued >= Math.min(MAX_SAMPLES_PER_SEND, this.options.capacity);
  }

  private pump(): void {
    if (this.running || this.closedAs !== undefined || this.queued === 0) return;
    if (!this.ready()) {
      this.deadline ??= setTimeout(() => {
        this.deadline = undefined;
        this.due = true;
        this.pump();
      }, BATCH_DEADLINE_MS).unref();
      return;
    }
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.running = this.deliverAll().finally(() => {
      this.running = undefined;
      this.changed();
      this.pump();
    });
  }

  private async deliverAll(): Promise<void> {
    while (this.closedAs === undefined && this.queued > 0 && this.ready()) {
      this.due = false;
      const batch = this.take();
      const n = this.inFlight;
      this.changed();
      await this.deliver(batch, n);
      this.inFlight = 0;
    }
  }

  /** One batch until it is delivered, refused, or the sender closes. */
  private async deliver(batch: readonly FrameSlice[], n: number): Promise<void> {
    const body = this.encoder.body(batch);
    for (;;) {
      if (this.closedAs) {
        this.dropped += n;
        return;
      }
      const outcome = await this.post(body);
      if (outcome.kind === 'sent') {
        this.sent += n;
        this.recover();
        return;
      }
      if (outcome.kind === 'rejected') {
        this.failed += n;
        this.recover();
        this.tell(outcome);
        return;
      }
      const now = Date.now();
      if (this.failures++ === 0) {
        this.failingSince = now;
        this.options.log(`remote write ${this.remote}: ${outcome.why}; retrying${this.options.dropOldest ? `, keeping the newest ${this.options.capacity} samples` : ''}`);
      }
      const giveUp = this.options.dropOldest ? Infinity : (this.options.giveUpAfterMs ?? 120_000);
      if (now - this.failingSince >= giveUp) {
        this.failed += n;
        this.options.log(`remote write ${this.remote}: gave up after ${Math.round((now - this.failingSince) / 1000)} s of failures (${outcome.why}); the samples not delivered count as failed`);
        this.close('failed');
        return;
      }
      const { backoffMinMs = 30, backoffMaxMs = 5000 } = this.options;
      this.backoffMs = this.backoffMs === 0 ? backoffMinMs : Math.min(this.backoffMs * 2, backoffMaxMs);
      await this.sleep(outcome.afterMs ?? this.backoffMs);
    }
  }

  private recover(): void {
    if (this.failures > 0) this.options.log(`remote write ${this.remote}: delivering again after ${this.failures} failed attempts`);
    this.failures = 0;
    this.backoffMs = 0;
  }

  private tell(outcome: Extract<Outcome, { kind: 'rejected' }>): void {
    if (outcome.tooOld) {
      if (this.toldTooOld) return;
      this.toldTooOld = true;
      this.options.log(
        `remote write ${this.remote}: the receiver refuses samples as too old (${outcome.why}); event-time samples need an out-of-order window there ` +
          '(Prometheus: storage.tsdb.out_of_order_time_window in its configuration file, larger than the age of the log); they count as failed and are not retried',
      );
      return;
    }
    if (this.toldRejected) return;
    this.toldRejected = true;
    this.options.log(`remote write ${this.remote}: the receiver refuses the samples (${outcome.why}); they count as failed and are not retried`);
  }

  private async post(body: Buffer): Promise<Outcome> {
    this.requests++;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await post(this.url, this.agent, this.headers, body, AbortSignal.any([timeout, this.abort.signal]));
      if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
      const text = res.text.trim().replace(/\s+/g, ' ').slice(0, 200);
      const why = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
      if (res.status >= 400 && TOO_OLD.test(text)) return { kind: 'rejected', why, tooOld: true };
      if (res.status === 429) {
        const header = res.headers['retry-after'];
        const afterMs = retryAfterMs(typeof header === 'string' ? header : null, Date.now());
        return afterMs === undefined ? { kind: 'retry', why } : { kind: 'retry', why, afterMs };
      }
      // A redirect is not followed (the body would have to go again): the URL is wrong, like a 404's.
      if (res.status < 300) return { kind: 'rejected', why, tooOld: false };
      if (res.status < 400) return { kind: 'rejected', why: `${why} to ${String(res.headers['location'] ?? '?')}, not followed`, tooOld: false };
      if (res.status < 500) return { kind: 'rejected', why, tooOld: false };
      return { kind: 'retry', why };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = timeout.aborted ? `no answer in ${timeoutMs / 1000} s` : (e.code ?? e.message);
      return { kind: 'retry', why };
    }
  }

  /** Waits `ms`, or less when the sender closes. */
  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }

  /** No more sending: what is queued counts as `as`. */
  private close(as: 'failed' | 'dropped'): void {
    if (this.closedAs) return;
    this.closedAs = as;
    this[as] += this.queued;
    this.queued = 0;
    this.queue.length = this.head = 0;
    this.abort.abort();
    this.agent.destroy();
    clearTimeout(this.deadline);
    this.changed();
  }
}
