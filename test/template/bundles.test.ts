import { jest } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { rmSync } from 'node:fs';
import { z } from 'zod';
import { startAwsApi } from '../../local/aws-api';
import { startDynamo, type LocalDynamo } from '../../local/dynamodb';
import { localAws, names } from '../../local/layout';
import type { Notification } from '../../local/stepfunctions';
import { documentClient } from '../../functions/shared/document-client';
import { RunLog } from '../../functions/shared/run-log';
import {
  invokePackaged,
  lambdaEnvironment,
  packagedFunctions,
  resolveValue,
  unpack,
  type PackagedFunction,
} from '../support/packaged-lambda';
import { loadTemplate, STAGES } from './template';

/** What ships is what runs: every function's zip from `npm run package`, unzipped, imported the way the nodejs22.x
 *  runtime imports an .mjs handler (an ES module in a clean process, no CommonJS `require` in scope) with the
 *  environment its template gives it, and invoked once with a real event against local AWS-API servers. */

jest.setTimeout(120_000);

let dynamo: LocalDynamo;
let awsApi: { endpoint: string; stop(): Promise<void> };
const notifications: Notification[] = [];
const started: string[] = [];
const unpacked: string[] = [];

beforeAll(async () => {
  dynamo = await startDynamo(null); // in memory, the run-log table as serverless.yml declares it
  const refuse = (what: string) => () => {
    started.push(what);
    throw new Error(`this test starts no execution (${what})`);
  };
  awsApi = await startAwsApi({ startExecution: refuse('StartExecution'), describeExecution: refuse('DescribeExecution') }, (n) =>
    notifications.push(n),
  );
});

afterAll(async () => {
  await awsApi?.stop();
  await dynamo?.stop();
  for (const dir of unpacked) rmSync(dir, { recursive: true, force: true });
});

// Where the template's references point locally: the local stack's names and servers.
const local = {
  refs: {
    IngestionStateMachine: names.stateMachineArn,
    RunLogTable: names.runLogTable,
    AlertsTopic: names.topicArn,
    DataBucket: names.dataBucket,
    DatabaseSecret: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:landing-etl-dev-db-AbCdEf',
  },
  attributes: { 'DatabaseCluster.Endpoint.Address': '127.0.0.1' },
};

