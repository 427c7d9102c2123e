import { GlueApiError, GlueModel, type GlueLimits, type JobDefinition, type JobRunner, type RunOutcome } from '../../local/glue/model';

/** A runner whose runs end when the test says. */
class ScriptedRunner implements JobRunner {
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  private readonly ends = new Map<string, (o: RunOutcome) => void>();

  run(run: { Id: string }): Promise<RunOutcome> {
    this.started.push(run.Id);
    return new Promise((resolve) => this.ends.set(run.Id, resolve));
  }
  stop(runId: string): void {
    this.stopped.push(runId);
    this.ends.get(runId)?.({ state: 'FAILED', errorMessage: 'killed' });
  }
  finish(runId: string, outcome: RunOutcome = { state: 'SUCCEEDED' }): void {
    this.ends.get(runId)!(outcome);
  }
}

const job = (name: string, overrides: Partial<JobDefinition> = {}): JobDefinition => ({
  name,
  defaultArguments: { '--a': 'default' },
  maxConcurrentRuns: 2,
  timeoutMinutes: 60,
  ...overrides,
});
const settle = () => new Promise((r) => setImmediate(r));
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function model(limits: Partial<GlueLimits> = {}, jobs: JobDefinition[] = [job('transform'), job('test')]) {
  const runner = new ScriptedRunner();
  const glue = new GlueModel(Object.fromEntries(jobs.map((j) => [j.name, j])), runner, { accountConcurrentRuns: 50, apiRates: {}, minuteMs: 60_000, ...limits });
  const state = async (name: string, id: string) => (await glue.getJobRun({ JobName: name, RunId: id })).JobRun.JobRunState;
  return { glue, runner, state };
}



test('a run beyond MaxConcurrentRuns is refused unless it asked to be queued, and then waits its turn', async () => {
  const { glue, runner, state } = model();
  const a = await glue.startJobRun({ JobName: 'transform' });
  const b = await glue.startJobRun({ JobName: 'transform', JobRunQueuingEnabled: true });
  await expect(glue.startJobRun({ JobName: 'transform' })).rejects.toMatchObject({
    name: 'ConcurrentRunsExceededException',
    message: expect.stringMatching(/MaxConcurrentRuns 2/),
  });
  const c = await glue.startJobRun({ JobName: 'transform', JobRunQueuingEnabled: true });
  const d = await glue.startJobRun({ JobName: 'transform', JobRunQueuingEnabled: true });
  expect([await state('transform', c.JobRunId), await state('transform', d.JobRunId)]).toEqual(['WAITING', 'WAITING']);
  expect(runner.started).toEqual([a.JobRunId, b.JobRunId]);

  runner.finish(a.JobRunId);
  await settle();
  // The oldest queued run takes the freed slot; the next still waits.
  expect(runner.started).toEqual([a.JobRunId, b.JobRunId, c.JobRunId]);
  expect([await state('transform', a.JobRunId), await state('transform', c.JobRunId), await state('transform', d.JobRunId)]).toEqual(['SUCCEEDED', 'RUNNING', 'WAITING']);
  expect(glue.inFlight()).toEqual({ waiting: 1, running: 2 });
});

test("the account's concurrent-run quota holds across jobs, and a full job does not hold back another job's queued runs", async () => {
  const { glue, runner, state } = model({ accountConcurrentRuns: 3 });
  const t1 = await glue.startJobRun({ JobName: 'transform' });
  const t2 = await glue.startJobRun({ JobName: 'transform' });
  const x1 = await glue.startJobRun({ JobName: 'test' });
  await expect(glue.startJobRun({ JobName: 'test' })).rejects.toMatchObject({ name: 'ConcurrentRunsExceededException', message: expect.stringMatching(/quota is 3/) });
  const t3 = await glue.startJobRun({ JobName: 'transform', JobRunQueuingEnabled: true });
  const x2 = await glue.startJobRun({ JobName: 'test', JobRunQueuingEnabled: true });
  runner.finish(x1.JobRunId);
  await settle();
  // transform is still at its MaxConcurrentRuns: the account's free slot goes to the test run queued after it.
  expect(await state('transform', t3.JobRunId)).toBe('WAITING');
  expect(await state('test', x2.JobRunId)).toBe('RUNNING');
  expect(runner.started).toEqual([t1.JobRunId, t2.JobRunId, x1.JobRunId, x2.JobRunId]);
});

