import { parseSmokeArgs, queryUrl, rowProblems, SMOKE_KEY, smokeFile, UsageError, verdict } from '../../scripts/smoke-aws-lib';

const now = new Date('2026-11-21T10:11:12.345Z');

test('the smoke file is a header and 3 valid rows for one synthetic user, landed under the dedicated key', () => {
  const file = smokeFile(now, 'a1b2c3');
  expect(file.user).toBe('smoke-20261121T101112Z-a1b2c3');
  expect(file.key).toBe('dailycheckin/smoke/landing-etl-smoke.csv');
  expect(file.key).toBe(SMOKE_KEY);
  expect(file.csv).toBe(
    [
      'user,timestamp,hours,project',
      'smoke-20261121T101112Z-a1b2c3,2026-11-21 08:00:00 UTC,1.50,landing-etl-smoke',
      'smoke-20261121T101112Z-a1b2c3,2026-11-21 12:30:15.5 UTC,2.25,landing-etl-smoke',
      'smoke-20261121T101112Z-a1b2c3,2026-11-21 17:45:59.123456 UTC,0.75,landing-etl-smoke',
      '',
    ].join('\n'),
  );
  // What the API must answer: newest first, UTC with microseconds.
  expect(file.rows.map((r) => [r.timestamp, r.hours])).toEqual([
    ['2026-11-21T17:45:59.123456Z', 0.75],
    ['2026-11-21T12:30:15.500000Z', 2.25],
    ['2026-11-21T08:00:00.000000Z', 1.5],
  ]);
  expect(smokeFile(now, 'ffffff').user).not.toBe(file.user);
});

test('the query URL is the API output plus /get with the user encoded, with or without a trailing slash', () => {
  expect(queryUrl('https://abc.execute-api.eu-west-1.amazonaws.com', 'smoke-1')).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/get?user=smoke-1');
  expect(queryUrl('https://abc.execute-api.eu-west-1.amazonaws.com/', 'a b&c')).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/get?user=a%20b%26c');
});

test('arguments: one stage name and an optional region; anything else is a usage error', () => {
  expect(parseSmokeArgs(['dev'])).toEqual({ stage: 'dev', region: undefined });
  expect(parseSmokeArgs(['prod', '--region', 'eu-west-1'])).toEqual({ stage: 'prod', region: 'eu-west-1' });
  for (const bad of [[], ['dev', 'prod'], ['dev_1'], ['dev', '--bogus'], ['dev', '--region', 'Europe']]) {
    expect(() => parseSmokeArgs(bad)).toThrow(UsageError);
  }
});

describe('the verdict', () => {
  const file = smokeFile(now, 'a1b2c3');
  const body = (rows: unknown[]) => JSON.stringify({ response: rows, nextCursor: null });
  const succeeded = { ingestionId: 'dailycheckin-1', status: 'SUCCEEDED' };
  const url = queryUrl('https://api', file.user);

  test('passes when the ingestion succeeded and the API returns exactly the rows landed', () => {
    expect(verdict(succeeded, { url, status: 200, body: body(file.rows) }, file.rows)).toEqual({
      pass: true,
      reason: `ingestion dailycheckin-1 SUCCEEDED and GET ${url} returned its 3 rows`,
    });
  });

  test('fails naming the stage and cause when the ingestion failed or was rejected', () => {
    const failed = { ingestionId: 'dailycheckin-1', status: 'FAILED', stage: 'load', error: 'Glue job run FAILED', cause: 'OperationalError: refused' };
    expect(verdict(failed, { url, status: 0, body: '' }, file.rows)).toEqual({
      pass: false,
      reason: 'ingestion dailycheckin-1 FAILED at load: Glue job run FAILED: OperationalError: refused',
    });
    expect(verdict({ ingestionId: 'x', status: 'REJECTED', error: 'empty' }, { url, status: 0, body: '' }, file.rows).reason).toBe('ingestion x REJECTED: empty');
  });

  test('fails on a missing or altered row, an HTTP error or a body that is not the API shape', () => {
    expect(rowProblems(200, body(file.rows.slice(0, 2)), file.rows)).toEqual(['returned 2 rows, expected 3']);
    expect(rowProblems(200, body([{ ...file.rows[0], hours: 7.5 }, ...file.rows.slice(1)]), file.rows)).toEqual(['row 1: hours 7.5, expected 0.75']);
    expect(rowProblems(503, '{"error":"service_unavailable"}', file.rows)).toEqual(['answered HTTP 503: {"error":"service_unavailable"}']);
    expect(rowProblems(200, '<html>', file.rows)).toEqual(['answered 200 with a body that is not JSON: <html>']);
    expect(verdict(succeeded, { url, status: 200, body: body([]) }, file.rows)).toEqual({
      pass: false,
      reason: `ingestion dailycheckin-1 SUCCEEDED but GET ${url} returned 0 rows, expected 3`,
    });
  });
});
