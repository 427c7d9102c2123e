import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { documentClient } from '../functions/shared/document-client';
import { executionInputSchema } from '../functions/shared/execution';
import { RunLog } from '../functions/shared/run-log';
import type { JobRun } from './glue';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  output?: string;
  error?: string;
  cause?: string;
}

export class ExecutionAlreadyExists extends Error {
  override name = 'ExecutionAlreadyExists';
}
export class ExecutionDoesNotExist extends Error {
  override name = 'ExecutionDoesNotExist';
}

type TaskInput = Record<string, unknown>;
type TaskHandler = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
interface TaskState {
  Type: string;
  Resource?: string;
}

/** The two Glue API calls the state machine makes: the Glue API of the local stack, or fake jobs in the ASL tests. */
export interface GlueApi {
  startJobRun(params: { JobName: string; Arguments?: Record<string, string> }): Promise<{ JobRunId: string }>;
  getJobRun(params: { JobName: string; RunId: string }): Promise<{ JobRun: JobRun }>;
}

/** The services the definition's Task states call, as the state machine's role calls them on AWS. */
export interface TaskServices {
  dynamodb: DynamoDBClient;
  glue: GlueApi;
  publish(input: { TopicArn: string; Message: string; Subject?: string }): Promise<{ MessageId?: string }>;
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

export interface Notification {
  time: string;
  topicArn: string;
  subject?: string;
  message: string;
}

/** Step Functions on this machine: the real ASL run by aws-local-stepfunctions, with each Task's Resource served
 *  by the local stand-in of the AWS service it names. Executions persist under .local/ like execution history. */
export class LocalStepFunctions {
  private readonly executions = new Map<string, Execution>();
  private readonly running = new Map<string, Promise<void>>();

  private constructor(
    private readonly definition: { States: Record<string, TaskState> },
    private readonly machine: StateMachine,
    private readonly options: LocalStepFunctionsOptions,
  ) {}

  static async create(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
    const definition = JSON.parse(options.definition) as StateMachineDefinition;
    const local = new LocalStepFunctions(definition as unknown as { States: Record<string, TaskState> }, new StateMachine(definition), options);
    await local.restore();
    return local;
  }

  async startExecution(name: string, input: string): Promise<Execution> {
    const existing = this.executions.get(name);
    if (existing) {
      // Like Step Functions: the same name and input while running is idempotent; anything else is a conflict.
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new ExecutionAlreadyExists(`Execution Already Exists: '${existing.executionArn}'`);
    }
    const execution: Execution = {
      executionArn: `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn: this.options.stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
    };
    this.executions.set(name, execution);
    await this.persist(execution);
    this.running.set(name, this.run(execution).finally(() => this.running.delete(name)));
    return execution;
  }

  describeExecution(arn: string): Execution {
    const execution = this.executions.get(arn.split(':').at(-1)!);
    if (!execution) throw new ExecutionDoesNotExist(`Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  listExecutions(): Execution[] {
    return [...this.executions.values()];
  }

  /** Resolves when every running execution has finished (used at shutdown, after the Glue jobs are stopped). */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.running.values()), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async run(execution: Execution): Promise<void> {
    const waits = Object.entries(this.definition.States).filter(([, s]) => s.Type === 'Wait');
    const retrying = Object.keys(this.definition.States);
    const started = this.machine.run(JSON.parse(execution.input), {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(),
        waitTimeOverrides: Object.fromEntries(waits.map(([name]) => [name, this.options.pollMs])),
        ...(this.options.retryMs !== undefined
          ? { retryIntervalOverrides: Object.fromEntries(retrying.map((n) => [n, this.options.retryMs!])) }
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
    await this.persist(execution);
  }

  private taskHandlers(): Record<string, TaskHandler> {
    const handlers: Record<string, TaskHandler> = {};
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Task') handlers[name] = this.handlerFor(state.Resource!);
    }
    return handlers;
  }

  /** Each Task resource the definition may name, and the call it makes with the state's parameters. An error is
   *  named as Step Functions names it (`DynamoDB.ConditionalCheckFailedException`, `Glue.…`, `SNS.…`). */
  private handlerFor(resource: string): TaskHandler {
    const { dynamodb, glue, publish } = this.options.services;
    const tasks: Record<string, [prefix: string, call: (input: TaskInput) => Promise<unknown>]> = {
      'arn:aws:states:::dynamodb:putItem': ['DynamoDB', (i) => dynamodb.send(new PutItemCommand(i as never))],
      'arn:aws:states:::dynamodb:updateItem': ['DynamoDB', (i) => dynamodb.send(new UpdateItemCommand(i as never))],
      'arn:aws:states:::dynamodb:getItem': ['DynamoDB', (i) => dynamodb.send(new GetItemCommand(i as never))],
      'arn:aws:states:::aws-sdk:glue:startJobRun': ['Glue', (i) => glue.startJobRun(i as never)],
      'arn:aws:states:::aws-sdk:glue:getJobRun': ['Glue', (i) => glue.getJobRun(i as never)],
      'arn:aws:states:::sns:publish': ['SNS', (i) => publish(snsInput(i))],
    };
    const task = tasks[resource];
    if (!task) throw new Error(`local stack: no local stand-in for Task resource ${resource}`);
    const [prefix, call] = task;
    return async (input) => {
      try {
        // What the integration returns is JSON: the SDK's Dates become ISO strings, its $metadata is not part of it.
        const { $metadata: _, ...result } = JSON.parse(JSON.stringify(await call(input as TaskInput))) as Record<string, unknown>;
        return result as never;
      } catch (e) {
        const error = e as Error;
        if (!error.name.startsWith(`${prefix}.`)) error.name = `${prefix}.${error.name}`;
        throw error;
      }
    };
  }

  private async persist(execution: Execution): Promise<void> {
    await mkdir(this.executionsDir, { recursive: true });
    await writeFile(join(this.executionsDir, `${execution.name}.json`), JSON.stringify(execution, null, 2));
  }

  private get executionsDir(): string {
    return this.options.executionsDir;
  }

  /** Executions that were running when the stack stopped cannot resume: they are recorded as ABORTED, and their
   *  ingestion FAILED in the run log with what to do about it, so nothing is left RUNNING forever. */
  private async restore(): Promise<void> {
    await mkdir(this.executionsDir, { recursive: true });
    const runLog = new RunLog(documentClient(this.options.services.dynamodb), this.options.runLogTable);
    for (const file of (await readdir(this.executionsDir)).filter((f) => f.endsWith('.json'))) {
      const execution = JSON.parse(await readFile(join(this.executionsDir, file), 'utf8')) as Execution;
      if (execution.status === 'RUNNING') {
        const stopDate = new Date().toISOString();
        Object.assign(execution, { status: 'ABORTED', stopDate });
        await this.persist(execution);
        const input = executionInputSchema.safeParse(JSON.parse(execution.input));
        if (input.success) {
          const { ingestionId, attempt } = input.data;
          await runLog.markAborted(
            ingestionId,
            attempt,
            'ExecutionAborted',
            `the local stack stopped while execution ${execution.name} was running, so it was aborted; ` +
              `run \`landing-etl retry ${ingestionId}\` to run the ingestion again`,
            stopDate,
          );
        }
      }
      this.executions.set(execution.name, execution);
    }
  }
}

const snsInput = (input: TaskInput) => ({
  TopicArn: String(input.TopicArn),
  Message: typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message),
  ...(input.Subject ? { Subject: String(input.Subject) } : {}),
});
