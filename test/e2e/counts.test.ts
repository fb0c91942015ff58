// The engine end to end: the real CLI on generated logs with a known ground truth, through pipes and files,
// with both engines. Every line is counted once under its outcome; per-code counts equal the truth exactly.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../dist/tools/generate.js';
import { codeCounts, runCli, type SummaryJson } from '../support/exec.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-e2e-'));
const { text, truth } = generate({ lines: 30_000, seed: 7, shape: 'mixed', hostile: 0.08, rate: 50 });
const logPath = join(dir, 'mixed.ndjson');

beforeAll(() => {
  writeFileSync(logPath, text);
  writeFileSync(`${logPath}.gz`, gzipSync(text));
});

async function summaryOf(args: string[], stdin?: string): Promise<SummaryJson> {
  const out = join(dir, `summary-${Math.random().toString(16).slice(2)}.json`);
  const res = await runCli([...args, '--output', 'none', '--listen', 'none', '--summary-json', out], stdin === undefined ? {} : { stdin });
  expect(res.stderr).toContain('lines');
  expect(res.code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as SummaryJson;
}

function expectTruth(s: SummaryJson): void {
  expect(s.lines).toEqual({ ...truth.outcomes, total: truth.lines });
  expect(s.blank_lines).toBe(truth.blank);
  expect(codeCounts(s)).toEqual(truth.codes);
  expect(s.bytes).toBe(truth.bytes);
}

describe('counts equal the generated ground truth', () => {
  it('through a pipe on stdin', async () => {
    expectTruth(await summaryOf([], text));
  });

  it('from a file', async () => {
    expectTruth(await summaryOf([logPath]));
  });

  it('from a .gz file, counting decompressed bytes', async () => {
    expectTruth(await summaryOf([`${logPath}.gz`]));
  });

  it('with the reference engine', async () => {
    expectTruth(await summaryOf(['--engine', 'reference', logPath]));
  });

  // `errcode-stream <(zcat x.gz)`, a FIFO, /dev/stdin: inputs named like files that can only be read once.
  it.each([
    ['fast', 'plain', ''],
    ['fast', 'gzip', '.gz'],
    ['reference', 'plain', ''],
    ['reference', 'gzip', '.gz'],
  ])('from a named pipe (%s engine, %s)', async (engine, _kind, ext) => {
    const fifo = join(dir, `pipe-${engine}${ext}`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const running = summaryOf(['--engine', engine, fifo]);
    createWriteStream(fifo).end(ext ? gzipSync(text) : text);
    expectTruth(await running);
  });

  it('counts what a truncated archive holds, says so, and goes on to the next input (both engines)', async () => {
    const whole = gzipSync(text);
    const cut = join(dir, 'cut.ndjson.gz');
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    // What survives the cut: whole lines, and a last line cut short, which counts as malformed.
    const held = gunzipSync(whole.subarray(0, whole.length >> 1), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
    const heldLines = held.split('\n').length - (held.endsWith('\n') ? 1 : 0);
    const seen: SummaryJson[] = [];
    for (const engine of ['fast', 'reference']) {
      const out = join(dir, `cut-${engine}.json`);
      const res = await runCli([cut, logPath, '--engine', engine, '--output', 'none', '--listen', 'none', '--summary-json', out]);
      expect(res.code).toBe(0);
      expect(res.stderr).toContain(`errcode-stream: ${cut}: unexpected end of file; the lines before it are counted\n`);
      seen.push(JSON.parse(readFileSync(out, 'utf8')) as SummaryJson);
    }
    expect(seen[0]!.lines['total'] + seen[0]!.blank_lines).toBe(heldLines + truth.lines + truth.blank);
    expect(seen[1]!.lines).toEqual(seen[0]!.lines);
  });

  it('writes the summary JSON to stdout with --summary-json -', async () => {
    const res = await runCli([logPath, '--output', 'none', '--listen', 'none', '--summary-json', '-']);
    expect(res.code).toBe(0);
    expectTruth(JSON.parse(res.stdout.toString()) as SummaryJson);
  });

  it('sums several files', async () => {
    const s = await summaryOf([logPath, '-', logPath], text);
    expect(s.lines['total']).toBe(3 * truth.lines);
    expect(s.responses).toBe(3 * truth.outcomes.ok);
  });
});

describe('enriched output', () => {
  it('has one line per input line, in order, each original recoverable byte for byte', async () => {
    const input = Buffer.from(text);
    const res = await runCli(['--output', 'enriched', '--listen', 'none'], { stdin: input });
    expect(res.code).toBe(0);
    const inLines = text.split('\n');
    const outLines = res.stdout.toString('utf8').split('\n');
    expect(outLines.length).toBe(inLines.length);
    let enriched = 0;
    for (let i = 0; i < inLines.length; i++) {
      const out = outLines[i]!;
      const at = out.lastIndexOf('"errcode":{');
      if (at < 0) {
        expect(out).toBe(inLines[i]);
        continue;
      }
      enriched++;
      const end = out.indexOf('}', at) + 1;
      const start = out[at - 1] === ',' ? at - 1 : at;
      expect(out.slice(0, start) + out.slice(end)).toBe(inLines[i]);
      const errcode = (JSON.parse(out) as { errcode: { code: string | null; category: string | null } }).errcode;
      expect(errcode).toHaveProperty('description');
      expect(errcode).toHaveProperty('description_en');
    }
    expect(enriched).toBe(truth.outcomes.ok + truth.outcomes.missing_code + truth.outcomes.invalid_code);
  });

  it('adds the code, category and both descriptions', async () => {
    const res = await runCli(['--listen', 'none', '--output', 'enriched'], {
      stdin: '{"ts":"2026-11-25T10:00:00Z","status":200,"response":{"code":"4004","msg":"x"}}\n{}\r\n{"status":502,"response":"<html>"}\n',
    });
    const lines = res.stdout.toString().split('\n');
    expect(JSON.parse(lines[0]!).errcode).toEqual({ code: '4004', category: 'client', description: '签名无效', description_en: 'Invalid signature' });
    expect(lines[1]).toBe('{"errcode":{"code":null,"category":null,"description":"缺少业务状态码","description_en":"The line has no business code","outcome":"missing_code"}}\r');
    expect(JSON.parse(lines[2]!).errcode.code).toBe('http_502');
    expect(JSON.parse(lines[2]!).errcode.category).toBe('system');
  });
});
