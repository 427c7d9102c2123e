import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import postgres from 'postgres';
import { startHttpApi } from '../../local/http-api';
import { startTestPostgres, type TestPostgres } from '../support/test-postgres';

jest.setTimeout(120_000);

let pg: TestPostgres;
let sql: postgres.Sql;
let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let api: { url: string; stop(): Promise<void> };

interface Row {
  user: string;
  project: string;
  hours: string;
  ts: string;
}

const seed = async (rows: Row[]) => {
  for (const r of rows) {
    await sql`INSERT INTO daily_checkins (username, project, hours, ts, ingestion_id, source_object, source_line)
              VALUES (${r.user}, ${r.project}, ${r.hours}::numeric, ${r.ts}::text::timestamptz, 'test', 's3://test/seed.csv', 1)`;
  }
};

beforeAll(async () => {
  pg = await startTestPostgres();
  sql = postgres(pg.url, { onnotice: () => {} });
  await seed([
    // As the load stores them: the staging Parquet's decimal(18,6) gives every value six fraction digits.
    { user: 'ana', project: 'apollo', hours: '2.500000', ts: '2018-11-26 14:47:36.0429+00' },
    { user: 'ana', project: 'gemini', hours: '0.080000', ts: '2019-01-01 00:00:00+00' },
    { user: 'ana', project: 'gemini', hours: '0.333333333333333333', ts: '2019-01-01 00:00:00+00' },
    { user: 'ana', project: 'apollo', hours: '1', ts: '2019-06-30 23:59:59.999999+00' },
    { user: 'ana', project: 'mercury', hours: '4', ts: '2020-02-29 12:00:00+00' },
    { user: 'boris', project: 'gemini', hours: '8', ts: '2019-01-02 09:00:00+00' },
    { user: '🦄 unicorn', project: 'apollo 🚀', hours: '3', ts: '2020-01-01 00:00:00+00' },
    { user: 'مريم', project: 'פרויקט', hours: '5.5', ts: '2020-01-02 00:00:00+00' },
    { user: "o'brien", project: 'gemini', hours: '1.5', ts: '2020-01-03 00:00:00+00' },
  ]);
  // 1,100 rows for one user: the default and the maximum page size.
  await sql`INSERT INTO daily_checkins (username, project, hours, ts, ingestion_id, source_object, source_line)
            SELECT 'bulk', 'apollo', 1, timestamptz '2021-01-01' + n * interval '1 minute', 'test', 's3://test/bulk.csv', n
            FROM generate_series(1, 1100) AS n`;
  Object.assign(process.env, {
    DATABASE_URL: pg.url,
    DB_STATEMENT_TIMEOUT_MS: '1000',
    // A stopped database is retried for this long (test/integration/paused-database.test.ts: the shipped budget).
    DB_CONNECT_BUDGET_MS: '1000',
    CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  ({ handler } = await import('../../functions/query/handler'));
  api = await startHttpApi([{ routeKey: 'GET /get', handler }], 0, () => true);
});

afterAll(async () => {
  await api?.stop();
  await sql?.end();
  await pg?.destroy();
});

const event = (params?: Record<string, string>, headers: Record<string, string> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'GET /get',
    rawPath: '/get',
    rawQueryString: new URLSearchParams(params).toString(),
    headers,
    ...(params ? { queryStringParameters: params } : {}),
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: '/get' } },
  }) as unknown as APIGatewayProxyEventV2;

interface Body {
  response?: Array<{ user: string; project: string; hours: number; timestamp: string }>;
  nextCursor?: string | null;
  error?: string;
  message?: string;
}

const get = async (params?: Record<string, string>, headers?: Record<string, string>) => {
  const res = await handler(event(params, headers), {} as Context);
  return { status: res.statusCode!, headers: res.headers ?? {}, raw: res.body!, body: JSON.parse(res.body!) as Body };
};

/** Every page of a query, following nextCursor (bounded, so a cursor loop fails the test instead of hanging). */
const allPages = async (params: Record<string, string>) => {
  const rows: NonNullable<Body['response']> = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < 50; page++) {
    const { status, body } = await get({ ...params, ...(cursor ? { cursor } : {}) });
    expect(status).toBe(200);
    rows.push(...body.response!);
    cursor = body.nextCursor;
    if (!cursor) return rows;
  }
  throw new Error('more than 50 pages');
};

