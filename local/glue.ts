import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { paths } from './layout';

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
  LogFile: string;
}

/** An error shaped like the one the Step Functions AWS-SDK integration raises for a Glue API error. */
export class GlueApiError extends Error {
  constructor(code: string, message: string) {
    super(message);
    this.name = `Glue.${code}`;
  }
}

/** Runs the glue-scripts with local Spark and reports job runs the way the Glue API does (StartJobRun/GetJobRun).
 *  Runs beyond `maxConcurrent` wait in a queue, like Glue job-run queuing. */
export class LocalGlue {
  private readonly runs = new Map<string, JobRun>();
  private readonly processes = new Map<string, ChildProcess>();
  private readonly queue: string[] = [];

  constructor(
    /** Job name → entry script (relative to glue-scripts/) and the job's DefaultArguments. */
    private readonly jobs: Record<string, { script: string; defaultArguments?: Record<string, string> }>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly maxConcurrent = 2,
  ) {}

  async startJobRun(params: { JobName: string; Arguments?: Record<string, string> }): Promise<{ JobRunId: string }> {
    if (!this.jobs[params.JobName]) throw new GlueApiError('EntityNotFoundException', `Job ${params.JobName} not found`);
    await mkdir(paths.glueLogs, { recursive: true });
    const id = `jr_${randomUUID().replaceAll('-', '')}`;
    this.runs.set(id, {
      Id: id,
      JobName: params.JobName,
      JobRunState: 'WAITING',
      // Like Glue: the run's arguments override the job's default arguments.
      Arguments: { ...this.jobs[params.JobName]!.defaultArguments, ...params.Arguments },
      StartedOn: new Date().toISOString(),
      LogFile: join(paths.glueLogs, `${params.JobName}-${id}.log`),
    });
    this.queue.push(id);
    this.drain();
    return { JobRunId: id };
  }

  async getJobRun(params: { JobName: string; RunId: string }): Promise<{ JobRun: Omit<JobRun, 'LogFile'> }> {
    const run = this.runs.get(params.RunId);
    if (!run || run.JobName !== params.JobName) {
      throw new GlueApiError('EntityNotFoundException', `Job run ${params.RunId} of ${params.JobName} not found`);
    }
    const { LogFile: _, ...jobRun } = run;
    return { JobRun: jobRun };
  }

  /** Stops every running job (the stack is shutting down); their runs end STOPPED. */
  async stopAll(): Promise<void> {
    this.queue.length = 0;
    await Promise.all(
      [...this.processes.values()].map(
        (p) => new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : (p.once('exit', () => resolve()), p.kill('SIGTERM')))),
      ),
    );
  }

  private drain(): void {
    while (this.processes.size < this.maxConcurrent && this.queue.length > 0) this.launch(this.queue.shift()!);
  }

  private launch(id: string): void {
    const run = this.runs.get(id)!;
    const args = Object.entries(run.Arguments).flatMap(([k, v]) => [k, v]);
    run.JobRunState = 'RUNNING';
    const started = Date.now();
    const log = createWriteStream(run.LogFile);
    const child = spawn(paths.python, [this.jobs[run.JobName]!.script, '--JOB_NAME', run.JobName, '--JOB_RUN_ID', id, ...args], {
      cwd: paths.glueScripts,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.processes.set(id, child);
    let stderrTail = '';
    child.stdout.pipe(log, { end: false });
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-20_000);
    });
    child.on('exit', (code, signal) => {
      this.processes.delete(id);
      run.CompletedOn = new Date().toISOString();
      run.ExecutionTime = Math.round((Date.now() - started) / 1000);
      if (code === 0) run.JobRunState = 'SUCCEEDED';
      else if (signal === 'SIGTERM') {
        run.JobRunState = 'STOPPED';
        run.ErrorMessage = 'Job run was stopped';
      } else {
        run.JobRunState = 'FAILED';
        run.ErrorMessage = errorMessage(stderrTail) ?? `Job process exited with ${signal ?? `code ${code}`} (log: ${run.LogFile})`;
      }
      log.end();
      this.drain();
    });
  }
}

/** Glue reports the run's Python exception ("QualityGateFailed: 3 of 10 rows rejected …") as its error message:
 *  the unindented line that ends the last traceback. */
function errorMessage(stderr: string): string | undefined {
  const at = stderr.lastIndexOf('Traceback (most recent call last):');
  if (at < 0) return undefined;
  for (const line of stderr.slice(at).split('\n').reverse()) {
    const m = /^(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*): (.*)$/.exec(line.trimEnd());
    if (m) return `${m[1]}: ${m[2]}`;
  }
  return undefined;
}
