// Posts spike alerts to Alertmanager (API v2, `POST <url>/api/v2/alerts`) the way Prometheus's notifier
// does: the current state of each alert, re-sent while it lasts, in batches, through a bounded queue per
// Alertmanager that drops its oldest entry when full. Nothing here ever waits on the network for the caller.
import { hostname } from 'node:os';
import type { Family } from '../codes/category.js';
import type { AlertEvent } from './events.js';

/** An alert as Alertmanager's API takes it (postableAlert in its OpenAPI spec). */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

export interface AlertmanagerNotifierOptions {
  /** Alertmanager base URLs (`http://am:9093`, or with a path prefix); each gets every alert. */
  readonly urls: readonly string[];
  /** Re-send period while an alert lasts (`--alertmanager-resend`). Default 60s. */
  readonly resendMs?: number;
  /** Alerts waiting per Alertmanager before the oldest is dropped (`--alertmanager-queue`). Default 10000. */
  readonly queueCapacity?: number;
  /** Per request. Default 10s, as Prometheus. */
  readonly timeoutMs?: number;
  /** First retry delay after a failed post, doubled per failure up to backoffMaxMs. Default 500ms. */
  readonly backoffMinMs?: number;
  /** Default 30s. */
  readonly backoffMaxMs?: number;
  /** How long a resolved alert keeps being re-sent. Default 15 minutes, as Prometheus. */
  readonly resolvedResendForMs?: number;
  /**
   * Labels added to every alert. Default `{ instance: <hostname> }`: one instance runs per gateway host,
   * and without a label that tells them apart, one host's resolve would close another host's alert.
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** Default SEVERITY. */
  readonly severity?: Partial<Readonly<Record<Family, string>>>;
  /** Link shown with the alert (e.g. a dashboard). */
  readonly generatorURL?: string;
}

/** Counters of one Alertmanager, read at scrape time (errcode_notifications_*). */
export interface AlertmanagerStats {
  /** The alerts endpoint, credentials removed: the `alertmanager` label, as Prometheus labels it. */
  readonly url: string;
  /** Alerts Alertmanager accepted. */
  readonly sent: number;
  /** Failed posts (network error, timeout, non-2xx answer). */
  readonly errors: number;
  /** Alerts pushed out of the full queue. */
  readonly dropped: number;
  readonly queueLength: number;
  /** What the last failed post said, for diagnostics. */
  readonly lastError: string | undefined;
}

export class AlertmanagerUrlError extends Error {
  override name = 'AlertmanagerUrlError';
}

export const ALERTNAME = 'ErrcodeSpike';

/**
 * Both families page. A server spike means the platform fails its callers (database, Redis, 5xx); a
 * platform spike means calls are rejected before reaching any business logic (keys, signatures,
 * timestamps), typically a broken key rotation or clock, which fails callers just as surely. The detector
 * already requires a large, sustained departure from the family's normal share, so a spike is never noise.
 * Route on `family` to send them to different teams.
 */
export const SEVERITY: Readonly<Record<Family, string>> = Object.freeze({ server: 'critical', platform: 'critical' });

/** Alerts per POST, as Prometheus batches them. */
export const MAX_BATCH = 256;

/** A firing alert's endsAt lies this many resend periods ahead: Alertmanager resolves it if we stop. */
export const ENDS_AT_RESENDS = 4;

const FAMILY_TEXT: Readonly<Record<Family, string>> = { server: 'Server-side errors', platform: 'Platform auth errors' };

interface Tracked {
  /** One incident: its family and event-time start. Queue entries are keyed by it. */
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly startsMs: number;
  /** Set once resolved. */
  endsAt?: string;
  /** Wall time after which a resolved alert is no longer re-sent. */
  forgetAt?: number;
}

interface Settings {
  readonly capacity: number;
  readonly timeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

/** One Alertmanager: its queue, its counters, and at most one request in flight. */
class Endpoint {
  sent = 0;
  errors = 0;
  dropped = 0;
  lastError: string | undefined;
  /** Insertion order is age order; a re-queued alert replaces its older state and moves to the back. */
  readonly queue = new Map<string, PostableAlert>();
  private inFlight: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private closing = false;

  constructor(
    readonly url: string,
    private readonly authorization: string | undefined,
    private readonly settings: Settings,
    private readonly abort: AbortSignal,
  ) {}

  enqueue(key: string, alert: PostableAlert): void {
    this.queue.delete(key);
    this.queue.set(key, alert);
    while (this.queue.size > this.settings.capacity) {
      const oldest = this.queue.keys().next().value as string;
      this.queue.delete(oldest);
      this.dropped += 1;
    }
  }

