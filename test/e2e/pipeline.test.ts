import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import postgres from 'postgres';
import type { RunLog } from '../../functions/shared/run-log';
import { replayLogFor, runLogFor } from '../../local/client';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cli, startLocalStack, type RunningStack } from '../support/local-stack';
import { waitForIngestion } from '../support/landing';
import { publishedAtLeast } from '../support/notifications';
import { apiFetch, apiJson, type Scope } from '../support/api';

jest.setTimeout(300_000);

let stack: RunningStack;
let runLog: RunLog;

// S3 through its API (LOCAL_S3=api): the jobs' boto3, pyarrow and Spark S3A calls all go to a local S3-API server.
beforeAll(async () => {
  stack = await startLocalStack({ env: { LOCAL_S3: 'api' } });
  runLog = runLogFor(stack.info);
});

afterAll(async () => {
  const code = await stack?.stop();
  expect(code).toBe(0);
});

const get = (query: string) => apiJson<{ response?: Array<Record<string, unknown>>; error?: string }>(stack.info, `/get?${query}`);

test('the first start loads the bundled sample and serves it over HTTP', async () => {
  expect(stack.output()).toContain('sample loaded');
  const { status, body } = await get('user=boris');
  expect(status).toBe(200);
  expect(body.response).toEqual([
    { user: 'boris', project: 'gemini', hours: 7.25, timestamp: '2019-09-26T00:00:00.000000Z' },
    { user: 'boris', project: 'gemini', hours: 1, timestamp: '2018-11-27T09:00:00.000000Z' },
  ]);
});

