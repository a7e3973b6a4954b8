// Only the islands hydrate: the page loads without browser errors and carries
// no serialized data; the key result chart's points explain themselves.
import { test, expect } from '@playwright/test';
import { EMILY, MIKE, collectBrowserErrors, signIn, waitForHydration } from './helpers.mjs';
import { OBJECTIVES } from './seed.mjs';

test.describe('the Content-Security-Policy', () => {
  test('is on every page, and no page breaks it while it loads and hydrates', async ({ page }) => {
    await signIn(page, EMILY);
    // Violations are reported to the page as events; keep them.
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI}`);
      });
    });
    const errors = collectBrowserErrors(page);
    await page.goto('/');
    const href = await page.locator('.kr-title').first().getAttribute('href');
    for (const path of ['/', href, '/settings/tokens', '/admin/people', '/admin/quarters', '/import', '/docs/api']) {
      const response = await page.goto(path);
      expect(response?.status(), `GET ${path}`).toBe(200);
      const policy = response.headers()['content-security-policy'] ?? '';
      expect(policy, `${path}: the policy`).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(policy, `${path}: no inline script allowed`).not.toContain('unsafe-inline');
      await waitForHydration(page);
      await page.waitForTimeout(200);
      const violations = await page.evaluate(() => window.__cspViolations);
      expect(violations, `${path}: policy violations`).toEqual([]);
    }
    expect(errors, 'page errors and console errors (a blocked script is one)').toEqual([]);
  });
});

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

  test('only islands ship: the page carries no hydration data for the dashboard', async ({ page }) => {
    const response = await page.goto('/');
    const html = await response.text();
    await waitForHydration(page);
    // The check-in dialog and the hydration mark are the islands of the page.
    expect(html).toContain('<leptos-island');
    // Nothing of the dashboard's data is serialized for hydration: the title
    // of a key result Mike cannot check in on appears once, in its row.
    const [title] = OBJECTIVES.filter((objective) => objective.team === 'Corporate Sales').flatMap(
      (objective) => objective.keyResults,
    );
    const escaped = title.replace(/&/g, '&amp;');
    expect(html.split(escaped).length - 1, `occurrences of "${title}" in the page`).toBe(1);
    expect(html, 'no per-point markup on the dashboard').not.toContain('spark-point');
  });

  test('focusing or hovering a point of the key result chart reads out its date and value', async ({ page }) => {
    await page.goto('/');
    const href = await page.locator('.kr-title').first().getAttribute('href');
    await page.goto(href);
    await waitForHydration(page);

    const points = page.getByTestId('trend-point');
    const readout = page.getByTestId('chart-readout');
    expect(await points.count(), 'points on the chart').toBeGreaterThanOrEqual(2);
    await expect(readout).toHaveText('');

    const first = points.first();
    const firstText = await first.getAttribute('data-readout');
    expect(firstText, 'a point names its date and value').toMatch(/^[A-Z][a-z]{2} \d{1,2}, 2025: \S+/);
    await first.focus();
    await expect(first).toBeFocused();
    await expect(readout).toHaveText(firstText);

    // Hovering another point moves the readout to that point.
    const last = points.last();
    const lastText = await last.getAttribute('data-readout');
    expect(lastText).not.toBe(firstText);
    await last.hover();
    await expect(readout).toHaveText(lastText);

    // Tab moves focus along the points.
    await first.focus();
    await page.keyboard.press('Tab');
    await expect(points.nth(1)).toBeFocused();
    await expect(readout).toHaveText(await points.nth(1).getAttribute('data-readout'));
  });
});
