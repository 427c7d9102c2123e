import { callerClaims, checkRowsAccess } from '../../functions/query/access';
import { ForbiddenError } from '../../functions/shared/errors';

/** A payload-2.0 event as API Gateway passes it on after its JWT authorizer verified the token. */
const withClaims = (claims: Record<string, string>) => ({
  version: '2.0',
  routeKey: 'GET /get',
  requestContext: { authorizer: { jwt: { claims, scopes: ['landing-etl/rows'] } }, http: { method: 'GET' } },
});
const own = { mode: 'own', claim: 'username' } as const;

test('rowsAccess=any serves any user to any verified caller, and a route without a token too', () => {
  expect(() => checkRowsAccess({ mode: 'any' }, callerClaims(withClaims({ client_id: 'app' })), 'ana')).not.toThrow();
  expect(() => checkRowsAccess({ mode: 'any' }, callerClaims({ requestContext: {} }), 'ana')).not.toThrow();
});

test('rowsAccess=own serves only the user the token names', () => {
  expect(() => checkRowsAccess(own, callerClaims(withClaims({ username: 'ana', sub: 'b7f0…' })), 'ana')).not.toThrow();
  const other = () => checkRowsAccess(own, callerClaims(withClaims({ username: 'ana' })), 'boris');
  expect(other).toThrow(ForbiddenError);
  expect(other).toThrow('this API serves each caller only its own rows: "user" must be the user the token names (claim "username")');
});

test('rowsAccess=own refuses a token without the claim, an empty one and a non-string one, naming the claim, never a user', () => {
  for (const event of [withClaims({ client_id: 'app', sub: 'app' }), withClaims({ username: '' }), { requestContext: { authorizer: { jwt: { claims: { username: 7 } } } } }, {}]) {
    let message = '';
    try {
      checkRowsAccess(own, callerClaims(event), 'ana');
    } catch (e) {
      expect(e).toBeInstanceOf(ForbiddenError);
      message = (e as Error).message;
    }
    expect(message).toBe('this API serves each caller only its own rows, and the token names no user (claim "username")');
  }
});

test('claims are read only from where API Gateway puts them', () => {
  expect(callerClaims({ requestContext: { authorizer: { lambda: { username: 'ana' } } } })).toEqual({});
  expect(callerClaims({ headers: { username: 'ana' } })).toEqual({});
  expect(callerClaims('not an event')).toEqual({});
});