describe('GET /get', () => {
  test('returns a user\'s rows newest first, with microsecond UTC timestamps and hours in their shortest exact form', async () => {
    const { status, raw, body } = await get({ user: 'ana' });
    expect(status).toBe(200);
    expect(body.nextCursor).toBeNull();
    expect(body.response!.map((r) => [r.project, r.timestamp])).toEqual([
      ['mercury', '2020-02-29T12:00:00.000000Z'],
      ['apollo', '2019-06-30T23:59:59.999999Z'],
      ['gemini', '2019-01-01T00:00:00.000000Z'],
      ['gemini', '2019-01-01T00:00:00.000000Z'],
      ['apollo', '2018-11-26T14:47:36.042900Z'],
    ]);
    // Same timestamp: the later-loaded row (higher id) first. Every digit that counts is kept, and only those:
    // 0.080000 (the staging scale) is 0.08, as the file said, 2.500000 is 2.5 and 1 stays 1.
    expect(raw).toContain('{"user":"ana","project":"gemini","hours":0.333333333333333333,"timestamp":"2019-01-01T00:00:00.000000Z"}');
    expect(raw).toContain('"hours":0.08,');
    expect(raw).toContain('"hours":2.5,');
    expect(raw).toContain('"hours":1,');
    expect(body.response!.every((r) => r.user === 'ana' && typeof r.hours === 'number')).toBe(true);
  });

  test('an unknown user is 200 with an empty list', async () => {
    const { status, body } = await get({ user: 'nobody' });
    expect(status).toBe(200);
    expect(body).toEqual({ response: [], nextCursor: null });
  });

  test('filters by project, by an inclusive from and an exclusive to, and by all three', async () => {
    const stamps = async (params: Record<string, string>) =>
      (await get({ user: 'ana', ...params })).body.response!.map((r) => `${r.project} ${r.timestamp}`);
    expect(await stamps({ project: 'gemini' })).toEqual([
      'gemini 2019-01-01T00:00:00.000000Z',
      'gemini 2019-01-01T00:00:00.000000Z',
    ]);
    expect(await stamps({ from: '2019-06-30T23:59:59.999999Z' })).toEqual([
      'mercury 2020-02-29T12:00:00.000000Z',
      'apollo 2019-06-30T23:59:59.999999Z',
    ]);
    expect(await stamps({ to: '2019-01-01' })).toEqual(['apollo 2018-11-26T14:47:36.042900Z']);
    // 2019-01-01T02:00+02:00 is midnight UTC: the two gemini rows are at from, the 2019-06-30 row is excluded by to.
    expect(await stamps({ from: '2019-01-01T02:00:00+02:00', to: '2019-06-30T23:59:59.999999Z', project: 'gemini' })).toHaveLength(2);
    expect(await stamps({ from: '2019-01-01T02:00:00 02:00', to: '2019-01-01T00:00:00.000001Z' })).toHaveLength(2);
    expect(await stamps({ project: 'nothing' })).toEqual([]);
  });

  test('limit defaults to 100 and allows up to 1000', async () => {
    const first = await get({ user: 'bulk' });
    expect(first.body.response).toHaveLength(100);
    expect(first.body.response![0]!.timestamp).toBe('2021-01-01T18:20:00.000000Z');
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await get({ user: 'bulk', limit: '1000' })).body.response).toHaveLength(1000);
    expect((await get({ user: 'bulk', limit: '1' })).body.response).toHaveLength(1);
  });

  test('pages through every row exactly once, and the last page has no cursor', async () => {
    const rows = await allPages({ user: 'bulk', limit: '250' });
    expect(rows).toHaveLength(1100);
    expect(new Set(rows.map((r) => r.timestamp)).size).toBe(1100);
    const times = rows.map((r) => r.timestamp);
    expect([...times].sort().reverse()).toEqual(times);
  });

  test('a cursor stays stable while rows are loaded between page requests', async () => {
    await seed([
      { user: 'pager', project: 'p', hours: '1', ts: '2022-01-05 00:00:00+00' },
      { user: 'pager', project: 'p', hours: '2', ts: '2022-01-04 00:00:00+00' },
      { user: 'pager', project: 'p', hours: '3', ts: '2022-01-03 00:00:00+00' },
      { user: 'pager', project: 'p', hours: '4', ts: '2022-01-02 00:00:00+00' },
    ]);
    const page1 = await get({ user: 'pager', limit: '2' });
    expect(page1.body.response!.map((r) => r.hours)).toEqual([1, 2]);

    // Loaded meanwhile: a newer row (belongs before page 1), one at the boundary's timestamp, and an older one.
    await seed([
      { user: 'pager', project: 'p', hours: '10', ts: '2022-01-06 00:00:00+00' },
      { user: 'pager', project: 'p', hours: '11', ts: '2022-01-04 00:00:00+00' },
      { user: 'pager', project: 'p', hours: '12', ts: '2022-01-01 00:00:00+00' },
    ]);
    const page2 = await get({ user: 'pager', limit: '2', cursor: page1.body.nextCursor! });
    expect(page2.body.response!.map((r) => r.hours)).toEqual([3, 4]);
    const page3 = await get({ user: 'pager', limit: '2', cursor: page2.body.nextCursor! });
    expect(page3.body.response!.map((r) => r.hours)).toEqual([12]);
    expect(page3.body.nextCursor).toBeNull();
  });

  test('pages by microseconds: rows a microsecond apart are neither skipped nor repeated', async () => {
    await seed(
      ['.000003', '.000002', '.000001', ''].map((f, i) => ({ user: 'micro', project: 'p', hours: String(i + 1), ts: `2023-03-03 03:03:03${f}+00` })),
    );
    const rows = await allPages({ user: 'micro', limit: '1' });
    expect(rows.map((r) => r.timestamp)).toEqual([
      '2023-03-03T03:03:03.000003Z',
      '2023-03-03T03:03:03.000002Z',
      '2023-03-03T03:03:03.000001Z',
      '2023-03-03T03:03:03.000000Z',
    ]);
    expect((await get({ user: 'micro', from: '2023-03-03T03:03:03.000002Z', to: '2023-03-03T03:03:03.000003Z' })).body.response!.map((r) => r.hours)).toEqual([2]);
  });

  test('reads through the (username, ts DESC, id DESC) index without a sort', async () => {
    const { pageQuery } = await import('../../functions/query/checkins');
    const q = {
      user: 'bulk',
      project: 'apollo',
      from: { iso: '2021-01-01T00:00:00.000000Z', micros: 0n },
      to: { iso: '2022-01-01T00:00:00.000000Z', micros: 0n },
      limit: 20,
      after: { ts: '2021-01-01T10:00:00.000000Z', id: '500' },
    };
    await sql`SET enable_seqscan = off`; // a 1,100-row table would otherwise be scanned whatever the index
    const plan = (await sql`EXPLAIN ${pageQuery(sql, q)}`).map((r) => String(r['QUERY PLAN'])).join('\n');
    await sql`RESET enable_seqscan`;
    expect(plan).toMatch(/Index Scan using daily_checkins_user_ts/);
    expect(plan).toMatch(/Index Cond: .*username.*ROW\(ts, id\) < ROW/);
    expect(plan).not.toMatch(/Sort/);
  });
});

