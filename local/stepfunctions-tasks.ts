import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunOptions } from 'aws-local-stepfunctions';
import type { GlueModel } from './glue/model';

export type TaskHandler = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
type TaskInput = Record<string, unknown>;

/** The Glue API calls the state machine makes: the local stack's Glue API, or the Glue model itself in the ASL tests. */
export type GlueApi = Pick<GlueModel, 'startJobRun' | 'getJobRun' | 'batchStopJobRun'>;

/** The services the definition's Task states call, as the state machine's role calls them on AWS. */
export interface TaskServices {
  dynamodb: DynamoDBClient;
  glue: GlueApi;
  publish(input: { TopicArn: string; Message: string; Subject?: string }): Promise<{ MessageId?: string }>;
  /** Lambda's Invoke (RequestResponse) of a function by its ARN: the function's result, or its error as thrown. */
  invoke(functionArn: string, payload: unknown): Promise<unknown>;
}

/** The handler of each Task state of a definition: the local stand-in of the AWS service its Resource names. */
export function taskHandlers(states: Record<string, { Type: string; Resource?: string }>, services: TaskServices): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') handlers[name] = handlerFor(state.Resource!, services);
  }
  return handlers;
}

/** Each Task resource the definition may name, and the call it makes with the state's parameters. An error is
 *  named as Step Functions names it (`DynamoDB.ConditionalCheckFailedException`, `Glue.…`, `SNS.…`). */
function handlerFor(resource: string, { dynamodb, glue, publish, invoke }: TaskServices): TaskHandler {
  const tasks: Record<string, [prefix: string, call: (input: TaskInput) => Promise<unknown>]> = {
    'arn:aws:states:::dynamodb:putItem': ['DynamoDB', (i) => dynamodb.send(new PutItemCommand(i as never))],
    'arn:aws:states:::dynamodb:updateItem': ['DynamoDB', (i) => dynamodb.send(new UpdateItemCommand(i as never))],
    'arn:aws:states:::dynamodb:getItem': ['DynamoDB', (i) => dynamodb.send(new GetItemCommand(i as never))],
    'arn:aws:states:::aws-sdk:glue:startJobRun': ['Glue', (i) => glue.startJobRun(i as never)],
    'arn:aws:states:::aws-sdk:glue:getJobRun': ['Glue', (i) => glue.getJobRun(i as never)],
    'arn:aws:states:::aws-sdk:glue:batchStopJobRun': ['Glue', (i) => glue.batchStopJobRun(i as never)],
    'arn:aws:states:::sns:publish': ['SNS', (i) => publish(snsInput(i))],
    // A function's own error keeps its name (Step Functions matches it as the function threw it); the integration's
    // result is the invocation's, with the function's answer as Payload.
    'arn:aws:states:::lambda:invoke': ['', async (i) => ({ StatusCode: 200, Payload: await invoke(String(i.FunctionName), i.Payload) })],
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
      if (prefix && !error.name.startsWith(`${prefix}.`)) error.name = `${prefix}.${error.name}`;
      throw error;
    }
  };
}

const snsInput = (input: TaskInput) => ({
  TopicArn: String(input.TopicArn),
  Message: typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message),
  ...(input.Subject ? { Subject: String(input.Subject) } : {}),
});
