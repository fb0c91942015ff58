import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerNotifier, AlertmanagerUrlError, alertsEndpoint, type AlertmanagerStats } from '../../dist/alerts/alertmanager.js';
import { DEFAULT_SPIKE_OPTIONS, SpikeDetector } from '../../dist/alerts/detector.js';
import type { AlertEvent } from '../../dist/alerts/events.js';
import { packBuckets, type BucketDelta } from '../../dist/aggregate/types.js';
import { startAlertmanager, type Alertmanager, type GettableAlert } from '../support/alertmanager.js';

const SPIKE = ['alertname="ErrcodeSpike"'];

// Short periods so that re-sends and retries happen within a test; endsAt then lies 4 x 300 ms ahead.
const FAST = { resendMs: 300, backoffMinMs: 100, backoffMaxMs: 400, timeoutMs: 2_000 } as const;

const SERIES = [
  { code: '5021', description: '数据库服务连接失败，请稍后再试', category: 'server' as const },
  { code: '500003', description: '签名无效', category: 'platform_auth' as const },
];

/** Events from the real detector: a minute of 30% server errors, 15 minutes ago in event time. */
function detectorEvents(): { firing: AlertEvent; resolved: AlertEvent } {
  const det = new SpikeDetector(DEFAULT_SPIKE_OPTIONS, (slot) => SERIES[slot]!);
  const start = Math.floor(Date.now() / 1000) - 1200;
  const events: AlertEvent[] = [];
  for (let s = start; s < start + 1000; s++) {
    const errors = s >= start + 600 && s < start + 660 ? 30 : 1;
    const d: BucketDelta = { sec: s, total: 100, server: errors, platform: 0, codes: [0, errors] };
    events.push(...det.add(packBuckets([d])));
  }
  const [firing, resolved] = events;
  if (firing?.status !== 'firing' || resolved?.status !== 'resolved') throw new Error(`unexpected events ${JSON.stringify(events)}`);
  return { firing, resolved };
}

