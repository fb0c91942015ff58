// The endpoint secured the way node_exporter is: TLS and bcrypt basic auth from an exporter-toolkit web
// config, through the real CLI while it streams; a login flood neither starves the stream nor lets anyone in.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../dist/tools/generate.js';
import { startCli } from '../support/cli.js';
import { ROOT } from '../support/exec.js';
import { parseExposition, sum } from '../support/exposition.js';

const FIXTURES = join(ROOT, 'fixtures/web-config');
const ca = readFileSync(join(FIXTURES, 'server.crt'));
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function get(url: string, authorization?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: authorization ? { authorization } : {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('--web-config with TLS and basic auth', () => {
  it('serves HTTPS to the right user only, and keeps streaming through 300 concurrent logins', async () => {
    const { text, truth } = generate({ lines: 200_000, seed: 41 });
    const cli = await startCli(['--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', '--web-config', join(FIXTURES, 'tls_users.good.yml')], { stdin: 'pipe' });
    expect(cli.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const right = basic('prometheus', 'scrape-secret');
    expect((await get(cli.url)).status).toBe(401);
    expect((await get(cli.url, basic('prometheus', 'wrong'))).status).toBe(401);
    expect((await get(cli.url, basic('nobody', 'scrape-secret'))).status).toBe(401);
    expect((await get(cli.url, right)).status).toBe(200);

    const stdin = cli.proc.stdin!;
    stdin.write(text.slice(0, text.length / 2));
    const logins = Array.from({ length: 300 }, (_, i) => get(cli.url, i % 2 === 0 ? right : basic('prometheus', `guess-${i}`)));
    stdin.end(text.slice(text.length / 2));
    const answers = await Promise.all(logins);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(150);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(150);
    for (const a of answers.filter((x) => x.status === 401)) expect(a.body).not.toContain('errcode_');

    // The stream was not starved: every line arrives.
    for (let i = 0; ; i++) {
      const m = parseExposition((await get(cli.url, right)).body);
      if (sum(m, 'errcode_input_lines_total') === truth.lines) break;
      if (i > 200) throw new Error('the stream did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await cli.stop()).toBe(0);
  });

  it('refuses to start on a bad web config with a one-line reason', async () => {
    const { runCli } = await import('../support/exec.js');
    const res = await runCli(['--listen', '127.0.0.1:0', '--web-config', join(FIXTURES, 'user_plaintext.bad.yml')], { stdin: '' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^errcode-stream: .*user_plaintext\.bad\.yml: basic_auth_users/);
  });
});
