// Without JavaScript the server-rendered page still carries every key result
// and its sparkline, the objectives fold (native disclosures), and "Record
// check-in" leads to the key result page's form.
import { test, expect } from '@playwright/test';
import { KEY_RESULT_TITLES, OBJECTIVES } from './seed.mjs';
import { MIKE, signInNoJs, sparkCount, texts } from './helpers.mjs';

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('all key results and their sparklines are server-rendered; objectives fold', async ({ page }) => {
    await signInNoJs(page, MIKE);
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);

    await expect(page.locator('h1')).toContainText('RunwayOKR');
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');

    await expect(page.locator('.objective')).toHaveCount(OBJECTIVES.length);
    const keyResults = page.locator('.key-result');
    await expect(keyResults).toHaveCount(KEY_RESULT_TITLES.length);
    expect((await texts(page.locator('.kr-title'))).sort()).toEqual([...KEY_RESULT_TITLES].sort());

    for (const keyResult of await keyResults.all()) {
      const title = (await keyResult.locator('.kr-title').textContent())?.trim();
      await expect(keyResult, title).toBeVisible();
      const sparkline = keyResult.locator('svg.sparkline');
      await expect(sparkline, `sparkline of "${title}"`).toHaveCount(1);
      await expect(sparkline, `sparkline of "${title}"`).toBeVisible();
      await expect(sparkline.locator(':scope > title')).toHaveCount(1);
      expect(await sparkCount(keyResult), `check-ins on the sparkline of "${title}"`).toBeGreaterThanOrEqual(2);
    }

    // Every list is open, and folds without JavaScript too.
    for (const list of await page.locator('ul.key-results').all()) {
      await expect(list).toBeVisible();
    }
    // (The company's objectives have no key results, hence no list.)
    const withList = page.locator('.objective').filter({ has: page.locator('details.objective-krs') });
    const first = withList.first();
    await first.locator('details.objective-krs > summary').click();
    await expect(first.locator('ul.key-results')).toBeHidden();
    await expect(withList.nth(1).locator('ul.key-results')).toBeVisible();

    // Mike's "Record check-in" links lead to the key result page's form.
    const links = page.locator('.check-in-link');
    expect(await links.count()).toBeGreaterThan(0);
    const href = await links.first().getAttribute('href');
    expect(href).toMatch(/^\/kr\/[0-9a-f-]{36}#check-in$/);
  });
});
