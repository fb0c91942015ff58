// --openmetrics FILE (SPEC "History"): a replay's series as OpenMetrics text with event-time timestamps, for
// `promtool tsdb create-blocks-from openmetrics FILE DIR` (backfill without a receiver). The format wants
// each family in one piece and promtool each series' samples in time order, so the frames are kept by
// series (16 bytes a sample) and the file is written at the end, family by family, series by series.
import { createWriteStream } from 'node:fs';
import type { MetricFamily } from '../metrics/families.js';
import type { Frame, SeriesEntry, SeriesTable } from './frames.js';

/** Label values and HELP text: backslash, double quote and line feed are escaped (OpenMetrics 1.0). */
export const escapeOpenMetrics = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

/** The metadata lines of a family: a counter's family name has no _total (its samples do). */
function familyHead(f: MetricFamily): string {
  const counter = f.type === 'counter' && f.name.endsWith('_total');
  const name = counter ? f.name.slice(0, -'_total'.length) : f.name;
  const type = counter ? 'counter' : f.type === 'gauge' ? 'gauge' : 'unknown';
  return `# TYPE ${name} ${type}\n# HELP ${name} ${escapeOpenMetrics(f.help)}\n`;
}

/** `name{a="…",b="…"} ` of a series. */
function seriesPrefix(e: SeriesEntry): string {
  const labels = e.labels.filter(([n]) => n !== '__name__').map(([n, v]) => `${n}="${escapeOpenMetrics(v)}"`);
  return labels.length === 0 ? `${e.family.name} ` : `${e.family.name}{${labels.join(',')}} `;
}

interface Points {
  /** [atMs, value, atMs, value, ...] */
  data: Float64Array;
  n: number;
}

export interface OpenMetricsAccount {
  readonly series: number;
  readonly samples: number;
}

export class OpenMetricsHistory {
  private readonly points: Points[] = [];

  constructor(private readonly table: SeriesTable) {}

  /** Keeps a frame's samples (stale markers have no OpenMetrics form: a backfilled series just ends). */
  add(frame: Frame): void {
    if (frame.stale) return;
    for (let k = 0; k < frame.ids.length; k++) {
      const id = frame.ids[k]!;
      let p = this.points[id];
      if (p === undefined) this.points[id] = p = { data: new Float64Array(64), n: 0 };
      if (p.n + 2 > p.data.length) {
        const grown = new Float64Array(p.data.length * 2);
        grown.set(p.data);
        p.data = grown;
      }
      p.data[p.n++] = frame.atMs;
      p.data[p.n++] = frame.values[k]!;
    }
  }

  /** Writes everything kept to `path`, ending in `# EOF`. */
  async write(path: string): Promise<OpenMetricsAccount> {
    const byFamily = new Map<MetricFamily, SeriesEntry[]>();
    for (const e of this.table.entries) {
      if (this.points[e.id] === undefined) continue;
      let list = byFamily.get(e.family);
      if (!list) byFamily.set(e.family, (list = []));
      list.push(e);
    }
    const out = createWriteStream(path);
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => {}); // raced below, at every wait
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
    };
    let samples = 0;
    let series = 0;
    for (const [family, entries] of byFamily) {
      await write(familyHead(family));
      for (const e of entries) {
        const p = this.points[e.id]!;
        const prefix = seriesPrefix(e);
        let text = '';
        for (let i = 0; i < p.n; i += 2) {
          text += `${prefix}${formatValue(p.data[i + 1]!)} ${p.data[i]! / 1000}\n`;
          if (text.length > 1 << 16) {
            await write(text);
            text = '';
          }
        }
        await write(text);
        samples += p.n / 2;
        series++;
      }
    }
    await write('# EOF\n');
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    return { series, samples };
  }
}
