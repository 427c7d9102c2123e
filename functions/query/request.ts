import * as z from 'zod/mini';
import { BadRequestError, InvalidCursorError } from '../shared/errors';
import { decodeCursor, type Position } from './cursor';
import { parseInstant, type Instant } from './instant';

/** What GET /get asks for, validated. */
export interface CheckinQuery {
  user: string;
  project?: string | undefined;
  /** Inclusive lower bound. */
  from?: Instant | undefined;
  /** Exclusive upper bound, so consecutive windows never share a row. */
  to?: Instant | undefined;
  limit: number;
  after?: Position | undefined;
}

const LIMIT = { default: 100, max: 1000 } as const;

// Control characters (C0, DEL, C1) have no place in a name and NUL cannot even reach PostgreSQL.
const CONTROL = /\p{Cc}/u;
// With the u flag only an unpaired surrogate is a code point of category Cs: text that is not valid Unicode.
const LONE_SURROGATE = /\p{Cs}/u;

const nameChecks = (param: string, maxChars: number) => [
  z.refine<string>((v) => v.trim().length > 0, `query parameter "${param}" must not be empty`),
  z.refine<string>((v) => !LONE_SURROGATE.test(v), `query parameter "${param}" is not valid Unicode`),
  z.refine<string>((v) => !CONTROL.test(v), `query parameter "${param}" must not contain control characters`),
  z.refine<string>((v) => [...v].length <= maxChars, `query parameter "${param}" must be at most ${maxChars} characters`),
];

const instant = (param: string) =>
  z.pipe(
    z.string(),
    z.transform((v, ctx) => {
      const parsed = parseInstant(v);
      if (!parsed) {
        ctx.issues.push({
          code: 'custom',
          input: v,
          message: `query parameter "${param}" must be an ISO-8601 date or date-time, e.g. 2026-11-21 or 2026-11-21T09:30:00Z`,
        });
        return z.NEVER;
      }
      return parsed;
    }),
  );

const paramsSchema = z.object({
  user: z.string('query parameter "user" is required').check(...nameChecks('user', 100)),
  project: z.optional(z.string().check(...nameChecks('project', 200))),
  from: z.optional(instant('from')),
  to: z.optional(instant('to')),
  limit: z._default(
    z.pipe(
      z.string().check(z.regex(/^[1-9]\d{0,3}$/, `query parameter "limit" must be an integer from 1 to ${LIMIT.max}`)),
      z.transform(Number),
    ).check(z.maximum(LIMIT.max, `query parameter "limit" must be an integer from 1 to ${LIMIT.max}`)),
    LIMIT.default,
  ),
  cursor: z.optional(z.string()),
});

/** Validates the query string of GET /get; throws BadRequestError naming the first problem found. */
export function parseCheckinQuery(params: Record<string, string | undefined> | undefined): CheckinQuery {
  const parsed = paramsSchema.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = String(issue.path[0] ?? 'user');
    throw new BadRequestError(`invalid_${param}`, issue.message);
  }
  const { user, project, from, to, limit, cursor } = parsed.data;
  if (from && to && from.micros > to.micros) {
    throw new BadRequestError('invalid_range', 'query parameter "from" must not be after "to"');
  }
  let after: Position | undefined;
  if (cursor !== undefined) {
    try {
      after = decodeCursor(cursor, { user, project, from: from?.iso, to: to?.iso });
    } catch (e) {
      if (!(e instanceof InvalidCursorError)) throw e;
      throw new BadRequestError('invalid_cursor', `query parameter "cursor" ${e.message}`);
    }
  }
  return { user, project, from, to, limit, after };
}
