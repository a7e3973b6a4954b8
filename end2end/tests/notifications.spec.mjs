// Reminder and digest settings, without JavaScript: a person's time zone
// and hour, and an admin's team check-in day and chat webhook, each with
// a field-named error for bad input that changes nothing.
import { test, expect } from '@playwright/test';
import { EMILY, MIKE, signIn, signInNoJs, waitForHydration } from './helpers.mjs';

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('a person sets their time zone and hour; a bad zone or hour is refused by field', async ({ page }) => {
    await signInNoJs(page, MIKE, undefined, { next: '/settings/notifications' });
    const form = page.getByTestId('notifications-form');
    await expect(form).toBeVisible();
    await expect(page.getByTestId('time-zone')).toHaveValue('UTC');

    await page.getByTestId('time-zone').fill('Mars/Olympus');
    await page.getByTestId('save-notifications').click();
    await page.waitForURL((url) => url.pathname === '/settings/notifications');
    const zoneError = page.locator('#notification-zone ~ .field-error');
    await expect(zoneError).toContainText('is not a time zone');
    await page.goto('/settings/notifications');
    await expect(page.getByTestId('time-zone'), 'nothing saved').toHaveValue('UTC');

    // An hour the list does not offer, as a hand-made request would send.
    await page.getByTestId('hour').evaluate((select) => {
      const option = document.createElement('option');
      option.value = '24';
      option.textContent = '24:00';
      select.append(option);
    });
    await page.getByTestId('hour').selectOption('24');
    await page.getByTestId('save-notifications').click();
    await page.waitForURL((url) => url.pathname === '/settings/notifications');
    await expect(page.locator('#notification-hour ~ .field-error')).toContainText('hour from 0 to 23');

    await page.goto('/settings/notifications');
    await page.getByTestId('time-zone').fill('America/Sao_Paulo');
    await page.getByTestId('hour').selectOption('8');
    await page.getByTestId('reminders-on').uncheck();
    await page.getByTestId('save-notifications').click();
    await page.waitForURL((url) => url.pathname === '/settings/notifications');
    await page.goto('/settings/notifications');
    await expect(page.getByTestId('time-zone')).toHaveValue('America/Sao_Paulo');
    await expect(page.getByTestId('hour')).toHaveValue('8');
    await expect(page.getByTestId('reminders-on')).not.toBeChecked();
    await expect(page.getByTestId('digests-on')).toBeChecked();

    // Back as it was, for the other tests.
    await page.getByTestId('time-zone').fill('UTC');
    await page.getByTestId('hour').selectOption('9');
    await page.getByTestId('reminders-on').check();
    await page.getByTestId('save-notifications').click();
    await page.waitForURL((url) => url.pathname === '/settings/notifications');
  });

  test('an admin sets a team check-in day and webhook; http to elsewhere is refused', async ({ page }) => {
    await signInNoJs(page, EMILY, undefined, { next: '/admin/messages' });
    const team = page.getByTestId('team-messages-form').filter({ hasText: 'Direct Channel Sales' });
    await expect(team).toBeVisible();

    await team.getByTestId('webhook-url').fill('http://hooks.example.com/services/x');
    await team.getByTestId('save-team-messages').click();
    await page.waitForURL((url) => url.pathname === '/admin/messages');
    await expect(page.getByText('must be an https:// address').first()).toBeVisible();
    const again = page.getByTestId('team-messages-form').filter({ hasText: 'Direct Channel Sales' });
    await expect(again.getByTestId('webhook-url'), 'nothing saved').toHaveValue('');

    await again.getByTestId('check-in-day').selectOption('5');
    await again.getByTestId('team-time-zone').fill('Europe/London');
    await again.getByTestId('webhook-url').fill('https://hooks.slack.com/services/T000/B000/XXXX');
    await again.getByTestId('save-team-messages').click();
    await page.waitForURL((url) => url.pathname === '/admin/messages');
    await page.goto('/admin/messages');
    const saved = page.getByTestId('team-messages-form').filter({ hasText: 'Direct Channel Sales' });
    await expect(saved.getByTestId('check-in-day')).toHaveValue('5');
    await expect(saved.getByTestId('team-time-zone')).toHaveValue('Europe/London');
    await expect(saved.getByTestId('webhook-url')).toHaveValue('https://hooks.slack.com/services/T000/B000/XXXX');

    // Back as it was.
    await saved.getByTestId('check-in-day').selectOption('1');
    await saved.getByTestId('team-time-zone').fill('UTC');
    await saved.getByTestId('webhook-url').fill('');
    await saved.getByTestId('save-team-messages').click();
    await page.waitForURL((url) => url.pathname === '/admin/messages');
  });
});

test('with JavaScript, saving the settings says so in place', async ({ page }) => {
  await signIn(page, MIKE, undefined, { next: '/settings/notifications' });
  await waitForHydration(page);
  await page.getByTestId('hour').selectOption('10');
  await page.getByTestId('save-notifications').click();
  await expect(page.getByTestId('notifications-saved')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('hour')).toHaveValue('10');
  await page.getByTestId('hour').selectOption('9');
  await page.getByTestId('save-notifications').click();
  await expect(page.getByTestId('notifications-saved')).toBeVisible();
});
