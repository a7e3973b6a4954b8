import { fileURLToPath } from 'node:url';
import { expect } from '@playwright/test';

/** end2end/artifacts/ (gitignored): screenshots and reports of a run. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Hydration is done when the app marks <html data-hydrated="true">. */
export async function waitForHydration(page) {
  await expect(page.locator('html'), 'the page should hydrate (html[data-hydrated="true"])')
    .toHaveAttribute('data-hydrated', 'true', { timeout: 20_000 });
}

/**
 * Collects uncaught page errors (a wasm panic shows up here) and console
 * errors (hydration mismatches are logged there) from now on. A missing
 * favicon is not an app error and is ignored.
 */
export function collectBrowserErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (/\/favicon\.ico$/.test(message.location()?.url ?? '')) return;
    errors.push(`console.error: ${message.text()}`);
  });
  return errors;
}

/** Trimmed, whitespace-collapsed text contents of every match. */
export async function texts(locator) {
  return (await locator.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
}

/** A RegExp that matches exactly `text` (surrounding whitespace allowed). */
export function exactly(text) {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

// ---------------------------------------------------------------------------
// Signing in. Every page but /sign-in (and the invite / reset links) needs a
// session; the demo seed gives the five people one shared password.

export const DEMO_PASSWORD = 'runway-demo';
export const SESSION_COOKIE = 'runway_session';

export const EMILY = 'emily.davis@airline.com';
export const SARAH = 'sarah.chen@airline.com';
export const LISA = 'lisa.wang@airline.com';
export const MIKE = 'mike.johnson@airline.com';
export const JAMES = 'james.rodriguez@airline.com';

/** Who each demo email is: name, role and team (contract of issue 7). */
export const DEMO_PEOPLE = {
  [EMILY]: { name: 'Emily Davis', role: 'admin', team: 'Corporate Sales' },
  [SARAH]: { name: 'Sarah Chen', role: 'lead', team: 'Direct Channel Sales' },
  [LISA]: { name: 'Lisa Wang', role: 'lead', team: 'Corporate Sales' },
  [MIKE]: { name: 'Mike Johnson', role: 'member', team: 'Direct Channel Sales' },
  [JAMES]: { name: 'James Rodriguez', role: 'member', team: 'Corporate Sales' },
};

/** '/sign-in', or '/sign-in?next=<next>' (url-encoded). */
export function signInPath(next) {
  return next === undefined ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}

/** Fills the sign-in form of the current page and submits it. */
export async function submitSignIn(page, email, password = DEMO_PASSWORD) {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByTestId('sign-in-submit').click();
}

/**
 * Waits until the browser is on `target` (a path with an optional query)
 * with the signed-in header showing `email`'s person. If it never gets
 * there, the error names the page it is on and any sign-in-error banner
 * (a 429 of the rate limit shows up here).
 */
export async function expectSignedInAt(page, email, target = '/') {
  const wanted = new URL(target, 'http://runway.invalid');
  try {
    await page.waitForURL((url) => url.pathname === wanted.pathname && url.search === wanted.search, {
      timeout: 15_000,
    });
  } catch (error) {
    const banner = page.getByTestId('sign-in-error');
    const message = (await banner.count()) > 0 ? (await banner.first().textContent())?.trim() : '';
    throw new Error(
      `signing in as ${email} should end on ${target}, but the page is ${page.url()}` +
        (message ? ` showing sign-in-error "${message}"` : ''),
      { cause: error },
    );
  }
  const person = DEMO_PEOPLE[email];
  if (person) {
    await expect(page.locator('.signed-in-as'), `signed-in header after signing in as ${email}`).toContainText(
      person.name,
    );
  }
}

/**
 * Signs `page` in through the /sign-in form and waits for the dashboard, or
 * for `next` when given (the form sends it back as the hidden `next` field).
 * Works with and without JavaScript: it does not wait for hydration, so the
 * form may be posted natively (302 to next) or by the hydrated page.
 */
export async function signIn(page, email, password = DEMO_PASSWORD, { next } = {}) {
  const response = await page.goto(signInPath(next));
  expect(response?.status(), `GET ${signInPath(next)}`).toBe(200);
  await submitSignIn(page, email, password);
  await expectSignedInAt(page, email, next ?? '/');
}

/** signIn for a context with javaScriptEnabled: false; also checks nothing hydrated. */
export async function signInNoJs(page, email, password = DEMO_PASSWORD, { next } = {}) {
  await signIn(page, email, password, { next });
  await expect(page.locator('html'), 'no hydration without JavaScript').not.toHaveAttribute('data-hydrated', 'true');
}

/** Clicks "Sign out" in the header and waits for /sign-in. */
export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in', { timeout: 15_000 });
}

/** The runway_session cookie of the page's browser context, if any. */
export async function sessionCookie(page) {
  return (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
}

/** Where a page without a session was sent: {pathname, next} of the final URL. */
export function signInRedirect(page) {
  const url = new URL(page.url());
  return { pathname: url.pathname, next: url.searchParams.get('next') };
}

/**
 * The text of the `header` column ("By", "Value", ...) of a history row on a
 * key result page, found by the column's <th>.
 */
export async function historyCell(page, row, header) {
  const headers = await texts(page.getByTestId('history').locator('thead th'));
  const index = headers.indexOf(header);
  expect(index, `history column "${header}" among ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0);
  return row.locator('td').nth(index);
}

// ---------------------------------------------------------------------------
// The dashboard's rows.

/**
 * The parts of a dashboard row (`li.key-result`) that have no class: they are
 * found by their place in the row, as the CSS styles them (see
 * app/src/components/dashboard.rs, KeyResultRow).
 */
export const ROW = {
  owner: ':scope > div:nth-child(1) > p',
  current: ':scope > div:nth-child(2) > b',
  range: ':scope > div:nth-child(2) > small',
  progress: ':scope > div:nth-child(3)',
  last: ':scope > div:nth-child(4) > span:nth-child(2)',
};

/** The dashboard row of the key result titled exactly `title`. */
export function keyResultNamed(page, title) {
  return page
    .locator('.key-result')
    .filter({ has: page.locator('.kr-title').filter({ hasText: exactly(title) }) });
}

/** The team section headed exactly `name`. */
export function teamSection(page, name) {
  return page.locator('section.team').filter({ has: page.locator('h2').filter({ hasText: exactly(name) }) });
}

/** The sparkline of a dashboard row. */
export function sparkline(keyResult) {
  return keyResult.locator('svg.sparkline');
}

/** The points of a `<polyline points="x,y x,y …">`, or none. */
export function pointsOf(points) {
  return points?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/** How many check-ins a row's sparkline shows (the points of its line). */
export async function sparkCount(keyResult) {
  return pointsOf(await sparkline(keyResult).locator('polyline').getAttribute('points')).length;
}

/** Waits until a row's sparkline shows `count` check-ins. */
export async function expectSparkCount(keyResult, count, message) {
  await expect.poll(() => sparkCount(keyResult), { message }).toBe(count);
}

/**
 * On a hydrated dashboard: opens the page's check-in dialog from the row's
 * "Record check-in" link and returns its form, checked to be for that row.
 */
export async function openCheckInDialog(page, keyResult) {
  const title = (await keyResult.locator('.kr-title').textContent())?.trim() ?? '';
  await keyResult.locator('.check-in-link').click();
  const dialog = page.getByTestId('check-in-dialog');
  await expect(dialog, 'the check-in dialog opens').toBeVisible();
  await expect(dialog.getByTestId('check-in-dialog-title')).toHaveText(exactly(title));
  const form = dialog.getByTestId('check-in-form');
  await expect(form).toBeVisible();
  return form;
}

/** The id of a key result, from its link on the dashboard (/kr/<id>). */
export async function keyResultId(page, title) {
  const href = await keyResultNamed(page, title).locator('.kr-title').getAttribute('href');
  expect(href, `link of "${title}"`).toMatch(/^\/kr\/[0-9a-f-]{36}$/);
  return href.slice('/kr/'.length);
}
