import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DatasetLog } from '../functions/shared/dataset-log';
import { documentClient } from '../functions/shared/document-client';
import { RunLog } from '../functions/shared/run-log';
import { localAws } from '../local/layout';
import { datasetLogFor, runLogFor } from '../local/client';
import { runningStack } from './stack-file';

/** Where the CLI reads the run log and starts executions: the local stack, or a deployed stage. */
export interface Target {
  label: string;
  /** The flags that reach this target from another command: `--stage … --region …`, or none for the local stack. */
  flags: string;
  runLog: RunLog;
  datasetLog: DatasetLog;
  sfn: SFNClient;
  stateMachineArn: string;
}

export class StageNotFoundError extends Error {
  override name = 'StageNotFoundError';
}

/** Every output of stack `landing-etl-<stage>`, by key. */
export async function allStageOutputs(stage: string, region: string | undefined): Promise<Record<string, string>> {
  const stackName = `landing-etl-${stage}`;
  const cfn = new CloudFormationClient(region ? { region } : {});
  let outputs: Record<string, string>;
  try {
    const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (e) {
    if ((e as Error).name === 'ValidationError') {
      throw new StageNotFoundError(`stage "${stage}" is not deployed${region ? ` in ${region}` : ''}: no CloudFormation stack ${stackName}`);
    }
    throw e;
  } finally {
    cfn.destroy();
  }
  return outputs;
}

/** The outputs of stack `landing-etl-<stage>` the CLI needs (the deployment's contract). */
export async function stageOutputs(stage: string, region: string | undefined) {
  const stackName = `landing-etl-${stage}`;
  const outputs = await allStageOutputs(stage, region);
  const missing = ['RunLogTableName', 'StateMachineArn'].filter((k) => !outputs[k]);
  if (missing.length > 0) throw new StageNotFoundError(`stack ${stackName} has no output ${missing.join(', ')}; is it a landing-etl deployment?`);
  return { runLogTable: outputs.RunLogTableName!, stateMachineArn: outputs.StateMachineArn! };
}

export async function resolveTarget(opts: { stage?: string | undefined; region?: string | undefined }): Promise<Target> {
  if (opts.stage) {
    const { runLogTable, stateMachineArn } = await stageOutputs(opts.stage, opts.region);
    // The state machine's ARN names the region the stack is in.
    const region = opts.region ?? stateMachineArn.split(':')[3];
    const doc = documentClient(new DynamoDBClient({ region }));
    return {
      label: `stage ${opts.stage}`,
      flags: `--stage ${opts.stage} --region ${region}`,
      runLog: new RunLog(doc, runLogTable),
      datasetLog: new DatasetLog(doc, runLogTable),
      sfn: new SFNClient({ region }),
      stateMachineArn,
    };
  }
  const stack = runningStack();
  return {
    label: 'the local stack',
    flags: '',
    runLog: runLogFor(stack),
    datasetLog: datasetLogFor(stack),
    sfn: new SFNClient({ endpoint: stack.awsEndpoint, ...localAws }),
    stateMachineArn: stack.stateMachineArn,
  };
}