test('every route needs a token of its own scope: 401 without one, 403 with the other scope\'s, 200 with its own', async () => {
  const sample = (await runLog.forObject(`s3://${stack.info.landingBucket}/dailycheckin/2018-11-26/sample.csv`, { limit: 1 }))[0]!;
  const routes: Array<[string, Scope]> = [
    ['/get?user=ana', 'rows'],
    ['/ingestions?dataset=dailycheckin', 'operations'],
    [`/ingestions/${sample.ingestionId}`, 'operations'],
    [`/ingestions/${sample.ingestionId}/report`, 'operations'],
    ['/datasets', 'operations'],
  ];
  for (const [path, scope] of routes) {
    const other: Scope = scope === 'rows' ? 'operations' : 'rows';
    const [none, wrong, own] = [await apiFetch(stack.info, path, { scope: null }), await apiFetch(stack.info, path, { scope: other }), await apiFetch(stack.info, path, { scope })];
    expect({ path, none: [none.status, await none.text()], wrong: [wrong.status, await wrong.text()], own: own.status }).toEqual({
      path,
      none: [401, '{"message":"Unauthorized"}'],
      wrong: [403, '{"message":"Forbidden"}'],
      own: 200,
    });
  }
  expect((await apiFetch(stack.info, '/', { scope: null })).status).toBe(200);

  // What a newcomer is told: the page with a token, and how to get one; the CLI prints one that works.
  expect(stack.output()).toMatch(new RegExp(`operator page  ${stack.info.apiUrl}/#token=\\S+`));
  expect(stack.output()).toContain(`curl -H "Authorization: Bearer $(npx landing-etl token --scope rows)" '${stack.info.apiUrl}/get?user=ana'`);
  const token = await cli(stack.dir, ['token', '--scope', 'rows']);
  expect(token.code).toBe(0);
  const rows = await fetch(`${stack.info.apiUrl}/get?user=boris`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
  expect(rows.status).toBe(200);
});

test('a dropped file flows through transform, test and load, recorded stage by stage', async () => {
  const file = join(stack.dir, 'checkins.csv');
  writeFileSync(
    file,
    'user,timestamp,hours,project\r\n' +
      'e2e-user,2020-01-02 03:04:05 UTC,1.5,apollo\r\n' +
      'e2e-user,01/03/2020 12:15 AM,2,"gemini, phase 2"\r\n' +
      'e2e-user,5 января 2020 18:30,0.25,mercury\r\n',
  );
  const run = await cli(stack.dir, ['ingest', file, '--dataset', 'dailycheckin', '--date', '2020-01-03']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/load\s+SUCCEEDED/);

  const { body } = await get('user=e2e-user');
  expect(body.response).toEqual([
    { user: 'e2e-user', project: 'mercury', hours: 0.25, timestamp: '2020-01-05T18:30:00.000000Z' },
    { user: 'e2e-user', project: 'gemini, phase 2', hours: 2, timestamp: '2020-01-03T00:15:00.000000Z' },
    { user: 'e2e-user', project: 'apollo', hours: 1.5, timestamp: '2020-01-02T03:04:05.000000Z' },
  ]);

  const id = /ingestion (\S+)/.exec(run.stdout)![1]!;
  const record = await runLog.get(id);
  expect(record!.summary).toMatchObject({
    ingestionId: id,
    ingestedID: id,
    dataset: 'dailycheckin',
    businessDate: '2020-01-03',
    status: 'SUCCEEDED',
    state: 'DONE',
    ingestedTable: 'daily_checkins',
  });
  expect(record!.stages.map((s) => [s.stage, s.status])).toEqual([
    ['transform', 'SUCCEEDED'],
    ['test', 'SUCCEEDED'],
    ['load', 'SUCCEEDED'],
  ]);
  for (const s of record!.stages) expect(Date.parse(s.endedAt!)).toBeGreaterThanOrEqual(Date.parse(s.startedAt!));
  expect(record!.stages[2]!.metrics).toMatchObject({ rowsOut: 3 });

  // The same record over HTTP, by id and by source object.
  const byId = (await apiJson<{ summary: { status: string }; stages: unknown[] }>(stack.info, `/ingestions/${id}`)).body;
  expect(byId.summary.status).toBe('SUCCEEDED');
  expect(byId.stages).toHaveLength(3);
  const object = encodeURIComponent(record!.summary.sourceUri);
  const byObject = (await apiJson<{ items: Array<{ ingestionId: string }> }>(stack.info, `/ingestions?object=${object}`)).body;
  expect(byObject.items.map((i) => i.ingestionId)).toEqual([id]);
  const byDataset = (await apiJson<{ items: Array<{ ingestionId: string }> }>(stack.info, '/ingestions?dataset=dailycheckin&limit=100')).body;
  expect(byDataset.items.map((i) => i.ingestionId)).toContain(id);

  // Its quality report, read by the ingestions function from the data bucket through the S3 API.
  const report = await apiFetch(stack.info, `/ingestions/${id}/report`);
  expect(report.status).toBe(200);
  const staging = `s3://${stack.info.dataBucket}/staging/dailycheckin/${id}/attempt-1`;
  expect(await report.json()).toMatchObject({
    ingestionId: id,
    dataset: 'dailycheckin',
    rowsIn: 3,
    rejected: 0,
    rules: expect.arrayContaining([expect.objectContaining({ rule: 'hours.range', failed: 0, examples: [] })]),
    location: { report: `${staging}/quality-report.json`, rejectedRows: `${staging}/rejected/` },
  });
});

test('an object uploaded with the S3 API is ingested by its version, and each stage leaves its output in the data bucket', async () => {
  const s3 = new S3Client({
    endpoint: stack.info.awsEndpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'e2e-user', secretAccessKey: 'local' },
  });
  const key = 'dailycheckin/2020-03-01/uploaded with sdk.csv';
  const since = new Date().toISOString();
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: stack.info.landingBucket,
      Key: key,
      // 24 good rows, then one over the 24-hour limit on line 26 (1 in 25: under the 5 % reject ratio).
      Body: ['user,timestamp,hours,project', ...Array.from({ length: 24 }, (_, h) => `sdk-user,2020-03-01 ${String(h).padStart(2, '0')}:00:00 UTC,2,apollo`), 'sdk-user,2020-03-02 08:00:00 UTC,30,apollo'].join('\n'),
    }),
  );
  const summary = await waitForIngestion(runLog, `s3://${stack.info.landingBucket}/${key}`, since);
  expect(summary).toMatchObject({ status: 'SUCCEEDED', sourceVersion: put.VersionId });
  const served = (await get('user=sdk-user')).body.response!;
  expect(served).toHaveLength(24);
  expect(served[0]).toEqual({ user: 'sdk-user', project: 'apollo', hours: 2, timestamp: '2020-03-01T23:00:00.000000Z' });

  const prefix = `staging/dailycheckin/${summary.ingestionId}/attempt-1/`;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: stack.info.dataBucket, Prefix: prefix }));
  const folders = new Set((listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length).split('/')[0]));
  expect([...folders].sort()).toEqual(['accepted', 'quality-report.json', 'rejected', 'source', 'transformed']);
  const report = JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: stack.info.dataBucket, Key: `${prefix}quality-report.json` }))).Body!.transformToString(),
  ) as { rules: Array<{ rule: string; failed: number; examples: Array<{ line: number }> }> };
  expect(report.rules.find((r) => r.rule === 'hours.range')).toMatchObject({ failed: 1, examples: [expect.objectContaining({ line: 26 })] });
  s3.destroy();
});