describe('GET /get refuses bad input with 400 and a message naming the problem', () => {
  const longName = 'x'.repeat(101);
  const cases: Array<[string, Record<string, string> | undefined, string, RegExp]> = [
    ['no query string', undefined, 'invalid_user', /"user" is required/],
    ['no user', { project: 'apollo' }, 'invalid_user', /"user" is required/],
    ['an empty user', { user: '' }, 'invalid_user', /"user" must not be empty/],
    ['a blank user', { user: '   ' }, 'invalid_user', /"user" must not be empty/],
    ['a user over 100 characters', { user: longName }, 'invalid_user', /at most 100 characters/],
    ['a NUL in user', { user: 'ana\u0000' }, 'invalid_user', /control characters/],
    ['a newline in user', { user: 'ana\nboris' }, 'invalid_user', /control characters/],
    ['a DEL in user', { user: 'ana\u007f' }, 'invalid_user', /control characters/],
    ['a C1 control in user', { user: 'ana\u0085' }, 'invalid_user', /control characters/],
    ['an unpaired surrogate in user', { user: 'ana\ud800' }, 'invalid_user', /not valid Unicode/],
    ['an empty project', { user: 'ana', project: '' }, 'invalid_project', /"project" must not be empty/],
    ['a control character in project', { user: 'ana', project: 'a\tb' }, 'invalid_project', /control characters/],
    ['an unparseable from', { user: 'ana', from: 'yesterday' }, 'invalid_from', /"from" must be an ISO-8601/],
    ['an impossible from date', { user: 'ana', from: '2026-02-30' }, 'invalid_from', /"from" must be an ISO-8601/],
    ['an impossible from time', { user: 'ana', from: '2026-01-01T24:00:00Z' }, 'invalid_from', /"from"/],
    ['an empty to', { user: 'ana', to: '' }, 'invalid_to', /"to" must be an ISO-8601/],
    ['a to in month 13', { user: 'ana', to: '2026-13-01' }, 'invalid_to', /"to"/],
    ['a to with a bad zone', { user: 'ana', to: '2026-01-01T00:00:00+25:00' }, 'invalid_to', /"to"/],
    ['from after to', { user: 'ana', from: '2020-01-02', to: '2020-01-01T23:59:59.999999Z' }, 'invalid_range', /"from" must not be after "to"/],
    ['limit 0', { user: 'ana', limit: '0' }, 'invalid_limit', /"limit" must be an integer from 1 to 1000/],
    ['limit 1001', { user: 'ana', limit: '1001' }, 'invalid_limit', /from 1 to 1000/],
    ['a negative limit', { user: 'ana', limit: '-5' }, 'invalid_limit', /from 1 to 1000/],
    ['a fractional limit', { user: 'ana', limit: '2.5' }, 'invalid_limit', /from 1 to 1000/],
    ['an exponent limit', { user: 'ana', limit: '1e2' }, 'invalid_limit', /from 1 to 1000/],
    ['a padded limit', { user: 'ana', limit: ' 10' }, 'invalid_limit', /from 1 to 1000/],
    ['an empty limit', { user: 'ana', limit: '' }, 'invalid_limit', /from 1 to 1000/],
    ['a word as limit', { user: 'ana', limit: 'all' }, 'invalid_limit', /from 1 to 1000/],
    ['a garbage cursor', { user: 'ana', cursor: 'not a cursor' }, 'invalid_cursor', /"cursor" is not a cursor this API issued/],
    ['an empty cursor', { user: 'ana', cursor: '' }, 'invalid_cursor', /"cursor"/],
    ['base64 of something else', { user: 'ana', cursor: Buffer.from('{"a":1}').toString('base64url') }, 'invalid_cursor', /"cursor"/],
    [
      'a forged cursor with an id past bigint',
      { user: 'ana', cursor: Buffer.from(JSON.stringify([1, '2020-01-01T00:00:00.000000Z', '99999999999999999999', 'x'])).toString('base64url') },
      'invalid_cursor',
      /"cursor"/,
    ],
    [
      'a forged cursor with an impossible timestamp',
      { user: 'ana', cursor: Buffer.from(JSON.stringify([1, '2020-02-30T00:00:00.000000Z', '1', 'x'])).toString('base64url') },
      'invalid_cursor',
      /"cursor"/,
    ],
  ];

  test.each(cases)('%s', async (_name, params, code, message) => {
    const { status, body } = await get(params);
    expect(status).toBe(400);
    expect(body.error).toBe(code);
    expect(body.message).toMatch(message);
    expect(Object.keys(body).sort()).toEqual(['error', 'message']);
  });

  test('a cursor issued for one query is refused for another user or other filters', async () => {
    const { body } = await get({ user: 'bulk', limit: '5' });
    const cursor = body.nextCursor!;
    expect((await get({ user: 'bulk', limit: '7', cursor })).status).toBe(200); // page size may change
    const others: Array<Record<string, string>> = [{ user: 'ana' }, { user: 'bulk', project: 'apollo' }, { user: 'bulk', from: '2021-01-01' }];
    for (const other of others) {
      const res = await get({ ...other, cursor });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_cursor', message: expect.stringMatching(/belongs to a query with other/) });
    }
  });

  test('a tampered cursor is refused', async () => {
    const { body } = await get({ user: 'bulk', limit: '5' });
    const decoded = JSON.parse(Buffer.from(body.nextCursor!, 'base64url').toString()) as unknown[];
    decoded[3] = 'AAAAAAAAAAAAAAAA';
    const res = await get({ user: 'bulk', cursor: Buffer.from(JSON.stringify(decoded)).toString('base64url') });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_cursor');
  });
});