/** Unpacks a function and invokes it once with the template's environment, every AWS endpoint a local server. */
async function invoke(stage: string, fn: PackagedFunction, event: unknown) {
  const taskRoot = unpack(fn.zip);
  unpacked.push(taskRoot);
  const template = loadTemplate(stage);
  const variables = z.record(z.string(), z.string()).parse(resolveValue(template, fn.environment, local));
  const env = {
    ...lambdaEnvironment(`landing-etl-${stage}-${fn.logicalId}`, taskRoot),
    ...variables,
    // Not on AWS: nothing this process calls may leave the machine.
    AWS_ENDPOINT_URL: awsApi.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  return { ...(await invokePackaged(fn, taskRoot, env, event)), variables };
}

const httpEvent = (routeKey: string, rawPath: string, query: Record<string, string>, pathParameters?: Record<string, string>) => ({
  version: '2.0',
  routeKey,
  rawPath,
  rawQueryString: new URLSearchParams(query).toString(),
  headers: { host: 'api.example.com', 'user-agent': 'jest', origin: 'https://app.example.com' },
  queryStringParameters: Object.keys(query).length ? query : undefined,
  ...(pathParameters ? { pathParameters } : {}),
  requestContext: {
    accountId: '000000000000',
    apiId: 'local',
    domainName: 'api.example.com',
    http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
    requestId: 'req-1',
    routeKey,
    stage: '$default',
    time: '21/Nov/2026:10:00:00 +0000',
    timeEpoch: Date.parse('2026-11-21T10:00:00Z'),
  },
  isBase64Encoded: false,
});

const httpResult = z.object({ statusCode: z.number(), headers: z.record(z.string(), z.unknown()), body: z.string() });

describe.each(STAGES)('the %s package', (stage) => {
  const functions = () => packagedFunctions(loadTemplate(stage), stage);
  const fn = (logicalId: string) => {
    const found = functions().find((f) => f.logicalId === logicalId);
    if (!found) throw new Error(`${logicalId} is not in the ${stage} template`);
    return found;
  };

  test('ships exactly the executor, query and ingestions functions, each as an ES module on nodejs22.x', () => {
    expect(functions().map((f) => [f.logicalId, f.module, f.runtime])).toEqual([
      ['ExecutorLambdaFunction', 'functions/executor/handler.mjs', 'nodejs22.x'],
      ['QueryLambdaFunction', 'functions/query/handler.mjs', 'nodejs22.x'],
      ['IngestionsLambdaFunction', 'functions/ingestions/handler.mjs', 'nodejs22.x'],
    ]);
  });

  test('the executor rejects a file outside any dataset folder and records it REJECTED in the run log', async () => {
    const key = `unknown-dataset/2026-11-21/${stage}-checkins.csv`;
    const event = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: '2026-11-21T10:00:00.000Z',
          eventName: 'ObjectCreated:Put',
          s3: {
            s3SchemaVersion: '1.0',
            bucket: { name: 'landing-etl-local-landing', arn: 'arn:aws:s3:::landing-etl-local-landing' },
            object: { key, size: 120, eTag: 'd41d8cd98f00b204e9800998ecf8427e', versionId: `v-${stage}`, sequencer: '0A1B2C3D4E5F678901' },
          },
        },
      ],
    };
    const { result } = await invoke(stage, fn('ExecutorLambdaFunction'), event);

    // The reason lists the contracts the zip carries (datasets/*.json, read from the task root).
    const outcomes = z.array(z.object({ outcome: z.string(), ingestionId: z.string(), reason: z.string() })).parse(result);
    expect(outcomes).toEqual([
      {
        outcome: 'rejected',
        ingestionId: expect.stringMatching(/^unknown_dataset-20261121-[0-9a-f]{16}$/),
        reason: 'no dataset contract for "unknown-dataset" (the first folder of the key); known datasets: dailycheckin',
      },
    ]);
    const runLog = new RunLog(documentClient(new DynamoDBClient({ endpoint: dynamo.endpoint, ...localAws })), names.runLogTable);
    const record = await runLog.get(outcomes[0]!.ingestionId);
    expect(record?.summary).toMatchObject({
      status: 'REJECTED',
      state: 'REJECTED',
      dataset: 'unknown-dataset',
      businessDate: '2026-11-21',
      sourceUri: `s3://landing-etl-local-landing/${key}`,
      sourceVersion: `v-${stage}`,
      cause: outcomes[0]!.reason,
    });
    const alert = notifications.find((n) => n.message.includes(outcomes[0]!.ingestionId));
    expect(alert?.topicArn).toBe(names.topicArn);
    expect(JSON.parse(alert!.message)).toMatchObject({ event: 'INGESTION_REJECTED', reason: outcomes[0]!.reason });
    expect(started).toEqual([]);
  });

  test('the query function answers GET /get without a user with 400 invalid_user', async () => {
    const { result, variables } = await invoke(stage, fn('QueryLambdaFunction'), httpEvent('GET /get', '/get', {}));
    const response = httpResult.parse(result);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_user', message: expect.stringMatching(/user/) });
    // prod allows its browser origin; dev names none, so no CORS headers.
    expect(response.headers['Access-Control-Allow-Origin']).toBe(variables.CORS_ORIGINS ? 'https://app.example.com' : undefined);
  });

  test('the ingestions function answers a limit out of range with 400 naming the parameter', async () => {
    const event = httpEvent('GET /ingestions', '/ingestions', { dataset: 'dailycheckin', limit: '500' });
    const { result } = await invoke(stage, fn('IngestionsLambdaFunction'), event);
    const response = httpResult.parse(result);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'bad_request', message: 'query parameter "limit" must be 1–100' });
  });
});
