import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/shared/document-client';
import { GlueApiError, GlueModel, type GlueLimits, type JobDefinition, type JobRun, type JobRunner, type RunOutcome } from '../../local/glue/model';
import type { GlueApi } from '../../local/stepfunctions-tasks';

/** What one scripted job does: fail its first StartJobRun calls (an error of Glue's API before the model sees the
 *  call), then run for `ms` and end as `run` says, writing its metrics into the run log as the real jobs do. */
export interface ScriptedJob {
  /** How many StartJobRun calls fail with `startError` before one reaches Glue ('always': every one). */
  startFailures?: number | 'always';
  startError?: string;
  /** How many GetJobRun calls of its runs fail with `pollError` first. */
  pollFailures?: number;
  pollError?: string;
  /** How long the run takes here, and the ExecutionTime it reports (Glue's whole seconds; 7 unless said). */
  ms?: number;
  seconds?: number;
  run(args: Record<string, string>): { state: 'SUCCEEDED' | 'FAILED'; errorMessage?: string; metrics?: Record<string, number> };
}

const stageOf = (jobName: string) => jobName.split('-').at(-1)!;
const STOPPED = () => {};

/** Glue for state machine tests: the local stack's Glue model (its limits, queue, throttling, states) running
 *  scripted jobs instead of Spark, so every path through the state machine runs in well under a second. */
export class ScriptedGlue implements GlueApi, JobRunner {
  readonly model: GlueModel;
  jobs: Record<string, ScriptedJob> = {};
  readonly starts: Array<{ job: string; args: Record<string, string> }> = [];
  readonly startAttempts = new Map<string, number>();
  /** Per run: what cuts its work short, or STOPPED once it was stopped. */
  private readonly stopped = new Map<string, () => void>();

  constructor(
    private readonly dynamodb: DynamoDBClient,
    jobs: JobDefinition[],
    limits: GlueLimits,
  ) {
    this.model = new GlueModel(Object.fromEntries(jobs.map((j) => [j.name, j])), this, limits);
  }

  async startJobRun(params: Parameters<GlueModel['startJobRun']>[0]) {
    const job = this.jobs[stageOf(params.JobName)];
    const attempts = (this.startAttempts.get(params.JobName) ?? 0) + 1;
    this.startAttempts.set(params.JobName, attempts);
    if (job && (job.startFailures === 'always' || attempts <= (job.startFailures ?? 0))) {
      throw new GlueApiError(job.startError ?? 'InternalServiceException', `Glue could not start ${params.JobName}`);
    }
    const started = await this.model.startJobRun(params);
    this.starts.push({ job: stageOf(params.JobName), args: params.Arguments ?? {} });
    return started;
  }

  readonly pollAttempts = new Map<string, number>();

  async getJobRun(params: Parameters<GlueModel['getJobRun']>[0]) {
    const job = this.jobs[stageOf(params.JobName)];
    const attempts = (this.pollAttempts.get(params.JobName) ?? 0) + 1;
    this.pollAttempts.set(params.JobName, attempts);
    if (job && attempts <= (job.pollFailures ?? 0)) throw new GlueApiError(job.pollError ?? 'AccessDeniedException', `Glue refused GetJobRun of ${params.JobName}`);
    return this.model.getJobRun(params);
  }

  batchStopJobRun(params: Parameters<GlueModel['batchStopJobRun']>[0]) {
    return this.model.batchStopJobRun(params);
  }

  /** JobRunner: the run's script, once the model gives the run capacity. */
  async run(run: Readonly<JobRun>): Promise<RunOutcome> {
    const job = this.jobs[stageOf(run.JobName)];
    if (!job) return { state: 'FAILED', errorMessage: `no script for ${run.JobName}` };
    // Its work: a wait that a stop cuts short, as Glue's BatchStopJobRun ends a run.
    await new Promise<void>((r) => {
      const timer = setTimeout(r, job.ms ?? 5);
      this.stopped.set(run.Id, () => (clearTimeout(timer), r()));
    });
    if (this.stopped.get(run.Id) === STOPPED) return { state: 'FAILED', errorMessage: 'stopped' };
    const end = job.run(run.Arguments);
    if (end.metrics) await this.recordMetrics(run.Arguments, stageOf(run.JobName), end.metrics);
    return { state: end.state, seconds: job.seconds ?? 7, ...(end.errorMessage ? { errorMessage: end.errorMessage } : {}) };
  }

  stop(runId: string): void {
    const cut = this.stopped.get(runId);
    this.stopped.set(runId, STOPPED);
    if (cut && cut !== STOPPED) cut();
  }

  private async recordMetrics(args: Record<string, string>, stage: string, metrics: Record<string, number>) {
    await documentClient(this.dynamodb).send(
      new UpdateCommand({
        TableName: args['--run_log_table'],
        Key: { pk: `ING#${args['--ingestion_id']}`, sk: `STAGE#${stage}` },
        UpdateExpression: 'SET #m = :m',
        ExpressionAttributeNames: { '#m': 'metrics' },
        ExpressionAttributeValues: { ':m': metrics },
      }),
    );
  }
}