  pump(): void {
    if (this.inFlight || this.retry || this.closing || this.queue.size === 0) return;
    this.inFlight = this.drain().finally(() => {
      this.inFlight = undefined;
    });
  }

  /** Stops retrying; waits for the request in flight, then tries once to post what is left. */
  async flush(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    if (this.inFlight) await this.inFlight;
    if (this.queue.size > 0 && !this.abort.aborted) await this.drain();
  }

  /** Posts batches until the queue is empty or a post fails; a failure schedules the next attempt. */
  private async drain(): Promise<void> {
    while (this.queue.size > 0) {
      const batch: [string, PostableAlert][] = [];
      for (const entry of this.queue) {
        batch.push(entry);
        if (batch.length === MAX_BATCH) break;
      }
      const outcome = await this.post(batch.map(([, a]) => a));
      if (outcome === 'retry') {
        if (!this.closing) this.scheduleRetry();
        return;
      }
      if (outcome === 'sent') this.sent += batch.length;
      this.backoffMs = 0;
      // An alert re-queued while this batch was on its way carries a newer state: it stays queued.
      for (const [key, alert] of batch) if (this.queue.get(key) === alert) this.queue.delete(key);
    }
  }

  /** 'rejected': Alertmanager refused the batch for what it is, and would refuse it again. */
  private async post(alerts: readonly PostableAlert[]): Promise<'sent' | 'rejected' | 'retry'> {
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (this.authorization) headers['authorization'] = this.authorization;
      const res = await fetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(alerts),
        signal: AbortSignal.any([AbortSignal.timeout(this.settings.timeoutMs), this.abort]),
      });
      const text = await res.text();
      if (res.ok) return 'sent';
      this.errors += 1;
      this.lastError = `HTTP ${res.status}: ${text.trim().slice(0, 200)}`;
      const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      return permanent ? 'rejected' : 'retry';
    } catch (err) {
      this.errors += 1;
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      this.lastError = `${err instanceof Error ? err.message : String(err)}${cause}`;
      return 'retry';
    }
  }

  private scheduleRetry(): void {
    const { backoffMinMs, backoffMaxMs } = this.settings;
    this.backoffMs = this.backoffMs === 0 ? backoffMinMs : Math.min(this.backoffMs * 2, backoffMaxMs);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.pump();
    }, this.backoffMs);
    this.retry.unref();
  }
}

/** The alerts endpoint of an Alertmanager URL, with any user:password moved to a Basic header. */
export function alertsEndpoint(raw: string): { url: string; authorization: string | undefined } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new AlertmanagerUrlError(`alertmanager URL ${JSON.stringify(raw)} is not a valid URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AlertmanagerUrlError(`alertmanager URL ${JSON.stringify(raw)} must be http:// or https://`);
  }
  let authorization: string | undefined;
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  u.hash = '';
  u.search = '';
  if (!/\/api\/v2\/alerts\/?$/.test(u.pathname)) {
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  }
  return { url: u.href, authorization };
}

function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;

function annotationsOf(e: AlertEvent): Record<string, string> {
  const summary =
    `${FAMILY_TEXT[e.family]} spiked to ${percent(e.ratio)} of responses over ${e.window_seconds}s ` +
    `(${e.count} of ${e.total}; baseline ${percent(e.baseline_ratio)})`;
  const top = e.top_codes.map((c) => `${c.code} x${c.count}: ${c.description}`);
  // Where the errors come from: one annotation per dimension (top_route, top_app, ...) for templates and
  // routing, and the same lines in the description for people.
  const places = Object.entries(e.top_labels ?? {}).map(([name, values]) => [`top_${name}`, values.map((v) => `${v.value} (${v.count})`).join(', ')] as const);
  const where = places.map(([key, text]) => `${key.slice(4)}: ${text}`);
  const description = [`Top codes in the window (since ${e.startsAt}, event time):`, ...top, ...(where.length > 0 ? ['Where:', ...where] : [])].join('\n');
  return { summary, description, ...Object.fromEntries(places) };
}

