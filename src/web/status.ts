// What the web page shows, as one JSON document: `GET /api/v1/status` answers it every second, and the HTML
// report carries one for the whole run. Field names are a public interface (documented in the README under
// "The web page and the report"); add fields, never rename or remove one within version 1.
import type { AlertEvent, TopLabel } from '../alerts/events.js';
import { summarize, type CodeSummary, type PlaceDimension } from '../aggregate/summary.js';
import { FAMILIES, type Category, type Family } from '../codes/category.js';
import type { Outcome } from '../extract/result.js';
import type { RunContext } from '../face.js';
import type { HistoryJson } from './history.js';

export const STATUS_VERSION = 1;

/** One spike incident: its firing event, and when it ended (null while it still fires). */
export interface Incident {
  readonly family: Family;
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly firing: AlertEvent;
}

export interface FamilyStatus {
  /** The family's share of all responses in the current window (errcode_window_ratio). */
  readonly ratio: number;
  /** The share at which it fires now: the ratio floor or its baseline's multiple. */
  readonly threshold: number;
  /** Firing now (errcode_alert_active). */
  readonly active: boolean;
  /** Incidents fired so far (errcode_alerts_total). */
  readonly fired_total: number;
  /** Per dimension, the values with the most of the family's responses in the current window. */
  readonly top_labels: Readonly<Record<string, readonly TopLabel[]>>;
}

export interface Status {
  readonly version: typeof STATUS_VERSION;
  /** `live` from /api/v1/status, `report` in an HTML report. */
  readonly kind: 'live' | 'report';
  /** Wall clock of this document, ISO-8601. */
  readonly generated_at: string;
  /** Wall clock of the run's start, ISO-8601, and seconds since. */
  readonly started_at: string;
  readonly uptime_seconds: number;
  /** The input has ended (a replay under --keep-serving, or a report). */
  readonly input_ended: boolean;
  /** The description language the run was started with (`--lang`); the page starts in it. */
  readonly lang: 'zh' | 'en';
  readonly input: {
    /** Lines by outcome (errcode_input_lines_total) and their sum. */
    readonly lines: Readonly<Record<Outcome, number>> & { readonly total: number };
    readonly blank_lines: number;
    /** Bytes read (errcode_input_bytes_total). */
    readonly bytes: number;
    /** Arrival rate over the last second or so; null when not measured (the report, the first second). */
    readonly lines_per_second: number | null;
    readonly bytes_per_second: number | null;
    /** Arrival time of the last line (errcode_last_line_timestamp_seconds), ISO-8601; null before the first. */
    readonly last_line_at: string | null;
    /** Arrival minus event time of the last line that had one (errcode_event_lag_seconds); null before one. */
    readonly event_lag_seconds: number | null;
  };
  /** Responses counted, in all and by category. */
  readonly responses: number;
  readonly categories: Readonly<Record<Category, number>>;
  /** Every code with a count, most first, with both descriptions (errcode_responses_total, errcode_code_info). */
  readonly codes: readonly CodeSummary[];
  readonly alerts: {
    readonly window_seconds: number;
    readonly min_count: number;
    /** --alert-ratio and --alert-factor. */
    readonly ratio: number;
    readonly factor: number;
    readonly families: Readonly<Record<Family, FamilyStatus>>;
    /** The firing event of each open incident. */
    readonly firing: readonly AlertEvent[];
    /** Incidents, oldest first (the live page keeps the latest 100). */
    readonly incidents: readonly Incident[];
  };
  /** Per dimension (SPEC "Breakdowns"), the top places; empty without dimensions. */
  readonly places: readonly PlaceDimension[];
  /** Responses over event time: the live page's last 15 minutes at one second, or the report's whole run. */
  readonly history: HistoryJson & {
    /** The event time span the charts show, epoch seconds; null in a report of a run that counted nothing. */
    readonly from: number | null;
    readonly to: number | null;
  };
}

/** What the face adds to the run's state: the chart's history, incidents, the arrival rate. */
export interface StatusParts {
  readonly kind: Status['kind'];
  readonly history: Status['history'];
  readonly incidents: readonly Incident[];
  readonly rate: { readonly lines: number; readonly bytes: number } | undefined;
  readonly inputEnded: boolean;
  readonly nowMs: number;
}

export function buildStatus(ctx: RunContext, parts: StatusParts): Status {
  const counts = ctx.counts();
  const fired = Object.fromEntries(FAMILIES.map((f) => [f, ctx.alerts.firedTotal(f)]));
  const uptime = (parts.nowMs - ctx.startedMs) / 1000;
  // The same totals as the summary and --summary-json: one function counts them.
  const s = summarize(counts, ctx.table(), uptime, fired);
  const { config, alerts } = ctx;
  const family = (f: Family): FamilyStatus => ({
    ratio: alerts.ratio(f),
    threshold: alerts.threshold(f),
    active: alerts.active(f),
    fired_total: alerts.firedTotal(f),
    top_labels: alerts.topLabels(f),
  });
  const families: Record<Family, FamilyStatus> = { server: family('server'), platform: family('platform') };
  return {
    version: STATUS_VERSION,
    kind: parts.kind,
    generated_at: new Date(parts.nowMs).toISOString(),
    started_at: new Date(ctx.startedMs).toISOString(),
    uptime_seconds: uptime,
    input_ended: parts.inputEnded,
    lang: config.lang,
    input: {
      lines: s.lines,
      blank_lines: s.blank_lines,
      bytes: s.bytes,
      lines_per_second: parts.rate ? parts.rate.lines : null,
      bytes_per_second: parts.rate ? parts.rate.bytes : null,
      last_line_at: counts.lastLineMs > 0 ? new Date(counts.lastLineMs).toISOString() : null,
      event_lag_seconds: Number.isFinite(counts.eventLagSec) ? counts.eventLagSec : null,
    },
    responses: s.responses,
    categories: s.categories,
    codes: s.codes,
    alerts: {
      window_seconds: config.alertWindowSec,
      min_count: config.alertMinCount,
      ratio: config.alertRatio,
      factor: config.alertFactor,
      families,
      firing: alerts.firing(),
      incidents: parts.incidents,
    },
    places: s.places,
    history: parts.history,
  };
}

/** The run's incidents from its alert events: a firing event opens one, the family's resolved event closes it. */
export class IncidentLog {
  private readonly list: Incident[] = [];

  /** `keep`: how many incidents are kept, the latest. */
  constructor(private readonly keep: number) {}

  apply(events: readonly AlertEvent[]): void {
    for (const e of events) {
      if (e.status === 'firing') {
        this.list.push({ family: e.family, startsAt: e.startsAt, endsAt: null, firing: e });
        if (this.list.length > this.keep) this.list.shift();
        continue;
      }
      for (let i = this.list.length - 1; i >= 0; i--) {
        const open = this.list[i]!;
        if (open.family === e.family && open.endsAt === null) {
          this.list[i] = { ...open, endsAt: e.endsAt ?? null };
          break;
        }
      }
    }
  }

  incidents(): readonly Incident[] {
    return this.list;
  }
}
