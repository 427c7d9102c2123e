import type { IngestionView, SummaryView } from '../../functions/shared/ingestion-view';
import { chartSeries, chartSummary, failure, freshnessText, ingestionRow, instant, isInFlight, isRunning, progress, replayFacts, retryOf, STATUSES, timeline, type DatasetEntry } from '../../functions/console/view-model';
import { INGESTION_STATUSES } from '../../functions/shared/run-log';

const summary = (over: Partial<SummaryView> = {}): SummaryView => ({
  ingestionId: 'dailycheckin-20261120-abc',
  ingestedID: 'dailycheckin-20261120-abc',
  dataset: 'dailycheckin',
  businessDate: '2026-11-20',
  sourceUri: 's3://landing/dailycheckin/2026-11-20/a.csv',
  status: 'FAILED',
  state: 'TEST',
  stage: 'test',
  attempt: 2,
  receivedAt: '2026-11-20T07:00:00.000Z',
  updatedAt: '2026-11-20T07:02:00.000Z',
  error: 'Glue job run FAILED',
  cause: 'QualityGateFailed: 2 of 3 rows rejected',
  rowsIn: 3,
  accepted: 1,
  rejected: 2,
  duplicateRows: 0,
  durationSeconds: 95,
  ...over,
});

test('an instant reads in UTC and in the browser’s zone, daylight saving included', () => {
  expect(instant('2026-07-01T12:00:00Z', 'Europe/London')).toEqual({ utc: '2026-07-01 12:00:00 UTC', local: '2026-07-01 13:00:00 Europe/London' });
  expect(instant('2026-12-01T12:00:00Z', 'America/New_York')).toEqual({ utc: '2026-12-01 12:00:00 UTC', local: '2026-12-01 07:00:00 America/New_York' });
  expect(instant('2026-12-01T12:00:00Z', 'UTC')).toEqual({ utc: '2026-12-01 12:00:00 UTC', local: null });
  expect(instant(undefined, 'UTC')).toBeNull();
});

test('a failed run names its stage, its reason and the command that retries it; a succeeded one none', () => {
  expect(failure(summary())).toEqual({ stage: 'test', reason: 'Glue job run FAILED: QualityGateFailed: 2 of 3 rows rejected' });
  expect(retryOf(summary(), '')).toBe('npx landing-etl retry dailycheckin-20261120-abc');
  expect(retryOf(summary(), '--stage prod --region eu-west-1')).toBe('npx landing-etl retry dailycheckin-20261120-abc --stage prod --region eu-west-1');
  expect(failure(summary({ status: 'SUCCEEDED' }))).toBeNull();
  expect(retryOf(summary({ status: 'REJECTED' }), '')).toBeNull();
});

test('a row of the list shows the counts the summary carries and leaves out what it does not', () => {
  expect(ingestionRow(summary())).toMatchObject({ failedStage: 'test', duration: '1 min 35 s', rowsIn: '3', accepted: '1', rejected: '2', duplicates: '0', attempts: '2' });
  expect(ingestionRow(summary({ status: 'RUNNING', rowsIn: undefined, accepted: undefined, durationSeconds: null }))).toMatchObject({ failedStage: '', rowsIn: '', accepted: '', duration: '' });
});

test("the page's statuses are the run log's", () => {
  expect([...STATUSES]).toEqual([...INGESTION_STATUSES]);
});

test('a queued ingestion is waiting, with since when, followed live but not running', () => {
  const queued = summary({ status: 'QUEUED', state: 'QUEUED', stage: undefined, queuedAt: '2026-11-20T07:00:05.000Z', durationSeconds: null });
  expect(progress(queued)).toEqual({ text: 'waiting for an admission slot since', since: '2026-11-20T07:00:05.000Z' });
  expect([isRunning(queued), isInFlight(queued)]).toEqual([false, true]);
  expect(ingestionRow(queued)).toMatchObject({ status: 'QUEUED', waitingSince: '2026-11-20T07:00:05.000Z', failedStage: '' });
  expect(progress(summary({ status: 'RUNNING', state: 'LOAD' }))).toEqual({ text: 'at LOAD', since: null });
  expect([progress(summary()), ingestionRow(summary()).waitingSince, isInFlight(summary())]).toEqual([null, null, false]);
});

