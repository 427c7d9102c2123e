import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { paths, repoRoot } from './layout';

export type JobRunState = 'WAITING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface JobRun {
  Id: string;
  JobName: string;
  JobRunState: JobRunState;
  Arguments: Record<string, string>;
  StartedOn: string;
  CompletedOn?: string;
  ExecutionTime?: number;
  ErrorMessage?: string;
  // The rest of Glue's JobRun, as GetJobRun returns it for a job of fixed workers (AWS Glue API reference, "JobRun").
  Attempt?: number;
  LastModifiedOn?: string;
  GlueVersion?: string;
  WorkerType?: string;
  NumberOfWorkers?: number;
  MaxCapacity?: number;
  Timeout?: number;
  ExecutionClass?: 'STANDARD';
}

/** DPUs of a worker of each type that the local stack's jobs may name. */
const DPU_PER_WORKER: Record<string, number> = { 'G.025X': 0.25, 'G.1X': 1, 'G.2X': 2, 'G.4X': 4, 'G.8X': 8 };

/** An error shaped like the one the Step Functions AWS-SDK integration raises for a Glue API error. */
export class GlueApiError extends Error {
  constructor(code: string, message: string) {
    super(message);
    this.name = `Glue.${code}`;
  }
}

/** A Glue job as the packaged template defines it, with its artifacts found on this machine. */
export interface LocalJob {
  name: string;
  /** The job's entry script (its Command.ScriptLocation, as built in .build/glue-artifacts/). */
  script: string;
  /** Its --extra-py-files, as built. */
  pyFiles: string[];
  defaultArguments: Record<string, string>;
  /** Its NonOverridableArguments: they win over the run's. */
  nonOverridableArguments?: Record<string, string>;
  /** The job definition's capacity, as GetJobRun reports it. */
  capacity?: { GlueVersion: string; WorkerType: string; NumberOfWorkers: number; Timeout: number };
  /** The process environment of the job's driver: its role's credentials, region, endpoints. */
  env: NodeJS.ProcessEnv;
}

interface WorkerReply {
  id?: string;
  ready?: boolean;
  state?: 'SUCCEEDED' | 'FAILED';
  error?: string;
  trace?: string;
}

interface Worker {
  process: ChildProcess;
  ready: Promise<void>;
}

/** Arguments Glue consumes as flags: it hands them to the script with no value of their own, so the next token
 *  is another key (see landing_etl/jobargs.py). */
const KEY_ONLY = /^--enable-/;

/** The job's argv as Glue builds it: the job's DefaultArguments overridden by the run's Arguments, Glue's own
 *  `--JOB_ID`, `--JOB_RUN_ID` and `--JOB_NAME`, flags without values, in no fixed order. */
export function glueArgv(jobName: string, runId: string, args: Record<string, string>, shuffle = true): string[] {
  const pairs: string[][] = [
    ['--JOB_ID', `j_${randomBytes(32).toString('hex')}`],
    ['--JOB_RUN_ID', runId],
    ['--JOB_NAME', jobName],
    ...Object.entries(args).map(([k, v]) => (KEY_ONLY.test(k) ? [k] : [k, v])),
  ];
  if (shuffle) {
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
  }
  return pairs.flat();
}

/** Glue on this machine: StartJobRun/GetJobRun over the built Glue artifacts. Each job runs in a warm Spark driver
 *  of its own (local/glue_worker.py), as each job runs with its own role on AWS, so a stage does not pay a JVM
 *  start. Runs beyond `maxConcurrent` wait in a queue, like Glue job-run queuing; a driver that dies fails its
 *  running runs, and the next run starts a new one. */
export class LocalGlue {
  private readonly runs = new Map<string, JobRun & { started: number }>();
  private readonly queue: string[] = [];
  private running = 0;
  private readonly workers = new Map<string, Worker>();
  private stopping = false;

  constructor(
    private readonly jobs: Record<string, LocalJob>,
    private readonly maxConcurrent = 2,
  ) {}

