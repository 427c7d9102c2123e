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
  for (const s of record.stages) {
    expect(s.glueRunId).toMatch(/^jr_fake_/);
    expect(Date.parse(s.endedAt!)).toBeGreaterThanOrEqual(Date.parse(s.startedAt!));
  }
  expect(record.stages[2]!.metrics).toMatchObject({ rowsOut: 10 });

  // Every job got the arguments of the contract, from the execution input.
  expect(env.glue.starts.map((s) => s.job)).toEqual(['transform', 'test', 'load']);
  expect(env.glue.starts[1]!.args).toEqual({
    '--ingestion_id': input.ingestionId,
    '--dataset': 'dailycheckin',
    '--business_date': '2026-01-21',
    '--source_uri': input.source.uri,
    '--source_version': 'v1',
    '--staging_uri': input.stagingUri,
    '--quality_mode': 'soft',
    '--run_log_table': env.names.runLogTable,
    '--datasets_uri': expect.stringMatching(/^s3:\/\/landing-etl-dev-serverlessdeploymentbucket\/glue\/[0-9a-f]+\/datasets$/),
  });

  // The load also gets the S3 event's sequencer, which orders the versions of one key (load.py).
  expect(env.glue.starts[2]!.args).toMatchObject({ '--source_version': 'v1', '--source_sequencer': input.source.sequencer });

  expect(messages).toHaveLength(1);
  expect(messages[0]!.subject).toBe('landing-etl: dailycheckin ingestion succeeded (2026-01-21)');
  const { stages, ...message } = messages[0]!.message as { stages: Record<Stage, Record<string, unknown>> };
  expect(message).toMatchObject({ event: 'INGESTION_SUCCEEDED', ingestionId: input.ingestionId, attempt: 1, source: input.source.uri });
  expect(stages.transform).toMatchObject({ rowsIn: 10, rowsOut: 10, jobSeconds: 7 });
  expect(stages.test).toMatchObject({ rowsIn: 10, accepted: 10, rejected: 0, duplicates: 0, jobSeconds: 7 });
  expect(stages.load).toMatchObject({ rowsOut: 10, jobSeconds: 7 });
  expect(stages.load!.startedAt).toBe(record.stages[2]!.startedAt);
  expect(stages.load!.endedAt).toBe(record.stages[2]!.endedAt);

  // What each job run cost (2 G.1X workers for 7 s, billed as a minute at $0.44 per DPU-hour) and where its logs are,
  // recorded by the stage-cost step from GetJobRun, per stage, in total, and in the message.
  for (const s of record.stages) {
    expect(s).toMatchObject({ dpuSeconds: 14, costUsd: 0.014667, logs: { output: `logs/landing-etl-dev-${s.stage}/output/${s.glueRunId}`, error: `logs/landing-etl-dev-${s.stage}/error/${s.glueRunId}` } });
  }
  expect(record.summary).toMatchObject({ dpuSeconds: 42, costUsd: 0.044001 });
  expect(stages.test).toMatchObject({ dpuSeconds: 14, costUsd: 0.014667, logs: { output: `logs/landing-etl-dev-test/output/${record.stages[1]!.glueRunId}` } });
});

test('a run whose cost cannot be recorded still succeeds, without the figures', async () => {
  const glue = env.glue as unknown as { getJobRun: typeof env.glue.getJobRun };
  const original = glue.getJobRun.bind(env.glue);
  let polls = 0;
  // The stage-cost step's GetJobRun is the third call of a run (two polls before it): make that one fail.
  glue.getJobRun = async (p) => (++polls % 3 === 0 ? Promise.reject(new Error('ThrottlingException: Rate exceeded')) : original(p));
  try {
    const { execution, record, messages } = await run();
    expect(execution.status).toBe('SUCCEEDED');
    expect(record.stages.map((s) => s.costUsd)).toEqual([undefined, undefined, undefined]);
    expect(record.summary.costUsd).toBeUndefined();
    expect((messages[0]!.message as { stages: Record<string, unknown> }).stages.load).toMatchObject({ dpuSeconds: null, costUsd: null, logs: { output: '', error: '' } });
  } finally {
    glue.getJobRun = original;
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
          rejectedRows: `${input.stagingUri}/rejected/`,
          qualityReport: `${input.stagingUri}/quality-report.json`,
          retry: `landing-etl retry ${input.ingestionId}`,
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
  expect(record.stages.find((s) => s.stage === 'test')).toMatchObject({ status: 'FAILED', metrics: { rejected: 2, accepted: 8 } });
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
    rejectedRows: `${input.stagingUri}/rejected/`,
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
  // One attempt and the six retries of the definition.
  expect(env.glue.startAttempts.get('landing-etl-dev-test')).toBe(7);
  expect(record.summary).toMatchObject({ status: 'FAILED', stage: 'test', error: 'Glue.ConcurrentRunsExceededException' });
  expect(record.stages.find((s) => s.stage === 'test')).toMatchObject({
    status: 'FAILED',
    error: 'Glue.ConcurrentRunsExceededException',
    cause: expect.stringContaining('Concurrent runs exceeded'),
  });
  expect(messages[0]!.message).toMatchObject({ stage: 'test', error: 'Glue.ConcurrentRunsExceededException' });
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
