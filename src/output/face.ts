// The terminal's faces: the live screen and the end-of-run summary (stderr, --summary-json).
import { writeFileSync } from 'node:fs';
import { FAMILIES } from '../codes/category.js';
import type { Face, RunContext, StopReason } from '../face.js';
import { formatSummary, summarize, type Summary } from './summary.js';

/** --output live. Loaded only for it: the width tables it uses take about 30 ms to load. */
export async function liveFace(ctx: RunContext): Promise<Face | undefined> {
  if (ctx.config.output !== 'live') return undefined;
  const { LiveView } = await import('./live.js');
  const live = new LiveView(
    process.stdout,
    { counts: ctx.counts, table: ctx.table, activeAlerts: () => ctx.alerts.firing(), topLabels: (f) => ctx.alerts.topLabels(f), windowSec: ctx.config.alertWindowSec },
    ctx.config.lang,
  );
  return {
    start: () => live.start(),
    // A finished replay under --keep-serving leaves the screen for the summary.
    inputEnded: () => live.stop(),
    // Leave the alternate screen before the summary, or the terminal would swallow it.
    stop: () => live.stop(),
    abort: () => live.stop(),
  };
}

/** The summary, to stderr and --summary-json, once: at EOF under --keep-serving, else when the run ends. */
export async function summaryFace(ctx: RunContext): Promise<Face> {
  const { config } = ctx;
  // Cut to the terminal's width when stderr is one; whole in a file or a pipe.
  const fitWidth = process.stderr.isTTY ? (await import('./width.js')).fitWidth : undefined;
  const format = (s: Summary): string => formatSummary(s, config.lang, fitWidth && { columns: process.stderr.columns, fitWidth });
  let reported = false;
  const report = (reason: StopReason | 'eof'): void => {
    if (reported) return;
    reported = true;
    const fired = Object.fromEntries(FAMILIES.map((f) => [f, ctx.alerts.firedTotal(f)]));
    const summary = summarize(ctx.counts(), ctx.table(), (Date.now() - ctx.startedMs) / 1000, fired);
    const json = JSON.stringify(summary, null, 2) + '\n';
    if (config.summaryJson === '-') process.stdout.write(json);
    else if (config.summaryJson) writeFileSync(config.summaryJson, json);
    // A closed stdout (`| head`) ends quietly: the reader is gone, nobody asked for a report.
    if (reason !== 'stdout-closed') process.stderr.write(format(summary));
  };
  return { inputEnded: () => report('eof'), stop: report };
}
