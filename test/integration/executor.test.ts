import { jest } from '@jest/globals';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startAwsApi } from '../../local/aws-api';
import { startMoto, type LocalMoto } from '../../local/moto';
import type { Notification } from '../../local/aws-api';
import { startOrchestration, healthyJobs } from '../support/orchestration';

jest.setTimeout(60_000);

let env: Awaited<ReturnType<typeof startOrchestration>>;
let api: Awaited<ReturnType<typeof startAwsApi>>;
let moto: LocalMoto;
let sqs: SQSClient;
let queueUrl: string;
let handler: (event: unknown, context: never) => Promise<unknown>;
/** The admission slots the handler is configured with: a test fills them with ingestions of its own to make
 *  landed objects wait. */
const SLOTS = 8;
const alerts: Notification[] = [];
const notify = (n: Notification) => alerts.push(n);

beforeAll(async () => {
  env = await startOrchestration();
  env.glue.jobs = healthyJobs();
  api = await startAwsApi(env.stepFunctions, env.glue, notify);
  // SQS on moto: where the handler sends back the messages whose objects must wait for a slot.
  moto = await startMoto({ account: '000000000000' });
  sqs = new SQSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  ({ QueueUrl: queueUrl } = (await sqs.send(new CreateQueueCommand({ QueueName: 'landing' }))) as { QueueUrl: string });
  // The handler reads its configuration at import, as in Lambda.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: env.dynamo.endpoint,
    AWS_ENDPOINT_URL_SFN: api.endpoint,
    AWS_ENDPOINT_URL_SNS: api.endpoint,
    AWS_ENDPOINT_URL_SQS: moto.endpoint,
    // As the template's Ref gives it: AWS's host, not the endpoint the client is configured with.
    LANDING_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/000000000000/landing`,
    ADMISSION_SLOTS: String(SLOTS),
    ADMISSION_RETRY_SECONDS: '0',
    STATE_MACHINE_ARN: env.names.stateMachineArn,
    RUN_LOG_TABLE: env.names.runLogTable,
    TOPIC_ARN: env.names.topicArn,
    DATA_BUCKET: 'data',
    DATASETS_DIR: 'datasets',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = (await import('../../functions/executor/handler')) as unknown as { handler: typeof handler });
});
afterAll(async () => {
  sqs?.destroy();
  await moto?.stop();
  await api?.stop();
  await env?.stop();
});
beforeEach(() => (alerts.length = 0));

let n = 0;
const s3Record = (key: string, opts: { size?: number; versionId?: string } = {}) => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  eventTime: '2026-11-21T10:00:00.000Z',
  eventName: 'ObjectCreated:Put',
  s3: {
    bucket: { name: 'landing' },
    object: { key, size: opts.size ?? 120, eTag: 'etag', versionId: opts.versionId ?? `v${++n}` },
  },
});
type Reply = { batchItemFailures: Array<{ itemIdentifier: string }>; outcomes: Array<Record<string, string>> };
/** One SQS message per call, as the landing queue delivers S3's notification of the records. */
const receive = (...bodies: string[]) =>
  handler({ Records: bodies.map((body, i) => ({ messageId: `m${++n}-${i}`, receiptHandle: 'r', body, eventSource: 'aws:sqs' })) }, {} as never) as Promise<Reply>;
const deliver = async (...records: unknown[]) => {
  const reply = await receive(JSON.stringify({ Records: records }));
  if (reply.batchItemFailures.length > 0) throw new Error(`${reply.batchItemFailures.length} message(s) not handled`);
  return reply.outcomes;
};
const executionsOf = (id: string) => env.stepFunctions.listExecutions().filter((e) => e.name.startsWith(id));

test('handles every record of a multi-record event: two runs started, one file rejected', async () => {
  const outcomes = await deliver(
    s3Record('dailycheckin/2026-11-20/a.csv'),
    s3Record('dailycheckin/year=2026/month=11/day=19/b.csv.gz'),
    s3Record('dailycheckin/2026-11-20/notes.txt'),
  );
  expect(outcomes.map((o) => o.outcome)).toEqual(['started', 'started', 'rejected']);
  for (const o of outcomes.slice(0, 2)) {
    expect((await env.finished(o.ingestionId!)).status).toBe('SUCCEEDED');
    const record = await env.runLog.get(o.ingestionId!);
    expect(record!.summary).toMatchObject({ status: 'SUCCEEDED', executionArn: o.executionArn, attempt: 1 });
  }
  expect((await env.runLog.getSummary(outcomes[1]!.ingestionId!))!.businessDate).toBe('2026-11-19');
  expect((await env.runLog.getSummary(outcomes[2]!.ingestionId!))!.status).toBe('REJECTED');
});

test('a duplicate delivery starts no second run and is counted on the summary', async () => {
  const record = s3Record('dailycheckin/2026-11-21/dup.csv');
  const [first] = await deliver(record);
  await env.finished(first!.ingestionId!);
  const [second] = await deliver(record);
  // Two more deliveries at the same moment.
  const concurrent = await Promise.all([deliver(record), deliver(record)]);

  expect(first!.outcome).toBe('started');
  expect([second, ...concurrent.flat()].map((o) => o!.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate']);
  expect(executionsOf(first!.ingestionId!)).toHaveLength(1);
  expect(await env.runLog.getSummary(first!.ingestionId!)).toMatchObject({ status: 'SUCCEEDED', duplicates: 3 });
});

test('two deliveries racing while the run is fresh still make exactly one run', async () => {
  const record = s3Record('dailycheckin/2026-11-21/race.csv');
  const outcomes = (await Promise.all([deliver(record), deliver(record), deliver(record)])).flat();
  expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'duplicate', 'started']);
  const id = outcomes[0]!.ingestionId!;
  await env.finished(id);
  expect(executionsOf(id)).toHaveLength(1);
  expect((await env.runLog.getSummary(id))!.duplicates).toBe(2);
});

test.each([
  ['dailycheckin/2026-11-21/a.json', 10, /is not a \.csv, \.csv\.gz or \.csv\.bz2 file/],
  ['dailycheckin/2026-11-21/a.csv.zip', 10, /is not a \.csv, \.csv\.gz or \.csv\.bz2 file/],
  // Above the contract's max_bytes (4 GiB by default): a plain file's size is its CSV's.
  ['dailycheckin/2026-11-21/huge.csv', 4 * 1024 ** 3 + 1, /is 4294967297 bytes of CSV, more than max_bytes \(4294967296\) of dataset dailycheckin$/],
  ['dailycheckin/2026-11-21/empty.csv', 0, /is empty \(0 bytes\)/],
  ['payroll/2026-11-21/a.csv', 10, /no dataset contract for "payroll" \(the first folder of the key\); known datasets: cafe_transactions, dailycheckin$/],
  ['loose.csv', 10, /no dataset contract for a file outside any dataset folder; known datasets: cafe_transactions, dailycheckin$/],
])('rejects %s (%d bytes): reason in the run log and an alert, no run', async (key, size, reason) => {
  const record = s3Record(key, { size });
  const [outcome] = await deliver(record);
  expect(outcome).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(reason) });
  const summary = await env.runLog.getSummary(outcome!.ingestionId!);
  expect(summary).toMatchObject({ status: 'REJECTED', state: 'REJECTED', error: 'Rejected', cause: expect.stringMatching(reason) });
  expect(executionsOf(outcome!.ingestionId!)).toHaveLength(0);
  expect(alerts).toHaveLength(1);
  expect(alerts[0]!.subject).toMatch(/^landing-etl: .* rejected$/);
  expect(JSON.parse(alerts[0]!.message)).toMatchObject({ event: 'INGESTION_REJECTED', sourceUri: `s3://landing/${key}`, reason: expect.stringMatching(reason) });

  // Redelivered: counted as a duplicate, not alerted twice.
  expect((await deliver(record))[0]!.outcome).toBe('duplicate');
  expect(alerts).toHaveLength(1);
});

