import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { dynamodb, sfn, sns } from '../shared/aws-clients';
import { readConfig, required } from '../shared/config';
import { loadContracts } from '../shared/contracts';
import { DatasetLog } from '../shared/dataset-log';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { snsSubject } from '../shared/sns-subject';
import { LandedObjectsFailedError } from './errors';
import { identify, ingestLandedObject, type IngestionPorts, type Outcome } from './ingest';
import { parseS3Event } from './s3-event';

const config = readConfig({
  STATE_MACHINE_ARN: required(),
  RUN_LOG_TABLE: required(),
  TOPIC_ARN: required(),
  DATA_BUCKET: required(),
  // The deployment's quality mode over every contract's; unset or empty: each contract's own.
  QUALITY_MODE: z.optional(z.enum(['hard', 'soft'], { error: 'must be hard or soft (or unset: each contract keeps its mode)' })),
});
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);
const datasetLog = new DatasetLog(dynamodb, config.RUN_LOG_TABLE);

const ports: IngestionPorts = {
  contracts: loadContracts(),
  dataBucket: config.DATA_BUCKET,
  qualityMode: config.QUALITY_MODE,
  now: () => new Date(),
  record: (ingestion) => runLog.create(ingestion),
  recordExecution: (id, arn) => runLog.recordExecution(id, arn),
  countDuplicate: (id) => runLog.countDuplicate(id),
  closeMissing: (dataset, date, arrival) => datasetLog.closeMissing(dataset, date, arrival),
  async start(name, input) {
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: config.STATE_MACHINE_ARN, name, input: JSON.stringify(input) }),
      );
      return { executionArn: executionArn! };
    } catch (e) {
      if (e instanceof ExecutionAlreadyExists) return 'exists';
      throw e;
    }
  },
  async alert(subject, message) {
    await sns.send(new PublishCommand({ TopicArn: config.TOPIC_ARN, Subject: snsSubject(subject), Message: JSON.stringify(message) }));
  },
};

/** S3 ObjectCreated → one ingestion per object, every record of the event handled. */
export const handler = middy(async (event: unknown): Promise<Outcome[]> => {
  const outcomes: Outcome[] = [];
  const failed: string[] = [];
  for (const object of parseS3Event(event)) {
    const log = logger.createChild({
      persistentKeys: { ingestionId: identify(object)?.ingestionId ?? 'none', bucket: object.bucket, key: object.key },
    });
    try {
      const outcome = await ingestLandedObject(object, ports);
      if (outcome.outcome === 'duplicate') log.warn('duplicate delivery: no second run', { reason: outcome.reason });
      else log.info(`landed object ${outcome.outcome}`, { ...outcome });
      outcomes.push(outcome);
    } catch (e) {
      log.error('landed object not handled; the event will be retried', e as Error);
      failed.push(`${object.key}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  if (failed.length > 0) throw new LandedObjectsFailedError(`${failed.length} landed object(s) not handled: ${failed.join('; ')}`);
  return outcomes;
}).use(injectLambdaContext(logger, { resetKeys: true }));
