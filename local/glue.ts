import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
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
}

/** An error shaped like the one the Step Functions AWS-SDK integration raises for a Glue API error. */
export class GlueApiError extends Error {
  constructor(code: string, message: string) {
    super(message);
    this.name = `Glue.${code}`;
  }
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

/** Glue on this machine: StartJobRun/GetJobRun over the glue-scripts, run by one warm Spark driver
 *  (local/glue_worker.py) so a stage does not pay a JVM start. Runs beyond `maxConcurrent` wait in a queue, like
 *  Glue job-run queuing; a driver that dies fails its running runs, and the next run starts a new one. */
export class LocalGlue {
  private readonly runs = new Map<string, JobRun & { started: number }>();
  private readonly queue: string[] = [];
  private running = 0;
  private worker: Worker | undefined;
  private stopping = false;

  constructor(
    /** Job name → entry script (relative to glue-scripts/) and the job's DefaultArguments. */
    private readonly jobs: Record<string, { script: string; defaultArguments?: Record<string, string> }>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly maxConcurrent = 2,
  ) {}

  async startJobRun(params: { JobName: string; Arguments?: Record<string, string> }): Promise<{ JobRunId: string }> {
    const job = this.jobs[params.JobName];
    if (!job) throw new GlueApiError('EntityNotFoundException', `Job ${params.JobName} not found`);
    const id = `jr_${randomUUID().replaceAll('-', '')}`;
    this.runs.set(id, {
      Id: id,
      JobName: params.JobName,
      JobRunState: 'WAITING',
      // Like Glue: the run's arguments override the job's default arguments.
      Arguments: { ...job.defaultArguments, ...params.Arguments },
      StartedOn: new Date().toISOString(),
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

  /** Starts the Spark driver ahead of the first run. */
  async warmUp(): Promise<void> {
    await this.ensureWorker().ready;
  }

  /** Kills the Spark driver as a crash would (fault tests): its running runs fail. */
  killWorker(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.worker?.process.kill(signal);
  }

  /** Stops the driver at shutdown; running runs end STOPPED, queued ones never start. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    const child = this.worker?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  private drain(): void {
    while (!this.stopping && this.running < this.maxConcurrent && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const run = this.runs.get(id)!;
      run.JobRunState = 'RUNNING';
      this.running++;
      const worker = this.ensureWorker();
      void worker.ready.then(() => {
        const args = Object.entries(run.Arguments).flatMap(([k, v]) => [k, v]);
        (worker.process.stdin as Writable).write(
          `${JSON.stringify({ id, script: this.jobs[run.JobName]!.script, args: ['--JOB_NAME', run.JobName, '--JOB_RUN_ID', id, ...args] })}\n`,
        );
      }, () => {});
    }
  }

  private finish(id: string, state: JobRunState, error?: string, trace?: string): void {
    const run = this.runs.get(id);
    if (!run || (run.JobRunState !== 'RUNNING' && run.JobRunState !== 'WAITING')) return;
    run.JobRunState = state;
    run.CompletedOn = new Date().toISOString();
    run.ExecutionTime = Math.round((Date.now() - run.started) / 1000);
    if (error) run.ErrorMessage = error;
    if (trace) void writeFile(join(paths.glueLogs, `${run.JobName}-${id}.log`), trace);
    this.running--;
    this.drain();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const log = createWriteStream(join(paths.glueLogs, 'driver.log'), { flags: 'a' });
    const child = spawn(paths.python, [join(repoRoot, 'local', 'glue_worker.py')], {
      cwd: paths.glueScripts,
      env: this.env,
      // Its own process group: a Ctrl-C in the terminal reaches the stack, which then stops the driver in order.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    let markReady: () => void;
    let markFailed: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (markFailed = reject)));
    createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
      const reply = JSON.parse(line) as WorkerReply;
      if (reply.ready) markReady();
      else if (reply.id) this.finish(reply.id, reply.state ?? 'FAILED', reply.error, reply.trace);
    });
    child.on('exit', (code, signal) => {
      this.worker = undefined;
      log.end();
      const cause = `the job's Spark driver exited (${signal ?? `code ${code}`}); log: ${join(paths.glueLogs, 'driver.log')}`;
      markFailed(new Error(cause));
      for (const run of this.runs.values()) {
        if (run.JobRunState === 'RUNNING') {
          this.finish(run.Id, this.stopping ? 'STOPPED' : 'FAILED', this.stopping ? 'Job run was stopped' : `GlueWorkerDied: ${cause}`);
        }
      }
    });
    this.worker = { process: child, ready };
    return this.worker;
  }
}
