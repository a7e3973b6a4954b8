// Sign-in and roles (issue 7): pages need a session, the sign-in form works
// with and without JavaScript, a check-in's author is the signed-in person,
// a member only checks in on his team's key results, /admin/people is for
// admins, and signing out ends the session.
//
// Files share one database and must not depend on their order: the check-in
// below goes to a key result no other file checks in on or checks the value
// of, and every count is read from the page before acting.
//
// Only one test here sends a wrong password (the server locks an email or an
// IP out after more than 10 failures in 15 minutes), and it uses Sarah
// Chen's email, which no other test signs in with.
import { test, expect } from '@playwright/test';
import { KEY_RESULT_TITLES, OBJECTIVES, PEOPLE, QUARTER } from './seed.mjs';
import {
  EMILY,
  MIKE,
  SARAH,
  collectBrowserErrors,
  exactly,
  expectSignedInAt,
  historyCell,
  keyResultId,
  keyResultNamed,
  sessionCookie,
  signIn,
  signInRedirect,
  signOut,
  expectSparkCount,
  openCheckInDialog,
  sparkCount,
  sparkline,
  submitSignIn,
  teamSection,
  waitForHydration,
  ROW,
} from './helpers.mjs';

/** Direct Channel Sales, owned by Sarah Chen: Mike may check in as a member of the team. Seeded 18.2%. */
const REDEMPTION_RATE = 'Increase loyalty member redemption rate from 18% to 25%';
/** Direct Channel Sales, owned by Mike Johnson. Only the cross-site test below posts to it (and must be refused). */
const PARTNER_BOOKINGS = 'Boost partner airline bookings from $3M to $5M';
/** Corporate Sales, owned by James Rodriguez: Mike may not check in. No other file checks in on it. */
const NEW_ACCOUNTS = 'Sign 25 new corporate accounts (baseline: 0)';

const keyResultsOf = (team) =>
  OBJECTIVES.filter((objective) => objective.team === team).flatMap((objective) => objective.keyResults);

/** The response that ended in a redirect to the page, and its status. */
async function firstStatus(response) {
  let request = response.request();
  while (request.redirectedFrom()) request = request.redirectedFrom();
  return (await request.response())?.status();
}

/** Expects the page to be the sign-in page a signed-out visit of `path` leads to. */
async function expectSentToSignIn(page, response, path) {
  expect(signInRedirect(page), `GET ${path} without a session`).toEqual({ pathname: '/sign-in', next: path });
  expect(await firstStatus(response), `status of GET ${path} without a session`).toBe(303);
  expect(response?.status(), 'the sign-in page itself').toBe(200);
  await expect(page.locator('input[name="next"]')).toHaveValue(path);
  await expect(page.locator('.signed-in-as')).toHaveCount(0);
}

/**
 * A valid check-in body as the dashboard form would send it, taking the
 * confidence option value and the default date from a form on the page.
 */
async function checkInBody(page, keyResultIdValue, value) {
  // The form of a key result of Mike's own team, on its page.
  const back = page.url();
  await page.goto(`/kr/${await keyResultId(page, REDEMPTION_RATE)}`);
  const form = page.getByTestId('check-in-form');
  const confidence = await form
    .locator('select[data-testid="check-in-confidence"] option')
    .filter({ hasText: exactly('Green') })
    .getAttribute('value');
  const date = await form.getByTestId('check-in-date').inputValue();
  await page.goto(back);
  return { key_result_id: keyResultIdValue, value, confidence, note: '', date };
}

