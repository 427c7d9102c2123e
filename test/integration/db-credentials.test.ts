import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import postgres from 'postgres';
import { databaseFromEnv, DatabaseUnavailableError, type Database } from '../../functions/shared/db';
import { startTestPostgres, type TestPostgres } from '../support/test-postgres';

jest.setTimeout(120_000);

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:landing-etl-db-AbCdEf';

let pg: TestPostgres;
let admin: postgres.Sql;
let server: Server;
let endpoint: string;
/** The Secrets Manager stand-in: what the secret holds now, and every request it answered. */
const secret = { value: '', requests: [] as Array<{ target: string; authorization: string; secretId: string }>, down: false };

beforeAll(async () => {
  pg = await startTestPostgres();
  admin = postgres(pg.url, { onnotice: () => {} });
  await admin`CREATE ROLE api LOGIN PASSWORD 'first-password'`;
  await admin`GRANT SELECT ON daily_checkins TO api`;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (secret.down) return void res.destroy();
      secret.requests.push({
        target: String(req.headers['x-amz-target']),
        authorization: String(req.headers.authorization),
        secretId: (JSON.parse(body) as { SecretId: string }).SecretId,
      });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: SECRET_ARN, Name: 'landing-etl-db', SecretString: secret.value }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  server?.close();
  await admin?.end();
  await pg?.destroy();
});

const rdsSecret = (password: string) =>
  JSON.stringify({ engine: 'postgres', host: 'db.cluster.invalid', port: Number(new URL(pg.url).port), username: 'api', password, dbname: 'landing' });

const awsEnv = () => ({
  DB_SECRET_ARN: SECRET_ARN,
  DB_HOST: '127.0.0.1', // stands in for an RDS Proxy endpoint: overrides the secret's host
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'session',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
});

const whoAmI = (db: Database) => db.run(async (sql) => (await sql<[{ user: string }]>`SELECT current_user AS user`)[0].user);

test('reads the secret once, caches it, and re-reads it once when a rotated password is refused', async () => {
  secret.value = rdsSecret('first-password');
  secret.requests.length = 0;
  const db = databaseFromEnv(awsEnv());
  try {
    expect(await whoAmI(db)).toBe('api');
    expect(await whoAmI(db)).toBe('api');
    expect(secret.requests).toHaveLength(1);
    expect(secret.requests[0]).toMatchObject({ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ARN });
    expect(secret.requests[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/secretsmanager\/aws4_request, /);

    // Rotation: the password changes in the database and in the secret; open sessions end (a restart, a failover).
    await admin`ALTER ROLE api PASSWORD 'second-password'`;
    secret.value = rdsSecret('second-password');
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'api'`;

    expect(await whoAmI(db)).toBe('api');
    expect(secret.requests).toHaveLength(2);
    expect(await whoAmI(db)).toBe('api');
    expect(secret.requests).toHaveLength(2);
  } finally {
    await db.end();
  }
});

test('a password the database refuses even after a re-read is DatabaseUnavailableError, re-read once per request', async () => {
  secret.value = rdsSecret('stale-password');
  secret.requests.length = 0;
  const db = databaseFromEnv(awsEnv());
  try {
    await expect(whoAmI(db)).rejects.toThrow(DatabaseUnavailableError);
    await expect(whoAmI(db)).rejects.toThrow(/28P01/);
    expect(secret.requests).toHaveLength(3); // the first read, then one re-read per refused request
  } finally {
    await db.end();
  }
});

test('Secrets Manager unreachable is DatabaseUnavailableError, and the next request tries again', async () => {
  secret.value = rdsSecret('second-password');
  secret.requests.length = 0;
  secret.down = true;
  const db = databaseFromEnv(awsEnv());
  try {
    await expect(whoAmI(db)).rejects.toThrow(DatabaseUnavailableError);
    secret.down = false;
    expect(await whoAmI(db)).toBe('api');
    expect(secret.requests).toHaveLength(1);
  } finally {
    await db.end();
  }
});

test('configuration problems name the missing variable', () => {
  expect(() => databaseFromEnv({})).toThrow('set DATABASE_URL or DB_SECRET_ARN');
  expect(() => databaseFromEnv({ DB_SECRET_ARN: SECRET_ARN })).toThrow(/AWS_REGION and AWS credentials/);
  expect(() => databaseFromEnv({ DATABASE_URL: pg.url, DB_POOL_MAX: 'many' })).toThrow(/DB_POOL_MAX/);
});
