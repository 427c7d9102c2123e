import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** One execution, with the fields DescribeExecution returns. */
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
  /** How many events its history holds (counted locally as Step Functions would record them). */
  historyEvents?: number;
}

/** The executions of the local state machine by name, each persisted as `<name>.json` under `dir` so that they
 *  survive a restart, as Step Functions keeps execution history. */
export class ExecutionRegistry {
  private readonly byName = new Map<string, Execution>();

  constructor(private readonly dir: string) {}

  /** Reads every execution persisted by an earlier run of the stack. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const file of (await readdir(this.dir)).filter((f) => f.endsWith('.json'))) {
      const execution = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as Execution;
      this.byName.set(execution.name, execution);
    }
  }

  get(name: string): Execution | undefined {
    return this.byName.get(name);
  }

  list(): Execution[] {
    return [...this.byName.values()];
  }

  /** Records a new execution or the new state of a known one. */
  async save(execution: Execution): Promise<void> {
    this.byName.set(execution.name, execution);
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, `${execution.name}.json`), JSON.stringify(execution, null, 2));
  }
}

/** The "Step Functions Execution Status Change" event of an execution's end, as Step Functions sends it to
 *  EventBridge's default bus (Step Functions developer guide, "Automating Step Functions event delivery with
 *  EventBridge": times in epoch milliseconds, the input and output as strings). */
export function statusChangeEvent(execution: Execution, account: string, region: string) {
  return {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    account,
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: Date.parse(execution.startDate),
      stopDate: execution.stopDate ? Date.parse(execution.stopDate) : null,
      input: execution.input,
      inputDetails: { included: true },
      output: execution.output ?? null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}
