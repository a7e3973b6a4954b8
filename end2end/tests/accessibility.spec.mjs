// axe-core finds no serious or critical accessibility problem on the
// hydrated dashboard (signed in as Emily Davis, an admin, so every check-in
// disclosure is on the page), on the sign-in page, in light or dark mode,
// and on the admin's planning pages, the review, the access tokens page and
// the API reference, the import pages, and the notification and messages
// pages.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { EMILY, signIn, waitForHydration } from './helpers.mjs';

const BLOCKING = new Set(['serious', 'critical']);

function describe(violations) {
  return violations
    .map((violation) => {
      const targets = violation.nodes.map((node) => `    - ${node.target.join(' ')}: ${node.failureSummary?.split('\n').join(' ') ?? ''}`);
      return [`[${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})`, ...targets].join('\n');
    })
    .join('\n');
}

/** Runs axe on the current page and fails on serious or critical violations. */
async function expectNoBlockingViolations(page, testInfo, name) {
  const results = await new AxeBuilder({ page }).analyze();
  await testInfo.attach(`axe-results-${name}.json`, {
    body: JSON.stringify(results, null, 2),
    contentType: 'application/json',
  });

  if (results.violations.length > 0) {
    console.log(`axe (${name}) found ${results.violations.length} rule violation(s):\n${describe(results.violations)}`);
  }
  const blocking = results.violations.filter((violation) => BLOCKING.has(violation.impact));
  expect(blocking.map((violation) => violation.id), `serious/critical axe violations:\n${describe(blocking)}`).toEqual([]);
}

for (const colorScheme of ['light', 'dark']) {
  test(`axe: no serious or critical violations on / (${colorScheme})`, async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme });
    await signIn(page, EMILY);
    await page.goto('/');
    await waitForHydration(page);
    await expectNoBlockingViolations(page, testInfo, colorScheme);
  });

  test(`axe: no serious or critical violations on /sign-in (${colorScheme})`, async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme });
    await page.goto('/sign-in');
    await waitForHydration(page);
    await expectNoBlockingViolations(page, testInfo, `sign-in-${colorScheme}`);
  });
}

/** The pages an admin plans and reviews with, found from the dashboard's links. */
const ADMIN_PAGES = [
  ['quarters', async () => '/admin/quarters'],
  ['teams', async () => '/admin/teams'],
  ['people', async () => '/admin/people'],
  ['tokens', async () => '/settings/tokens'],
  ['import', async () => '/import'],
  ['import-history', async () => '/imports'],
  ['api-reference', async () => '/docs/api'],
  ['notifications', async () => '/settings/notifications'],
  ['messages', async () => '/admin/messages'],
  ['review', async () => '/quarters/2025-Q1/review'],
  ['roll-over', async () => '/quarters/2025-Q1/roll-over'],
  ['new-objective', async () => '/objectives/new?quarter=2025-Q1'],
  ['edit-objective', async (page) => page.getByRole('link', { name: 'Edit', exact: true }).first().getAttribute('href')],
  ['new-key-result', async (page) => page.getByRole('link', { name: 'Add key result', exact: true }).first().getAttribute('href')],
  [
    'edit-key-result',
    async (page) => `${await page.locator('.kr-title').first().getAttribute('href')}/edit`,
  ],
];

for (const [name, pathOf] of ADMIN_PAGES) {
  test(`axe: no serious or critical violations on the ${name} page`, async ({ page }, testInfo) => {
    await signIn(page, EMILY);
    await page.goto('/?quarter=2025-Q1');
    const path = await pathOf(page);
    const response = await page.goto(path);
    expect(response?.status(), `GET ${path}`).toBe(200);
    await waitForHydration(page);
    await expectNoBlockingViolations(page, testInfo, name);
  });
}
