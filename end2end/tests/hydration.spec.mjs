// After hydration the page is interactive: objectives fold, spark points
// explain themselves.
import { test, expect } from '@playwright/test';
import { MIKE, collectBrowserErrors, readoutDate, signIn, waitForHydration } from './helpers.mjs';

test.describe('hydrated dashboard', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, MIKE);
  });

  test('hydrates without errors in the browser', async ({ page }) => {
    // Signed in already; a fresh load of the dashboard from here on.
    const errors = collectBrowserErrors(page);
    await page.goto('/');
    await waitForHydration(page);
    // Give late panics / hydration warnings a moment to surface.
    await page.waitForTimeout(500);
    expect(errors, 'page errors and console errors during load and hydration').toEqual([]);
  });

  test('the objective toggle hides and shows its key result list', async ({ page }) => {
    await page.goto('/');
    await waitForHydration(page);

    const objective = page.getByTestId('objective').first();
    const toggle = objective.getByTestId('objective-toggle');
    const listId = await toggle.getAttribute('aria-controls');
    expect(listId, 'aria-controls of the first objective toggle').toBeTruthy();
    const list = page.locator(`[id="${listId}"]`);
    await expect(list).toHaveAttribute('data-testid', 'kr-list');

    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await expect(list).toBeVisible();
    await expect(list).not.toHaveAttribute('hidden');

    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(list).toHaveAttribute('hidden');
    await expect(list).toBeHidden();
    // Only this objective folded.
    const others = page.getByTestId('objective').nth(1).getByTestId('kr-list');
    await expect(others).toBeVisible();

    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await expect(list).not.toHaveAttribute('hidden');
    await expect(list).toBeVisible();

    // The toggle is a real button: the keyboard works too.
    await toggle.focus();
    await page.keyboard.press('Enter');
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(list).toBeHidden();
    await page.keyboard.press('Space');
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await expect(list).toBeVisible();
  });

  test('focusing or hovering a spark point shows its date in the readout', async ({ page }) => {
    await page.goto('/');
    await waitForHydration(page);

    const keyResult = page.getByTestId('key-result').first();
    const points = keyResult.getByTestId('spark-point');
    const readout = keyResult.getByTestId('spark-readout');

    const first = points.first();
    const firstDate = await first.getAttribute('data-date');
    await first.focus();
    await expect(first).toBeFocused();
    await expect(readout).toBeVisible();
    await expect(readout).toContainText(readoutDate(firstDate));

    // Hovering another point (nothing focused) moves the readout to that point.
    const last = points.last();
    const lastDate = await last.getAttribute('data-date');
    expect(lastDate, 'the last point has another date than the first').not.toBe(firstDate);
    await first.blur();
    await last.hover();
    await expect(readout).toContainText(readoutDate(lastDate));

    // Tab moves focus along the points of a sparkline.
    await first.focus();
    await page.keyboard.press('Tab');
    await expect(points.nth(1)).toBeFocused();
    await expect(readout).toContainText(readoutDate(await points.nth(1).getAttribute('data-date')));
  });
});