test("the S3 event's sequencer reaches the load job as --source_sequencer, through the packaged state machine", async () => {
  const record = s3Record('dailycheckin/2026-11-21/sequenced.csv');
  const [outcome] = await deliver({ ...record, s3: { ...record.s3, object: { ...record.s3.object, sequencer: '0062a1b2c3d4e5f60b' } } });
  expect((await env.finished(outcome!.ingestionId!)).status).toBe('SUCCEEDED');
  const load = env.glue.starts.filter((s) => s.job === 'load' && s.args['--ingestion_id'] === outcome!.ingestionId);
  expect(load.map((s) => s.args['--source_sequencer'])).toEqual(['0062A1B2C3D4E5F60B']);
});

test('any key S3 allows is ingested as it is: #, ?, [, {, %, +, spaces, unicode, upper-case extensions, 1,024 bytes', async () => {
  const keys = [
    'dailycheckin/2026-11-21/a#b?c=d.csv',
    'dailycheckin/2026-11-21/[x]{y,z} 100%25 +plus+.CSV',
    'dailycheckin/2026-11-21/éte 🦄 日本.Csv.Gz',
    'dailycheckin/2026-11-21/b.CSV.BZ2',
  ];
  // The longest key S3 allows: 1,024 bytes of UTF-8.
  const prefix = 'dailycheckin/2026-11-21/';
  keys.push(`${prefix}${'ü'.repeat((1024 - prefix.length - '.csv'.length) / 2)}.csv`);
  expect(Buffer.byteLength(keys.at(-1)!)).toBe(1024);
  // As S3 puts a key in its events: URL-encoded, a space as '+'.
  const encoded = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
  const outcomes = await deliver(...keys.map((key) => s3Record(encoded(key))));
  expect(outcomes.map((o) => o.outcome)).toEqual(keys.map(() => 'started'));
  for (const [i, key] of keys.entries()) {
    const id = outcomes[i]!.ingestionId!;
    expect((await env.finished(id)).status).toBe('SUCCEEDED');
    expect(await env.runLog.getSummary(id)).toMatchObject({ status: 'SUCCEEDED', sourceUri: `s3://landing/${key}` });
    const starts = env.glue.starts.filter((s) => s.args['--ingestion_id'] === id);
    expect(starts.map((s) => [s.job, s.args['--source_uri']])).toEqual(['transform', 'test', 'load'].map((job) => [job, `s3://landing/${key}`]));
  }
});

