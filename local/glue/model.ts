import { randomUUID } from 'node:crypto';
import { TokenBuckets } from './throttle';

/** Glue's job-run states (AWS Glue API reference, "JobRun": JobRunState). */
export type JobRunState = 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'SUCCEEDED' | 'FAILED' | 'ERROR' | 'WAITING' | 'EXPIRED' | 'TIMEOUT';
const ENDED: ReadonlySet<JobRunState> = new Set(['STOPPED', 'SUCCEEDED', 'FAILED', 'ERROR', 'EXPIRED', 'TIMEOUT']);

/** A job run as GetJobRun returns it (the fields the pipeline and its tests read). */
export interface JobRun {
  Id: string;
  Attempt: number;
  JobName: string;
  JobRunState: JobRunState;
  JobRunQueuingEnabled: boolean;
  Arguments: Record<string, string>;
  StartedOn: string;
  LastModifiedOn: string;
  CompletedOn?: string;
  /** Seconds the run ran (its time WAITING is not counted, nor billed). */
  ExecutionTime: number;
  ErrorMessage?: string;
  Timeout: number;
  GlueVersion?: string;
  WorkerType?: string;
  NumberOfWorkers?: number;
  MaxCapacity?: number;
  ExecutionClass?: 'STANDARD';
  LogGroupName: string;
}

/** A job as the template defines it. */
export interface JobDefinition {
  name: string;
  defaultArguments: Record<string, string>;
  /** Arguments "not overridden when providing job arguments in a job run" (AWS::Glue::Job NonOverridableArguments). */
  nonOverridableArguments?: Record<string, string>;
  /** ExecutionProperty.MaxConcurrentRuns ("The default is 1"). */
  maxConcurrentRuns: number;
  /** Timeout in minutes (Glue's default is 2,880). */
  timeoutMinutes: number;
  capacity?: { GlueVersion: string; WorkerType: string; NumberOfWorkers: number };
  /** Where Glue writes the run's logs: /aws-glue/jobs, or the group its security configuration names. */
  logGroupName?: string;
}

export type GlueOperation = 'StartJobRun' | 'GetJobRun' | 'BatchStopJobRun';

/** The account's limits. Each has AWS's documented default; the tests set small ones. */
export interface GlueLimits {
  /** "Max concurrent job runs per account": 50 by default (AWS General Reference, "AWS Glue endpoints and quotas"). */
  accountConcurrentRuns: number;
  /** Calls per second per operation above which Glue answers ThrottlingException "Rate exceeded". Glue publishes
   *  no API rate (its users report GetJobRun throttling, e.g. re:Post "glue throttling exception when starting 15
   *  glue jobs in parallel via step function"), so by default there is none. */
  apiRates: Partial<Record<GlueOperation, number>>;
  /** How long a queued run waits before it EXPIRES. Glue documents no fixed bound; the model uses the job's timeout
   *  (a queued run never waits longer than it would have been allowed to run). */
  queueTimeoutMs?: number;
  /** Milliseconds per minute of a job's Timeout: 60,000 on AWS, less in tests. */
  minuteMs: number;
}

export const AWS_GLUE_LIMITS: GlueLimits = { accountConcurrentRuns: 50, apiRates: {}, minuteMs: 60_000 };

/** How a run ends, as its runner reports it. */
export interface RunOutcome {
  state: 'SUCCEEDED' | 'FAILED';
  errorMessage?: string;
  /** How long the run's work took, when the runner measures it itself; otherwise the model's clock says. */
  seconds?: number;
}

/** What executes a job run once it has capacity: the warm Spark drivers locally, a script in tests. */
export interface JobRunner {
  run(run: Readonly<JobRun>): Promise<RunOutcome>;
  /** Stops a run in progress (its promise then settles, however it does). */
  stop(runId: string): void;
}

/** An error as Glue's API names it; the Step Functions integration raises it as `Glue.<code>`. */
export class GlueApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

interface Tracked {
  run: JobRun;
  timer?: NodeJS.Timeout;
  runningSince?: number;
  stopRequested?: boolean;
}

/** Glue's job-run lifecycle at its limits, as one model for the local stack and the tests: a run gets capacity when
 *  its job has fewer than MaxConcurrentRuns running and the account fewer than its quota; otherwise it waits in
 *  WAITING when the StartJobRun asked for queuing (JobRunQueuingEnabled: "If false or not populated, the job run
 *  will not be considered for queueing", StartJobRun reference) and is refused with ConcurrentRunsExceededException
 *  when it did not. A queued run EXPIRES after the queue timeout, a running one ends TIMEOUT after its job's
 *  Timeout, BatchStopJobRun stops either, and every operation is throttled above its configured rate. */