test('every operation above its rate answers ThrottlingException, counted, and recovers as tokens return', async () => {
  const { glue } = model({ apiRates: { GetJobRun: 5 } });
  const { JobRunId } = await glue.startJobRun({ JobName: 'transform' });
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => glue.getJobRun({ JobName: 'transform', RunId: JobRunId })));
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as GlueApiError);
  expect(refused.map((e) => [e.name, e.message])).toEqual(Array(3).fill(['ThrottlingException', 'Rate exceeded']));
  expect(glue.calls.GetJobRun).toEqual({ total: 8, throttled: 3 });
  expect(glue.calls.StartJobRun).toEqual({ total: 1, throttled: 0 });
  await tick(250); // a fifth of a second at 5 calls/s: one token back
  await expect(glue.getJobRun({ JobName: 'transform', RunId: JobRunId })).resolves.toBeDefined();
});

test('a queued run EXPIRES after the queue timeout and never starts', async () => {
  const { glue, runner, state } = model({ queueTimeoutMs: 40 }, [job('transform', { maxConcurrentRuns: 1 })]);
  const a = await glue.startJobRun({ JobName: 'transform' });
  const b = await glue.startJobRun({ JobName: 'transform', JobRunQueuingEnabled: true });
  await tick(80);
  const expired = (await glue.getJobRun({ JobName: 'transform', RunId: b.JobRunId })).JobRun;
  expect(expired).toMatchObject({ JobRunState: 'EXPIRED', ExecutionTime: 0, ErrorMessage: expect.stringMatching(/expired after waiting/) });
  runner.finish(a.JobRunId);
  await settle();
  expect(runner.started).toEqual([a.JobRunId]);
  expect(await state('transform', a.JobRunId)).toBe('SUCCEEDED');
});

test("a run ends TIMEOUT after its job's Timeout, and its work is stopped", async () => {
  const { glue, runner } = model({ minuteMs: 30 }, [job('transform', { timeoutMinutes: 2 })]);
  const { JobRunId } = await glue.startJobRun({ JobName: 'transform' });
  await tick(100);
  const run = (await glue.getJobRun({ JobName: 'transform', RunId: JobRunId })).JobRun;
  expect(run).toMatchObject({ JobRunState: 'TIMEOUT', Timeout: 2, ErrorMessage: 'Job run timed out after 2 minutes' });
  expect(runner.stopped).toEqual([JobRunId]);
});

test('BatchStopJobRun stops running and waiting runs and reports the ones it cannot stop', async () => {
  const { glue, runner, state } = model({}, [job('transform', { maxConcurrentRuns: 1 })]);
  const running = await glue.startJobRun({ JobName: 'transform' });
  const waiting = await glue.startJobRun({ JobName: 'transform', JobRunQueuingEnabled: true });
  const answer = await glue.batchStopJobRun({ JobName: 'transform', JobRunIds: [running.JobRunId, waiting.JobRunId, 'jr_nope'] });
  expect(answer.SuccessfulSubmissions.map((s) => s.JobRunId)).toEqual([running.JobRunId, waiting.JobRunId]);
  expect(answer.Errors).toEqual([{ JobName: 'transform', JobRunId: 'jr_nope', ErrorDetail: { ErrorCode: 'InvalidInputException', ErrorMessage: 'Job run jr_nope does not exist' } }]);
  await settle();
  expect(await state('transform', running.JobRunId)).toBe('STOPPED');
  expect(await state('transform', waiting.JobRunId)).toBe('STOPPED');
  expect(runner.stopped).toEqual([running.JobRunId]);
  // Stopping frees the slot for nobody: the waiting run was stopped too.
  expect(runner.started).toEqual([running.JobRunId]);
  const again = await glue.batchStopJobRun({ JobName: 'transform', JobRunIds: [running.JobRunId] });
  expect(again.Errors[0]!.ErrorDetail.ErrorMessage).toBe(`Job run ${running.JobRunId} is already STOPPED`);
});

test("a run's arguments replace the job's defaults, but never its non-overridable arguments", async () => {
  const { glue } = model({}, [job('load', { defaultArguments: { '--a': 'default', '--b': 'default' }, nonOverridableArguments: { '--db_host': 'db.internal' } })]);
  const { JobRunId } = await glue.startJobRun({ JobName: 'load', Arguments: { '--a': 'run', '--db_host': 'attacker.example' } });
  const { JobRun } = await glue.getJobRun({ JobName: 'load', RunId: JobRunId });
  expect(JobRun.Arguments).toEqual({ '--a': 'run', '--b': 'default', '--db_host': 'db.internal' });
});

test('a run of a job that does not exist, or an unknown run, is EntityNotFoundException', async () => {
  const { glue } = model();
  await expect(glue.startJobRun({ JobName: 'nope' })).rejects.toMatchObject({ name: 'EntityNotFoundException' });
  await expect(glue.getJobRun({ JobName: 'transform', RunId: 'jr_x' })).rejects.toMatchObject({ name: 'EntityNotFoundException' });
});
