// The live screen as text: what it shows for real counters and real alert events, and that it fits the
// terminal in columns (CJK characters take two) and rows, whatever the size. The counters come from the real
// extractor and tally over a generated log with a spike; the alerts from the real spike detector.
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPIKE_OPTIONS, SpikeDetector } from '../../dist/alerts/detector.js';
import type { AlertEvent } from '../../dist/alerts/events.js';
import { Tally } from '../../dist/aggregate/tally.js';
import { CodeTable } from '../../dist/codes/table.js';
import { Counts } from '../../dist/engine/engine.js';
import { DEFAULT_PATHS } from '../../dist/extract/paths.js';
import { extractReference } from '../../dist/extract/reference.js';
import { newLineResult } from '../../dist/extract/result.js';
import { formatStatusLine, renderScreen, type LiveFrame, type ScreenOptions } from '../../dist/output/live.js';
import { displayWidth, fitWidth, padWidth } from '../../dist/output/width.js';
import { formatSummary, summarize } from '../../dist/output/summary.js';
import { generate, type Spike } from '../../dist/tools/generate.js';

const table = CodeTable.builtin();

interface Counted {
  counts: Counts;
  /** The firing event of each family's open incident, as run.ts keeps them. */
  active: Map<string, AlertEvent>;
}

/**
 * Counts a generated log line by line as the engine does, feeding each flush to the spike detector, until
 * `stop` says so (or the log ends).
 */
function countLog(spikes: Spike[], stop: (c: Counted) => boolean = () => false, t: CodeTable = table): Counted {
  const { text } = generate({ lines: 3000, rate: 5, seed: 11, hostile: 0.01, spikes });
  const tally = new Tally(t, 100);
  const counts = new Counts();
  const active = new Map<string, AlertEvent>();
  const detector = new SpikeDetector(DEFAULT_SPIKE_OPTIONS, (slot) => {
    const s = counts.series[slot]!;
    return { code: s.code, category: s.category, description: t.info(Number(s.code)).description };
  });
  const flush = (): void => {
    const snapshot = tally.flush();
    counts.apply(snapshot);
    for (const e of detector.add(snapshot.buckets)) {
      if (e.status === 'firing') active.set(e.family, e);
      else active.delete(e.family);
    }
  };
  flush();
  const r = newLineResult();
  const lines = text.split('\n').slice(0, -1);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') {
      tally.blank++;
      continue;
    }
    extractReference(line.replace(/\r$/, ''), DEFAULT_PATHS, r);
    tally.count(r, Number.isNaN(r.timeMs) ? Date.UTC(2026, 10, 25) + i * 200 : r.timeMs);
    tally.bytes += Buffer.byteLength(line) + 1;
    if (i % 25 === 24) {
      flush();
      if (stop({ counts, active })) break;
    }
  }
  flush();
  return { counts, active };
}

function frameOf(c: Counted, alerts: readonly AlertEvent[] = [...c.active.values()]): LiveFrame {
  return {
    summary: summarize(c.counts, table, 0, {}),
    linesPerSec: 50,
    bytesPerSec: 12_800,
    lastLineAgoSec: 0.4,
    alerts,
    now: new Date('2026-11-25T12:00:00Z'),
  };
}

const screen = (f: LiveFrame, o: Partial<ScreenOptions> = {}): string[] =>
  renderScreen(f, { width: 80, height: 24, lang: 'zh', table, color: false, ...o });

function expectFits(lines: readonly string[], width: number, height: number): void {
  expect(lines.length).toBeLessThanOrEqual(height);
  for (const line of lines) expect(stringWidth(line), JSON.stringify(line)).toBeLessThanOrEqual(width);
}

const SERVER_SPIKE: Spike = { family: 'server', at: 300, seconds: 90, share: 0.35 };
const PLATFORM_SPIKE: Spike = { family: 'platform', at: 390, seconds: 90, share: 0.35 };

const calm = countLog([SERVER_SPIKE], (c) => c.counts.lines >= 1000);
const serverFiring = countLog([SERVER_SPIKE], (c) => c.active.has('server'));
const bothFiring = countLog([SERVER_SPIKE, PLATFORM_SPIKE], (c) => c.active.has('server') && c.active.has('platform'));

