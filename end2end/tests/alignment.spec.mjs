// Alignment in the browser: a lead unaligns her team's objective and aligns
// it to another company objective from its edit page, and the tree page
// shows it moving, with JavaScript and without; the tree page passes axe in
// light and dark mode. Each test puts the demo's alignment back as it was.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { EMILY, LISA, signIn, signInNoJs, waitForHydration } from './helpers.mjs';

const APAC = 'Expand Corporate Sales in APAC';
const HOME = 'Make APAC our second home market';
const SHARE = 'Grow direct revenue share to 55%';
const TREE = '/quarters/2025-Q1/alignment';

/** The APAC objective's edit page, from the dashboard's Edit link. */
async function openEditor(page) {
  await page.goto('/?quarter=2025-Q1');
  const article = page.locator('article.objective', { has: page.getByRole('heading', { name: APAC }) });
  await article.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Supports' })).toBeVisible();
}

/** Picks `label` in the Supports list and saves; lands on the tree. */
async function saveAlignment(page, label) {
  await page.locator('#objective-parent').selectOption({ label });
  await page.getByTestId('save-alignment').click();
  await page.waitForURL((url) => url.pathname === TREE, { timeout: 15_000 });
}

/** The tree's node of objective `title`: its list item. */
function node(page, title) {
  return page.locator('li.tree-objective', { has: page.locator('.tree-title', { hasText: title }) }).first();
}

/** The section of the tree page headed `heading`. */
function section(page, heading) {
  return page.locator('section', { has: page.getByRole('heading', { name: heading, exact: true }) });
}

async function alignmentFlow(page, { javaScript }) {
  const ready = javaScript ? waitForHydration : async () => {};
  // Supporting the APAC company objective, as the demo has it.
  await page.goto(TREE);
  await ready(page);
  await expect(node(page, HOME).locator('.tree-title', { hasText: APAC })).toHaveCount(1);

  // Unaligned: listed apart.
  await openEditor(page);
  await ready(page);
  await saveAlignment(page, 'Nothing (not aligned)');
  await expect(section(page, 'Not aligned').locator('.tree-title', { hasText: APAC })).toHaveCount(1);
  await expect(node(page, HOME).locator('.tree-title', { hasText: APAC })).toHaveCount(0);
  await expect(node(page, HOME).locator('.figure').first()).toHaveText('—');

  // Aligned to the other company objective: under it on the tree.
  await openEditor(page);
  await ready(page);
  await saveAlignment(page, `The objective: ${SHARE}`);
  await expect(node(page, SHARE).locator('.tree-title', { hasText: APAC })).toHaveCount(1);
  await expect(section(page, 'Not aligned').locator('.tree-title', { hasText: APAC })).toHaveCount(0);
  await expect(page.getByText('Every team objective supports something.')).toBeVisible();

  // The dashboard says what it supports, linking to the tree.
  await page.goto('/?quarter=2025-Q1');
  const article = page.locator('article.objective', { has: page.getByRole('heading', { name: APAC }) });
  await expect(article.locator('.objective-alignment')).toContainText(`Supports: Company · ${SHARE}`);

  // Back as the demo has it.
  await openEditor(page);
  await ready(page);
  await saveAlignment(page, `The objective: ${HOME}`);
  await expect(node(page, HOME).locator('.tree-title', { hasText: APAC })).toHaveCount(1);
}

test('a lead aligns her objective and the tree follows', async ({ page }) => {
  await signIn(page, LISA);
  await alignmentFlow(page, { javaScript: true });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a lead aligns her objective with plain forms and the tree follows', async ({ page }) => {
    await signInNoJs(page, LISA);
    await alignmentFlow(page, { javaScript: false });
  });

  test('a refusal names the Supports field and keeps the alignment', async ({ page }) => {
    await signInNoJs(page, EMILY);
    // The company objective under one of its own supporters: a cycle. The
    // picker leaves those out, so the option is added as a crafted form
    // would send it.
    await page.goto('/?quarter=2025-Q1');
    const company = page.locator('article.objective', { has: page.getByRole('heading', { name: HOME }) });
    const apacArticle = page.locator('article.objective', { has: page.getByRole('heading', { name: APAC }) });
    const id = (await apacArticle.getAttribute('id')).replace('objective-', '');
    await company.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.locator('#objective-parent').evaluate((select, value) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = 'crafted';
      select.append(option);
      select.value = value;
    }, `objective:${id}`);
    await page.getByTestId('save-alignment').click();
    await expect(page.getByText(/would make a cycle/)).toBeVisible();
    await page.goto(TREE);
    await expect(node(page, HOME).locator('.tree-title', { hasText: APAC })).toHaveCount(1);
  });
});

for (const colorScheme of ['light', 'dark']) {
  test(`axe: no serious or critical violations on the alignment tree (${colorScheme})`, async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme });
    await signIn(page, EMILY);
    const response = await page.goto(TREE);
    expect(response?.status()).toBe(200);
    await waitForHydration(page);
    const results = await new AxeBuilder({ page }).analyze();
    await testInfo.attach(`axe-alignment-${colorScheme}.json`, {
      body: JSON.stringify(results, null, 2),
      contentType: 'application/json',
    });
    const blocking = results.violations.filter((violation) => ['serious', 'critical'].includes(violation.impact));
    expect(blocking.map((violation) => `${violation.id}: ${violation.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  });
}
