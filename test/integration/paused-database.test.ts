import { jest } from '@jest/globals';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { databaseFromEnv, type Database } from '../../functions/shared/db';
import { errorResponses, jsonResponse } from '../../functions/shared/http-responses';
import { logger } from '../../functions/shared/logger';
import { loadTemplate, record } from '../template/template';
import { startTcpProxy } from '../support/tcp-proxy';
import { startTestPostgres, type TestPostgres } from '../support/test-postgres';

// A paused Aurora Serverless v2 instance (dbMinCapacity 0) resumes when a connection arrives, in about 15 s ("Scaling
// to Zero ACUs with automatic pause and resume for Aurora Serverless v2"): a local PostgreSQL behind a proxy that
// takes connections only after N seconds plays it, holding them (as the resuming instance does) or refusing them.

jest.setTimeout(90_000);

/** The resume time AWS documents for an instance paused less than a day. */
const DOCUMENTED_RESUME_MS = 15_000;

const template = loadTemplate('dev');
const query = template.Resources.QueryLambdaFunction!.Properties;
const shipped = record(record(query.Environment).Variables) as Record<string, string>;

let pg: TestPostgres;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let proxiedUrl: string;
const databases: Database[] = [];

/** GET /get's error mapping around one query on `database`, as the query function answers. */
function endpoint(database: Database) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(errorResponses(logger))
    .handler(async () => jsonResponse(200, JSON.stringify(await database.run((sql) => sql`SELECT count(*)::int AS n FROM daily_checkins`))));
}

/** A database as the query function builds it from its environment: the shipped one, `DB_CONNECT_BUDGET_MS` aside. */
function database(env: Record<string, string> = {}): Database {
  // The pool's settings as shipped; the test database's URL in place of the secret and host.
  const settings = Object.fromEntries(['DB_POOL_MAX', 'DB_STATEMENT_TIMEOUT_MS', 'DB_CONNECT_BUDGET_MS'].map((k) => [k, shipped[k]]));
  const db = databaseFromEnv({ ...settings, DATABASE_URL: proxiedUrl, ...env });
  databases.push(db);
  return db;
}

async function timed(database: Database) {
  const started = Date.now();
  const response = await endpoint(database)({} as APIGatewayProxyEventV2, {} as Context);
  return { status: response.statusCode, retryAfter: response.headers?.['retry-after'], ms: Date.now() - started };
}

beforeAll(async () => {
  pg = await startTestPostgres();
  proxy = await startTcpProxy(new URL(pg.url));
  const url = new URL(pg.url);
  url.port = String(proxy.port);
  proxiedUrl = url.toString();
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
});

afterAll(async () => {
  await Promise.all(databases.map((d) => d.end()));
  await proxy?.close();
  await pg?.destroy();
});

test('the query function waits out the documented resume: its connect budget covers it and ends inside its own timeout', () => {
  expect(Number(shipped.DB_CONNECT_BUDGET_MS)).toBeGreaterThan(DOCUMENTED_RESUME_MS);
  // Connect budget + statement timeout + a second for the secret and the response, inside the function's timeout,
  // which stays under the HTTP API's 30 s integration timeout.
  expect(Number(shipped.DB_CONNECT_BUDGET_MS) + Number(shipped.DB_STATEMENT_TIMEOUT_MS) + 1_000).toBeLessThanOrEqual(Number(query.Timeout) * 1000);
  expect(Number(query.Timeout)).toBeLessThan(30);
});

test('the first request after a documented 15 s resume succeeds, with the shipped settings', async () => {
  const db = database();
  expect((await timed(db)).status).toBe(200);
  proxy.resumeAfter(DOCUMENTED_RESUME_MS, 'hold');
  const first = await timed(db);
  expect(first.status).toBe(200);
  expect(first.ms).toBeGreaterThanOrEqual(DOCUMENTED_RESUME_MS - 100);
  expect(first.ms).toBeLessThan(Number(shipped.DB_CONNECT_BUDGET_MS));
});

test('a database that refuses connections while it resumes is tried again until it takes them', async () => {
  const db = database({ DB_CONNECT_BUDGET_MS: '5000' });
  expect((await timed(db)).status).toBe(200);
  proxy.resumeAfter(2_000, 'refuse');
  const first = await timed(db);
  expect(first).toMatchObject({ status: 200 });
  expect(first.ms).toBeGreaterThanOrEqual(1_900);
  expect(first.ms).toBeLessThan(4_000);
});

test.each(['hold', 'refuse'] as const)(
  'a resume longer than the connect budget (%s) is a 503 with Retry-After once the budget is spent, and the next request serves',
  async (how) => {
    // A server that closes connections before they are ready is given the budget and a statement's time.
    const db = database({ DB_CONNECT_BUDGET_MS: '2000', DB_STATEMENT_TIMEOUT_MS: '1000' });
    proxy.resumeAfter(6_000, how);
    const beyond = await timed(db);
    expect(beyond).toMatchObject({ status: 503, retryAfter: '15' });
    expect(beyond.ms).toBeGreaterThanOrEqual(1_900);
    expect(beyond.ms).toBeLessThan(4_000);
    await new Promise((resolve) => setTimeout(resolve, 6_000 - beyond.ms));
    expect((await timed(db)).status).toBe(200);
  },
);
