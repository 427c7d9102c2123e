import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { decodeCursor as decodeVersioned, encodeCursor as encodeVersioned } from '../shared/cursor';
import { InvalidCursorError } from '../shared/errors';
import { parseInstant } from './instant';

/** Keyset position: the (ts, id) of the last row served. The next page starts strictly after it in
 *  (ts DESC, id DESC) order, so rows loaded meanwhile neither shift nor repeat the pages. */
export interface Position {
  /** ts with microseconds, as the database formatted it. */
  ts: string;
  /** The row id (bigint) as decimal text. */
  id: string;
}

/** The filters a cursor was issued for; a cursor replayed with other filters is refused rather than misread. */
export interface CursorScope {
  user: string;
  project?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Version 1: [1, ts, id, scope digest]. */
const VERSION = 1;
const MAX_BIGINT = 9223372036854775807n;
const fields = z.tuple([
  z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)),
  // One check, not a regex then a refine: zod runs every check even after one failed, and BigInt('1.5') throws.
  z.string().check(z.refine((id) => /^[1-9]\d{0,18}$/.test(id) && BigInt(id) <= MAX_BIGINT)),
  z.string(),
]);

const scopeDigest = (scope: CursorScope) =>
  createHash('sha256')
    .update(JSON.stringify([scope.user, scope.project ?? null, scope.from ?? null, scope.to ?? null]))
    .digest('base64url')
    .slice(0, 16);

export function encodeCursor(position: Position, scope: CursorScope): string {
  return encodeVersioned(VERSION, [position.ts, position.id, scopeDigest(scope)]);
}

/** Validates every part of a cursor (encoding, version, shape, timestamp, id range, query it belongs to). */
export function decodeCursor(cursor: string, scope: CursorScope): Position {
  const [ts, id, digest] = decodeVersioned(cursor, VERSION, fields);
  if (parseInstant(ts)?.iso !== ts) throw new InvalidCursorError('is not a cursor this API issued');
  if (digest !== scopeDigest(scope)) throw new InvalidCursorError('belongs to a query with other user, project, from or to');
  return { ts, id };
}