test('ignores folder markers', async () => {
  expect(await deliver(s3Record('dailycheckin/2026-11-21/', { size: 0 }))).toEqual([
    { outcome: 'ignored', key: 'dailycheckin/2026-11-21/', reason: 'folder marker' },
  ]);
});

test("S3's test event is consumed without a word; a body that is not S3's is reported failed, for the dead-letter queue", async () => {
  const reply = await receive(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'landing' }), 'not json', JSON.stringify({ hello: 1 }));
  expect(reply.outcomes).toEqual([]);
  expect(reply.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([expect.stringMatching(/-1$/), expect.stringMatching(/-2$/)]);
});

describe('admission', () => {
  /** Fills every slot with ingestions in flight (RECEIVED in the run log), so the next landed object must wait. */
  async function fillSlots(): Promise<string[]> {
    const { receivedIngestion } = await import('../support/orchestration');
    const holders: string[] = [];
    for (let i = 0; i < SLOTS; i++) {
      const { ingestionId } = await receivedIngestion(env.runLog);
      expect(await env.admission.acquire(ingestionId, SLOTS)).toBe(true);
      holders.push(ingestionId);
    }
    return holders;
  }
  const sentBack = async () => {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    return Messages.map((m) => m.Body!);
  };

  test('with every slot taken an object waits QUEUED, its message comes back, and it runs once a slot is free', async () => {
    const holders = await fillSlots();
    const record = s3Record('dailycheckin/2026-11-22/waits.csv');
    const [queued] = await deliver(record, s3Record('dailycheckin/2026-11-22/', { size: 0 }));
    expect(queued).toEqual({ outcome: 'queued', ingestionId: expect.stringMatching(/^dailycheckin-20261122-/) });
    const id = queued!.ingestionId!;
    expect(await env.runLog.getSummary(id)).toMatchObject({ status: 'QUEUED', state: 'QUEUED', queuedAt: expect.any(String) });
    expect(executionsOf(id)).toHaveLength(0);
    // The object's record is sent back alone (not the folder marker), to come again after ADMISSION_RETRY_SECONDS.
    const [body, ...more] = await sentBack();
    expect(more).toEqual([]);
    expect(JSON.parse(body!)).toEqual({ Records: [record] });

    // Still full: it waits again, and joins the backlog once.
    expect((await receive(body!)).outcomes).toEqual([{ outcome: 'queued', ingestionId: id }]);
    await sentBack();

    await env.admission.release(...holders);
    const before = env.notifications.length;
    const [started] = (await receive(body!)).outcomes;
    expect(started).toMatchObject({ outcome: 'started', ingestionId: id });
    expect((await env.finished(id)).status).toBe('SUCCEEDED');
    expect(await env.runLog.getSummary(id)).toMatchObject({ status: 'SUCCEEDED', queuedAt: expect.any(String) });
    // Its end gave the slot back and closed the backlog it was the only member of: one summary, no alert of its own.
    expect(await env.admission.holders()).toEqual([]);
    const events = env.notifications.slice(before).map((n) => JSON.parse(n.message) as { event: string; ingestions?: number; succeeded?: number });
    expect(events.filter((e) => e.event === 'BACKLOG_ENDED')).toEqual([expect.objectContaining({ ingestions: 1, succeeded: 1, failed: 0, datasets: ['dailycheckin'] })]);
    expect(events.filter((e) => e.event === 'INGESTION_SUCCEEDED')).toEqual([]);
  });

  test('a slot held by an ingestion that has ended (its release lost) is taken back when the slots are full', async () => {
    const holders = await fillSlots();
    await env.runLog.markAborted(holders[0]!, 1, 'ExecutionAborted', 'test', new Date().toISOString());
    const [outcome] = await deliver(s3Record('dailycheckin/2026-11-22/heals.csv'));
    expect(outcome).toMatchObject({ outcome: 'started' });
    expect(await env.admission.holders()).not.toContain(holders[0]);
    await env.finished(outcome!.ingestionId!);
    await env.admission.release(...holders);
  });
});