test.describe('signed out', () => {
  test('visiting / lands on /sign-in?next=%2F with the sign-in form', async ({ page }) => {
    const response = await page.goto('/');
    await expectSentToSignIn(page, response, '/');
    expect(new URL(page.url()).search, 'next is url-encoded').toBe('?next=%2F');

    await expect(page.getByLabel('Email', { exact: true })).toBeVisible();
    await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
    await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'password');
    await expect(page.getByTestId('sign-in-submit')).toHaveText(exactly('Sign in'));
    await expect(page.getByTestId('sign-in-error').filter({ hasText: /\S/ }), 'no error yet').toHaveCount(0);
    await expect(page.locator('.key-result')).toHaveCount(0);
    expect(await sessionCookie(page), 'no session cookie').toBeUndefined();
  });

  test('signing in from a redirect goes on to the page asked for (with its query)', async ({ page }) => {
    const path = `/?quarter=${QUARTER}`;
    const response = await page.goto(path);
    await expectSentToSignIn(page, response, path);
    await submitSignIn(page, MIKE);
    await expectSignedInAt(page, MIKE, path);
    await expect(page.locator('.key-result')).toHaveCount(KEY_RESULT_TITLES.length);

    // A key result page, too.
    const href = `/kr/${await keyResultId(page, REDEMPTION_RATE)}`;
    await page.context().clearCookies();
    const again = await page.goto(href);
    await expectSentToSignIn(page, again, href);
    await submitSignIn(page, MIKE);
    await expectSignedInAt(page, MIKE, href);
    await expect(page.getByTestId('kr-detail-title')).toHaveText(exactly(REDEMPTION_RATE));
  });

  test('the sign-in page hydrates without errors in the browser', async ({ page }) => {
    const errors = collectBrowserErrors(page);
    await page.goto('/sign-in');
    await waitForHydration(page);
    await page.waitForTimeout(500);
    expect(errors, 'page errors and console errors during load and hydration').toEqual([]);
  });

  test('a wrong password shows "wrong email or password" and signs nobody in', async ({ page }) => {
    await page.goto('/sign-in');
    await waitForHydration(page);
    await submitSignIn(page, SARAH, 'not-the-demo-password');

    await expect(page.getByTestId('sign-in-error')).toContainText(/wrong email or password/i);
    expect(new URL(page.url()).pathname, 'still on the sign-in page').toBe('/sign-in');
    await expect(page.locator('.signed-in-as')).toHaveCount(0);
    expect(await sessionCookie(page), 'no session cookie').toBeUndefined();

    const response = await page.goto('/');
    await expectSentToSignIn(page, response, '/');
  });

  test('next can only be a path of this site', async ({ page, baseURL }) => {
    for (const next of ['https://evil.example/', '//evil.example/']) {
      await page.context().clearCookies();
      await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
      await submitSignIn(page, MIKE);
      // Either signed in somewhere on this site, or refused: never sent away.
      await expect(page.locator('.signed-in-as').or(page.getByTestId('sign-in-error').filter({ hasText: /\S/ })))
        .toBeVisible();
      expect(new URL(page.url()).origin, `after signing in with next=${next}`).toBe(new URL(baseURL).origin);
    }
  });
});

