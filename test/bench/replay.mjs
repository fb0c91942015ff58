// The replay benchmark (`npm run bench:replay`, after a build): a .gz archive replayed by errcode-stream
// against `zcat FILE | wc -l`, the limit of reading it at all: with --output none, with --remote-write to a
// receiver on loopback that decodes every request (snappy, then prompb's schema) and discards it, and with
// --remote-write to a real Prometheus (Debian's, out-of-order window on). Contenders alternate over several
// rounds; medians, ratios to zcat, CPU time and peak RSS are reported, and every answer is checked.
//
//   npm run bench:replay                                 1M wrapped lines dated three days ago, 5 rounds
//   npm run bench:replay -- --lines 200000 --rounds 3    smaller
//   npm run bench:replay -- --before /path/to/dist/cli.js   also another build, with --output none
//
// Results go to test/bench/results/ (git-ignored) as JSON and Markdown; RESULTS.md keeps a summary.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createReadStream, createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import protobuf from 'protobufjs';
import snappy from 'snappy';
import { check, timed } from './timed.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const RESULTS = join(ROOT, 'test/bench/results');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const lines = Number(option('lines', '1000000'));
const rounds = Number(option('rounds', '5'));
const before = option('before', undefined);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `argv` timed (timed.mjs); the whole pipeline's slowest member's peak RSS. */
const run = (argv) => timed(argv, { dir: RESULTS });

/** The archive: generated wrapped lines with a server spike, dated three days ago so Prometheus takes them out of order. */
async function archive(dir) {
  const { generateFile } = await import(join(ROOT, 'dist/tools/generate.js'));
  const hour = 3_600_000;
  const startMs = Math.floor((Date.now() - 3 * 24 * hour) / hour) * hour;
  const plain = join(dir, 'replay.ndjson');
  const truth = await generateFile(plain, { lines, seed: 1, startMs, spikes: [{ family: 'server', at: 3600, seconds: 300, share: 0.4 }] });
  const file = `${plain}.gz`;
  await pipeline(createReadStream(plain), createGzip(), createWriteStream(file));
  rmSync(plain);
  return { file, truth };
}

const WriteRequest = protobuf
  .parse('syntax = "proto3"; package prometheus; message WriteRequest { repeated TimeSeries timeseries = 1; } message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; } message Label { string name = 1; string value = 2; } message Sample { double value = 1; int64 timestamp = 2; }')
  .root.lookupType('prometheus.WriteRequest');

