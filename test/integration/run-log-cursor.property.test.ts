import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { readIngestions } from '../../functions/ingestions/read';
import { BadRequestError } from '../../functions/shared/errors';
import { documentClient } from '../../functions/shared/document-client';
import { RunLog } from '../../functions/shared/run-log';
import { startDynamo, type LocalDynamo } from '../../local/dynamodb';
import { localAws } from '../../local/layout';
import { localDeployment } from '../support/orchestration';
import { seeded } from '../support/property';

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let runLog: RunLog;
let issued: string[];

beforeAll(async () => {
  const deployment = await localDeployment();
  dynamo = await startDynamo(null, deployment.tables());
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...localAws, maxAttempts: 1 });
  runLog = new RunLog(documentClient(client), deployment.names.runLogTable);
  for (let i = 0; i < 6; i++) {
    await runLog.create({
      ingestionId: `pages-2026010${i}-x`,
      dataset: 'pages',
      businessDate: `2026-01-0${i}`,
      sourceUri: `s3://landing/pages/file-${i}.csv`,
      receivedAt: `2026-01-01T10:0${i}:00.000Z`,
      status: 'RECEIVED',
    });
  }
  // Every cursor the run log issues for the dataset, one item a page.
  issued = [];
  let cursor: string | null = null;
  do {
    ({ nextCursor: cursor } = await runLog.recent('pages', { limit: 1, ...(cursor ? { cursor } : {}) }));
    if (cursor) issued.push(cursor);
  } while (cursor);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

/** GET /ingestions?dataset=pages&cursor=…: a page, or a 400 — anything else is a 500. */
async function pageWith(cursor: string): Promise<string[] | 'bad_request'> {
  try {
    const page = await readIngestions(runLog, undefined, { dataset: 'pages', limit: '2', cursor });
    return (page as { items: Array<{ ingestionId: string }> }).items.map((s) => s.ingestionId);
  } catch (e) {
    if (e instanceof BadRequestError) return 'bad_request';
    throw e;
  }
}

const opened = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
const sealed = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('every cursor the run log issued reads the next page', async () => {
  expect(issued).toHaveLength(6); // a full last page has a cursor too: to an empty page
  for (const [i, cursor] of issued.entries()) {
    // After the (i+1)-th newest of the six: the next two, older ones.
    expect(await pageWith(cursor)).toEqual([4 - i, 3 - i].filter((n) => n >= 0).map((n) => `pages-2026010${n}-x`));
  }
});

test('a cursor with any field changed is a 400 or a page of the dataset, never a 500', async () => {
  const field = fc.constantFrom('pk', 'sk', 'datasetKey', 'recentKey', 'extra');
  const value = fc.oneof(
    fc.string(), // '' is no key DynamoDB takes
    fc.string({ minLength: 1100, maxLength: 2100 }), // past the key size limits
    fc.constantFrom('ING#', 'ING#pages-20260101-x', 'SUMMARY', 'STAGE#load', 'pages', 'other', '2026-01-01T10:03:00.000Z#pages-20260103-x'),
    fc.jsonValue(),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...issued), fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 3 }), async (cursor, changes) => {
      const fields = opened(cursor);
      for (const [k, v] of changes) fields[k] = v;
      const answer = await pageWith(sealed(fields));
      if (answer !== 'bad_request') for (const id of answer) expect(id).toMatch(/^pages-/);
    }),
    // Each run queries DynamoDB: report the first failure as found rather than shrink it for minutes.
    { ...seeded(200), endOnFailure: true },
  );
});

test('any other text as a cursor is a 400, never a 500', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary' }), fc.base64String(), fc.jsonValue().map(sealed)), async (cursor) => {
      fc.pre(cursor !== '');
      expect(await pageWith(cursor)).toBe('bad_request');
    }),
    // Each run queries DynamoDB: report the first failure as found rather than shrink it for minutes.
    { ...seeded(200), endOnFailure: true },
  );
});
