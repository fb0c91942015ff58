// The registry's exposition: the pieces the server writes make the same text as metrics(), prom-client's
// default process metrics included.
import { describe, expect, it } from 'vitest';
import { Tally } from '../../dist/aggregate/tally.js';
import { CodeTable } from '../../dist/codes/table.js';
import { Counts } from '../../dist/engine/engine.js';
import { DEFAULT_PREFIX } from '../../dist/metrics/names.js';
import { createRegistry } from '../../dist/metrics/registry.js';

/** Every line with its sample value cut off; series whose set may change between two scrapes left out. */
function shape(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => !/^(nodejs_gc_duration_seconds|nodejs_active_)/.test(l))
    .map((l) => (l.startsWith('#') ? l : l.replace(/ [^ ]+$/, '')));
}

describe('createRegistry', () => {
  const table = CodeTable.builtin();
  const counts = new Counts();
  counts.apply(new Tally(table, 100).flush());
  const registry = createRegistry({ prefix: DEFAULT_PREFIX, counts: () => counts, table: () => table });

  it('writes in pieces the text of metrics(), family for family and series for series', async () => {
    const pieces = await registry.exposition();
    const joined = Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))).toString('utf8');
    const whole = await registry.metrics();
    expect(shape(joined)).toEqual(shape(whole));
    expect(joined).toContain('# TYPE errcode_code_info gauge');
    expect(joined).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(joined).toContain('# TYPE nodejs_gc_duration_seconds histogram');
  });

  it('keeps the info series as bytes between scrapes while the table and the series stay', async () => {
    const [, first] = await registry.exposition();
    const [, second] = await registry.exposition();
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(second).toBe(first);
  });
});
