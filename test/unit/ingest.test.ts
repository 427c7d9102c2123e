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
