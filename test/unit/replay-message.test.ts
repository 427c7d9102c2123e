import type { DatasetContract } from '../../functions/shared/contracts';
import type { NewIngestion } from '../../functions/shared/run-log';
import { parseQueueEvent } from '../../functions/executor/queue-event';
import { parseS3Event } from '../../functions/executor/s3-event';
import { identify, ingestLandedObject, type IngestionPorts } from '../../functions/executor/ingest';
import { ingestionId } from '../../functions/shared/ingestion-id';
import { newReplayId, replayRecord, type ReplayMark } from '../../functions/shared/replay';

const mark: ReplayMark = { replayId: '20261207T203000Z-0a1b2c3d', replayOf: 'dailycheckin-20261120-00112233aabbccdd', businessDate: '2026-11-20' };
const object = { bucket: 'landing', key: 'dailycheckin/2026-11-20/my file+ü.csv', versionId: 'v1', eTag: 'e1', size: 42, sequencer: '0062A1B2C3D4E5F60B' };
const message = (records: unknown[]) => ({ Records: [{ messageId: 'm1', body: JSON.stringify({ Records: records }) }] });

test('a replay id begins with the UTC time it was made and is a valid part of a run-log key', () => {
  expect(newReplayId(new Date('2026-12-07T20:30:00.123Z'), '0a1b2c3d')).toBe('20261207T203000Z-0a1b2c3d');
  expect(newReplayId(new Date())).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
});

test("a replay's landing-queue message reads back as the exact object version, key decoded, with its replay mark", () => {
  const [m] = parseQueueEvent(message([replayRecord(object, mark, new Date('2026-12-07T20:30:00Z'))]));
  expect(m!.unreadable).toBeUndefined();
  const [landed] = parseS3Event(m!.notification);
  expect(landed).toEqual({ ...object, eventTime: new Date('2026-12-07T20:30:00Z'), replay: mark });
});

test("S3's own records carry no replay mark, and a malformed mark is an error naming it", () => {
  const s3 = { eventName: 'ObjectCreated:Put', eventTime: '2026-11-21T09:00:00Z', s3: { bucket: { name: 'landing' }, object: { key: 'dailycheckin/a.csv', size: 5 } } };
  expect(parseS3Event({ Records: [s3] })[0]).not.toHaveProperty('replay');
  expect(() => parseS3Event({ Records: [{ ...s3, replay: { ...mark, replayOf: 'not an id!' } }] })).toThrow(/replayOf/);
});

test('a replayed object is a new ingestion of the same business date, and a second delivery of its message is the same one', () => {
  const original = ingestionId('dailycheckin', '2026-11-20', object);
  const replayed = identify({ ...object, eventTime: new Date('2026-12-07T20:30:00Z'), replay: mark })!;
  expect(replayed.businessDate).toBe('2026-11-20');
  expect(replayed.ingestionId).toMatch(/^dailycheckin-20261120-[0-9a-f]{16}$/);
  expect(replayed.ingestionId).not.toBe(original);
  expect(identify({ ...object, eventTime: new Date(), replay: mark })!.ingestionId).toBe(replayed.ingestionId);
  expect(identify({ ...object, eventTime: new Date(), replay: { ...mark, replayId: '20261207T203001Z-ffffffff' } })!.ingestionId).not.toBe(replayed.ingestionId);
});

test('a key with no date in it keeps the business date of the ingestion it replays, not the replay’s day', () => {
  const undated = { ...object, key: 'dailycheckin/latest.csv' };
  expect(identify({ ...undated, eventTime: new Date('2026-12-07T20:30:00Z'), replay: mark })!.businessDate).toBe('2026-11-20');
});

test("the replay's ingestion is recorded with replayOf and replayId and runs the replayed version with its sequencer", async () => {
  const recorded: NewIngestion[] = [];
  const inputs: unknown[] = [];
  const ports: IngestionPorts = {
    contracts: new Map([['dailycheckin', { name: 'dailycheckin', target: { table: 'daily_checkins' }, quality: { mode: 'soft' } } as DatasetContract]]),
    dataBucket: 'data',
    now: () => new Date('2026-12-07T20:30:01Z'),
    record: async (i) => (recorded.push(i), true),
    recordExecution: async () => true,
    countDuplicate: async () => {},
    admit: async () => true,
    markQueued: async () => {},
    closeMissing: async () => false,
    alert: async () => {},
    start: async (_n, input) => (inputs.push(input), { executionArn: 'arn:1' }),
  };
  const [landed] = parseS3Event({ Records: [replayRecord(object, mark, new Date('2026-12-07T20:30:00Z'))] });
  const outcome = await ingestLandedObject(landed!, ports);
  expect(outcome.outcome).toBe('started');
  expect(recorded[0]).toMatchObject({ replayOf: mark.replayOf, replayId: mark.replayId, businessDate: '2026-11-20', sourceVersion: 'v1', status: 'RECEIVED' });
  expect(inputs[0]).toMatchObject({ businessDate: '2026-11-20', source: { key: object.key, versionId: 'v1', sequencer: object.sequencer, size: 42 } });
});
