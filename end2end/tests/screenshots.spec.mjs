// Full-page screenshots of the dashboard for review: light, dark and a
// 390px-wide phone. Saved in end2end/artifacts/ and attached to the report.
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { ARTIFACTS_DIR, waitForHydration } from './helpers.mjs';

async function shoot(page, testInfo, name) {
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

test.describe('screenshots', () => {
  test('dashboard in light mode', async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto('/');
    await waitForHydration(page);
    await shoot(page, testInfo, 'dashboard-light');
  });

  test('dashboard in dark mode', async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/');
    await waitForHydration(page);
    await shoot(page, testInfo, 'dashboard-dark');
  });

  test('dashboard at 390px wide (mobile)', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/');
    await waitForHydration(page);
    await shoot(page, testInfo, 'dashboard-mobile');

    // Nothing forces the phone to scroll sideways.
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth, 'page width at a 390px viewport').toBeLessThanOrEqual(390);
  });
});
