import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';

/** API Gateway's HTTP API JWT authorizer, locally, as its developer guide describes it ("Control access to HTTP APIs
 *  with JWT authorizers in API Gateway"): the identity source holds the token, alone or after `Bearer `; its
 *  algorithm is RSA-based and its signature verifies with the key its `kid` names in the issuer's JWKS; `iss` is the
 *  authorizer's issuer; `aud` (or `client_id` when there is no `aud`) is one of its audience; `exp` is after now and
 *  `nbf` and `iat` are before it; and, when the route has scopes, `scope` or `scp` holds one of them. A token that
 *  fails is 401 {"message":"Unauthorized"} with a `www-authenticate` challenge saying why ("Troubleshooting issues
 *  with HTTP API JWT authorizers"); one without the route's scope is 403 {"message":"Forbidden"}, error
 *  insufficient_scope (RFC 6750 §3.1). */

export interface JwtAuthorizerConfig {
  issuer: string;
  audience: string[];
  /** Where the issuer's keys are, as its discovery document's jwks_uri names them. */
  jwksUri: string;
}

export type Decision =
  | { allowed: true; claims: JWTPayload; scopes: string[] }
  | { allowed: false; status: 401 | 403; challenge: string };

const RSA = ['RS256', 'RS384', 'RS512'];

/** Verifies a request's Authorization header against the authorizer and a route's scopes. */
export type Authorize = (authorization: string | undefined, routeScopes: string[]) => Promise<Decision>;

export function jwtAuthorizer(config: JwtAuthorizerConfig): Authorize {
  const keys = createRemoteJWKSet(new URL(config.jwksUri));
  const unauthorized = (description: string): Decision => ({
    allowed: false,
    status: 401,
    challenge: `Bearer scope="" error="invalid_token" error_description="${description}"`,
  });
  return async (authorization, routeScopes) => {
    const token = (authorization ?? '').trim().replace(/^Bearer\s+/i, '');
    if (!token) return unauthorized('the token is missing');
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return unauthorized('the token is not a JWT');
    }
    if (!header.alg || !RSA.includes(header.alg)) return unauthorized(`the token's algorithm ${header.alg ?? '(none)'} is not RSA-based`);
    if (!header.kid) return unauthorized('the token has no kid');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, { issuer: config.issuer, algorithms: RSA, requiredClaims: ['exp'] }));
    } catch (e) {
      return unauthorized(reason(e as Error & { code?: string; claim?: string }));
    }
    if (typeof claims.iat === 'number' && claims.iat > Date.now() / 1000) return unauthorized('the token is issued in the future');
    const audiences = claims.aud === undefined ? [claims.client_id] : [claims.aud].flat();
    if (!audiences.some((a) => typeof a === 'string' && config.audience.includes(a))) return unauthorized('the token does not have a valid audience');
    const scopes = tokenScopes(claims);
    if (routeScopes.length && !routeScopes.some((s) => scopes.includes(s))) {
      return {
        allowed: false,
        status: 403,
        challenge: `Bearer scope="${routeScopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: [${routeScopes.join(' ')}]"`,
      };
    }
    return { allowed: true, claims, scopes };
  };
}

/** The scopes a token holds: `scope`, space-separated (RFC 8693), and `scp`, a list or a string. */
function tokenScopes(claims: JWTPayload): string[] {
  const words = (v: unknown) => (typeof v === 'string' ? v.split(/\s+/) : Array.isArray(v) ? v.map(String) : []);
  return [...words(claims.scope), ...words(claims.scp)].filter(Boolean);
}

function reason(e: Error & { code?: string; claim?: string }): string {
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return e.claim === 'iss' ? 'the token does not have a valid issuer' : e.claim === 'nbf' ? 'the token is not valid yet' : `the token's ${e.claim} claim is invalid`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key of the issuer matches the token\'s kid';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token\'s signature does not verify';
    default:
      return 'the token is invalid';
  }
}
