import { jest } from '@jest/globals';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContracts, type DatasetContract } from '../../functions/shared/contracts';
import { DatasetLog } from '../../functions/shared/dataset-log';
import { datasetsView, type DatasetsView, type DayFigures } from '../../functions/shared/datasets-view';
import { startHttpApi, type HttpHandler } from '../../local/http-api';
import { startRunLogTable } from '../support/run-log-table';

jest.setTimeout(60_000);

let runLog: Awaited<ReturnType<typeof startRunLogTable>>;
let doc: Awaited<ReturnType<typeof startRunLogTable>>['doc'];
let table: string;
let log: DatasetLog;

beforeAll(async () => {
  runLog = await startRunLogTable();
  ({ doc, table, log } = runLog);
});

afterAll(() => runLog.stop());

interface Run {
  id: string;
  dataset: string;
  businessDate: string;
  receivedAt: string;
  status: 'SUCCEEDED' | 'FAILED' | 'REJECTED' | 'RUNNING';
  endedAt?: string;
  stage?: string;
  error?: string;
  costUsd?: number;
  /** The counts the Glue jobs copy onto the summary. */
  rowsIn?: number;
  accepted?: number;
  rejected?: number;
  rowsLoaded?: number;
  /** Per stage: its metrics and cost. */
  stages?: Record<string, { metrics: Record<string, number>; costUsd?: number }>;
}

/** An ingestion as the executor, the state machine and the Glue jobs leave it in the run log. */
async function putRun(run: Run) {
  const { id, stages = {}, ...rest } = run;
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: `ING#${id}`,
        sk: 'SUMMARY',
        ingestionId: id,
        ingestedID: id,
        sourceUri: `s3://landing/${run.dataset}/${run.businessDate}/${id}.csv`,
        state: run.status,
        attempt: 1,
        updatedAt: run.endedAt ?? run.receivedAt,
        datasetKey: run.dataset,
        recentKey: `${run.receivedAt}#${id}`,
        objectKey: `s3://landing/${run.dataset}/${run.businessDate}/${id}.csv`,
        ...rest,
      },
    }),
  );
  for (const [stage, s] of Object.entries(stages)) {
    await doc.send(new PutCommand({ TableName: table, Item: { pk: `ING#${id}`, sk: `STAGE#${stage}`, stage, status: 'SUCCEEDED', attempt: 1, ...s } }));
  }
}