describe('GET /get is safe against hostile input', () => {
  const injections = [
    "' OR '1'='1",
    "ana' OR 1=1 --",
    "ana'; DROP TABLE daily_checkins; --",
    "ana' UNION SELECT username, project, hours, ts FROM daily_checkins --",
    '%',
    '_na',
    'ana\\',
    '$1',
    '${user}',
    "o''brien",
  ];

  test('SQL injection strings match nothing and change nothing', async () => {
    const before = (await get({ user: 'ana' })).raw;
    const [{ count }] = await sql<[{ count: string }]>`SELECT count(*)::text AS count FROM daily_checkins`;
    for (const user of injections) {
      for (const params of [{ user }, { user: 'ana', project: user }] as Array<Record<string, string>>) {
        const res = await get(params);
        expect({ params, status: res.status, rows: res.body.response }).toEqual({ params, status: 200, rows: [] });
      }
    }
    expect((await get({ user: 'ana' })).raw).toBe(before);
    expect((await sql`SELECT count(*)::text AS count FROM daily_checkins`)[0]!.count).toBe(count);
  });

  test('emoji and right-to-left names are matched exactly', async () => {
    expect((await get({ user: '🦄 unicorn' })).body.response).toEqual([
      { user: '🦄 unicorn', project: 'apollo 🚀', hours: 3, timestamp: '2020-01-01T00:00:00.000000Z' },
    ]);
    expect((await get({ user: 'مريم', project: 'פרויקט' })).body.response).toEqual([
      { user: 'مريم', project: 'פרויקט', hours: 5.5, timestamp: '2020-01-02T00:00:00.000000Z' },
    ]);
    expect((await get({ user: "o'brien" })).body.response).toHaveLength(1);
    // 100 emoji are 100 characters (200 UTF-16 code units): accepted.
    expect((await get({ user: '🦄'.repeat(100) })).status).toBe(200);
    expect((await get({ user: '🦄'.repeat(101) })).status).toBe(400);
  });

  describe('through the HTTP API', () => {
    const http = async (query: string) => {
      const res = await fetch(`${api.url}/get?${query}`);
      const text = await res.text();
      const json = res.headers.get('content-type')?.startsWith('application/json');
      return { status: res.status, text, body: (json ? JSON.parse(text) : {}) as Body };
    };

    test('percent-encoding tricks, odd Unicode and very long query strings never get a 5xx', async () => {
      const before = (await http('user=ana')).text;
      const queries: Array<[string, number]> = [
        ['user=%61%6E%61', 200], // "ana", fully encoded
        ['user=an%2561', 200], // double-encoded: the literal "an%61"
        ['user=ana%00', 400],
        ['user=ana%0d%0aSet-Cookie:%20x=1', 400],
        ['user=%E2%80%AEana', 200], // right-to-left override: a format character, allowed, matches nobody
        ['user=%ED%A0%80', 200], // an encoded surrogate is invalid UTF-8: decoded to U+FFFD
        ['user=%ZZ', 200],
        ['user=%', 200],
        ['user=%F0%9F%A6%84%20unicorn', 200],
        ['user=ana&user=boris', 200], // API Gateway joins repeated parameters with a comma
        ['user=ana%27%20OR%20%271%27%3D%271', 200],
        ['user=ana&limit=%31%30', 200],
        ['user=ana&limit=10%00', 400],
        ['user=ana&from=2019-01-01T00:00:00%2B00:00', 200],
        ['user=ana&from=2019-01-01T00:00:00+00:00', 200], // an unencoded "+" arrives as a space
        ['user=ana&cursor=%FF%FE', 400],
        [`user=${'a'.repeat(5000)}`, 400],
        [`user=ana&cursor=${'A'.repeat(8000)}`, 400],
        [`user=ana&junk=${'%41'.repeat(4000)}`, 200],
        [`user=${encodeURIComponent('🦄'.repeat(600))}`, 400],
        // Past what a server accepts in a request line (API Gateway: 10 KB; Node: 16 KB): refused before the handler.
        [`user=ana&junk=${'%41'.repeat(20000)}`, 431],
      ];
      for (const [query, expected] of queries) {
        const res = await http(query);
        expect({ query: query.slice(0, 60), status: res.status }).toEqual({ query: query.slice(0, 60), status: expected });
      }
      expect((await http('user=%61%6E%61')).text).toBe(before);
      expect((await http('user=an%2561')).body.response).toEqual([]);
      expect((await http('user=ana&from=2019-01-01T00:00:00+00:00')).body.response).toHaveLength(4);
      expect((await http('user=ana')).text).toBe(before);
    });
  });

  test('CORS: an allowed origin gets Access-Control-Allow-Origin, any other origin does not', async () => {
    const allowed = await get({ user: 'ana' }, { origin: 'https://admin.example.com' });
    expect(allowed.headers['Access-Control-Allow-Origin']).toBe('https://admin.example.com');
    const other = await get({ user: 'ana' }, { origin: 'https://evil.example.net' });
    expect(other.status).toBe(200);
    expect(other.headers['Access-Control-Allow-Origin']).toBeUndefined();
    const refused = await get({ user: '' }, { origin: 'https://app.example.com' });
    expect(refused.status).toBe(400);
    expect(refused.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
  });
});

describe('GET /get when the database cannot answer', () => {
  const captureLogs = () => {
    const lines: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      }),
    );
    return { lines, restore: () => spies.forEach((s) => s.mockRestore()) };
  };

  const expectUnavailable = (res: Awaited<ReturnType<typeof get>>, retryAfter: string) => {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe(retryAfter);
    expect(res.body).toEqual({ error: 'service_unavailable', message: 'the database is unavailable, retry later' });
  };

  test('a statement timeout is a 503 with Retry-After, logged with the cause', async () => {
    const locker = postgres(pg.url, { max: 1, onnotice: () => {} });
    const logs = captureLogs();
    try {
      const res = await locker.begin(async (tx) => {
        await tx`LOCK TABLE daily_checkins IN ACCESS EXCLUSIVE MODE`;
        return get({ user: 'ana' });
      });
      expectUnavailable(res, '5');
      expect(logs.lines.join('')).toMatch(/database unavailable.*57014.*statement timeout/);
    } finally {
      logs.restore();
      await locker.end();
    }
    expect((await get({ user: 'ana' })).status).toBe(200);
  });

  test('pooled connections the server closed (a restart, a failover) are replaced without an error', async () => {
    expect((await get({ user: 'ana' })).status).toBe(200);
    const [{ closed }] = await sql<[{ closed: number }]>`
      SELECT count(pg_terminate_backend(pid))::int AS closed FROM pg_stat_activity WHERE application_name = 'landing-etl-query'`;
    expect(closed).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect((await get({ user: 'ana' })).status).toBe(200);
  });

  test('a stopped database is a 503 with nothing internal in the body; it serves again once back', async () => {
    await pg.stop();
    const logs = captureLogs();
    try {
      const res = await get({ user: 'ana' });
      // Refused for the whole connect budget: as a database still resuming, retry after the rest of a resume.
      expectUnavailable(res, '15');
      expect(res.raw).not.toMatch(/127\.0\.0\.1|ECONN|postgres|stack/i);
      expect(logs.lines.join('')).toMatch(/database unavailable.*(ECONNREFUSED|CONNECTION_|57P01)/);
      const viaHttp = await fetch(`${api.url}/get?user=ana`);
      expect(viaHttp.status).toBe(503);
      expect(viaHttp.headers.get('retry-after')).toBe('15');
    } finally {
      logs.restore();
      await pg.start();
    }
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await get({ user: 'ana' })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  });
});
