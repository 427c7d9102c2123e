import { jest } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestionView } from '../../functions/shared/ingestion-view';
import { InvalidCursorError } from '../../functions/shared/errors';
import type { IngestionSummary, NewIngestion, Page } from '../../functions/shared/run-log';
import { startAwsApi } from '../../local/aws-api';
import { startHttpApi, type HttpHandler } from '../../local/http-api';
import { cli } from '../support/local-stack';
import { healthyJobs, receivedIngestion, startOrchestration } from '../support/orchestration';

jest.setTimeout(60_000);

let env: Awaited<ReturnType<typeof startOrchestration>>;
let api: Awaited<ReturnType<typeof startAwsApi>>;
let http: Awaited<ReturnType<typeof startHttpApi>>;
let dir: string;

/** Ten ingestions of dataset "pages", received a minute apart, every third one REJECTED; newest first. */
const seeded: string[] = [];

beforeAll(async () => {
  env = await startOrchestration();
  api = await startAwsApi(env.stepFunctions, env.glue, () => {});
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: env.dynamo.endpoint,
    RUN_LOG_TABLE: env.names.runLogTable,
    DATA_BUCKET: 'data',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const { handler } = (await import('../../functions/ingestions/handler')) as unknown as { handler: HttpHandler };
  http = await startHttpApi(
    [
      { routeKey: 'GET /ingestions', handler },
      { routeKey: 'GET /ingestions/{id}', handler },
    ],
    0,
    () => true,
  );
  // The CLI finds the "local stack" through its stack file: here, this test's run log and Step Functions.
  dir = mkdtempSync(join(tmpdir(), 'landing-etl-cli-'));
  writeFileSync(
    join(dir, 'stack.json'),
    JSON.stringify({ pid: process.pid, dynamodbEndpoint: env.dynamo.endpoint, awsEndpoint: api.endpoint, runLogTable: env.names.runLogTable, stateMachineArn: env.names.stateMachineArn }),
  );

  for (let i = 0; i < 10; i++) {
    const ingestion: NewIngestion = {
      ingestionId: `pages-2026010${i}-x`,
      dataset: 'pages',
      businessDate: `2026-01-0${i}`,
      sourceUri: `s3://landing/pages/file-${i}.csv`,
      receivedAt: `2026-01-01T10:0${i}:00.000Z`,
      status: i % 3 === 0 ? 'REJECTED' : 'RECEIVED',
    };
    await env.runLog.create(ingestion);
    seeded.unshift(ingestion.ingestionId);
  }
  // Twenty-five ingestions of one source object (its versions), newest last; only the 3rd, 13th and 23rd REJECTED.
  for (let i = 0; i < 25; i++) {
    const ingestion: NewIngestion = {
      ingestionId: `sparse-${String(i).padStart(2, '0')}`,
      dataset: 'sparse',
      businessDate: '2026-02-01',
      sourceUri: SPARSE_OBJECT,
      receivedAt: `2026-02-01T10:${String(i).padStart(2, '0')}:00.000Z`,
      status: i % 10 === 2 ? 'REJECTED' : 'SUCCEEDED',
    };
    await env.runLog.create(ingestion);
  }
});
const SPARSE_OBJECT = 's3://landing/sparse/daily.csv';
const SPARSE_REJECTED = ['sparse-22', 'sparse-12', 'sparse-02'];
afterAll(async () => {
  await http?.stop();
  await api?.stop();
  await env?.stop();
});

const ids = (items: IngestionSummary[]) => items.map((s) => s.ingestionId);

/** Follows the cursors from the first page to the last (10 pages at most): the pages' items, and how many. */
async function pageThrough(read: (cursor: string | undefined) => Promise<Page<IngestionSummary>>) {
  const pages: IngestionSummary[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 10);
  return { seen: ids(pages.flat()), pages };
}

test('recent ingestions of a dataset come newest first, a page at a time, until the cursor runs out', async () => {
  const { seen, pages } = await pageThrough((cursor) => env.runLog.recent('pages', { limit: 4, cursor }));
  expect(seen).toEqual(seeded);
  expect(pages).toHaveLength(3);
});

test('filtered by status, pages still hold `limit` items where there are that many', async () => {
  const first = await env.runLog.recent('pages', { limit: 3, status: 'REJECTED' });
  expect(ids(first.items)).toEqual(['pages-20260109-x', 'pages-20260106-x', 'pages-20260103-x']);
  const rest = await env.runLog.recent('pages', { limit: 3, status: 'REJECTED', cursor: first.nextCursor! });
  expect(ids(rest.items)).toEqual(['pages-20260100-x']);
  expect(rest.nextCursor).toBeNull();
});

