// The Prometheus face: /metrics on the endpoint. prom-client loads only when there is an endpoint.
import type { Face, RunContext } from '../face.js';
import type { MetricsExtras } from './families.js';

export async function metricsFace(ctx: RunContext, extras: MetricsExtras): Promise<Face | undefined> {
  if (!ctx.config.listen) return undefined;
  const { createRegistry } = await import('./registry.js');
  const registry = createRegistry({ prefix: ctx.config.metricsPrefix, counts: ctx.counts, table: ctx.table, alerts: ctx.alerts, ...extras });
  return {
    routes: {
      '/metrics': async () => ({ contentType: registry.contentType, body: await registry.exposition() }),
    },
  };
}
