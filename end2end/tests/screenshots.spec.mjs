// Full-page screenshots for review: the dashboard (signed in as Emily Davis,
// an admin, so every key result shows its check-in disclosure) in light,
// dark and on a 390px-wide phone, and the sign-in page. Saved in
// end2end/artifacts/ and attached to the report.
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { ARTIFACTS_DIR, EMILY, signIn, waitForHydration } from './helpers.mjs';

async function shoot(page, testInfo, name) {
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

test.describe('screenshots', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, EMILY);
  });

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

test.describe('screenshots signed out', () => {
  test('sign-in page, light and at 390px wide', async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto('/sign-in');
    await waitForHydration(page);
    await shoot(page, testInfo, 'sign-in-light');

    await page.setViewportSize({ width: 390, height: 844 });
    await shoot(page, testInfo, 'sign-in-mobile');
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth, 'sign-in page width at a 390px viewport').toBeLessThanOrEqual(390);
  });
});