  async startJobRun(params: { JobName: string; Arguments?: Record<string, string> }): Promise<{ JobRunId: string }> {
    const job = this.jobs[params.JobName];
    if (!job) throw new GlueApiError('EntityNotFoundException', `Job ${params.JobName} not found`);
    const id = `jr_${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;
    const capacity = job.capacity;
    this.runs.set(id, {
      Id: id,
      Attempt: 0,
      JobName: params.JobName,
      JobRunState: 'WAITING',
      ...(capacity
        ? { ...capacity, MaxCapacity: capacity.NumberOfWorkers * (DPU_PER_WORKER[capacity.WorkerType] ?? 1), ExecutionClass: 'STANDARD' as const }
        : {}),
      // Like Glue: the run's arguments override the job's default arguments, never its non-overridable ones.
      Arguments: { ...job.defaultArguments, ...params.Arguments, ...job.nonOverridableArguments },
      StartedOn: new Date().toISOString(),
      LastModifiedOn: new Date().toISOString(),
      started: Date.now(),
    });
    this.queue.push(id);
    this.drain();
    return { JobRunId: id };
  }

  async getJobRun(params: { JobName: string; RunId: string }): Promise<{ JobRun: JobRun }> {
    const run = this.runs.get(params.RunId);
    if (!run || run.JobName !== params.JobName) {
      throw new GlueApiError('EntityNotFoundException', `Job run ${params.RunId} of ${params.JobName} not found`);
    }
    const { started: _, ...jobRun } = run;
    return { JobRun: jobRun };
  }

  /** Starts every job's driver ahead of its first run. */
  async warmUp(): Promise<void> {
    await Promise.all(Object.keys(this.jobs).map((name) => this.ensureWorker(name).ready));
  }

  /** Stops the drivers at shutdown; running runs end STOPPED, queued ones never start. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    await Promise.all(
      [...this.workers.values()].map(({ process: child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        return new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }),
    );
  }

  private drain(): void {
    while (!this.stopping && this.running < this.maxConcurrent && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const run = this.runs.get(id)!;
      const job = this.jobs[run.JobName]!;
      run.JobRunState = 'RUNNING';
      this.running++;
      const worker = this.ensureWorker(run.JobName);
      void worker.ready.then(() => {
        const request = { id, script: job.script, pyFiles: job.pyFiles, args: glueArgv(run.JobName, id, run.Arguments) };
        (worker.process.stdin as Writable).write(`${JSON.stringify(request)}\n`);
      }, () => {});
    }
  }

  private finish(id: string, state: JobRunState, error?: string, trace?: string): void {
    const run = this.runs.get(id);
    if (!run || (run.JobRunState !== 'RUNNING' && run.JobRunState !== 'WAITING')) return;
    run.JobRunState = state;
    run.CompletedOn = new Date().toISOString();
    run.LastModifiedOn = run.CompletedOn;
    run.ExecutionTime = Math.round((Date.now() - run.started) / 1000);
    if (error) run.ErrorMessage = error;
    // The run's log (on AWS its CloudWatch streams): how it ended and, for a failure, the driver's trace.
    const summary = `${run.JobName} ${id}: ${state} after ${run.ExecutionTime}s (started ${run.StartedOn}, ended ${run.CompletedOn})\n`;
    void writeFile(join(paths.glueLogs, `${run.JobName}-${id}.log`), `${summary}${error ? `${error}\n` : ''}${trace ?? ''}`);
    this.running--;
    this.drain();
  }

  private ensureWorker(jobName: string): Worker {
    const existing = this.workers.get(jobName);
    if (existing) return existing;
    const job = this.jobs[jobName]!;
    const logFile = join(paths.glueLogs, `${jobName}-driver.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    // A job whose script never starts Spark (the load streams with pyarrow) does not get a JVM ahead of time.
    const warmSpark = /\bsession\(/.test(readFileSync(job.script, 'utf8'));
    const child = spawn(paths.python, [join(repoRoot, 'local', 'glue_worker.py'), ...job.pyFiles], {
      cwd: paths.glueLogs,
      env: { ...job.env, LANDING_ETL_WARM_SPARK: warmSpark ? '1' : '' },
      // Its own process group: a Ctrl-C in the terminal reaches the stack, which then stops the driver in order.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    let markReady: () => void;
    let markFailed: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (markFailed = reject)));
    ready.catch(() => {}); // a driver that dies before it is ready fails the runs waiting for it, not the stack
    createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
      const reply = JSON.parse(line) as WorkerReply;
      if (reply.ready) markReady();
      else if (reply.id) this.finish(reply.id, reply.state ?? 'FAILED', reply.error, reply.trace);
    });
    child.on('exit', (code, signal) => {
      if (this.workers.get(jobName)?.process === child) this.workers.delete(jobName);
      log.end();
      const cause = `the job's Spark driver exited (${signal ?? `code ${code}`}); log: ${logFile}`;
      markFailed(new Error(cause));
      for (const run of this.runs.values()) {
        if (run.JobName === jobName && run.JobRunState === 'RUNNING') {
          this.finish(run.Id, this.stopping ? 'STOPPED' : 'FAILED', this.stopping ? 'Job run was stopped' : `GlueWorkerDied: ${cause}`);
        }
      }
    });
    const worker = { process: child, ready };
    this.workers.set(jobName, worker);
    return worker;
  }
}
