import { jest } from '@jest/globals';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import type { RunLog } from '../../functions/shared/run-log';
import { LocalLambdas } from '../../local/lambdas';
import { localDeployment } from '../support/orchestration';
import { land as landIn, waitForIngestion } from '../support/landing';
import { runLogFor } from '../../local/client';
import { startLocalStack, type RunningStack } from '../support/local-stack';
import { startTcpProxy } from '../support/tcp-proxy';

jest.setTimeout(900_000);

let stack: RunningStack;
let runLog: RunLog;
let sql: postgres.Sql;
let dynamoProxy: Awaited<ReturnType<typeof startTcpProxy>>;
type Handler = (event: unknown, context: never) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }>; outcomes: Array<{ outcome: string; ingestionId?: string }> }>;
let handler: Handler;
let lambdas: LocalLambdas;

beforeAll(async () => {
  stack = await startLocalStack();
  runLog = runLogFor(stack.info);
  sql = postgres(stack.info.databaseUrl, { max: 2 });
  // The packaged executor, run as the stack runs it but by this test, wired to the running stack like Lambda is on
  // AWS, its DynamoDB reached through a proxy the tests can switch off.
  dynamoProxy = await startTcpProxy(new URL(stack.info.dynamodbEndpoint));
  const fn = (await localDeployment()).functions().find((f) => f.logicalId === 'ExecutorLambdaFunction')!;
  lambdas = new LocalLambdas([fn], join(stack.dir, 'test-lambda'), () => ({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: fn.role,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL: stack.info.awsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
    AWS_MAX_ATTEMPTS: '2',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  }), () => {});
  await lambdas.start();
  handler = lambdas.handler(fn.logicalId) as Handler;
});

afterAll(async () => {
  await lambdas?.stop();
  await dynamoProxy?.close();
  await sql?.end();
  await stack?.stop();
});

const uri = (key: string) => `s3://${stack.info.landingBucket}/${key}`;

const land = (key: string, body: string) => landIn(stack.info, key, body);

/** An S3 record for an object that is already in the landing folder. */
function s3Event(key: string, size: number, versionId: string, sequencer?: string) {
  return {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        eventTime: new Date().toISOString(),
        s3: { bucket: { name: stack.info.landingBucket }, object: { key, size, eTag: versionId, versionId, ...(sequencer ? { sequencer } : {}) } },
      },
    ],
  };
}

let messages = 0;
/** The executor as the landing queue invokes it: the S3 notification as the body of one SQS message. */
const receive = (notification: unknown) =>
  handler({ Records: [{ messageId: `m-${++messages}`, receiptHandle: 'r', body: JSON.stringify(notification), eventSource: 'aws:sqs' }] }, {} as never);
const executor = async (notification: unknown) => (await receive(notification)).outcomes;

