// CodeTableSource, the table in force: what a reload reports, one reload at a time, the files re-read
// beside a 304, and a cache that cannot be written. Against a real HTTP server on loopback.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CodeTableSource } from '../../dist/codes/sources.js';
import { envelope, startCodesApi, type CodesApi } from '../support/codes-api.js';

const dir = mkdtempSync(join(tmpdir(), 'errcode-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let api: CodesApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const config = (url: string, extra: { codes?: string[]; codesCache?: string } = {}) => ({
  codes: extra.codes ?? [],
  codesUrl: url,
  codesUrlHeaders: [],
  codesCache: extra.codesCache,
  codesTimeoutMs: 5000,
});

describe('the table in force', () => {
  it('runs one reload at a time, and one more for the requests that came meanwhile', async () => {
    api = await startCodesApi((_, res) => setTimeout(() => res.end(envelope([{ code: 5999, msg: '限流' }])), 150));
    const source = new CodeTableSource(config(api.url()), () => {});
    await source.start();
    const results = await Promise.all([source.reload(), source.reload(), source.reload()]);
    expect(results.map((r) => r.result)).toEqual(['success', 'success', 'success']);
    // The start-up, the reload running, and one more for the two that asked while it ran.
    expect(api.requests).toHaveLength(3);
    expect(source.stats().reloads).toEqual({ success: 2, failure: 0, not_modified: 0 });
  });

  it('reports a 304 as not_modified, unless a --codes file changed the table meanwhile', async () => {
    api = await startCodesApi((req, res) => {
      res.setHeader('etag', '"a"');
      res.writeHead(req.headers['if-none-match'] === '"a"' ? 304 : 200);
      res.end(envelope([{ code: 5999, msg: '限流' }]));
    });
    const file = join(dir, 'extra.json');
    writeFileSync(file, '{"700001":"一"}');
    const source = new CodeTableSource(config(api.url(), { codes: [file] }), () => {});
    const first = await source.start();
    const same = await source.reload();
    expect(same.result).toBe('not_modified');
    expect(same.table).toBe(first);
    writeFileSync(file, '{"700001":"二"}');
    const changed = await source.reload();
    expect(changed.result).toBe('success');
    expect(changed.table.get(700001)?.description).toBe('二');
    expect(changed.table.get(5999)?.description).toBe('限流');
  });

  it('keeps a good table when its cache cannot be written, and says so', async () => {
    api = await startCodesApi((_, res) => res.end(envelope([{ code: 5999, msg: '限流' }])));
    const cacheDir = join(dir, 'gone');
    mkdirSync(cacheDir);
    const warnings: string[] = [];
    const source = new CodeTableSource(config(api.url(), { codesCache: join(cacheDir, 'cache.json') }), (w) => warnings.push(w));
    await source.start();
    expect(warnings).toEqual([]);
    rmSync(cacheDir, { recursive: true });
    const r = await source.reload();
    expect(r.result).toBe('success');
    expect(warnings).toEqual([`--codes-cache ${join(cacheDir, 'cache.json')}: cannot be written (ENOENT)`]);
  });
});
