// The whole OKR cycle in the browser, as issue 8 asks: an admin creates a
// quarter, a lead plans an objective with two key results, a member checks
// in on one, the lead rolls the quarter over (twice: nothing is copied the
// second time), and the quarterly review is read, annotated and printed,
// in light and dark. Plus a team made without JavaScript.
//
// Files share one database: everything here happens in quarters 2024-Q3 and
// 2024-Q4, older than the demo's 2025-Q1, so the dashboard other files look
// at (the latest quarter) stays the demo's.
import path from 'node:path';
import { test, expect } from '@playwright/test';
import {
  ARTIFACTS_DIR,
  EMILY,
  MIKE,
  SARAH,
  exactly,
  keyResultNamed,
  signIn,
  signInNoJs,
  expectSparkCount,
  openCheckInDialog,
  waitForHydration,
  ROW,
} from './helpers.mjs';

const QUARTER = '2024-Q3';
const NEXT_QUARTER = '2024-Q4';
const OBJECTIVE = 'Win back leisure travellers';
const REPEAT_BOOKINGS = 'Grow repeat bookings from 1,000 to 1,500 a month';
const REFUNDS = 'Cut refund requests from 8% to 5%';

function objectiveNamed(page, title) {
  return page
    .locator('.objective')
    .filter({ has: page.locator('.objective-title').filter({ hasText: exactly(title) }) });
}

