import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';
import { signRequest } from '../../functions/shared/secrets';
import { parseRdsSecret, CredentialsError } from '../../functions/shared/db-credentials';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

test('signs the AWS SigV4 test suite request "get-vanilla" with its published signature', () => {
  const headers = signRequest(
    { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '' },
    { region: 'us-east-1', service: 'service' },
    credentials,
    new Date('2015-08-30T12:36:00Z'),
  );
  expect(headers.authorization).toBe(
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
      'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  );
});

/** node:crypto behind the Checksum interface the SDK's signer expects. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = typeof secret === 'string' || secret === undefined ? secret : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret);
    this.hash = key ? createHmac('sha256', key) : createHash('sha256');
  }
  update(data: Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
  reset() {}
}

test('signs GetSecretValue exactly as the AWS SDK signer does, session token included', async () => {
  const now = new Date('2026-11-21T10:11:12Z');
  const session = { ...credentials, sessionToken: 'token/with+chars=' };
  const body = JSON.stringify({ SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf' });
  const url = new URL('https://secretsmanager.eu-west-1.amazonaws.com/');
  const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' };
  const ours = signRequest({ method: 'POST', url, headers, body }, { region: 'eu-west-1', service: 'secretsmanager' }, session, now);

  // x-amz-content-sha256 is an S3 header; Secrets Manager does not need it signed.
  const sdk = new SignatureV4({ service: 'secretsmanager', region: 'eu-west-1', credentials: session, sha256: Sha256, applyChecksum: false });
  const signed = await sdk.sign(
    { method: 'POST', protocol: 'https:', hostname: url.hostname, path: '/', query: {}, headers: { ...headers, host: url.host }, body },
    { signingDate: now },
  );
  expect(ours.authorization).toBe(signed.headers.authorization);
  expect(ours['x-amz-security-token']).toBe('token/with+chars=');
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
