// The benchmark (`npm run bench`, after a build): errcode-stream against the obvious implementation
// (naive.mjs: split2 + JSON.parse + a Map), Debian's mtail with a regex counter, and `cat | wc -l` as the
// limit of the pipe, on logs made by the fixture generator. Contenders run in the same run, alternating,
// for several rounds; the median of each is reported, with lines/s, ratios, CPU time and peak RSS.
//
//   npm run bench                                   1M lines each of a realistic gateway log, the wrapped and
//                                                   the raw-body logs, 5 rounds; then a flood of 1M paths and apps
//   npm run bench -- --lines 200000 --rounds 3      smaller
//   npm run bench -- --sustained 10                 also 10 copies of the gateway log in one pipe (10M lines)
//   npm run bench -- --soak                         10M lines through a pipe, /metrics scraped every second
//
// The gateway log (src/tools/generate.ts, shape gateway) is the default: 30 routes (identifiers in their
// paths, query strings), 200 apps, Chinese msg texts with data: null on errors, small objects on success. It
// is run with the breakdowns on (the default) and with --no-labels, to show what they cost.
//
// Results go to test/bench/results/ (git-ignored) as JSON and Markdown; RESULTS.md keeps a summary.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, timed } from './timed.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const NAIVE = join(ROOT, 'test/bench/naive.mjs');
const RESULTS = join(ROOT, 'test/bench/results');
const DATA = join(RESULTS, 'data');
const MTAIL = '/usr/bin/mtail';
// One regex rule counting responses by code: the closest a generic log-to-metrics tool gets to this job.
const MTAIL_PROGRAM = 'counter errcode_responses_total by code\n/"code":(?P<code>\\d+)/ {\n  errcode_responses_total[$code]++\n}\n';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const soak = process.argv.includes('--soak');
const lines = Number(option('lines', '1000000'));
const rounds = Number(option('rounds', '5'));
const soakLines = Number(option('soak-lines', '10000000'));
// Copies of the wrapped log sent through one pipe to compare sustained rates, once start-up is amortized.
const sustained = Number(option('sustained', '10'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A generated log and its ground truth, made once and kept in results/data/. */
async function dataset(shape, n) {
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, `${shape}-${n}.ndjson`);
  const truthFile = `${file}.truth.json`;
  if (!existsSync(truthFile)) {
    const { generateFile } = await import(join(ROOT, 'dist/tools/generate.js'));
    const truth = await generateFile(file, { lines: n, shape, seed: 1 });
    writeFileSync(truthFile, JSON.stringify(truth));
  }
  const truth = JSON.parse(readFileSync(truthFile, 'utf8'));
  return { shape, file, lines: truth.lines + truth.blank, bytes: truth.bytes, truth };
}

/** `argv` timed (timed.mjs), its output to /dev/null unless asked for. */
const run = (argv, { pipeFrom, stdout = 'null' }) => timed(argv, { dir: RESULTS, pipeFrom, stdout });

/** The contenders; each run checks its answer against the ground truth, so a fast wrong answer fails. */
function contenders(ds, mtailDir, summaryFile) {
  const ok = ds.truth.outcomes.ok;
  return [
    {
      name: 'pipe (cat | wc -l)',
      key: 'pipe',
      run: async () => {
        const r = await run(['wc', '-l'], { pipeFrom: ds.file, stdout: 'pipe' });
        check('wc', Number(r.out.trim()) === ds.lines, r.out);
        return r;
      },
    },
    {
      // Start-up and shutdown alone (empty input): part of every run below, reported so the rate of the
      // engine itself can be read off.
      name: 'errcode-stream on empty input (start-up)',
      key: 'startup',
      run: () => run(['node', CLI, '--output', 'none', '--listen', 'none'], { pipeFrom: '/dev/null' }),
    },
    {
      name: 'errcode-stream --output none',
      key: 'none',
      run: async () => {
        const r = await run(['node', CLI, '--output', 'none', '--listen', 'none', '--summary-json', summaryFile], { pipeFrom: ds.file });
        const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
        check('errcode-stream', s.lines.ok === ok && s.lines.total === ds.truth.lines, JSON.stringify(s.lines));
        return r;
      },
    },
    {
      name: 'errcode-stream --output none --no-labels',
      key: 'nolabels',
      run: () => run(['node', CLI, '--output', 'none', '--listen', 'none', '--no-labels'], { pipeFrom: ds.file }),
    },
    {
      name: 'errcode-stream --output enriched >/dev/null',
      key: 'enriched',
      run: () => run(['node', CLI, '--output', 'enriched', '--listen', 'none'], { pipeFrom: ds.file }),
    },
    {
      name: 'naive (split2 + JSON.parse + Map)',
      key: 'naive',
      run: async () => {
        const r = await run(['node', NAIVE], { pipeFrom: ds.file, stdout: 'pipe' });
        check('naive', JSON.parse(r.out).responses === ok, r.out);
        return r;
      },
    },
    {
      // mtail --one_shot reads the file itself: given /dev/stdin it never sees the end of a pipe.
      name: 'mtail --one_shot (regex counter)',
      key: 'mtail',
      run: async () => {
        const r = await run([MTAIL, '--one_shot', '--one_shot_format', 'prometheus', '--progs', mtailDir, '--logs', ds.file, '--port', '0', '--address', '127.0.0.1'], { stdout: 'pipe' });
        let n = 0;
        for (const m of r.out.matchAll(/^errcode_responses_total\{[^}]*\} (\d+)$/gm)) n += Number(m[1]);
        check('mtail', n > 0, r.out.slice(0, 200));
        return r;
      },
    },
  ];
}

