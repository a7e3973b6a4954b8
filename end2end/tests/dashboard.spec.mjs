// The server-rendered dashboard shows the whole seeded quarter to anyone
// signed in (here Mike Johnson, a member: viewing needs no role).
import { test, expect } from '@playwright/test';
import {
  CONFIDENCE_LABELS,
  FORMATTED_CURRENT_VALUES,
  KEY_RESULT_TITLES,
  OBJECTIVES,
  PEOPLE,
  QUARTER,
  TEAMS,
} from './seed.mjs';
import {
  MIKE,
  exactly,
  keyResultNamed,
  signIn,
  sparkCount,
  teamSection,
  texts,
  ROW,
} from './helpers.mjs';

const sorted = (values) => [...values].sort();

/** The quarter label is on screen: as text, or as the chosen quarter of a <select>. */
async function expectQuarterLabelVisible(page, label) {
  const asText = page.getByText(label).filter({ visible: true });
  const asSelect = page.locator('select').filter({ has: page.locator('option:checked', { hasText: label }) });
  await expect(asText.or(asSelect).first(), `quarter label ${label} should be visible`).toBeVisible();
}

test.describe('dashboard', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, MIKE);
  });

  test('shows the company and both teams, the 3 seeded and 2 company objectives and all 10 key results', async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status(), 'GET / status').toBe(200);

    await expect(page.locator('h1')).toContainText('RunwayOKR');
    await expectQuarterLabelVisible(page, QUARTER);

    // Teams, alphabetically.
    await expect(page.locator('section.team')).toHaveCount(TEAMS.length);
    await expect(page.locator('section.team').locator('h2')).toHaveText(TEAMS);

    // Objectives, each under its own team.
    await expect(page.locator('.objective')).toHaveCount(OBJECTIVES.length);
    for (const team of TEAMS) {
      const expected = OBJECTIVES.filter((objective) => objective.team === team).map((objective) => objective.title);
      const section = teamSection(page, team);
      await expect(section).toHaveCount(1);
      await expect(section.locator('.objective-title')).toHaveCount(expected.length);
      expect(sorted(await texts(section.locator('.objective-title'))), `objectives of ${team}`).toEqual(sorted(expected));
    }

    // Key results, each under its own objective.
    await expect(page.locator('.key-result')).toHaveCount(KEY_RESULT_TITLES.length);
    expect(sorted(await texts(page.locator('.kr-title')))).toEqual(sorted(KEY_RESULT_TITLES));
    for (const objective of OBJECTIVES) {
      const article = page
        .locator('.objective')
        .filter({ has: page.locator('.objective-title').filter({ hasText: exactly(objective.title) }) });
      await expect(article).toHaveCount(1);
      expect(sorted(await texts(article.locator('.kr-title'))), `key results of "${objective.title}"`).toEqual(
        sorted(objective.keyResults),
      );
    }
  });

  test('every objective has a rollup, a confidence badge and a toggle wired to its list', async ({ page }) => {
    await page.goto('/');
    const objectives = page.locator('.objective');
    await expect(objectives).toHaveCount(OBJECTIVES.length);

    for (const objective of await objectives.all()) {
      const title = (await objective.locator('.objective-title').textContent())?.trim();
      await expect(objective.locator('h3.objective-title'), title).toHaveCount(1);
      if (OBJECTIVES.find((seeded) => seeded.title === title)?.keyResults.length === 0) {
        // A company objective without key results: no own figure, and its
        // supporters' figure beside it.
        await expect(objective.locator('.objective-rollup .figure'), title).toHaveText('—');
        await expect(objective.locator('.aligned-figure'), title).toHaveText(/With supporting objectives -?\d{1,3}%/);
        await expect(objective.locator('details.objective-krs'), title).toHaveCount(0);
        continue;
      }
      await expect(objective.locator('.objective-rollup .figure'), title).toHaveText(/^\s*-?\d{1,3}%\s*$/);
      expect(CONFIDENCE_LABELS, `objective confidence of "${title}"`).toContain(
        (await objective.locator('.objective-rollup .badge').textContent())?.trim(),
      );

      // The key result list is a native disclosure, open to begin with.
      const toggle = objective.locator('details.objective-krs > summary');
      await expect(toggle, title).toHaveCount(1);
      await expect(objective.locator('details.objective-krs'), title).toHaveAttribute('open', '');
      const list = objective.locator('details.objective-krs > ul.key-results');
      await expect(list, `the list the toggle of "${title}" folds`).toHaveCount(1);
      await expect(list).toBeVisible();
    }
  });

  test('every key result has its owner, values, a confidence badge and a sparkline', async ({ page }) => {
    await page.goto('/');
    const keyResults = page.locator('.key-result');
    await expect(keyResults).toHaveCount(KEY_RESULT_TITLES.length);

    for (const keyResult of await keyResults.all()) {
      const title = (await keyResult.locator('.kr-title').textContent())?.trim();
      await expect(keyResult.locator(ROW.owner), title).toHaveCount(1);
      expect(PEOPLE, `owner of "${title}"`).toContain((await keyResult.locator(ROW.owner).textContent())?.trim());
      await expect(keyResult.locator(ROW.current), title).toHaveText(/\d/);
      await expect(keyResult.locator(ROW.progress), title).toHaveText(/^\s*-?\d{1,3}%\s*$/);
      await expect(keyResult.locator(ROW.last), title).toHaveText(/\S/);

      const badge = keyResult.locator('.badge');
      await expect(badge, title).toHaveCount(1);
      expect(CONFIDENCE_LABELS, `confidence badge of "${title}"`).toContain((await badge.textContent())?.trim());

      const sparkline = keyResult.locator('svg.sparkline');
      await expect(sparkline, `sparkline of "${title}"`).toHaveCount(1);
      await expect(sparkline).toHaveAttribute('role', 'img');
      await expect(sparkline.locator(':scope > title'), `<title> of the sparkline of "${title}"`).toHaveCount(1);
      expect((await sparkline.locator(':scope > title').textContent())?.trim(), `<title> text of "${title}"`).toBeTruthy();
      await expect(sparkline.locator(':scope > path'), `target line of "${title}"`).toHaveCount(1);

      // One polyline and the newest point, no per-point markup; the title says what it shows.
      await expect(sparkline.locator('polyline'), `line of "${title}"`).toHaveCount(1);
      const count = await sparkCount(keyResult);
      expect(count, `check-ins on the sparkline of "${title}"`).toBeGreaterThanOrEqual(2);
      await expect(sparkline.locator(':scope > title')).toContainText(`${count} check-ins`);
      await expect(sparkline.locator(':scope > title')).toContainText('target');
      await expect(sparkline.locator('circle'), 'only the newest point is drawn as a dot').toHaveCount(1);
    }
  });

  test('current values are formatted by unit (%, $, pp, #)', async ({ page }) => {
    await page.goto('/');
    for (const [title, formatted] of Object.entries(FORMATTED_CURRENT_VALUES)) {
      const keyResult = keyResultNamed(page, title);
      await expect(keyResult, title).toHaveCount(1);
      await expect(keyResult.locator(ROW.current), `current value of "${title}"`).toHaveText(formatted);
    }
  });

  test(`/?quarter=${QUARTER} selects the seeded quarter`, async ({ page }) => {
    const response = await page.goto(`/?quarter=${QUARTER}`);
    expect(response?.status()).toBe(200);
    await expectQuarterLabelVisible(page, QUARTER);
    await expect(page.locator('.objective')).toHaveCount(OBJECTIVES.length);
    await expect(page.locator('.key-result')).toHaveCount(KEY_RESULT_TITLES.length);
  });
});
