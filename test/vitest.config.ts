import { defineConfig } from 'vitest/config';

// Tests import the compiled modules from dist/ and spawn dist/cli.js, so one c8 run (see package.json)
// measures coverage of src/ across the test process and every CLI process the tests start.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
