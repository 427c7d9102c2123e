import aslValidator from 'asl-validator';
import { executionTimeoutSeconds, ingestionDefinition, MAX_GLUE_TIMEOUT_MINUTES, STAGES } from '../../statemachine/definition.js';

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Parameters?: Record<string, unknown>;
  Choices?: Array<{ Next: string }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Retry?: Array<{ ErrorEquals: string[]; BackoffRate?: number }>;
}

const definition = ingestionDefinition({ timeoutSeconds: executionTimeoutSeconds(60) }) as { TimeoutSeconds: number; States: Record<string, State> };
const states = definition.States;
const titles = STAGES.map(({ stage }) => stage[0]!.toUpperCase() + stage.slice(1));

test('the ingestion state machine is valid ASL', () => {
  const substituted = JSON.parse(JSON.stringify(definition).replace(/\$\{(\w+)\}/g, 'arn:aws:sns:us-east-1:123456789012:$1'));
  const { isValid, errorsText } = aslValidator(substituted);
  expect(errorsText()).toBe('');
  expect(isValid).toBe(true);
});

test('the three stages are one definition: each is the same states with only the stage and its job changed', () => {
  const stageStates = (title: string, stage: string, jobName: string) =>
    JSON.stringify(Object.fromEntries(Object.entries(states).filter(([name]) => name.startsWith(`${title}: `))))
      .replaceAll(jobName, '{JobName}')
      .replaceAll(`${title}: `, '{Stage}: ')
      .replaceAll(`$.runs.${stage}.`, '$.runs.{stage}.')
      .replaceAll(`"$.runs.${stage}"`, '"$.runs.{stage}"')
      .replaceAll(`STAGE#${stage}`, 'STAGE#{stage}')
      .replaceAll(`"${stage}"`, '"{stage}"')
      .replaceAll(`"${stage.toUpperCase()}"`, '"{STATE}"')
      .replace(/"Next":"(Test: mark running|Load: mark running|Mark ingestion succeeded)"/, '"Next":"{Next}"');
  const made = STAGES.map(({ stage, jobName }, i) => stageStates(titles[i]!, stage, jobName));
  expect(Object.keys(JSON.parse(made[0]!)).length).toBeGreaterThan(10);
  expect(made[1]).toBe(made[0]);
  expect(made[2]).toBe(made[0]);
});

test('no path from a failed stage ends in a Succeed state', () => {
  const reach = (from: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(from)) return seen;
    seen.add(from);
    const s = states[from]!;
    for (const t of [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)]) {
      if (t) reach(t, seen);
    }
    return seen;
  };
  for (const stage of titles) {
    for (const failed of [`${stage}: job failed`, `${stage}: task failed`]) {
      const reachable = [...reach(failed)].map((n) => states[n]!.Type);
      expect(reachable).toContain('Fail');
      expect(reachable).not.toContain('Succeed');
    }
  }
});

test('every stage asks Glue to queue its run rather than refuse it, and never waits through .sync', () => {
  const starts = Object.values(states).filter((s) => s.Resource === 'arn:aws:states:::aws-sdk:glue:startJobRun');
  expect(starts).toHaveLength(3);
  for (const start of starts) expect(start.Parameters!.JobRunQueuingEnabled).toBe(true);
  expect(Object.values(states).filter((s) => s.Resource?.endsWith('.sync'))).toEqual([]);
});

test('every task can be caught, and every Glue call retries the transient Glue errors with backoff', () => {
  for (const [name, s] of Object.entries(states).filter(([, st]) => st.Type === 'Task')) {
    expect({ name, caught: Boolean(s.Catch?.length) }).toEqual({ name, caught: true });
    if (s.Resource!.includes(':glue:')) {
      const retried = s.Retry!.flatMap((r) => r.ErrorEquals);
      expect(retried).toEqual(expect.arrayContaining(['Glue.ThrottlingException', 'Glue.InternalServiceException']));
      expect(s.Retry!.every((r) => (r.BackoffRate ?? 1) > 1)).toBe(true);
    }
  }
});

test('every error a Retry or Catch names is spelled as Step Functions raises it: States.*, or Service.NameException', () => {
  // "Be sure to include the Exception suffix for potential error names in AWS Step Functions integrations, even if the
  // suffix isn't part of the error names the service provides" (Step Functions developer guide, "Learning to use AWS
  // service SDK integrations in Step Functions"): S3's BucketAlreadyExists is S3.BucketAlreadyExistsException.
  const names = Object.values(states).flatMap((s) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals));
  expect(names.length).toBeGreaterThan(20);
  for (const name of new Set(names)) expect(name).toMatch(/^(States\.(ALL|TaskFailed|Timeout)|(DynamoDB|Glue|Lambda)\.[A-Z][A-Za-z]*Exception)$/);
});

/** The poll schedule the definition carries: the delays of a stage's "back off" state, and the first one. */
function schedule(stage: string): number[] {
  const backOff = states[`${stage}: back off`]!.Parameters!['Delay.$'] as string;
  const delays = /States\.Array\(([\d, ]+)\)/.exec(backOff)![1]!.split(',').map(Number);
  const start = states[`${stage}: start job`] as State & { ResultSelector: { Poll: { Delay: number } } };
  expect(start.ResultSelector.Poll.Delay).toBe(delays[0]);
  return delays;
}

/** How many polls a stage makes by `seconds` after its run started (or was queued), on that schedule. */
function pollsBy(delays: number[], seconds: number): number {
  let elapsed = 0;
  let polls = 0;
  for (let i = 0; ; i++) {
    elapsed += delays[Math.min(i, delays.length - 1)]!;
    if (elapsed > seconds) return polls;
    polls++;
  }
}

test('a stage polls its run about a tenth of the time it has run, at least every 10 s and at most every 5 minutes', () => {
  const delays = schedule('Transform');
  expect(delays[0]).toBe(10);
  expect(delays.at(-1)).toBe(300);
  // GetJobRun calls of one stage whose run has run 1 minute, 10 minutes, an hour (a fixed 10 s poll: 6, 60, 360).
  expect([60, 600, 3600].map((s) => pollsBy(delays, s))).toEqual([6, 28, 47]);
});

test("an execution's history stays far below Step Functions' 25,000 events in the longest wait the stage allows", () => {
  // Events per poll of a run, by state type (Step Functions history: a Task enters, is scheduled, starts, ends and
  // exits; a Wait, Choice or Pass enters and exits), on the costliest path: a queued run (the "queued" Pass) whose
  // poll is throttled twice before it is answered (each retry schedules, starts and fails the task again).
  const perPoll = 2 /* wait */ + (5 + 2 * 3) /* poll, retried twice */ + 2 /* finished? */ + 2 /* queued */ + 2 /* back off? */ + 2 /* back off */;
  const delays = schedule('Transform');
  const phase = MAX_GLUE_TIMEOUT_MINUTES * 60; // a run may wait in the queue, then run, for as long as its timeout
  const stageEvents = 2 * pollsBy(delays, phase) * perPoll + 60; // + the stage's other steps
  const executionEvents = STAGES.length * stageEvents + 40;
  expect(executionEvents).toBeLessThan(25_000 * 0.8);
  // And the execution's own timeout covers exactly that longest wait, so nothing runs on past it.
  expect(ingestionDefinition({ timeoutSeconds: executionTimeoutSeconds(MAX_GLUE_TIMEOUT_MINUTES) }).TimeoutSeconds).toBe(STAGES.length * 2 * phase + 600);
});
