// What the dimensions cost a line (not part of `npm run bench`): the reader's loop in memory (scan, resolve
// the values the module does not know, count), 1 MiB chunks as the reader reads them, with no dimension, the
// three defaults, and each default alone; best of 9 runs each, in ms for the whole file.
//   node test/bench/dims-cost.mjs [file]   (after a build; default: the bench's 1M-line gateway log)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dist = process.env.DIST ?? join(ROOT, 'dist');
const { Tally } = await import(join(dist, 'aggregate/tally.js'));
const { CodeTable } = await import(join(dist, 'codes/table.js'));
const { fieldPaths } = await import(join(dist, 'extract/paths.js'));
const { newLineResult, OK } = await import(join(dist, 'extract/result.js'));
const { DIM_KEY_IDS, DIM_KEY_ROUTE, FastExtractor, LINE_DECIDED, scanReadBuffer } = await import(join(dist, 'extract/scan.js'));
const { DEFAULT_DIMENSIONS } = await import(join(dist, 'labels/dimensions.js'));
const { LabelResolver } = await import(join(dist, 'labels/resolver.js'));

const file = process.argv[2] || join(ROOT, 'test/bench/results/data/gateway-1000000.ndjson');
const data = readFileSync(file);
const CHUNK = 1 << 20;
const buf = scanReadBuffer(CHUNK);
const table = CodeTable.builtin();

function run(specs, count) {
  const n = specs.length;
  const paths = fieldPaths(undefined, undefined, undefined, specs.map((d) => d.paths));
  const keys = specs.map((d) => (d.kind === 'route' ? DIM_KEY_ROUTE | DIM_KEY_IDS : 0));
  const fast = new FastExtractor(paths, CHUNK, { dimensionKeys: keys });
  const resolver = new LabelResolver(specs, { maxValues: 100, routePatterns: [] });
  const tally = new Tally(table, 100, undefined, { count: n, labels: 102, maxSeries: 2000, takeValues: () => resolver.takeAdded() });
  const r = newLineResult(n);
  let now = Date.now();
  const t0 = performance.now();
  for (let at = 0; at < data.length; ) {
    const end = data.lastIndexOf(10, Math.min(at + CHUNK - 64, data.length - 1));
    const size = end + 1 - at;
    data.copy(buf, 0, at, end + 1);
    const b = buf.subarray(0, size);
    for (let pos = 0; ; ) {
      const k = fast.scanLines(b, pos, size, CHUNK);
      for (let j = 0; j < k; j++) {
        if (fast.lineType(j) === LINE_DECIDED) fast.decided(j, r);
        else fast.extract(b, fast.lineStart(j), fast.lineEnd(j), r);
        if (n > 0 && r.outcome === OK) {
          for (let d = 0; d < n; d++) {
            if (r.labels[d] >= 0) continue;
            const label = resolver.fromBytes(d, r.dimKind[d], b, r.dimStart[d], r.dimEnd[d]);
            r.labels[d] = label;
            if (resolver.final(d, label)) fast.remember(d, r.dimKind[d], b, r.dimStart[d], r.dimEnd[d], label);
          }
        }
        if (count) tally.count(r, now);
      }
      pos = fast.linesNext;
      if (!fast.linesFull) break;
    }
    at = end + 1;
    now = Date.now();
    tally.flush();
  }
  return performance.now() - t0;
}

const best = (f) => Math.round(Math.min(...Array.from({ length: 9 }, f)));
const lines = data.reduce((c, b) => c + (b === 10 ? 1 : 0), 0);
const row = (name, specs) => {
  const scan = best(() => run(specs, false));
  const all = best(() => run(specs, true));
  console.log(`${name.padEnd(20)} scan ${String(scan).padStart(5)} ms   scan and count ${String(all).padStart(5)} ms   ${((all * 1e6) / lines).toFixed(0)} ns a line`);
};
console.log(`${file}: ${lines.toLocaleString('en-US')} lines`);
row('no dimension', []);
row('route, app, method', DEFAULT_DIMENSIONS);
for (const d of DEFAULT_DIMENSIONS) row(`${d.name} alone`, [d]);