test('filtered by status, a page is filled past runs that do not match, for a dataset and for a source object', async () => {
  // Far more non-matching runs than matching ones: the filter must not apply to one read of `limit` items only.
  const first = await env.runLog.recent('sparse', { limit: 2, status: 'REJECTED' });
  expect(ids(first.items)).toEqual(SPARSE_REJECTED.slice(0, 2));
  const rest = await env.runLog.recent('sparse', { limit: 2, status: 'REJECTED', cursor: first.nextCursor! });
  expect(ids(rest.items)).toEqual(SPARSE_REJECTED.slice(2));

  const byObject = await pageThrough((cursor) => env.runLog.recentOfObject(SPARSE_OBJECT, { limit: 1, status: 'REJECTED', cursor }));
  expect(byObject.seen).toEqual(SPARSE_REJECTED);
  // Each matching run on a page of its own, then at most one empty page that says there is no more.
  expect(byObject.pages.map((p) => p.length)).toEqual([1, 1, 1, 0]);
  const all = await env.runLog.recentOfObject(SPARSE_OBJECT, { limit: 10 });
  expect(ids(all.items)).toEqual(Array.from({ length: 10 }, (_, i) => `sparse-${24 - i}`));
  expect(all.nextCursor).not.toBeNull();
});

test('a cursor that is not one the run log issued, or is for another dataset, is refused by name', async () => {
  await expect(env.runLog.recent('pages', { limit: 2, cursor: 'garbage' })).rejects.toThrow(InvalidCursorError);
  const { nextCursor } = await env.runLog.recent('pages', { limit: 2 });
  await expect(env.runLog.recent('other', { limit: 2, cursor: nextCursor! })).rejects.toThrow(/belongs to dataset "pages"/);
  await expect(env.runLog.recentOfObject(SPARSE_OBJECT, { limit: 2, cursor: nextCursor! })).rejects.toThrow(InvalidCursorError);
  const ofObject = await env.runLog.recentOfObject(SPARSE_OBJECT, { limit: 2 });
  await expect(env.runLog.recentOfObject('s3://landing/other.csv', { limit: 2, cursor: ofObject.nextCursor! })).rejects.toThrow(
    /belongs to object "s3:\/\/landing\/sparse\/daily.csv"/,
  );
  await expect(env.runLog.recent('sparse', { limit: 2, cursor: ofObject.nextCursor! })).rejects.toThrow(InvalidCursorError);
});