test('objects uploaded under any key S3 allows are ingested: URL and glob characters, unicode, capitals, 1,024 bytes', async () => {
  const s3 = new S3Client({ endpoint: stack.info.awsEndpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'e2e-user', secretAccessKey: 'local' } });
  const prefix = 'dailycheckin/2020-03-02/';
  const keys = [
    `${prefix}#hash ?query=1&x [glob]{a,b} 100%25 +plus+ a:b.CSV`,
    `${prefix}été 🦄 日本.Csv.Gz`,
    // The longest key S3 allows: 1,024 bytes of UTF-8, in no folders at all.
    `${prefix}${'ü'.repeat((1024 - prefix.length - 4) / 2)}.csv`,
  ];
  expect(Buffer.byteLength(keys[2]!)).toBe(1024);
  const since = new Date().toISOString();
  for (const [i, key] of keys.entries()) {
    const csv = `user,timestamp,hours,project\nkey-user-${i},2020-03-02 10:00:00 UTC,1,apollo\n`;
    await s3.send(new PutObjectCommand({ Bucket: stack.info.landingBucket, Key: key, Body: key.toLowerCase().endsWith('.gz') ? gzipSync(csv) : csv }));
  }
  for (const [i, key] of keys.entries()) {
    const summary = await waitForIngestion(runLog, `s3://${stack.info.landingBucket}/${key}`, since);
    expect(summary).toMatchObject({ status: 'SUCCEEDED', sourceUri: `s3://${stack.info.landingBucket}/${key}` });
    expect((await get(`user=key-user-${i}`)).body.response).toEqual([{ user: `key-user-${i}`, project: 'apollo', hours: 1, timestamp: '2020-03-02T10:00:00.000000Z' }]);
  }
  s3.destroy();
});

test('a file over the reject ratio halts at test with the reason, loading nothing', async () => {
  const file = join(stack.dir, 'bad.csv');
  writeFileSync(file, 'user,timestamp,hours,project\nbad-user,not a date,1,apollo\nbad-user,2020-01-02 03:04:05 UTC,99,apollo\n');
  const run = await cli(stack.dir, ['ingest', file, '--dataset', 'dailycheckin']);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/FAILED at test: QualityGateFailed: 2 of 2 rows rejected/);
  expect((await get('user=bad-user')).body.response).toEqual([]);
});

test('a missing user parameter is a 400 that says so', async () => {
  const { status, body } = await get('');
  expect(status).toBe(400);
  expect(body.error).toBe('invalid_user');
});

