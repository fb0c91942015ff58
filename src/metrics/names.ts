// Metric names of SPEC "Prometheus metrics", defined once. The server, the dashboards' tests and the rules'
// tests all read them from here. `prefix` replaces the leading `errcode_` (--metrics-prefix).

export const DEFAULT_PREFIX = 'errcode_';

export const METRIC_SUFFIXES = {
  responses: 'responses_total',
  codeInfo: 'code_info',
  inputLines: 'input_lines_total',
  inputBytes: 'input_bytes_total',
  windowRatio: 'window_ratio',
  alertActive: 'alert_active',
  alertsTotal: 'alerts_total',
  lastLineTimestamp: 'last_line_timestamp_seconds',
  eventLag: 'event_lag_seconds',
  notificationsSent: 'notifications_sent_total',
  notificationsErrors: 'notifications_errors_total',
  notificationsDropped: 'notifications_dropped_total',
  notificationsQueueLength: 'notifications_queue_length',
  codeTableCodes: 'code_table_codes',
  codeTableReloads: 'code_table_reloads_total',
  codeTableLastSuccess: 'code_table_last_success_timestamp_seconds',
  remoteWriteSamples: 'remote_write_samples_total',
  remoteWriteFailed: 'remote_write_samples_failed_total',
  remoteWriteDropped: 'remote_write_samples_dropped_total',
  remoteWritePending: 'remote_write_pending_samples',
} as const;

export type MetricKey = keyof typeof METRIC_SUFFIXES;

export function metricNames(prefix: string = DEFAULT_PREFIX): Record<MetricKey, string> {
  const out = {} as Record<MetricKey, string>;
  for (const [key, suffix] of Object.entries(METRIC_SUFFIXES)) out[key as MetricKey] = prefix + suffix;
  return out;
}

export const METRICS = metricNames();

/** The family of a breakdown dimension (SPEC "Breakdowns"): errcode_<NAME>_responses_total. */
export function dimensionMetric(name: string, prefix: string = DEFAULT_PREFIX): string {
  return `${prefix}${name}_responses_total`;
}
