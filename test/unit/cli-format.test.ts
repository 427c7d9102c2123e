import { formatIngestion, formatRuns } from '../../cli/format';
import type { IngestionView, SummaryView } from '../../functions/shared/ingestion-view';

const summary = (over: Partial<SummaryView> = {}): SummaryView => ({
  ingestionId: 'dailycheckin-20261120-abc',
  ingestedID: 'dailycheckin-20261120-abc',
  dataset: 'dailycheckin',
  businessDate: '2026-11-20',
  sourceUri: 's3://landing/dailycheckin/2026-11-20/a.csv',
  status: 'SUCCEEDED',
  state: 'DONE',
  attempt: 1,
  receivedAt: '2026-11-20T07:00:00.000Z',
  updatedAt: '2026-11-20T07:02:00.000Z',
  durationSeconds: null,
  ...over,
});
const queued = summary({ status: 'QUEUED', state: 'QUEUED', queuedAt: '2026-11-20T07:00:05.123Z' });

test('a queued ingestion reads as waiting for a slot since when, in status and in the list', () => {
  expect(formatIngestion({ summary: queued, stages: [], attempts: [] }, '')).toContain('status     QUEUED waiting for an admission slot since 2026-11-20 07:00:05Z, attempt 1');
  expect(formatRuns([queued])).toMatch(/QUEUED +waiting since 2026-11-20 07:00:05Z +1 /);
  expect(formatIngestion({ summary: summary({ status: 'RUNNING', state: 'LOAD' }), stages: [], attempts: [] }, '')).toContain('status     RUNNING at LOAD, attempt 1');
});

test("a replay's ingestion shows what it re-runs, who asked and why (escaped); the list names what it replays", () => {
  const replayed = summary({ replayOf: 'dailycheckin-20261120-old', replayId: '20261207T203000Z-0a1b2c3d' });
  const view: IngestionView = {
    summary: replayed,
    stages: [],
    attempts: [],
    replay: { replayId: '20261207T203000Z-0a1b2c3d', dataset: 'dailycheckin', from: '2026-11-20', to: '2026-11-21', versions: 'recorded', requestedBy: 'local:ana', reason: 'tz fix\u001b[2J', requestedAt: '2026-12-07T20:30:00.000Z', ingestionCount: 2 },
  };
  const text = formatIngestion(view, '');
  expect(text).toContain('replay of  dailycheckin-20261120-old (replay 20261207T203000Z-0a1b2c3d by local:ana at 2026-12-07 20:30:00Z, 2026-11-20 to 2026-11-21)');
  expect(text).toContain('reason     tz fix\\u{001b}[2J');
  expect(text).not.toContain('\u001b');
  expect(formatRuns([replayed, summary()]).split('\n').map((l) => l.includes('dailycheckin-20261120-old'))).toEqual([false, true, false]);
});