function event(family: 'server' | 'platform', status: 'firing' | 'resolved', startsAt: string, endsAt?: string): AlertEvent {
  return {
    type: 'alert',
    status,
    family,
    startsAt,
    ...(endsAt ? { endsAt } : {}),
    window_seconds: 60,
    count: 120,
    total: 1000,
    ratio: 0.12,
    baseline_ratio: 0.01,
    top_codes: [family === 'server' ? { ...SERIES[0]!, count: 120 } : { ...SERIES[1]!, count: 120 }].map(
      ({ code, count, description }) => ({ code, count, description }),
    ),
  };
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statsOf = (n: AlertmanagerNotifier, i = 0): AlertmanagerStats => n.stats()[i]!;

describe('AlertmanagerNotifier with a real Alertmanager', () => {
  let am: Alertmanager;
  const notifiers: AlertmanagerNotifier[] = [];
  const notifier = (options: Omit<ConstructorParameters<typeof AlertmanagerNotifier>[0], 'urls'> & { urls?: string[] } = {}) => {
    const n = new AlertmanagerNotifier({ urls: [am.url], ...FAST, labels: { instance: 'gw-test' }, ...options });
    notifiers.push(n);
    return n;
  };

  beforeAll(async () => {
    am = await startAlertmanager();
  });
  afterAll(async () => {
    await am?.close();
  });
  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.stop(200)));
    // Alertmanager keeps alerts in memory only: a restart gives the next test a clean slate.
    await am.restart();
  });

  it('shows a firing event as an active ErrcodeSpike alert, and resolves it on the resolved event', async () => {
    const { firing, resolved } = detectorEvents();
    const n = notifier({ resendMs: 500 });
    expect(n.notify(firing)).toBeUndefined();

    const [alert] = await am.waitForAlerts((a) => a.length === 1, 20_000, SPIKE);
    expect(alert!.labels).toEqual({ alertname: 'ErrcodeSpike', family: 'server', severity: 'critical', instance: 'gw-test' });
    expect(alert!.status.state).toBe('active');
    expect(alert!.startsAt).toBe(firing.startsAt);
    expect(Date.parse(alert!.endsAt)).toBeGreaterThan(Date.now());
    expect(alert!.annotations['summary']).toMatch(/^Server-side errors spiked to \d+\.\d% of responses over 60s/);
    expect(alert!.annotations['description']).toContain('5021 x');
    expect(alert!.annotations['description']).toContain('数据库服务连接失败，请稍后再试');
    // Alertmanager lists the alert before the answer to the post has reached us.
    await until('a counted post', () => statsOf(n).sent >= 1);
    expect(statsOf(n)).toMatchObject({ url: `${am.url}/api/v2/alerts`, errors: 0, dropped: 0 });

    // Re-sent while firing: it outlives several of its own endsAt leads.
    await new Promise((r) => setTimeout(r, 4_500));
    expect(await am.alerts(SPIKE)).toHaveLength(1);

    n.notify(resolved);
    await am.waitForAlerts((a) => a.length === 0, 20_000, SPIKE);
    // Still resolved after more re-sends: the re-sent resolved state never revives it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await am.alerts(SPIKE)).toEqual([]);
    expect(n.queueLength).toBe(0);
  });

  it('keeps the two families apart', async () => {
    const n = notifier();
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    n.notify(event('server', 'firing', startsAt));
    n.notify(event('platform', 'firing', startsAt));
    const alerts = await am.waitForAlerts((a) => a.length === 2, 20_000, SPIKE);
    const byFamily = new Map(alerts.map((a: GettableAlert) => [a.labels['family'], a]));
    expect(byFamily.get('platform')!.annotations['summary']).toMatch(/^Platform auth errors spiked/);
    expect(byFamily.get('platform')!.annotations['description']).toContain('500003 x120: 签名无效');

    n.notify(event('platform', 'resolved', startsAt, new Date().toISOString()));
    const left = await am.waitForAlerts((a) => a.length === 1, 20_000, SPIKE);
    expect(left[0]!.labels['family']).toBe('server');
  });

  it('queues without blocking while Alertmanager is down, counts the errors, and delivers once it is back', async () => {
    await am.stop();
    const n = notifier();
    const startsAt = new Date(Date.now() - 30_000).toISOString();
    // notify returns at once with the alert queued: nothing waits for the refused connection.
    expect(n.notify(event('server', 'firing', startsAt))).toBeUndefined();
    expect(n.queueLength).toBe(1);
    expect(statsOf(n).sent).toBe(0);

    await until('two failed posts', () => statsOf(n).errors >= 2);
    expect(n.queueLength).toBe(1);
    expect(statsOf(n).lastError).toMatch(/fetch failed|ECONNREFUSED/);

    await am.restart();
    const [alert] = await am.waitForAlerts((a) => a.length === 1, 20_000, SPIKE);
    expect(alert!.labels['family']).toBe('server');
    expect(alert!.startsAt).toBe(startsAt);
    await until('an empty queue', () => n.queueLength === 0);
    expect(statsOf(n).sent).toBeGreaterThanOrEqual(1);
    expect(statsOf(n).dropped).toBe(0);
  });

  it('drops the oldest alerts from a full queue and counts them', async () => {
    await am.stop();
    const n = notifier({ queueCapacity: 3 });
    const families = ['server', 'platform', 'server', 'platform', 'server'] as const;
    const base = Date.now() - 600_000;
    families.forEach((f, i) => n.notify(event(f, 'firing', new Date(base + i * 60_000).toISOString())));
    expect(statsOf(n)).toMatchObject({ dropped: 2, queueLength: 3 });
    expect(n.queueLength).toBe(3);

    await until('a failed post', () => statsOf(n).errors >= 1);
    await am.restart();
    const alerts = await am.waitForAlerts((a) => a.length === 2, 20_000, SPIKE);
    // The two oldest never reached it: the earliest server incident it saw is the third one.
    const server = alerts.find((a) => a.labels['family'] === 'server')!;
    expect(Date.parse(server.startsAt)).toBe(base + 2 * 60_000);
    await until('an empty queue', () => n.queueLength === 0);
    expect(statsOf(n).dropped).toBe(2);
  });

  it('delivers a backlog larger than one batch once Alertmanager is back', async () => {
    await am.stop();
    // No re-sends during this test: every alert Alertmanager counts comes from the backlog.
    const n = notifier({ resendMs: 600_000 });
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < 600; i++) n.notify(event('server', 'firing', new Date(base + i * 1_000).toISOString()));
    expect(n.queueLength).toBe(600);
    await until('a failed post', () => statsOf(n).errors >= 1);
    await am.restart();
    await until('an empty queue', () => n.queueLength === 0);
    expect(statsOf(n)).toMatchObject({ sent: 600, dropped: 0 });
    const metrics = await (await fetch(`${am.url}/metrics`)).text();
    expect(metrics).toMatch(/^alertmanager_alerts_received_total\{status="firing",version="v2"\} 600$/m);
  });

  it('counts each Alertmanager on its own', async () => {
    const down = `http://127.0.0.1:${am.port === 1 ? 2 : 1}`;
    const n = notifier({ urls: [am.url, down] });
    n.notify(event('server', 'firing', new Date(Date.now() - 10_000).toISOString()));
    await am.waitForAlerts((a) => a.length === 1, 20_000, SPIKE);
    await until('a counted post', () => n.stats()[0]!.sent >= 1);
    await until('failed posts to the dead one', () => n.stats()[1]!.errors >= 2);
    const [up, dead] = n.stats() as [AlertmanagerStats, AlertmanagerStats];
    expect(up.url).toBe(`${am.url}/api/v2/alerts`);
    expect(up.errors).toBe(0);
    expect(up.sent).toBeGreaterThanOrEqual(1);
    expect(dead.url).toBe(`${down}/api/v2/alerts`);
    expect(dead.sent).toBe(0);
    expect(dead.queueLength).toBe(1);
    expect(n.queueLength).toBe(up.queueLength + 1);
  });

  it('flushes what is queued on stop, then lets Alertmanager resolve the alert on its own', async () => {
    const n = notifier({ resendMs: 500 });
    n.notify(event('platform', 'firing', new Date(Date.now() - 5_000).toISOString()));
    await n.stop(5_000);
    expect(n.queueLength).toBe(0);
    expect(statsOf(n).sent).toBe(1);
    expect(await am.alerts(SPIKE)).toHaveLength(1);
    // Nobody re-sends it any more, so its endsAt (4 resends ahead) passes and Alertmanager resolves it.
    await am.waitForAlerts((a) => a.length === 0, 20_000, SPIKE);
    // Events after stop are ignored.
    n.notify(event('server', 'firing', new Date().toISOString()));
    expect(n.queueLength).toBe(0);
  });

  it('gives up on stop after its deadline when Alertmanager is unreachable', async () => {
    await am.stop();
    const n = notifier();
    n.notify(event('server', 'firing', new Date().toISOString()));
    await n.stop(300);
    expect(n.queueLength).toBe(1);
    expect(statsOf(n).sent).toBe(0);
    expect(statsOf(n).errors).toBeGreaterThanOrEqual(1);
  });
});

