// A new user's path: `npm pack` gives a package that installs globally and runs. dist/ is already built by
// `npm test`; --ignore-scripts keeps pack from rebuilding it under the CLIs other tests are running.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/exec.js';

describe('npm pack', () => {
  it('gives a package that installs globally and classifies a pipe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'errcode-pack-'));
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const prefix = join(dir, 'global');
    execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', join(dir, tgz)], { stdio: 'pipe' });
    const bin = join(prefix, 'bin', 'errcode-stream');
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env['PATH']}` };
    const version = spawnSync('errcode-stream', ['--version'], { env, encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const piped = spawnSync('bash', ['-c', `printf '{"code":5021}\\n{"code":200}\\n' | ${bin} --listen none`], { env, encoding: 'utf8' });
    expect(piped.status).toBe(0);
    const lines = piped.stdout.trim().split('\n').map((l) => JSON.parse(l) as { errcode: { code: string; category: string } });
    expect(lines.map((l) => [l.errcode.code, l.errcode.category])).toEqual([['5021', 'server'], ['200', 'success']]);
    expect(piped.stderr).toContain('2 lines');
  }, 180_000);
});
