import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentClient } from '../../functions/shared/document-client';
import type { ExecutionInput } from '../../functions/shared/execution';
import { RunLog } from '../../functions/shared/run-log';
import type { Notification } from '../../local/aws-api';
import { Deployment, LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STAGE } from '../../local/deployment';
import { LocalEventBridge } from '../../local/eventbridge';
import { startDynamo } from '../../local/dynamodb';
import { localAws } from '../../local/layout';
import { packagedStage } from '../../local/packaged';
import { LocalStepFunctions } from '../../local/stepfunctions';
import { statusChangeEvent, type Execution } from '../../local/stepfunctions-executions';
import { finish } from '../../functions/finish/finish';
import { Admission } from '../../functions/shared/admission';
import { Backlog } from '../../functions/shared/backlog';
import { recordStageCost, stageCostInput } from '../../functions/stagecost/record';
import { AWS_GLUE_LIMITS, type GlueLimits } from '../../local/glue/model';
import { ScriptedGlue, type ScriptedJob } from './scripted-glue';

/** The packaged dev stage (packaged first when its sources changed): its names and its state machine definition. */
export async function localDeployment(): Promise<Deployment> {
  return Deployment.load(await packagedStage(LOCAL_STAGE, () => {}));
}

/** The state machine as the local stack runs it (the packaged definition, aws-local-stepfunctions, a real dynalite
 *  run log, the local Glue model with the template's jobs and `glueLimits`, the template's EventBridge rules) with
 *  scripted jobs instead of Spark, so every path through it runs in well under a second. */