test.describe('as Mike Johnson, a member of Direct Channel Sales', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, MIKE);
  });

  test('the header says who is signed in, with the role', async ({ page }) => {
    const header = page.locator('.signed-in-as');
    await expect(header).toContainText('Mike Johnson');
    await expect(header).toContainText('member');
    await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveText(exactly('Sign out'));
  });

  test('records a check-in on a key result of his team; the history names him as its author', async ({ page }) => {
    await page.goto('/');
    await waitForHydration(page);

    const keyResult = keyResultNamed(page, REDEMPTION_RATE);
    await expect(keyResult).toHaveCount(1);
    const before = await sparkCount(keyResult);

    const form = await openCheckInDialog(page, keyResult);
    await expect(form.locator('[data-testid="check-in-author"], [name="author_id"]'), 'no author picker').toHaveCount(0);

    const note = `Award sale on partner routes (${Date.now()})`;
    await form.getByTestId('check-in-value').fill('19.5');
    await form.locator('select[data-testid="check-in-confidence"]').selectOption({ label: 'Amber' });
    await form.locator('textarea[data-testid="check-in-note"]').fill(note);
    const saved = page.waitForResponse(
      (response) => response.url().endsWith('/api/check_in') && response.request().method() === 'POST',
    );
    await form.getByTestId('check-in-submit').click();
    expect((await saved).status(), 'a member may check in on his team').toBe(200);

    await expectSparkCount(keyResult, before + 1, 'one more point on the sparkline');
    await expect(sparkline(keyResult).locator(':scope > title')).toContainText('to 19.5%');
    await expect(keyResult.locator(ROW.current)).toHaveText(exactly('19.5%'));
    const cookies = (await page.context().cookies()).map((cookie) => cookie.name);
    expect(cookies).not.toContain('runway_acting_as');

    const href = await keyResult.locator('.kr-title').getAttribute('href');
    expect((await page.goto(href))?.status()).toBe(200);
    const rows = page.getByTestId('history-row');
    await expect(rows).toHaveCount(before + 1);
    const newest = rows.first();
    await expect(newest).toContainText(note);
    await expect(newest.getByTestId('history-confidence')).toHaveText(exactly('Amber'));
    await expect(await historyCell(page, newest, 'By'), 'author of the newest check-in').toHaveText(
      exactly('Mike Johnson'),
    );
  });

  test('the dashboard offers "Record check-in" on his team\'s key results only', async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);

    const corporate = teamSection(page, 'Corporate Sales');
    await expect(corporate.locator('.key-result')).toHaveCount(keyResultsOf('Corporate Sales').length);
    await expect(corporate.locator('.check-in-link')).toHaveCount(0);
    await expect(corporate.getByTestId('check-in-form')).toHaveCount(0);
    await expect(corporate.getByText('Record check-in')).toHaveCount(0);

    const direct = teamSection(page, 'Direct Channel Sales');
    const ours = keyResultsOf('Direct Channel Sales');
    await expect(direct.locator('.key-result')).toHaveCount(ours.length);
    for (const title of ours) {
      await expect(keyResultNamed(page, title).locator('.check-in-link'), title).toHaveText(
        exactly('Record check-in'),
      );
    }
  });

  test('the server refuses his check-in on a Corporate Sales key result (403)', async ({ page, baseURL }) => {
    await page.goto('/');
    const keyResult = keyResultNamed(page, NEW_ACCOUNTS);
    const before = await sparkCount(keyResult);
    const body = await checkInBody(page, await keyResultId(page, NEW_ACCOUNTS), '7');

    // page.request shares the browser's cookies: this is Mike's session. The
    // Origin is the site's own, so only the role check can refuse it.
    const response = await page.request.post('/api/check_in', {
      form: body,
      headers: { Accept: 'application/json', Origin: new URL(baseURL).origin },
      maxRedirects: 0,
    });
    expect(response.status(), `POST /api/check_in ${JSON.stringify(body)}`).toBe(403);

    await page.reload();
    await expectSparkCount(keyResultNamed(page, NEW_ACCOUNTS), before, 'nothing saved');
  });

  test('a check-in posted from another site is refused (403) and saves nothing', async ({ page }) => {
    await page.goto('/');
    const before = await sparkCount(keyResultNamed(page, PARTNER_BOOKINGS));
    const body = await checkInBody(page, await keyResultId(page, PARTNER_BOOKINGS), '3600000');

    const response = await page.request.post('/api/check_in', {
      form: body,
      headers: { Accept: 'application/json', Origin: 'https://evil.example' },
      maxRedirects: 0,
    });
    expect(response.status(), 'a cross-site POST with a valid session').toBe(403);

    await page.reload();
    await expectSparkCount(keyResultNamed(page, PARTNER_BOOKINGS), before, 'nothing saved');
  });

  test('/admin/people is forbidden (403)', async ({ page }) => {
    const response = await page.goto('/admin/people');
    expect(response?.status(), 'GET /admin/people as a member').toBe(403);
    const forbidden = page.getByTestId('forbidden');
    await expect(forbidden).toBeVisible();
    await expect(forbidden).toContainText('Admins only');
    await expect(page.getByTestId('invite-submit')).toHaveCount(0);
  });

  test('signing out lands on /sign-in and ends the session', async ({ page }) => {
    const session = await sessionCookie(page);
    expect(session, 'a session cookie after signing in').toBeDefined();
    expect(session.httpOnly, 'the session cookie is HttpOnly').toBe(true);
    expect(session.sameSite).toBe('Lax');

    await page.goto('/');
    await signOut(page);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await sessionCookie(page), 'the cookie is cleared').toBeUndefined();

    let response = await page.goto('/');
    await expectSentToSignIn(page, response, '/');

    // The old token is dead on the server too, not just forgotten by the browser.
    await page.context().addCookies([session]);
    response = await page.goto('/');
    await expectSentToSignIn(page, response, '/');
  });
});

