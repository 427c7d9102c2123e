#!/usr/bin/env node
// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.
import {
  allStageOutputs,
  clientCredentialsToken,
  localApiToken
} from "./landing-etl-chunk-BR7XMAGE.js";
import {
  UsageError,
  runningStack
} from "./landing-etl-chunk-6BP6GOZP.js";

// cli/cognito.ts
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
var CognitoError = class extends Error {
  name = "CognitoError";
};
async function describeUserPoolClient(region, userPoolId, clientId) {
  const endpoint = new URL(process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? process.env.AWS_ENDPOINT_URL ?? `https://cognito-idp.${region}.amazonaws.com/`);
  const aws = new CloudFormationClient({ region });
  try {
    const signer = await aws.config.signer({ name: "sigv4", signingName: "cognito-idp", signingRegion: region, properties: {} });
    const body = JSON.stringify({ UserPoolId: userPoolId, ClientId: clientId });
    const signed = await signer.sign({
      method: "POST",
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...endpoint.port ? { port: Number(endpoint.port) } : {},
      path: endpoint.pathname,
      query: {},
      headers: {
        host: endpoint.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.DescribeUserPoolClient"
      },
      body
    });
    const res = await fetch(endpoint, { method: "POST", headers: signed.headers, body, signal: AbortSignal.timeout(3e4) });
    const reply = await res.json().catch(() => ({}));
    if (!res.ok || !reply.UserPoolClient) {
      throw new CognitoError(`cognito-idp:DescribeUserPoolClient of client ${clientId} in pool ${userPoolId} failed (HTTP ${res.status}): ${reply.__type?.split("#").pop() ?? "no error code"}: ${reply.message ?? ""}`);
    }
    return reply.UserPoolClient;
  } finally {
    aws.destroy();
  }
}

// cli/token.ts
var TokenUnavailableError = class extends Error {
  name = "TokenUnavailableError";
};
function parseScope(raw) {
  if (raw !== "rows" && raw !== "operations") throw new UsageError(`--scope must be rows (GET /get) or operations (the run log, the page), got "${raw}"`);
  return raw;
}
async function apiToken(scope, o) {
  if (!o.stage) {
    const stack = runningStack();
    const token2 = await localApiToken(stack, scope);
    if (!token2) throw new TokenUnavailableError("the local stack's API is anonymous (its dev package has apiAuth=none): call it without a token");
    return { token: token2, apiUrl: stack.apiUrl };
  }
  const outputs = await allStageOutputs(o.stage, o.region);
  const key = scope === "rows" ? "Rows" : "Operations";
  const [endpoint, pool, clientId, scopeName] = [outputs.ApiTokenEndpoint, outputs.ApiUserPoolId, outputs[`Api${key}ClientId`], outputs[`Api${key}Scope`]];
  if (!endpoint || !pool || !clientId || !scopeName) {
    const why = outputs.ApiRowsScope ? `it trusts the issuer it was given (jwtIssuerUrl): get a token of scope ${outputs[`Api${key}Scope`]} from that issuer` : outputs.ApiRowsPolicyArn ? `it takes SigV4-signed requests (apiAuth=iam): sign them with credentials that have the policy ${outputs[`Api${key}PolicyArn`]}` : "its API needs no token (apiAuth=none)";
    throw new TokenUnavailableError(`stage "${o.stage}" issues no tokens of its own: ${why}`);
  }
  const region = o.region ?? pool.split("_")[0];
  const { ClientSecret } = await describeUserPoolClient(region, pool, clientId);
  if (!ClientSecret) throw new TokenUnavailableError(`app client ${clientId} of stage "${o.stage}" has no secret`);
  return { token: await clientCredentialsToken(endpoint, { clientId, clientSecret: ClientSecret, scope: scopeName }), apiUrl: (outputs.HttpApiUrl ?? "").replace(/\/+$/, "") };
}
async function token(scope, o) {
  if (o.page && scope !== "operations") throw new UsageError("--page opens the operator page, which needs --scope operations");
  const { token: t, apiUrl } = await apiToken(scope, o);
  console.log(o.page ? `${apiUrl}/#token=${t}` : t);
  return 0;
}
export {
  TokenUnavailableError,
  apiToken,
  parseScope,
  token
};