async function benchmark() {
  mkdirSync(RESULTS, { recursive: true });
  const mtailDir = join(RESULTS, 'mtail');
  mkdirSync(mtailDir, { recursive: true });
  writeFileSync(join(mtailDir, 'errcode.mtail'), MTAIL_PROGRAM);
  const haveMtail = existsSync(MTAIL);
  if (!haveMtail) console.error(`bench: ${MTAIL} not found (apt-get install mtail); running without it`);
  const summaryFile = join(RESULTS, `summary-${process.pid}.json`);
  const sets = [await dataset('gateway', lines), await dataset('wrapped', lines), await dataset('raw', lines)];
  const report = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, rounds, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(), datasets: [] };
  for (const ds of sets) {
    const all = contenders(ds, mtailDir, summaryFile).filter((c) => haveMtail || c.key !== 'mtail');
    const results = await measure(ds, all, rounds);
    for (const r of Object.values(results)) {
      r.vsNaive = r.linesPerS / results.naive.linesPerS;
      r.vsMtail = results.mtail ? r.linesPerS / results.mtail.linesPerS : null;
    }
    // What the breakdowns cost: the default run's time over --no-labels's.
    results.none.labelsCost = results.none.wallS / results.nolabels.wallS - 1;
    report.datasets.push({ shape: ds.shape, lines: ds.lines, bytes: ds.bytes, results });
    printTable(results);
  }
  // The same comparison with the pipe where start-up no longer counts: many copies of the log in one pipe.
  if (sustained > 1) {
    const ds = sets[0];
    const big = { ...ds, shape: `${ds.shape} x ${sustained} in one pipe`, file: Array(sustained).fill(ds.file), lines: ds.lines * sustained, bytes: ds.bytes * sustained, truth: { lines: ds.truth.lines * sustained, outcomes: { ok: ds.truth.outcomes.ok * sustained } } };
    const all = contenders(big, mtailDir, summaryFile).filter((c) => c.key === 'pipe' || c.key === 'none' || c.key === 'nolabels');
    const results = await measure(big, all, Math.min(rounds, 3));
    report.sustained = { shape: big.shape, copies: sustained, lines: big.lines, bytes: big.bytes, results };
    printTable(results);
  }
  rmSync(summaryFile, { force: true });
  report.flood = await floodRun();
  const [g, w] = report.datasets.map((d) => d.results);
  report.targets = {
    'gateway: none >= 4x naive': g.none.vsNaive >= 4,
    'gateway: none >= 6x mtail': g.mtail ? g.none.vsMtail >= 6 : null,
    'gateway: breakdowns cost <= 20% of --no-labels': g.none.labelsCost <= 0.2,
    'flood: series at the bound, peak RSS < 150 MB': report.flood.withinBound && report.flood.peakRssMb < 150,
    'wrapped: none >= 4x naive': w.none.vsNaive >= 4,
    'wrapped: none >= 6x mtail': w.mtail ? w.none.vsMtail >= 6 : null,
    'wrapped: none within 3x of the pipe': w.none.pipeTimes <= 3,
    'none within 3x of the pipe, start-up amortized': report.sustained ? report.sustained.results.none.pipeTimes <= 3 : null,
    'wrapped: enriched >= 2.5x naive': w.enriched.vsNaive >= 2.5,
  };
  console.log('\ntargets:', report.targets);
  save('bench', report, markdown(report));
}

