import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { latestDueBusinessDate } from '../../functions/shared/freshness';
import type { IngestionSummary, RunLog } from '../../functions/shared/run-log';
import { landingUri, runLogFor } from '../../local/client';
import { launchChromium, screenshot, seriousViolations } from '../support/browser';
import { land, waitForIngestion } from '../support/landing';
import { startLocalStack, type RunningStack } from '../support/local-stack';
import { publishedAtLeast } from '../support/notifications';
import { overdueDatasets } from '../support/overdue-datasets';
import { apiToken, pageUrl } from '../support/api';

/** The operator page as a person sees it, in Debian's Chromium: a stack that loaded its sample, a file that fails the
 *  quality gate at test, and a good file followed live to SUCCEEDED. Screenshots go to .local/screenshots/. */

jest.setTimeout(600_000);

const GOOD = 'user,timestamp,hours,project\nana,2026-11-21 09:00:00 UTC,2,apollo\nboris,2026-11-21 10:00:00 UTC,3.5,gemini\n';
// Two of three rows break hours.range: 67 % rejected, above the contract's max_reject_ratio of 5 %.
const BAD = 'user,timestamp,hours,project\nana,2026-11-20 09:00:00 UTC,30,apollo\nboris,2026-11-20 10:00:00 UTC,99,gemini\ncleo,2026-11-20 11:00:00 UTC,1,apollo\n';

const checkAt = new Date();
const datasets = overdueDatasets(checkAt);
// The latest business date whose file is due by now: nothing of it has landed.
const due = latestDueBusinessDate(datasets.schedule, checkAt);

const alerts = (event: string) => publishedAtLeast(stack.info, 1, (m) => m.event === event && m.businessDate === due);

let stack: RunningStack;
let runLog: RunLog;
let browser: Browser;
let context: BrowserContext;
let sample: IngestionSummary;

