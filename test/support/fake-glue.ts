import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/shared/document-client';
import { GlueApiError, type JobRun } from '../../local/glue';
import type { GlueApi } from '../../local/stepfunctions-tasks';

/** What one fake job does: fail its StartJobRun calls first, then run and end SUCCEEDED or FAILED, writing its
 *  metrics into the run log the way the real jobs do. */
export interface FakeJob {
  /** How many StartJobRun calls fail with `startError` before one succeeds ('always': every one). */
  startFailures?: number | 'always';
  startError?: string;
  /** The run's end, given its arguments. */
  run(args: Record<string, string>): { state: 'SUCCEEDED' | 'FAILED'; errorMessage?: string; metrics?: Record<string, number> };
}

/** A Glue stand-in for state machine tests: no Spark, each run RUNNING on its first poll and ended on the next. */
export class FakeGlue implements GlueApi {
  readonly starts: Array<{ job: string; args: Record<string, string> }> = [];
  readonly startAttempts = new Map<string, number>();
  private readonly runs = new Map<string, { run: Omit<JobRun, 'LogFile'>; polls: number; job: string }>();

  constructor(
    private readonly dynamodb: DynamoDBClient,
    public jobs: Record<string, FakeJob>,
  ) {}

  /** The job named like `landing-etl-<stage name>-<job>`. */
  private jobFor(name: string): FakeJob {
    const stage = name.split('-').at(-1)!;
    const job = this.jobs[stage];
    if (!job) throw new GlueApiError('EntityNotFoundException', `Job ${name} not found`);
    return job;
  }

  async startJobRun(params: { JobName: string; Arguments?: Record<string, string> }) {
    const job = this.jobFor(params.JobName);
    const attempts = (this.startAttempts.get(params.JobName) ?? 0) + 1;
    this.startAttempts.set(params.JobName, attempts);
    if (job.startFailures === 'always' || attempts <= (job.startFailures ?? 0)) {
      throw new GlueApiError(job.startError ?? 'ConcurrentRunsExceededException', `Concurrent runs exceeded for ${params.JobName}`);
    }
    const id = `jr_fake_${this.runs.size + 1}`;
    const args = params.Arguments ?? {};
    this.starts.push({ job: params.JobName.split('-').at(-1)!, args });
    this.runs.set(id, {
      job: params.JobName,
      polls: 0,
      run: { Id: id, JobName: params.JobName, JobRunState: 'RUNNING', Arguments: args, StartedOn: new Date().toISOString() },
    });
    return { JobRunId: id };
  }

  async getJobRun(params: { JobName: string; RunId: string }) {
    const entry = this.runs.get(params.RunId);
    if (!entry) throw new GlueApiError('EntityNotFoundException', `Job run ${params.RunId} not found`);
    if (entry.polls++ === 1) {
      const args = entry.run.Arguments;
      const end = this.jobFor(params.JobName).run(args);
      if (end.metrics) await this.recordMetrics(args, params.JobName.split('-').at(-1)!, end.metrics);
      Object.assign(entry.run, {
        JobRunState: end.state,
        CompletedOn: new Date().toISOString(),
        ExecutionTime: 7,
        WorkerType: 'G.1X',
        NumberOfWorkers: 2,
        ...(end.errorMessage ? { ErrorMessage: end.errorMessage } : {}),
      });
    }
    return { JobRun: { ...entry.run } };
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