describe('AlertmanagerNotifier behind auth and a path prefix', () => {
  let am: Alertmanager;
  afterEach(async () => {
    await am?.close();
  });

  it('sends the credentials of the URL as basic auth, never in the label', async () => {
    am = await startAlertmanager({ basicAuth: { user: 'errcode', password: 's3cret:pw' } });
    const withCreds = am.url.replace('http://', 'http://errcode:s3cret%3Apw@');
    const n = new AlertmanagerNotifier({ urls: [withCreds], ...FAST });
    try {
      n.notify(event('server', 'firing', new Date().toISOString()));
      await am.waitForAlerts((a) => a.length === 1, 20_000, SPIKE);
      expect(statsOf(n).url).toBe(`${am.url}/api/v2/alerts`);
      expect(statsOf(n).errors).toBe(0);
    } finally {
      await n.stop(200);
    }
    const wrong = new AlertmanagerNotifier({ urls: [am.url.replace('http://', 'http://errcode:nope@')], ...FAST });
    try {
      wrong.notify(event('server', 'firing', new Date().toISOString()));
      await until('a refused post', () => statsOf(wrong).errors >= 1);
      expect(statsOf(wrong).lastError).toMatch(/^HTTP 401/);
      // A refusal that retrying cannot fix leaves the queue instead of blocking it.
      await until('an empty queue', () => wrong.queueLength === 0);
      expect(statsOf(wrong).sent).toBe(0);
    } finally {
      await wrong.stop(200);
    }
  });

  it('posts under the route prefix of the URL it is given', async () => {
    am = await startAlertmanager({ routePrefix: '/alertmanager' });
    const n = new AlertmanagerNotifier({ urls: [`${am.url}/`], ...FAST });
    try {
      n.notify(event('platform', 'firing', new Date().toISOString()));
      const [alert] = await am.waitForAlerts((a) => a.length === 1, 20_000, SPIKE);
      expect(alert!.labels['family']).toBe('platform');
      expect(alert!.labels['instance']).toBeTruthy();
      expect(statsOf(n).url).toBe(`${am.url}/api/v2/alerts`);
    } finally {
      await n.stop(200);
    }
  });
});

describe('alertsEndpoint', () => {
  it('appends the v2 alerts path to a base URL, keeping a prefix', () => {
    expect(alertsEndpoint('http://am:9093').url).toBe('http://am:9093/api/v2/alerts');
    expect(alertsEndpoint('http://am:9093/').url).toBe('http://am:9093/api/v2/alerts');
    expect(alertsEndpoint('https://proxy/alertmanager/').url).toBe('https://proxy/alertmanager/api/v2/alerts');
    expect(alertsEndpoint('http://am:9093/api/v2/alerts').url).toBe('http://am:9093/api/v2/alerts');
  });

  it('moves credentials into a basic auth header', () => {
    const e = alertsEndpoint('http://u%40x:p%3Aw@am:9093');
    expect(e.url).toBe('http://am:9093/api/v2/alerts');
    expect(Buffer.from(e.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('u@x:p:w');
    expect(alertsEndpoint('http://am:9093').authorization).toBeUndefined();
  });

  it('rejects what is not an http(s) URL', () => {
    expect(() => alertsEndpoint('am:9093')).toThrow(AlertmanagerUrlError);
    expect(() => alertsEndpoint('not a url')).toThrow(/is not a valid URL/);
    expect(() => alertsEndpoint('ftp://am/')).toThrow(/must be http/);
  });
});
