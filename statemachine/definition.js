// The ingestion state machine as it ships: the three stages, made from the one stage definition (stage.asl.json),
// put into the ingestion's definition (ingestion.asl.json). The serverless plugin builds it at package time
// (`${ingestionDefinition:}`); the local stack runs it from the packaged template.
import { readFileSync } from 'node:fs';

/** The stages in order: the run log's names, and the DefinitionSubstitutions key of each stage's Glue job. */
export const STAGES = [
  { stage: 'transform', jobName: '${TransformJobName}' },
  { stage: 'test', jobName: '${TestJobName}' },
  { stage: 'load', jobName: '${LoadJobName}' },
];

/** How a stage polls its Glue run: the first poll after `firstSeconds`, then each delay about `share` of the time the
 *  run has waited or run so far (so a stage ends within ~10 % of its job), never more than `maxSeconds`. */
export const POLLING = { firstSeconds: 10, share: 0.1, maxSeconds: 300 };

/** The delays of the poll schedule, from the first to the first that reaches the longest. */
export function pollSchedule({ firstSeconds, share, maxSeconds } = POLLING) {
  const delays = [];
  let elapsed = 0;
  for (;;) {
    const delay = Math.min(maxSeconds, Math.max(firstSeconds, Math.round(share * elapsed)));
    delays.push(delay);
    elapsed += delay;
    if (delay === maxSeconds) return delays;
  }
}

const retry = (errors, intervalSeconds, maxAttempts) => [
  { ErrorEquals: errors, IntervalSeconds: intervalSeconds, MaxAttempts: maxAttempts, BackoffRate: 2, JitterStrategy: 'FULL' },
];

/** The transient errors of each integration the stages call, by the names Step Functions gives them. */
export const RETRIES = {
  DynamoDBRetry: retry(
    [
      'DynamoDB.ProvisionedThroughputExceededException',
      'DynamoDB.ThrottlingException',
      'DynamoDB.InternalServerErrorException',
      'DynamoDB.RequestLimitExceededException',
    ],
    1,
    5,
  ),
  LambdaRetry: retry(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'], 1, 3),
};

const read = (name) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8'));

/** Replaces every {Name} of `values` in the keys and strings of `node`; a string that is exactly "{Name}" becomes
 *  the value itself (a number, an array). Other braces ("ING#{}" of States.Format) are left as they are. */
function fill(node, values) {
  if (typeof node === 'string') {
    const whole = /^\{(\w+)\}$/.exec(node);
    if (whole && whole[1] in values) return values[whole[1]];
    return node.replace(/\{(\w+)\}/g, (text, name) => (name in values ? String(values[name]) : text));
  }
  if (Array.isArray(node)) return node.map((n) => fill(n, values));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [fill(k, values), fill(v, values)]));
  return node;
}

const title = (stage) => stage[0].toUpperCase() + stage.slice(1);

/** The definition (DefinitionSubstitutions such as ${RunLogTable} still in it). `timeoutSeconds` bounds an execution:
 *  every stage may wait in Glue's queue and run for as long as its job's timeout. */
export function ingestionDefinition({ timeoutSeconds }) {
  const stage = read('./stage.asl.json');
  const ingestion = read('./ingestion.asl.json');
  const schedule = pollSchedule();
  const states = {};
  STAGES.forEach(({ stage: name, jobName }, i) => {
    const made = fill(stage.States, {
      ...RETRIES,
      Stage: title(name),
      stage: name,
      STATE: name.toUpperCase(),
      JobName: jobName,
      Next: i + 1 < STAGES.length ? `${title(STAGES[i + 1].stage)}: mark running` : 'Mark ingestion succeeded',
      FirstDelay: schedule[0],
      LastPoll: schedule.length - 1,
      Schedule: schedule.join(', '),
    });
    Object.assign(states, made);
  });
  const { '{Stages}': _, ...shared } = ingestion.States;
  return fill({ ...ingestion, States: { ...states, ...shared } }, { ...RETRIES, FirstState: `${title(STAGES[0].stage)}: mark running`, TimeoutSeconds: timeoutSeconds });
}

/** The longest Glue job timeout a stage allows: at it, an execution's history stays within Step Functions' 25,000
 *  events even if every stage waits that long in Glue's queue and then runs that long (test/unit/statemachine.test.ts
 *  computes it from the definition). */
export const MAX_GLUE_TIMEOUT_MINUTES = 480;

/** The execution timeout for jobs of `glueTimeoutMinutes`: each stage may wait in the queue and run that long, plus
 *  ten minutes for the steps between. */
export const executionTimeoutSeconds = (glueTimeoutMinutes) => STAGES.length * 2 * glueTimeoutMinutes * 60 + 600;
