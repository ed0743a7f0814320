// Browser end-to-end tests (docs/lab.md, "Quality bars"): Playwright drives Debian's Chromium (Playwright never
// downloads a browser here) against `postcard-lab serve --port 0`, which each spec starts itself.
import os from 'node:os';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: './test-results/e2e',
  globalSetup: './test/e2e/global-setup.ts',
  fullyParallel: false,
  // Two spec files at a time where there are two cores (each starts its own `serve`, so they share
  // nothing): 4.3 min instead of 5.6 here, which keeps `npm test` under ten minutes. Tests within a
  // file run in order.
  workers: Math.max(1, Math.min(2, os.availableParallelism())),
  retries: 0,
  reporter: [['list']],
  timeout: 60_000,
  // A lab takes a second or two to start, more on a machine busy with other work, and the status
  // says "Lab running" only once it has (docs/ui.md): assertions wait up to 15 s, not 5.
  expect: { timeout: 15_000 },
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 960 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