test.describe('as Emily Davis, an admin', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, EMILY);
  });

  test('may check in on every key result', async ({ page }) => {
    await expect(page.locator('.signed-in-as')).toContainText('admin');
    await expect(page.locator('.key-result')).toHaveCount(KEY_RESULT_TITLES.length);
    await expect(page.locator('.check-in-link')).toHaveCount(KEY_RESULT_TITLES.length);
  });

  test('/admin/people lists the people and invites someone; the invite link opens signed out', async ({
    page,
    browser,
    baseURL,
  }) => {
    const response = await page.goto('/admin/people');
    expect(response?.status(), 'GET /admin/people as an admin').toBe(200);
    await expect(page.getByTestId('forbidden')).toHaveCount(0);
    const main = page.locator('main');
    for (const name of PEOPLE) await expect(main, `${name} in the people list`).toContainText(name);

    await waitForHydration(page);
    // The invitation form (each person's row has an edit form with the same fields).
    const invite = page.getByTestId('invite-form');
    const name = invite.locator('input[name="name"]');
    const email = invite.locator('input[name="email"]');
    const team = invite.locator('select[name="team_id"]');
    const role = invite.locator('select[name="role"]');
    for (const field of [name, email, team, role]) await expect(field).toBeVisible();
    const teams = (await team.locator('option').allTextContents()).map((text) => text.trim());
    expect(teams).toEqual(expect.arrayContaining(['Corporate Sales', 'Direct Channel Sales']));
    const roles = await role.locator('option').evaluateAll((options) => options.map((option) => option.value));
    expect(roles).toEqual(expect.arrayContaining(['admin', 'lead', 'member']));
    await expect(page.getByTestId('invite-submit')).toBeVisible();

    const stamp = Date.now();
    await name.fill(`Invited Person ${stamp}`);
    await email.fill(`invited.${stamp}@airline.com`);
    await team.selectOption({ label: 'Direct Channel Sales' });
    await role.selectOption('member');
    await page.getByTestId('invite-submit').click();
    // The form posts and comes back with the link, shown once.
    const link = page.getByTestId('issued-link');
    await expect(link).toBeVisible();
    // The link is the element's text (or its value, should it be a read-only field).
    const linkText = () =>
      link.evaluate((element) =>
        element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement ? element.value : element.textContent,
      );
    await expect.poll(linkText, { message: 'the invite link' }).toMatch(/\/invite\/[^\s/]+/);
    const invitePath = new URL(/\S*\/invite\/[^\s/]+/.exec(await linkText())[0], baseURL).pathname;

    // Someone without a session can open it and set a password.
    const stranger = await browser.newContext({ baseURL });
    try {
      const strangerPage = await stranger.newPage();
      const opened = await strangerPage.goto(invitePath);
      expect(opened?.status(), `GET ${invitePath} without a session`).toBe(200);
      expect(new URL(strangerPage.url()).pathname, 'not sent to sign in').toBe(invitePath);
      await expect(strangerPage.locator('input[name="password"]')).toBeVisible();
      await expect(strangerPage.getByTestId('set-password-submit')).toBeVisible();
    } finally {
      await stranger.close();
    }
  });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the plain form signs Mike Johnson in, and the plain sign-out form signs him out', async ({ page }) => {
    const response = await page.goto('/');
    await expectSentToSignIn(page, response, '/');
    await expect(page.locator('form[method="post"][action="/api/sign_in"]')).toHaveCount(1);

    const posted = page.waitForResponse(
      (answer) => answer.url().endsWith('/api/sign_in') && answer.request().method() === 'POST',
    );
    await submitSignIn(page, MIKE);
    expect((await posted).status(), 'a form post is redirected to next').toBe(302);
    await expectSignedInAt(page, MIKE, '/');
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    const header = page.locator('.signed-in-as');
    await expect(header).toContainText('Mike Johnson');
    await expect(header).toContainText('member');
    await expect(page.locator('.key-result')).toHaveCount(KEY_RESULT_TITLES.length);

    await signOut(page);
    expect(await sessionCookie(page), 'the cookie is cleared').toBeUndefined();
    const again = await page.goto('/');
    await expectSentToSignIn(page, again, '/');
  });
});
