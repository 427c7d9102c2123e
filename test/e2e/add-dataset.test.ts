import { jest } from '@jest/globals';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { cli, startLocalStack, type RunningStack } from '../support/local-stack';

jest.setTimeout(900_000);

// docs/datasets.md "Add a dataset", step by step, with a throwaway contract written here. The one difference from the doc:
// the contract goes into a copy of datasets/ (LANDING_ETL_DATASETS_DIR), not into the repository, so that this test
// does not change the package every other test runs; `npm start` packaging datasets/*.json is what the doc's
// first start does, and test/e2e/datasets.test.ts runs the packaged cafe_transactions contract.
const COMPLAINTS = {
  $schema: './contract.schema.json',
  name: 'council_complaints',
  description: 'Complaints a council receives: reference, when, what about, resolved or not.',
  columns: [
    { name: 'Reference', type: 'integer', target: 'reference', rules: [{ check: 'required' }] },
    { name: 'Received', type: 'date', formats: [{ pattern: 'dd.MM.yyyy' }], target: 'received_on', rules: [{ check: 'required' }] },
    { name: 'Logged', type: 'timestamp', formats: ['epoch_seconds'], target: 'logged_at' },
    { name: 'Category', type: 'string', target: 'category', rules: [{ check: 'allowed', values: ['noise', 'litter', 'potholes'] }] },
    { name: 'Resolved', type: 'boolean', true_values: ['ja'], false_values: ['nein'], target: 'resolved' },
    { name: 'Postcode', type: 'string', max_length: 8, target: 'postcode' },
    { name: 'Complainant', type: 'string', privacy: 'drop' },
  ],
  dedup: { columns: ['reference'] },
  target: { table: 'council_complaints', indexes: [{ columns: ['received_on desc'] }] },
  quality: { mode: 'soft', max_reject_ratio: 0.5 },
};

let stack: RunningStack;
let datasets: string;
let sql: postgres.Sql;

beforeAll(async () => {
  datasets = mkdtempSync(join(tmpdir(), 'landing-etl-add-dataset-'));
  for (const f of readdirSync('datasets')) copyFileSync(join('datasets', f), join(datasets, f));
  // Step 1: write the contract.
  writeFileSync(join(datasets, 'council_complaints.json'), JSON.stringify(COMPLAINTS, null, 2));
  // Step 2: start the stack.
  stack = await startLocalStack({ env: { LANDING_ETL_DATASETS_DIR: datasets } });
  sql = postgres(stack.info.databaseUrl, { max: 1 });
});

afterAll(async () => {
  await sql?.end();
  expect(await stack?.stop()).toBe(0);
});

const ingest = (name: string, body: string) => {
  const file = join(stack.dir, name);
  writeFileSync(file, body);
  return cli(stack.dir, ['ingest', file, '--dataset', 'council_complaints', '--date', '2026-11-29']);
};

test('a new contract and a dropped file give served rows in a table the load created, with no code change', async () => {
  // Step 3: drop a file.
  const run = await ingest(
    'complaints.csv',
    'Reference,Received,Logged,Category,Resolved,Postcode,Complainant\n' +
      '1001,03.11.2026,1793692800,noise,ja,SW1A 1AA,Jane Roe\n' +
      '1002,04.11.2026,1793779200,litter,nein,E1 6AN,John Doe\n' +
      '1003,31.11.2026,1793779200,potholes,nein,N1 9GU,Ann Other\n',
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/load\s+SUCCEEDED/);
  const id = /ingestion (\S+)/.exec(run.stdout)![1]!;

  // Step 4: its run in the run log.
  const runs = await cli(stack.dir, ['runs', '--dataset', 'council_complaints']);
  expect(runs.code).toBe(0);
  expect(runs.stdout).toContain(id);
  expect(runs.stdout).toMatch(/SUCCEEDED/);

  // Step 5: its rows in PostgreSQL: typed, the impossible date refused, the complainant never loaded.
  const rows = await sql`
    SELECT reference, received_on::text AS received_on, logged_at, category, resolved, postcode
    FROM council_complaints ORDER BY reference`;
  expect(rows.map((r) => ({ ...r, logged_at: (r.logged_at as Date).toISOString() }))).toEqual([
    { reference: '1001', received_on: '2026-11-03', logged_at: '2026-11-03T08:00:00.000Z', category: 'noise', resolved: true, postcode: 'SW1A 1AA' },
    { reference: '1002', received_on: '2026-11-04', logged_at: '2026-11-04T08:00:00.000Z', category: 'litter', resolved: false, postcode: 'E1 6AN' },
  ]);
  const columns = await sql<Array<{ column_name: string; data_type: string }>>`
    SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'council_complaints' ORDER BY ordinal_position`;
  expect(columns.map((c) => `${c.column_name} ${c.data_type}`)).toEqual([
    'id bigint',
    'reference bigint',
    'received_on date',
    'logged_at timestamp with time zone',
    'category text',
    'resolved boolean',
    'postcode character varying',
    'ingestion_id text',
    'source_object text',
    'source_version text',
    'source_line integer',
    'loaded_at timestamp with time zone',
  ]);
});

test('docs/datasets.md "Evolve a dataset": a column added to the contract stops the load naming it until the migration adds it, and no row is lost', async () => {
  writeFileSync(
    join(datasets, 'council_complaints.json'),
    JSON.stringify({ ...COMPLAINTS, columns: [...COMPLAINTS.columns, { name: 'Ward', type: 'string', max_length: 40, target: 'ward' }] }),
  );
  const failed = await ingest(
    'complaints-with-ward.csv',
    'Reference,Received,Logged,Category,Resolved,Postcode,Complainant,Ward\n2001,05.11.2026,1793865600,noise,nein,SE1 7PB,A Person,Bankside\n',
  );
  expect(failed.code).toBe(1);
  expect(failed.stderr).toMatch(/FAILED at load: .*table council_complaints does not match the contract .*column ward \(character varying\(40\)\) is missing/);
  expect((await sql`SELECT count(*)::int AS n FROM council_complaints`)[0]!.n).toBe(2);

  // The migration the doc shows (migrations/NNN_council_complaints_ward.sql), then a retry of the failed run.
  await sql`ALTER TABLE council_complaints ADD COLUMN ward varchar(40)`;
  const id = /ingestion (\S+)/.exec(failed.stdout)![1]!;
  const retried = await cli(stack.dir, ['retry', id]);
  expect(retried.stderr).toBe('');
  expect(retried.code).toBe(0);
  expect(await sql`SELECT reference, ward FROM council_complaints ORDER BY reference`).toEqual([
    { reference: '1001', ward: null },
    { reference: '1002', ward: null },
    { reference: '2001', ward: 'Bankside' },
  ]);
});
