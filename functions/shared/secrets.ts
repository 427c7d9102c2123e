import { createHash, createHmac } from 'node:crypto';

/** Reads one Secrets Manager secret with a SigV4-signed request. The SDK client alone bundles to ~450 KB minified,
 *  over the query Lambda's size budget; GetSecretValue is one JSON POST, so this signs it with node:crypto. */

export class SecretReadError extends Error {
  override name = 'SecretReadError';
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

const hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** AWS Signature Version 4 for a request without a query string: returns the headers to send, Authorization included. */
export function signRequest(
  request: SignableRequest,
  scope: { region: string; service: string },
  credentials: AwsCredentials,
  now: Date,
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': amzDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const canonical = Object.entries(headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = canonical.map(([k]) => k).join(';');
  const canonicalRequest = [
    request.method,
    request.url.pathname || '/',
    '',
    ...canonical.map(([k, v]) => `${k}:${v}`),
    '',
    signedHeaders,
    hex(request.body),
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [scope.region, scope.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

export interface SecretsConfig {
  region: string;
  credentials: AwsCredentials;
  /** AWS_ENDPOINT_URL_SECRETS_MANAGER when set (as the SDK honours it), else the regional endpoint. */
  endpoint?: string | undefined;
  timeoutMs?: number;
}

/** GetSecretValue → SecretString. Throws SecretReadError naming the secret and the service's error type. */
export async function readSecretString(secretId: string, config: SecretsConfig): Promise<string> {
  const url = new URL(config.endpoint ?? `https://secretsmanager.${config.region}.amazonaws.com/`);
  const body = JSON.stringify({ SecretId: secretId });
  const headers = signRequest(
    {
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body,
    },
    { region: config.region, service: 'secretsmanager' },
    config.credentials,
    new Date(),
  );
  delete headers.host; // fetch sets it from the URL
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(config.timeoutMs ?? 3000) });
  } catch (e) {
    throw new SecretReadError(`secret ${secretId}: Secrets Manager unreachable (${(e as Error).message})`, { cause: e });
  }
  const text = await response.text();
  let payload: { SecretString?: unknown; __type?: unknown; message?: unknown; Message?: unknown };
  try {
    payload = JSON.parse(text) as typeof payload;
  } catch {
    throw new SecretReadError(`secret ${secretId}: Secrets Manager answered ${response.status} with a non-JSON body`);
  }
  if (!response.ok) {
    const type = String(payload.__type ?? 'UnknownError').split('#').pop();
    throw new SecretReadError(`secret ${secretId}: ${type} (${String(payload.message ?? payload.Message ?? response.status)})`);
  }
  if (typeof payload.SecretString !== 'string') {
    throw new SecretReadError(`secret ${secretId}: has no SecretString (binary secrets are not supported)`);
  }
  return payload.SecretString;
}