test('a run that fails at load is retried to success with one command, loading its rows exactly once', async () => {
  const sql = postgres(stack.info.databaseUrl, { max: 1 });
  const file = join(stack.dir, 'retry-me.csv');
  writeFileSync(file, 'user,timestamp,hours,project\nretry-user,2020-02-01 08:00:00 UTC,3,apollo\nretry-user,2020-02-02 08:00:00 UTC,4,apollo\n');
  let failed;
  // The cause: the table drifted from its contract while the file is loaded (a required column added by hand, which
  // the contract's rows cannot fill), so the load refuses it; dropping the column is the fix.
  await sql`ALTER TABLE daily_checkins ADD COLUMN approved_by text NOT NULL DEFAULT ''`;
  await sql`ALTER TABLE daily_checkins ALTER COLUMN approved_by DROP DEFAULT`;
  try {
    failed = await cli(stack.dir, ['ingest', file, '--dataset', 'dailycheckin', '--date', '2020-02-02']);
  } finally {
    await sql`ALTER TABLE daily_checkins DROP COLUMN approved_by`;
  }
  expect(failed.code).toBe(1);
  expect(failed.stderr).toMatch(/FAILED at load: .*daily_checkins/);
  expect(failed.stderr).toMatch(/approved_by/);
  const id = /ingestion (\S+)/.exec(failed.stdout)![1]!;

  const retried = await cli(stack.dir, ['retry', id]);
  expect(retried.stderr).toBe('');
  expect(retried.code).toBe(0);
  expect(retried.stdout).toMatch(/attempt 2 started/);

  expect((await get('user=retry-user')).body.response).toHaveLength(2);
  const [loaded] = await sql<Array<{ rows: number }>>`SELECT count(*)::int AS rows FROM daily_checkins WHERE ingestion_id = ${id}`;
  expect(loaded!.rows).toBe(2);
  await sql.end();

  const record = await runLog.get(id);
  expect(record!.summary).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
  expect(record!.attempts).toMatchObject([{ attempt: 1, status: 'FAILED', stage: 'load', cause: expect.stringMatching(/daily_checkins/) }]);
  const messages = await publishedAtLeast(stack.info, 2, (m) => m.ingestionId === id);
  expect(messages).toMatchObject([
    { event: 'INGESTION_FAILED', attempt: 1, stage: 'load', qualityReport: expect.stringMatching(/quality-report\.json$/) },
    { event: 'INGESTION_SUCCEEDED', attempt: 2, stages: { transform: { rowsIn: 2 }, load: { rowsOut: 2 } } },
  ]);
}, 900_000);

