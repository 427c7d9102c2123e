import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { dynamodb, sns } from '../shared/aws-clients';
import { readConfig, required } from '../shared/config';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { finishIngestion, finishInput, type FinishPorts } from './finish';

const config = readConfig({
  RUN_LOG_TABLE: required(),
  TOPIC_ARN: required(),
  // What the alert's retry command adds to reach this stage (`--stage dev --region …`); empty locally.
  CLI_TARGET: z._default(z.string(), ''),
});
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);

const ports: FinishPorts = {
  read: (id) => runLog.get(id),
  async publish({ subject, message }) {
    await sns.send(new PublishCommand({ TopicArn: config.TOPIC_ARN, Subject: subject, Message: JSON.stringify(message) }));
  },
  cliTarget: config.CLI_TARGET,
};

/** Invoked by the state machine as an execution ends. */
export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const input = finishInput.parse(event);
    logger.appendKeys({ ingestionId: input.ingestionId });
    const alert = await finishIngestion(input, ports);
    return { published: alert?.message.event ?? null };
  });