test("a replay's ingestion names what it re-runs and who asked for the replay and why, control characters escaped", () => {
  const replayed = summary({ status: 'SUCCEEDED', replayOf: 'dailycheckin-20261120-old', replayId: '20261207T203000Z-0a1b2c3d' });
  const replay = { replayId: '20261207T203000Z-0a1b2c3d', dataset: 'dailycheckin', from: '2026-11-20', to: '2026-11-21', versions: 'recorded' as const, requestedBy: 'local:ana', reason: 'tz fix \u001b[31m', requestedAt: '2026-12-07T20:30:00.000Z', ingestionCount: 2 };
  expect(replayFacts(replayed, replay)).toEqual({
    replayOf: 'dailycheckin-20261120-old',
    replayId: '20261207T203000Z-0a1b2c3d',
    requestedBy: 'local:ana',
    requestedAt: '2026-12-07T20:30:00.000Z',
    reason: 'tz fix \\u{001b}[31m',
    range: '2026-11-20 to 2026-11-21, the versions ingested, 2 ingestions',
  });
  expect(ingestionRow(replayed).replayOf).toBe('dailycheckin-20261120-old');
  expect(replayFacts(summary(), replay)).toBeNull();
});

test('the timeline lists earlier attempts first, each stage with its cost and logs', () => {
  const stage = { stage: 'transform' as const, status: 'SUCCEEDED' as const, attempt: 1, durationSeconds: 12, costUsd: 0.014667, dpuSeconds: 24, glueRunId: 'jr_1', logs: { output: 'o', error: 'e' } };
  const view: IngestionView = {
    summary: summary(),
    stages: [{ ...stage, attempt: 2, glueRunId: 'jr_2' }, { stage: 'test', status: 'FAILED', attempt: 2, durationSeconds: 3, error: 'E', cause: 'C' }],
    attempts: [{ attempt: 1, status: 'FAILED', state: 'TRANSFORM', durationSeconds: 5, stages: [{ ...stage, status: 'FAILED', error: 'X', cause: 'Y' }] }],
  };
  expect(timeline(view).map((s) => [s.attempt, s.stage, s.status, s.glueRunId, s.cost, s.error])).toEqual([
    [1, 'transform', 'FAILED', 'jr_1', '$0.0147', 'X: Y'],
    [2, 'transform', 'SUCCEEDED', 'jr_2', '$0.0147', ''],
    [2, 'test', 'FAILED', '', '', 'E: C'],
  ]);
});

test('a dataset’s freshness and charts read from its entry of GET /datasets', () => {
  const days = [
    { date: '2026-11-28', runs: 1, rowsLoaded: 990, rowsRejected: 10, rejectRate: 0.01, costUsd: 0.044 },
    { date: '2026-11-29', runs: 0, rowsLoaded: 0, rowsRejected: 0, rejectRate: 0, costUsd: 0 },
  ];
  const entry: DatasetEntry = {
    name: 'dailycheckin',
    description: null,
    schedule: { due: '06:00', timeZone: 'Europe/London', graceMinutes: 60 } as DatasetEntry['schedule'],
    freshness: { status: 'missing', businessDate: '2026-11-28', dueAt: '2026-11-29T06:00:00.000Z', minutesSinceSuccess: 1570 },
    lastSuccess: null,
    lastRun: null,
    days,
  };
  expect(freshnessText(entry)).toBe('missing for 2026-11-28 · last success 26 h 10 min ago');
  expect(chartSeries(days)).toEqual({ x: [Date.UTC(2026, 10, 28) / 1000, Date.UTC(2026, 10, 29) / 1000], rowsLoaded: [990, 0], rejectPercent: [1, 0], costUsd: [0.044, 0] });
  expect(chartSummary(days)).toBe('2 days: 990 rows loaded, 10 rejected, runs on 1 days, $0.0440 in Glue cost');
});
