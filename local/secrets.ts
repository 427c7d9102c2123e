import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { localAws, paths } from './layout';

/** Creates the stack's secrets in the local Secrets Manager, as CloudFormation does on a deploy, and returns their
 *  ARNs: the database secret in the RDS format (its host, port and credentials those of the local PostgreSQL) and
 *  the privacy key, generated once and kept under .local/ so pseudonyms survive a restart. */
export async function createSecrets(
  endpoint: string,
  names: { database: string; privacyKey: string },
  databaseUrl: string,
): Promise<{ database: string; privacyKey: string }> {
  const client = new SecretsManagerClient({ endpoint, ...localAws });
  try {
    const db = new URL(databaseUrl);
    const database = JSON.stringify({
      username: decodeURIComponent(db.username),
      password: decodeURIComponent(db.password),
      host: db.hostname,
      port: Number(db.port || 5432),
      dbname: db.pathname.slice(1),
    });
    if (!existsSync(paths.privacyKey)) writeFileSync(paths.privacyKey, randomBytes(48).toString('base64url'), { mode: 0o600 });
    const privacyKey = readFileSync(paths.privacyKey, 'utf8').trim();
    return {
      database: await putSecret(client, names.database, database),
      privacyKey: await putSecret(client, names.privacyKey, privacyKey),
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
