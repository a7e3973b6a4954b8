import { fileURLToPath } from 'node:url';
import { expect } from '@playwright/test';

/** end2end/artifacts/ (gitignored): screenshots and reports of a run. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** '2025-01-20' -> 'Jan 20, 2025', the way the spark readout shows a date. */
export function readoutDate(isoDate) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate ?? '');
  if (!match) throw new Error(`not a YYYY-MM-DD date: ${JSON.stringify(isoDate)}`);
  const [, year, month, day] = match;
  return `${MONTHS[Number(month) - 1]} ${Number(day)}, ${year}`;
}

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
