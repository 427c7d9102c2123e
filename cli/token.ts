import { clientCredentialsToken, localApiToken } from '../local/client';
import { describeUserPoolClient } from './cognito';
import { UsageError } from './errors';
import { runningStack } from './stack-file';
import { allStageOutputs } from './target';

export type Scope = 'rows' | 'operations';

export class TokenUnavailableError extends Error {
  override name = 'TokenUnavailableError';
}

export function parseScope(raw: string): Scope {
  if (raw !== 'rows' && raw !== 'operations') throw new UsageError(`--scope must be rows (GET /get) or operations (the run log, the page), got "${raw}"`);
  return raw;
}

/** An access token for the API, and the API's URL: the local stack's from its issuer, or a stage's from its Cognito
 *  user pool (its outputs name the pool, the app client of each scope and the token endpoint; the client's secret is
 *  read with cognito-idp:DescribeUserPoolClient, which the stage's ApiTokenPolicy allows). */
export async function apiToken(scope: Scope, o: { stage?: string | undefined; region?: string | undefined }): Promise<{ token: string; apiUrl: string }> {
  if (!o.stage) {
    const stack = runningStack();
    const token = await localApiToken(stack, scope);
    if (!token) throw new TokenUnavailableError('the local stack\'s API is anonymous (its dev package has apiAuth=none): call it without a token');
    return { token, apiUrl: stack.apiUrl };
  }
  const outputs = await allStageOutputs(o.stage, o.region);
  const key = scope === 'rows' ? 'Rows' : 'Operations';
  const [endpoint, pool, clientId, scopeName] = [outputs.ApiTokenEndpoint, outputs.ApiUserPoolId, outputs[`Api${key}ClientId`], outputs[`Api${key}Scope`]];
  if (!endpoint || !pool || !clientId || !scopeName) {
    const why = outputs.ApiRowsScope
      ? `it trusts the issuer it was given (jwtIssuerUrl): get a token of scope ${outputs[`Api${key}Scope`]} from that issuer`
      : outputs.ApiRowsPolicyArn
        ? `it takes SigV4-signed requests (apiAuth=iam): sign them with credentials that have the policy ${outputs[`Api${key}PolicyArn`]}`
        : 'its API needs no token (apiAuth=none)';
    throw new TokenUnavailableError(`stage "${o.stage}" issues no tokens of its own: ${why}`);
  }
  // The pool's id starts with its region.
  const region = o.region ?? pool.split('_')[0]!;
  const { ClientSecret } = await describeUserPoolClient(region, pool, clientId);
  if (!ClientSecret) throw new TokenUnavailableError(`app client ${clientId} of stage "${o.stage}" has no secret`);
  return { token: await clientCredentialsToken(endpoint, { clientId, clientSecret: ClientSecret, scope: scopeName }), apiUrl: (outputs.HttpApiUrl ?? '').replace(/\/+$/, '') };
}

/** `landing-etl token`: the token alone (for `$(…)`), or the operator page's address with it in the fragment. */
export async function token(scope: Scope, o: { stage?: string | undefined; region?: string | undefined; page: boolean }): Promise<number> {
  if (o.page && scope !== 'operations') throw new UsageError('--page opens the operator page, which needs --scope operations');
  const { token: t, apiUrl } = await apiToken(scope, o);
  console.log(o.page ? `${apiUrl}/#token=${t}` : t);
  return 0;
}
