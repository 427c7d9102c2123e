import { jest } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { documentClient } from '../../functions/shared/document-client';
import { RunLog } from '../../functions/shared/run-log';
import { startAwsApi } from '../../local/aws-api';
import { Deployment, LOCAL_REGION } from '../../local/deployment';
import { startDynamo, type LocalDynamo } from '../../local/dynamodb';
import { LocalLambdas } from '../../local/lambdas';
import { localAws, repoRoot } from '../../local/layout';
import type { Notification } from '../../local/aws-api';
import { STAGES } from './template';

/** What ships is what runs: every function's zip from `npm run package`, unzipped, imported the way the nodejs22.x
 *  runtime imports an .mjs handler (an ES module in a clean process, no CommonJS `require` in scope: see
 *  local/lambda-runtime.mjs) with the environment its template gives it, and invoked once with a real event against
 *  local AWS-API servers. */

jest.setTimeout(120_000);

let dynamo: LocalDynamo;
let awsApi: { endpoint: string; stop(): Promise<void> };
const notifications: Notification[] = [];
const started: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'landing-etl-bundles-'));
const deployments = Object.fromEntries(STAGES.map((stage) => [stage, Deployment.load(join(repoRoot, '.build', 'package', stage))]));

beforeAll(async () => {
  dynamo = await startDynamo(null, STAGES.flatMap((stage) => deployments[stage]!.tables())); // each stage's run log, as declared
  const refuse = (what: string) => () => {
    started.push(what);
    throw new Error(`this test starts no execution (${what})`);
  };
  const noGlue = { startJobRun: refuse('StartJobRun'), getJobRun: refuse('GetJobRun') } as never;
  awsApi = await startAwsApi({ startExecution: refuse('StartExecution'), describeExecution: refuse('DescribeExecution'), stopExecution: refuse('StopExecution') }, noGlue, (n) =>
    notifications.push(n),
  );
});