export class GlueModel {
  private readonly runs = new Map<string, Tracked>();
  private readonly queue: string[] = [];
  private readonly throttle: TokenBuckets<GlueOperation>;
  /** Calls per operation, and how many were throttled: what a benchmark reports. */
  readonly calls: Record<GlueOperation, { total: number; throttled: number }> = {
    StartJobRun: { total: 0, throttled: 0 },
    GetJobRun: { total: 0, throttled: 0 },
    BatchStopJobRun: { total: 0, throttled: 0 },
  };
  private closed = false;

  constructor(
    private readonly jobs: Record<string, JobDefinition>,
    private readonly runner: JobRunner,
    private readonly limits: GlueLimits = AWS_GLUE_LIMITS,
  ) {
    this.throttle = new TokenBuckets(limits.apiRates);
  }

  async startJobRun(params: { JobName: string; Arguments?: Record<string, string>; JobRunQueuingEnabled?: boolean }): Promise<{ JobRunId: string }> {
    this.admit('StartJobRun');
    const job = this.job(params.JobName);
    const queuing = params.JobRunQueuingEnabled === true;
    if (!queuing && !this.hasCapacity(job.name)) {
      throw new GlueApiError('ConcurrentRunsExceededException', this.capacityMessage(job));
    }
    const now = new Date().toISOString();
    const id = `jr_${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;
    const capacity = job.capacity;
    const run: JobRun = {
      Id: id,
      Attempt: 0,
      JobName: job.name,
      JobRunState: 'WAITING',
      JobRunQueuingEnabled: queuing,
      // Like Glue: the run's arguments replace the job's defaults, except the non-overridable ones.
      Arguments: { ...job.defaultArguments, ...params.Arguments, ...job.nonOverridableArguments },
      StartedOn: now,
      LastModifiedOn: now,
      ExecutionTime: 0,
      Timeout: job.timeoutMinutes,
      ...(capacity ? { ...capacity, MaxCapacity: capacity.NumberOfWorkers * (DPU_PER_WORKER[capacity.WorkerType] ?? 1), ExecutionClass: 'STANDARD' as const } : {}),
      LogGroupName: job.logGroupName ?? '/aws-glue/jobs',
    };
    const tracked: Tracked = { run };
    this.runs.set(id, tracked);
    // Capacity frees only as runs end, and each end starts the queued runs it can: a queued run never waits while
    // its job and the account have room, so a new run with room starts at once.
    if (this.hasCapacity(job.name)) this.begin(tracked);
    else this.enqueue(tracked);
    return { JobRunId: id };
  }

  async getJobRun(params: { JobName: string; RunId: string }): Promise<{ JobRun: JobRun }> {
    this.admit('GetJobRun');
    return { JobRun: { ...this.tracked(params.JobName, params.RunId).run } };
  }

  async batchStopJobRun(params: { JobName: string; JobRunIds: string[] }) {
    this.admit('BatchStopJobRun');
    this.job(params.JobName);
    const stopped: Array<{ JobName: string; JobRunId: string }> = [];
    const errors: Array<{ JobName: string; JobRunId: string; ErrorDetail: { ErrorCode: string; ErrorMessage: string } }> = [];
    for (const id of params.JobRunIds) {
      const tracked = this.runs.get(id);
      if (!tracked || tracked.run.JobName !== params.JobName || ENDED.has(tracked.run.JobRunState)) {
        const why = tracked && ENDED.has(tracked.run.JobRunState) ? `is already ${tracked.run.JobRunState}` : 'does not exist';
        errors.push({ JobName: params.JobName, JobRunId: id, ErrorDetail: { ErrorCode: 'InvalidInputException', ErrorMessage: `Job run ${id} ${why}` } });
        continue;
      }
      this.stop(tracked);
      stopped.push({ JobName: params.JobName, JobRunId: id });
    }
    return { SuccessfulSubmissions: stopped, Errors: errors };
  }

  /** Every run of a job, newest first (for tests and the benchmark). */
  list(jobName?: string): JobRun[] {
    return [...this.runs.values()].map((t) => ({ ...t.run })).filter((r) => !jobName || r.JobName === jobName).reverse();
  }

  /** Runs not ended, by state. */
  inFlight(): { waiting: number; running: number } {
    let waiting = 0;
    let running = 0;
    for (const { run } of this.runs.values()) {
      if (run.JobRunState === 'WAITING') waiting++;
      else if (!ENDED.has(run.JobRunState)) running++;
    }
    return { waiting, running };
  }

  /** At shutdown: queued runs never start, running ones are stopped. */
  close(): void {
    this.closed = true;
    for (const tracked of this.runs.values()) if (!ENDED.has(tracked.run.JobRunState)) this.stop(tracked);
  }

  private admit(operation: GlueOperation): void {
    this.calls[operation].total++;
    if (this.throttle.take(operation)) return;
    this.calls[operation].throttled++;
    throw new GlueApiError('ThrottlingException', 'Rate exceeded');
  }

  private job(name: string): JobDefinition {
    const job = this.jobs[name];
    if (!job) throw new GlueApiError('EntityNotFoundException', `Job ${name} not found`);
    return job;
  }

  private tracked(jobName: string, runId: string): Tracked {
    this.job(jobName);
    const tracked = this.runs.get(runId);
    if (!tracked || tracked.run.JobName !== jobName) throw new GlueApiError('EntityNotFoundException', `Job run ${runId} of ${jobName} not found`);
    return tracked;
  }

  private running(jobName?: string): number {
    let n = 0;
    for (const { run } of this.runs.values()) {
      if (run.JobRunState !== 'WAITING' && !ENDED.has(run.JobRunState) && (!jobName || run.JobName === jobName)) n++;
    }
    return n;
  }

  private hasCapacity(jobName: string): boolean {
    return !this.closed && this.running(jobName) < this.job(jobName).maxConcurrentRuns && this.running() < this.limits.accountConcurrentRuns;
  }

  private capacityMessage(job: JobDefinition): string {
    return this.running(job.name) >= job.maxConcurrentRuns
      ? `Concurrent runs exceeded for ${job.name}: ${job.maxConcurrentRuns} of MaxConcurrentRuns ${job.maxConcurrentRuns} running`
      : `Concurrent runs exceeded: ${this.running()} job runs running in the account, its quota is ${this.limits.accountConcurrentRuns}`;
  }

  private enqueue(tracked: Tracked): void {
    this.queue.push(tracked.run.Id);
    const ms = this.limits.queueTimeoutMs ?? tracked.run.Timeout * this.limits.minuteMs;
    tracked.timer = setTimeout(() => {
      this.queue.splice(this.queue.indexOf(tracked.run.Id), 1);
      this.end(tracked, 'EXPIRED', `Job run expired after waiting ${Math.round(ms / 1000)} s in the queue for capacity`);
    }, ms).unref();
  }

  /** Starts every queued run that has capacity now, oldest first; a run whose job is full does not hold back the
   *  runs of other jobs. */
  private dispatch(): void {
    for (const id of [...this.queue]) {
      const tracked = this.runs.get(id)!;
      if (!this.hasCapacity(tracked.run.JobName)) continue;
      this.queue.splice(this.queue.indexOf(id), 1);
      clearTimeout(tracked.timer);
      this.begin(tracked);
    }
  }

  private begin(tracked: Tracked): void {
    const { run } = tracked;
    this.touch(run, 'RUNNING');
    tracked.runningSince = Date.now();
    const ms = run.Timeout * this.limits.minuteMs;
    tracked.timer = setTimeout(() => {
      this.runner.stop(run.Id);
      this.end(tracked, 'TIMEOUT', `Job run timed out after ${run.Timeout} minutes`);
    }, ms).unref();
    this.runner.run({ ...run }).then(
      (outcome) => {
        if (outcome.seconds !== undefined) tracked.runningSince = Date.now() - outcome.seconds * 1000;
        this.end(tracked, tracked.stopRequested ? 'STOPPED' : outcome.state, tracked.stopRequested ? undefined : outcome.errorMessage);
      },
      (e: Error) => this.end(tracked, tracked.stopRequested ? 'STOPPED' : 'FAILED', tracked.stopRequested ? undefined : e.message),
    );
  }

  private stop(tracked: Tracked): void {
    if (tracked.run.JobRunState === 'WAITING') {
      this.queue.splice(this.queue.indexOf(tracked.run.Id), 1);
      this.end(tracked, 'STOPPED');
      return;
    }
    tracked.stopRequested = true;
    this.touch(tracked.run, 'STOPPING');
    this.runner.stop(tracked.run.Id);
  }

  private end(tracked: Tracked, state: JobRunState, errorMessage?: string): void {
    const { run } = tracked;
    if (ENDED.has(run.JobRunState)) return;
    clearTimeout(tracked.timer);
    this.touch(run, state);
    run.CompletedOn = run.LastModifiedOn;
    if (tracked.runningSince !== undefined) run.ExecutionTime = Math.round((Date.now() - tracked.runningSince) / 1000);
    if (errorMessage) run.ErrorMessage = errorMessage;
    this.dispatch();
  }

  private touch(run: JobRun, state: JobRunState): void {
    run.JobRunState = state;
    run.LastModifiedOn = new Date().toISOString();
  }
}

/** DPUs of a worker of each type (AWS Glue developer guide, "AWS Glue worker types"). */
const DPU_PER_WORKER: Record<string, number> = { 'G.025X': 0.25, 'G.1X': 1, 'G.2X': 2, 'G.4X': 4, 'G.8X': 8, 'G.12X': 12 };
