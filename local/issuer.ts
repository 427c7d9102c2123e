import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Deployment } from './deployment';
import { freePort } from './ports';

/** The local stand-in for the issuer the template's JWT authorizer trusts: the stack's own Cognito user pool, or the
 *  OIDC issuer a stage names (jwtIssuerUrl). It signs access tokens with a local RSA key (API Gateway verifies
 *  RSA-based algorithms only) under the template's issuer URL, serves that key as a JWKS, runs the OAuth 2.0 token
 *  endpoint for the client-credentials grant and answers Cognito's DescribeUserPoolClient, each client allowed only
 *  its scopes. The key and the client secrets are generated once and kept in the stack's data folder. */

/** An app client the local issuer knows, named by what its scope is for. */
export interface IssuerClient {
  kind: 'rows' | 'operations';
  clientId: string;
  clientSecret: string;
  scopes: string[];
  /** Cognito's: its pool and name, what DescribeUserPoolClient returns. */
  userPool?: { id: string; clientName: string };
}

/** What tools need to get tokens (written to the stack's data folder: .local/api-clients.json). */
export interface ApiClients {
  tokenEndpoint: string;
  clients: Record<IssuerClient['kind'], { clientId: string; clientSecret: string; scope: string }>;
}

export interface LocalIssuer {
  issuer: string;
  /** Where the HTTP API fetches the issuer's keys, as API Gateway fetches jwks_uri. */
  jwksUri: string;
  tokenEndpoint: string;
  /** The base URL of its Cognito API (DescribeUserPoolClient), a backend of the AWS gateway. */
  endpoint: string;
  clients: IssuerClient[];
  stop(): Promise<void>;
}

export class IssuerConfigError extends Error {
  override name = 'IssuerConfigError';
}

/** Cognito's default access-token lifetime, as the template's clients set it (AccessTokenValidity: 60 minutes). */
const TOKEN_SECONDS = 3600;

/** The issuer the template's routes trust, with its app clients: those of its user pool, or, for a given issuer, one
 *  client per scope (rows, operations), its first audience as its client id. None when no route needs a token. */
export function issuerOf(deployment: Deployment): { issuer: string; audience: string[]; clients: Array<Omit<IssuerClient, 'clientSecret'>>; cognito: boolean } | undefined {
  const jwt = deployment.routes().flatMap((r) => (r.authorization.type === 'JWT' ? [r.authorization] : []));
  if (!jwt.length) return undefined;
  const issuers = [...new Set(jwt.map((a) => a.issuer))];
  if (issuers.length > 1) throw new IssuerConfigError(`the routes trust ${issuers.length} issuers (${issuers.join(', ')}); the local stack stands in for one`);
  const { issuer, audience } = jwt[0]!;
  const outputs = deployment.outputs();
  const scopes = { rows: outputs.ApiRowsScope, operations: outputs.ApiOperationsScope };
  if (!scopes.rows || !scopes.operations) throw new IssuerConfigError('the template publishes no ApiRowsScope and ApiOperationsScope outputs');
  const kindOf = (granted: string[]) => (['rows', 'operations'] as const).find((k) => granted.includes(scopes[k]!));
  const pool = deployment.appClients();
  if (pool.length) {
    return {
      issuer,
      audience,
      cognito: true,
      clients: pool.map((c) => {
        const kind = kindOf(c.scopes);
        if (!kind) throw new IssuerConfigError(`app client ${c.logicalId} is allowed neither ${scopes.rows} nor ${scopes.operations}`);
        return { kind, clientId: c.clientId, scopes: c.scopes, userPool: { id: c.userPoolId, clientName: c.name } };
      }),
    };
  }
  const [clientId] = audience;
  if (!clientId) throw new IssuerConfigError(`the JWT authorizer of ${issuer} names no audience`);
  return { issuer, audience, cognito: false, clients: (['rows', 'operations'] as const).map((kind) => ({ kind, clientId: `${clientId}#${kind}`, scopes: [scopes[kind]!] })) };
}

