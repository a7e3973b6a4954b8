// Personal access tokens and the JSON API, as a new user tries them: make a
// token in the browser, record a check-in with it from outside the browser
// (as curl would), see it on the dashboard, retry with the same
// Idempotency-Key and see nothing more stored, then revoke the token. Also
// without JavaScript (the token is shown once after the form post), and the
// API reference page.
//
// Files share one database: this one checks in only on the redemption rate
// key result, whose values no other file checks.
import { test, expect } from '@playwright/test';
import {
  DEMO_PASSWORD,
  MIKE,
  keyResultId,
  keyResultNamed,
  signIn,
  signInNoJs,
  expectSparkCount,
  sparkCount,
  texts,
  waitForHydration,
  ROW,
} from './helpers.mjs';

/** Direct Channel Sales (Mike's team), owned by Sarah Chen. */
const REDEMPTION_RATE = 'Increase loyalty member redemption rate from 18% to 25%';
const TOKEN_PATTERN = /^rokr_[0-9a-f]{64}$/;

/** Creates a token named `name` on the tokens page and returns it. */
async function createToken(page, name) {
  const form = page.getByTestId('create-token-form');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Expires').selectOption('30');
  await form.getByLabel('Your password').fill(DEMO_PASSWORD);
  await page.getByTestId('create-token').click();
  const token = (await page.getByTestId('issued-token').textContent())?.trim();
  expect(token, 'the new token is shown').toMatch(TOKEN_PATTERN);
  return token;
}

function tokenRow(page, name) {
  return page.getByTestId('my-tokens').getByTestId('token-row').filter({ hasText: name });
}

test.describe('personal access tokens and the JSON API', () => {
  test('a token made in the browser records a check-in from a script, once per idempotency key', async ({
    page,
    request,
  }) => {
    await signIn(page, MIKE);
    const keyResult = keyResultNamed(page, REDEMPTION_RATE);
    const pointsBefore = await sparkCount(keyResult);
    const id = await keyResultId(page, REDEMPTION_RATE);

    await page.getByRole('link', { name: 'Access tokens', exact: true }).click();
    await expect(page).toHaveURL(/\/settings\/tokens$/);
    await waitForHydration(page);
    const token = await createToken(page, 'CRM sync (e2e)');
    // The form posted and came back to the tokens page.
    await expect(page).toHaveURL(/\/settings\/tokens\??$/);
    await expect(page.getByTestId('curl-example')).toContainText(`Bearer ${token}`);
    const row = tokenRow(page, 'CRM sync (e2e)');
    await expect(row.getByTestId('token-status')).toHaveText('Active');
    await expect(row.getByTestId('token-last-used')).toHaveText('Never');
    await expect(row, 'the list shows only the start of the token').not.toContainText(token);

    const post = (body) =>
      request.post(`/api/v1/key-results/${id}/check-ins`, {
        headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': 'e2e-redemption-1' },
        data: body,
      });
    const first = await post({ value: '19.40', confidence: 'green', note: 'From the loyalty system' });
    expect(first.status(), await first.text()).toBe(201);
    const saved = await first.json();
    expect(saved).toMatchObject({ key_result_id: id, value: '19.40', confidence: 'green', author: 'Mike Johnson' });

    const retry = await post({ value: '19.40', confidence: 'green', note: 'From the loyalty system' });
    expect(retry.status()).toBe(201);
    expect(retry.headers()['idempotent-replayed']).toBe('true');
    expect((await retry.json()).id, 'the retry answers the first check-in').toBe(saved.id);

    const reused = await post({ value: '21', confidence: 'green' });
    expect(reused.status(), 'the same key for another body').toBe(409);
    expect((await reused.json()).error.code).toBe('conflict');

    await page.goto('/');
    await expect(keyResult.locator(ROW.current)).toHaveText('19.4%');
    await expectSparkCount(keyResult, pointsBefore + 1, 'exactly one check-in more');

    await page.goto('/settings/tokens');
    await waitForHydration(page);
    await expect(row.getByTestId('token-last-used')).not.toHaveText('Never');
    await row.getByTestId('revoke-token').click();
    await expect(row.getByTestId('token-status')).toHaveText('Revoked');
    const refused = await request.get('/api/v1/quarters', { headers: { Authorization: `Bearer ${token}` } });
    expect(refused.status()).toBe(401);
    expect((await refused.json()).error.message).toContain('revoked');
  });

  test('without JavaScript the form post shows the new token once', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInNoJs(page, MIKE);
    await page.goto('/settings/tokens');
    const token = await createToken(page, 'Nightly report (no JS)');
    // The form post comes back to the page (the framework leaves an empty query).
    await expect(page).toHaveURL(/\/settings\/tokens\??$/);
    await expect(tokenRow(page, 'Nightly report (no JS)').getByTestId('token-status')).toHaveText('Active');

    await page.reload();
    await expect(page.getByTestId('issued-token'), 'shown once').toHaveCount(0);
    await expect(tokenRow(page, 'Nightly report (no JS)')).not.toContainText(token);

    const form = page.getByTestId('create-token-form');
    await form.getByLabel('Name').fill('bad\u0007name');
    await form.getByLabel('Your password').fill(DEMO_PASSWORD);
    await page.getByTestId('create-token').click();
    await expect(page.getByText(/must not contain control characters/)).toBeVisible();
    await context.close();
  });

  test('the API reference lists every operation of the document', async ({ page, request }) => {
    await signIn(page, MIKE);
    await page.goto('/docs/api');
    const document = await (await request.get('/api/v1/openapi.json')).json();
    expect(document.openapi).toMatch(/^3\.1/);
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const shown = (await texts(page.getByTestId('api-operation').locator('h3'))).map((text) =>
      text.replace(/\s+/, ' '),
    );
    expect(shown.sort()).toEqual(documented.sort());
  });
});
