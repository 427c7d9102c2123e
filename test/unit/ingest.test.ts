import type { DatasetContract } from '../../functions/shared/contracts';
import type { ExecutionInput } from '../../functions/shared/execution';
import { ingestLandedObject, type IngestionPorts } from '../../functions/executor/ingest';
import type { LandedObject } from '../../functions/executor/s3-event';

const contract = (mode: 'hard' | 'soft') => ({ name: 'dailycheckin', target: { table: 'daily_checkins' }, quality: { mode } }) as DatasetContract;

/** Ports that accept everything and keep the execution input the run was started with. */
function ports(contractMode: 'hard' | 'soft', qualityMode: IngestionPorts['qualityMode']) {
  const started: ExecutionInput[] = [];
  const p: IngestionPorts = {
    contracts: new Map([['dailycheckin', contract(contractMode)]]),
    dataBucket: 'data',
    qualityMode,
    now: () => new Date('2026-11-21T10:00:00Z'),
    record: async () => true,
    recordExecution: async () => true,
    countDuplicate: async () => {},
    admit: async () => true,
    markQueued: async () => {},
    closeMissing: async () => false,
    alert: async () => {},
    start: async (_name, input) => (started.push(input), { executionArn: `arn:${started.length}` }),
  };
  return { p, started };
}

const landed = (extra: Partial<LandedObject> = {}): LandedObject => ({
  bucket: 'landing',
  key: 'dailycheckin/2026-11-21/a.csv',
  size: 10,
  versionId: 'v1',
  eventTime: new Date('2026-11-21T10:00:00Z'),
  ...extra,
});

test.each([
  ['soft', 'hard', 'hard'],
  ['hard', 'soft', 'soft'],
  ['hard', undefined, 'hard'],
  ['soft', undefined, 'soft'],
] as const)("a contract in %s mode under the deployment's QUALITY_MODE %s runs in %s mode", async (contractMode, deployment, expected) => {
  const { p, started } = ports(contractMode, deployment);
  expect((await ingestLandedObject(landed(), p)).outcome).toBe('started');
  expect(started.map((i) => i.qualityMode)).toEqual([expected]);
});

test("the S3 event's sequencer goes into the run's input; an event without one gives null", async () => {
  const { p, started } = ports('soft', undefined);
  await ingestLandedObject(landed({ sequencer: '0062A1B2C3D4E5F60B' }), p);
  await ingestLandedObject(landed({ versionId: 'v2' }), p);
  expect(started.map((i) => i.source.sequencer)).toEqual(['0062A1B2C3D4E5F60B', null]);
});

test('a file reported missing closes its entry as late, with how late, and alerts once', async () => {
  const { p } = ports('soft', undefined);
  const schedule = { every: 'day', due: '06:00', timeZone: 'Europe/London', graceMinutes: 60, businessDate: 'previous day' } as const;
  p.contracts = new Map([['dailycheckin', { ...contract('soft'), schedule }]]);
  const closed: unknown[] = [];
  const alerts: Array<[string, Record<string, unknown>]> = [];
  p.closeMissing = async (dataset, date, arrival) => (closed.push([dataset, date, arrival]), closed.length === 1);
  p.alert = async (subject, message) => void alerts.push([subject, message]);
  // The 2026-11-20 file was due at 06:00 London (GMT) on the 21st; it lands at 10:00: 240 minutes late.
  await ingestLandedObject(landed({ key: 'dailycheckin/2026-11-20/a.csv' }), p);
  await ingestLandedObject(landed({ key: 'dailycheckin/2026-11-20/a.csv', versionId: 'v2' }), p);
  expect(closed).toEqual([
    ['dailycheckin', '2026-11-20', { ingestionId: expect.stringMatching(/^dailycheckin-20261120-/), arrivedAt: '2026-11-21T10:00:00.000Z', lateByMinutes: 240 }],
    ['dailycheckin', '2026-11-20', expect.objectContaining({ lateByMinutes: 240 })],
  ]);
  expect(alerts).toEqual([
    ['landing-etl: dailycheckin file for 2026-11-20 arrived 240 min late', expect.objectContaining({ event: 'FILE_ARRIVED_LATE', businessDate: '2026-11-20', lateByMinutes: 240 })],
  ]);
});

test('an ingestion with no admission slot is recorded and waits QUEUED: nothing is started', async () => {
  const { p, started } = ports('soft', undefined);
  const queued: string[] = [];
  p.admit = async () => false;
  p.markQueued = async (id) => void queued.push(id);
  const outcome = await ingestLandedObject(landed(), p);
  expect(outcome).toEqual({ outcome: 'queued', ingestionId: expect.stringMatching(/^dailycheckin-20261121-/) });
  expect(queued).toEqual([(outcome as { ingestionId: string }).ingestionId]);
  expect(started).toEqual([]);
});
