import fc from 'fast-check';
import { BadRequestError } from '../../functions/shared/errors';
import { parseInstant } from '../../functions/query/instant';
import { parseCheckinQuery, type CheckinQuery } from '../../functions/query/request';
import { seeded } from '../support/property';

const PARAMS = ['user', 'project', 'from', 'to', 'limit', 'cursor'] as const;
const CODES = new Set([...PARAMS.map((p) => `invalid_${p}`), 'invalid_range']);

/** The query string of GET /get as API Gateway hands it over: any parameters, any text. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ maxLength: 5 }),
  fc.stringMatching(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+ -]\d{2}:\d{2})?)?$/),
  fc.integer({ min: -5, max: 1_100 }).map(String),
  // Lone surrogates and control characters, which a name must not hold.
  fc.constantFrom('\ud800', 'a\udfffb', 'x\u0000', '\u007f', '\u0085y', ' ', ''),
);
const queryString = fc.dictionary(fc.oneof(fc.constantFrom(...PARAMS), fc.string({ maxLength: 8 })), text, { maxKeys: 8 });

function parse(params: Record<string, string | undefined>): CheckinQuery | BadRequestError {
  try {
    return parseCheckinQuery(params);
  } catch (e) {
    if (e instanceof BadRequestError) return e;
    throw e; // a 500
  }
}

test('any query string is either a valid query or a 400 naming the parameter, never a 500', () => {
  fc.assert(
    fc.property(fc.oneof(queryString, fc.constant(undefined)), (params) => {
      const result = parse(params ?? {});
      if (result instanceof BadRequestError) {
        expect(CODES).toContain(result.code);
        expect(result.message).toMatch(/query parameter "(user|project|from|to|limit|cursor)"/);
        return;
      }
      // What it accepts holds to what the API promises.
      expect(result.user).toBe(params!.user);
      expect(result.user.trim()).not.toBe('');
      expect([...result.user].length).toBeLessThanOrEqual(100);
      expect(result.user).not.toMatch(/\p{Cc}|\p{Cs}/u);
      expect(result.project).toBe(params!.project);
      if (result.project !== undefined) expect([...result.project].length).toBeLessThanOrEqual(200);
      expect(Number.isInteger(result.limit) && result.limit >= 1 && result.limit <= 1000).toBe(true);
      if (result.from) expect(result.from).toEqual(parseInstant(params!.from!));
      if (result.from && result.to) expect(result.from.micros <= result.to.micros).toBe(true);
    }),
    seeded(2000),
  );
});

/** Names are limited in code points: an astral character is one code point but two UTF-16 units, and e with a
 *  combining acute accent one grapheme but two code points. */
const ASTRAL = '\u{1F600}';
const ACUTE_E = 'e\u0301';
/** The first and last instants of years 0001–9999, as the valid query below writes them. */
const FIRST = '0001-01-01T00:00:00.000Z';
const LAST = '9999-12-31T23:59:59.999Z';

const name = (max: number) =>
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }).filter((v) => v.trim() !== '' && !/\p{Cc}/u.test(v) && [...v].length <= max);

test('a valid query is read as written: the names exactly, limit as a number, from and to as instants', () => {
  const instant = fc
    .integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31) })
    .map((ms) => new Date(ms).toISOString().replace(/^\+?0*(\d{4})/, '$1'));
  fc.assert(
    fc.property(name(100), fc.option(name(200), { nil: undefined }), fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), instant, instant, (user, project, limit, a, b) => {
      const [from, to] = a <= b ? [a, b] : [b, a];
      const q = parse({ user, project, from, to, ...(limit ? { limit: String(limit) } : {}) });
      expect(q).toEqual({ user, project, from: parseInstant(from), to: parseInstant(to), limit: limit ?? 100, after: undefined });
      if (a !== b) expect(parse({ user, from: to, to: from })).toMatchObject({ code: 'invalid_range' });
    }),
    {
      ...seeded(),
      // Names of exactly 100 and 200 code points, limits 1 and 1000, the first and last instants.
      examples: [
        ['n'.repeat(100), 'n'.repeat(200), 1, FIRST, LAST],
        [ASTRAL.repeat(100), ASTRAL.repeat(200), 1000, LAST, FIRST],
        [ACUTE_E.repeat(50), ACUTE_E.repeat(100), undefined, FIRST, FIRST],
      ],
    },
  );
});

test('a user over 100 characters or a project over 200, counted in code points, is refused naming the limit', () => {
  const tooLong = (max: number) => fc.string({ unit: 'grapheme', minLength: max + 1, maxLength: max + 20 }).filter((v) => v.trim() !== '' && !/\p{Cc}/u.test(v));
  fc.assert(
    fc.property(tooLong(100), tooLong(200), (user, project) => {
      expect(parse({ user })).toMatchObject({ code: 'invalid_user', message: 'query parameter "user" must be at most 100 characters' });
      expect(parse({ user: 'ana', project })).toMatchObject({ code: 'invalid_project', message: 'query parameter "project" must be at most 200 characters' });
    }),
    {
      ...seeded(),
      // One code point past each limit.
      examples: [
        ['n'.repeat(101), 'n'.repeat(201)],
        [ASTRAL.repeat(101), ASTRAL.repeat(201)],
        [`${ACUTE_E.repeat(50)}e`, `${ACUTE_E.repeat(100)}e`],
      ],
    },
  );
});

test('a limit outside 1–1000, or not a plain integer, is invalid_limit', () => {
  const bad = fc.oneof(
    fc.integer({ min: 1001, max: 10 ** 9 }).map(String),
    fc.integer({ min: -1000, max: 0 }).map(String),
    fc.stringMatching(/^(0\d+|\d+\.\d*|\d+e\d|\+\d+| \d+|\d+ )$/),
  );
  fc.assert(
    fc.property(bad, (limit) => {
      expect(parse({ user: 'ana', limit })).toMatchObject({ code: 'invalid_limit' });
    }),
    // One past each end, the largest number of the digits allowed, and one digit more.
    { ...seeded(), examples: [['1001'], ['0'], ['9999'], ['10000'], ['01000']] },
  );
});

test('from one microsecond after to is invalid_range; from equal to to is an empty window, accepted', () => {
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(1, 0, 1) / 1000, max: Date.UTC(9999, 11, 31) / 1000 }), fc.integer({ min: 0, max: 999_998 }), (s, us) => {
      const at = (micros: number) => `${new Date(s * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
      expect(parse({ user: 'ana', from: at(us + 1), to: at(us) })).toMatchObject({ code: 'invalid_range' });
      expect(parse({ user: 'ana', from: at(us), to: at(us) })).toMatchObject({ from: parseInstant(at(us)), to: parseInstant(at(us)) });
    }),
    // The first second of year 0001 and the last of 9999.
    { ...seeded(), examples: [[Date.UTC(1, 0, 1) / 1000, 0], [Date.UTC(9999, 11, 31, 23, 59, 59) / 1000, 999_998]] },
  );
});
