import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseRdsSecret } from '../../functions/shared/db-credentials';
import { CredentialsError, SecretReadError } from '../../functions/shared/errors';
import { startMoto, type LocalMoto as Moto } from '../../local/moto';
import { LOCAL_ACCOUNT } from '../../local/deployment';

let moto: Moto;
let secrets: typeof import('../../functions/shared/secrets');
let arn: string;

beforeAll(async () => {
  moto = await startMoto({ account: LOCAL_ACCOUNT });
  // As on Lambda: region and credentials in the environment; the endpoint is moto's, a real Secrets Manager API.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
  });
  secrets = await import('../../functions/shared/secrets');
  const admin = new SecretsManagerClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  ({ ARN: arn = '' } = await admin.send(new CreateSecretCommand({ Name: 'landing-etl-db', SecretString: '{"username":"api","password":"p@ss"}' })));
  await admin.send(new CreateSecretCommand({ Name: 'landing-etl-binary', SecretBinary: new Uint8Array([1, 2, 3]) }));
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

describe('GetSecretValue', () => {
  test('reads the SecretString of a secret by its ARN and by its name', async () => {
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:landing-etl-db-\w{6}$/);
    expect(await secrets.readSecretString(arn)).toBe('{"username":"api","password":"p@ss"}');
    expect(await secrets.readSecretString('landing-etl-db')).toBe('{"username":"api","password":"p@ss"}');
  });

  test('a secret that does not exist is SecretReadError naming the secret and the service\'s error', async () => {
    const reading = secrets.readSecretString('landing-etl-missing');
    await expect(reading).rejects.toThrow(SecretReadError);
    await expect(reading).rejects.toThrow(/^secret landing-etl-missing: ResourceNotFoundException \(/);
  });

  test('a binary secret is refused: it has no SecretString', async () => {
    await expect(secrets.readSecretString('landing-etl-binary')).rejects.toThrow(
      'secret landing-etl-binary: has no SecretString (binary secrets are not supported)',
    );
  });
});

describe('RDS secret', () => {
  test('reads the RDS format, DB_HOST overriding the host (an RDS Proxy endpoint)', () => {
    const secret = JSON.stringify({ engine: 'postgres', host: 'db.internal', port: 5433, username: 'api', password: 'p@ss', dbname: 'landing' });
    expect(parseRdsSecret('s', secret)).toEqual({ host: 'db.internal', port: 5433, username: 'api', password: 'p@ss', database: 'landing' });
    expect(parseRdsSecret('s', secret, 'proxy.internal')).toMatchObject({ host: 'proxy.internal' });
  });

  test('an RDS-managed secret (username and password only) takes the host from DB_HOST and defaults the rest', () => {
    expect(parseRdsSecret('s', '{"username":"api","password":"x"}', 'proxy.internal')).toEqual({
      host: 'proxy.internal',
      port: 5432,
      username: 'api',
      password: 'x',
      database: 'postgres',
    });
  });

  test.each([
    ['not JSON', 'password=x', /SecretString is not JSON/],
    ['no password', '{"username":"api","host":"h"}', /missing or invalid field\(s\) password/],
    ['a bad port', '{"username":"api","password":"x","host":"h","port":"http"}', /field\(s\) port/],
    ['no host anywhere', '{"username":"api","password":"x"}', /has no host and DB_HOST is not set/],
  ])('refuses a secret with %s, naming the problem but not the password', (_name, secret, message) => {
    expect(() => parseRdsSecret('db-secret', secret)).toThrow(CredentialsError);
    expect(() => parseRdsSecret('db-secret', secret)).toThrow(message);
  });
});