test('Step Functions unavailable: the message is reported failed so SQS delivers it again, and that delivery starts the run once', async () => {
  const record = s3Record('dailycheckin/2026-11-21/outage.csv');
  const port = Number(new URL(api.endpoint).port);
  await api.stop();
  try {
    const reply = await receive(JSON.stringify({ Records: [record] }));
    expect(reply.batchItemFailures).toHaveLength(1);
    expect(reply.outcomes).toEqual([]);
  } finally {
    api = await startAwsApi(env.stepFunctions, env.glue, notify, port);
  }
  const [outcome] = await deliver(record);
  expect(outcome!.outcome).toBe('started');
  await env.finished(outcome!.ingestionId!);
  expect(executionsOf(outcome!.ingestionId!)).toHaveLength(1);
  expect(await env.runLog.getSummary(outcome!.ingestionId!)).toMatchObject({ status: 'SUCCEEDED' });
});

test('the run log unavailable: the message is reported failed and nothing starts', async () => {
  const before = env.stepFunctions.listExecutions().length;
  await env.dynamo.stop();
  await expect(deliver(s3Record('dailycheckin/2026-11-21/no-runlog.csv'))).rejects.toThrow(/1 message\(s\) not handled/);
  expect(env.stepFunctions.listExecutions()).toHaveLength(before);
});
