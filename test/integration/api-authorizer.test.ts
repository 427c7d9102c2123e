import { generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deployment } from '../../local/deployment';
import { startHttpApi, type HttpHandler } from '../../local/http-api';
import { apiClients, startIssuer, type LocalIssuer } from '../../local/issuer';
import { jwtAuthorizer } from '../../local/jwt-authorizer';
import { ResolvedTemplate, type Template } from '../../local/template';
import { clientCredentialsToken } from '../../local/client';
import { repoRoot } from '../../local/layout';

/** The local HTTP API with the packaged dev template's authorizer configuration, route by route, and the local
 *  issuer standing in for the template's Cognito user pool; every handler echoes what it was given. */

const dev = Deployment.load(join(repoRoot, '.build', 'package', 'dev'));
const dirs: string[] = [];
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const echo: HttpHandler = async (event) => {
  const { authorizer } = event.requestContext as { authorizer?: unknown };
  return { statusCode: 200, body: JSON.stringify({ routeKey: event.routeKey, authorizer: authorizer ?? null }) };
};

async function serve(deployment: Deployment, dir = mkdtempSync(join(tmpdir(), 'landing-etl-issuer-'))) {
  dirs.push(dir);
  const issuer = (await startIssuer(deployment, dir))!;
  const routes = deployment.routes().map((r) => ({
    routeKey: r.routeKey,
    handler: echo,
    ...(r.authorization.type === 'JWT'
      ? { auth: { authorize: jwtAuthorizer({ ...r.authorization, jwksUri: issuer.jwksUri }), scopes: r.authorization.scopes } }
      : {}),
  }));
  const api = await startHttpApi(routes, 0, () => true);
  stops.push(issuer.stop, api.stop);
  return { issuer, api, dir };
}

let issuer: LocalIssuer;
let api: { url: string };
let dir: string;
beforeAll(async () => ({ issuer, api, dir } = await serve(dev)));

