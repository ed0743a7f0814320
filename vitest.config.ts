import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single one on CI's two. Most files
    // wait on sockets, child processes and real-time waits more than they compute, so two workers
    // finish the suite in about 60 % of the time (docs/decisions.md, "Tests").
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    reporters: ['default'],
  },
});