export class AlertmanagerNotifier {
  private readonly endpoints: readonly Endpoint[];
  private readonly tracked = new Map<Family, Tracked>();
  private readonly abort = new AbortController();
  private readonly resendMs: number;
  private readonly resolvedResendForMs: number;
  private readonly labels: Readonly<Record<string, string>>;
  private readonly severity: Readonly<Record<Family, string>>;
  private readonly generatorURL: string | undefined;
  private readonly resendTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: AlertmanagerNotifierOptions) {
    const positive = (name: string, v: number): number => {
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`alertmanager ${name} must be a positive number; got ${v}`);
      return v;
    };
    this.resendMs = positive('resend interval', options.resendMs ?? 60_000);
    this.resolvedResendForMs = options.resolvedResendForMs ?? 15 * 60_000;
    const capacity = positive('queue capacity', options.queueCapacity ?? 10_000);
    const settings: Settings = {
      capacity: Math.max(1, Math.floor(capacity)),
      timeoutMs: positive('timeout', options.timeoutMs ?? 10_000),
      backoffMinMs: positive('backoff', options.backoffMinMs ?? 500),
      backoffMaxMs: positive('backoff', options.backoffMaxMs ?? 30_000),
    };
    this.labels = options.labels ?? { instance: hostname() };
    this.severity = { ...SEVERITY, ...options.severity };
    this.generatorURL = options.generatorURL;
    this.endpoints = options.urls.map((raw) => {
      const { url, authorization } = alertsEndpoint(raw);
      return new Endpoint(url, authorization, settings, this.abort.signal);
    });
    if (this.endpoints.length > 0) {
      this.resendTimer = setInterval(() => this.resend(), this.resendMs);
      this.resendTimer.unref();
    }
  }

  /** Queues the event's alert for every Alertmanager and returns at once; posting happens in the background. */
  notify(event: AlertEvent): void {
    if (this.stopping || this.endpoints.length === 0) return;
    const now = Date.now();
    const key = `${event.family}/${event.startsAt}`;
    let t = this.tracked.get(event.family);
    if (event.status === 'firing' || !t || t.key !== key) {
      // Event time may run ahead of this host's clock; Alertmanager must never see a start in its future.
      const parsed = Date.parse(event.startsAt);
      const startsMs = Number.isNaN(parsed) ? now : Math.min(parsed, now);
      t = {
        key,
        labels: { ...this.labels, alertname: ALERTNAME, family: event.family, severity: this.severity[event.family] },
        annotations: annotationsOf(event),
        startsAt: isoMs(startsMs),
        startsMs,
      };
      this.tracked.set(event.family, t);
    }
    if (event.status === 'resolved') {
      // endsAt in event time, but never in Alertmanager's future (it would stay active until then) and
      // never before the start it was sent with.
      const parsed = Date.parse(event.endsAt ?? '');
      const endsMs = Number.isNaN(parsed) ? now : parsed;
      t.endsAt = isoMs(Math.max(t.startsMs, Math.min(endsMs, now)));
      t.forgetAt = now + this.resolvedResendForMs;
    }
    this.enqueue(t, now);
  }

  /** Alerts waiting to be posted, over all Alertmanagers (errcode_notifications_queue_length). */
  get queueLength(): number {
    let n = 0;
    for (const e of this.endpoints) n += e.queue.size;
    return n;
  }

  /** Per Alertmanager, in the order of the URLs given. */
  stats(): AlertmanagerStats[] {
    return this.endpoints.map((e) => ({
      url: e.url,
      sent: e.sent,
      errors: e.errors,
      dropped: e.dropped,
      queueLength: e.queue.size,
      lastError: e.lastError,
    }));
  }

  /**
   * Stops re-sending and retrying, then tries once more to post what is queued, giving up after
   * `deadlineMs` (requests still in flight are aborted). Later events are ignored.
   */
  stop(deadlineMs = 2_000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.resendTimer) clearInterval(this.resendTimer);
      const flushed = Promise.allSettled(this.endpoints.map((e) => e.flush()));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((res) => {
        timer = setTimeout(res, deadlineMs);
      });
      await Promise.race([flushed, deadline]);
      clearTimeout(timer);
      this.abort.abort();
      await flushed;
    })();
    return this.stopping;
  }

  private enqueue(t: Tracked, now: number): void {
    const alert: PostableAlert = {
      labels: t.labels,
      annotations: t.annotations,
      startsAt: t.startsAt,
      endsAt: t.endsAt ?? isoMs(now + ENDS_AT_RESENDS * this.resendMs),
      ...(this.generatorURL ? { generatorURL: this.generatorURL } : {}),
    };
    for (const e of this.endpoints) {
      e.enqueue(t.key, alert);
      e.pump();
    }
  }

  private resend(): void {
    const now = Date.now();
    for (const [family, t] of this.tracked) {
      if (t.forgetAt !== undefined && now >= t.forgetAt) this.tracked.delete(family);
      else this.enqueue(t, now);
    }
  }
}
