import { jest } from '@jest/globals';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { checkFreshness, type CheckPorts } from '../../functions/freshness/check';
import type { DatasetContract, Schedule } from '../../functions/shared/contracts';
import { DatasetLog, missingKey } from '../../functions/shared/dataset-log';
import { datasetView } from '../../functions/shared/datasets-view';
import { startRunLogTable } from '../support/run-log-table';

/** The checker against a real DynamoDB API (dynalite, the local stack's run log), with the alerts and metrics it
 *  sends kept in arrays. */

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

const schedule: Schedule = { every: 'day', due: '06:00', timeZone: 'Europe/London', graceMinutes: 60, businessDate: 'previous day' };
const contract = (name: string): DatasetContract => ({ name, target: { table: name }, quality: { mode: 'soft' }, schedule });

interface Sent {
  alerts: Array<{ subject: string; message: Record<string, unknown> }>;
  metrics: Array<{ dataset: string; at: string; values: Record<string, number> }>;
}

function ports(contracts: DatasetContract[], sent: Sent, alert?: CheckPorts['alert']): CheckPorts {
  return {
    contracts: new Map(contracts.map((c) => [c.name, c])),
    log,
    alert: alert ?? (async (subject, message) => void sent.alerts.push({ subject, message })),
    metrics: (dataset, at, values) => void sent.metrics.push({ dataset, at: at.toISOString(), values }),
  };
}
const nothingSent = (): Sent => ({ alerts: [], metrics: [] });

/** A run as the executor, the state machine and the jobs leave it. */
async function putRun(id: string, dataset: string, businessDate: string, receivedAt: string, endedAt?: string) {
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: `ING#${id}`,
        sk: 'SUMMARY',
        ingestionId: id,
        ingestedID: id,
        dataset,
        businessDate,
        sourceUri: `s3://landing/${dataset}/${businessDate}/f.csv`,
        status: endedAt ? 'SUCCEEDED' : 'RUNNING',
        state: endedAt ? 'DONE' : 'TRANSFORM',
        attempt: 1,
        receivedAt,
        updatedAt: endedAt ?? receivedAt,
        ...(endedAt ? { endedAt } : {}),
        datasetKey: dataset,
        recentKey: `${receivedAt}#${id}`,
        objectKey: `s3://landing/${dataset}/${businessDate}/f.csv`,
      },
    }),
  );
  if (endedAt) {
    await doc.send(new PutCommand({ TableName: table, Item: { pk: `ING#${id}`, sk: 'STAGE#test', stage: 'test', status: 'SUCCEEDED', attempt: 1, metrics: { rowsIn: 10, rejected: 2 } } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: `ING#${id}`, sk: 'STAGE#load', stage: 'load', status: 'SUCCEEDED', attempt: 1, metrics: { rowsOut: 8 } } }));
  }
}

const entry = async (dataset: string, date: string) => (await doc.send(new GetCommand({ TableName: table, Key: missingKey(dataset, date), ConsistentRead: true }))).Item;

test('two checkers at once past the deadline record the missing file once and send one alert; later checks send none', async () => {
  const sent = nothingSent();
  const now = new Date('2026-11-29T07:15:00Z');
  const [a, b] = await Promise.all([checkFreshness(now, ports([contract('racing')], sent)), checkFreshness(now, ports([contract('racing')], sent))]);
  expect([a![0]!.alerted, b![0]!.alerted].sort()).toEqual([false, true]);
  expect(sent.alerts).toEqual([
    {
      subject: 'landing-etl: racing file for 2026-11-28 missing',
      message: expect.objectContaining({
        event: 'FILE_MISSING',
        dataset: 'racing',
        businessDate: '2026-11-28',
        dueAt: '2026-11-29T06:00:00.000Z',
        deadlineAt: '2026-11-29T07:00:00.000Z',
        detectedAt: '2026-11-29T07:15:00.000Z',
        lastSuccess: null,
      }),
    },
  ]);
  expect(await entry('racing', '2026-11-28')).toMatchObject({ status: 'MISSING', detectedAt: '2026-11-29T07:15:00.000Z', alertedAt: '2026-11-29T07:15:00.000Z' });

  await checkFreshness(new Date('2026-11-29T07:30:00Z'), ports([contract('racing')], sent));
  await checkFreshness(new Date('2026-11-29T12:00:00Z'), ports([contract('racing')], sent));
  expect(sent.alerts).toHaveLength(1);
});

