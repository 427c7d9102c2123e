import type { Route as TemplateRoute } from './deployment';
import type { HttpHandler, Route } from './http-api';
import type { LocalIssuer } from './issuer';
import { jwtAuthorizer, type Authorize } from './jwt-authorizer';

/** The template's routes for the local HTTP API, each invoking its function, those with a JWT authorizer verified
 *  against the local issuer as API Gateway verifies them against the issuer the template names. */
export function httpRoutes(routes: TemplateRoute[], issuer: LocalIssuer | undefined, handlerOf: (functionLogicalId: string) => HttpHandler): Route[] {
  const authorizers = new Map<string, Authorize>();
  return routes.map((r) => {
    const route = { routeKey: r.routeKey, handler: handlerOf(r.functionLogicalId) };
    const auth = r.authorization;
    if (auth.type === 'NONE') return route;
    if (auth.type === 'AWS_IAM' || !issuer) {
      throw new Error(`route ${r.routeKey} is authorized with ${auth.type}: the local stack verifies JWTs, not SigV4 signatures (run it with apiAuth=jwt)`);
    }
    const key = JSON.stringify([auth.issuer, auth.audience]);
    if (!authorizers.has(key)) authorizers.set(key, jwtAuthorizer({ issuer: auth.issuer, audience: auth.audience, jwksUri: issuer.jwksUri }));
    return { ...route, auth: { authorize: authorizers.get(key)!, scopes: auth.scopes } };
  });
}
