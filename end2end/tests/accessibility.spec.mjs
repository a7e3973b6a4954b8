// axe-core finds no serious or critical accessibility problem on the
// hydrated dashboard, in light or in dark mode.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { waitForHydration } from './helpers.mjs';

const BLOCKING = new Set(['serious', 'critical']);

function describe(violations) {
  return violations
    .map((violation) => {
      const targets = violation.nodes.map((node) => `    - ${node.target.join(' ')}: ${node.failureSummary?.split('\n').join(' ') ?? ''}`);
      return [`[${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})`, ...targets].join('\n');
    })
    .join('\n');
}

for (const colorScheme of ['light', 'dark']) {
  test(`axe: no serious or critical violations on / (${colorScheme})`, async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme });
    await page.goto('/');
    await waitForHydration(page);

    const results = await new AxeBuilder({ page }).analyze();
    await testInfo.attach(`axe-results-${colorScheme}.json`, {
      body: JSON.stringify(results, null, 2),
      contentType: 'application/json',
    });

    if (results.violations.length > 0) {
      console.log(`axe (${colorScheme}) found ${results.violations.length} rule violation(s):\n${describe(results.violations)}`);
    }
    const blocking = results.violations.filter((violation) => BLOCKING.has(violation.impact));
    expect(blocking.map((violation) => violation.id), `serious/critical axe violations:\n${describe(blocking)}`).toEqual([]);
  });
}
