import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaFunction } from './deployment';
import { repoRoot } from './layout';

/** An error a function invocation ended with, named as Lambda names it (the handler's error name, or
 *  `Runtime.ImportModuleError`, `Runtime.ExitError`, `Sandbox.Timedout`). */
export class LambdaInvocationError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The most a synchronous invocation may answer: 6 MB ("Lambda quotas": invocation payload, 6 MB each for request
 *  and response), which Lambda enforces as 6,291,556 bytes of the serialized response, failing the invocation with
 *  Function.ResponseSizeTooLarge "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
 *  (the error moto's Lambda reproduces too); API Gateway then answers 500. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6_291_556;

interface Pending {
  child: ChildProcess;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Environment {
  child: ChildProcess;
  ready: Promise<void>;
}

/** Lambda on this machine: each function of the packaged template runs from its zip in a process of its own
 *  (local/lambda-runtime.mjs) with the environment the template gives it, and is invoked over IPC. A process that
 *  exits is replaced on the next invocation, as Lambda starts a new execution environment. */
export class LocalLambdas {
  private readonly environments = new Map<string, Environment>();
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;

  constructor(
    private readonly functions: LambdaFunction[],
    /** Where each function's package is unzipped and its logs go. */
    private readonly dir: string,
    /** What the local stack adds to a function's template environment: credentials, region, endpoints. */
    private readonly runtimeEnv: (fn: LambdaFunction) => Record<string, string>,
    private readonly log: (line: string) => void,
    private readonly options: { responseLimitBytes?: number } = {},
  ) {}

  /** Starts every function's environment (cold start), failing with the import error of one that cannot load. */
  async start(): Promise<void> {
    await Promise.all(this.functions.map((fn) => this.environment(fn).ready));
  }

  function(logicalId: string): LambdaFunction {
    const fn = this.functions.find((f) => f.logicalId === logicalId);
    if (!fn) throw new Error(`the template has no function ${logicalId}`);
    return fn;
  }

  /** A handler-shaped function that invokes the packaged function: what the HTTP API and S3 notifications call. */
  handler(logicalId: string): (event: unknown) => Promise<unknown> {
    const fn = this.function(logicalId);
    return (event) => this.invoke(fn, event);
  }

  async invoke(fn: LambdaFunction, event: unknown): Promise<unknown> {
    const env = this.environment(fn);
    await env.ready;
    const id = String(this.nextId++);
    const timeoutMs = fn.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds}.00 seconds`));
      }, timeoutMs);
      this.pending.set(id, { child: env.child, resolve, reject, timer });
      env.child.send({ id, event, timeoutMs, responseLimitBytes: this.options.responseLimitBytes ?? LAMBDA_RESPONSE_LIMIT_BYTES });
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.environments.values()].map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  private environment(fn: LambdaFunction): Environment {
    const existing = this.environments.get(fn.logicalId);
    if (existing) return existing;
    const root = join(this.dir, fn.name);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    // Python's zipfile: the project needs Python anyway, and no unzip binary or npm package is then required.
    execFileSync('python3', ['-m', 'zipfile', '-e', fn.zip, root]);
    const child = fork(join(repoRoot, 'local', 'lambda-runtime.mjs'), [], {
      cwd: root,
      // Only what Lambda gives a function: the template's variables and the runtime's own, nothing of this process.
      env: {
        ...fn.environment,
        ...this.runtimeEnv(fn),
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LAMBDA_TASK_ROOT: root,
        _HANDLER: `${fn.handlerModule.replace(/\.mjs$/, '')}.${fn.handlerExport}`,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        NODE_OPTIONS: '',
      },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const logFile = createWriteStream(join(this.dir, `${fn.name}.log`), { flags: 'a' });
    child.stdout!.pipe(logFile, { end: false });
    child.stderr!.pipe(logFile, { end: false });
    let markReady!: () => void;
    let markFailed!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (markFailed = reject)));
    ready.catch(() => {});
    child.on('message', (m: { ready?: true; initError?: { name: string; message: string }; id?: string; result?: unknown; error?: { name: string; message: string } }) => {
      if (m.ready) return markReady();
      if (m.initError) {
        const error = new LambdaInvocationError('Runtime.ImportModuleError', `${fn.name}: ${m.initError.name}: ${m.initError.message}`);
        this.log(error.message);
        return markFailed(error);
      }
      const call = this.pending.get(m.id!);
      if (!call) return;
      this.pending.delete(m.id!);
      clearTimeout(call.timer);
      if (m.error) call.reject(new LambdaInvocationError(m.error.name, m.error.message));
      else call.resolve(m.result);
    });
    child.on('exit', (code, signal) => {
      if (this.environments.get(fn.logicalId)?.child === child) this.environments.delete(fn.logicalId);
      logFile.end();
      const exited = new LambdaInvocationError('Runtime.ExitError', `${fn.name} exited (${signal ?? `code ${code}`})`);
      markFailed(exited);
      // Invocations in flight in that environment end with the error Lambda reports for them.
      for (const [id, call] of this.pending) {
        if (call.child !== child) continue;
        this.pending.delete(id);
        clearTimeout(call.timer);
        call.reject(exited);
      }
    });
    const environment = { child, ready };
    this.environments.set(fn.logicalId, environment);
    return environment;
  }
}
