// One timed run for the benchmarks (bench.mjs, replay.mjs): `argv` under /usr/bin/time for its CPU time and
// peak RSS, with stdin piped from `cat` of `pipeFrom` (one file or several) when it is set; wall time from the
// start of cat to the consumer's exit. A non-zero exit rejects with the end of its stderr.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function timed(argv, { dir, pipeFrom, stdout = 'pipe' }) {
  return new Promise((resolve, reject) => {
    const timeFile = join(dir, `time-${process.pid}.txt`);
    const devnull = stdout === 'null' ? openSync('/dev/null', 'w') : null;
    const t0 = performance.now();
    const cat = pipeFrom ? spawn('cat', [pipeFrom].flat(), { stdio: ['ignore', 'pipe', 'inherit'] }) : null;
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, ...argv], {
      stdio: [cat ? cat.stdout : 'ignore', devnull ?? 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      if (devnull !== null) closeSync(devnull);
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-500)}`));
      const [, user, sys, maxKb] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
      rmSync(timeFile, { force: true });
      resolve({ wall, cpu: user + sys, rssMb: maxKb / 1024, out, err });
    });
  });
}

export function check(name, ok, detail) {
  if (!ok) throw new Error(`${name}: wrong result (${detail})`);
}