/**
 * A flood of 1M distinct paths and apps (shape flood: every line a path and an app never seen before) with the
 * breakdowns on: the series of each dimension stay at the bound and the memory flat. Scraped once the input
 * has ended (--keep-serving); peak RSS from /proc.
 */
async function floodRun() {
  const ds = await dataset('flood', lines);
  console.log(`\nflood: ${ds.lines.toLocaleString('en')} lines, each with a path and an app never seen before`);
  const run = await startServing([ds.file, '--keep-serving'], 'ignore');
  let body = '';
  for (;;) {
    body = (await scrape(run.url)).body;
    if (linesCounted(body) === ds.lines) break;
    await sleep(200);
  }
  const wallS = (performance.now() - run.t0) / 1000;
  const peakRssMb = memory(run.child.pid)?.hwmMb ?? NaN;
  run.child.kill('SIGTERM');
  await run.exited;
  const perDimension = {};
  for (const dim of ['route', 'app', 'method']) {
    const series = [...body.matchAll(new RegExp(`^errcode_${dim}_responses_total\\{${dim}="((?:[^"\\\\]|\\\\.)*)"`, 'gm'))].map((m) => m[1]);
    perDimension[dim] = { series: series.length, values: new Set(series).size };
  }
  // 100 values (--max-label-values) besides none and other; 2000 pairs (--max-label-series), plus one
  // code="other" pair per value and category past it.
  const withinBound = Object.values(perDimension).every((d) => d.values <= 102 && d.series <= 2000 + 102 * 8);
  const result = { lines: ds.lines, wallS, linesPerS: ds.lines / wallS, peakRssMb, perDimension, withinBound };
  console.log(`  ${ds.lines.toLocaleString('en')} lines in ${wallS.toFixed(2)} s (${Math.round(result.linesPerS).toLocaleString('en')} lines/s), peak RSS ${peakRssMb.toFixed(0)} MB; series ${JSON.stringify(perDimension)}`);
  return result;
}