export async function startOrchestration(opts: { executionsDir?: string; glueLimits?: Partial<GlueLimits>; timeoutSeconds?: number } = {}) {
  const deployment = await localDeployment();
  const { names } = deployment;
  const dynamo = await startDynamo(null, deployment.tables());
  const dynamodb = new DynamoDBClient({ endpoint: dynamo.endpoint, ...localAws });
  const runLog = new RunLog(documentClient(dynamodb), names.runLogTable);
  const admission = new Admission(documentClient(dynamodb), names.runLogTable);
  const backlog = new Backlog(documentClient(dynamodb), names.runLogTable);
  const jobs = deployment.glueJobs().map((j) => ({ name: j.name, defaultArguments: {}, maxConcurrentRuns: j.maxConcurrentRuns, timeoutMinutes: j.timeoutMinutes, capacity: j.capacity, logGroupName: j.logGroupName }));
  const glue = new ScriptedGlue(dynamodb, jobs, { ...AWS_GLUE_LIMITS, ...opts.glueLimits });
  const notifications: Notification[] = [];
  const publish = async (p: { TopicArn: string; Message: string; Subject?: string }) => {
    notifications.push({ time: new Date().toISOString(), topicArn: p.TopicArn, message: p.Message, ...(p.Subject ? { subject: p.Subject } : {}) });
    return { MessageId: String(notifications.length) };
  };
  // The functions the state machine invokes, by name: their code over the Glue model and the run log (their
  // packaged bundles run in the local stack).
  const functions: Record<string, (payload: unknown) => Promise<unknown>> = {
    stagecost: (payload) =>
      recordStageCost(
        { getJobRun: async (job, run) => (await glue.getJobRun({ JobName: job, RunId: run })).JobRun, runLog, pricePerDpuHour: 0.44, logLinkTemplate: 'logs/{logGroup}/{runId}' },
        stageCostInput.parse(payload),
      ),
    finish: (event) =>
      finish(event, {
        read: (id) => runLog.get(id),
        publish: async ({ subject, message }) => void (await publish({ TopicArn: names.topicArn, Subject: subject, Message: JSON.stringify(message) })),
        markFailed: (id, attempt, error, cause, now) => runLog.markAborted(id, attempt, error, cause, now),
        stopJobRun: async (jobName, runId) => void (await glue.batchStopJobRun({ JobName: jobName, JobRunIds: [runId] })),
        release: (id) => admission.release(id),
        backlog,
        cliTarget: '',
      }),
  };
  // EventBridge's rules of the template, delivering to the functions above by name.
  const functionNames = new Map(deployment.functions().map((f) => [f.logicalId, f.name.split('-').at(-1)!]));
  const bus = new LocalEventBridge(deployment.eventRules(), (logicalId) => functions[functionNames.get(logicalId)!]!, join(tmpdir(), 'landing-etl-dead-letters.jsonl'), () => {});
  const executionsDir = opts.executionsDir ?? mkdtempSync(join(tmpdir(), 'landing-etl-sfn-'));
  const create = (dir: string) =>
    LocalStepFunctions.create({
      // A test may shorten the execution's TimeoutSeconds (the packaged one is hours).
      definition: opts.timeoutSeconds ? JSON.stringify({ ...JSON.parse(deployment.stateMachineDefinition()), TimeoutSeconds: opts.timeoutSeconds }) : deployment.stateMachineDefinition(),
      stateMachineArn: names.stateMachineArn,
      onEnded: (execution) => bus.put(statusChangeEvent(execution, LOCAL_ACCOUNT, LOCAL_REGION)),
      services: {
        dynamodb,
        glue,
        publish,
        invoke: (arn, payload) => {
          const fn = functions[arn.split(':').at(-1)!.split('-').at(-1)!];
          if (!fn) throw new Error(`Lambda.ResourceNotFoundException: no function ${arn}`);
          return fn(payload);
        },
      },
      executionsDir: dir,
      pollMs: 5,
      retryMs: 5,
    });
  const stepFunctions = await create(executionsDir);
  return {
    names,
    /** Another LocalStepFunctions over the same run log, Glue and executions folder (a restarted stack). */
    restart: async (dir = executionsDir) => {
      const restarted = await create(dir);
      await restarted.abortInterrupted();
      return restarted;
    },
    dynamo,
    dynamodb,
    runLog,
    admission,
    backlog,
    glue,
    notifications,
    stepFunctions,
    executionsDir,
    /** Waits (with a deadline) until the execution has ended and returns how. */
    async finished(name: string, timeoutMs = 20_000): Promise<Execution> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const execution = stepFunctions.describeExecution(`${names.stateMachineArn}:${name}`);
        if (execution.status !== 'RUNNING') return execution;
        if (Date.now() > deadline) throw new Error(`execution ${name} still RUNNING after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      glue.model.close();
      await stepFunctions.settle(5_000);
      dynamodb.destroy();
      await dynamo.stop();
    },
  };
}

let counter = 0;

/** Records a RECEIVED ingestion the way the executor does and returns its execution input. */
export async function receivedIngestion(runLog: RunLog, overrides: Partial<ExecutionInput> = {}): Promise<ExecutionInput> {
  const id = `dailycheckin-20260121-${String(++counter).padStart(4, '0')}${Date.now().toString(16)}`;
  const input: ExecutionInput = {
    ingestionId: id,
    dataset: 'dailycheckin',
    businessDate: '2026-01-21',
    attempt: 1,
    source: { bucket: 'landing', key: `dailycheckin/2026-01-21/${id}.csv`, versionId: 'v1', sequencer: '00000000000000A1', uri: `s3://landing/dailycheckin/2026-01-21/${id}.csv`, size: 100 },
    stagingUri: `s3://data/staging/dailycheckin/${id}`,
    qualityMode: 'soft',
    ...overrides,
  };
  await runLog.create({
    ingestionId: id,
    dataset: input.dataset,
    businessDate: input.businessDate,
    sourceUri: input.source.uri,
    sourceVersion: 'v1',
    receivedAt: new Date().toISOString(),
    status: 'RECEIVED',
    ingestedTable: 'daily_checkins',
    executionInput: JSON.stringify(input),
  });
  return input;
}

/** Jobs that all succeed, with the counts a clean 10-row file produces. */
export const healthyJobs = (): Record<string, ScriptedJob> => ({
  transform: { run: () => ({ state: 'SUCCEEDED', metrics: { rowsIn: 10, rowsOut: 10, seconds: 1.5 } }) },
  test: qualityJob(0),
  load: { run: () => ({ state: 'SUCCEEDED', metrics: { rowsOut: 10, seconds: 2 } }) },
});

/** A test job that rejects `rejected` of 10 rows and, like the real one, fails in hard mode when any are. */
export const qualityJob = (rejected: number): ScriptedJob => ({
  run: (args) => {
    const metrics = { rowsIn: 10, rowsOut: 10 - rejected, rejected, duplicates: 0 };
    return args['--quality_mode'] === 'hard' && rejected > 0
      ? { state: 'FAILED', errorMessage: `QualityGateFailed: hard mode: ${rejected} of 10 rows rejected`, metrics }
      : { state: 'SUCCEEDED', metrics };
  },
});
