import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { dynamodb, sfn, sns } from '../shared/aws-clients';
import { readConfig } from '../shared/config';
import { loadContracts } from '../shared/contracts';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { ingestLandedObject, type IngestionPorts, type Outcome } from './ingest';
import { parseS3Event } from './s3-event';

const config = readConfig({
  STATE_MACHINE_ARN: z.string().min(1),
  RUN_LOG_TABLE: z.string().min(1),
  TOPIC_ARN: z.string().min(1),
  DATA_BUCKET: z.string().min(1),
  QUALITY_MODE: z.enum(['hard', 'soft']).optional(),
});
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);

const ports: IngestionPorts = {
  contracts: loadContracts(),
  dataBucket: config.DATA_BUCKET,
  qualityMode: config.QUALITY_MODE,
  now: () => new Date(),
  record: (ingestion, sourceObject) => runLog.create(ingestion, sourceObject),
  async start(name, input) {
    try {
      await sfn.send(
        new StartExecutionCommand({ stateMachineArn: config.STATE_MACHINE_ARN, name, input: JSON.stringify(input) }),
      );
      return 'started';
    } catch (e) {
      if (e instanceof ExecutionAlreadyExists) return 'duplicate';
      throw e;
    }
  },
  async alert(subject, message) {
    await sns.send(
      new PublishCommand({ TopicArn: config.TOPIC_ARN, Subject: subject.slice(0, 100), Message: JSON.stringify(message) }),
    );
  },
};

/** S3 ObjectCreated → one ingestion per object. Any failure throws so Lambda retries the event (duplicates are
 *  harmless: the ingestion id is deterministic), then hands it to the on-failure destination. */
export const handler = middy(async (event: unknown): Promise<Outcome[]> => {
  const outcomes: Outcome[] = [];
  for (const object of parseS3Event(event)) {
    const outcome = await ingestLandedObject(object, ports);
    logger.info('landed object handled', { ...outcome, key: object.key });
    outcomes.push(outcome);
  }
  return outcomes;
}).use(injectLambdaContext(logger));