/** Runs the contenders `rounds` times, alternating; the medians of each, with its time against the pipe's. */
async function measure(ds, all, rounds) {
  const samples = new Map(all.map((c) => [c.key, []]));
  console.log(`\n${ds.shape}: ${ds.lines.toLocaleString('en')} lines, ${(ds.bytes / 1e6).toFixed(0)} MB (${Math.round(ds.bytes / ds.lines)} B/line), ${rounds} rounds`);
  for (let round = 0; round < rounds; round++) {
    // Alternate, and rotate the order each round, so no contender always runs after the same one.
    const order = all.map((_, k) => all[(k + round) % all.length]);
    for (const c of order) {
      const r = await c.run();
      samples.get(c.key).push(r);
      process.stdout.write(`  round ${round + 1} ${c.key.padEnd(8)} ${r.wall.toFixed(2)} s\n`);
    }
  }
  const results = {};
  for (const c of all) {
    const xs = samples.get(c.key);
    const wall = median(xs.map((x) => x.wall));
    results[c.key] = { name: c.name, wallS: wall, linesPerS: c.key === 'startup' ? 0 : ds.lines / wall, mbPerS: c.key === 'startup' ? 0 : ds.bytes / 1e6 / wall, cpuS: median(xs.map((x) => x.cpu)), peakRssMb: Math.max(...xs.map((x) => x.rssMb)), walls: xs.map((x) => x.wall) };
  }
  for (const r of Object.values(results)) r.pipeTimes = r.wallS / results.pipe.wallS;
  return results;
}

const ratio = (x) => (x == null ? '-' : x.toFixed(2));

function printTable(results) {
  console.log(`  ${'contender'.padEnd(44)} ${'median s'.padStart(9)} ${'lines/s'.padStart(11)} ${'MB/s'.padStart(6)} ${'cpu s'.padStart(6)} ${'x naive'.padStart(8)} ${'x mtail'.padStart(8)} ${'x pipe time'.padStart(12)} ${'peak RSS'.padStart(9)}`);
  for (const r of Object.values(results)) {
    console.log(
      `  ${r.name.padEnd(44)} ${r.wallS.toFixed(2).padStart(9)} ${Math.round(r.linesPerS).toLocaleString('en').padStart(11)} ${r.mbPerS.toFixed(0).padStart(6)} ${r.cpuS.toFixed(2).padStart(6)} ${ratio(r.vsNaive).padStart(8)} ${ratio(r.vsMtail).padStart(8)} ${r.pipeTimes.toFixed(2).padStart(12)} ${`${r.peakRssMb.toFixed(0)} MB`.padStart(9)}`,
    );
  }
  if (results.none?.labelsCost !== undefined) console.log(`  breakdowns (route, app, method) cost ${(100 * results.none.labelsCost).toFixed(1)}% of the --no-labels time`);
}

function markdown(report) {
  const out = [`Run ${report.date}, node ${report.node}, ${report.cores} x ${report.cpu}, median of ${report.rounds} alternating rounds: \`${report.command}\``, ''];
  for (const ds of report.sustained ? [...report.datasets, report.sustained] : report.datasets) {
    out.push(`**${ds.shape}**: ${ds.lines.toLocaleString('en')} lines, ${(ds.bytes / 1e6).toFixed(0)} MB`, '');
    out.push('| contender | median s | lines/s | CPU s | x naive | x mtail | time / pipe | peak RSS |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of Object.values(ds.results)) {
      out.push(`| ${r.name.replaceAll('|', '\\|')} | ${r.wallS.toFixed(2)} | ${Math.round(r.linesPerS).toLocaleString('en')} | ${r.cpuS.toFixed(2)} | ${ratio(r.vsNaive)} | ${ratio(r.vsMtail)} | ${r.pipeTimes.toFixed(2)} | ${r.peakRssMb.toFixed(0)} MB |`);
    }
    if (ds.results.none?.labelsCost !== undefined) out.push('', `Breakdowns (route, app, method) cost ${(100 * ds.results.none.labelsCost).toFixed(1)}% of the --no-labels time.`);
    out.push('');
  }
  if (report.flood) {
    const f = report.flood;
    out.push(`**flood**: ${f.lines.toLocaleString('en')} lines of paths and apps never seen before: ${f.wallS.toFixed(2)} s, peak RSS ${f.peakRssMb.toFixed(0)} MB, series ${Object.entries(f.perDimension).map(([d, v]) => `${d} ${v.series} (${v.values} values)`).join(', ')}`, '');
  }
  if (report.targets) out.push('Targets: ' + Object.entries(report.targets).map(([k, v]) => `${k}: ${v === null ? 'n/a' : v ? 'met' : 'NOT met'}`).join('; '), '');
  return out.join('\n');
}

