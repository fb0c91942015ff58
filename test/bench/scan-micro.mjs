// Micro-benchmark of the fast extractor alone (not part of `npm run bench`): scans a generated dataset in
// memory, 1 MiB chunks as the reader reads them, and reports ns per line and per byte (median of rounds).
//   MODE=js|copy|inplace node test/bench/scan-micro.mjs [file] [rounds]   (after a build)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dist = process.env.DIST ?? join(ROOT, 'dist');
const scanMod = await import(join(dist, 'extract/scan.js'));
const { FastExtractor } = scanMod;
// MODE=js: the JS scan only; MODE=copy: the module on lines copied into it; default: lines read into its buffer.
const mode = process.env.MODE ?? 'inplace';
const { DEFAULT_PATHS } = await import(join(dist, 'extract/paths.js'));
const { newLineResult } = await import(join(dist, 'extract/result.js'));
const file = process.argv[2] || join(ROOT, 'test/bench/results/data/wrapped-1000000.ndjson');
const rounds = Number(process.argv[3] ?? 7);
const all = readFileSync(file);
const CHUNK = 1 << 20;
// Chunks ending at a newline; each is copied into the read buffer before its lines are scanned (as readSync
// fills it), in the timed loop.
const chunks = [];
for (let p = 0; p < all.length; ) {
  let e = Math.min(p + CHUNK, all.length);
  if (e < all.length) e = all.lastIndexOf(0x0a, e - 1) + 1;
  chunks.push(all.subarray(p, e));
  p = e;
}
const readBuf = mode === 'inplace' && scanMod.scanReadBuffer ? scanMod.scanReadBuffer(CHUNK) : Buffer.allocUnsafe(CHUNK);
const ex = new FastExtractor(DEFAULT_PATHS, 1 << 20, { wasm: mode !== 'js' });
const r = newLineResult();
let lines = 0;
const counts = [0, 0, 0, 0, 0];
const times = [];
for (let round = 0; round < rounds; round++) {
  lines = 0;
  counts.fill(0);
  const t0 = process.hrtime.bigint();
  for (const chunk of chunks) {
    chunk.copy(readBuf);
    const c = readBuf.subarray(0, chunk.length);
    let pos = 0;
    for (;;) {
      const nl = c.indexOf(0x0a, pos);
      if (nl < 0) break;
      ex.extract(c, pos, nl, r);
      counts[r.outcome]++;
      lines++;
      pos = nl + 1;
    }
  }
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const med = times[times.length >> 1];
console.log(`${mode} ${file.split('/').pop()}: ${lines} lines, median ${med.toFixed(0)} ms (${((med * 1e6) / lines).toFixed(0)} ns/line, ${((med * 1e6) / all.length).toFixed(2)} ns/B), min ${times[0].toFixed(0)} ms; outcomes ${counts.join(',')}`);
