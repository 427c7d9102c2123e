import { jest } from '@jest/globals';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetJobRunCommand, GlueClient, StartJobRunCommand, type JobRun } from '@aws-sdk/client-glue';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import type { IngestionSummary, RunLog } from '../../functions/shared/run-log';
import { runLogFor } from '../../local/client';
import { localAws } from '../../local/layout';
import { land, waitForIngestion } from '../support/landing';
import { filesUnder, found, parquetFiles, spellings, stringsIn } from '../support/leaks';
import { cli, startLocalStack, type RunningStack } from '../support/local-stack';
import { apiFetch, apiJson, apiToken } from '../support/api';

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
    readFileSync(join(stack.info.dataFolder!, 'staging', 'cafe_transactions', cafeRun.ingestionId, `attempt-${cafeRun.attempt}`, 'quality-report.json'), 'utf8'),
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

let hostileRun: IngestionSummary | undefined;

/** Every API call of the privacy test, with a token of the scope its route needs. */
async function api(path: string): Promise<{ status: number; body: string }> {
  const res = await apiFetch(stack.info, path);
  return { status: res.status, body: await res.text() };
}

test('hostile values of the privacy columns reach no run log, alert, API response, log, table or staged file in clear', async () => {
  // Customer names (hashed) with combining marks, line and paragraph separators, NEL, astral characters and a byte
  // that is not UTF-8, each with a marker; card numbers (masked) split by line breaks inside quotes and by U+2028.
  const names = ['Zoe\u0308 Q\u0301uinn Xq7n1', 'Ann\u2028Lines Xq7n2', 'Bo\u2029Para\u0085Nel Xq7n3', '\u{1F98A} Fox \u{1D518}nicode Xq7n4'];
  const invalidName = 'Jos\ufffd Xq7n5'; // as the jobs read Jos, the byte E9, " Xq7n5"
  const cards = ['5105\n1051\n0510\n5100', '5105\u20281051\u20290510\u00855100'];
  const row = (n: number, name: string, card: string) => `TX-0002${String(n).padStart(2, '0')},27/08/2021 09:${String(n).padStart(2, '0')},Camden,${name},Tea,1,card,2.00,${card},Y\n`;
  const [beforeByte, afterByte] = row(11, '\u0000', '5105105105105100').split('\u0000');
  const file = Buffer.concat([
    Buffer.from('Transaction ID,Date,Branch,Customer Name,Items,Item Count,Payment Type,Total,Card Number,Loyalty Member\n'),
    Buffer.from(names.map((name, i) => row(i + 1, name, '5105105105105100')).join('')), // lines 2-5
    Buffer.from([5, 6, 7, 8, 9, 10].map((n) => row(n, '', '')).join('')), // 6-11
    Buffer.concat([Buffer.from(`${beforeByte}Jos`), Buffer.from([0xe9]), Buffer.from(` Xq7n5${afterByte}`)]), // 12
    Buffer.from(row(12, '', `"${cards[0]}"`) + row(13, '', cards[1]!)), // 13-16, 17
  ]);
  const since = new Date().toISOString();
  const run = await waitForIngestion(runLog, land(stack.info, 'cafe_transactions/2021-08-27/hostile.csv', file), since);
  expect(run).toMatchObject({ status: 'SUCCEEDED', dataset: 'cafe_transactions' });
  hostileRun = run;

  // Exactly what the contract says: names as their keyed hash, cards masked to their last four characters.
  const served = await sql`SELECT source_line, customer_hash, card_number FROM cafe_transactions WHERE ingestion_id = ${run.ingestionId} AND customer_hash IS NOT NULL ORDER BY source_line`;
  expect(served.map((r) => [r.source_line, r.customer_hash, r.card_number])).toEqual(names.map((name, i) => [i + 2, pseudonym(name), '************5100']));
  const report = await api(`/ingestions/${run.ingestionId}/report`);
  expect(report.status).toBe(200);
  const rules = (JSON.parse(report.body) as { rules: Array<{ rule: string; examples: Array<{ line: number; value: string }> }> }).rules;
  const examples = Object.fromEntries(rules.map((r) => [r.rule, r.examples.map((e) => [e.line, e.value])]));
  expect(examples['Card Number.pattern']).toEqual([[13, `${'*'.repeat(15)}5100`], [17, `${'*'.repeat(15)}5100`]]);
  expect(examples['Customer Name.encoding']).toEqual([[12, pseudonym(invalidName)]]);

  const staging = join(stack.info.dataFolder!, 'staging', 'cafe_transactions', run.ingestionId, `attempt-${run.attempt}`);
  const staged = parquetFiles(staging);
  expect(new Set(staged.map((f) => f.file.slice(staging.length + 1).split('/')[0]))).toEqual(new Set(['transformed', 'accepted', 'rejected']));
  const rejected = staged.filter((f) => f.file.includes('/rejected/')).flatMap((f) => f.rows);
  expect(rejected.map((r) => [r.source_line, r['Customer Name'], r['Card Number']]).sort()).toEqual([
    [12, pseudonym(invalidName), '************5100'],
    [13, null, `${'*'.repeat(15)}5100`],
    [17, null, `${'*'.repeat(15)}5100`],
  ]);

  // Nowhere in clear: each value, its marker, and the card's digits without their breaks.
  const clear = [...names, invalidName, ...cards];
  // And the token this test called the API with: no log or stored output keeps a caller's token.
  const token = (await apiToken(stack.info, 'operations'))!;
  const needles = [...clear.flatMap(spellings), 'Xq7n1', 'Xq7n2', 'Xq7n3', 'Xq7n4', 'Xq7n5', '510510510510', token];
  const runLogItems = (await new DynamoDBClient({ endpoint: stack.info.dynamodbEndpoint, ...localAws }).send(new ScanCommand({ TableName: stack.info.runLogTable }))).Items;
  const responses = await Promise.all(
    [`/ingestions/${run.ingestionId}`, `/ingestions/${run.ingestionId}/report`, '/ingestions?dataset=cafe_transactions&limit=50', '/datasets', '/'].map(async (path) => [path, await api(path)] as const),
  );
  const tables = await sql<{ t: string }[]>`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`;
  const rows = await Promise.all(tables.map(async ({ t }) => [t, await sql`SELECT row_to_json(x)::text AS j FROM ${sql(t)} x`] as const));
  const status = await cli(stack.dir, ['status', run.ingestionId]);
  const landed = join(stack.info.dataFolder!, '..', stack.info.landingBucket);
  // The transform reads the landed object through a copy of its own in staging (docs/limits.md, Keys): the landed
  // file byte for byte, so it is the landing zone's, and it is skipped as the landing zone is.
  const stagedSource = join(staging, 'source', 'source.csv');
  expect(readFileSync(stagedSource)).toEqual(file);
  const calls = process.env.LANDING_ETL_AWS_CALLS;
  const places: Array<[string, string]> = [
    ...(runLogItems ?? []).flatMap((item) => stringsIn(item).map((s): [string, string] => ['a run-log item', s])),
    ...responses.flatMap(([path, r]) => [[`GET ${path}`, r.body] as [string, string], ...(path === '/' ? [] : stringsIn(JSON.parse(r.body)).map((s): [string, string] => [`GET ${path}`, s]))]),
    ...rows.flatMap(([t, rs]) => rs.flatMap((r) => stringsIn(JSON.parse(r.j as string)).map((s): [string, string] => [`table ${t}`, s]))),
    ...staged.flatMap((f) => stringsIn([f.rows, f.stats]).map((s): [string, string] => [f.file, s])),
    // Every file of the stack: Glue job and driver logs, Lambda logs, executions, notifications, the report… but
    // the landed file itself and its staged copy (they hold the clear values), the binary stores read above, the Parquet.
    ...filesUnder(stack.dir, (p) => p === landed || p === stagedSource || ['postgres', 'dynamodb', 'privacy-key'].some((n) => p === join(stack.dir, n)) || p.endsWith('.parquet')),
    ['the stack output (the Lambda logs)', stack.output()],
    ['landing-etl status', status.stdout + status.stderr],
    ...(calls && existsSync(calls) ? [['the recorded AWS calls', readFileSync(calls, 'utf8')] as [string, string]] : []),
  ];
  expect(places.some(([where]) => where.endsWith('notifications.jsonl'))).toBe(true);
  expect(places.some(([where]) => /glue\/.*-driver\.log$/.test(where))).toBe(true);
  expect(found(needles, places)).toEqual([]);
});

