import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/shared/document-client';
import { summaryKey } from '../../functions/shared/run-log';
import { attemptStagingUri } from '../../functions/shared/staging-zone';
import { startOrchestration, receivedIngestion, healthyJobs, qualityJob } from '../support/orchestration';
import { DATASET_NAME_MAX } from '../../functions/shared/contracts';
import type { Stage } from '../../functions/shared/run-log';

let env: Awaited<ReturnType<typeof startOrchestration>>;

beforeAll(async () => {
  env = await startOrchestration();
});
afterAll(async () => env?.stop());
beforeEach(() => {
  env.glue.jobs = healthyJobs();
  env.glue.starts.length = 0;
  env.glue.startAttempts.clear();
  env.glue.pollAttempts.clear();
  env.notifications.length = 0;
});

async function run(overrides: Parameters<typeof receivedIngestion>[1] = {}) {
  const input = await receivedIngestion(env.runLog, overrides);
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(input));
  const execution = await env.finished(input.ingestionId);
  const record = await env.runLog.get(input.ingestionId);
  const messages = env.notifications.map((n) => ({ subject: n.subject, message: JSON.parse(n.message) as Record<string, unknown> }));
  return { input, execution, record: record!, messages };
}

test('a run whose jobs all succeed is recorded stage by stage and announced with counts and durations', async () => {
  const { input, execution, record, messages } = await run();
  expect(execution.status).toBe('SUCCEEDED');
  expect(record.summary).toMatchObject({ status: 'SUCCEEDED', state: 'DONE', ingestedID: input.ingestionId, attempt: 1 });
  expect(record.summary.error).toBeUndefined();
  expect(record.stages.map((s) => [s.stage, s.status, s.attempt, s.jobSeconds])).toEqual([
    ['transform', 'SUCCEEDED', 1, 7],
    ['test', 'SUCCEEDED', 1, 7],
    ['load', 'SUCCEEDED', 1, 7],
  ]);
  const runs = env.glue.model.list();
  for (const s of record.stages) {
    expect(runs.find((r) => r.Id === s.glueRunId)).toMatchObject({ JobName: `landing-etl-dev-${s.stage}`, JobRunState: 'SUCCEEDED', JobRunQueuingEnabled: true });
    expect(Date.parse(s.endedAt!)).toBeGreaterThanOrEqual(Date.parse(s.startedAt!));
  }
  expect(record.stages[2]!.metrics).toMatchObject({ rowsOut: 10 });

  // Every job got the same arguments (one stage definition), from the execution input, staged under the attempt.
  expect(env.glue.starts.map((s) => s.job)).toEqual(['transform', 'test', 'load']);
  const expected = {
    '--ingestion_id': input.ingestionId,
    '--attempt': '1',
    '--dataset': 'dailycheckin',
    '--business_date': '2026-01-21',
    '--source_uri': input.source.uri,
    '--source_version': 'v1',
    // The S3 event's sequencer, which orders the versions of one key (load.py).
    '--source_sequencer': input.source.sequencer,
    '--staging_uri': attemptStagingUri(input.stagingUri, 1),
    '--quality_mode': 'soft',
    '--run_log_table': env.names.runLogTable,
    '--datasets_uri': expect.stringMatching(/^s3:\/\/landing-etl-dev-serverlessdeploymentbucket\/glue\/[0-9a-f]+\/datasets$/),
  };
  for (const start of env.glue.starts) expect(start.args).toEqual(expected);

  expect(messages).toHaveLength(1);
  expect(messages[0]!.subject).toBe('landing-etl: dailycheckin ingestion succeeded (2026-01-21)');
  const { stages, ...message } = messages[0]!.message as { stages: Record<Stage, Record<string, unknown>> };
  expect(message).toMatchObject({ event: 'INGESTION_SUCCEEDED', ingestionId: input.ingestionId, attempt: 1, source: input.source.uri });
  expect(stages.transform).toMatchObject({ rowsIn: 10, rowsOut: 10, jobSeconds: 7 });
  // The test job records its accepted rows as rowsOut (landing_etl/runlog.py): the message calls them accepted.
  expect(stages.test).toMatchObject({ rowsIn: 10, accepted: 10, rejected: 0, duplicates: 0, jobSeconds: 7 });
  expect(stages.load).toMatchObject({ rowsOut: 10, jobSeconds: 7 });
  expect(stages.load!.startedAt).toBe(record.stages[2]!.startedAt);
  expect(stages.load!.endedAt).toBe(record.stages[2]!.endedAt);

  // What each job run cost (2 G.1X workers for 7 s, billed as a minute at $0.44 per DPU-hour) and where its logs are,
  // recorded by the stage-cost step from GetJobRun, per stage, in total, and in the message.
  // The jobs' security configuration encrypts their CloudWatch logs: GetJobRun's LogGroupName is their own group.
  const group = (stage: string, stream: string) => `$252Faws-glue$252Fjobs-landing-etl-dev-${stage}-us-east-1-landing-etl-dev$252F${stream}`;
  for (const s of record.stages) {
    expect(s).toMatchObject({ dpuSeconds: 14, costUsd: 0.014667, logs: { output: `logs/${group(s.stage, 'output')}/${s.glueRunId}`, error: `logs/${group(s.stage, 'error')}/${s.glueRunId}` } });
  }
  expect(record.summary).toMatchObject({ dpuSeconds: 42, costUsd: 0.044001 });
  expect(stages.test).toMatchObject({ dpuSeconds: 14, costUsd: 0.014667, logs: { output: `logs/${group('test', 'output')}/${record.stages[1]!.glueRunId}` } });
});