function save(kind, report, md) {
  const stamp = report.date.replace(/[:.]/g, '-');
  writeFileSync(join(RESULTS, `${kind}-${stamp}.json`), JSON.stringify(report, null, 2));
  writeFileSync(join(RESULTS, `${kind}-latest.json`), JSON.stringify(report, null, 2));
  writeFileSync(join(RESULTS, `${kind}-latest.md`), md);
  console.log(`\nwrote ${join(RESULTS, `${kind}-latest.json`)} and .md`);
}

// ---- soak: RSS over time and scrape latency -------------------------------------------------------------

function scrape(url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('scrape timed out')));
  });
}

function linesCounted(body) {
  let n = 0;
  for (const m of body.matchAll(/^errcode_input_lines_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Starts errcode-stream with an ephemeral metrics port; resolves once it says where it listens. */
function startServing(args, stdin) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('node', [CLI, ...args, '--output', 'none', '--listen', '127.0.0.1:0'], { stdio: [stdin, 'ignore', 'pipe'] });
    let err = '';
    const exited = new Promise((r) => child.on('close', (code) => r({ code, wall: (performance.now() - t0) / 1000 })));
    child.stderr.on('data', (b) => {
      err += b;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1], exited, t0 });
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`exited ${code} before listening: ${err}`)));
  });
}

