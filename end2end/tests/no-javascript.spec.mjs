// Without JavaScript the server-rendered page still carries every key result
// and its sparkline; the interactive readout only exists after hydration.
import { test, expect } from '@playwright/test';
import { KEY_RESULT_TITLES, OBJECTIVES } from './seed.mjs';
import { MIKE, signInNoJs, texts } from './helpers.mjs';

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('all key results and their sparklines are server-rendered; no readout', async ({ page }) => {
    await signInNoJs(page, MIKE);
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);

    await expect(page.locator('h1')).toContainText('RunwayOKR');
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');

    await expect(page.getByTestId('objective')).toHaveCount(OBJECTIVES.length);
    const keyResults = page.getByTestId('key-result');
    await expect(keyResults).toHaveCount(KEY_RESULT_TITLES.length);
    expect((await texts(page.getByTestId('kr-title'))).sort()).toEqual([...KEY_RESULT_TITLES].sort());

    for (const keyResult of await keyResults.all()) {
      const title = (await keyResult.getByTestId('kr-title').textContent())?.trim();
      await expect(keyResult, title).toBeVisible();
      const sparkline = keyResult.locator('svg[data-testid="sparkline"]');
      await expect(sparkline, `sparkline of "${title}"`).toHaveCount(1);
      await expect(sparkline, `sparkline of "${title}"`).toBeVisible();
      await expect(sparkline.locator(':scope > title')).toHaveCount(1);
      expect(await sparkline.getByTestId('spark-point').count(), `spark points of "${title}"`).toBeGreaterThanOrEqual(2);
    }

    // Every list is open: folding needs JavaScript, so nothing starts folded.
    for (const list of await page.getByTestId('kr-list').all()) {
      await expect(list).toBeVisible();
    }

    // No readout text, not even when a point takes focus.
    const readoutText = async () => (await texts(page.getByTestId('spark-readout'))).join('');
    expect(await readoutText(), 'readout text before any interaction').toBe('');
    const point = page.getByTestId('spark-point').first();
    await point.focus();
    await point.hover();
    expect(await readoutText(), 'readout text after focusing a point without JavaScript').toBe('');
  });
});