/** Starts the local issuer for the deployment's routes, keeping its key and secrets in `dir`. */
export async function startIssuer(deployment: Deployment, dir: string): Promise<LocalIssuer | undefined> {
  const config = issuerOf(deployment);
  if (!config) return undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = await signingKey(join(dir, 'signing-key.json'));
  const secrets = kept(join(dir, 'client-secrets.json'), config.clients.map((c) => c.clientId));
  const clients: IssuerClient[] = config.clients.map((c) => ({ ...c, clientSecret: secrets[c.clientId]! }));
  const [audience] = config.audience;

  const mint = (client: IssuerClient, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    // As Cognito's client-credentials access tokens: no aud, the client in client_id and sub (Amazon Cognito
    // developer guide, "Understanding the access token"); a given issuer's tokens carry its audience in aud.
    const claims: JWTPayload = config.cognito
      ? { sub: client.clientId, client_id: client.clientId, token_use: 'access', scope: scopes.join(' '), auth_time: now, version: 2 }
      : { sub: client.clientId, aud: audience, client_id: client.clientId, scope: scopes.join(' ') };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(config.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_SECONDS)
      .setJti(randomUUID())
      .sign(key.privateKey);
  };

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: Error) => json(res, 500, { error: 'server_error', error_description: e.message }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', base).pathname;
    const body = await readBody(req);
    if (req.method === 'GET' && path === '/.well-known/jwks.json') return json(res, 200, { keys: [key.publicJwk] });
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(res, 200, { issuer: config!.issuer, jwks_uri: `${base}/.well-known/jwks.json`, token_endpoint: `${base}/oauth2/token`, grant_types_supported: ['client_credentials'] });
    }
    if (req.method === 'POST' && path === '/oauth2/token') return token(req, body, res);
    if (req.method === 'POST' && path === '/' && String(req.headers['x-amz-target']).startsWith('AWSCognitoIdentityProviderService.')) {
      return cognitoApi(String(req.headers['x-amz-target']).split('.')[1]!, body, res);
    }
    return json(res, 404, { error: 'not_found', error_description: `the local issuer serves no ${req.method} ${path}` });
  }

  /** The token endpoint, client-credentials grant (RFC 6749 §4.4, errors §5.2): the client authenticates with HTTP
   *  Basic or in the body; without a scope it gets all its scopes, a scope it is not allowed is invalid_scope (Amazon
   *  Cognito developer guide, "The token issuer endpoint"). */
  async function token(req: IncomingMessage, body: string, res: ServerResponse) {
    const form = new URLSearchParams(body);
    const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    // Basic credentials are the form-urlencoded id and secret (RFC 6749 §2.3.1).
    const [id, secret] = basic
      ? (splitOnce(Buffer.from(basic, 'base64').toString('utf8'), ':').map(formDecode) as [string, string])
      : [form.get('client_id') ?? '', form.get('client_secret') ?? ''];
    const fail = (status: number, error: string, description: string) => json(res, status, { error, error_description: description });
    if (form.get('grant_type') !== 'client_credentials') return fail(400, 'unsupported_grant_type', 'the local issuer grants client_credentials only');
    const client = clients.find((c) => c.clientId === id);
    if (!client || !sameSecret(client.clientSecret, secret)) return fail(basic ? 401 : 400, 'invalid_client', 'unknown client or wrong secret');
    const asked = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (asked.some((s) => !client.scopes.includes(s))) return fail(400, 'invalid_scope', `the client is allowed ${client.scopes.join(' ')} only`);
    const scopes = asked.length ? asked : client.scopes;
    return json(res, 200, { access_token: await mint(client, scopes), expires_in: TOKEN_SECONDS, token_type: 'Bearer' });
  }

  /** Cognito's DescribeUserPoolClient (JSON 1.1), for `landing-etl token --stage` through the AWS gateway. */
  function cognitoApi(operation: string, body: string, res: ServerResponse) {
    const reply = (status: number, payload: unknown) => json(res, status, payload, 'application/x-amz-json-1.1');
    if (operation !== 'DescribeUserPoolClient') return reply(400, { __type: 'UnknownOperationException', message: `the local issuer does not implement ${operation}` });
    const input = JSON.parse(body || '{}') as { UserPoolId?: string; ClientId?: string };
    const client = clients.find((c) => c.userPool && c.userPool.id === input.UserPoolId && c.clientId === input.ClientId);
    if (!client) return reply(400, { __type: 'ResourceNotFoundException', message: `User pool client ${input.ClientId} does not exist.` });
    return reply(200, {
      UserPoolClient: {
        UserPoolId: client.userPool!.id,
        ClientName: client.userPool!.clientName,
        ClientId: client.clientId,
        ClientSecret: client.clientSecret,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthScopes: client.scopes,
        AllowedOAuthFlowsUserPoolClient: true,
      },
    });
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer: config.issuer,
    jwksUri: `${base}/.well-known/jwks.json`,
    tokenEndpoint: `${base}/oauth2/token`,
    endpoint: base,
    clients,
    stop: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

/** What tools read to get tokens: the token endpoint and each client's credentials and scope. */
export function apiClients(issuer: LocalIssuer): ApiClients {
  const byKind = (kind: IssuerClient['kind']) => {
    const c = issuer.clients.find((x) => x.kind === kind)!;
    return { clientId: c.clientId, clientSecret: c.clientSecret, scope: c.scopes.join(' ') };
  };
  return { tokenEndpoint: issuer.tokenEndpoint, clients: { rows: byKind('rows'), operations: byKind('operations') } };
}

/** The RSA key the issuer signs with, generated once into `file` (its private JWK, readable by the owner only). */
async function signingKey(file: string): Promise<{ kid: string; privateKey: CryptoKey; publicJwk: JWK }> {
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(privateKey);
    writeFileSync(file, JSON.stringify({ ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' }), { mode: 0o600 });
  }
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK & { kid: string };
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return { kid: jwk.kid, privateKey: (await importJWK(jwk, 'RS256')) as CryptoKey, publicJwk };
}

/** A secret per client id, generated once and kept in `file`. */
function kept(file: string, ids: string[]): Record<string, string> {
  const secrets = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, string>;
  const missing = ids.filter((id) => !secrets[id]);
  for (const id of missing) secrets[id] = randomBytes(32).toString('base64url');
  if (missing.length) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

const sameSecret = (want: string, got: string) => {
  const [a, b] = [Buffer.from(want), Buffer.from(got)];
  return a.length === b.length && timingSafeEqual(a, b);
};

const formDecode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

const splitOnce = (s: string, sep: string): [string, string] => {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
};

function json(res: ServerResponse, status: number, body: unknown, contentType = 'application/json') {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
