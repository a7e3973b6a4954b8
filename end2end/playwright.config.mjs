// Browser tests for RunwayOKR. The server is started by someone else; point
// the suite at it with BASE_URL (default http://127.0.0.1:3000):
//
//   cd end2end && npm ci && BASE_URL=http://127.0.0.1:3000 npm test
//
// No browser is downloaded: the suite drives the system Chromium
// (/usr/bin/chromium, Debian's `chromium` package; override with
// CHROMIUM_PATH). Install with PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1.
import { defineConfig } from '@playwright/test';

const BASE_URL = process.env.BASE_URL || 'http://127.0.0.1:3000';
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.mjs',
  testMatch: '**/*.spec.mjs',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  retries: 0,
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  reporter: [
    ['list'],
    ['html', { outputFolder: 'artifacts/html-report', open: 'never' }],
  ],
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
