import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentClient } from '../../functions/shared/document-client';
import { executionArn, executionInputSchema, type ExecutionInput } from '../../functions/shared/execution';
import { RetryConflictError, RetryRefusedError } from '../../functions/shared/errors';
import { retryIngestion } from '../../functions/shared/retry';
import { startAwsApi } from '../../local/aws-api';
import { localAws } from '../../local/layout';
import type { ScriptedJob } from '../support/scripted-glue';
import { healthyJobs, receivedIngestion, startOrchestration } from '../support/orchestration';

let env: Awaited<ReturnType<typeof startOrchestration>>;
let api: Awaited<ReturnType<typeof startAwsApi>>;
let sfn: SFNClient;
/** Ingestions the fake load job loaded, once per successful run. */
let loads: string[];

beforeAll(async () => {
  env = await startOrchestration();
  api = await startAwsApi(env.stepFunctions, env.glue, () => {});
  sfn = new SFNClient({ endpoint: api.endpoint, ...localAws, maxAttempts: 1 });
});
afterAll(async () => {
  sfn?.destroy();
  await api?.stop();
  await env?.stop();
});
beforeEach(() => {
  env.glue.jobs = healthyJobs();
  loads = [];
});

/** A load job that fails (the database is down) until `fixed()` is called. */
function loadFailingUntilFixed(): { job: ScriptedJob; fixed(): void } {
  let broken = true;
  return {
    job: {
      run: (args) => {
        if (broken) return { state: 'FAILED', errorMessage: 'OperationalError: connection to the database refused' };
        loads.push(args['--ingestion_id']!);
        return { state: 'SUCCEEDED', metrics: { rowsOut: 10 } };
      },
    },
    fixed: () => (broken = false),
  };
}

const retry = (id: string) =>
  retryIngestion(id, {
    runLog: env.runLog,
    stateMachineArn: env.names.stateMachineArn,
    now: () => new Date(),
    async start(name, input) {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: env.names.stateMachineArn, name, input: JSON.stringify(input) }));
      return out.executionArn!;
    },
  });

async function failedAtLoad() {
  const load = loadFailingUntilFixed();
  env.glue.jobs.load = load.job;
  const input = await receivedIngestion(env.runLog);
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(input));
  expect((await env.finished(input.ingestionId)).status).toBe('FAILED');
  return { input, fixed: load.fixed };
}

test('a failed ingestion, once its cause is fixed, is retried to success as attempt 2, loading once, history kept', async () => {
  const { input, fixed } = await failedAtLoad();
  fixed();

  const { attempt, executionArn } = await retry(input.ingestionId);
  expect(attempt).toBe(2);
  expect(executionArn).toBe(`${env.names.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.ingestionId}-a2`);
  expect((await env.finished(`${input.ingestionId}-a2`)).status).toBe('SUCCEEDED');

  const record = (await env.runLog.get(input.ingestionId))!;
  expect(record.summary).toMatchObject({ status: 'SUCCEEDED', state: 'DONE', attempt: 2, executionArn });
  expect(record.stages.map((s) => [s.stage, s.status, s.attempt])).toEqual([
    ['transform', 'SUCCEEDED', 2],
    ['test', 'SUCCEEDED', 2],
    ['load', 'SUCCEEDED', 2],
  ]);
  expect(record.attempts).toHaveLength(1);
  expect(record.attempts[0]).toMatchObject({
    attempt: 1,
    status: 'FAILED',
    state: 'LOAD',
    stage: 'load',
    cause: 'OperationalError: connection to the database refused',
  });
  expect(record.attempts[0]!.stages.map((s) => [s.stage, s.status])).toEqual([
    ['transform', 'SUCCEEDED'],
    ['test', 'SUCCEEDED'],
    ['load', 'FAILED'],
  ]);
  // The jobs of attempt 2 ran with attempt 2's input; the load happened exactly once.
  expect(loads).toEqual([input.ingestionId]);
});

test('an ingestion recorded before S3 sequencers were carried is retried with none: the load orders it by time', async () => {
  // Attempt 1 fails before its load. Its execution ran with the input as the executor parses it (sequencer null);
  // the input recorded for a retry is the one of then, without the field.
  let broken = true;
  env.glue.jobs.transform = { run: (args) => (broken ? { state: 'FAILED', errorMessage: 'CorruptSource: truncated' } : healthyJobs().transform!.run(args)) };
  const uri = 's3://landing/dailycheckin/2026-01-21/before-sequencers.csv';
  // The execution input as the executor recorded it then: no source.sequencer.
  const before = { bucket: 'landing', key: uri.slice('s3://landing/'.length), versionId: 'v1', uri, size: 100 };
  const input = await receivedIngestion(env.runLog, { source: before as ExecutionInput['source'] });
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(executionInputSchema.parse(input)));
  expect((await env.finished(input.ingestionId)).status).toBe('FAILED');
  broken = false;
  env.glue.jobs.load = { run: (args) => (loads.push(args['--ingestion_id']!), { state: 'SUCCEEDED', metrics: { rowsOut: 10 } }) };

  await retry(input.ingestionId);
  expect((await env.finished(`${input.ingestionId}-a2`)).status).toBe('SUCCEEDED');
  const loadStarts = env.glue.starts.filter((s) => s.job === 'load' && s.args['--ingestion_id'] === input.ingestionId);
  expect(loadStarts.at(-1)!.args['--source_sequencer']).toBe('null');
  expect(loads).toEqual([input.ingestionId]);
});