const token = (scope: 'rows' | 'operations') => {
  const { tokenEndpoint, clients } = apiClients(issuer);
  return clientCredentialsToken(tokenEndpoint, clients[scope]);
};
const get = async (path: string, authorization?: string) => {
  const res = await fetch(`${api.url}${path}`, { headers: authorization ? { authorization } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, challenge: res.headers.get('www-authenticate') };
};

const DATA_ROUTES: Array<[string, 'rows' | 'operations']> = [
  ['/get?user=ana', 'rows'],
  ['/ingestions?dataset=dailycheckin', 'operations'],
  ['/ingestions/x', 'operations'],
  ['/ingestions/x/report', 'operations'],
  ['/datasets', 'operations'],
];

test('every data route answers 401 without a token, 403 with the other scope\'s token and 200 with its own', async () => {
  const tokens = { rows: await token('rows'), operations: await token('operations') };
  for (const [path, scope] of DATA_ROUTES) {
    const other = scope === 'rows' ? 'operations' : 'rows';
    const results = {
      none: await get(path),
      other: await get(path, `Bearer ${tokens[other]}`),
      own: await get(path, `Bearer ${tokens[scope]}`),
    };
    expect({ path, none: [results.none.status, results.none.body], other: [results.other.status, results.other.body], own: results.own.status }).toEqual({
      path,
      none: [401, { message: 'Unauthorized' }],
      other: [403, { message: 'Forbidden' }],
      own: 200,
    });
    expect(results.other.challenge).toBe(`Bearer scope="landing-etl/${scope}" error="insufficient_scope" error_description="expected scopes: [landing-etl/${scope}]"`);
  }
  // The page shell is public on purpose; nothing else is.
  for (const path of ['/', '/assets/app.js']) expect((await get(path)).status).toBe(200);
});

test('the function gets the verified claims as strings and the token\'s scopes, as API Gateway passes them on', async () => {
  const { clients } = apiClients(issuer);
  const { body } = await get('/get?user=ana', `Bearer ${await token('rows')}`);
  expect(body).toEqual({
    routeKey: 'GET /get',
    authorizer: {
      jwt: {
        claims: expect.objectContaining({
          iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_ApiUserPool',
          client_id: clients.rows.clientId,
          token_use: 'access',
          scope: 'landing-etl/rows',
          exp: expect.stringMatching(/^\d+$/),
        }),
        scopes: ['landing-etl/rows'],
      },
    },
  });
  // Cognito's client-credentials tokens have no aud: the audience is matched on client_id.
  expect((body.authorizer as { jwt: { claims: JWTPayload } }).jwt.claims.aud).toBeUndefined();
});

describe('tokens that API Gateway refuses are refused', () => {
  let key: JWK & { kid: string };
  let valid: JWTPayload;
  beforeAll(async () => {
    key = JSON.parse(readFileSync(join(dir, 'signing-key.json'), 'utf8')) as JWK & { kid: string };
    valid = JSON.parse(Buffer.from((await token('rows')).split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;
  });
  const sign = async (claims: JWTPayload, header: { alg?: string; kid?: string } = {}, signingKey?: CryptoKey | Uint8Array) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, ...header } as { alg: string })
      .sign(signingKey ?? ((await importJWK(key, 'RS256')) as CryptoKey));
  const now = () => Math.floor(Date.now() / 1000);
  const refused = async (jwt: string) => {
    const res = await get('/get?user=ana', `Bearer ${jwt}`);
    return [res.status, res.challenge?.replace(/^.*error_description="([^"]*)"$/, '$1')];
  };

  test('one of the issuer\'s own, as it is, passes; with or without "Bearer "', async () => {
    const jwt = await sign(valid);
    expect((await get('/get?user=ana', `Bearer ${jwt}`)).status).toBe(200);
    expect((await get('/get?user=ana', jwt)).status).toBe(200);
  });

  test('expired, not yet valid, issued in the future, of another issuer, of another audience', async () => {
    expect(await refused(await sign({ ...valid, exp: now() - 5 }))).toEqual([401, 'the token has expired']);
    expect(await refused(await sign({ ...valid, nbf: now() + 600 }))).toEqual([401, 'the token is not valid yet']);
    expect(await refused(await sign({ ...valid, iat: now() + 600 }))).toEqual([401, 'the token is issued in the future']);
    expect(await refused(await sign({ ...valid, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }))).toEqual([401, 'the token does not have a valid issuer']);
    expect(await refused(await sign({ ...valid, client_id: 'someone-else' }))).toEqual([401, 'the token does not have a valid audience']);
    // aud, when present, is what counts: a valid client_id does not save a foreign aud.
    expect(await refused(await sign({ ...valid, aud: 'someone-else' }))).toEqual([401, 'the token does not have a valid audience']);
    expect(await refused(await sign({ ...valid, exp: undefined }))).toEqual([401, 'the token\'s exp claim is invalid']);
  });

  test('signed by another key, by none, or with a symmetric algorithm; or not a JWT', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    expect(await refused(await sign(valid, {}, privateKey))).toEqual([401, 'the token\'s signature does not verify']);
    expect(await refused(await sign(valid, { kid: 'unknown' }, privateKey))).toEqual([401, 'no key of the issuer matches the token\'s kid']);
    expect(await refused(await sign(valid, { kid: undefined }))).toEqual([401, 'the token has no kid']);
    expect(await refused(await sign(valid, { alg: 'HS256' }, new TextEncoder().encode('x'.repeat(32))))).toEqual([401, 'the token\'s algorithm HS256 is not RSA-based']);
    const [h, p, signature] = (await sign(valid)).split('.');
    expect(await refused(`${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url')}.${p}.`)).toEqual([401, 'the token\'s algorithm none is not RSA-based']);
    const widened = Buffer.from(JSON.stringify({ ...valid, scope: 'landing-etl/rows landing-etl/operations' })).toString('base64url');
    expect(await refused(`${h}.${widened}.${signature}`)).toEqual([401, 'the token\'s signature does not verify']);
    expect(await refused(`${h}.${p}`)).toEqual([401, 'the token is not a JWT']);
    expect(await refused('not-a-token')).toEqual([401, 'the token is not a JWT']);
  });

  test('a token of the rows client cannot be widened: asking for the other scope is invalid_scope', async () => {
    const { tokenEndpoint, clients } = apiClients(issuer);
    await expect(clientCredentialsToken(tokenEndpoint, { ...clients.rows, scope: 'landing-etl/operations' })).rejects.toThrow(
      /invalid_scope: the client is allowed landing-etl\/rows only/,
    );
    await expect(clientCredentialsToken(tokenEndpoint, { ...clients.rows, clientSecret: 'guess' })).rejects.toThrow(/invalid_client/);
  });
});

