import { defineConfig } from 'vitest/config';

// One test command for the whole tree: unit tests, integration tests (real servers, real git,
// real processes) and the browser end-to-end tests under client/e2e.
export default defineConfig({
  test: {
    include: ['{shared,sync-server,daemon,client}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
