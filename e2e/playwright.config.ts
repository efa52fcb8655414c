// Our end-to-end suite for the original frontend (both generations), run by ./run, which
// starts the backend and passes where everything is in E2E_* variables.
import { defineConfig } from '@playwright/test';

const out = process.env.E2E_OUT ?? 'out/manual';

export default defineConfig({
  testDir: './specs',
  outputDir: `${out}/results`,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // One browser at a time: the machine has 2 cores shared with other work.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['junit', { outputFile: `${out}/junit.xml` }]],
  use: {
    baseURL: process.env.E2E_FRONTEND_URL,
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    launchOptions: {
      // Playwright's own browser builds cannot be downloaded here: Debian's Chromium.
      executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  projects: [
    // Specs named *.phase5.spec.ts need the phase V UI; *.first.spec.ts the first one.
    { name: '66266cb', testIgnore: /\.phase5\.spec\.ts$/ },
    { name: '29bdc70', testIgnore: /\.first\.spec\.ts$/ },
  ],
});