test('a run whose cost cannot be recorded still succeeds, without the figures', async () => {
  const original = env.runLog.recordStageCost.bind(env.runLog);
  env.runLog.recordStageCost = () => Promise.reject(new Error('ProvisionedThroughputExceededException: the run log is busy'));
  try {
    const { execution, record, messages } = await run();
    expect(execution.status).toBe('SUCCEEDED');
    expect(record.stages.map((s) => s.costUsd)).toEqual([undefined, undefined, undefined]);
    expect(record.summary.costUsd).toBeUndefined();
    expect((messages[0]!.message as { stages: Record<string, unknown> }).stages.load).toMatchObject({ dpuSeconds: null, costUsd: null, logs: { output: '', error: '' } });
  } finally {
    env.runLog.recordStageCost = original;
  }
});

test.each(['transform', 'test', 'load'] as const)(
  'a job that fails in %s halts the run there: stage and ingestion FAILED with Glue\'s message, alert, Fail state',
  async (stage) => {
    env.glue.jobs[stage] = { run: () => ({ state: 'FAILED', errorMessage: `BoomError: ${stage} broke on line 3` }) };
    const { input, execution, record, messages } = await run();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'Glue job run FAILED', cause: `BoomError: ${stage} broke on line 3` });
    expect(record.summary).toMatchObject({
      status: 'FAILED',
      state: stage.toUpperCase(),
      stage,
      error: 'Glue job run FAILED',
      cause: `BoomError: ${stage} broke on line 3`,
    });
    const reached = ['transform', 'test', 'load'].slice(0, ['transform', 'test', 'load'].indexOf(stage) + 1);
    expect(record.stages.map((s) => s.stage)).toEqual(reached);
    expect(record.stages.at(-1)).toMatchObject({ stage, status: 'FAILED', cause: `BoomError: ${stage} broke on line 3` });
    expect(record.stages.slice(0, -1).every((s) => s.status === 'SUCCEEDED')).toBe(true);
    expect(env.glue.starts.map((s) => s.job)).toEqual(reached);

    expect(messages).toEqual([
      {
        subject: `landing-etl: dailycheckin ingestion failed at ${stage} (2026-01-21)`,
        message: {
          event: 'INGESTION_FAILED',
          ingestionId: input.ingestionId,
          attempt: 1,
          dataset: 'dailycheckin',
          businessDate: '2026-01-21',
          source: input.source.uri,
          sourceVersion: 'v1',
          stage,
          error: 'Glue job run FAILED',
          cause: `BoomError: ${stage} broke on line 3`,
          rejectedRows: `${input.stagingUri}/attempt-1/rejected/`,
          qualityReport: `${input.stagingUri}/attempt-1/quality-report.json`,
          retry: `npx landing-etl retry ${input.ingestionId}`,
        },
      },
    ]);
  },
);

test('hard mode: rejected rows fail the run at test and nothing is loaded', async () => {
  env.glue.jobs.test = qualityJob(2);
  const { execution, record, messages } = await run({ qualityMode: 'hard' });
  expect(execution.status).toBe('FAILED');
  expect(record.summary).toMatchObject({ status: 'FAILED', stage: 'test', cause: 'QualityGateFailed: hard mode: 2 of 10 rows rejected' });
  expect(record.stages.find((s) => s.stage === 'test')).toMatchObject({ status: 'FAILED', metrics: { rejected: 2, rowsOut: 8 } });
  expect(env.glue.starts.map((s) => s.job)).toEqual(['transform', 'test']);
  expect(messages[0]!.message).toMatchObject({ stage: 'test', cause: 'QualityGateFailed: hard mode: 2 of 10 rows rejected' });
});

test('soft mode: the same rejected rows are quarantined and the run succeeds, reporting them', async () => {
  env.glue.jobs.test = qualityJob(2);
  env.glue.jobs.load = { run: () => ({ state: 'SUCCEEDED', metrics: { rowsOut: 8 } }) };
  const { execution, record, messages, input } = await run({ qualityMode: 'soft' });
  expect(execution.status).toBe('SUCCEEDED');
  expect(record.summary.status).toBe('SUCCEEDED');
  expect(messages[0]!.message).toMatchObject({
    event: 'INGESTION_SUCCEEDED',
    stages: { test: { rowsIn: 10, accepted: 8, rejected: 2 }, load: { rowsOut: 8 } },
    rejectedRows: `${input.stagingUri}/attempt-1/rejected/`,
  });
});

