// Importing OKRs from a spreadsheet, as issue 9 asks: upload a file saved
// with semicolons and a byte order mark, see its problem named by line and
// column with nothing written, upload the fixed file, import it and see it
// on the dashboard; the same file again changes nothing; the export has the
// import's format. Without JavaScript too.
//
// Files share one database: this one works in quarter 2023-Q1, which the
// import creates and nothing else looks at.
import { test, expect } from '@playwright/test';
import { EMILY, keyResultNamed, signIn, signInNoJs, waitForHydration, ROW } from './helpers.mjs';

const QUARTER = '2023-Q1';
const HEADER = 'Quarter;Team;Objective;Objective Owner Email;Key Result;Owner Email;Unit;Start;Target';
const ROWS = [
  `${QUARTER};Direct Channel Sales;"Win the spring; sale";sarah.chen@airline.com;Grow app bookings from $2M to $3M;mike.johnson@airline.com;$;2000000;3000000`,
  `${QUARTER};Direct Channel Sales;"Win the spring; sale";sarah.chen@airline.com;Lift conversion from 2,5% to 3%;sarah.chen@airline.com;%;2,5;3`,
  `${QUARTER};Corporate Sales;Sign partners;lisa.wang@airline.com;Sign 5 travel agencies;james.rodriguez@airline.com;#;0;5`,
];

/** A CSV as a spreadsheet saves it: BOM, semicolons, CRLF. */
function spreadsheet(rows) {
  return Buffer.from(`\uFEFF${[HEADER, ...rows].join('\r\n')}\r\n`, 'utf8');
}

async function upload(page, name, buffer) {
  await page.goto('/import');
  await page.getByLabel('The file holds').selectOption('okrs');
  await page.getByLabel(/CSV file/).setInputFiles({ name, mimeType: 'text/csv', buffer });
  await page.getByTestId('upload-submit').click();
  await page.waitForURL(/\/import\/[0-9a-f-]{36}$/);
}

test.describe.serial('importing OKRs from a spreadsheet', () => {
  test('a file with one bad row imports nothing and names the row', async ({ page }) => {
    await signIn(page, EMILY);
    const bad = [...ROWS];
    bad[1] = bad[1].replace('sarah.chen@airline.com;%', 'nobody@airline.com;%');
    await upload(page, 'spring-bad.csv', spreadsheet(bad));
    await expect(page.getByTestId('import-problems-count')).toContainText('1 problem:');
    await expect(page.getByTestId('import-problem')).toHaveText([
      'line 3, column owner_email: no person has the email "nobody@airline.com"',
    ]);
    await expect(page.getByTestId('commit-import')).toHaveCount(0);
    await page.goto('/');
    await expect(page.locator('#quarter-select option'), 'the quarter was not created').not.toContainText([QUARTER]);
  });

  test('the fixed file previews, imports with progress, and shows on the dashboard', async ({ page }) => {
    await signIn(page, EMILY);
    await upload(page, 'spring.csv', spreadsheet(ROWS));
    const summary = page.getByTestId('import-summary');
    await expect(summary).toContainText('2 objectives to create, 0 to update, 0 as they are');
    await expect(summary).toContainText('3 key results to create');
    await expect(summary).toContainText(`quarters to create: ${QUARTER}`);
    await waitForHydration(page);
    await page.getByTestId('commit-import').click();
    await expect(page.getByTestId('import-done')).toBeVisible({ timeout: 20_000 });

    await page.goto(`/?quarter=${QUARTER}`);
    await expect(page.locator('.key-result')).toHaveCount(3);
    await expect(keyResultNamed(page, 'Grow app bookings from $2M to $3M').locator(ROW.current)).toHaveText('$2M');
    await expect(keyResultNamed(page, 'Lift conversion from 2,5% to 3%').locator(ROW.current)).toHaveText('2.5%');

    await page.goto('/imports');
    await expect(page.getByTestId('import-row').first()).toContainText('spring.csv');
    await expect(page.getByTestId('import-row').first()).toContainText('3 key results created');
  });

  test('the export has the import format, and re-importing the same file changes nothing (without JavaScript)', async ({
    browser,
  }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInNoJs(page, EMILY);
    const exported = await page.request.get(`/quarters/${QUARTER}/export/okrs`);
    expect(exported.status()).toBe(200);
    expect(exported.headers()['content-type']).toContain('text/csv');
    const lines = (await exported.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'quarter,team,objective,objective_owner_email,key_result,owner_email,unit,start,target,current,parent_team,parent_objective,parent_key_result',
    );
    expect(lines).toHaveLength(4);
    expect(lines).toContain(
      `${QUARTER},Direct Channel Sales,Win the spring; sale,sarah.chen@airline.com,"Lift conversion from 2,5% to 3%",sarah.chen@airline.com,%,2.50,3.00,2.50,,,`,
    );

    await upload(page, 'spring.csv', spreadsheet(ROWS));
    await expect(page.getByTestId('identical-import')).toContainText('spring.csv');
    await expect(page.getByTestId('nothing-changes')).toBeVisible();
    await page.getByTestId('commit-import').click();
    await expect(page.getByTestId('import-done')).toBeVisible({ timeout: 20_000 });
    await page.goto(`/?quarter=${QUARTER}`);
    await expect(page.locator('.key-result')).toHaveCount(3);
    await context.close();
  });
});
