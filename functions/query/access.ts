import * as z from 'zod/mini';
import { ForbiddenError } from '../shared/errors';

/** Whose rows GET /get serves (serverless.yml: rowsAccess, rowsUserClaim; docs/security.md): any user's, to a caller
 *  that serves many users; or only the user the caller's token names in `claim`. */
export type RowsAccess = { mode: 'any' } | { mode: 'own'; claim: string };

// What API Gateway's JWT authorizer passes on in a payload-2.0 event; absent on a route without one.
const eventSchema = z.object({
  requestContext: z.optional(
    z.object({ authorizer: z.optional(z.object({ jwt: z.optional(z.object({ claims: z.optional(z.record(z.string(), z.unknown())) })) })) }),
  ),
});

/** The verified token's claims, or none. */
export function callerClaims(event: unknown): Record<string, unknown> {
  const parsed = eventSchema.safeParse(event);
  return (parsed.success && parsed.data.requestContext?.authorizer?.jwt?.claims) || {};
}

/** Throws ForbiddenError unless `access` lets the caller with `claims` read the rows of `user`. The messages name the
 *  claim and the rule, never the user names. */
export function checkRowsAccess(access: RowsAccess, claims: Record<string, unknown>, user: string): void {
  if (access.mode === 'any') return;
  const caller = claims[access.claim];
  if (typeof caller !== 'string' || caller === '') {
    throw new ForbiddenError(`this API serves each caller only its own rows, and the token names no user (claim "${access.claim}")`);
  }
  if (caller !== user) throw new ForbiddenError(`this API serves each caller only its own rows: "user" must be the user the token names (claim "${access.claim}")`);
}