test('GET /ingestions pages a dataset and rejects bad parameters with 400s that say what is wrong', async () => {
  const get = async (path: string) => {
    const res = await fetch(`${http.url}${path}`);
    return { status: res.status, body: (await res.json()) as { items?: IngestionSummary[]; nextCursor?: string | null; message?: string } };
  };
  const first = await get('/ingestions?dataset=pages&limit=6');
  expect(first.status).toBe(200);
  const second = await get(`/ingestions?dataset=pages&limit=6&cursor=${first.body.nextCursor}`);
  expect([...ids(first.body.items!), ...ids(second.body.items!)]).toEqual(seeded);
  expect(second.body.nextCursor).toBeNull();
  expect(first.body.items![0]).not.toHaveProperty('pk');
  expect(ids((await get('/ingestions?dataset=pages&status=REJECTED&limit=2')).body.items!)).toEqual(['pages-20260109-x', 'pages-20260106-x']);
  expect(ids((await get(`/ingestions?object=${encodeURIComponent('s3://landing/pages/file-4.csv')}`)).body.items!)).toEqual(['pages-20260104-x']);
  const sparse = `/ingestions?object=${encodeURIComponent(SPARSE_OBJECT)}&status=REJECTED&limit=2`;
  const sparseFirst = await get(sparse);
  expect(ids(sparseFirst.body.items!)).toEqual(SPARSE_REJECTED.slice(0, 2));
  const sparseRest = await get(`${sparse}&cursor=${sparseFirst.body.nextCursor}`);
  expect(ids(sparseRest.body.items!)).toEqual(SPARSE_REJECTED.slice(2));
  expect(sparseRest.body.nextCursor).toBeNull();

  for (const [path, message] of [
    ['/ingestions', /exactly one of the query parameters "dataset" and "object"/],
    ['/ingestions?dataset=pages&limit=0', /"limit" must be 1–100/],
    [`/ingestions?dataset=${'d'.repeat(1025)}`, /"dataset" must be at most 1024 bytes/],
    [`/ingestions?object=${encodeURIComponent(`s3://landing/${'k'.repeat(2040)}`)}`, /"object" must be at most 2048 bytes/],
    ['/ingestions?dataset=pages&limit=abc', /"limit" must be a number/],
    ['/ingestions?dataset=pages&status=DONE', /"status" must be one of RECEIVED, QUEUED, RUNNING, SUCCEEDED, FAILED, REJECTED/],
    ['/ingestions?dataset=pages&cursor=bad', /query parameter "cursor" is not a cursor this API issued/],
    ['/ingestions/bad%20id', /ingestion id must be/],
  ] as const) {
    const res = await get(path);
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect(res.body.message).toMatch(message);
  }
  expect((await get('/ingestions/no-such-id')).status).toBe(404);
});

test('a failed run seen through GET /ingestions/{id} and the CLI, then retried to success with one command', async () => {
  env.glue.jobs = healthyJobs();
  let loadBroken = true;
  env.glue.jobs.load = { run: () => (loadBroken ? { state: 'FAILED', errorMessage: 'OperationalError: database is down' } : { state: 'SUCCEEDED', metrics: { rowsOut: 10 } }) };
  const input = await receivedIngestion(env.runLog);
  const id = input.ingestionId;
  await env.stepFunctions.startExecution(id, JSON.stringify(input));
  await env.finished(id);

  const res = await fetch(`${http.url}/ingestions/${id}`);
  expect(res.status).toBe(200);
  const view = (await res.json()) as IngestionView;
  expect(view.summary).toMatchObject({ ingestionId: id, status: 'FAILED', stage: 'load', cause: 'OperationalError: database is down' });
  expect(view.summary).not.toHaveProperty('executionInput');
  expect(view.stages.map((s) => [s.stage, s.status])).toEqual([
    ['transform', 'SUCCEEDED'],
    ['test', 'SUCCEEDED'],
    ['load', 'FAILED'],
  ]);
  expect(view.stages[0]!.durationSeconds).toBeGreaterThanOrEqual(0);

  const status = await cli(dir, ['status', id]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/status\s+FAILED at LOAD, attempt 1/);
  expect(status.stdout).toMatch(/reason\s+load: Glue job run FAILED: OperationalError: database is down/);
  expect(status.stdout).toMatch(/^STAGE\s+STATUS\s+STARTED\s+DURATION\s+ROWS IN\s+ROWS OUT\s+REJECTED\s+DPU-S\s+COST\s+ERROR$/m);
  // 2 G.1X workers for 7 s: 14 DPU-seconds, billed as the 1-minute minimum at $0.44 per DPU-hour.
  expect(status.stdout).toMatch(/^transform\s+SUCCEEDED\s+\S+ \S+\s+[\d.]+s\s+10\s+10\s+-\s+14\s+\$0\.0147\s+-$/m);
  expect(status.stdout).toMatch(/^cost\s+\$0\.0440 at list price \(42 DPU-seconds, every attempt\)$/m);
  expect(status.stdout).toMatch(/^ {2}transform\s+jr_[0-9a-f]+\s+logs\/\S*jobs-landing-etl-dev-transform-\S*output\/jr_[0-9a-f]+\s+logs\/\S*jobs-landing-etl-dev-transform-\S*error\/jr_[0-9a-f]+$/m);
  expect(status.stdout).toMatch(/^load\s+FAILED\s.*OperationalError: database is down$/m);
  expect(JSON.parse((await cli(dir, ['status', id, '--json'])).stdout)).toEqual(view);

  const failedRuns = await cli(dir, ['runs', '--dataset', 'dailycheckin', '--status', 'failed', '--json']);
  expect((JSON.parse(failedRuns.stdout) as { items: IngestionSummary[] }).items.map((s) => s.ingestionId)).toContain(id);

  loadBroken = false;
  const retried = await cli(dir, ['retry', id]);
  expect(retried.stderr).toBe('');
  expect(retried.code).toBe(0);
  expect(retried.stdout).toMatch(new RegExp(`ingestion ${id}: attempt 2 started`));
  expect(retried.stdout).toMatch(/load\s+SUCCEEDED/);
  const after = await cli(dir, ['status', id]);
  expect(after.stdout).toMatch(/status\s+SUCCEEDED at DONE, attempt 2/);
  expect(after.stdout).toMatch(/attempt 1: FAILED at LOAD — Glue job run FAILED: OperationalError: database is down/);

  const again = await cli(dir, ['retry', id]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/is SUCCEEDED \(attempt 2\); only a FAILED ingestion can be retried/);
});

test('runs --object --status pages through the matching runs of a source object', async () => {
  const first = await cli(dir, ['runs', '--object', SPARSE_OBJECT, '--status', 'rejected', '--limit', '2', '--json']);
  expect(first.stderr).toBe('');
  const page = JSON.parse(first.stdout) as { items: IngestionSummary[]; nextCursor: string | null };
  expect(ids(page.items)).toEqual(SPARSE_REJECTED.slice(0, 2));
  const rest = await cli(dir, ['runs', '--object', SPARSE_OBJECT, '--status', 'rejected', '--limit', '2', '--cursor', page.nextCursor!]);
  expect(rest.code).toBe(0);
  expect(rest.stdout).toMatch(/sparse-02/);
  expect(rest.stdout).not.toMatch(/sparse-12|more: --cursor/);
});

test('the CLI names what is wrong with its arguments and exits 2 with its usage', async () => {
  const bad = await cli(dir, ['runs', '--limit', '0']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--limit must be a whole number 1–100, got "0"/);
  for (const args of [['runs', '--bogus'], ['status', '--stage'], ['frobnicate']]) {
    const usage = await cli(dir, args);
    expect({ args, code: usage.code }).toEqual({ args, code: 2 });
    expect(usage.stderr).toMatch(/^usage: landing-etl <command> \[options\]$/m);
  }
  expect((await cli(dir, ['runs', '--bogus'])).stderr).toMatch(/^landing-etl: unknown option "--bogus"/m);
  const help = await cli(dir, ['runs', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^usage: landing-etl <command> \[options\]$/m);
  const missing = await cli(dir, ['status', 'nope']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/no ingestion nope in the local stack/);
});
