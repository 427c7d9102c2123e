import fc from 'fast-check';
import { decodeCursor, encodeCursor, type CursorScope, type Position } from '../../functions/query/cursor';
import { BadRequestError, InvalidCursorError } from '../../functions/shared/errors';
import { parseInstant } from '../../functions/query/instant';
import { parseCheckinQuery } from '../../functions/query/request';
import { seeded } from '../support/property';

const MAX_BIGINT = 9223372036854775807n;

/** An instant as the database formats it (what a cursor's ts and a scope's from/to hold). */
const iso = fc
  .tuple(fc.integer({ min: Date.UTC(1, 0, 1) / 1000, max: Date.UTC(9999, 11, 31, 23, 59, 59) / 1000 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([s, us]) => `${new Date(s * 1000).toISOString().slice(0, 19).padStart(19, '0')}.${String(us).padStart(6, '0')}Z`)
  .filter((t) => parseInstant(t)?.iso === t);
const position: fc.Arbitrary<Position> = fc.record({
  ts: iso,
  id: fc.bigInt({ min: 1n, max: MAX_BIGINT }).map(String),
});
const name = fc.string({ minLength: 1, maxLength: 20, unit: 'binary' });
/** The ends of what a position holds: ids 1 and the largest bigint, instants in years 0001 and 9999. */
const FIRST: Position = { ts: '0001-01-01T00:00:00.000000Z', id: '1' };
const LAST: Position = { ts: '9999-12-31T23:59:59.999999Z', id: String(MAX_BIGINT) };
const scope: fc.Arbitrary<CursorScope> = fc.record(
  { user: name, project: name, from: iso, to: iso },
  { requiredKeys: ['user'] },
);

test('a cursor decodes to the position it was issued for, with the scope it was issued for', () => {
  fc.assert(
    fc.property(position, scope, (p, s) => {
      expect(decodeCursor(encodeCursor(p, s), s)).toEqual(p);
    }),
    { ...seeded(), examples: [[FIRST, { user: 'ana' }], [LAST, { user: 'ana', project: 'p', from: FIRST.ts, to: LAST.ts }]] },
  );
});

test('a cursor replayed with another user, project, from or to is refused', () => {
  const change = fc.constantFrom('user', 'project', 'from', 'to');
  fc.assert(
    fc.property(position, scope, change, fc.oneof(name, iso, fc.constant(undefined)), (p, s, field, value) => {
      fc.pre(s[field] !== value && !(field === 'user' && value === undefined));
      const other = { ...s, [field]: value } as CursorScope;
      expect(() => decodeCursor(encodeCursor(p, s), other)).toThrow(InvalidCursorError);
    }),
    seeded(),
  );
});

/** The cursor, decoded as far as a client can: base64url of a JSON value. */
const opened = (cursor: string): unknown[] => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
const sealed = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** GET /get with a cursor, as the handler parses it: a page position, or a 400 — anything else is a 500. */
function askWith(cursor: string, s: CursorScope): Position | undefined | 'invalid_cursor' {
  try {
    return parseCheckinQuery({ user: s.user, project: s.project, from: s.from, to: s.to, cursor }).after;
  } catch (e) {
    if (e instanceof BadRequestError && e.code === 'invalid_cursor') return 'invalid_cursor';
    throw e;
  }
}

/** Scopes the request parser accepts as they are (a from/to it would rewrite makes another digest). */
const requestScope = scope.filter(
  (s) =>
    s.user.trim() !== '' && !/\p{Cc}/u.test(s.user) && (s.project === undefined || (s.project.trim() !== '' && !/\p{Cc}/u.test(s.project))) &&
    (s.from === undefined || s.to === undefined || s.from <= s.to),
);

test('a cursor whose fields were changed but whose scope digest is intact is a 400 unless it is a real position', () => {
  const anyJson = fc.jsonValue();
  const tsLike = fc.oneof(
    iso,
    fc.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/), // 30 February, hour 24, year 0000 …
    fc.string(),
    anyJson,
  );
  const idLike = fc.oneof(
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String), // past bigint either way, zero, negative
    fc.bigInt({ min: MAX_BIGINT - 1000n, max: 10n ** 19n - 1n }).map(String), // 19 digits, around the largest bigint
    fc.stringMatching(/^[0-9][0-9.eE+-]{0,24}$/), // 1.5, 1e3, 007
    fc.string(),
    anyJson,
  );
  fc.assert(
    fc.property(position, requestScope, fc.nat(4), tsLike, idLike, anyJson, (p, s, which, ts, id, junk) => {
      const fields = opened(encodeCursor(p, s));
      if (which === 0) fields[1] = ts;
      else if (which === 1) fields[2] = id;
      else if (which === 2) [fields[1], fields[2]] = [ts, id];
      else if (which === 3) fields[0] = junk;
      else fields.push(junk);
      const answer = askWith(sealed(fields), s);
      if (answer !== 'invalid_cursor') {
        expect(answer).toEqual({ ts: fields[1], id: fields[2] });
        expect(parseInstant(answer!.ts)?.iso).toBe(answer!.ts);
        expect(BigInt(answer!.id) >= 1n && BigInt(answer!.id) <= MAX_BIGINT).toBe(true);
      }
    }),
    {
      ...seeded(1000),
      // An id of 0, one past the largest bigint, of 20 digits; an instant in year 0000.
      examples: [
        [LAST, { user: 'ana' }, 1, FIRST.ts, '0', null],
        [FIRST, { user: 'ana' }, 1, FIRST.ts, String(MAX_BIGINT + 1n), null],
        [FIRST, { user: 'ana' }, 1, FIRST.ts, '10000000000000000000', null],
        [LAST, { user: 'ana' }, 0, '0000-12-31T23:59:59.999999Z', '1', null],
      ],
    },
  );
});

test('any other text as a cursor is a 400, never a 500', () => {
  const base64urlJson = fc.jsonValue().map(sealed);
  fc.assert(
    fc.property(requestScope, fc.oneof(fc.string({ unit: 'binary' }), fc.base64String(), base64urlJson), (s, cursor) => {
      expect(askWith(cursor, s)).toBe('invalid_cursor');
    }),
    seeded(1000),
  );
});