afterAll(async () => {
  await awsApi?.stop();
  await dynamo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a function of a stage's package once with its template environment, every AWS endpoint a local server. */
async function invoke(stage: string, logicalId: string, event: unknown, environment: Record<string, string> = {}) {
  const fn = deployments[stage]!.functions().find((f) => f.logicalId === logicalId);
  if (!fn) throw new Error(`${logicalId} is not in the ${stage} template`);
  const lambdas = new LocalLambdas([fn], join(dir, stage), () => ({
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: fn.role,
    AWS_SECRET_ACCESS_KEY: 'local',
    // Not on AWS: nothing this process calls may leave the machine.
    AWS_ENDPOINT_URL: awsApi.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    ...environment,
  }), () => {});
  try {
    return { result: await lambdas.invoke(fn, event), variables: fn.environment };
  } finally {
    await lambdas.stop();
  }
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
  test('ships exactly the executor, query, stage-cost, finish, console, ingestions and freshness functions, each as an ES module on nodejs22.x', () => {
    const t = deployments[stage]!.template;
    expect(deployments[stage]!.functions().map((f) => [f.logicalId, f.handlerModule, t.property(f.logicalId, 'Runtime')])).toEqual([
      ['ExecutorLambdaFunction', 'functions/executor/handler.mjs', 'nodejs22.x'],
      ['QueryLambdaFunction', 'functions/query/handler.mjs', 'nodejs22.x'],
      ['StagecostLambdaFunction', 'functions/stagecost/handler.mjs', 'nodejs22.x'],
      ['FinishLambdaFunction', 'functions/finish/handler.mjs', 'nodejs22.x'],
      ['ConsoleLambdaFunction', 'functions/console/handler.mjs', 'nodejs22.x'],
      ['IngestionsLambdaFunction', 'functions/ingestions/handler.mjs', 'nodejs22.x'],
      ['FreshnessLambdaFunction', 'functions/freshness/handler.mjs', 'nodejs22.x'],
    ]);
  });

  test('the executor rejects a file outside any dataset folder and records it REJECTED in the run log', async () => {
    const key = `unknown-dataset/2026-11-21/${stage}-checkins.csv`;
    const notification = {
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
    // As the event source mapping delivers the landing queue's message.
    const { result } = await invoke(stage, 'ExecutorLambdaFunction', { Records: [{ messageId: 'm-1', body: JSON.stringify(notification), eventSource: 'aws:sqs' }] });

    // The reason lists the contracts the zip carries (datasets/*.json, read from the task root).
    const reply = z.object({ batchItemFailures: z.array(z.unknown()), outcomes: z.array(z.object({ outcome: z.string(), ingestionId: z.string(), reason: z.string() })) }).parse(result);
    expect(reply.batchItemFailures).toEqual([]);
    const { outcomes } = reply;
    expect(outcomes).toEqual([
      {
        outcome: 'rejected',
        ingestionId: expect.stringMatching(/^unknown_dataset-20261121-[0-9a-f]{16}$/),
        reason: 'no dataset contract for "unknown-dataset" (the first folder of the key); known datasets: cafe_transactions, dailycheckin',
      },
    ]);
    const runLog = new RunLog(documentClient(new DynamoDBClient({ endpoint: dynamo.endpoint, ...localAws })), deployments[stage]!.names.runLogTable);
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
    expect(alert?.topicArn).toBe(deployments[stage]!.names.topicArn);
    expect(JSON.parse(alert!.message)).toMatchObject({ event: 'INGESTION_REJECTED', reason: outcomes[0]!.reason });
    expect(started).toEqual([]);
  });

  test('the query function answers GET /get without a user with 400 invalid_user', async () => {
    const { result, variables } = await invoke(stage, 'QueryLambdaFunction', httpEvent('GET /get', '/get', {}));
    const response = httpResult.parse(result);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_user', message: expect.stringMatching(/user/) });
    // prod allows its browser origin; dev names none, so no CORS headers.
    expect(response.headers['Access-Control-Allow-Origin']).toBe(variables.CORS_ORIGINS ? 'https://app.example.com' : undefined);
  });

  test('the query function serves any user by default and, with ROWS_ACCESS=own, only the user the token names (403 otherwise)', async () => {
    expect(deployments[stage]!.functions().find((f) => f.logicalId === 'QueryLambdaFunction')!.environment).toMatchObject({
      ROWS_ACCESS: 'any',
      ROWS_USER_CLAIM: 'username',
    });
    const asCaller = (claims: Record<string, string>, user: string) => {
      const event = httpEvent('GET /get', '/get', { user });
      return { ...event, requestContext: { ...event.requestContext, authorizer: { jwt: { claims, scopes: ['landing-etl/rows'] } } } };
    };
    const { result } = await invoke(stage, 'QueryLambdaFunction', asCaller({ username: 'ana' }, 'boris'), { ROWS_ACCESS: 'own' });
    const response = httpResult.parse(result);
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: 'forbidden', message: expect.stringContaining('claim "username"') });
    const noUser = httpResult.parse((await invoke(stage, 'QueryLambdaFunction', asCaller({ client_id: 'app' }, 'ana'), { ROWS_ACCESS: 'own' })).result);
    expect(noUser.statusCode).toBe(403);
  });

  test('the executor loads with the quality mode the template gives it (empty: each contract its own) or hard', async () => {
    expect(deployments[stage]!.functions().find((f) => f.logicalId === 'ExecutorLambdaFunction')!.environment.QUALITY_MODE).toBe('');
    const event = { Records: [] };
    expect(await invoke(stage, 'ExecutorLambdaFunction', event)).toMatchObject({ result: { batchItemFailures: [], outcomes: [] } });
    expect(await invoke(stage, 'ExecutorLambdaFunction', event, { QUALITY_MODE: 'hard' })).toMatchObject({ result: { batchItemFailures: [], outcomes: [] } });
    await expect(invoke(stage, 'ExecutorLambdaFunction', event, { QUALITY_MODE: 'strict' })).rejects.toMatchObject({
      name: 'Runtime.ImportModuleError',
      message: expect.stringMatching(/QUALITY_MODE: must be hard or soft/),
    });
  });

  test('the console function serves the page its package carries, with the stage as the retry command’s target', async () => {
    const { result } = await invoke(stage, 'ConsoleLambdaFunction', httpEvent('GET /', '/', {}));
    const response = httpResult.parse(result);
    expect(response.statusCode).toBe(200);
    const html = Buffer.from(response.body, 'base64').toString();
    expect(html).toContain(`<meta name="cli-target" content="--stage ${stage} --region us-east-1">`);
    // Every contract in datasets/ is a dataset the page lists.
    expect(html).toContain('<meta name="datasets" content="cafe_transactions,dailycheckin">');
    const script = /src="assets\/(app\.\w+\.js)"/.exec(html)![1]!;
    const asset = httpResult.parse((await invoke(stage, 'ConsoleLambdaFunction', httpEvent('GET /assets/{file}', `/assets/${script}`, {}, { file: script }))).result);
    expect(asset.statusCode).toBe(200);
    // The page's entry script itself (8.6 KB since uPlot moved to a chunk of the datasets view), not a stub.
    const code = Buffer.from(asset.body, 'base64').toString();
    expect(code.length).toBeGreaterThan(4_000);
    expect(code).toContain('view-ready');
  });

  test('the stage-cost function refuses an input without the job run it is about, naming the field', async () => {
    await expect(invoke(stage, 'StagecostLambdaFunction', { ingestionId: 'x', stage: 'load', jobName: 'landing-etl-dev-load' })).rejects.toMatchObject({
      message: expect.stringMatching(/runId/),
    });
  });

  test('the ingestions function answers a limit out of range with 400 naming the parameter', async () => {
    const event = httpEvent('GET /ingestions', '/ingestions', { dataset: 'dailycheckin', limit: '500' });
    const { result } = await invoke(stage, 'IngestionsLambdaFunction', event);
    const response = httpResult.parse(result);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'bad_request', message: 'query parameter "limit" must be 1–100' });
  });
});
