// Spike alerts from the real CLI to a real Alertmanager: an ongoing spike is an active ErrcodeSpike alert
// with its family and top codes, it resolves there when the spike ends, and while Alertmanager is down the
// stream keeps flowing and the alert arrives once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../dist/tools/generate.js';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager.js';
import { startCli, type RunningCli } from '../support/cli.js';
import { scrape, sum } from '../support/exposition.js';

const RATE = 10;
const START = Date.now() - 40 * 60_000;
const log = generate({
  lines: 2100 * RATE,
  rate: RATE,
  seed: 31,
  startMs: START,
  spikes: [
    { family: 'server', at: 600, seconds: 300, share: 0.3 },
    { family: 'platform', at: 1500, seconds: 300, share: 0.3 },
  ],
});
const lines = log.text.split('\n');
/** The log's lines up to `sec` seconds of event time. */
const upTo = (from: number, sec: number): string => lines.slice(from * RATE, sec * RATE).join('\n') + '\n';

describe('the CLI delivering to a real Alertmanager', () => {
  let am: Alertmanager;
  let cli: RunningCli;
  beforeAll(async () => {
    am = await startAlertmanager();
    cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--alertmanager-url', am.url, '--alertmanager-resend', '1s'], { stdin: 'pipe' });
  });
  afterAll(async () => {
    expect(await cli?.stop()).toBe(0);
    await am?.close();
  });

  it('shows an ongoing server spike as an active ErrcodeSpike alert with its family and top codes', async () => {
    cli.proc.stdin!.write(upTo(0, 700));
    const [alert] = await am.waitForAlerts((a) => a.length === 1, 30_000, ['alertname="ErrcodeSpike"']);
    expect(alert!.labels['family']).toBe('server');
    expect(alert!.labels['severity']).toBeTruthy();
    expect(alert!.status.state).toBe('active');
    expect(alert!.annotations['description']).toMatch(/5\d{2,4}|http_50\d/);
    expect(Date.parse(alert!.startsAt)).toBeGreaterThanOrEqual(START + 600_000);
  });

  it('resolves it there once the spike is over', async () => {
    cli.proc.stdin!.write(upTo(700, 1100));
    await am.waitForAlerts((a) => a.length === 0, 30_000, ['alertname="ErrcodeSpike"', 'family="server"']);
  });

  it('keeps the stream flowing while Alertmanager is down and delivers once it is back', async () => {
    await am.stop();
    cli.proc.stdin!.write(upTo(1100, 1700));
    // The platform spike fires while nobody listens; lines keep being counted and failed posts are counted.
    for (let i = 0; ; i++) {
      const m = await scrape(cli.url);
      if (sum(m, 'errcode_input_lines_total') >= 1700 * RATE - 10 && sum(m, 'errcode_notifications_errors_total') > 0) {
        expect(sum(m, 'errcode_alert_active', { family: 'platform' })).toBe(1);
        break;
      }
      if (i > 300) throw new Error('the stream did not get through while Alertmanager was down');
      await new Promise((r) => setTimeout(r, 100));
    }
    await am.restart();
    const [alert] = await am.waitForAlerts((a) => a.length === 1, 30_000, ['alertname="ErrcodeSpike"', 'family="platform"']);
    expect(alert!.annotations['description']).toMatch(/5000\d\d/);
    const m = await scrape(cli.url);
    expect(sum(m, 'errcode_notifications_sent_total')).toBeGreaterThan(0);
  });
});

describe('the places of a spike in Alertmanager', () => {
  it('carries the top routes, apps and methods of the window as annotations', async () => {
    const am = await startAlertmanager();
    const spiked = generate({
      lines: 1200 * RATE,
      rate: RATE,
      seed: 32,
      shape: 'gateway',
      startMs: START,
      spikes: [{ family: 'server', at: 600, seconds: 300, share: 0.3, path: '/openapi/v1/payments/42', app: 'ak_payments' }],
    });
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--alertmanager-url', am.url, '--alertmanager-resend', '1s', '--max-label-values', '300'], { stdin: 'pipe' });
    try {
      cli.proc.stdin!.write(spiked.text.split('\n').slice(0, 700 * RATE).join('\n') + '\n');
      const [alert] = await am.waitForAlerts((a) => a.length === 1, 30_000, ['alertname="ErrcodeSpike"']);
      expect(alert!.annotations['top_route']).toMatch(/^\/openapi\/v1\/payments\/:id \(\d+\)(, |$)/);
      expect(alert!.annotations['top_app']).toMatch(/^ak_payments \(\d+\)/);
      expect(alert!.annotations['top_method']).toMatch(/^POST \(\d+\)/);
      expect(alert!.annotations['description']).toContain('Where:\nroute: /openapi/v1/payments/:id (');
    } finally {
      cli.proc.stdin!.end();
      expect(await cli.stop()).toBe(0);
      await am.close();
    }
  });
});