beforeAll(async () => {
  // The state machine polls Glue every 3 s, so a run lasts long enough to be watched from its start; the freshness
  // checker ticks every second, its clock at the test's start (after the latest business date's due time).
  const env = { LOCAL_POLL_MS: '3000', LOCAL_SCHEDULE_EVERY_MS: '1000', LOCAL_SCHEDULE_TIME: checkAt.toISOString(), LANDING_ETL_DATASETS_DIR: datasets.dir };
  [stack, browser] = await Promise.all([startLocalStack({ timeoutMs: 400_000, env }), launchChromium()]);
  runLog = runLogFor(stack.info);
  sample = (await runLog.forObject(landingUri(stack.info, 'dailycheckin/2018-11-26/sample.csv'), { limit: 1 }))[0]!;
  expect(sample.status).toBe('SUCCEEDED');
  // A zone other than UTC, so the page shows both.
  context = await browser.newContext({ timezoneId: 'America/New_York', viewport: { width: 1360, height: 900 } });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Opens a view with an operations token in the address, as `landing-etl token --page` prints it. */
async function open(page: Page, hash: string): Promise<void> {
  await page.goto(await pageUrl(stack.info, hash));
  await page.waitForSelector('main[data-ready]');
}

const row = (page: Page, id: string) => page.locator(`tr[data-ingestion="${id}"]`);

test('a failed and a live-followed run, the lists, the quality report and the charts, as a person sees them', async () => {
  const since = new Date().toISOString();
  const goodUri = land(stack.info, 'dailycheckin/2026-11-21/good.csv', GOOD);
  const running = await waitForIngestion(runLog, goodUri, since, () => true);
  const badUri = land(stack.info, 'dailycheckin/2026-11-20/bad.csv', BAD);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // One ingestion, opened while it runs: it updates in place until SUCCEEDED.
  await open(page, `#/ingestion/${running.ingestionId}`);
  expect(await page.locator('#run-status').getAttribute('data-status')).toMatch(/^(RECEIVED|RUNNING)$/);
  await page.evaluate('window.__notReloaded = true');
  await page.locator('#run-status[data-status="SUCCEEDED"]').waitFor({ timeout: 300_000 });
  expect(await page.evaluate('window.__notReloaded')).toBe(true);
  await page.locator('#quality table.rules').waitFor();
  const load = page.locator('tr[data-stage="load"][data-attempt="1"]');
  await expect(load.locator('td').nth(1).textContent()).resolves.toBe('SUCCEEDED');
  // Its cost at list price and its Glue job run, per stage.
  await expect(load.locator('td').nth(9).textContent()).resolves.toMatch(/^\$0\.\d{4}$/);
  await expect(load.locator('td').nth(7).locator('summary').textContent()).resolves.toMatch(/^jr_\w{8}…$/);
  await expect(load.locator('td').nth(10).locator('code').textContent()).resolves.toMatch(/\/glue\/landing-etl-dev-load-jr_\w+\.log$/);
  expect(await page.locator('time .local').first().textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} America\/New_York$/);
  await screenshot(page, 'ingestion');
  expect(await seriousViolations(page)).toEqual([]);

  // The failed one: where it stopped, why, the rejects per rule with an example, where they are, how to retry.
  const bad = await waitForIngestion(runLog, badUri, since);
  expect(bad).toMatchObject({ status: 'FAILED', stage: 'test' });
  await open(page, `#/ingestion/${bad.ingestionId}`);
  await expect(page.locator('[data-field="failed-stage"]').textContent()).resolves.toBe('test');
  await expect(page.locator('.failure [data-field="reason"]').textContent()).resolves.toMatch(/2 of 3 rows rejected .*max_reject_ratio/);
  await expect(page.locator('[data-field="retry"]').textContent()).resolves.toBe(`npx landing-etl retry ${bad.ingestionId}`);
  const rule = page.locator('tr[data-rule="hours.range"]');
  await expect(rule.getAttribute('data-failed')).resolves.toBe('2');
  await expect(rule.locator('li').first().textContent()).resolves.toMatch(/^line 2: "30" — .+/);
  await expect(page.locator('[data-field="rejected-location"]').textContent()).resolves.toMatch(
    new RegExp(`^s3://${stack.info.dataBucket}/staging/dailycheckin/${bad.ingestionId}/attempt-1/rejected/$`),
  );
  await screenshot(page, 'ingestion-failed');
  expect(await seriousViolations(page)).toEqual([]);

  // The list, newest first, reached from the navigation with the keyboard.
  await open(page, '#/datasets');
  await page.locator('nav a[data-view="ingestions"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('main[data-ready="ingestions"]');
  // Focus moved to the view (screen readers read it next), without a focus ring around the whole view.
  await page.waitForFunction(() => document.activeElement?.id === 'main');
  await expect(page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).resolves.toBe('none');
  // It opens on the first dataset by name (cafe_transactions, with no runs here): pick check-ins in the filter.
  await expect(page.locator('[data-empty]').textContent()).resolves.toBe('No ingestions of cafe_transactions.');
  await page.selectOption('#f-dataset', 'dailycheckin');
  await page.locator('form.filters button').click();
  await page.waitForFunction(() => location.hash.includes('dataset=dailycheckin'));
  await page.waitForSelector('main[data-ready="ingestions"] tbody tr');
  const ids = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-ingestion')));
  expect(ids).toEqual(expect.arrayContaining([sample.ingestionId, bad.ingestionId, running.ingestionId]));
  expect(ids.indexOf(sample.ingestionId)).toBeGreaterThan(ids.indexOf(running.ingestionId));
  await expect(row(page, bad.ingestionId).getAttribute('data-status')).resolves.toBe('FAILED');
  await expect(row(page, bad.ingestionId).locator('[data-field="stage"]').textContent()).resolves.toBe('test');
  await expect(row(page, bad.ingestionId).locator('[data-field="reason"]').textContent()).resolves.toMatch(/QualityGateFailed|rows rejected/);
  await expect(row(page, running.ingestionId).getAttribute('data-status')).resolves.toBe('SUCCEEDED');
  // Rows in, accepted, rejected of the failed run, from its summary.
  await expect(row(page, bad.ingestionId).locator('td.num').allTextContents()).resolves.toEqual([expect.any(String), '3', '1', '2', '0', '1']);
  await screenshot(page, 'ingestions');
  expect(await seriousViolations(page)).toEqual([]);

  // Filtered by status: only the failed run.
  await page.selectOption('#f-status', 'FAILED');
  await page.locator('form.filters button').click();
  await page.waitForFunction(() => location.hash.includes('status=FAILED'));
  await page.waitForSelector('main[data-ready="ingestions"]');
  expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual(['FAILED']);

  // The datasets view: the latest due file never came, so the dataset is missing (and the checker alerted once); the
  // last run, and charts drawn from the daily figures.
  await open(page, '#/datasets');
  const dataset = page.locator('section[data-dataset="dailycheckin"]');
  await expect(dataset.locator('[data-freshness]').textContent()).resolves.toBe('missing');
  await expect(dataset.locator('[data-field="freshness"]').textContent()).resolves.toMatch(new RegExp(`^missing for ${due} · last success \\d+ min ago$`));
  expect(await alerts('FILE_MISSING')).toHaveLength(1);
  await dataset.locator('.plot canvas').first().waitFor();
  expect(Number(await dataset.locator('.plot').first().getAttribute('data-points'))).toBeGreaterThan(0);
  await screenshot(page, 'datasets');
  expect(await seriousViolations(page)).toEqual([]);

  // The missing file arrives: the dataset is no longer missing but late, by how much.
  const lateSince = new Date().toISOString();
  const lateUri = land(stack.info, `dailycheckin/${due}/late.csv`, GOOD);
  await waitForIngestion(runLog, lateUri, lateSince);
  await page.reload();
  await page.waitForSelector('main[data-ready="datasets"]');
  await expect(dataset.locator('[data-freshness]').textContent()).resolves.toBe('late');
  await expect(dataset.locator('[data-field="freshness"]').textContent()).resolves.toMatch(new RegExp(`^arrived late for ${due} \\((\\d+ (min|h|days)[ \\d\\w]*) late\\)`));
  expect(errors).toEqual([]);
});

test('without a token the API takes the page says how to get one; a token in the address leaves it for the tab', async () => {
  const page = await context.newPage();
  const tokenProblem = async (url: string) => {
    await page.goto(url);
    await page.waitForSelector('main[data-ready]');
    return page.locator('[data-token]').getAttribute('data-token');
  };
  await expect(tokenProblem(`${stack.info.apiUrl}/#/datasets`)).resolves.toBe('missing');
  await expect(page.locator('[data-field="token-command"]').textContent()).resolves.toBe('npx landing-etl token --scope operations --page');
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto(await pageUrl(stack.info, '#/ingestions?dataset=dailycheckin'));
  await page.waitForSelector('main[data-ready="ingestions"] tbody tr');
  expect(await page.evaluate(() => [location.hash, sessionStorage.getItem('landing-etl.token')])).toEqual([
    '#/ingestions?dataset=dailycheckin',
    await apiToken(stack.info, 'operations'),
  ]);
  await expect(tokenProblem(`${stack.info.apiUrl}/#/datasets?token=${await apiToken(stack.info, 'rows')}`)).resolves.toBe('scope');
  await expect(tokenProblem(`${stack.info.apiUrl}/#token=not.a.token`)).resolves.toBe('refused');
  await page.close();
});
