import { healthyJobs, receivedIngestion, startOrchestration } from '../support/orchestration';

// The state machine against Glue at its limits (the local Glue model): several ingestions at once against an account
// quota of one run, and a GetJobRun rate far below what their polls ask for.

let env: Awaited<ReturnType<typeof startOrchestration>>;

afterEach(async () => env?.stop());

async function runAll(n: number) {
  const inputs = await Promise.all(Array.from({ length: n }, () => receivedIngestion(env.runLog)));
  await Promise.all(inputs.map((i) => env.stepFunctions.startExecution(i.ingestionId, JSON.stringify(i))));
  return Promise.all(inputs.map(async (i) => ({ execution: await env.finished(i.ingestionId, 30_000), record: (await env.runLog.get(i.ingestionId))! })));
}

test('runs beyond the account quota wait in Glue\'s queue (the state machine asks for queuing) and every ingestion succeeds', async () => {
  env = await startOrchestration({ glueLimits: { accountConcurrentRuns: 1 } });
  // Long enough that the start's eight quick retries would be spent waiting for a slot, were the runs not queued.
  env.glue.jobs = Object.fromEntries(Object.entries(healthyJobs()).map(([stage, job]) => [stage, { ...job, ms: 150 }]));
  let most = 0;
  let waited = 0;
  const poll = env.glue.getJobRun.bind(env.glue);
  env.glue.getJobRun = async (p) => {
    const answer = await poll(p);
    most = Math.max(most, env.glue.model.inFlight().running);
    if (answer.JobRun.JobRunState === 'WAITING') waited++;
    return answer;
  };
  const ended = await runAll(4);
  expect(ended.map((e) => e.execution.status)).toEqual(Array(4).fill('SUCCEEDED'));
  expect(ended.map((e) => e.record.stages.map((s) => s.status))).toEqual(Array(4).fill(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']));
  expect(most).toBe(1);
  expect(waited).toBeGreaterThan(0);
  expect(env.glue.model.list().every((r) => r.JobRunQueuingEnabled && r.JobRunState === 'SUCCEEDED')).toBe(true);
  expect(env.glue.model.calls.StartJobRun).toEqual({ total: 12, throttled: 0 });
});

test('a throttled poll never fails a stage: it backs off and polls again until its run ends', async () => {
  // Five ingestions polling every 5 ms locally ask for hundreds of GetJobRun calls a second; Glue allows 20.
  env = await startOrchestration({ glueLimits: { apiRates: { GetJobRun: 20 } } });
  env.glue.jobs = Object.fromEntries(Object.entries(healthyJobs()).map(([stage, job]) => [stage, { ...job, ms: 100 }]));
  const ended = await runAll(5);
  expect(ended.map((e) => e.execution.status)).toEqual(Array(5).fill('SUCCEEDED'));
  expect(env.glue.model.calls.GetJobRun.throttled).toBeGreaterThan(0);
  // Each stage's run was started once: no stage gave up on a live run and started another.
  expect(env.glue.model.calls.StartJobRun.total).toBe(15);
  // Their histories, counted as Step Functions records them: every poll and retry adds events, yet far from 25,000.
  const events = ended.map((e) => e.execution.historyEvents!);
  expect(Math.min(...events)).toBeGreaterThan(3 * 20);
  expect(Math.max(...events)).toBeLessThan(25_000);
});
