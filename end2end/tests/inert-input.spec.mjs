// Script and SQL typed into text fields are stored as typed and shown as
// text: no dialog opens, and the page still works. Invitations are used, so
// no key result another file checks is touched; each run uses fresh emails.
import { test, expect } from '@playwright/test';
import { EMILY, signIn, waitForHydration } from './helpers.mjs';

const SCRIPT = '<script>alert(1)</script>';
const IMAGE = '<img src=x onerror=alert(2)>';
const SQL = "'; drop table check_in; --";

test('names holding script or SQL are stored literally and render inert', async ({ page }) => {
  const dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await signIn(page, EMILY);
  await page.goto('/admin/people');
  await waitForHydration(page);

  const run = Date.now();
  for (const [index, name] of [SCRIPT, IMAGE, SQL].entries()) {
    const form = page.getByTestId('invite-form');
    await form.locator('input[name="name"]').fill(name);
    await form.locator('input[name="email"]').fill(`inert-${run}-${index}@airline.com`);
    await form.getByTestId('invite-submit').click();
    // The form posts and comes back; the banner holding the new link names
    // the person it is for.
    const banner = page.locator('[role="status"]', { has: page.getByTestId('issued-link') });
    await expect(banner).toContainText(`inert-${run}-${index}@airline.com`);
  }

  // Rendered by the server this time, then hydrated.
  await page.reload();
  await waitForHydration(page);
  const rows = page.getByTestId('person-row');
  for (const name of [SCRIPT, IMAGE, SQL]) {
    await expect(rows.filter({ hasText: name }).first(), `${name} is shown as text`).toBeVisible();
  }
  // The SQL did nothing: check-ins are still there on the dashboard.
  await page.goto('/');
  await expect(page.locator('.key-result').first()).toBeVisible();
  expect(dialogs, 'no script ran').toEqual([]);
});
