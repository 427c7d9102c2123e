import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { localAws, paths } from './layout';

export interface LocalSecrets {
  database: string;
  databaseReader: string;
  privacyKey: string;
  /** The reader's credentials, for the migrations that create its role. */
  reader: { username: string; password: string };
}

/** Creates the stack's secrets in the local Secrets Manager, as CloudFormation does on a deploy, and returns their
 *  ARNs: the database secrets in the RDS format (the host and port of the local PostgreSQL; the master user's
 *  credentials, and the read-only role's with a password generated at each start, which the migrations set) and the
 *  privacy key, generated once and kept under .local/ so pseudonyms survive a restart. */
export async function createSecrets(
  endpoint: string,
  names: { database: string; databaseReader: string; privacyKey: string },
  databaseUrl: string,
  readerUsername: string,
): Promise<LocalSecrets> {
  const client = new SecretsManagerClient({ endpoint, ...localAws });
  try {
    const db = new URL(databaseUrl);
    const rds = (username: string, password: string) =>
      JSON.stringify({ username, password, host: db.hostname, port: Number(db.port || 5432), dbname: db.pathname.slice(1) });
    const reader = { username: readerUsername, password: randomBytes(24).toString('base64url') };
    if (!existsSync(paths.privacyKey)) writeFileSync(paths.privacyKey, randomBytes(48).toString('base64url'), { mode: 0o600 });
    const privacyKey = readFileSync(paths.privacyKey, 'utf8').trim();
    return {
      database: await putSecret(client, names.database, rds(decodeURIComponent(db.username), decodeURIComponent(db.password))),
      databaseReader: await putSecret(client, names.databaseReader, rds(reader.username, reader.password)),
      privacyKey: await putSecret(client, names.privacyKey, privacyKey),
      reader,
    };
  } finally {
    client.destroy();
  }
}

async function putSecret(client: SecretsManagerClient, name: string, value: string): Promise<string> {
  try {
    const { ARN } = await client.send(new DescribeSecretCommand({ SecretId: name }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return ARN!;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
    return (await client.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
  }
}
