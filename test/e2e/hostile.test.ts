// The hostile input catalogue (fixtures/hostile/expected.json): every case gets its SPEC outcome with both
// engines, the process stays up through all of them in one stream, and its peak RSS stays bounded.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { ROOT, runCli, type SummaryJson } from '../support/exec.js';

interface Case {
  name: string;
  file?: string;
  generate?: 'long-lines' | 'deep-nesting' | 'many-codes';
  outcomes: Record<string, number>;
  blank: number;
  codes?: Record<string, number>;
  /** Responses counted under the `other` code label (past --max-unlisted-codes). */
  codes_other?: number;
}

const HOSTILE = join(ROOT, 'fixtures', 'hostile');
const { cases } = JSON.parse(readFileSync(join(HOSTILE, 'expected.json'), 'utf8')) as { cases: Case[] };
const dir = mkdtempSync(join(tmpdir(), 'errcode-hostile-'));

const MiB = 1 << 20;

/** The recipes of the cases too large to commit. */
function generate(recipe: NonNullable<Case['generate']>): Buffer {
  switch (recipe) {
    case 'long-lines': {
      const long = '{"code":200,"pad":"' + 'x'.repeat(3 * MiB) + '"}';
      return Buffer.from(`${long}\n{"code":4004}\n${long.slice(0, -2)}\n{"code":200}\n${long}`);
    }
    case 'deep-nesting': {
      const n = 200_000;
      return Buffer.from(
        [
          `{"a":${'['.repeat(n)}${']'.repeat(n)},"code":200}`,
          // Objects too (4 + 1 bytes a level keeps the line under the default 1 MiB limit).
          `{"code":200,"a":${'{"":'.repeat(n)}1${'}'.repeat(n)}}`,
          `{"a":${'['.repeat(n)},"code":200}`,
          `{"code":200,"a":${'{"":'.repeat(n)}`,
        ].join('\n') + '\n',
      );
    }
    case 'many-codes': {
      let s = '';
      for (let i = 0; i < 100_000; i++) s += `{"code":${600_000 + i}}\n`;
      return Buffer.from(s);
    }
  }
}

function input(c: Case): Buffer {
  return c.file ? readFileSync(join(HOSTILE, c.file)) : generate(c.generate!);
}

function expectCase(c: Case, s: SummaryJson): void {
  expect(s.lines).toEqual({ ...c.outcomes, total: Object.values(c.outcomes).reduce((a, b) => a + b, 0) });
  expect(s.blank_lines).toBe(c.blank);
  const codes = Object.fromEntries(s.codes.map((x) => [x.code, x.count]));
  if (c.codes) expect(codes).toEqual(c.codes);
  if (c.codes_other !== undefined) {
    expect(codes['other']).toBe(c.codes_other);
    // The cardinality bound: the table's codes plus at most 100 others.
    expect(s.codes.filter((x) => x.code !== 'other').length).toBe(100);
  }
}

describe('hostile input catalogue', () => {
  for (const c of cases) {
    for (const engine of ['fast', 'reference'] as const) {
      it(`${c.name} (${engine})`, async () => {
        const path = join(dir, `${c.file ?? c.generate}`);
        writeFileSync(path, input(c));
        const out = join(dir, `${c.file ?? c.generate}-${engine}.json`);
        const res = await runCli([path, '--engine', engine, '--output', 'none', '--listen', 'none', '--summary-json', out]);
        expect(res.code, res.stderr).toBe(0);
        expectCase(c, JSON.parse(readFileSync(out, 'utf8')) as SummaryJson);
      });
    }
  }

  it('takes the whole catalogue in one stream on stdin, stays up, and keeps its peak RSS bounded', { timeout: 120_000 }, async () => {
    const all = Buffer.concat(cases.map((c) => Buffer.concat([input(c), Buffer.from('\n')])));
    const summary = join(dir, 'all.json');
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', '--summary-json', summary], { stdin: 'pipe' });
    cli.proc.stdin!.end(all);
    const want = cases.reduce((a, c) => a + Object.values(c.outcomes).reduce((x, y) => x + y, 0), 0);
    let seen = 0;
    for (const deadline = Date.now() + 60_000; seen < want && Date.now() < deadline; ) {
      const text = await (await fetch(cli.url)).text();
      seen = [...text.matchAll(/^errcode_input_lines_total\{outcome="[a-z_]+"\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
      if (seen < want) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe(want);
    expect((await fetch(cli.url.replace('/metrics', '/healthz'))).status).toBe(200);
    // VmHWM: the process's peak resident set, reader thread included.
    const status = readFileSync(`/proc/${cli.proc.pid}/status`, 'utf8');
    const peakMiB = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) / 1024;
    expect(await cli.stop()).toBe(0);
    // Measured at 97 MiB (Node, prom-client and a 1 MiB read buffer): 3 MiB lines are never held whole and
    // 100k codes make 101 series.
    expect(peakMiB, `peak RSS ${peakMiB.toFixed(0)} MiB`).toBeLessThan(160);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as SummaryJson;
    expect(s.lines['total']).toBe(want);
    for (const outcome of ['ok', 'malformed', 'missing_code', 'invalid_code', 'oversized']) {
      expect(s.lines[outcome], outcome).toBe(cases.reduce((a, c) => a + c.outcomes[outcome]!, 0));
    }
  });

  it('reads Chinese text split across pipe writes at every byte offset, and writes it back unchanged', async () => {
    const line = '{"code":4004,"msg":"签名无效，请检查参数（sign）","user":"张三"}';
    const bytes = Buffer.from(line + '\n');
    const res = await runCli(['--output', 'enriched', '--listen', 'none'], {
      onSpawn: (child) => {
        void (async () => {
          for (let k = 1; k < bytes.length; k++) {
            // Two writes with a pause between: the reader sees the line in two reads, cut at byte k.
            child.stdin!.write(bytes.subarray(0, k));
            await new Promise((r) => setTimeout(r, 2));
            child.stdin!.write(bytes.subarray(k));
          }
          child.stdin!.end();
        })();
      },
    });
    expect(res.code).toBe(0);
    const out = res.stdout.toString('utf8').split('\n').filter((l) => l !== '');
    expect(out).toHaveLength(bytes.length - 1);
    for (const l of out) {
      const o = JSON.parse(l) as { msg: string; user: string; errcode: { code: string } };
      expect(o.msg).toBe('签名无效，请检查参数（sign）');
      expect(o.user).toBe('张三');
      expect(o.errcode.code).toBe('4004');
    }
  });
});
