import { jest } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { IngestionRecord, RunLog } from '../../functions/shared/run-log';
import { land, waitForIngestion } from '../support/landing';
import { runLogFor } from '../../local/client';
import { startLocalStack, type RunningStack } from '../support/local-stack';
import { CASES, type BadInputCase } from './bad-input-cases';
import { apiFetch } from '../support/api';

jest.setTimeout(900_000);

let stack: RunningStack;
let runLog: RunLog;
let sql: postgres.Sql;

beforeAll(async () => {
  // The project's contracts plus a hard-mode twin of dailycheckin, for the one-bad-row-in-a-million case.
  const datasets = mkdtempSync(join(tmpdir(), 'landing-etl-datasets-'));
  const contract = JSON.parse(readFileSync('datasets/dailycheckin.json', 'utf8'));
  writeFileSync(join(datasets, 'dailycheckin.json'), JSON.stringify(contract));
  writeFileSync(join(datasets, 'dailycheckin_hard.json'), JSON.stringify({ ...contract, name: 'dailycheckin_hard', quality: { ...contract.quality, mode: 'hard' } }));
  // A twin that takes files of at most 1 MiB of CSV, for the decompression bombs.
  writeFileSync(join(datasets, 'dailycheckin_capped.json'), JSON.stringify({ ...contract, name: 'dailycheckin_capped', max_bytes: 1 << 20 }));
  // A twin that pseudonymises the user: the transform job reads the privacy key from its secret.
  const hashed = contract.columns.map((c: { name: string }) => (c.name === 'user' ? { ...c, privacy: 'hash' } : c));
  writeFileSync(join(datasets, 'dailycheckin_private.json'), JSON.stringify({ ...contract, name: 'dailycheckin_private', columns: hashed }));
  stack = await startLocalStack({ env: { LANDING_ETL_DATASETS_DIR: datasets } });
  runLog = runLogFor(stack.info);
  sql = postgres(stack.info.databaseUrl, { max: 2 });
});

afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const key = (c: BadInputCase) => `${c.dataset ?? 'dailycheckin'}/bad-input/${c.name}${c.ext ?? '.csv'}`;

const landCase = (c: BadInputCase) => land(stack.info, key(c), c.body);

async function outcomeOf(c: BadInputCase, since: string, deadlineMs: number): Promise<IngestionRecord> {
  const summary = await waitForIngestion(runLog, `s3://${stack.info.landingBucket}/${key(c)}`, since, undefined, deadlineMs);
  return (await runLog.get(summary.ingestionId))!;
}

test(`every kind of bad input (${CASES.length} cases) ends as expected and leaves stored rows untouched`, async () => {
  const before = await sql`SELECT * FROM daily_checkins ORDER BY id`;
  expect(before.length).toBeGreaterThan(0); // the bundled sample

  const since = new Date().toISOString();
  for (const c of CASES) landCase(c);
  const results = await Promise.all(CASES.map(async (c) => [c, await outcomeOf(c, since, 600_000)] as const));

  const failures: string[] = [];
  for (const [c, record] of results) {
    const { summary, stages } = record;
    const describe = `${summary.status} at ${summary.state}: ${summary.cause ?? ''}`.slice(0, 300);
    const e = c.expect;
    if ('rejected' in e) {
      if (summary.status !== 'REJECTED' || !e.rejected.test(summary.cause ?? '')) failures.push(`${c.name}: expected rejection ${e.rejected}, got ${describe}`);
    } else if ('failedAt' in e) {
      if (summary.status !== 'FAILED' || summary.state.toLowerCase() !== e.failedAt || !e.cause.test(summary.cause ?? '')) {
        failures.push(`${c.name}: expected FAILED at ${e.failedAt} ${e.cause}, got ${describe}`);
      }
    } else {
      const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM daily_checkins WHERE source_object = ${summary.sourceUri}`;
      const n = count!.n;
      const rejected = (stages.find((s) => s.stage === 'test')?.metrics?.rejectedByRule ?? {}) as Record<string, number>;
      if (summary.status !== 'SUCCEEDED' || n !== e.loaded) failures.push(`${c.name}: expected ${e.loaded} rows loaded, got ${n} (${describe})`);
      const sorted = (o: Record<string, number>) => JSON.stringify(Object.entries(o).filter(([, n]) => n).sort());
      if (e.quarantined && sorted(rejected) !== sorted(e.quarantined)) {
        failures.push(`${c.name}: expected quarantined ${JSON.stringify(e.quarantined)}, got ${JSON.stringify(rejected)}`);
      }
    }
    for (const user of c.users ?? []) {
      const res = await apiFetch(stack.info, `/get?user=${encodeURIComponent(user)}`);
      const body = (await res.json()) as { response: Array<{ user: string }> };
      if (res.status !== 200 || body.response.length === 0 || body.response.some((r) => r.user !== user)) {
        failures.push(`${c.name}: GET /get?user=${user} → ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
    }
  }
  expect(failures).toEqual([]);

  // Nothing already stored was changed by any of it.
  const after = await sql`SELECT * FROM daily_checkins WHERE id <= ${before.at(-1)!.id} ORDER BY id`;
  expect(after).toEqual(before);
});

test('one bad row in a million in hard mode halts at test, with that row written to the rejected rows and nothing loaded', async () => {
  const rows = 1_000_000;
  const lines = ['user,timestamp,hours,project'];
  for (let i = 0; i < rows; i++) {
    const ts = new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(i === 654_321 ? `u-million-${i % 1000},${ts} UTC,twelve,apollo` : `u-million-${i % 1000},${ts} UTC,1.5,apollo`);
  }
  const c: BadInputCase = { name: 'one-in-a-million', dataset: 'dailycheckin_hard', body: Buffer.from(`${lines.join('\n')}\n`), expect: { loaded: 0 } };
  const since = new Date().toISOString();
  landCase(c);
  const { summary, stages } = await outcomeOf(c, since, 600_000);
  expect(summary).toMatchObject({ status: 'FAILED', state: 'TEST' });
  expect(summary.cause).toMatch(/hard mode: 1 of 1000000 rows rejected/);
  expect(stages.find((s) => s.stage === 'test')?.metrics).toMatchObject({ rejected: 1, rejectedByRule: { 'hours.format': 1 } });
  const rejectedDir = join(stack.info.dataFolder!, 'staging', 'dailycheckin_hard', summary.ingestionId, `attempt-${summary.attempt}`, 'rejected');
  expect(existsSync(rejectedDir) && readdirSync(rejectedDir).some((f) => f.endsWith('.parquet'))).toBe(true);
  const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM daily_checkins WHERE source_object = ${summary.sourceUri}`;
  expect(count!.n).toBe(0);
});

test('a contract that hashes a column loads the keyed pseudonym (the key read from its secret), never the name', async () => {
  const since = new Date().toISOString();
  const sourceUri = land(stack.info, 'dailycheckin_private/2021-05-01/private.csv', 'user,timestamp,hours,project\nprivate-person,2021-05-01 10:00:00 UTC,2,apollo\n');
  const summary = await waitForIngestion(runLog, sourceUri, since, undefined, 300_000);
  expect(summary.status).toBe('SUCCEEDED');
  const pseudonym = createHmac('sha256', readFileSync(join(stack.dir, 'privacy-key'), 'utf8').trim()).update('private-person').digest('hex');
  expect(await sql`SELECT username FROM daily_checkins WHERE source_object = ${sourceUri}`).toEqual([{ username: pseudonym }]);
});