test('the query function reads the serving tables as the read-only role, with no secret but the reader\'s', async () => {
  expect((await api('/get?user=cafe-owner')).status).toBe(200);
  // Its pool keeps the connection a minute: the server says who it is.
  const sessions = await sql`SELECT usename FROM pg_stat_activity WHERE application_name = 'landing-etl-query'`;
  expect(sessions.length).toBeGreaterThan(0);
  expect(new Set(sessions.map((s) => s.usename))).toEqual(new Set(['landing_etl_reader']));
  const calls = process.env.LANDING_ETL_AWS_CALLS ?? join(stack.dir, 'aws-calls.jsonl');
  const read = readFileSync(calls, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { principal: string; action: string; resource: string; test?: string })
    .filter((c) => c.test === 'test/e2e/datasets.test.ts' && c.principal === 'QueryRole' && c.action === 'secretsmanager:GetSecretValue');
  expect(read.length).toBeGreaterThan(0);
  expect(read.filter((c) => !/:secret:landing-etl\/dev\/database-reader-/.test(c.resource))).toEqual([]);
});

test('a load job run naming another database host, secret, TLS mode or migrations still connects only where the template says', async () => {
  // As whoever may call glue:StartJobRun: the state machine's role, through the local Glue API.
  const glue = new GlueClient({ endpoint: stack.info.awsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'StateMachineRole', secretAccessKey: 'local' } });
  const jobName = 'landing-etl-dev-load';
  const load = (await runLog.get(hostileRun!.ingestionId))!.stages.find((s) => s.stage === 'load')!;
  const { JobRun: loaded } = await glue.send(new GetJobRunCommand({ JobName: jobName, RunId: load.glueRunId! }));
  const elsewhere = {
    '--db_host': '203.0.113.7',
    '--db_sslmode': 'disable',
    '--db_secret_arn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:someone-else-AbCdEf',
    '--db_sslrootcert': 's3://someone-else/ca.pem',
    '--migrations_uri': 's3://someone-else/migrations',
  };
  const { JobRunId } = await glue.send(new StartJobRunCommand({ JobName: jobName, Arguments: { ...loaded!.Arguments, ...elsewhere } }));
  const deadline = Date.now() + 120_000;
  let run: JobRun | undefined;
  while (!['SUCCEEDED', 'FAILED', 'STOPPED'].includes(run?.JobRunState ?? '')) {
    if (Date.now() > deadline) throw new Error(`load run ${JobRunId} still ${run?.JobRunState} at the deadline`);
    await new Promise((r) => setTimeout(r, 250));
    ({ JobRun: run } = await glue.send(new GetJobRunCommand({ JobName: jobName, RunId: JobRunId! })));
  }
  // Any of those would have failed it (a refused TLS mode, a secret that does not exist, a host that does not answer).
  expect({ state: run!.JobRunState, error: run!.ErrorMessage }).toEqual({ state: 'SUCCEEDED', error: undefined });
  for (const key of Object.keys(elsewhere)) expect({ key, value: run!.Arguments![key] }).toEqual({ key, value: loaded!.Arguments![key] });
  glue.destroy();
});
