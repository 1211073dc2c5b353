import { defineConfig } from 'vitest/config';

// GQ_TEST_REPORT=path adds a JSON report beside the console output (CI reads its failures).
const report = process.env.GQ_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    ...(report === undefined || report === ''
      ? {}
      : { reporters: ['default', 'json'], outputFile: { json: report } }),
  },
  resolve: { conditions: ['@gopherqueue/source'] },
  ssr: { resolve: { conditions: ['@gopherqueue/source'] } },
});