/** The 30 days from `first`, each with no runs but those given. */
function thirtyDaysFrom(first: string, withRuns: DayFigures[]): DayFigures[] {
  return Array.from({ length: 30 }, (_, i) => {
    const date = new Date(Date.parse(`${first}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
    return withRuns.find((d) => d.date === date) ?? { date, runs: 0, rowsLoaded: 0, rowsRejected: 0, rejectRate: 0, costUsd: 0 };
  });
}

const dailycheckin = loadContracts('datasets').get('dailycheckin')!;
const unscheduled: DatasetContract = { name: 'unscheduled', target: { table: 'u' }, quality: { mode: 'soft' } };

test('GET /datasets data: freshness against the schedule, last success and run, and 30 days of daily figures', async () => {
  // dailycheckin's file for D is due at 06:00 London on D+1 (GMT in November), missing after 60 minutes' grace.
  await putRun({
    id: 'on-time',
    dataset: 'dailycheckin',
    businessDate: '2026-11-27',
    receivedAt: '2026-11-28T05:10:00.000Z',
    endedAt: '2026-11-28T05:20:00.000Z',
    status: 'SUCCEEDED',
    stages: {
      transform: { metrics: { rowsIn: 100, rowsOut: 100 }, costUsd: 0.01 },
      test: { metrics: { rowsIn: 100, accepted: 95, rejected: 5 }, costUsd: 0.02 },
      load: { metrics: { rowsIn: 95, rowsOut: 95 }, costUsd: 0.03 },
    },
  });
  await putRun({
    id: 'late-and-failed',
    dataset: 'dailycheckin',
    businessDate: '2026-11-28',
    receivedAt: '2026-11-29T08:30:00.000Z',
    endedAt: '2026-11-29T08:40:00.000Z',
    status: 'FAILED',
    stage: 'test',
    error: 'QualityGateFailed',
    costUsd: 0.5,
    stages: { test: { metrics: { rowsIn: 50, accepted: 10, rejected: 40 } } },
  });
  await putRun({ id: 'rejected', dataset: 'dailycheckin', businessDate: '2026-11-28', receivedAt: '2026-11-29T09:00:00.000Z', status: 'REJECTED', error: 'Rejected' });
  await putRun({
    id: 'long-ago',
    dataset: 'dailycheckin',
    businessDate: '2026-09-30',
    receivedAt: '2026-10-01T05:00:00.000Z',
    endedAt: '2026-10-01T05:10:00.000Z',
    status: 'SUCCEEDED',
    stages: { load: { metrics: { rowsOut: 1000 } } },
  });
  // The other dataset's one run lands on the day of two of dailycheckin's, so a figure of either counted in the
  // other's shows.
  await putRun({
    id: 'unscheduled-failed',
    dataset: 'unscheduled',
    businessDate: '2026-11-29',
    receivedAt: '2026-11-29T10:00:00.000Z',
    endedAt: '2026-11-29T10:05:00.000Z',
    status: 'FAILED',
    stage: 'load',
    error: 'LoadFailed',
    stages: {
      test: { metrics: { rowsIn: 20, accepted: 19, rejected: 1 }, costUsd: 0.03 },
      load: { metrics: { rowsIn: 19, rowsOut: 0 }, costUsd: 0.04 },
    },
  });

  const now = new Date('2026-11-29T21:30:00.000Z');
  const view = await datasetsView(new Map([['dailycheckin', dailycheckin], ['unscheduled', unscheduled]]), log, now);

  expect(view.generatedAt).toBe(now.toISOString());
  expect(view.datasets).toEqual([
    {
      name: 'dailycheckin',
      description: 'Daily time check-ins: who worked how many hours on which project, and when.',
      schedule: { every: 'day', due: '06:00', timeZone: 'Europe/London', graceMinutes: 60, businessDate: 'previous day' },
      // The 2026-11-28 file came at 08:30, after its 07:00 deadline: late by 150 minutes from its 06:00 due time.
      // Its last success ended at 05:20 on the 28th, 2410 minutes before now.
      freshness: { status: 'late', businessDate: '2026-11-28', dueAt: '2026-11-29T06:00:00.000Z', lateByMinutes: 150, minutesSinceSuccess: 2410 },
      lastSuccess: { ingestionId: 'on-time', businessDate: '2026-11-27', endedAt: '2026-11-28T05:20:00.000Z' },
      lastRun: { ingestionId: 'rejected', status: 'REJECTED', stage: null, error: 'Rejected', endedAt: null },
      // 30 UTC days ending today; 'long-ago' (1 October) is outside them.
      days: thirtyDaysFrom('2026-10-31', [
        { date: '2026-11-28', runs: 1, rowsLoaded: 95, rowsRejected: 5, rejectRate: 0.05, costUsd: 0.06 },
        // A failed run loads nothing; its rejected rows and its recorded cost still count. The rejected object counts
        // as a run with no figures.
        { date: '2026-11-29', runs: 2, rowsLoaded: 0, rowsRejected: 40, rejectRate: 0.8, costUsd: 0.5 },
      ]),
    },
    {
      name: 'unscheduled',
      description: null,
      schedule: null,
      freshness: { status: 'unscheduled', businessDate: null, dueAt: null, minutesSinceSuccess: null },
      lastSuccess: null,
      lastRun: { ingestionId: 'unscheduled-failed', status: 'FAILED', stage: 'load', error: 'LoadFailed', endedAt: '2026-11-29T10:05:00.000Z' },
      // 1 of the 20 rows tested rejected; the cost is its stages' (0.03 + 0.04).
      days: thirtyDaysFrom('2026-10-31', [{ date: '2026-11-29', runs: 1, rowsLoaded: 0, rowsRejected: 1, rejectRate: 0.05, costUsd: 0.07 }]),
    },
  ]);
});

test('a run whose summary carries its counts (as the Glue jobs now write them) is figured from the index alone', async () => {
  const contract: DatasetContract = { name: 'summarised', target: { table: 's' }, quality: { mode: 'soft' } };
  // No stage items: the counts and cost on the summary are all the view may use.
  await putRun({
    id: 'summarised-1',
    dataset: 'summarised',
    businessDate: '2026-11-28',
    receivedAt: '2026-11-29T05:00:00.000Z',
    endedAt: '2026-11-29T05:05:00.000Z',
    status: 'SUCCEEDED',
    rowsIn: 200,
    accepted: 190,
    rejected: 10,
    rowsLoaded: 190,
    costUsd: 0.25,
  });
  const view = await datasetsView(new Map([['summarised', contract]]), log, new Date('2026-11-29T21:30:00.000Z'));
  expect(view.datasets[0]!.days.at(-1)).toEqual({ date: '2026-11-29', runs: 1, rowsLoaded: 190, rowsRejected: 10, rejectRate: 0.05, costUsd: 0.25 });
});

test('a dataset with no success in the 30 days still shows its last one, from before them', async () => {
  await putRun({ id: 'quiet-old', dataset: 'quiet', businessDate: '2026-09-01', receivedAt: '2026-09-02T05:00:00.000Z', endedAt: '2026-09-02T05:30:00.000Z', status: 'SUCCEEDED' });
  await putRun({ id: 'quiet-failed', dataset: 'quiet', businessDate: '2026-09-02', receivedAt: '2026-09-03T05:00:00.000Z', endedAt: '2026-09-03T05:30:00.000Z', status: 'FAILED' });
  const quiet: DatasetContract = { name: 'quiet', target: { table: 'q' }, quality: { mode: 'soft' } };
  const now = new Date('2026-11-29T21:30:00.000Z');
  const [view] = (await datasetsView(new Map([['quiet', quiet]]), log, now)).datasets;
  expect(view!.lastSuccess).toEqual({ ingestionId: 'quiet-old', businessDate: '2026-09-01', endedAt: '2026-09-02T05:30:00.000Z' });
  expect(view!.freshness.minutesSinceSuccess).toBe((Date.parse('2026-11-29T21:30:00Z') - Date.parse('2026-09-02T05:30:00Z')) / 60_000);
  // The window's figures and last run cover the 30 days only.
  expect(view!.lastRun).toBeNull();
  expect(view!.days.every((d) => d.runs === 0)).toBe(true);
});

test('the ingestions function answers GET /datasets for every contract it ships, with the same data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-datasets-'));
  writeFileSync(join(dir, 'viewed.json'), readFileSync('datasets/dailycheckin.json', 'utf8').replace('"dailycheckin"', '"viewed"'));
  const now = new Date();
  await putRun({
    id: 'viewed-today',
    dataset: 'viewed',
    businessDate: '2020-01-01',
    receivedAt: new Date(now.getTime() - 1_000).toISOString(),
    endedAt: now.toISOString(),
    status: 'SUCCEEDED',
    stages: { test: { metrics: { rowsIn: 4, rejected: 1 } }, load: { metrics: { rowsOut: 3 } } },
  });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: runLog.endpoint,
    RUN_LOG_TABLE: table,
    DATA_BUCKET: 'data',
    DATASETS_DIR: dir,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const { handler } = (await import('../../functions/ingestions/handler')) as unknown as { handler: HttpHandler };
  const http = await startHttpApi([{ routeKey: 'GET /datasets', handler }], 0, () => true);
  try {
    const res = await fetch(`${http.url}/datasets`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as DatasetsView;
    expect(body.datasets.map((d) => d.name)).toEqual(['viewed']);
    const [viewed] = body.datasets;
    expect(viewed!.lastSuccess).toMatchObject({ ingestionId: 'viewed-today', businessDate: '2020-01-01' });
    expect(viewed!.freshness.minutesSinceSuccess).toBeLessThanOrEqual(1);
    // Its file for 2020 says nothing about the latest business date due.
    expect(['awaiting', 'missing']).toContain(viewed!.freshness.status);
    expect(viewed!.days.at(-1)).toMatchObject({ date: now.toISOString().slice(0, 10), runs: 1, rowsLoaded: 3, rowsRejected: 1, rejectRate: 0.25 });
  } finally {
    await http.stop();
  }
});
