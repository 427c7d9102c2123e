import { jest } from '@jest/globals';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createServer, request, type Server } from 'node:http';
import postgres from 'postgres';
import type { Database } from '../../functions/shared/db';
import { DatabaseUnavailableError } from '../../functions/shared/errors';
import { startMoto, type LocalMoto as Moto } from '../../local/moto';
import { LOCAL_ACCOUNT } from '../../local/deployment';
import { startTestPostgres, type TestPostgres } from '../support/test-postgres';

jest.setTimeout(120_000);

let pg: TestPostgres;
let admin: postgres.Sql;
let moto: Moto;
let secretsAdmin: SecretsManagerClient;
let SECRET_ARN: string;
let dbModule: typeof import('../../functions/shared/db');
let proxy: Server;
/** What reached Secrets Manager (moto, behind a loopback proxy that can be switched off): every request's target,
 *  signature and secret id. */
const secretsManager = { requests: [] as Array<{ target: string; authorization: string; secretId: string }>, down: false };

/** Forwards each request to moto unchanged, recording it; while `down`, drops the connection instead. */
function startRecordingProxy(target: URL): Promise<string> {
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      if (secretsManager.down) return void res.destroy();
      const body = Buffer.concat(chunks);
      secretsManager.requests.push({
        target: String(req.headers['x-amz-target']),
        authorization: String(req.headers.authorization),
        secretId: (JSON.parse(body.toString('utf8')) as { SecretId: string }).SecretId,
      });
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(proxy.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  pg = await startTestPostgres({ tls: true });
  admin = postgres(pg.url, { onnotice: () => {} });
  await admin`CREATE ROLE api LOGIN PASSWORD 'first-password'`;
  await admin`GRANT SELECT ON daily_checkins TO api`;
  moto = await startMoto({ account: LOCAL_ACCOUNT });
  secretsAdmin = new SecretsManagerClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  ({ ARN: SECRET_ARN = '' } = await secretsAdmin.send(new CreateSecretCommand({ Name: 'landing-etl-db', SecretString: rdsSecret('first-password') })));
  // As on Lambda: region and credentials in the environment, read by the module's one Secrets Manager client.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'session',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: await startRecordingProxy(new URL(moto.endpoint)),
  });
  dbModule = await import('../../functions/shared/db');
});

afterAll(async () => {
  secretsAdmin?.destroy();
  proxy?.closeAllConnections(); // the SDK keeps its connections alive
  proxy?.close();
  await moto?.stop();
  await admin?.end();
  await pg?.destroy();
});

const rdsSecret = (password: string) =>
  JSON.stringify({ engine: 'postgres', host: 'db.cluster.invalid', port: Number(new URL(pg.url).port), username: 'api', password, dbname: 'landing' });

const awsEnv = () => ({
  DB_SECRET_ARN: SECRET_ARN,
  DB_HOST: '127.0.0.1', // stands in for an RDS Proxy endpoint: overrides the secret's host
  AWS_REGION: 'us-east-1',
  // As the local stack sets it: this server's certificate is self-signed (verify-full is the subject of its own test).
  DB_SSL_MODE: 'require',
});

/** Stores a new version of the secret, as a rotation does. */
const putSecret = (password: string) => secretsAdmin.send(new PutSecretValueCommand({ SecretId: SECRET_ARN, SecretString: rdsSecret(password) }));

const whoAmI = (db: Database) => db.run(async (sql) => (await sql<[{ user: string }]>`SELECT current_user AS user`)[0].user);

test('reads the secret once, caches it, and re-reads it once when a rotated password is refused', async () => {
  await putSecret('first-password');
  secretsManager.requests.length = 0;
  const db = dbModule.databaseFromEnv(awsEnv());
  try {
    expect(await whoAmI(db)).toBe('api');
    expect(await whoAmI(db)).toBe('api');
    expect(secretsManager.requests).toHaveLength(1);
    expect(secretsManager.requests[0]).toMatchObject({ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ARN });
    expect(secretsManager.requests[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/secretsmanager\/aws4_request, /);

    // Rotation: the password changes in the database and in the secret; open sessions end (a restart, a failover).
    await admin`ALTER ROLE api PASSWORD 'second-password'`;
    await putSecret('second-password');
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'api'`;

    expect(await whoAmI(db)).toBe('api');
    expect(secretsManager.requests).toHaveLength(2);
    expect(await whoAmI(db)).toBe('api');
    expect(secretsManager.requests).toHaveLength(2);
  } finally {
    await db.end();
  }
});

test('by default the server is verified: a certificate no trusted CA signed is refused, with TLS required it connects', async () => {
  await putSecret('second-password');
  const { DB_SSL_MODE: _local, ...onAws } = awsEnv();
  const verified = dbModule.databaseFromEnv(onAws);
  try {
    await expect(whoAmI(verified)).rejects.toThrow(/self[- ]signed certificate/);
  } finally {
    await verified.end();
  }
  const encrypted = dbModule.databaseFromEnv(awsEnv());
  try {
    expect(await encrypted.run(async (sql) => (await sql<[{ ssl: boolean }]>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)[0].ssl)).toBe(true);
  } finally {
    await encrypted.end();
  }
  expect(() => dbModule.databaseFromEnv({ ...awsEnv(), DB_SSL_MODE: 'prefer' })).toThrow(/DB_SSL_MODE/);
});

test('a password the database refuses even after a re-read is DatabaseUnavailableError, re-read once per request', async () => {
  await putSecret('stale-password');
  secretsManager.requests.length = 0;
  const db = dbModule.databaseFromEnv(awsEnv());
  try {
    await expect(whoAmI(db)).rejects.toThrow(DatabaseUnavailableError);
    await expect(whoAmI(db)).rejects.toThrow(/28P01/);
    expect(secretsManager.requests).toHaveLength(3); // the first read, then one re-read per refused request
  } finally {
    await db.end();
  }
});

test('Secrets Manager unreachable is DatabaseUnavailableError, and the next request tries again', async () => {
  await putSecret('second-password');
  secretsManager.requests.length = 0;
  secretsManager.down = true;
  const db = dbModule.databaseFromEnv(awsEnv());
  try {
    await expect(whoAmI(db)).rejects.toThrow(DatabaseUnavailableError);
    secretsManager.down = false;
    expect(await whoAmI(db)).toBe('api');
    expect(secretsManager.requests).toHaveLength(1);
  } finally {
    await db.end();
  }
});

test('configuration problems name the missing variable', () => {
  expect(() => dbModule.databaseFromEnv({})).toThrow('set DATABASE_URL or DB_SECRET_ARN');
  expect(() => dbModule.databaseFromEnv({ DB_SECRET_ARN: SECRET_ARN })).toThrow('DB_SECRET_ARN needs AWS_REGION');
  expect(() => dbModule.databaseFromEnv({ DATABASE_URL: pg.url, DB_POOL_MAX: 'many' })).toThrow(/DB_POOL_MAX/);
});
