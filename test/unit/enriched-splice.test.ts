// --output enriched spliced in the scanner's memory (wasmSplicer) must write the same bytes as the
// Buffer.copy path: lines in the read buffer and elsewhere, empty objects, outcome fragments, a writer
// buffer that fills up, a table reload in between, and more fragments than the module has room for.
import fc from 'fast-check';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodeTable } from '../../dist/codes/table.js';
import { scanReadBuffer, wasmSplicer } from '../../dist/extract/scan.js';
import { EnrichedWriter } from '../../dist/output/enriched.js';
import { FdWriter } from '../../dist/output/fd-writer.js';

type Op = { line: string; slot: number; outcome: number; inRead: boolean; newline: boolean } | 'reload';

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant<Op>('reload'), weight: 1 },
  {
    arbitrary: fc.record({
      line: fc.oneof(fc.constantFrom('{}', ' {} ', '{"code":1}', '{"code":1} \t'), fc.string({ maxLength: 300 }).map((s) => `{"code":200,"msg":${JSON.stringify(s)}}`)),
      slot: fc.integer({ min: -1, max: 3000 }),
      outcome: fc.constantFrom(2, 3),
      inRead: fc.boolean(),
      newline: fc.boolean(),
    }),
    weight: 30,
  },
);

function run(ops: Op[], withSplicer: boolean, file: string): Buffer {
  const fd = openSync(file, 'w');
  const splicer = withSplicer ? wasmSplicer() : null;
  if (withSplicer) expect(splicer).not.toBeNull();
  // A small writer buffer in the spliced case too: splicer.out is 1 MiB, so use it only when asked.
  const out = new FdWriter(fd, 1 << 20, () => false, splicer?.out);
  const tables = [new CodeTable([]), new CodeTable([{ code: 200, category: 'success', description: '成功', description_en: 'OK' } as never])];
  let t = 0;
  const w = new EnrichedWriter(out, tables[0]!, (slot) => ({ slot, code: slot % 5 === 0 ? `http_${500 + (slot % 99)}` : String(slot * 7919), category: 'client' }), splicer);
  const read = scanReadBuffer(1 << 20);
  let at = 0;
  for (const o of ops) {
    if (o === 'reload') {
      w.setTable(tables[++t % 2]!);
      continue;
    }
    let b = Buffer.from(o.line);
    let start = 0;
    if (o.inRead) {
      if (at + b.length + 16 > read.length) at = 0;
      b.copy(read, at);
      b = read;
      start = at;
      at += o.line.length + 7;
    }
    const end = start + Buffer.byteLength(o.line);
    const close = b.lastIndexOf(0x7d, end - 1);
    w.object(b, start, end, o.newline, close, o.line.trim() === '{}', o.slot, o.outcome);
  }
  out.flush();
  closeSync(fd);
  return readFileSync(file);
}

describe('enriched output spliced in the scanner memory', () => {
  it('writes the same bytes as the copying path', () => {
    const dir = tmpdir();
    const a = join(dir, `splice-a-${process.pid}`);
    const b = join(dir, `splice-b-${process.pid}`);
    try {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
          expect(run(ops, true, a).equals(run(ops, false, b))).toBe(true);
        }),
        { numRuns: 200 },
      );
      // Enough lines to fill the 1 MiB writer buffer several times, and more distinct fragments than fit.
      const many: Op[] = Array.from({ length: 12000 }, (_, k) => ({ line: `{"code":${k},"msg":"${'m'.repeat(k % 300)}"}`, slot: k % 4000, outcome: 2, inRead: k % 3 !== 0, newline: true }));
      expect(run(many, true, a).equals(run(many, false, b))).toBe(true);
    } finally {
      rmSync(a, { force: true });
      rmSync(b, { force: true });
    }
  });
});
