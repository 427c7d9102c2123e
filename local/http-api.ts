import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { JWTPayload } from 'jose';
import type { Authorize } from './jwt-authorizer';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export interface Route {
  /** API Gateway route key, e.g. "GET /get". */
  routeKey: string;
  handler: HttpHandler;
  /** The route's JWT authorizer and the scopes a token needs one of; none: the route is public. */
  auth?: { authorize: Authorize; scopes: string[] };
}

/** API Gateway HTTP API on loopback: each request to a route that has an authorizer is authorized first, then
 *  becomes a payload-2.0 event, with the token's claims, for the same handler Lambda runs. */
export async function startHttpApi(
  routes: Route[],
  port: number,
  isReady: () => boolean,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void handle(req, routes, isReady).then((result) => {
      res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
      res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const jsonResult = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function handle(req: IncomingMessage, routes: Route[], isReady: () => boolean) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  if (url.pathname === '/health') {
    return isReady() ? jsonResult(200, { status: 'ok' }) : jsonResult(503, { status: 'starting' });
  }
  const match = routes.map((r) => ({ route: r, params: matchRoute(r.routeKey, method, url.pathname) })).find((m) => m.params);
  if (!match) return jsonResult(404, { message: 'Not Found' });
  const { route, params } = match;
  let caller: Caller | undefined;
  if (route.auth) {
    const decision = await route.auth.authorize(req.headers.authorization, route.auth.scopes);
    if (!decision.allowed) {
      const denied = jsonResult(decision.status, { message: decision.status === 401 ? 'Unauthorized' : 'Forbidden' });
      return { ...denied, headers: { ...denied.headers, 'www-authenticate': decision.challenge } };
    }
    caller = decision;
  }
  try {
    const result = await route.handler(toEvent(req, url, route.routeKey, params!, caller), lambdaContext());
    if (result && typeof result === 'object' && 'statusCode' in result) return result as APIGatewayProxyStructuredResultV2;
    return jsonResult(200, result);
  } catch {
    // What API Gateway answers when the function itself fails.
    return jsonResult(500, { message: 'Internal Server Error' });
  }
}

/** API Gateway route matching: literal segments, and `{name}` segments captured as path parameters. */
function matchRoute(routeKey: string, method: string, path: string): Record<string, string> | undefined {
  const [routeMethod, routePath] = routeKey.split(' ') as [string, string];
  if (routeMethod !== method) return undefined;
  const want = routePath.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const name = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (name && got[i]) params[name] = safeDecode(got[i]!);
    else if (segment !== got[i]) return undefined;
  }
  return params;
}

const safeDecode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

interface Caller {
  claims: JWTPayload;
  scopes: string[];
}

/** The claims as a payload-2.0 event carries them: every value a string. */
const claimStrings = (claims: JWTPayload) =>
  Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, typeof v === 'string' ? v : Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );

function toEvent(req: IncomingMessage, url: URL, routeKey: string, pathParameters: Record<string, string>, caller?: Caller): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      ...(caller ? { authorizer: { jwt: { claims: claimStrings(caller.claims), scopes: caller.scopes } } } : {}),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

function lambdaContext(): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'landing-etl-local-query',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:landing-etl-local-query',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/landing-etl-local-query',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
