import { jest } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import type { RunLog } from '../../functions/shared/run-log';
import { runLogFor } from '../../local/client';
import { land, waitForIngestion } from '../support/landing';
import { cli, startLocalStack, type RunningStack } from '../support/local-stack';
import { apiJson } from '../support/api';

jest.setTimeout(600_000);

// The contracts the package ships (no LANDING_ETL_DATASETS_DIR): what `npm start` builds from datasets/.
let stack: RunningStack;
let runLog: RunLog;
let sql: postgres.Sql;

beforeAll(async () => {
  stack = await startLocalStack();
  runLog = runLogFor(stack.info);
  sql = postgres(stack.info.databaseUrl, { max: 2 });
});

afterAll(async () => {
  await sql?.end();
  expect(await stack?.stop()).toBe(0);
});

const CAFE_KEY = 'cafe_transactions/2021-08-26/till.csv';
const CHECKINS_KEY = 'dailycheckin/2021-08-26/checkins.csv';
const pseudonym = (name: string) => createHmac('sha256', readFileSync(join(stack.dir, 'privacy-key'), 'utf8').trim()).update(name).digest('hex');

test('two datasets from different domains land side by side and each loads into the table its contract describes', async () => {
  const since = new Date().toISOString();
  const cafe = land(stack.info, CAFE_KEY, readFileSync('samples/cafe_transactions-sample.csv'));
  const checkins = land(stack.info, CHECKINS_KEY, 'user,timestamp,hours,project\ncafe-owner,2021-08-25 09:00:00 UTC,2,apollo\ncafe-owner,08/25/2021 10:00 AM,1,gemini\n');
  const [cafeRun, checkinRun] = await Promise.all([waitForIngestion(runLog, cafe, since), waitForIngestion(runLog, checkins, since)]);
  expect(cafeRun).toMatchObject({ status: 'SUCCEEDED', dataset: 'cafe_transactions', businessDate: '2021-08-26', ingestedTable: 'cafe_transactions' });
  expect(checkinRun).toMatchObject({ status: 'SUCCEEDED', dataset: 'dailycheckin', ingestedTable: 'daily_checkins' });

  // Exact rows out of the known file: UK local times in UTC, names pseudonymised with the stack's key, cards masked.
  const rows = await sql`
    SELECT source_line, transaction_id, sold_at, branch, customer_hash, item_count, payment_type, total::text AS total,
           card_number, loyalty_member
    FROM cafe_transactions WHERE ingestion_id = ${cafeRun.ingestionId} ORDER BY source_line`;
  expect(rows.map((r) => ({ ...r, sold_at: (r.sold_at as Date).toISOString() }))).toEqual([
    { source_line: 2, transaction_id: 'TX-000101', sold_at: '2021-08-25T07:02:00.000Z', branch: 'Camden', customer_hash: pseudonym('Olivia Bennett'), item_count: '2', payment_type: 'contactless', total: '6.40', card_number: '************1234', loyalty_member: true },
    { source_line: 3, transaction_id: 'TX-000102', sold_at: '2021-08-25T07:15:00.000Z', branch: 'Camden', customer_hash: null, item_count: '1', payment_type: 'cash', total: '2.80', card_number: null, loyalty_member: false },
    { source_line: 4, transaction_id: 'TX-000103', sold_at: '2021-08-25T07:31:00.000Z', branch: 'Shoreditch', customer_hash: pseudonym('Mohammed Khan'), item_count: '3', payment_type: 'card', total: '9.75', card_number: '************5454', loyalty_member: true },
    { source_line: 5, transaction_id: 'TX-000104', sold_at: '2021-08-25T08:00:00.000Z', branch: 'Brixton', customer_hash: pseudonym('Chloé Martin'), item_count: '1', payment_type: 'contactless', total: '3.60', card_number: '***********0126', loyalty_member: false },
    { source_line: 6, transaction_id: 'TX-000105', sold_at: '2021-08-25T11:47:00.000Z', branch: 'Islington', customer_hash: pseudonym('Olivia Bennett'), item_count: '3', payment_type: 'card', total: '11.20', card_number: '************1234', loyalty_member: true },
    { source_line: 7, transaction_id: 'TX-000106', sold_at: '2021-08-25T12:05:00.000Z', branch: 'Shoreditch', customer_hash: pseudonym("Daniel O'Connor"), item_count: '3', payment_type: 'cash', total: '8.95', card_number: null, loyalty_member: false },
    { source_line: 8, transaction_id: 'TX-000107', sold_at: '2021-08-26T06:58:00.000Z', branch: 'Camden', customer_hash: pseudonym('Priya Patel'), item_count: '1', payment_type: 'contactless', total: '2.20', card_number: '************9424', loyalty_member: true },
    { source_line: 9, transaction_id: 'TX-000108', sold_at: '2021-08-26T16:30:00.000Z', branch: 'Brixton', customer_hash: pseudonym('Tom Hughes'), item_count: '24', payment_type: 'card', total: '58.50', card_number: '************1111', loyalty_member: false },
  ]);

  // The quality report names the refused and the warned lines.
  const report = JSON.parse(
    readFileSync(join(stack.info.dataFolder!, 'staging', 'cafe_transactions', cafeRun.ingestionId, 'quality-report.json'), 'utf8'),
  ) as { rowsIn: number; accepted: number; rejected: number; rules: Array<{ rule: string; severity: string; failed: number; examples: Array<{ line: number; value: string }> }> };
  expect([report.rowsIn, report.accepted, report.rejected]).toEqual([10, 8, 2]);
  expect(report.rules.filter((r) => r.failed).map((r) => [r.rule, r.severity, r.failed, r.examples.map((e) => [e.line, e.value])])).toEqual([
    ['Date.format', 'quarantine', 1, [[10, '26/08/2021 24:10']]],
    ['Item Count.range', 'warn', 1, [[9, '24']]],
    ['Payment Type.allowed', 'quarantine', 1, [[11, 'cheque']]],
  ]);

  // The check-ins of the same day are served as they always were.
  const served = (await apiJson<{ response: unknown[] }>(stack.info, '/get?user=cafe-owner')).body;
  expect(served.response).toEqual([
    { user: 'cafe-owner', project: 'gemini', hours: 1, timestamp: '2021-08-25T10:00:00.000000Z' },
    { user: 'cafe-owner', project: 'apollo', hours: 2, timestamp: '2021-08-25T09:00:00.000000Z' },
  ]);

  // The CLI and the API list both datasets' runs without being told they exist.
  const runs = await cli(stack.dir, ['runs']);
  expect(runs.code).toBe(0);
  expect(runs.stdout).toContain(cafeRun.ingestionId);
  expect(runs.stdout).toContain(checkinRun.ingestionId);
  const listed = (await apiJson<{ items: Array<{ ingestionId: string }> }>(stack.info, '/ingestions?dataset=cafe_transactions')).body;
  expect(listed.items.map((i) => i.ingestionId)).toEqual([cafeRun.ingestionId]);
});

