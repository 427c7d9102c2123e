import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { paths, repoRoot } from '../layout';
import type { JobRun, JobRunner, RunOutcome } from './model';

/** A job's built artifacts on this machine and the environment of its driver. */
export interface DriverJob {
  /** The job's entry script (its Command.ScriptLocation, as built in .build/glue-artifacts/). */
  script: string;
  /** Its --extra-py-files, as built. */
  pyFiles: string[];
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

/** The job's argv as Glue builds it: the run's arguments (the job's defaults already merged in), Glue's own
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

/** The local stack's Glue workers: each job runs in a warm Spark driver of its own (local/glue_worker.py), as each
 *  job runs with its own role on AWS, so a stage does not pay a JVM start. A run that is stopped has its Spark jobs
 *  cancelled; a driver that dies fails its running runs, and the next run starts a new one. */
export class SparkDrivers implements JobRunner {
  private readonly workers = new Map<string, Worker>();
  private readonly pending = new Map<string, { jobName: string; started: number; run: JobRun; settle(o: RunOutcome): void }>();
  private stopping = false;

  constructor(private readonly jobs: Record<string, DriverJob>) {}

  run(run: Readonly<JobRun>): Promise<RunOutcome> {
    const job = this.jobs[run.JobName]!;
    const worker = this.ensureWorker(run.JobName);
    return new Promise((resolve) => {
      this.pending.set(run.Id, { jobName: run.JobName, started: Date.now(), run, settle: resolve });
      void worker.ready.then(
        () => (worker.process.stdin as Writable).write(`${JSON.stringify({ id: run.Id, script: job.script, pyFiles: job.pyFiles, args: glueArgv(run.JobName, run.Id, run.Arguments) })}\n`),
        (e: Error) => this.settle(run.Id, 'FAILED', `GlueWorkerDied: ${e.message}`),
      );
    });
  }

  stop(runId: string): void {
    const pending = this.pending.get(runId);
    const worker = pending && this.workers.get(pending.jobName);
    if (worker) (worker.process.stdin as Writable).write(`${JSON.stringify({ cancel: runId })}\n`);
  }

  /** Starts every job's driver ahead of its first run. */
  async warmUp(): Promise<void> {
    await Promise.all(Object.keys(this.jobs).map((name) => this.ensureWorker(name).ready));
  }

  /** Stops the drivers at shutdown. */
  async stopAll(): Promise<void> {
    this.stopping = true;
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

  private settle(id: string, state: 'SUCCEEDED' | 'FAILED', error?: string, trace?: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    // The run's log (on AWS its CloudWatch streams): how it ended and, for a failure, the driver's trace.
    const seconds = Math.round((Date.now() - pending.started) / 1000);
    const summary = `${pending.jobName} ${id}: ${state} after ${seconds}s (started ${pending.run.StartedOn}, ended ${new Date().toISOString()})\n`;
    void writeFile(join(paths.glueLogs, `${pending.jobName}-${id}.log`), `${summary}${error ? `${error}\n` : ''}${trace ?? ''}`);
    pending.settle({ state, ...(error ? { errorMessage: error } : {}) });
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
      else if (reply.id) this.settle(reply.id, reply.state ?? 'FAILED', reply.error, reply.trace);
    });
    // 'close', not 'exit': the replies a dying worker wrote on its last breath are read first.
    child.on('close', (code, signal) => {
      if (this.workers.get(jobName)?.process === child) this.workers.delete(jobName);
      log.end();
      const cause = `the job's Spark driver exited (${signal ?? `code ${code}`}); log: ${logFile}`;
      markFailed(new Error(cause));
      for (const [id, pending] of this.pending) {
        if (pending.jobName === jobName) this.settle(id, 'FAILED', this.stopping ? 'Job run was stopped' : `GlueWorkerDied: ${cause}`);
      }
    });
    const worker = { process: child, ready };
    this.workers.set(jobName, worker);
    return worker;
  }
}
