// The faces that deliver spike alerts: the NDJSON event log and Alertmanager.
import { createWriteStream } from 'node:fs';
import type { Face, RunContext } from '../face.js';
import { AlertmanagerNotifier } from './alertmanager.js';
import { NdjsonAlertSink } from './events.js';

/** Alert events to --alerts FILE, stdout (`-`) or stderr, except when the live view shares that terminal: its screen shows them. */
export function alertLogFace({ config }: RunContext): Face | undefined {
  const sink =
    config.alerts === '-'
      ? new NdjsonAlertSink(process.stdout)
      : config.alerts
        ? new NdjsonAlertSink(createWriteStream(config.alerts, { flags: 'a' }))
        : config.output === 'live' && process.stderr.isTTY
          ? undefined
          : new NdjsonAlertSink(process.stderr);
  if (!sink) return undefined;
  return {
    alerts: (events) => events.forEach((e) => sink.write(e)),
    stop: () => sink.close(),
  };
}

export interface AlertmanagerFace extends Face {
  readonly notifier: AlertmanagerNotifier;
}

/** Posts alerts to every --alertmanager-url. */
export function alertmanagerFace({ config }: RunContext): AlertmanagerFace | undefined {
  if (config.alertmanagerUrls.length === 0) return undefined;
  const notifier = new AlertmanagerNotifier({ urls: config.alertmanagerUrls, resendMs: config.alertmanagerResendMs, queueCapacity: config.alertmanagerQueue });
  return {
    notifier,
    alerts: (events) => events.forEach((e) => notifier.notify(e)),
    stop: () => notifier.stop(),
  };
}
