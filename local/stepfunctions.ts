import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { ExecutionRegistry, type Execution } from './stepfunctions-executions';
import { taskHandlers, type TaskServices } from './stepfunctions-tasks';

/** An event of the interpreter's log (the package does not export the type). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** Step Functions' error codes: the `name` is what the SDK client maps back to its exception class. */
export class ExecutionAlreadyExistsError extends Error {
  override name = 'ExecutionAlreadyExists';
}
export class ExecutionDoesNotExistError extends Error {
  override name = 'ExecutionDoesNotExist';
}

export interface LocalStepFunctionsOptions {
  /** The definition as deployed: the packaged template's, with its DefinitionSubstitutions applied. */
  definition: string;
  stateMachineArn: string;
  services: TaskServices;
  /** Every execution's end, as Step Functions sends "Execution Status Change" events to EventBridge. */
  onEnded?(execution: Execution): Promise<void>;
  /** Where executions persist. */
  executionsDir: string;
  /** Glue polls wait this long locally instead of the definition's Seconds. */
  pollMs: number;
  /** Optional override of every Retry interval (tests use it to keep retry scenarios fast). */
  retryMs?: number | undefined;
}

type States = Record<string, { Type: string; Resource?: string }>;

/** Step Functions on this machine: the real ASL run by aws-local-stepfunctions, with each Task's Resource served
 *  by the local stand-in of the AWS service it names (stepfunctions-tasks.ts). Executions persist under .local/
 *  like execution history (stepfunctions-executions.ts); those a stop of the stack interrupted cannot resume and
 *  are ABORTED at the next start (`abortInterrupted`), like an execution stopped with StopExecution. The
 *  definition's TimeoutSeconds ends an execution TIMED_OUT. */
export class LocalStepFunctions {
  private readonly running = new Map<string, { done: Promise<void>; abort(): void }>();
  private readonly stops = new Map<string, { error?: string | undefined; cause?: string | undefined }>();

  private constructor(
    private readonly states: States,
    private readonly machine: StateMachine,
    private readonly executions: ExecutionRegistry,
    private readonly options: LocalStepFunctionsOptions,
  ) {}

  static async create(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
    const definition = JSON.parse(options.definition) as StateMachineDefinition;
    const executions = new ExecutionRegistry(options.executionsDir);
    await executions.load();
    return new LocalStepFunctions(definition.States as States, new StateMachine(definition), executions, options);
  }

  /** Executions that were RUNNING when the stack stopped: ABORTED now, each announced as its end. */
  async abortInterrupted(): Promise<void> {
    for (const execution of this.executions.list().filter((e) => e.status === 'RUNNING' && !this.running.has(e.name))) {
      await this.end({ ...execution, status: 'ABORTED', error: 'StackStopped', cause: 'the local stack stopped while the execution was running' });
    }
  }

  /** StopExecution: the execution ends ABORTED with the given error and cause. */
  async stopExecution(arn: string, error?: string, cause?: string): Promise<{ stopDate: string }> {
    const execution = this.describeExecution(arn);
    const run = this.running.get(execution.name);
    if (execution.status === 'RUNNING' && run) {
      this.stops.set(execution.name, { error, cause });
      run.abort();
      await run.done;
    }
    return { stopDate: this.describeExecution(arn).stopDate ?? new Date().toISOString() };
  }

  async startExecution(name: string, input: string): Promise<Execution> {
    const existing = this.executions.get(name);
    if (existing) {
      // Like Step Functions: the same name and input while running is idempotent; anything else is a conflict.
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${existing.executionArn}'`);
    }
    const execution: Execution = {
      executionArn: `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn: this.options.stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
    };
    await this.executions.save(execution);
    this.run(execution);
    return execution;
  }

  describeExecution(arn: string): Execution {
    const execution = this.executions.get(arn.split(':').at(-1)!);
    if (!execution) throw new ExecutionDoesNotExistError(`Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  listExecutions(): Execution[] {
    return this.executions.list();
  }

  /** Resolves when every running execution has finished (used at shutdown, after the Glue jobs are stopped). */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running.values()].map((r) => r.done)), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private run(execution: Execution): void {
    const names = Object.keys(this.states);
    const waits = names.filter((name) => this.states[name]!.Type === 'Wait');
    const started = this.machine.run(JSON.parse(execution.input), {
      overrides: {
        taskResourceLocalHandlers: taskHandlers(this.states, this.options.services),
        waitTimeOverrides: Object.fromEntries(waits.map((name) => [name, this.options.pollMs])),
        ...(this.options.retryMs !== undefined
          ? { retryIntervalOverrides: Object.fromEntries(names.map((n) => [n, this.options.retryMs!])) }
          : {}),
      },
      context: {
        Execution: { Id: execution.executionArn, Name: execution.name, StartTime: execution.startDate },
        StateMachine: { Id: this.options.stateMachineArn },
        // $$.State.EnteredTime: evaluated when a state reads it, which is when it is entered.
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
      },
    });
    const history = this.countHistory(started.eventLogs);
    const done = started.result.then(
      (output) => this.end({ ...execution, status: 'SUCCEEDED', output: JSON.stringify(output) }, history),
      (e: Error & { cause?: unknown }) => {
        if (e instanceof ExecutionAbortedError) return this.end({ ...execution, status: 'ABORTED', ...this.stops.get(execution.name) }, history);
        if (e instanceof ExecutionTimeoutError) return this.end({ ...execution, status: 'TIMED_OUT', error: 'States.Timeout' }, history);
        const inner = e.cause instanceof Error ? e.cause : e;
        return this.end({ ...execution, status: 'FAILED', error: inner.name, cause: inner.message }, history);
      },
    );
    this.running.set(execution.name, { done: done.finally(() => (this.running.delete(execution.name), this.stops.delete(execution.name))), abort: started.abort });
  }

  /** The events Step Functions' history would hold for the execution, counted from the interpreter's event log: one
   *  per execution start and end, two per state (entered, exited), three more per attempt of a Task (scheduled,
   *  started, succeeded or failed), as "GetExecutionHistory" lists them. The counter is read when the execution ends. */
  private countHistory(events: AsyncGenerator<EventLog>): { events: number } {
    const history = { events: 0 };
    const isTask = (name: string) => this.states[name]?.Type === 'Task';
    void (async () => {
      for await (const event of events) {
        if (event.type === 'StateEntered') history.events += 1 + (isTask(event.state.name) ? 3 : 0);
        else if (event.type === 'StateRetried') history.events += 3;
        else if (event.type === 'StateExited' || event.type.startsWith('Execution')) history.events += 1;
      }
    })().catch(() => {});
    return history;
  }

  private async end(execution: Execution, history?: { events: number }): Promise<void> {
    const ended = { ...execution, stopDate: new Date().toISOString(), ...(history ? { historyEvents: history.events } : {}) };
    await this.executions.save(ended);
    await this.options.onEnded?.(ended).catch(() => {});
  }
}
