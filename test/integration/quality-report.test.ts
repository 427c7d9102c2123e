import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readReport } from '../../functions/ingestions/report';
import { documentClient } from '../../functions/shared/document-client';
import { NotFoundError } from '../../functions/shared/errors';
import { RunLog } from '../../functions/shared/run-log';
import { stagingZone } from '../../functions/shared/staging-zone';
import { startDynamo } from '../../local/dynamodb';
import { localAws } from '../../local/layout';
import { localDeployment, receivedIngestion } from '../support/orchestration';

/** GET /ingestions/{id}/report's reading: the run log says where the ingestion's staging is, the report is read there
 *  (here from a folder standing for S3, as the local stack's folder mode and the Glue jobs' storage.py do). */

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let runLog: RunLog;
const root = mkdtempSync(join(tmpdir(), 'landing-etl-s3-'));
const staging = stagingZone(new S3Client({ ...localAws, endpoint: 'http://127.0.0.1:9' }), root);

beforeAll(async () => {
  const deployment = await localDeployment();
  dynamo = await startDynamo(null, deployment.tables());
  runLog = new RunLog(documentClient(new DynamoDBClient({ endpoint: dynamo.endpoint, ...localAws })), deployment.names.runLogTable);
});
afterAll(() => dynamo.stop());

const report = (id: string, dataset = 'dailycheckin') => ({
  ingestionId: id,
  dataset,
  mode: 'soft',
  rowsIn: 3,
  accepted: 1,
  rejected: 2,
  duplicates: 0,
  rules: [{ rule: 'hours.range', severity: 'quarantine', checked: 3, failed: 2, examples: [{ line: 2, value: '30', reason: 'hours 30 is above 24' }] }],
});

function write(stagingUri: string, document: unknown) {
  const dir = join(root, stagingUri.replace(/^s3:\/\//, ''));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'quality-report.json'), JSON.stringify(document));
}

test('the report of an ingestion, with where it and the rejected rows are stored', async () => {
  const input = await receivedIngestion(runLog);
  write(input.stagingUri, report(input.ingestionId));
  await expect(readReport(runLog, staging, input.ingestionId)).resolves.toEqual({
    ...report(input.ingestionId),
    location: { report: `${input.stagingUri}/quality-report.json`, rejectedRows: `${input.stagingUri}/rejected/` },
  });
});

test('no report yet, no ingestion, or a report of another ingestion or dataset: 404s that say which', async () => {
  const input = await receivedIngestion(runLog);
  await expect(readReport(runLog, staging, input.ingestionId)).rejects.toThrow(new NotFoundError(`ingestion ${input.ingestionId} has no quality report yet: its test stage has not written one`));
  await expect(readReport(runLog, staging, 'dailycheckin-nope')).rejects.toThrow(new NotFoundError('no ingestion dailycheckin-nope'));
  write(input.stagingUri, report(input.ingestionId, 'cafe_transactions'));
  await expect(readReport(runLog, staging, input.ingestionId)).rejects.toThrow(NotFoundError);
  write(input.stagingUri, report('someone-else'));
  await expect(readReport(runLog, staging, input.ingestionId)).rejects.toThrow(`ingestion ${input.ingestionId} has no quality report of its own`);
});
