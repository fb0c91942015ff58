import { mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { NdjsonAlertSink, type AlertEvent } from '../../dist/alerts/events.js';

const firing: AlertEvent = {
  type: 'alert',
  status: 'firing',
  family: 'server',
  startsAt: '2024-01-01T00:15:17.000Z',
  window_seconds: 60,
  count: 412,
  total: 6000,
  ratio: 0.068667,
  baseline_ratio: 0.0101,
  top_codes: [
    { code: '5021', count: 300, description: '数据库服务连接失败，请稍后再试' },
    { code: 'http_502', count: 112, description: '系统级错误，可能是服务器正在维护、网络问题，出现此类故障，请联系技术支持解决' },
  ],
};
const resolved: AlertEvent = {
  type: 'alert',
  status: 'resolved',
  family: 'server',
  startsAt: firing.startsAt,
  endsAt: '2024-01-01T00:19:02.000Z',
  window_seconds: 60,
  count: 55,
  total: 6010,
  ratio: 0.009151,
  baseline_ratio: 0.0101,
  top_codes: [{ code: '5021', count: 40, description: 'with "quotes"\nand a newline' }],
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function collect(): { out: Writable; text: () => string; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  return { out, text: () => Buffer.concat(chunks).toString('utf8'), ended: () => ended };
}

describe('NdjsonAlertSink', () => {
  it('writes each event as one JSON object on its own line, fields as SPEC orders them', async () => {
    const c = collect();
    const sink = new NdjsonAlertSink(c.out);
    sink.write(firing);
    sink.write(resolved);
    await sink.close();
    const lines = c.text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual(firing);
    expect(JSON.parse(lines[1]!)).toEqual(resolved);
    expect(lines[0]).toMatch(/^\{"type":"alert","status":"firing","family":"server","startsAt":"2024-01-01T00:15:17.000Z","window_seconds":60,/);
    expect(lines[1]).toContain('"startsAt":"2024-01-01T00:15:17.000Z","endsAt":"2024-01-01T00:19:02.000Z"');
    // Descriptions stay readable and a newline inside one cannot break the framing.
    expect(lines[0]).toContain('数据库服务连接失败');
    expect(lines[1]).toContain('\\n');
  });

  it('ends a file it was given, and everything is on disk once close resolves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alert-events-'));
    dirs.push(dir);
    const path = join(dir, 'alerts.ndjson');
    const file = createWriteStream(path);
    const sink = new NdjsonAlertSink(file);
    for (let i = 0; i < 500; i++) sink.write({ ...firing, count: i });
    await sink.close();
    expect(file.writableFinished).toBe(true);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(500);
    expect(lines.map((l) => (JSON.parse(l) as AlertEvent).count)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });


  it('ends a file it was given when no event came, leaving it empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alert-events-'));
    dirs.push(dir);
    const path = join(dir, 'alerts.ndjson');
    const file = createWriteStream(path);
    await new NdjsonAlertSink(file).close();
    expect(file.writableFinished).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
  it('leaves a shared stream open when told not to end it, yet flushes to it', async () => {
    const c = collect();
    const sink = new NdjsonAlertSink(c.out, { end: false });
    sink.write(firing);
    await sink.close();
    expect(c.ended()).toBe(false);
    expect(c.text().split('\n')).toHaveLength(2);
    c.out.write('still usable\n');
    expect(c.text().endsWith('still usable\n')).toBe(true);
  });

  it('never ends process.stderr by default', async () => {
    const sink = new NdjsonAlertSink(process.stderr);
    await sink.close();
    expect(process.stderr.writableEnded).toBe(false);
  });

  it('ignores events written after close, and close is idempotent', async () => {
    const out = new PassThrough();
    const sink = new NdjsonAlertSink(out);
    sink.write(firing);
    const closed = sink.close();
    sink.write(resolved);
    await closed;
    await sink.close();
    const text = out.read()?.toString('utf8') ?? '';
    expect(text.trimEnd().split('\n')).toHaveLength(1);
  });

  it('rejects close when the destination fails', async () => {
    const out = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('disk full'));
      },
    });
    const seen: Error[] = [];
    const sink = new NdjsonAlertSink(out, { onError: (err) => seen.push(err) });
    sink.write(firing);
    await new Promise((r) => setImmediate(r));
    expect(seen.map((e) => e.message)).toEqual(['disk full']);
    sink.write(resolved);
    await expect(sink.close()).rejects.toThrow(/disk full/);
  });
});
