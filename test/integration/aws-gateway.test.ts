import { jest } from '@jest/globals';
import { DynamoDBClient, QueryCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GlueClient, StartJobRunCommand } from '@aws-sdk/client-glue';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { RUN_LOG_INDEXES } from '../../functions/shared/run-log';
import { startAwsGateway, type AwsCall, type AwsGateway, type S3WriteEvent } from '../../local/aws-gateway';
import { startDynamo, type LocalDynamo } from '../../local/dynamodb';
import { LOCAL_ACCOUNT as account, LOCAL_REGION as region } from '../../local/deployment';
import { paths } from '../../local/layout';
import { localDeployment } from '../support/orchestration';
import { startMoto, type LocalMoto } from '../../local/moto';
import { reachability } from '../../checks/network/paths';
import type { Template } from '../../local/template';
import { loadTemplate } from '../template/template';

jest.setTimeout(60_000);

const bucket = 'gateway-test-landing';
const names = {
  runLogTable: 'landing-etl-dev-runlog',
  stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:landing-etl-dev-ingestion`,
  topicArn: `arn:aws:sns:${region}:${account}:landing-etl-dev-alerts`,
  jobs: { transform: 'landing-etl-dev-transform' },
};
const table = names.runLogTable;
const tableArn = `arn:aws:dynamodb:${region}:${account}:table/${table}`;

let moto: LocalMoto;
let dynamo: LocalDynamo;
let stub: Server;
let gateway: AwsGateway;
const calls: AwsCall[] = [];
const writes: S3WriteEvent[] = [];
/** What the Step Functions / SNS / Glue stand-in received: X-Amz-Target or SNS Action, and the headers. */
const stubbed: string[] = [];
const stubbedHeaders: Array<Record<string, unknown>> = [];

/** A real SDK client that signs as `principal` (the key id is the role's logical id) and talks to the gateway. */
const as = <C>(Client: new (config: object) => C, principal: string): C =>
  new Client({ region, endpoint: gateway.endpoint, credentials: { accessKeyId: principal, secretAccessKey: 'local' } });

/** A JSON-protocol request by hand, with the credential scope of a signature (the gateway reads no more of it). */
const jsonCall = (principal: string, service: string, target: string, body: object, caller: string) =>
  fetch(`${gateway.endpoint}/`, {
    method: 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${principal}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      'x-amz-target': target,
      'x-landing-etl-caller': caller,
    },
    body: JSON.stringify(body),
  });

/** The (principal, action, resource) triples recorded while `run` ran. */
async function recorded(run: () => Promise<unknown>): Promise<string[][]> {
  const from = calls.length;
  await run();
  return calls.slice(from).map((c) => [c.principal, c.action, c.resource]);
}

beforeAll(async () => {
  [moto, dynamo] = await Promise.all([startMoto({ account }), localDeployment().then((d) => startDynamo(null, d.tables()))]);
  stub = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      stubbed.push(typeof target === 'string' ? target : `sns.${new URLSearchParams(body).get('Action')}`);
      stubbedHeaders.push(req.headers);
      if (typeof target === 'string') return res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>');
    });
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  const address = stub.address();
  const stubUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  gateway = await startAwsGateway({
    backends: { s3: moto.endpoint, secretsmanager: moto.endpoint, dynamodb: dynamo.endpoint, states: stubUrl, sns: stubUrl, glue: stubUrl },
    account,
    region,
    record: (call) => calls.push(call),
    onS3Write: (event) => void writes.push(event),
  });
  const admin = as(S3Client, 'LocalAdmin');
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  await admin.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
});

afterAll(async () => {
  await gateway?.stop();
  stub?.close();
  await Promise.all([moto?.stop(), dynamo?.stop()]);
});

describe('S3 through the gateway', () => {
  const s3 = () => as(S3Client, 'ExecutorRole');
  const object = (key: string) => `arn:aws:s3:::${bucket}/${key}`;

  it('records the setup calls too, as the admin principal', () => {
    expect(calls.slice(0, 2).map((c) => [c.principal, c.action, c.resource, c.status])).toEqual([
      ['LocalAdmin', 's3:CreateBucket', `arn:aws:s3:::${bucket}`, 200],
      ['LocalAdmin', 's3:PutBucketVersioning', `arn:aws:s3:::${bucket}`, 200],
    ]);
  });

  it('attributes object reads, writes, copies, listings and deletes to the principal that signed them', async () => {
    let put: { VersionId?: string } = {};
    expect(await recorded(async () => (put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'in/a b+c.csv', Body: 'x,y\n1,2\n' })))))
      .toEqual([['ExecutorRole', 's3:PutObject', object('in/a b+c.csv')]]);
    expect(put.VersionId).toBeTruthy();

    const head = await recorded(() => s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'in/a b+c.csv', VersionId: put.VersionId })));
    expect(head).toEqual([['ExecutorRole', 's3:GetObjectVersion', object('in/a b+c.csv')]]);

    const copySource = `${bucket}/${encodeURIComponent('in/a b+c.csv')}?versionId=${put.VersionId}`;
    const copy = await recorded(() => s3().send(new CopyObjectCommand({ Bucket: bucket, Key: 'staging/copy.csv', CopySource: copySource })));
    expect(copy).toEqual([
      ['ExecutorRole', 's3:GetObjectVersion', object('in/a b+c.csv')],
      ['ExecutorRole', 's3:PutObject', object('staging/copy.csv')],
    ]);

    let listed: string[] = [];
    const list = await recorded(async () => {
      const out = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'staging/' }));
      listed = (out.Contents ?? []).map((o) => o.Key ?? '');
    });
    expect(list).toEqual([['ExecutorRole', 's3:ListBucket', `arn:aws:s3:::${bucket}`]]);
    expect(listed).toEqual(['staging/copy.csv']);

    const deleted = await recorded(() =>
      s3().send(new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'staging/copy.csv' }, { Key: 'in/a b+c.csv', VersionId: put.VersionId }] },
      })),
    );
    expect(deleted).toEqual([
      ['ExecutorRole', 's3:DeleteObject', object('staging/copy.csv')],
      ['ExecutorRole', 's3:DeleteObjectVersion', object('in/a b+c.csv')],
    ]);
    expect(calls.slice(-2).map((c) => c.status)).toEqual([200, 200]);
  });

  it("lists, as S3 does, no folder of a versioned bucket whose keys are all deleted (as Spark's S3A committer needs)", async () => {
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'gone/_temporary/0/part-0', Body: 'x' }));
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'gone/kept/part-1', Body: 'y' }));
    await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'gone/_temporary/0/part-0' }));
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'gone/', Delimiter: '/' }));
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['gone/kept/']);
  });

  it('reports each successful write with its version, size and ETag, in sequence', async () => {
    const from = writes.length;
    const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'in/day1.csv', Body: 'a,b\n1,2\n' }));
    const again = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'in/day1.csv', Body: 'a,b\n1,2\n3,4\n' }));
    await s3().send(new CopyObjectCommand({ Bucket: bucket, Key: 'in/day1-copy.csv', CopySource: `${bucket}/in/day1.csv` }));
    const events = writes.slice(from);
    expect(events.map(({ sequencer: _, ...e }) => e)).toEqual([
      { bucket, key: 'in/day1.csv', size: 8, eTag: put.ETag!.replace(/"/g, ''), versionId: put.VersionId },
      { bucket, key: 'in/day1.csv', size: 12, eTag: again.ETag!.replace(/"/g, ''), versionId: again.VersionId },
      { bucket, key: 'in/day1-copy.csv', size: 12, eTag: again.ETag!.replace(/"/g, ''), versionId: expect.any(String) },
    ]);
    expect(events[0]!.sequencer < events[1]!.sequencer).toBe(true);
  });

  it('gives a write after a restart of the stack a greater sequencer than any before it (the loads recorded them)', async () => {
    const before = writes.length;
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'in/restart.csv', Body: 'a\n' }));
    const restarted: S3WriteEvent[] = [];
    const second = await startAwsGateway({
      backends: { s3: moto.endpoint },
      account,
      region,
      record: () => {},
      onS3Write: (event) => void restarted.push(event),
    });
    try {
      const client = new S3Client({ region, endpoint: second.endpoint, credentials: { accessKeyId: 'ExecutorRole', secretAccessKey: 'local' } });
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/restart.csv', Body: 'b\n' }));
      client.destroy();
    } finally {
      await second.stop();
    }
    const [earlier, later] = [writes[before]!.sequencer, restarted[0]!.sequencer];
    expect(earlier).toMatch(/^[0-9A-F]+$/);
    expect(later.length).toBe(earlier.length);
    expect(later > earlier).toBe(true);
  });

  it('records a multipart upload as s3:PutObject at every step and an abort as s3:AbortMultipartUpload', async () => {
    const key = 'in/big.csv';
    const from = writes.length;
    const parts = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.from('tail\n')];
    const steps = await recorded(async () => {
      const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const etags = [];
      for (const [i, part] of parts.entries()) {
        const { ETag } = await s3().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: part }));
        etags.push({ ETag, PartNumber: i + 1 });
      }
      await s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: etags } }));
      const abandoned = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'in/abandoned.csv' }));
      await s3().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'in/abandoned.csv', UploadId: abandoned.UploadId }));
    });
    expect(steps).toEqual([
      ...Array(4).fill(['ExecutorRole', 's3:PutObject', object(key)]),
      ['ExecutorRole', 's3:PutObject', object('in/abandoned.csv')],
      ['ExecutorRole', 's3:AbortMultipartUpload', object('in/abandoned.csv')],
    ]);
    expect(writes.slice(from)).toEqual([expect.objectContaining({ key, size: 5 * 1024 * 1024 + 5, versionId: expect.any(String) })]);
  });

  it('streams a 50 MB object both ways without holding it in memory', async () => {
    const chunk = 256 * 1024;
    /** Uploads `size` generated bytes and reads them back; the SHA-256 of what was sent and of what came back. */
    const roundTrip = async (key: string, size: number) => {
      const sent = createHash('sha256');
      const body = Readable.from(
        (function* () {
          for (let i = 0; i < size / chunk; i++) {
            const part = Buffer.alloc(chunk, i % 251);
            sent.update(part);
            yield part;
          }
        })(),
      );
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size }));
      const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const received = createHash('sha256');
      let length = 0;
      for await (const part of got.Body as Readable) {
        received.update(part as Buffer);
        length += (part as Buffer).length;
      }
      return { length, sent: sent.digest('hex'), received: received.digest('hex') };
    };
    await roundTrip('in/warm-up.bin', 8 * 1024 * 1024); // the SDK's and the sockets' own buffers, grown once

    const size = 50 * 1024 * 1024;
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    const result = await roundTrip('in/50mb.bin', size).finally(() => clearInterval(sampler));
    expect(result.length).toBe(size);
    expect(result.received).toBe(result.sent);
    expect(writes.at(-1)).toEqual(expect.objectContaining({ key: 'in/50mb.bin', size }));
    // Held whole, the object alone would add 50 MB (and its copy when concatenated: 178 MB measured when the gateway
    // buffered); streamed, a few socket buffers plus the chunks the GC has not collected yet (up to ~27 MB seen on a
    // busy machine). The bound stays under the object's own size.
    expect((peak - baseline) / 2 ** 20).toBeLessThan(40);
  });
});

describe('JSON and query APIs through the gateway', () => {
  it('records GetSecretValue on the secret ARN, whether the secret is named by name or by ARN', async () => {
    const { ARN } = await as(SecretsManagerClient, 'LocalAdmin').send(
      new CreateSecretCommand({ Name: 'landing-etl-local-db', SecretString: '{"password":"p"}' }),
    );
    expect(ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:${region}:${account}:secret:landing-etl-local-db-\\w{6}$`));
    expect(calls.at(-1)).toEqual(expect.objectContaining({ action: 'secretsmanager:CreateSecret', resource: ARN, status: 200 }));
    const secrets = as(SecretsManagerClient, 'QueryRole');
    const reads = await recorded(async () => {
      expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'landing-etl-local-db' }))).SecretString).toBe('{"password":"p"}');
      await secrets.send(new GetSecretValueCommand({ SecretId: ARN }));
    });
    expect(reads).toEqual([
      ['QueryRole', 'secretsmanager:GetSecretValue', ARN],
      ['QueryRole', 'secretsmanager:GetSecretValue', ARN],
    ]);
  });

  it('records DynamoDB item writes on the table, index queries on the index and each transaction item on its table', async () => {
    const db = as(DynamoDBClient, 'ExecutorRole');
    const key = { pk: { S: 'ING#gw-1' }, sk: { S: 'SUMMARY' } };
    const update = await recorded(() =>
      db.send(new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET datasetKey = :d, recentKey = :r',
        ExpressionAttributeValues: { ':d': { S: 'gw' }, ':r': { S: '2026-01-01' } },
      })),
    );
    expect(update).toEqual([['ExecutorRole', 'dynamodb:UpdateItem', tableArn]]);

    let items = 0;
    const query = await recorded(async () => {
      const out = await as(DynamoDBClient, 'IngestionsRole').send(new QueryCommand({
        TableName: table,
        IndexName: RUN_LOG_INDEXES.byDataset,
        KeyConditionExpression: 'datasetKey = :d',
        ExpressionAttributeValues: { ':d': { S: 'gw' } },
      }));
      items = out.Count ?? 0;
    });
    expect(query).toEqual([['IngestionsRole', 'dynamodb:Query', `${tableArn}/index/${RUN_LOG_INDEXES.byDataset}`]]);
    expect(items).toBe(1);

    // dynalite has no transactions (it answers 400): the gateway still records what the call needs on AWS.
    const transaction = await recorded(() =>
      db.send(new TransactWriteItemsCommand({
        TransactItems: [
          { ConditionCheck: { TableName: table, Key: key, ConditionExpression: 'attribute_exists(pk)' } },
          { Put: { TableName: table, Item: { pk: { S: 'ING#gw-2' }, sk: { S: 'SUMMARY' } } } },
          { Update: { TableName: table, Key: key, UpdateExpression: 'SET attempt = :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
        ],
      })).catch(() => undefined),
    );
    expect(transaction).toEqual([
      ['ExecutorRole', 'dynamodb:ConditionCheckItem', tableArn],
      ['ExecutorRole', 'dynamodb:PutItem', tableArn],
      ['ExecutorRole', 'dynamodb:UpdateItem', tableArn],
    ]);
  });

  it('routes Step Functions, SNS and Glue by their signing names and records their resources', async () => {
    const stateMachineArn = names.stateMachineArn;
    const routed = await recorded(async () => {
      await as(SFNClient, 'ExecutorRole').send(new StartExecutionCommand({ stateMachineArn, name: 'ing-1', input: '{}' }));
      await as(SNSClient, 'StateMachineRole').send(new PublishCommand({ TopicArn: names.topicArn, Message: 'done' }));
      await as(GlueClient, 'StateMachineRole').send(new StartJobRunCommand({ JobName: names.jobs.transform }));
    });
    expect(routed).toEqual([
      ['ExecutorRole', 'states:StartExecution', stateMachineArn],
      ['StateMachineRole', 'sns:Publish', names.topicArn],
      ['StateMachineRole', 'glue:StartJobRun', `arn:aws:glue:${region}:${account}:job/${names.jobs.transform}`],
    ]);
    expect(stubbed.slice(-3)).toEqual(['AWSStepFunctions.StartExecution', 'sns.Publish', 'AWSGlue.StartJobRun']);
  });

  it('records the x-landing-etl-caller header and keeps it from the backend', async () => {
    const executionArn = `${names.stateMachineArn.replace(':stateMachine:', ':execution:')}:ing-1`;
    const response = await jsonCall('StateMachineRole', 'states', 'AWSStepFunctions.DescribeExecution', { executionArn }, 'statemachine:MarkTransformRunning');
    expect(response.status).toBe(200);
    expect(calls.at(-1)).toEqual(expect.objectContaining({ principal: 'StateMachineRole', caller: 'statemachine:MarkTransformRunning', status: 200 }));
    expect(stubbedHeaders.at(-1)).not.toHaveProperty('x-landing-etl-caller');
  });

  it('answers a service it has no backend for with an AWS error and records the call as unrouted', async () => {
    const response = await jsonCall('LoadJobRole', 'kms', 'TrentService.Decrypt', {}, 'load.py');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(expect.objectContaining({ __type: 'UnknownService' }));
    expect(calls.at(-1)).toEqual(expect.objectContaining({
      principal: 'LoadJobRole', service: 'kms', action: 'kms:Decrypt', resource: '*', status: 'unrouted', caller: 'load.py',
    }));
  });
});