test('a new version of a cafe file replaces the rows the earlier one loaded', async () => {
  const before = await sql`SELECT count(*)::int AS n FROM cafe_transactions`;
  expect(before[0]!.n).toBe(8);
  const since = new Date().toISOString();
  const lines = readFileSync('samples/cafe_transactions-sample.csv', 'utf8').trim().split('\n');
  const fixed = [lines[0], lines[1], lines[9]!.replace('24:10', '14:10'), lines[10]!.replace('cheque', 'card')].join('\n');
  const run = await waitForIngestion(runLog, land(stack.info, CAFE_KEY, fixed), since);
  expect(run.status).toBe('SUCCEEDED');
  const rows = await sql`SELECT transaction_id, sold_at, payment_type, ingestion_id FROM cafe_transactions ORDER BY source_line`;
  expect(rows.map((r) => [r.transaction_id, (r.sold_at as Date).toISOString(), r.payment_type, r.ingestion_id])).toEqual([
    ['TX-000101', '2021-08-25T07:02:00.000Z', 'contactless', run.ingestionId],
    ['TX-000109', '2021-08-26T13:10:00.000Z', 'card', run.ingestionId],
    ['TX-000110', '2021-08-26T17:02:00.000Z', 'card', run.ingestionId],
  ]);
  const record = await runLog.get(run.ingestionId);
  expect(record!.stages[2]!.metrics).toMatchObject({ rowsOut: 3, replaced: 8, table: 'cafe_transactions' });
});

test('a file for a dataset without a contract is rejected naming every known dataset', async () => {
  const since = new Date().toISOString();
  const summary = await waitForIngestion(runLog, land(stack.info, 'council_complaints/2021-08-26/complaints.csv', 'a,b\n1,2\n'), since);
  expect(summary.status).toBe('REJECTED');
  expect(summary.cause).toMatch(/known datasets: cafe_transactions, dailycheckin$/);
});
