import { jest } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetLog, type MissingEntry } from '../../functions/shared/dataset-log';
import type { DatasetsView } from '../../functions/shared/datasets-view';
import { documentClient } from '../../functions/shared/document-client';
import { latestDueBusinessDate, minutesLate } from '../../functions/shared/freshness';
import { runLogFor } from '../../local/client';
import { localAws } from '../../local/layout';
import { land, waitForIngestion } from '../support/landing';
import { cli, startLocalStack, type RunningStack } from '../support/local-stack';
import { published, publishedAtLeast, type Published } from '../support/notifications';
import { overdueDatasets } from '../support/overdue-datasets';
import { apiJson } from '../support/api';

/** The packaged freshness checker run by the local stack's scheduler against its run log and SNS, the executor closing
 *  what it found, and what the API, the CLI and the metrics say of it. */

jest.setTimeout(600_000);

// The checker's clock: the first tick reports this time (LOCAL_SCHEDULE_TIME), every tick one second apart.
const checkAt = new Date();
const datasets = overdueDatasets(checkAt);
const schedule = datasets.schedule;
const businessDate = latestDueBusinessDate(schedule, checkAt);

let stack: RunningStack;
let datasetLog: DatasetLog;

beforeAll(async () => {
  stack = await startLocalStack({ waitForSample: false, env: { LOCAL_SCHEDULE_EVERY_MS: '1000', LOCAL_SCHEDULE_TIME: checkAt.toISOString(), LANDING_ETL_DATASETS_DIR: datasets.dir } });
  datasetLog = new DatasetLog(documentClient(new DynamoDBClient({ endpoint: stack.info.dynamodbEndpoint, ...localAws })), stack.info.runLogTable);
});

afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
});

async function until<T>(what: string, read: () => Promise<T | undefined>, deadlineMs = 120_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const entryOf = async (status: MissingEntry['status']) =>
  (await datasetLog.missingSince('dailycheckin', businessDate)).find((e) => e.businessDate === businessDate && e.status === status);

test("the scheduled checker records the day's missing file once and alerts once; the file arriving late closes it", async () => {
  const missing = await until('the MISSING entry', () => entryOf('MISSING'));
  // The ticks check the moments LOCAL_SCHEDULE_TIME sets (the first that records it, one of the first few a second
  // apart), not the machine's clock, which has moved on by the stack's start-up (tens of seconds).
  expect(Math.abs(Date.parse(missing.detectedAt) - checkAt.getTime())).toBeLessThan(5_000);
  // Several more ticks: still one alert for the dataset and date.
  const ofTheDay = (n: Published) => n.dataset === 'dailycheckin' && n.businessDate === businessDate;
  await publishedAtLeast(stack.info, 1, ofTheDay);
  await new Promise((r) => setTimeout(r, 4_000));
  expect(published(stack.info).filter(ofTheDay)).toEqual([
    expect.objectContaining({ subject: `landing-etl: dailycheckin file for ${businessDate} missing`, event: 'FILE_MISSING', dueAt: missing.dueAt }),
  ]);

  const runLog = runLogFor(stack.info);
  const since = new Date().toISOString();
  const uri = land(stack.info, `dailycheckin/${businessDate}/late.csv`, readFileSync('samples/dailycheckin-sample.csv'));
  const received = await waitForIngestion(runLog, uri, since, () => true);
  const late = await until('the entry closed as LATE', () => entryOf('LATE'));
  const lateBy = minutesLate(schedule, businessDate, new Date(received.receivedAt));
  expect(late).toMatchObject({ ingestionId: received.ingestionId, arrivedAt: received.receivedAt, lateByMinutes: lateBy });
  expect((await publishedAtLeast(stack.info, 2, ofTheDay)).map((a) => a.event)).toEqual(['FILE_MISSING', 'FILE_ARRIVED_LATE']);

  // GET /datasets and `landing-etl datasets` say the same.
  const view = (await apiJson<DatasetsView>(stack.info, '/datasets')).body;
  expect(view.datasets.find((d) => d.name === 'dailycheckin')!.freshness).toMatchObject({ status: 'late', businessDate, lateByMinutes: lateBy });
  // The CLI reads the contracts where the user keeps them (DATASETS_DIR, else datasets/): here, the overdue copy.
  const shown = await cli(stack.dir, ['datasets'], { DATASETS_DIR: datasets.dir });
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(new RegExp(`dailycheckin\\s+late\\s+${businessDate}`));
  expect(shown.stdout).toContain(`${lateBy} min late`);

  // Once the run has ended, a tick publishes its rows as CloudWatch embedded metric format in the checker's log.
  await waitForIngestion(runLog, uri, since);
  const emf = await until('the run metrics in the checker log', async () => {
    const file = join(stack.dir, 'lambda', 'landing-etl-dev-freshness.log');
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"_aws"')) : [];
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => 'RowsLoaded' in m);
  });
  expect(emf).toMatchObject({
    _aws: { CloudWatchMetrics: [{ Namespace: 'landing-etl/dev', Dimensions: [['Dataset']] }] },
    Dataset: 'dailycheckin',
    RowsLoaded: 6,
    RowsRejected: 0,
  });
});
