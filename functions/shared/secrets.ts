import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretReadError } from './errors';

/** Reads Secrets Manager secrets with the SDK client. Its own module, not aws-clients.ts, so that the query Lambda,
 *  which needs only this client, does not bundle and construct the run log's, Step Functions' and SNS's. */

// One client per process; region, credentials and AWS_ENDPOINT_URL_SECRETS_MANAGER come from the environment.
// Bounded so that an unreachable endpoint fails the request (503) well within the query Lambda's 10 s.
const secretsManager = new SecretsManagerClient({
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
});

/** GetSecretValue → SecretString. Throws SecretReadError naming the secret and the service's error. */
export async function readSecretString(secretId: string): Promise<string> {
  let secret;
  try {
    secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (e) {
    const error = e as Error & { code?: string };
    throw new SecretReadError(`secret ${secretId}: ${error.code ?? error.name} (${error.message})`, { cause: e });
  }
  if (typeof secret.SecretString !== 'string') {
    throw new SecretReadError(`secret ${secretId}: has no SecretString (binary secrets are not supported)`);
  }
  return secret.SecretString;
}
