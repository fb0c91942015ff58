// Takes the README's two screenshots from the demo fixture: the live page while the fixture's server-error
// spike fires, and the report of the whole replay. Run after `npm run build`:
//
//   node test/screenshots/make.mjs            # writes test/screenshots/web-page.png and test/screenshots/report.png
//
// Chinese text needs a CJK font on the machine (Debian: fonts-wqy-microhei); the tests do not.
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'test/screenshots');
const report = join(mkdtempSync(join(tmpdir(), 'errcode-shots-')), 'report.html');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The fixture's 10 minutes of event time in 20 s, into the CLI; the report is written when the input ends.
const replay = spawn(process.execPath, [join(ROOT, 'dist/tools/replay.js'), '--speed', '30', join(ROOT, 'fixtures/sample.ndjson')], { stdio: ['ignore', 'pipe', 'inherit'] });
const cli = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), '--output', 'none', '--listen', '127.0.0.1:0', '--keep-serving', '--lang', 'en', '--report', report], {
  stdio: ['pipe', 'ignore', 'pipe'],
});
replay.stdout.pipe(cli.stdin);
let stderr = '';
const origin = await new Promise((resolve, reject) => {
  cli.stderr.on('data', (b) => {
    stderr += b;
    const m = /listening on (https?:\/\/[^/\s]+)/.exec(stderr);
    if (m) resolve(m[1]);
  });
  cli.once('exit', () => reject(new Error(stderr)));
});

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await page.goto(`${origin}/`);
  await page.waitForSelector('#firing .alert', { timeout: 60_000 });
  await page.waitForTimeout(4000);
  await page.screenshot({ path: join(OUT, 'web-page.png') });

  while (!/input ended/.test(stderr)) await new Promise((r) => setTimeout(r, 200));
  const r = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await r.goto(`file://${report}`);
  await r.waitForSelector('#codes tbody tr');
  // The report in Chinese, the live page in English: the switch at the top right.
  await r.click('button[data-lang="zh"]');
  await r.waitForTimeout(500);
  await r.screenshot({ path: join(OUT, 'report.png') });
} finally {
  await browser.close();
  cli.kill('SIGTERM');
}
for (const f of ['web-page.png', 'report.png']) console.log(`${f}: ${statSync(join(OUT, f)).size} bytes`);
