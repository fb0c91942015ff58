import { defineConfig } from 'vitest/config';

// Tests import the compiled modules from dist/ and spawn dist/cli.js, so one c8 run (see package.json)
// measures coverage of src/ across the test process and every CLI process the tests start.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'threads',
    fileParallelism: true,
    maxWorkers: 2,
    // dist/ is loaded by Node itself, not transformed by Vite, so c8 attributes its coverage to the files.
    server: { deps: { external: [/\/dist\//] } },
  },
});
