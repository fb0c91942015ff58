// The history face (SPEC "History"): remote write (--remote-write) and the OpenMetrics file (--openmetrics).
// Its modules (protobuf, snappy) load only when one of them is asked for.
import type { RunContext } from '../face.js';
import type { MetricsExtras } from '../metrics/families.js';
import type { HistoryFace } from './history.js';

/** `extras`: the metrics' other sources (Alertmanager, the code table), whose families are pushed too. */
export async function historyFace(ctx: RunContext, extras: Omit<MetricsExtras, 'remoteWrite'>): Promise<HistoryFace | undefined> {
  const h = ctx.config.history;
  if (h.remoteWrite.length === 0 && h.openMetrics === undefined) return undefined;
  const { History } = await import('./history.js');
  return new History(ctx, extras).face();
}