test('of two retries at the same moment exactly one starts', async () => {
  const { input, fixed } = await failedAtLoad();
  fixed();
  const results = await Promise.allSettled([retry(input.ingestionId), retry(input.ingestionId)]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  expect(refused.reason).toBeInstanceOf(RetryConflictError);
  await env.finished(`${input.ingestionId}-a2`);
  expect(env.stepFunctions.listExecutions().filter((e) => e.name.startsWith(input.ingestionId)).map((e) => e.name).sort()).toEqual([
    input.ingestionId,
    `${input.ingestionId}-a2`,
  ]);
  expect(loads).toEqual([input.ingestionId]);
});

test('only a FAILED ingestion can be retried', async () => {
  const input = await receivedIngestion(env.runLog);
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(input));
  await env.finished(input.ingestionId);
  await expect(retry(input.ingestionId)).rejects.toThrow(RetryRefusedError);
  await expect(retry(input.ingestionId)).rejects.toThrow(/is SUCCEEDED \(attempt 1\); only a FAILED ingestion can be retried/);
  await expect(retry('no-such-ingestion')).rejects.toThrow(/no ingestion no-such-ingestion/);
});

test('a retry whose start fails leaves the ingestion FAILED and retryable', async () => {
  const { input, fixed } = await failedAtLoad();
  fixed();
  const port = Number(new URL(api.endpoint).port);
  await api.stop();
  try {
    await expect(retry(input.ingestionId)).rejects.toThrow();
  } finally {
    api = await startAwsApi(env.stepFunctions, env.glue, () => {}, port);
  }
  expect(await env.runLog.getSummary(input.ingestionId)).toMatchObject({ status: 'FAILED', attempt: 1, state: 'LOAD' });
  expect((await retry(input.ingestionId)).attempt).toBe(2);
  expect((await env.finished(`${input.ingestionId}-a2`)).status).toBe('SUCCEEDED');
});

test('an execution left RUNNING by a stopped local stack is ABORTED at restart, its ingestion FAILED and retryable', async () => {
  // What a stack killed in the middle of the test stage leaves behind: the run log at test RUNNING, a RUNNING
  // execution on disk.
  const input = await receivedIngestion(env.runLog);
  const doc = documentClient(env.dynamodb);
  const pk = `ING#${input.ingestionId}`;
  const now = new Date().toISOString();
  await doc.send(new PutCommand({ TableName: env.names.runLogTable, Item: { pk, sk: 'STAGE#transform', stage: 'transform', status: 'SUCCEEDED', attempt: 1, startedAt: now, endedAt: now } }));
  await doc.send(new PutCommand({ TableName: env.names.runLogTable, Item: { pk, sk: 'STAGE#test', stage: 'test', status: 'RUNNING', attempt: 1, startedAt: now } }));
  await doc.send(
    new UpdateCommand({
      TableName: env.names.runLogTable,
      Key: { pk, sk: 'SUMMARY' },
      UpdateExpression: 'SET #status = :running, #state = :test, stage = :stage',
      ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
      ExpressionAttributeValues: { ':running': 'RUNNING', ':test': 'TEST', ':stage': 'test' },
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-restart-'));
  const arn = executionArn(env.names.stateMachineArn, input.ingestionId);
  writeFileSync(
    join(dir, `${input.ingestionId}.json`),
    JSON.stringify({ executionArn: arn, stateMachineArn: env.names.stateMachineArn, name: input.ingestionId, input: JSON.stringify(input), status: 'RUNNING', startDate: now }),
  );

  const restarted = await env.restart(dir);

  expect(restarted.describeExecution(arn).status).toBe('ABORTED');
  const cause = `execution ${input.ingestionId} was stopped: the local stack stopped while the execution was running`;
  const record = (await env.runLog.get(input.ingestionId))!;
  expect(record.summary).toMatchObject({ status: 'FAILED', state: 'TEST', stage: 'test', error: 'ExecutionAborted', cause });
  // Announced like any failure, with the command that runs it again.
  expect(env.notifications.map((n) => JSON.parse(n.message))).toContainEqual(expect.objectContaining({ event: 'INGESTION_FAILED', ingestionId: input.ingestionId, cause, retry: `npx landing-etl retry ${input.ingestionId}` }));
  expect(record.stages.map((s) => [s.stage, s.status, s.cause])).toEqual([
    ['transform', 'SUCCEEDED', undefined],
    ['test', 'FAILED', cause],
  ]);

  const { attempt } = await retryIngestion(input.ingestionId, {
    runLog: env.runLog,
    stateMachineArn: env.names.stateMachineArn,
    now: () => new Date(),
    start: async (name, retried) => (await restarted.startExecution(name, JSON.stringify(retried))).executionArn,
  });
  const deadline = Date.now() + 20_000;
  while (restarted.describeExecution(`${arn}-a2`).status === 'RUNNING') {
    if (Date.now() > deadline) throw new Error('attempt 2 did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(attempt).toBe(2);
  expect(await env.runLog.getSummary(input.ingestionId)).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
  await restarted.settle(1000);
});
