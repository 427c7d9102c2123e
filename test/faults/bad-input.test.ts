import { jest } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { RunLog, type IngestionRecord } from '../../functions/shared/run-log';
import { startLocalStack, type RunningStack } from '../support/local-stack';
import { CASES, type BadInputCase } from './bad-input-cases';

jest.setTimeout(900_000);

let stack: RunningStack;
let runLog: RunLog;
let sql: postgres.Sql;

beforeAll(async () => {
  stack = await startLocalStack();
  runLog = new RunLog(
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: stack.info.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
    ),
    stack.info.runLogTable,
  );
  sql = postgres(stack.info.databaseUrl, { max: 2 });
});

afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const key = (c: BadInputCase) => `dailycheckin/bad-input/${c.name}${c.ext ?? '.csv'}`;

/** Lands a file the way S3 does: it appears complete. */
function land(c: BadInputCase): void {
  const target = join(stack.info.landingFolder, key(c));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(join(dirname(target), `.${c.name}.part`), c.body);
  renameSync(join(dirname(target), `.${c.name}.part`), target);
}

async function outcomeOf(c: BadInputCase, since: string, deadline: number): Promise<IngestionRecord> {
  const uri = `s3://${stack.info.landingBucket}/${key(c)}`;
  for (;;) {
    const summary = (await runLog.forObject(uri, { since, limit: 1 }))[0];
    if (summary && ['SUCCEEDED', 'FAILED', 'REJECTED'].includes(summary.status)) return (await runLog.get(summary.ingestionId))!;
    if (Date.now() > deadline) throw new Error(`${c.name}: no final outcome before the deadline (${summary?.status ?? 'nothing recorded'})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test(`every kind of bad input (${CASES.length} cases) ends as expected and leaves stored rows untouched`, async () => {
  const before = await sql`SELECT * FROM daily_checkins ORDER BY id`;
  expect(before.length).toBeGreaterThan(0); // the bundled sample

  const since = new Date().toISOString();
  for (const c of CASES) land(c);
  const deadline = Date.now() + 600_000;
  const results = await Promise.all(CASES.map(async (c) => [c, await outcomeOf(c, since, deadline)] as const));

  const failures: string[] = [];
  for (const [c, record] of results) {
    const { summary, stages } = record;
    const describe = `${summary.status} at ${summary.state}: ${summary.cause ?? ''}`.slice(0, 300);
    const e = c.expect;
    if ('rejected' in e) {
      if (summary.status !== 'REJECTED' || !e.rejected.test(summary.cause ?? '')) failures.push(`${c.name}: expected rejection ${e.rejected}, got ${describe}`);
    } else if ('failedAt' in e) {
      if (summary.status !== 'FAILED' || summary.state.toLowerCase() !== e.failedAt || !e.cause.test(summary.cause ?? '')) {
        failures.push(`${c.name}: expected FAILED at ${e.failedAt} ${e.cause}, got ${describe}`);
      }
    } else {
      const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM daily_checkins WHERE source_object = ${summary.sourceUri}`;
      const n = count!.n;
      const rejected = (stages.find((s) => s.stage === 'test')?.metrics?.rejectedByRule ?? {}) as Record<string, number>;
      if (summary.status !== 'SUCCEEDED' || n !== e.loaded) failures.push(`${c.name}: expected ${e.loaded} rows loaded, got ${n} (${describe})`);
      if (e.quarantined && JSON.stringify(rejected) !== JSON.stringify(e.quarantined)) {
        failures.push(`${c.name}: expected quarantined ${JSON.stringify(e.quarantined)}, got ${JSON.stringify(rejected)}`);
      }
    }
    for (const user of c.users ?? []) {
      const res = await fetch(`${stack.info.apiUrl}/get?user=${encodeURIComponent(user)}`);
      const body = (await res.json()) as { response: Array<{ user: string }> };
      if (res.status !== 200 || body.response.length === 0 || body.response.some((r) => r.user !== user)) {
        failures.push(`${c.name}: GET /get?user=${user} → ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
    }
  }
  expect(failures).toEqual([]);

  // Nothing already stored was changed by any of it.
  const after = await sql`SELECT * FROM daily_checkins WHERE id <= ${before.at(-1)!.id} ORDER BY id`;
  expect(after).toEqual(before);
});