describe('boto3 through the gateway (AWS_ENDPOINT_URL, as the Glue jobs use it)', () => {
  it('attributes a Python job’s S3 and DynamoDB calls to its role', async () => {
    const script = [
      'import boto3',
      `s3 = boto3.client("s3")`,
      `s3.put_object(Bucket="${bucket}", Key="out/from-python.txt", Body=b"hello")`,
      `print(s3.get_object(Bucket="${bucket}", Key="out/from-python.txt")["Body"].read().decode())`,
      `boto3.client("dynamodb").get_item(TableName="${table}", Key={"pk": {"S": "ING#gw-1"}, "sk": {"S": "SUMMARY"}})`,
    ].join('\n');
    let stdout = '';
    const python = await recorded(async () => {
      ({ stdout } = await promisify(execFile)(paths.python, ['-c', script], {
        env: {
          PATH: process.env.PATH,
          AWS_ENDPOINT_URL: gateway.endpoint,
          AWS_ACCESS_KEY_ID: 'LoadJobRole',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_DEFAULT_REGION: region,
        },
      }));
    });
    expect(stdout.trim()).toBe('hello');
    expect(python).toEqual([
      ['LoadJobRole', 's3:PutObject', `arn:aws:s3:::${bucket}/out/from-python.txt`],
      ['LoadJobRole', 's3:GetObject', `arn:aws:s3:::${bucket}/out/from-python.txt`],
      ['LoadJobRole', 'dynamodb:GetItem', tableArn],
    ]);
  });
});

