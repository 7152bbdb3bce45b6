import { defineConfig } from 'vitest/config';

// One test command for the whole tree: unit tests, integration tests (real servers, real git,
// real processes) and the browser end-to-end tests under client/e2e. The e2e project builds the
// PWA first (globalSetup), so a filter that selects no e2e file never builds it.
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // Servers and Vibers started by tests stop when their stdin closes, i.e. when the test process
    // dies, even by SIGKILL: nothing outlives a crashed or timed-out test file.
    env: {
      OPENVIBER_EXIT_WITH_STDIN: '1',
      // Tests commit to their own temp repos; a fresh machine has no git identity configured.
      GIT_AUTHOR_NAME: 'OpenViber Tests',
      GIT_AUTHOR_EMAIL: 'tests@openviber.invalid',
      GIT_COMMITTER_NAME: 'OpenViber Tests',
      GIT_COMMITTER_EMAIL: 'tests@openviber.invalid',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['{shared,sync-server,daemon,bench}/**/*.test.ts', 'client/src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['client/e2e/**/*.test.ts'], globalSetup: ['client/e2e/build-app.ts'] },
      },
    ],
  },
});
