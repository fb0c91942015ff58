// Soak of --follow (issue 5): 4 files written at a steady rate and rotated by rename (3 generations kept,
// older ones deleted), the CLI following them with a state file, /metrics scraped every second. Passes
// when, after the warm-up, RSS grows less than 10%, the open descriptors stay flat, the event-loop lag
// stays bounded, and every line written is counted exactly once. Not part of the CI tests: it runs for
// minutes. From the repository root:
//
//   npm run bench:follow [-- --minutes 10 --rate 2000]
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MINUTES = arg('minutes', 10);
/** Lines per second per file. */
const RATE = arg('rate', 2000);
const FILES = 4;
const ROTATE_BYTES = 1 << 20;
const KEEP = 3;
const WARMUP_S = Math.min(60, (MINUTES * 60) / 5);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'errcode-soak-'));
const paths = Array.from({ length: FILES }, (_, i) => join(dir, `gw${i + 1}.log`));
for (const p of paths) writeFileSync(p, '');

const cli = spawn(process.execPath, [resolve('dist/cli.js'), '--follow', ...paths, '--from-start', '--state-file', join(dir, 'state.json'), '--output', 'none', '--listen', '127.0.0.1:0'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
cli.stderr!.setEncoding('utf8');
const url = await new Promise<string>((res, rej) => {
  cli.stderr!.on('data', (c: string) => {
    stderr += c;
    const m = /listening on (http\S+)/.exec(stderr);
    if (m) res(m[1]!);
  });
  cli.once('exit', () => rej(new Error(`the CLI exited:\n${stderr}`)));
});
process.once('exit', () => cli.kill('SIGKILL'));

const CODES = [200, 200, 200, 200, 200, 200, 4001, 4004, 404, 500, 5021, 500001, 102002];
let written = 0;
let rotations = 0;
const size = paths.map(() => 0);
const gen = paths.map(() => 0);
function writeBatch(n: number): void {
  paths.forEach((p, i) => {
    let text = '';
    for (let k = 0; k < n; k++) {
      const code = CODES[(written + k) % CODES.length];
      text += `{"ts":"${new Date().toISOString()}","seq":${written + k},"path":"/api/v1/orders","latency_ms":${k % 97},"response":{"code":${code},"msg":"ok"}}\n`;
    }
    appendFileSync(p, text);
    written += n;
    size[i]! += text.length;
    if (size[i]! >= ROTATE_BYTES) {
      renameSync(p, `${p}.${++gen[i]!}`);
      if (gen[i]! > KEEP) rmSync(`${p}.${gen[i]! - KEEP}`);
      size[i] = 0;
      rotations++;
    }
  });
}

interface Sample {
  t: number;
  rssMiB: number;
  fds: number;
  lagP99Ms: number;
  lagMaxMs: number;
  lines: number;
  /** The main thread's V8 spaces (the reader thread's are not in the exposition), committed size. */
  newMiB: number;
  oldMiB: number;
  heapMiB: number;
  externalMiB: number;
  /** From /proc/<pid>/status: anonymous memory (heaps, malloc) and mapped files (code, libraries). */
  anonMiB: number;
  fileMiB: number;
}
const samples: Sample[] = [];
const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};
async function scrape(t: number): Promise<Sample> {
  const text = await (await fetch(url)).text();
  let lines = 0;
  for (const m of text.matchAll(/^errcode_input_lines_total\{outcome="[a-z_]+"\} (\d+)$/gm)) lines += Number(m[1]);
  const fds = readdirSync(`/proc/${cli.pid}/fd`).length;
  const status = readFileSync(`/proc/${cli.pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return {
    t,
    rssMiB: metric(text, 'process_resident_memory_bytes') / 2 ** 20,
    fds,
    lagP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: metric(text, 'nodejs_eventloop_lag_max_seconds') * 1000,
    lines,
    newMiB: metric(text, 'nodejs_heap_space_size_total_bytes\\{space="new"\\}') / 2 ** 20,
    oldMiB: metric(text, 'nodejs_heap_space_size_total_bytes\\{space="old"\\}') / 2 ** 20,
    heapMiB: metric(text, 'nodejs_heap_size_total_bytes') / 2 ** 20,
    externalMiB: metric(text, 'nodejs_external_memory_bytes') / 2 ** 20,
    anonMiB: kib('RssAnon'),
    fileMiB: kib('RssFile'),
  };
}

const start = Date.now();
const end = start + MINUTES * 60_000;
let nextScrape = start + 1000;
let nextWrite = start;
while (Date.now() < end) {
  // 10 batches a second at the steady rate.
  writeBatch(RATE / 10);
  nextWrite += 100;
  if (Date.now() >= nextScrape) {
    const s = await scrape(Math.round((Date.now() - start) / 1000));
    samples.push(s);
    if (s.t % 30 === 0)
      console.log(
        `${s.t}s rss ${s.rssMiB.toFixed(1)} MiB (anon ${s.anonMiB.toFixed(1)}, file ${s.fileMiB.toFixed(1)}; main heap ${s.heapMiB.toFixed(1)}: new ${s.newMiB.toFixed(1)}, old ${s.oldMiB.toFixed(1)}; external ${s.externalMiB.toFixed(1)}), fds ${s.fds}, lag p99 ${s.lagP99Ms.toFixed(1)} ms, lines ${s.lines}/${written}`,
      );
    nextScrape += 1000;
  }
  await sleep(Math.max(0, nextWrite - Date.now()));
}
// Settle: everything written is read.
let last = await scrape(Math.round((Date.now() - start) / 1000));
for (let i = 0; i < 100 && last.lines < written; i++) {
  await sleep(100);
  last = await scrape(last.t);
}
cli.kill('SIGTERM');
await new Promise((r) => cli.once('exit', r));

const after = samples.filter((s) => s.t >= WARMUP_S);
const atWarm = after[0]!;
const maxRss = Math.max(...after.map((s) => s.rssMiB));
const growth = (maxRss - atWarm.rssMiB) / atWarm.rssMiB;
const atMax = after.find((s) => s.rssMiB === maxRss)!;
const fdMin = Math.min(...after.map((s) => s.fds));
const fdMax = Math.max(...after.map((s) => s.fds));
const lagP99 = Math.max(...after.map((s) => s.lagP99Ms));
const lagMax = Math.max(...after.map((s) => s.lagMaxMs));
const report = {
  minutes: MINUTES,
  files: FILES,
  lines_per_second: RATE * FILES,
  rotations,
  written,
  counted: last.lines,
  rss_mib_after_warmup: +atWarm.rssMiB.toFixed(1),
  rss_mib_max: +maxRss.toFixed(1),
  rss_growth_pct: +(growth * 100).toFixed(1),
  // Where RSS sits at the warm-up and at its maximum: the main thread's heap and its new and old spaces.
  main_heap_mib_after_warmup_at_max: [+atWarm.heapMiB.toFixed(1), +atMax.heapMiB.toFixed(1)],
  new_space_mib_after_warmup_at_max: [+atWarm.newMiB.toFixed(1), +atMax.newMiB.toFixed(1)],
  old_space_mib_after_warmup_at_max: [+atWarm.oldMiB.toFixed(1), +atMax.oldMiB.toFixed(1)],
  rss_anon_mib_after_warmup_at_max: [+atWarm.anonMiB.toFixed(1), +atMax.anonMiB.toFixed(1)],
  rss_file_mib_after_warmup_at_max: [+atWarm.fileMiB.toFixed(1), +atMax.fileMiB.toFixed(1)],
  external_mib_after_warmup_at_max: [+atWarm.externalMiB.toFixed(1), +atMax.externalMiB.toFixed(1)],
  open_fds_min: fdMin,
  open_fds_max: fdMax,
  eventloop_lag_p99_max_ms: +lagP99.toFixed(1),
  eventloop_lag_max_ms: +lagMax.toFixed(1),
};
console.log(JSON.stringify(report, null, 2));
// Every sample, for a closer look at where the growth sits.
mkdirSync('test/bench/results', { recursive: true });
const samplesFile = `test/bench/results/soak-follow-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(samplesFile, JSON.stringify({ report, samples }) + '\n');
console.log(`samples: ${samplesFile}`);
const failures = [
  last.lines !== written && `counted ${last.lines} of ${written}`,
  growth >= 0.1 && `RSS grew ${(growth * 100).toFixed(1)}% after the warm-up`,
  // The follower holds at most a few rotated generations per file while they are quiet; more is a leak.
  fdMax - fdMin > FILES * 2 && `open descriptors ranged ${fdMin}..${fdMax}`,
  lagP99 > 100 && `event-loop lag p99 reached ${lagP99.toFixed(1)} ms`,
].filter(Boolean);
if (existsSync(dir) && statSync(dir).isDirectory()) rmSync(dir, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(`soak failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('soak passed');