test('a late file closes the entry with how late it was; the checker then reports late and alerts nothing more', async () => {
  const sent = nothingSent();
  await checkFreshness(new Date('2026-11-29T08:00:00Z'), ports([contract('tardy')], sent));
  expect(sent.alerts).toHaveLength(1);

  // What the executor does when the 2026-11-28 file lands at 09:45: 225 minutes after its 06:00 due time.
  await putRun('tardy-1', 'tardy', '2026-11-28', '2026-11-29T09:45:00.000Z');
  expect(await log.closeMissing('tardy', '2026-11-28', { ingestionId: 'tardy-1', arrivedAt: '2026-11-29T09:45:00.000Z', lateByMinutes: 225 })).toBe(true);
  // A second delivery of the same file finds nothing open.
  expect(await log.closeMissing('tardy', '2026-11-28', { ingestionId: 'tardy-1', arrivedAt: '2026-11-29T09:46:00.000Z', lateByMinutes: 226 })).toBe(false);
  expect(await entry('tardy', '2026-11-28')).toMatchObject({ status: 'LATE', arrivedAt: '2026-11-29T09:45:00.000Z', ingestionId: 'tardy-1', lateByMinutes: 225 });

  const [check] = await checkFreshness(new Date('2026-11-29T10:00:00Z'), ports([contract('tardy')], sent));
  expect(check).toMatchObject({ status: 'late', businessDate: '2026-11-28', alerted: false });
  expect(sent.alerts).toHaveLength(1);
  expect((await datasetView(contract('tardy'), log, new Date('2026-11-29T10:00:00Z'))).freshness).toMatchObject({ status: 'late', lateByMinutes: 225 });
  expect(await log.missingSince('tardy', '2026-11-01')).toEqual([expect.objectContaining({ businessDate: '2026-11-28', status: 'LATE' })]);
});

test('a file arriving exactly at the deadline is on time: no entry, no alert', async () => {
  const sent = nothingSent();
  await putRun('punctual-1', 'punctual', '2026-11-28', '2026-11-29T07:00:00.000Z');
  const [check] = await checkFreshness(new Date('2026-11-29T07:15:00Z'), ports([contract('punctual')], sent));
  expect(check).toMatchObject({ status: 'fresh', alerted: false });
  expect(sent.alerts).toEqual([]);
  expect(await entry('punctual', '2026-11-28')).toBeUndefined();
});

test('an alert that cannot be sent is given back, so the next check sends it', async () => {
  const sent = nothingSent();
  const now = new Date('2026-11-29T09:00:00Z');
  const down = async () => {
    throw Object.assign(new Error('SNS is unreachable'), { name: 'InternalErrorException' });
  };
  await expect(checkFreshness(now, ports([contract('unlucky')], sent, down))).rejects.toThrow('SNS is unreachable');
  expect(await entry('unlucky', '2026-11-28')).toMatchObject({ status: 'MISSING', detectedAt: '2026-11-29T09:00:00.000Z' });
  expect((await entry('unlucky', '2026-11-28'))!.alertedAt).toBeUndefined();
  await checkFreshness(new Date('2026-11-29T09:15:00Z'), ports([contract('unlucky')], sent));
  expect(sent.alerts.map((a) => a.subject)).toEqual(['landing-etl: unlucky file for 2026-11-28 missing']);
  // The entry keeps when the file was first found missing; the alert went out at the second check.
  expect(await entry('unlucky', '2026-11-28')).toMatchObject({ detectedAt: '2026-11-29T09:00:00.000Z', alertedAt: '2026-11-29T09:15:00.000Z' });
});

test("metrics: minutes since the last success every check, each run's rows once even with two checkers", async () => {
  const sent = nothingSent();
  await putRun('measured-1', 'measured', '2026-11-28', '2026-11-29T05:00:00.000Z', '2026-11-29T05:10:00.000Z');
  const now = new Date('2026-11-29T07:10:00Z');
  await Promise.all([checkFreshness(now, ports([contract('measured')], sent)), checkFreshness(now, ports([contract('measured')], sent))]);
  expect(sent.metrics.filter((m) => 'RowsLoaded' in m.values)).toEqual([
    { dataset: 'measured', at: '2026-11-29T05:10:00.000Z', values: { RowsLoaded: 8, RowsRejected: 2 } },
  ]);
  expect(sent.metrics.filter((m) => 'MinutesSinceLastSuccess' in m.values)).toEqual([
    { dataset: 'measured', at: now.toISOString(), values: { MinutesSinceLastSuccess: 120 } },
    { dataset: 'measured', at: now.toISOString(), values: { MinutesSinceLastSuccess: 120 } },
  ]);
  // A check of an earlier moment does not see the run that came after it.
  const [before] = await checkFreshness(new Date('2026-11-29T04:00:00Z'), ports([contract('measured')], nothingSent()));
  expect(before).toMatchObject({ businessDate: '2026-11-27', status: 'missing' });
});
