import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { Admission } from '../shared/admission';
import { dynamodb, sfn, sns, sqs } from '../shared/aws-clients';
import { Backlog } from '../shared/backlog';
import { readConfig, required } from '../shared/config';
import { loadContracts } from '../shared/contracts';
import { DatasetLog } from '../shared/dataset-log';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { snsSubject } from '../shared/sns-subject';
import { identify, ingestLandedObject, type IngestionPorts, type Outcome } from './ingest';
import { parseQueueEvent } from './queue-event';
import { isObjectCreated, parseS3Event } from './s3-event';

const config = readConfig({
  STATE_MACHINE_ARN: required(),
  RUN_LOG_TABLE: required(),
  TOPIC_ARN: required(),
  DATA_BUCKET: required(),
  // The deployment's quality mode over every contract's; unset or empty: each contract's own.
  QUALITY_MODE: z.optional(z.enum(['hard', 'soft'], { error: 'must be hard or soft (or unset: each contract keeps its mode)' })),
  LANDING_QUEUE_URL: required(),
  // How many ingestions may run at once, and how long one that waits for a slot waits before it tries again.
  ADMISSION_SLOTS: z.coerce.number().check(z.int(), z.positive()),
  ADMISSION_RETRY_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(900)), 30),
});
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);
const datasetLog = new DatasetLog(dynamodb, config.RUN_LOG_TABLE);
const admission = new Admission(dynamodb, config.RUN_LOG_TABLE);
const backlog = new Backlog(dynamodb, config.RUN_LOG_TABLE);

const ports: IngestionPorts = {
  contracts: loadContracts(),
  dataBucket: config.DATA_BUCKET,
  qualityMode: config.QUALITY_MODE,
  now: () => new Date(),
  record: (ingestion) => runLog.create(ingestion),
  recordExecution: (id, arn) => runLog.recordExecution(id, arn),
  countDuplicate: (id) => runLog.countDuplicate(id),
  admit: (id) => admission.acquire(id, config.ADMISSION_SLOTS),
  async markQueued(id, dataset) {
    const now = new Date().toISOString();
    if (await runLog.markQueued(id, now)) await backlog.join(dataset, now);
  },
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

/** The landing queue's messages → one ingestion per landed object. A message whose objects must wait for a slot is
 *  sent back to the queue to come again after ADMISSION_RETRY_SECONDS (its receive count starts afresh: waiting is
 *  no failure); a message that fails is reported so that only it is delivered again, and after the queue's
 *  maxReceiveCount it goes to the dead-letter queue. */
export const handler = middy(async (event: unknown) => {
  const outcomes: Outcome[] = [];
  const batchItemFailures: Array<{ itemIdentifier: string }> = [];
  for (const message of parseQueueEvent(event)) {
    if (message.unreadable) {
      logger.error('landing queue message not handled', { reason: message.unreadable });
      batchItemFailures.push({ itemIdentifier: message.messageId });
      continue;
    }
    const records = message.notification?.Records ?? [];
    // parseS3Event keeps these records, in this order: a waiting object is sent back as its own record.
    const created = records.filter(isObjectCreated);
    const waiting: unknown[] = [];
    try {
      for (const [i, object] of parseS3Event({ Records: records }).entries()) {
        const log = logger.createChild({ persistentKeys: { ingestionId: identify(object)?.ingestionId ?? 'none', bucket: object.bucket, key: object.key } });
        const outcome = await ingestLandedObject(object, ports);
        if (outcome.outcome === 'duplicate') log.warn('duplicate delivery: no second run', { reason: outcome.reason });
        else log.info(`landed object ${outcome.outcome}`, { ...outcome });
        if (outcome.outcome === 'queued') waiting.push(created[i]);
        outcomes.push(outcome);
      }
      if (waiting.length > 0) await defer({ Records: waiting });
    } catch (e) {
      logger.error('landing queue message not handled; it will be delivered again', e as Error);
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures, outcomes };
}).use(injectLambdaContext(logger, { resetKeys: true }));

async function defer(notification: { Records: unknown[] }) {
  await sqs.send(new SendMessageCommand({ QueueUrl: config.LANDING_QUEUE_URL, MessageBody: JSON.stringify(notification), DelaySeconds: config.ADMISSION_RETRY_SECONDS }));
}