test('a business-date range is replayed with one command: planned first, recorded with who asked and why, re-run through the landing queue', async () => {
  const s3 = new S3Client({ endpoint: stack.info.awsEndpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'e2e-user', secretAccessKey: 'local' } });
  const rows = (day: string) => `user,timestamp,hours,project\nreplay-user,${day} 08:00:00 UTC,1,apollo\nreplay-user,${day} 09:00:00 UTC,2,apollo\n`;
  const originals = [];
  for (const day of ['2021-05-01', '2021-05-02']) {
    const key = `dailycheckin/${day}/replay me.csv`;
    const since = new Date().toISOString();
    const put = await s3.send(new PutObjectCommand({ Bucket: stack.info.landingBucket, Key: key, Body: rows(day) }));
    const original = await waitForIngestion(runLog, `s3://${stack.info.landingBucket}/${key}`, since);
    expect(original).toMatchObject({ status: 'SUCCEEDED', sourceVersion: put.VersionId });
    originals.push(original);
  }
  s3.destroy();
  const range = ['replay', '--dataset', 'dailycheckin', '--from', '2021-05-01', '--to', '2021-05-03'];
  const reason = 'timestamps were parsed in the wrong zone \u001b[2J';

  const dry = await cli(stack.dir, [...range, '--reason', reason, '--dry-run']);
  expect(dry.stderr).toBe('');
  expect(dry.code).toBe(0);
  for (const o of originals) expect(dry.stdout).toMatch(new RegExp(`${o.businessDate} +${o.sourceUri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +${o.sourceVersion} +${o.ingestionId} `));
  expect(dry.stdout).toContain('reason: timestamps were parsed in the wrong zone \\u{001b}[2J');
  expect(dry.stdout).toContain('no ingestion on: 2021-05-03');
  expect(dry.stdout).toContain('2 ingestions to replay, 0 not replayed');
  expect(dry.stdout).toContain('dry run: nothing recorded, nothing sent');
  const dryId = /^replay (\S+) of/m.exec(dry.stdout)![1]!;
  expect(await replayLogFor(stack.info).get('dailycheckin', dryId)).toBeUndefined();

  const done = await cli(stack.dir, [...range, '--reason', reason, '--json']);
  expect(done.stderr).toBe('');
  expect(done.code).toBe(0);
  const out = JSON.parse(done.stdout) as { replayId: string; replays: Array<{ ingestionId: string; replayOf: string }> };
  expect(out.replays.map((r) => r.replayOf)).toEqual(originals.map((o) => o.ingestionId));

  // Two new ingestions of the same versions, each naming what it replays, through admission to success.
  const deadline = Date.now() + 300_000;
  for (const [i, r] of out.replays.entries()) {
    let s = await runLog.getSummary(r.ingestionId);
    while (!s || !['SUCCEEDED', 'FAILED', 'REJECTED'].includes(s.status)) {
      if (Date.now() > deadline) throw new Error(`replay ingestion ${r.ingestionId}: ${s ? s.status : 'not recorded'} at the deadline`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      s = await runLog.getSummary(r.ingestionId);
    }
    expect(s).toMatchObject({ status: 'SUCCEEDED', replayOf: originals[i]!.ingestionId, replayId: out.replayId, businessDate: originals[i]!.businessDate, sourceVersion: originals[i]!.sourceVersion, sourceUri: originals[i]!.sourceUri });
  }
  // The replays' loads replaced the originals' rows: none twice.
  expect((await get('user=replay-user')).body.response).toHaveLength(4);

  const recorded = await replayLogFor(stack.info).get('dailycheckin', out.replayId);
  expect(recorded).toMatchObject({ from: '2021-05-01', to: '2021-05-03', versions: 'recorded', requestedBy: `local:${userInfo().username}`, reason, ingestions: out.replays.map(({ ingestionId, replayOf }) => ({ ingestionId, replayOf })), sentAt: expect.any(String) });

  // What the page reads (GET /ingestions/{id}) and what the CLI prints.
  const replayed = out.replays[0]!.ingestionId;
  const view = (await apiJson<{ summary: { replayOf: string }; replay: { requestedBy: string; reason: string; ingestionCount: number } }>(stack.info, `/ingestions/${replayed}`)).body;
  expect(view).toMatchObject({ summary: { replayOf: originals[0]!.ingestionId }, replay: { requestedBy: `local:${userInfo().username}`, reason, ingestionCount: 2 } });
  const status = await cli(stack.dir, ['status', replayed]);
  expect(status.stdout).toContain(`replay of  ${originals[0]!.ingestionId} (replay ${out.replayId} by local:${userInfo().username}`);
  expect(status.stdout).toContain('reason     timestamps were parsed in the wrong zone \\u{001b}[2J');
  const listed = await cli(stack.dir, ['runs', '--dataset', 'dailycheckin', '--limit', '100']);
  expect(listed.stdout.split('\n').filter((l) => l.includes(replayed))[0]).toContain(originals[0]!.ingestionId);

  // Bad input names the problem and sends nothing.
  const backwards = await cli(stack.dir, ['replay', '--dataset', 'dailycheckin', '--from', '2021-05-03', '--to', '2021-05-01', '--reason', 'x']);
  expect([backwards.code, backwards.stderr.split('\n')[0]]).toEqual([2, 'landing-etl: --from 2021-05-03 is after --to 2021-05-01: the range is empty']);
  const empty = await cli(stack.dir, ['replay', '--dataset', 'dailycheckin', '--from', '1999-01-01', '--to', '1999-01-02', '--reason', 'x']);
  expect([empty.code, empty.stderr.trim()]).toEqual([1, 'landing-etl: no ingestions of dailycheckin have business dates 1999-01-01 to 1999-01-02']);
}, 600_000);
