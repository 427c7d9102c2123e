import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { dynamodb, sns } from '../shared/aws-clients';
import { readConfig, required } from '../shared/config';
import { loadContracts } from '../shared/contracts';
import { DatasetLog } from '../shared/dataset-log';
import { logger } from '../shared/logger';
import { emfLine } from '../shared/metrics';
import { snsSubject } from '../shared/sns-subject';
import { checkFreshness, type CheckPorts } from './check';

const config = readConfig({ RUN_LOG_TABLE: required(), TOPIC_ARN: required(), METRICS_NAMESPACE: required() });

const ports: CheckPorts = {
  contracts: loadContracts(),
  log: new DatasetLog(dynamodb, config.RUN_LOG_TABLE),
  async alert(subject, message) {
    await sns.send(new PublishCommand({ TopicArn: config.TOPIC_ARN, Subject: snsSubject(subject), Message: JSON.stringify(message) }));
  },
  metrics(dataset, at, values) {
    // Straight to stdout: console.log in Lambda prefixes the time and request id, and CloudWatch would not read it.
    process.stdout.write(`${emfLine(config.METRICS_NAMESPACE, { Dataset: dataset }, at, values)}\n`);
  },
};

/** The schedule's input (serverless.yml: FreshnessSchedule): `time` is EventBridge Scheduler's
 *  <aws.scheduler.scheduled-time>, the instant the check is for; the local stack's timer sends the same. */
const eventSchema = z.object({ time: z.iso.datetime({ offset: true }) });

/** EventBridge Scheduler → one freshness check of every dataset at the scheduled time. */
export const handler = middy(async (event: unknown) => {
  const { time } = eventSchema.parse(event);
  const checks = await checkFreshness(new Date(time), ports);
  for (const c of checks.filter((c) => c.alerted)) logger.warn('file missing: alerted', { ...c });
  logger.info('freshness checked', { time, checks });
  return checks;
}).use(injectLambdaContext(logger, { resetKeys: true }));