test('a transient Glue error is retried with backoff and the run then succeeds', async () => {
  env.glue.jobs.transform = { ...env.glue.jobs.transform!, startFailures: 2 };
  const { execution, record } = await run();
  expect(execution.status).toBe('SUCCEEDED');
  expect(env.glue.startAttempts.get('landing-etl-dev-transform')).toBe(3);
  expect(record.stages.map((s) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
});

test('when the retries are exhausted the stage fails with the Glue error', async () => {
  env.glue.jobs.test = { ...env.glue.jobs.test!, startFailures: 'always' };
  const { execution, record, messages } = await run();
  expect(execution.status).toBe('FAILED');
  // One attempt and the eight retries of the definition.
  expect(env.glue.startAttempts.get('landing-etl-dev-test')).toBe(9);
  expect(record.summary).toMatchObject({ status: 'FAILED', stage: 'test', error: 'Glue.InternalServiceException' });
  expect(record.stages.find((s) => s.stage === 'test')).toMatchObject({
    status: 'FAILED',
    error: 'Glue.InternalServiceException',
    cause: 'Glue could not start landing-etl-dev-test',
  });
  expect(messages[0]!.message).toMatchObject({ stage: 'test', error: 'Glue.InternalServiceException' });
});

test('a step that fails while its job runs stops the job run: no run goes on unwatched', async () => {
  // Glue refuses the first poll of the transform run for good (not a transient error): the stage fails at once.
  env.glue.jobs.transform = { ...env.glue.jobs.transform!, ms: 200, pollFailures: 1, pollError: 'AccessDeniedException' };
  const { execution, record } = await run();
  expect(execution.status).toBe('FAILED');
  expect(record.summary).toMatchObject({ status: 'FAILED', stage: 'transform', error: 'Glue.AccessDeniedException' });
  const transform = env.glue.model.list('landing-etl-dev-transform')[0]!;
  expect(record.stages[0]!.glueRunId).toBe(transform.Id);
  await until(async () => (await env.glue.model.getJobRun({ JobName: transform.JobName, RunId: transform.Id })).JobRun.JobRunState === 'STOPPED');
  expect(env.glue.starts.map((s) => s.job)).toEqual(['transform']);
});

test('an execution of an earlier attempt changes nothing of the attempt that replaced it, and announces nothing', async () => {
  const input = await receivedIngestion(env.runLog);
  // The ingestion has moved on to attempt 2 (a retry) while an execution of attempt 1 still runs.
  await documentClient(env.dynamodb).send(
    new UpdateCommand({ TableName: env.names.runLogTable, Key: summaryKey(input.ingestionId), UpdateExpression: 'SET attempt = :two, #s = :running', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':two': 2, ':running': 'RUNNING' } }),
  );
  const before = await env.runLog.get(input.ingestionId);
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(input));
  expect((await env.finished(input.ingestionId)).status).toBe('FAILED');
  const after = await env.runLog.get(input.ingestionId);
  expect(after!.summary).toEqual(before!.summary);
  expect(env.glue.starts).toEqual([]);
  expect(env.notifications).toEqual([]);
});

test('an error that is not transient is not retried', async () => {
  env.glue.jobs.load = { ...env.glue.jobs.load!, startFailures: 'always', startError: 'AccessDeniedException' };
  const { record } = await run();
  expect(env.glue.startAttempts.get('landing-etl-dev-load')).toBe(1);
  expect(record.summary).toMatchObject({ status: 'FAILED', stage: 'load', error: 'Glue.AccessDeniedException' });
});

test('every alert subject the state machine publishes fits SNS (printable ASCII, under 100 characters) for the longest inputs', async () => {
  // The longest dataset name a contract may have, the longest stage name (transform) and a fixed-size business date.
  // ASL has no substring function, so the bound on the inputs is what keeps the Subject.$ formats valid.
  const dataset = `d${'x'.repeat(DATASET_NAME_MAX - 1)}`;
  const subjects: Array<string | undefined> = [];
  subjects.push(...(await run({ dataset })).messages.map((m) => m.subject));
  for (const stage of ['transform', 'test', 'load'] as const) {
    env.glue.jobs = healthyJobs();
    env.notifications.length = 0;
    env.glue.jobs[stage] = { run: () => ({ state: 'FAILED', errorMessage: `BoomError: ${stage}` }) };
    subjects.push(...(await run({ dataset })).messages.map((m) => m.subject));
  }
  expect(subjects).toHaveLength(4);
  expect(subjects).toContain(`landing-etl: ${dataset} ingestion failed at transform (2026-01-21)`);
  for (const subject of subjects) {
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject!.length).toBeLessThan(100);
  }
});

/** Polls `check` until it holds, failing after `ms`. */
async function until(check: () => Promise<boolean>, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