describe('a principal that would have no network path on AWS', () => {
  // The packaged dev network without its Secrets Manager endpoint: the query function and the load job, which run in
  // its subnets, have no path to Secrets Manager; the executor, outside the VPC, reaches the public endpoint.
  let isolated: AwsGateway;
  const refused: AwsCall[] = [];
  beforeAll(async () => {
    const template = structuredClone(loadTemplate('dev')) as unknown as Template;
    delete template.Resources.SecretsManagerEndpoint;
    isolated = await startAwsGateway({
      backends: { s3: moto.endpoint, secretsmanager: moto.endpoint, dynamodb: dynamo.endpoint },
      account,
      region,
      record: (call) => refused.push(call),
      reachability: reachability(template),
      log: () => {},
    });
    await as(SecretsManagerClient, 'LocalAdmin').send(new CreateSecretCommand({ Name: 'no-path-db', SecretString: '{"password":"p"}' }));
  });
  afterAll(() => isolated?.stop());

  const via = <C>(Client: new (config: object) => C, principal: string): C =>
    new Client({ region, endpoint: isolated.endpoint, credentials: { accessKeyId: principal, secretAccessKey: 'local' } });
  const missing = 'VPC Vpc has no secretsmanager interface endpoint';

  it('fails the SDK call as AWS would, a TimeoutError, naming principal, service and the missing endpoint', async () => {
    const call = via(SecretsManagerClient, 'QueryRole').send(new GetSecretValueCommand({ SecretId: 'no-path-db' }));
    await expect(call).rejects.toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/^no network path: QueryLambdaFunction \(QueryRole\) runs in the VPC and its call to secretsmanager would time out connecting on AWS: .*VPC Vpc has no secretsmanager interface endpoint/),
    });
    expect(refused.at(-1)).toMatchObject({ principal: 'QueryRole', action: 'secretsmanager:GetSecretValue', status: 'no-path' });
  });

  it('fails a Glue job\'s boto3 call the same way, and forwards what has a path or runs outside the VPC', async () => {
    const script = [
      'import boto3, botocore.exceptions',
      `boto3.client("s3").list_objects_v2(Bucket="${bucket}")`,
      'try:',
      '    boto3.client("secretsmanager").get_secret_value(SecretId="no-path-db")',
      'except botocore.exceptions.ClientError as e:',
      '    print(e.response["Error"]["Code"], e.response["Error"]["Message"])',
    ].join('\n');
    const { stdout } = await promisify(execFile)(paths.python, ['-c', script], {
      env: { PATH: process.env.PATH, AWS_ENDPOINT_URL: isolated.endpoint, AWS_ACCESS_KEY_ID: 'LoadJobRole', AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: region, AWS_MAX_ATTEMPTS: '1' },
    });
    expect(stdout).toMatch(/^TimeoutError no network path: LoadJob \(LoadJobRole\) runs in the VPC/);
    expect(stdout).toContain(missing);
    expect(refused.filter((c) => c.principal === 'LoadJobRole').map((c) => [c.action, c.status])).toEqual([
      ['s3:ListBucket', 200],
      ['secretsmanager:GetSecretValue', 'no-path'],
    ]);
    const outside = await via(SecretsManagerClient, 'ExecutorRole').send(new GetSecretValueCommand({ SecretId: 'no-path-db' }));
    expect(outside.SecretString).toBe('{"password":"p"}');
  });
});