test('the key and the client secrets are kept in the data folder, readable by its owner only, and survive a restart', async () => {
  const before = await token('rows');
  const again = await serve(dev, dir);
  expect(apiClients(again.issuer).clients).toEqual(apiClients(issuer).clients);
  expect((await fetch(`${again.api.url}/get?user=ana`, { headers: { authorization: `Bearer ${before}` } })).status).toBe(200);
  for (const file of ['signing-key.json', 'client-secrets.json']) expect(statSync(join(dir, file)).mode & 0o077).toBe(0);
});

test('an issuer that is not Cognito gets the same verification: its audience in aud, its own scope names', async () => {
  const template = JSON.parse(JSON.stringify(dev.template.template)) as Template;
  for (const [id, r] of Object.entries(template.Resources)) if (r.Type.startsWith('AWS::Cognito::')) delete template.Resources[id];
  template.Resources.HttpApiAuthorizerJwt!.Properties!.JwtConfiguration = { Issuer: 'https://login.example.com/', Audience: ['app-1'] };
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::ApiGatewayV2::Route' || !r.Properties?.AuthorizationScopes) continue;
    template.Resources[id]!.Properties!.AuthorizationScopes = [id === 'HttpApiRouteGetGet' ? 'api://rows' : 'api://ops'];
  }
  template.Outputs = { ApiRowsScope: { Value: 'api://rows' }, ApiOperationsScope: { Value: 'api://ops' } };
  const oidc = await serve(new Deployment(new ResolvedTemplate(template, dev.template.options), dev.packageDir));
  const { tokenEndpoint, clients } = apiClients(oidc.issuer);
  const rows = await clientCredentialsToken(tokenEndpoint, clients.rows);
  expect(JSON.parse(Buffer.from(rows.split('.')[1]!, 'base64url').toString('utf8'))).toMatchObject({ iss: 'https://login.example.com/', aud: 'app-1', scope: 'api://rows' });
  const at = async (path: string, t?: string) => (await fetch(`${oidc.api.url}${path}`, { headers: t ? { authorization: `Bearer ${t}` } : {} })).status;
  expect([await at('/get?user=ana'), await at('/get?user=ana', rows), await at('/datasets', rows)]).toEqual([401, 200, 403]);
  expect(await at('/datasets', await clientCredentialsToken(tokenEndpoint, clients.operations))).toBe(200);
  // A token the rows client could have had from a real issuer, but for a foreign audience, is refused all the same.
  const key = JSON.parse(readFileSync(join(oidc.dir, 'signing-key.json'), 'utf8')) as JWK & { kid: string };
  const foreign = await new SignJWT({ scope: 'api://rows', aud: 'app-2' }).setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer('https://login.example.com/')
    .setIssuedAt().setExpirationTime('5m').sign((await importJWK(key, 'RS256')) as CryptoKey);
  expect(await at('/get?user=ana', foreign)).toBe(401);
});
