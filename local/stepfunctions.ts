import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { documentClient } from '../functions/shared/document-client';
import { RunLog } from '../functions/shared/run-log';
import { ExecutionRegistry, type Execution } from './stepfunctions-executions';
import { abortInterrupted } from './stepfunctions-recovery';
import { taskHandlers, type TaskServices } from './stepfunctions-tasks';

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
  /** The run log the definition writes (crash recovery marks aborted executions in it). */
  runLogTable: string;
  services: TaskServices;
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
 *  like execution history (stepfunctions-executions.ts); those a stop interrupted are aborted at the next start
 *  (stepfunctions-recovery.ts). */
export class LocalStepFunctions {
  private readonly running = new Map<string, Promise<void>>();

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
    await abortInterrupted(executions, new RunLog(documentClient(options.services.dynamodb), options.runLogTable));
    return new LocalStepFunctions(definition.States as States, new StateMachine(definition), executions, options);
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
    this.running.set(name, this.run(execution).finally(() => this.running.delete(name)));
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
    await Promise.race([Promise.allSettled(this.running.values()), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async run(execution: Execution): Promise<void> {
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
    try {
      execution.output = JSON.stringify(await started.result);
      execution.status = 'SUCCEEDED';
    } catch (e) {
      const failure = e as Error & { cause?: unknown };
      execution.status = 'FAILED';
      const inner = failure.cause instanceof Error ? failure.cause : failure;
      execution.error = inner.name;
      execution.cause = inner.message;
    }
    execution.stopDate = new Date().toISOString();
    await this.executions.save(execution);
  }
}
