import { ingestLandedObject, type ExecutionInput, type IngestionPorts } from '../../functions/executor/ingest';
import type { NewIngestion } from '../../functions/shared/run-log';
import type { LandedObject } from '../../functions/executor/s3-event';
import { parseS3Event } from '../../functions/executor/s3-event';

function fakePorts() {
  const recorded: NewIngestion[] = [];
  const started = new Map<string, ExecutionInput>();
  const alerts: Array<{ subject: string; message: Record<string, unknown> }> = [];
  const ports: IngestionPorts = {
    contracts: new Map([['dailycheckin', { name: 'dailycheckin', target: { table: 'daily_checkins' }, quality: { mode: 'soft' } }]]),
    dataBucket: 'data',
    now: () => new Date('2026-11-21T10:00:00Z'),
    record: async (i) => {
      const fresh = !recorded.some((r) => r.ingestionId === i.ingestionId);
      recorded.push(i);
      return fresh;
    },
    start: async (name, input) => {
      if (started.has(name)) return 'duplicate';
      started.set(name, input);
      return 'started';
    },
    alert: async (subject, message) => void alerts.push({ subject, message }),
  };
  return { ports, recorded, started, alerts };
}

const landed = (key: string, size = 100): LandedObject => ({
  bucket: 'landing',
  key,
  size,
  versionId: 'v1',
  eventTime: new Date('2026-11-21T09:00:00Z'),
});

test('starts one run with everything the stages need', async () => {
  const { ports, started } = fakePorts();
  const outcome = await ingestLandedObject(landed('dailycheckin/2024-01-15/a.csv'), ports);
  expect(outcome.outcome).toBe('started');
  const input = started.get((outcome as { ingestionId: string }).ingestionId)!;
  expect(input).toMatchObject({
    dataset: 'dailycheckin',
    businessDate: '2024-01-15',
    source: { bucket: 'landing', key: 'dailycheckin/2024-01-15/a.csv', versionId: 'v1', uri: 's3://landing/dailycheckin/2024-01-15/a.csv' },
    qualityMode: 'soft',
  });
  expect(input.stagingUri).toBe(`s3://data/staging/dailycheckin/${input.ingestionId}`);
});

test('a second delivery of the same event is a duplicate, not a second run', async () => {
  const { ports, started } = fakePorts();
  await ingestLandedObject(landed('dailycheckin/a.csv'), ports);
  const second = await ingestLandedObject(landed('dailycheckin/a.csv'), ports);
  expect(second.outcome).toBe('duplicate');
  expect(started.size).toBe(1);
});

test.each([
  ['dailycheckin/a.json', 100, /is not a \.csv or \.csv\.gz file/],
  ['dailycheckin/a.csv', 0, /is empty \(0 bytes\)/],
  ['payroll/a.csv', 100, /no dataset contract for "payroll".*known datasets: dailycheckin/],
  ['a.csv', 100, /no dataset contract.*known datasets: dailycheckin/],
])('rejects %s (size %d) with a reason in the run log and an alert', async (key, size, reason) => {
  const { ports, recorded, started, alerts } = fakePorts();
  const outcome = await ingestLandedObject(landed(key, size), ports);
  expect(outcome.outcome).toBe('rejected');
  expect(started.size).toBe(0);
  expect(recorded[0]).toMatchObject({ status: 'REJECTED' });
  expect(recorded[0]!.cause).toMatch(reason);
  expect(alerts).toHaveLength(1);
  expect(alerts[0]!.message.reason).toMatch(reason);
});

test('ignores folder markers', async () => {
  const { ports, recorded } = fakePorts();
  expect((await ingestLandedObject(landed('dailycheckin/2024/'), ports)).outcome).toBe('ignored');
  expect(recorded).toHaveLength(0);
});

test('parses every ObjectCreated record and decodes S3 key encoding', () => {
  const record = (key: string, eventName = 'ObjectCreated:Put') => ({
    eventName,
    eventTime: '2026-11-21T09:00:00.000Z',
    s3: { bucket: { name: 'landing' }, object: { key, size: 5, eTag: 'abc' } },
  });
  const objects = parseS3Event({
    Records: [record('dailycheckin/my+file%C3%BC.csv'), record('x.csv', 'ObjectRemoved:Delete'), record('dailycheckin/b.csv')],
  });
  expect(objects.map((o) => o.key)).toEqual(['dailycheckin/my fileü.csv', 'dailycheckin/b.csv']);
});