/** Polls one ingestion until it has finished, failing loudly at the deadline. */
async function ended(id: string, deadlineMs = 300_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const record = await runLog.get(id);
    if (record && ['SUCCEEDED', 'FAILED', 'REJECTED'].includes(record.summary.status)) return record;
    if (Date.now() > deadline) throw new Error(`${id}: not finished in time (${record?.summary.status ?? 'nothing recorded'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const loadMetrics = (record: Awaited<ReturnType<typeof ended>>) => record.stages.find((s) => s.stage === 'load')?.metrics ?? {};

const finished = (sourceUri: string, since: string, deadlineMs?: number) =>
  waitForIngestion(runLog, sourceUri, since, undefined, deadlineMs);

const csv = (user: string, n: number, hours = '1.5') =>
  ['user,timestamp,hours,project', ...Array.from({ length: n }, (_, i) => `${user},2021-03-01 ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00 UTC,${hours},p${i}`)].join('\n') + '\n';

const rowsOf = async (sourceUri: string) =>
  (await sql<{ n: number; hours: number[] }[]>`
    SELECT count(*)::int AS n, array_agg(DISTINCT hours::float8) AS hours FROM daily_checkins WHERE source_object = ${sourceUri}`)[0]!;

test('100 deliveries of the same S3 event start exactly one run', async () => {
  // A dot-folder: the local landing watcher ignores it, so only the deliveries below announce the object.
  const key = 'dailycheckin/.faults/hundred.csv';
  const body = csv('u-hundred', 10);
  const target = join(stack.info.landingFolder, key);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, body);
  const since = new Date().toISOString();
  const event = s3Event(key, Buffer.byteLength(body), 'v-hundred');
  const outcomes = (await Promise.all(Array.from({ length: 100 }, () => executor(event)))).flat();
  expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(1);
  expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(99);
  expect(new Set(outcomes.map((o) => o.ingestionId)).size).toBe(1);
  const executions = readdirSync(join(stack.dir, 'stepfunctions')).filter((f) => f.startsWith(outcomes[0]!.ingestionId!));
  expect(executions).toHaveLength(1);
  const summary = await finished(uri(key), since);
  expect(summary.status).toBe('SUCCEEDED');
});

test('20 files landed at once all load, with exact counts', async () => {
  const since = new Date().toISOString();
  const keys = Array.from({ length: 20 }, (_, i) => `dailycheckin/faults/batch-${i}.csv`);
  keys.forEach((key, i) => land(key, csv(`u-batch-${i}`, 200 + i)));
  const summaries = await Promise.all(keys.map((key) => finished(uri(key), since, 600_000)));
  expect(summaries.map((s) => s.status)).toEqual(keys.map(() => 'SUCCEEDED'));
  for (const [i, key] of keys.entries()) expect((await rowsOf(uri(key))).n).toBe(200 + i);
});

test('two versions of the same key landed seconds apart: the table ends with exactly the later version', async () => {
  const key = 'dailycheckin/faults/versioned.csv';
  const since = new Date().toISOString();
  land(key, csv('u-versioned', 300, '1.25'));
  const first = await waitForIngestion(runLog, uri(key), since, () => true, 60_000); // the first version's run has begun
  await new Promise((r) => setTimeout(r, 1500));
  const secondSince = new Date().toISOString();
  land(key, csv('u-versioned', 120, '7.5'));
  const second = await finished(uri(key), secondSince);
  expect(second.status).toBe('SUCCEEDED');
  expect(second.ingestionId).not.toBe(first.ingestionId);
  // The race: wait for the first version's run to end too, however it ends up ordered against the second.
  const [older, newer] = [await ended(first.ingestionId), await ended(second.ingestionId)];
  expect([older.summary.status, newer.summary.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expect(await rowsOf(uri(key))).toEqual({ n: 120, hours: [7.5] });
  const [olderLoad, newerLoad] = [loadMetrics(older), loadMetrics(newer)];
  if (olderLoad.supersededBy !== undefined) {
    // The older version's load came second: it changed nothing and said which ingestion is newer.
    expect(olderLoad).toMatchObject({ supersededBy: second.ingestionId, rowsOut: 0 });
  } else {
    // It came first: the newer load replaced exactly its rows.
    expect(newerLoad).toMatchObject({ replaced: olderLoad.rowsOut, rowsOut: 120 });
    expect(newerLoad.supersededBy).toBeUndefined();
  }
});

test("the older version's event delivered after the newer one's run, within the same second: superseded by its sequencer", async () => {
  // A dot-folder: only the deliveries below announce the object. Both versions are the one file, so they have the
  // same LastModified: only the events' sequencers tell which was written last (S3 does not order deliveries).
  const key = 'dailycheckin/.faults/reordered.csv';
  const body = csv('u-reordered', 40, '3.5');
  const target = join(stack.info.landingFolder, key);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, body);
  const size = Buffer.byteLength(body);
  const [newer] = await executor(s3Event(key, size, 'v-reordered-2', '0062A1B2C3D4E5F60B'));
  const newerRun = await ended(newer!.ingestionId!);
  expect(newerRun.summary.status).toBe('SUCCEEDED');
  const [older] = await executor(s3Event(key, size, 'v-reordered-1', '0062A1B2C3D4E5F60A'));
  expect(older!.outcome).toBe('started');
  const olderRun = await ended(older!.ingestionId!);
  expect(olderRun.summary.status).toBe('SUCCEEDED');
  expect(loadMetrics(olderRun)).toMatchObject({ supersededBy: newer!.ingestionId, rowsOut: 0 });
  const loaded = await sql<{ ingestion_id: string; n: number }[]>`
    SELECT ingestion_id, count(*)::int AS n FROM daily_checkins WHERE source_object = ${uri(key)} GROUP BY ingestion_id`;
  expect(loaded).toEqual([{ ingestion_id: newer!.ingestionId, n: 40 }]);
});

test('a run log outage when a file lands: the message is reported failed, for SQS to deliver again, and a delivery once it is back starts it once', async () => {
  const key = 'dailycheckin/.faults/outage.csv'; // not announced by the watcher: this test delivers its events
  const body = csv('u-outage', 5);
  const target = join(stack.info.landingFolder, key);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, body);
  const event = s3Event(key, Buffer.byteLength(body), 'v-outage');

  // Down: nothing is started, and the message is the one reported failed (after the queue's maxReceiveCount such a
  // message goes to the dead-letter queue, with its key: test/template/stack.test.ts checks the redrive policy).
  dynamoProxy.down();
  const down = await receive(event);
  expect(down.outcomes).toEqual([]);
  expect(down.batchItemFailures).toEqual([{ itemIdentifier: `m-${messages}` }]);
  dynamoProxy.up();

  const since = new Date().toISOString();
  expect((await executor(event)).map((o) => o.outcome)).toEqual(['started']);
  expect((await executor(event)).map((o) => o.outcome)).toEqual(['duplicate']);
  expect((await finished(uri(key), since)).status).toBe('SUCCEEDED');
  expect((await rowsOf(uri(key))).n).toBe(5);
});