async function shoot(page, testInfo, name) {
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/** Fills and saves the key result form of the current page. */
async function saveKeyResult(page, { title, unit, start, target }) {
  const form = page.getByTestId('key-result-form');
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Unit').selectOption(unit);
  await form.getByLabel('Start value').fill(start);
  await form.getByLabel('Target value').fill(target);
  await page.getByTestId('save-key-result').click();
}

test.describe.serial('planning a quarter, running it, reviewing it and rolling it over', () => {
  test('an admin creates the quarter', async ({ page }) => {
    await signIn(page, EMILY);
    await page.getByRole('link', { name: 'Quarters', exact: true }).click();
    await waitForHydration(page);
    const form = page.getByTestId('new-quarter-form');
    // The suggestion is the calendar quarter after the latest one.
    await expect(form.getByLabel('Label')).toHaveValue('2025-Q2');

    // Dates that overlap the demo quarter are refused, naming the field.
    await form.getByLabel('Label').fill(QUARTER);
    await form.getByLabel('First day').fill('2024-07-01');
    await form.getByLabel('Last day').fill('2025-01-15');
    await page.getByTestId('create-quarter').click();
    await expect(form.getByText(/start_at: overlaps 2025-Q1/)).toBeVisible();
    await expect(page.getByTestId('quarter-row').filter({ hasText: QUARTER })).toHaveCount(0);

    // The form came back with the error; fill it in again.
    await form.getByLabel('Label').fill(QUARTER);
    await form.getByLabel('First day').fill('2024-07-01');
    await form.getByLabel('Last day').fill('2024-09-30');
    await page.getByTestId('create-quarter').click();
    const row = page.getByTestId('quarter-row').filter({ hasText: QUARTER });
    await expect(row.getByTestId('quarter-status')).toHaveText('Open');
  });

  test('a lead plans an objective with two key results', async ({ page }) => {
    await signIn(page, SARAH);
    await page.goto(`/?quarter=${QUARTER}`);
    await expect(page.locator('p.empty')).toHaveText('No objectives in this quarter yet.');
    await page.getByRole('link', { name: 'New objective', exact: true }).click();
    await waitForHydration(page);
    const form = page.getByTestId('objective-form');
    await expect(form.getByLabel('Quarter').locator('option:checked')).toHaveText(QUARTER);
    await expect(form.getByLabel('Team').locator('option')).toHaveText(['Direct Channel Sales']);
    await form.getByLabel('Title').fill(OBJECTIVE);
    await page.getByTestId('save-objective').click();
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('quarter') === QUARTER);
    const objective = objectiveNamed(page, OBJECTIVE);
    await expect(objective).toHaveCount(1);

    await objective.getByRole('link', { name: 'Add key result', exact: true }).click();
    await waitForHydration(page);
    // Start = target has no direction: refused, naming the field, nothing saved.
    await saveKeyResult(page, { title: REPEAT_BOOKINGS, unit: '#', start: '1000', target: '1000' });
    await expect(page.getByText(/target_value: must differ from the start value/)).toBeVisible();
    await saveKeyResult(page, { title: REPEAT_BOOKINGS, unit: '#', start: '1,000', target: '1500' });
    await page.waitForURL(/\/kr\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('kr-detail-title')).toHaveText(REPEAT_BOOKINGS);
    await expect(page.getByTestId('kr-current')).toHaveText('1,000');

    await page.goto(`/?quarter=${QUARTER}`);
    await objectiveNamed(page, OBJECTIVE).getByRole('link', { name: 'Add key result', exact: true }).click();
    await waitForHydration(page);
    await saveKeyResult(page, { title: REFUNDS, unit: '%', start: '8', target: '5' });
    await page.waitForURL(/\/kr\/[0-9a-f-]{36}$/);
    await page.goto(`/?quarter=${QUARTER}`);
    await expect(objectiveNamed(page, OBJECTIVE).locator('.key-result')).toHaveCount(2);
    // Down from 8% to 5%: the row's range runs from the start to the target.
    await expect(keyResultNamed(page, REFUNDS).locator(ROW.range)).toHaveText('8% → 5%');
  });

  test('a member checks in on one, and plans nothing', async ({ page }) => {
    await signIn(page, MIKE);
    await page.goto(`/?quarter=${QUARTER}`);
    await waitForHydration(page);
    await expect(page.getByRole('link', { name: 'New objective', exact: true })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Edit', exact: true })).toHaveCount(0);
    const keyResult = keyResultNamed(page, REPEAT_BOOKINGS);
    const form = await openCheckInDialog(page, keyResult);
    await form.getByTestId('check-in-value').fill('1200');
    await form.locator('select[data-testid="check-in-confidence"]').selectOption({ label: 'Green' });
    await form.getByTestId('check-in-submit').click();
    await expect(keyResult.locator(ROW.current)).toHaveText('1,200');
    await expectSparkCount(keyResult, 1);
  });

  test('the lead rolls the quarter over, and a second run copies nothing', async ({ page }) => {
    await signIn(page, SARAH);
    await page.goto(`/?quarter=${QUARTER}`);
    await page.getByRole('link', { name: 'Start the next quarter from this one', exact: true }).click();
    await waitForHydration(page);
    await expect(page.getByTestId('roll-over-target')).toContainText(`into ${NEXT_QUARTER}`);
    await expect(page.getByTestId('roll-over-target')).toContainText('which is created');
    await expect(page.getByTestId('roll-over-objective')).toHaveCount(1);
    await page.getByTestId('roll-over-submit').click();
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('quarter') === NEXT_QUARTER);
    await expect(page.locator('.quarter-heading h2')).toHaveText(NEXT_QUARTER);
    const copied = keyResultNamed(page, REPEAT_BOOKINGS);
    // The new start is the old current value; the target stays; no check-ins.
    await expect(copied.locator(ROW.range)).toHaveText('1,200 → 1,500');
    await expect(copied.locator(ROW.last)).toHaveText('No check-ins yet');
    await expect(page.locator('.key-result')).toHaveCount(2);

    await page.goto(`/quarters/${QUARTER}/roll-over`);
    await waitForHydration(page);
    await expect(page.getByTestId('roll-over-objective').locator('..')).toContainText('already there');
    await page.getByTestId('roll-over-submit').click();
    await page.waitForURL((url) => url.searchParams.get('quarter') === NEXT_QUARTER);
    await expect(page.locator('.key-result')).toHaveCount(2);
    await expect(page.locator('.objective')).toHaveCount(1);
  });

  test('the review reports the quarter, keeps the notes, and prints', async ({ page }, testInfo) => {
    await signIn(page, SARAH);
    await page.goto(`/?quarter=${QUARTER}`);
    await page.getByRole('link', { name: 'Quarterly review', exact: true }).click();
    await waitForHydration(page);
    await expect(page.getByTestId('review-title')).toHaveText(`Quarterly business review: ${QUARTER}`);
    await expect(page.getByTestId('review-reached')).toHaveText('0 of 2');
    await expect(page.getByTestId('review-missed')).toHaveText('2');
    await expect(page.getByTestId('review-kr')).toHaveCount(2);
    await expect(page.getByTestId('review-ncs')).toHaveText('+100');

    const notes = 'Won:\n- repeat bookings up 20%\nMissed:\n- refunds';
    await page.getByLabel(/Edit the notes/).fill(notes);
    await page.getByTestId('save-notes').click();
    await expect(page.getByTestId('review-notes')).toHaveText(notes);
    await page.reload();
    await expect(page.getByTestId('review-notes')).toHaveText(notes);

    await page.emulateMedia({ colorScheme: 'light' });
    await shoot(page, testInfo, 'review-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shoot(page, testInfo, 'review-dark');
    const darkBackground = await page.locator('.review').evaluate((node) => getComputedStyle(node).backgroundColor);
    expect(darkBackground, 'the review follows dark mode').not.toBe('rgb(255, 255, 255)');

    await page.emulateMedia({ media: 'print', colorScheme: 'light' });
    await expect(page.locator('.masthead')).toBeHidden();
    await expect(page.getByTestId('notes-form')).toBeHidden();
    await expect(page.getByTestId('review-kr').first()).toBeVisible();
    await shoot(page, testInfo, 'review-print');
    const pdf = path.join(ARTIFACTS_DIR, 'review-print.pdf');
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    await testInfo.attach('review-print.pdf', { path: pdf, contentType: 'application/pdf' });
  });

  test('an admin makes a team and an objective without JavaScript', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInNoJs(page, EMILY);
    await page.goto('/admin/teams');
    const form = page.getByTestId('new-team-form');
    await form.getByLabel('Name').fill('Partnerships');
    await page.getByTestId('create-team').click();
    await expect(page.getByTestId('team-row').filter({ hasText: 'Partnerships' })).toHaveCount(1);

    await form.getByLabel('Name').fill('partnerships');
    await page.getByTestId('create-team').click();
    await expect(page.getByText(/name: another team already has this name/).first()).toBeVisible();

    // An objective too: a bad title comes back named, a good one lands on the dashboard.
    await page.goto(`/objectives/new?quarter=${NEXT_QUARTER}`);
    const objective = page.getByTestId('objective-form');
    await objective.getByLabel('Title').fill('Bad\u0007title');
    await page.getByTestId('save-objective').click();
    await expect(page.getByText(/title: must not contain control characters/)).toBeVisible();
    await page.goto(`/objectives/new?quarter=${NEXT_QUARTER}`);
    await objective.getByLabel('Title').fill('Open the partner channel');
    await page.getByTestId('save-objective').click();
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('quarter') === NEXT_QUARTER);
    await expect(objectiveNamed(page, 'Open the partner channel')).toHaveCount(1);
    await context.close();
  });
});