describe('measuring terminal columns', () => {
  it('counts a CJK character as two columns and ASCII as one', () => {
    expect(displayWidth('签名无效')).toBe(8);
    expect(displayWidth('REDIS服务')).toBe(9);
  });

  it('cuts to the width with a three-dot mark and never splits a wide character', () => {
    const d = '开放平台成功处理了您的请求，业务正常结束';
    for (let w = 4; w <= 44; w++) {
      const cut = fitWidth(d, w);
      expect(stringWidth(cut)).toBeLessThanOrEqual(w);
      if (w < 40) expect(cut.endsWith('...')).toBe(true);
      expect(d.startsWith(cut.replace(/\.\.\.$/, ''))).toBe(true);
    }
    // 7 columns: three dots leave 4, two characters; 8 leave 5, still two (a third would take 7).
    expect(fitWidth(d, 7)).toBe('开放...');
    expect(fitWidth(d, 8)).toBe('开放...');
    expect(fitWidth(d, 40)).toBe(d);
  });

  it('keeps grapheme clusters whole', () => {
    const family = 'ab\u{1F468}\u200D\u{1F469}\u200D\u{1F467}cdefgh';
    const cut = fitWidth(family, 6);
    expect(stringWidth(cut)).toBeLessThanOrEqual(6);
    expect(cut === 'ab...' || cut.includes('\u{1F467}')).toBe(true);
    expect(fitWidth('e\u0301e\u0301e\u0301e\u0301e\u0301', 4)).toBe('e\u0301...');
  });

  it('pads to an exact width in columns', () => {
    expect(padWidth('签名', 6)).toBe('签名  ');
    expect(stringWidth(padWidth('签名无效签名无效', 6))).toBe(6);
  });
});

describe('the screen without alerts', () => {
  it('shows lines/s, every category with its count and share, and says no alert fires', () => {
    const f = frameOf(calm);
    const text = screen(f).join('\n');
    expect(text).toContain('50.0 lines/s');
    expect(text).toContain(`${f.summary.lines.total.toLocaleString('en-US')} lines`);
    expect(text).toContain('no spike alert firing');
    for (const c of ['success', 'upgrade', 'client', 'server', 'business_quota', 'platform_auth', 'system', 'unknown']) {
      const n = f.summary.categories[c as keyof typeof f.summary.categories];
      const share = `${((100 * n) / f.summary.responses).toFixed(1)}%`;
      expect(text).toMatch(new RegExp(` ${c} +${n.toLocaleString('en-US')} +${share.replace('.', '\\.')}`));
    }
  });

  it('lists the top codes, most frequent first, with descriptions in the chosen language', () => {
    const f = frameOf(calm);
    const zh = screen(f, { lang: 'zh' });
    const en = screen(f, { lang: 'en' });
    const top = f.summary.codes[0]!;
    expect(top.code).toBe('200');
    const zhRow = zh.find((l) => l.startsWith(' 200 '))!;
    const enRow = en.find((l) => l.startsWith(' 200 '))!;
    expect(zhRow).toContain(top.count.toLocaleString('en-US'));
    expect(zhRow).toContain('开放平台成功处理了您的请求');
    expect(enRow).toContain('The platform handled the request');
    const rows = zh.filter((l) => /^ (\d+|http_\d+) /.test(l));
    const shown = rows.map((l) => l.trim().split(/\s+/)[0]);
    expect(shown).toEqual(f.summary.codes.slice(0, shown.length).map((c) => c.code));
    expect(shown.length).toBeGreaterThanOrEqual(8);
  });

  it('shows the input health: rate, bytes, every outcome and the malformed share', () => {
    const f = frameOf(calm);
    const text = screen(f).join('\n');
    expect(text).toContain('12.5 KiB/s');
    for (const o of ['ok', 'missing_code', 'invalid_code', 'oversized']) expect(text).toMatch(new RegExp(`${o} [0-9,]+`));
    const l = f.summary.lines;
    expect(text).toContain(`malformed ${l.malformed} (${((100 * l.malformed) / l.total).toFixed(1)}%)`);
  });

  it('shows a dash for the rate until two refreshes measured it', () => {
    expect(screen({ ...frameOf(calm), linesPerSec: NaN, bytesPerSec: NaN }).join('\n')).toContain('- lines/s');
  });

  it('shows the empty table of a run that has seen nothing yet', () => {
    const empty = new Counts();
    empty.apply(new Tally(table, 100).flush());
    const lines = screen({ ...frameOf({ counts: empty, active: new Map() }), lastLineAgoSec: NaN });
    expect(lines.join('\n')).toContain('last line none yet');
    expectFits(lines, 80, 24);
  });
});

