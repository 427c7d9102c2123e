import { healthyJobs, receivedIngestion, startOrchestration } from '../support/orchestration';

// Executions that end without reaching their own end — stopped, timed out, or failed where no step can record it —
// reach the finish function through the template's EventBridge rule, which marks the run FAILED with the reason,
// stops its Glue run and announces it: no run stays RUNNING, no job run goes on unwatched.

let env: Awaited<ReturnType<typeof startOrchestration>>;
afterEach(async () => env?.stop());

/** Waits (with a deadline) until `check` holds. */
async function until(check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runningTransform(id: string) {
  await until(async () => (await env.runLog.get(id))?.stages[0]?.glueRunId !== undefined);
  return (await env.runLog.get(id))!.stages[0]!;
}

test('a stopped execution marks its run FAILED with the reason, stops its Glue run and is announced', async () => {
  env = await startOrchestration();
  env.glue.jobs = { ...healthyJobs(), transform: { ...healthyJobs().transform!, ms: 5_000 } };
  const input = await receivedIngestion(env.runLog);
  const { executionArn } = await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(input));
  const stage = await runningTransform(input.ingestionId);

  await env.stepFunctions.stopExecution(executionArn, 'OperatorStop', 'stopped by the on-call engineer');

  expect(env.stepFunctions.describeExecution(executionArn).status).toBe('ABORTED');
  await until(async () => (await env.runLog.getSummary(input.ingestionId))!.status === 'FAILED');
  const cause = `execution ${input.ingestionId} was stopped: stopped by the on-call engineer`;
  const record = (await env.runLog.get(input.ingestionId))!;
  expect(record.summary).toMatchObject({ status: 'FAILED', stage: 'transform', error: 'ExecutionAborted', cause });
  expect(record.stages).toEqual([expect.objectContaining({ stage: 'transform', status: 'FAILED', cause })]);
  expect((await env.glue.getJobRun({ JobName: stage.glueJobName!, RunId: stage.glueRunId! })).JobRun.JobRunState).toBe('STOPPED');
  expect(env.notifications.map((n) => JSON.parse(n.message))).toEqual([expect.objectContaining({ event: 'INGESTION_FAILED', stage: 'transform', error: 'ExecutionAborted', cause })]);
});

test('an execution past its timeout ends TIMED_OUT, and its run is marked FAILED and its Glue run stopped', async () => {
  env = await startOrchestration({ timeoutSeconds: 1 });
  env.glue.jobs = { ...healthyJobs(), test: { ...healthyJobs().test!, ms: 5_000 } };
  const input = await receivedIngestion(env.runLog);
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(input));
  expect((await env.finished(input.ingestionId)).status).toBe('TIMED_OUT');
  await until(async () => (await env.runLog.getSummary(input.ingestionId))!.status === 'FAILED');
  const record = (await env.runLog.get(input.ingestionId))!;
  expect(record.summary).toMatchObject({ stage: 'test', error: 'ExecutionTimedOut', cause: `execution ${input.ingestionId} ran past its timeout (States.Timeout)` });
  const test = record.stages.find((s) => s.stage === 'test')!;
  expect((await env.glue.getJobRun({ JobName: test.glueJobName!, RunId: test.glueRunId! })).JobRun.JobRunState).toBe('STOPPED');
});

test('an execution that fails where no step can catch it (a runtime error of its input) still ends its run FAILED', async () => {
  env = await startOrchestration();
  env.glue.jobs = healthyJobs();
  // An input without source.sequencer, which every stage's StartJobRun formats: States.Runtime, which no Catch takes.
  const input = await receivedIngestion(env.runLog);
  const { sequencer: _, ...source } = input.source;
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify({ ...input, source }));
  expect((await env.finished(input.ingestionId)).status).toBe('FAILED');
  await until(async () => (await env.runLog.getSummary(input.ingestionId))!.status === 'FAILED');
  expect(await env.runLog.getSummary(input.ingestionId)).toMatchObject({ error: 'ExecutionFailed', cause: expect.stringMatching(new RegExp(`^execution ${input.ingestionId} failed outside any step that records it`)) });
});

test('an execution that recorded its own end is not marked again', async () => {
  env = await startOrchestration();
  env.glue.jobs = { ...healthyJobs(), load: { run: () => ({ state: 'FAILED', errorMessage: 'OperationalError: the database is down' }) } };
  const input = await receivedIngestion(env.runLog);
  await env.stepFunctions.startExecution(input.ingestionId, JSON.stringify(input));
  expect((await env.finished(input.ingestionId)).status).toBe('FAILED');
  await new Promise((r) => setTimeout(r, 200));
  expect(await env.runLog.getSummary(input.ingestionId)).toMatchObject({ status: 'FAILED', stage: 'load', cause: 'OperationalError: the database is down' });
  expect(env.notifications).toHaveLength(1);
});
