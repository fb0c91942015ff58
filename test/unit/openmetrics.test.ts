// The OpenMetrics file of a replay (--openmetrics, SPEC "History"): what promtool's backfill reads.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SeriesTable } from '../../dist/export/frames.js';
import { OpenMetricsHistory } from '../../dist/export/openmetrics.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-om-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = Date.UTC(2026, 10, 28, 14, 0, 0);

function family(name: string, type: 'counter' | 'gauge', labelNames: string[], series: { values: string[] }[], value: () => number, help = `${name} help`) {
  return { name, type, help, labelNames, collect: (each: (s: unknown, v: number) => void) => series.forEach((s) => each(s, value())) };
}

describe('OpenMetricsHistory', () => {
  it('writes each family in one piece and each series in time order, timestamps in seconds, ending in # EOF', async () => {
    let n = 0;
    const responses = family('errcode_responses_total', 'counter', ['code', 'category'], [{ values: ['5021', 'server'] }, { values: ['200', 'success'] }], () => n);
    const ratio = family('errcode_window_ratio', 'gauge', ['family'], [{ values: ['server'] }], () => n / 10);
    const table = new SeriesTable([responses, ratio], [['job', 'errcode-stream']]);
    const om = new OpenMetricsHistory(table);
    let last;
    for (let i = 0; i < 3; i++) {
      n = i;
      om.add((last = table.frame(T + i * 15_000)));
    }
    om.add(table.ended(last!, T + 45_000));
    const file = join(dir, 'a.om');
    expect(await om.write(file)).toEqual({ series: 3, samples: 9 });
    const s = T / 1000;
    expect(readFileSync(file, 'utf8')).toBe(
      [
        '# TYPE errcode_responses counter',
        '# HELP errcode_responses errcode_responses_total help',
        `errcode_responses_total{category="server",code="5021",job="errcode-stream"} 0 ${s}`,
        `errcode_responses_total{category="server",code="5021",job="errcode-stream"} 1 ${s + 15}`,
        `errcode_responses_total{category="server",code="5021",job="errcode-stream"} 2 ${s + 30}`,
        `errcode_responses_total{category="success",code="200",job="errcode-stream"} 0 ${s}`,
        `errcode_responses_total{category="success",code="200",job="errcode-stream"} 1 ${s + 15}`,
        `errcode_responses_total{category="success",code="200",job="errcode-stream"} 2 ${s + 30}`,
        '# TYPE errcode_window_ratio gauge',
        '# HELP errcode_window_ratio errcode_window_ratio help',
        `errcode_window_ratio{family="server",job="errcode-stream"} 0 ${s}`,
        `errcode_window_ratio{family="server",job="errcode-stream"} 0.1 ${s + 15}`,
        `errcode_window_ratio{family="server",job="errcode-stream"} 0.2 ${s + 30}`,
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('escapes quotes, backslashes and line feeds in label values and help, and writes UTF-8', async () => {
    const info = family('errcode_code_info', 'gauge', ['description'], [{ values: ['say "hi" \\ 签名\nnext'] }, { values: ['lone \ud800'] }], () => 1, 'a "help" with \\ and\nlines');
    const table = new SeriesTable([info], []);
    const om = new OpenMetricsHistory(table);
    om.add(table.frame(T));
    const file = join(dir, 'b.om');
    await om.write(file);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[1]).toBe('# HELP errcode_code_info a \\"help\\" with \\\\ and\\nlines');
    expect(lines[2]).toBe(`errcode_code_info{description="say \\"hi\\" \\\\ 签名\\nnext"} 1 ${T / 1000}`);
    expect(lines[3]).toBe(`errcode_code_info{description="lone \ufffd"} 1 ${T / 1000}`);
    expect(lines).toHaveLength(6);
  });
});