describe('the screen with firing alerts (real detector events)', () => {
  const event = serverFiring.active.get('server')!;

  it('has a firing server event to show', () => {
    expect(event.status).toBe('firing');
    expect(event.top_codes.length).toBeGreaterThan(0);
  });

  it('highlights the family, its ratio, count and since when, under the title', () => {
    const lines = screen(frameOf(serverFiring));
    expect(lines[1]).toContain('!! SPIKE server');
    expect(lines[1]).toContain(`firing since ${event.startsAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`);
    expect(lines[2]).toContain(`${(100 * event.ratio).toFixed(1)}% of responses`);
    expect(lines[2]).toContain(`(baseline ${(100 * event.baseline_ratio).toFixed(1)}%)`);
    expect(lines[2]).toContain(`${event.count} of ${event.total} in ${event.window_seconds}s`);
    expect(lines.join('\n')).not.toContain('no spike alert firing');
  });

  it('lists the top codes of the alert with their counts and descriptions in the chosen language', () => {
    const first = event.top_codes[0]!;
    const info = table.info(Number(first.code));
    const zhTop = screen(frameOf(serverFiring), { lang: 'zh' })[3]!;
    const enTop = screen(frameOf(serverFiring), { lang: 'en' })[3]!;
    expect(zhTop).toContain(`top: ${first.code} (${first.count}) ${info.description.slice(0, 3)}`);
    expect(enTop).toContain(`top: ${first.code} (${first.count}) ${info.description_en.slice(0, 6)}`);
    expect(enTop).not.toMatch(/[\u4e00-\u9fff]/);
    const listed = [...zhTop.matchAll(/(\d+|http_\d+) \((\d+)\)/g)].map((m) => m[1]);
    expect(listed).toEqual(event.top_codes.slice(0, listed.length).map((c) => c.code));
  });

  it("marks the firing family's categories", () => {
    const text = screen(frameOf(serverFiring)).join('\n');
    expect(text).toContain('server !!');
    expect(text).toContain('system !!');
    expect(text).not.toContain('platform_auth !!');
  });

  it('shows both families when both fire, server first', () => {
    const both = [...bothFiring.active.values()];
    expect(both.map((e) => e.family).sort()).toEqual(['platform', 'server']);
    const lines = screen(frameOf(bothFiring, [...both].reverse()));
    const heads = lines.filter((l) => l.includes('!! SPIKE'));
    expect(heads).toHaveLength(2);
    expect(heads[0]).toContain('SPIKE server');
    expect(heads[1]).toContain('SPIKE platform');
    expect(lines.join('\n')).toContain('platform_auth !!');
  });

  it('does not show a resolved event as firing', () => {
    const resolved: AlertEvent = { ...event, status: 'resolved', endsAt: '2026-11-25T00:08:00.000Z' };
    expect(screen(frameOf(serverFiring, [resolved])).join('\n')).toContain('no spike alert firing');
  });

  it('paints the alert white on red on a colour terminal, the text still fitting', () => {
    const lines = screen(frameOf(serverFiring), { color: true });
    expect(lines[1]).toMatch(/^\x1b\[[0-9;]*41m !! SPIKE server/);
    expectFits(lines, 80, 24);
    expect(screen(frameOf(serverFiring)).join('')).not.toContain('\x1b');
  });
});

describe('fitting the terminal', () => {
  const frames = { calm: frameOf(calm), server: frameOf(serverFiring), both: frameOf(bothFiring) };
  for (const [name, f] of Object.entries(frames)) {
    for (const lang of ['zh', 'en'] as const) {
      it(`fits ${name} in ${lang} at every size from 20x4 to 140x50`, () => {
        for (const [width, height] of [[80, 24], [60, 20], [50, 18], [40, 12], [30, 8], [20, 4], [100, 30], [140, 50], [80, 10], [80, 6]]) {
          expectFits(screen(f, { lang, width: width!, height: height! }), width!, height!);
        }
      });
    }
  }

  it('keeps the title and the alerts when rows are short, dropping the codes first', () => {
    const lines = screen(frames.both, { height: 12 });
    expect(lines[0]).toContain('errcode-stream');
    expect(lines.filter((l) => l.includes('!! SPIKE'))).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('description');
    expect(lines.at(-1)).toMatch(/^( lines  |        )\S/);
  });

  it('shows the categories with at least one row or not at all', () => {
    for (let height = 8; height <= 20; height++) {
      const lines = screen(frames.both, { width: 40, height });
      const at = lines.findIndex((l) => l.startsWith(' category '));
      if (at >= 0) expect(lines[at + 1], `height ${height}`).toMatch(/^ [a-z_]+( !!)? +[0-9,]+ /);
    }
  });

  it('fills a taller terminal with more codes', () => {
    const rows = (h: number): number => screen(frames.calm, { height: h }).filter((l) => /^ \d+ /.test(l)).length;
    expect(rows(40)).toBeGreaterThan(rows(24));
  });

  it('uses one column of categories, without the empty ones, below 73 columns', () => {
    const header = (lines: string[]): string => lines.find((l) => l.startsWith(' category '))!;
    const narrow = screen(frames.calm, { width: 72 });
    expect(header(narrow).match(/category/g)).toHaveLength(1);
    expect(narrow.join('\n')).toMatch(/ success +[0-9,]+ /);
    expect(narrow.join('\n')).not.toMatch(/ unknown +0 /);
    expect(header(screen(frames.calm, { width: 73 })).match(/category/g)).toHaveLength(2);
  });

  it('cuts a long description with three dots at the edge of the screen', () => {
    const row201 = screen(frames.calm, { lang: 'zh' }).find((l) => l.startsWith(' 201 '))!;
    expect(row201.endsWith('...')).toBe(true);
    expect(stringWidth(row201)).toBeGreaterThanOrEqual(78);
  });
});

describe('descriptions from a loaded table', () => {
  it('never pass a control character to the terminal', () => {
    const hostile = table.extend([{ code: 200, category: 'success', description: '成功\x1b]0;owned\x07\x1b[2J', description_en: 'ok\x1b[31m\r\n' }]);
    const c = countLog([], (x) => x.counts.lines >= 200, hostile);
    const f = { ...frameOf(c), summary: summarize(c.counts, hostile, 0, {}) };
    for (const lang of ['zh', 'en'] as const) {
      const out = renderScreen(f, { width: 80, height: 24, lang, table: hostile, color: false }).join('\n');
      expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
      expect(out).toContain(lang === 'zh' ? '成功 ]0;owned' : 'ok [31m');
    }
  });
});

describe('the status line when the output is not a terminal', () => {
  it('is one logfmt line with the counts, the top codes and no escape sequence', () => {
    const f = frameOf(calm);
    const line = formatStatusLine(f);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
    expect(line).not.toContain('\x1b');
    const fields = Object.fromEntries(line.trim().split(' ').map((kv) => kv.split('=') as [string, string]));
    expect(fields['lines']).toBe(String(f.summary.lines.total));
    expect(fields['responses']).toBe(String(f.summary.responses));
    expect(fields['lines_per_sec']).toBe('50.0');
    expect(fields['success']).toBe(String(f.summary.categories.success));
    expect(fields['malformed']).toBe(String(f.summary.lines.malformed));
    expect(fields['top']!.split(',')[0]).toBe(`200:${f.summary.codes[0]!.count}`);
    expect(fields['alerts']).toBe('none');
  });

  it('names the firing families with their ratio', () => {
    const e = serverFiring.active.get('server')!;
    expect(formatStatusLine(frameOf(serverFiring))).toContain(` alerts=server:${e.ratio.toFixed(3)}\n`);
  });
});

describe('the end-of-run summary on a terminal', () => {
  const s = summarize(calm.counts, table, 10, {});
  it('cuts descriptions to the terminal width, and leaves them whole for a file or a pipe', () => {
    for (const columns of [60, 80, 100]) {
      const rows = formatSummary(s, 'zh', { columns, fitWidth }).split('\n').filter((r) => /^  (\d|http_|other)/.test(r));
      expect(rows.length).toBeGreaterThan(5);
      for (const row of rows) expect(displayWidth(row)).toBeLessThan(columns);
      expect(rows.some((r) => r.endsWith('...'))).toBe(true);
    }
    const whole = formatSummary(s, 'zh');
    expect(whole).toContain('开放平台成功处理了您的请求，业务正常结束，但可能还有后续建议');
    expect(whole).not.toContain('...\n');
  });
});

describe('the where panel', () => {
  const base = frameOf(countLog([]));
  it('lists the top values of each dimension among the window\'s errors, as text', () => {
    const where = [
      { name: 'route', values: [{ value: '/openapi/v1/orders/:id', count: 120 }, { value: '/x\u001b[2J\u0007', count: 3 }] },
      { name: 'app', values: [] },
    ];
    const lines = screen({ ...base, where, windowSec: 60 });
    const text = lines.join('\n');
    expect(text).toContain(' where (server and platform errors, last 60s)');
    expect(lines.find((l) => l.startsWith('   route'))).toBe('   route  /openapi/v1/orders/:id 120  /x [2J  3');
    expect(lines.find((l) => l.startsWith('   app'))).toBe('   app    -');
    expect(text).not.toContain('\u001b');
    expectFits(lines, 80, 24);
  });

  it('says so when the window has no errors, and is absent without dimensions', () => {
    expect(screen({ ...base, where: [{ name: 'route', values: [] }], windowSec: 30 }).join('\n')).toContain(' where: no server or platform errors in the last 30s');
    expect(screen(base).join('\n')).not.toContain('where');
  });
});