/** A remote-write receiver on loopback that decodes each request and discards it, counting the samples. */
async function loopbackReceiver() {
  const state = { samples: 0, requests: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const msg = WriteRequest.decode(snappy.uncompressSync(Buffer.concat(chunks)));
      for (const ts of msg.timeseries) state.samples += ts.samples.length;
      state.requests++;
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/api/v1/write`, state, close: () => new Promise((r) => server.close(r)) };
}

/** Debian's Prometheus as a receiver with an out-of-order window; undefined when it is not installed. */
async function prometheusReceiver(dir) {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\nstorage:\n  tsdb:\n    out_of_order_time_window: 30d\n');
  const child = spawn(
    process.env.PROMETHEUS_BIN ?? 'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', `--web.console.templates=${dir}`, `--web.console.libraries=${dir}`],
    { stdio: 'ignore' },
  );
  const failed = await new Promise((resolve) => {
    child.once('error', () => resolve(true));
    (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) return resolve(false);
        } catch {}
        await sleep(200);
      }
      resolve(true);
    })();
  });
  if (failed) {
    child.kill();
    return undefined;
  }
  return { url: `http://127.0.0.1:${port}/api/v1/write`, close: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

/** "remote write URL: N samples delivered in R requests, ..., F failed, D dropped" of a run's stderr. */
function account(err, url) {
  const m = new RegExp(`remote write ${url}: ([\\d,]+) samples delivered in ([\\d,]+) requests, .*; ([\\d,]+) failed, ([\\d,]+) dropped`).exec(err);
  if (!m) throw new Error(`no account of ${url} in: ${err.slice(-400)}`);
  const n = (s) => Number(s.replace(/,/g, ''));
  return { delivered: n(m[1]), requests: n(m[2]), failed: n(m[3]), dropped: n(m[4]) };
}

function contenders(ds, summaryFile, loopback, prom) {
  const replay = (cli, extra) => ['node', cli, ds.file, '--output', 'none', '--listen', 'none', '--summary-json', summaryFile, ...extra];
  const counted = (r) => {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    check('errcode-stream', s.lines.ok === ds.truth.outcomes.ok && s.lines.total === ds.truth.lines, JSON.stringify(s.lines));
    return r;
  };
  const list = [
    {
      name: 'zcat FILE | wc -l',
      key: 'zcat',
      run: async () => {
        const r = await run(['sh', '-c', `zcat '${ds.file}' | wc -l`]);
        check('zcat', Number(r.out.trim()) === ds.truth.lines + ds.truth.blank, r.out);
        return r;
      },
    },
    { name: 'errcode-stream FILE.gz --output none', key: 'none', run: async () => counted(await run(replay(CLI, []))) },
    {
      name: 'errcode-stream FILE.gz --remote-write (loopback receiver, decodes)',
      key: 'loopback',
      run: async () => {
        const seen = loopback.state.samples;
        const r = counted(await run(replay(CLI, ['--remote-write', loopback.url])));
        const a = account(r.err, loopback.url);
        check('loopback', a.failed === 0 && a.dropped === 0 && a.delivered === loopback.state.samples - seen, JSON.stringify(a));
        r.samples = a.delivered;
        r.requests = a.requests;
        return r;
      },
    },
  ];
  if (prom) {
    list.push({
      name: 'errcode-stream FILE.gz --remote-write (Prometheus 2.42)',
      key: 'prometheus',
      run: async () => {
        const r = counted(await run(replay(CLI, ['--remote-write', prom.url])));
        const a = account(r.err, prom.url);
        check('prometheus', a.failed === 0 && a.dropped === 0, JSON.stringify(a));
        r.samples = a.delivered;
        r.requests = a.requests;
        return r;
      },
    });
  }
  if (before) list.push({ name: `before: ${before} FILE.gz --output none`, key: 'before', run: async () => counted(await run(replay(before, []))) });
  return list;
}

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'errcode-bench-replay-'));
  const loopback = await loopbackReceiver();
  const prom = await prometheusReceiver(dir);
  try {
    const ds = await archive(dir);
    const all = contenders(ds, join(dir, 'summary.json'), loopback, prom);
    console.log(`replay of ${ds.truth.lines.toLocaleString('en')} lines (${(ds.truth.bytes / 1e6).toFixed(0)} MB inflated), ${rounds} rounds${prom ? '' : '; no prometheus binary, its contender left out'}`);
    const walls = Object.fromEntries(all.map((c) => [c.key, []]));
    const kept = {};
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that no contender always runs on a warm (or a cold) page cache.
      const order = round % 2 === 0 ? all : [...all].reverse();
      for (const c of order) {
        const r = await c.run();
        walls[c.key].push(r);
        kept[c.key] = r;
      }
    }
    const zcat = median(walls.zcat.map((x) => x.wall));
    const results = all.map((c) => {
      const xs = walls[c.key];
      const wall = median(xs.map((x) => x.wall));
      return {
        key: c.key,
        name: c.name,
        wallS: wall,
        linesPerS: ds.truth.lines / wall,
        cpuS: median(xs.map((x) => x.cpu)),
        peakRssMb: Math.max(...xs.map((x) => x.rssMb)),
        xZcat: wall / zcat,
        samples: kept[c.key].samples,
        requests: kept[c.key].requests,
        walls: xs.map((x) => x.wall),
      };
    });
    const report = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, rounds, lines: ds.truth.lines, bytes: ds.truth.bytes, command: `npm run bench:replay -- ${process.argv.slice(2).join(' ')}`.trim(), results };
    const md = [
      `Run ${report.date}, node ${report.node}, ${report.cores} x ${report.cpu}, median of ${rounds} alternating rounds: \`${report.command}\``,
      '',
      `${ds.truth.lines.toLocaleString('en')} wrapped lines, ${(ds.truth.bytes / 1e6).toFixed(0)} MB inflated`,
      '',
      '| contender | median s | lines/s | CPU s | x zcat | peak RSS | samples pushed |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.map((r) => `| ${r.name.replace(/\|/g, '\\|')} | ${r.wallS.toFixed(2)} | ${Math.round(r.linesPerS).toLocaleString('en')} | ${r.cpuS.toFixed(2)} | ${r.xZcat.toFixed(2)} | ${Math.round(r.peakRssMb)} MB | ${r.samples ? `${r.samples.toLocaleString('en')} in ${r.requests} requests` : '-'} |`),
      '',
    ].join('\n');
    console.log(`\n${md}`);
    const stamp = report.date.replace(/[:.]/g, '-');
    writeFileSync(join(RESULTS, `replay-${stamp}.json`), JSON.stringify(report, null, 2));
    writeFileSync(join(RESULTS, 'replay-latest.json'), JSON.stringify(report, null, 2));
    writeFileSync(join(RESULTS, 'replay-latest.md'), md);
  } finally {
    await loopback.close();
    await prom?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