/** Scrapes `url` every `everyMs` until the process exits; returns the scrapes (the last one may fail). */
async function scrapeUntilExit(run, everyMs, onScrape) {
  let done = false;
  void run.exited.then(() => (done = true));
  const scrapes = [];
  while (!done) {
    const t = performance.now();
    try {
      const s = await scrape(run.url);
      if (s.status !== 200) throw new Error(`${run.url} answered ${s.status}`);
      if (!done) {
        scrapes.push(s);
        onScrape?.(s, (t - run.t0) / 1000);
      }
    } catch (e) {
      // The endpoint closes a moment before the process exits: a refused scrape then is the end.
      const ended = await Promise.race([run.exited.then(() => true), sleep(1000).then(() => false)]);
      if (!ended) throw e;
      break;
    }
    await sleep(Math.max(0, everyMs - (performance.now() - t)));
  }
  return scrapes;
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function soakRun() {
  const ds = await dataset('wrapped', lines);
  const copies = Math.ceil(soakLines / ds.lines);
  const total = copies * ds.lines;
  console.log(`soak: ${total.toLocaleString('en')} lines (${copies} x ${ds.file}) through a pipe, /metrics scraped every second`);
  const cat = spawn('cat', Array(copies).fill(ds.file), { stdio: ['ignore', 'pipe', 'inherit'] });
  const run = await startServing([], cat.stdout);
  const series = [];
  console.log(`  ${'t s'.padStart(6)} ${'lines'.padStart(12)} ${'RSS MB'.padStart(7)} ${'peak MB'.padStart(8)} ${'scrape ms'.padStart(10)}`);
  const scrapes = await scrapeUntilExit(run, 1000, (s, t) => {
    const mem = memory(run.child.pid);
    if (!mem) return;
    const point = { t, lines: linesCounted(s.body), rssMb: mem.rssMb, hwmMb: mem.hwmMb, scrapeMs: s.ms };
    series.push(point);
    console.log(`  ${t.toFixed(1).padStart(6)} ${point.lines.toLocaleString('en').padStart(12)} ${point.rssMb.toFixed(0).padStart(7)} ${point.hwmMb.toFixed(0).padStart(8)} ${s.ms.toFixed(1).padStart(10)}`);
  });
  const { code, wall } = await run.exited;
  if (code !== 0) throw new Error(`soak run exited ${code}`);
  // Flat after warm-up: RSS moves in a sawtooth as the heaps fill and collect, so a single sample says
  // little. The top of the band while the second fifth to half of the lines go through, against the top
  // in the second half: growth there is what keeps growing.
  const warm = series.filter((p) => p.lines >= total * 0.2 && p.lines < total * 0.5);
  const late = series.filter((p) => p.lines >= total * 0.5);
  const top = (xs) => (xs.length ? Math.max(...xs.map((p) => p.rssMb)) : null);
  const soakResult = {
    lines: total,
    wallS: wall,
    linesPerS: total / wall,
    peakRssMb: Math.max(...series.map((p) => p.hwmMb)),
    rssAfterWarmupMb: top(warm),
    rssMaxLateMb: top(late),
    scrapeMaxMs: Math.max(...scrapes.map((s) => s.ms)),
    series,
  };
  console.log(`  ${total.toLocaleString('en')} lines in ${wall.toFixed(1)} s (${Math.round(total / wall).toLocaleString('en')} lines/s); peak RSS ${soakResult.peakRssMb.toFixed(0)} MB; RSS at most ${soakResult.rssAfterWarmupMb?.toFixed(0)} MB from 20% to 50% of the lines, at most ${soakResult.rssMaxLateMb?.toFixed(0)} MB in the second half; slowest scrape ${soakResult.scrapeMaxMs.toFixed(1)} ms`);

  // Scrape latency while a 1M-line file replays at full speed: back-to-back scrapes every 20 ms.
  console.log(`\nscrape latency during a ${ds.lines.toLocaleString('en')}-line replay of a file (a scrape every 20 ms):`);
  const replay = await startServing([ds.file], 'ignore');
  const during = await scrapeUntilExit(replay, 20);
  const ended = await replay.exited;
  const ms = during.map((s) => s.ms);
  const latency = { replayS: ended.wall, scrapes: ms.length, p50Ms: pct(ms, 50), p99Ms: pct(ms, 99), maxMs: Math.max(...ms), within100ms: ms.filter((x) => x <= 100).length };
  console.log(`  replay ${ended.wall.toFixed(2)} s with ${ms.length} scrapes: p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, max ${latency.maxMs.toFixed(1)} ms; ${latency.within100ms}/${ms.length} within 100 ms`);
  const plain = await startServing([ds.file], 'ignore');
  const alone = await plain.exited;
  console.log(`  the same replay without scrapes: ${alone.wall.toFixed(2)} s`);
  latency.replayAloneS = alone.wall;

  const report = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, soak: soakResult, scrapeDuringReplay: latency };
  const md = [
    `Soak ${report.date}: \`${report.command}\``,
    '',
    `- ${total.toLocaleString('en')} lines through a pipe in ${wall.toFixed(1)} s; peak RSS ${soakResult.peakRssMb.toFixed(0)} MB; RSS at most ${soakResult.rssAfterWarmupMb?.toFixed(0)} MB from 20% to 50% of the lines, at most ${soakResult.rssMaxLateMb?.toFixed(0)} MB in the second half; slowest of ${scrapes.length} scrapes ${soakResult.scrapeMaxMs.toFixed(1)} ms`,
    `- RSS (MB) once a second: ${series.map((p) => p.rssMb.toFixed(0)).join(' ')}`,
    `- scrapes during a ${ds.lines.toLocaleString('en')}-line replay (${ended.wall.toFixed(2)} s; ${alone.wall.toFixed(2)} s unscraped): ${ms.length} scrapes, p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, max ${latency.maxMs.toFixed(1)} ms`,
    '',
  ].join('\n');
  save('soak', report, md);
}

mkdirSync(RESULTS, { recursive: true });
if (!existsSync(CLI)) {
  console.error('bench: dist/cli.js is missing; run npm run build first');
  process.exit(2);
}
if (spawnSync('cat', ['/dev/null']).status !== 0 || !existsSync('/usr/bin/time')) {
  console.error('bench: needs cat and /usr/bin/time (apt-get install time)');
  process.exit(2);
}
await (soak ? soakRun() : benchmark());
