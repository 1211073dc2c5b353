import { defineConfig } from 'vitest/config';

// GQ_TEST_REPORT=path adds a JSON report beside the console output (CI reads its failures).
const report = process.env.GQ_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // Bounds on a test's whole run, sized for a loaded machine: a `gq` child process compiles its
    // TypeScript sources at start, which took over 20 s at a load of 60 on 2 cores.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    ...(report === undefined || report === ''
      ? {}
      : { reporters: ['default', 'json'], outputFile: { json: report } }),
  },
  resolve: { conditions: ['@gopherqueue/source'] },
  ssr: { resolve: { conditions: ['@gopherqueue/source'] } },
});
