import { CloudFormationClient } from '@aws-sdk/client-cloudformation';

/** Cognito's DescribeUserPoolClient, the one Cognito call the CLI makes (`landing-etl token --stage`). The CLI's
 *  dependencies hold no Cognito client, and bundling one would add 1.3 MB to bin/: the request is the JSON 1.1 one
 *  the SDK would send (Amazon Cognito API reference, "DescribeUserPoolClient"), signed with SigV4 for cognito-idp by
 *  the SDK's own signer and credential chain, borrowed from a CloudFormation client. The endpoint is the SDK's:
 *  AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL, else the region's. */

export class CognitoError extends Error {
  override name = 'CognitoError';
}

export async function describeUserPoolClient(region: string, userPoolId: string, clientId: string): Promise<{ ClientSecret?: string; AllowedOAuthScopes?: string[] }> {
  const endpoint = new URL(process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? process.env.AWS_ENDPOINT_URL ?? `https://cognito-idp.${region}.amazonaws.com/`);
  const aws = new CloudFormationClient({ region });
  try {
    const signer = await aws.config.signer({ name: 'sigv4', signingName: 'cognito-idp', signingRegion: region, properties: {} });
    const body = JSON.stringify({ UserPoolId: userPoolId, ClientId: clientId });
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.DescribeUserPoolClient',
      },
      body,
    });
    const res = await fetch(endpoint, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(30_000) });
    const reply = (await res.json().catch(() => ({}))) as { UserPoolClient?: { ClientSecret?: string; AllowedOAuthScopes?: string[] }; __type?: string; message?: string };
    if (!res.ok || !reply.UserPoolClient) {
      throw new CognitoError(`cognito-idp:DescribeUserPoolClient of client ${clientId} in pool ${userPoolId} failed (HTTP ${res.status}): ${reply.__type?.split('#').pop() ?? 'no error code'}: ${reply.message ?? ''}`);
    }
    return reply.UserPoolClient;
  } finally {
    aws.destroy();
  }
}
