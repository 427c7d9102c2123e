import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { BatchStopJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { Admission } from '../shared/admission';
import { dynamodb, sns } from '../shared/aws-clients';
import { Backlog } from '../shared/backlog';
import { readConfig, required } from '../shared/config';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { finish, type FinishPorts } from './finish';

const config = readConfig({
  RUN_LOG_TABLE: required(),
  TOPIC_ARN: required(),
  // What the alert's retry command adds to reach this stage (`--stage dev --region …`); empty locally.
  CLI_TARGET: z._default(z.string(), ''),
});
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);
const admission = new Admission(dynamodb, config.RUN_LOG_TABLE);
const glue = new GlueClient({});

const ports: FinishPorts = {
  read: (id) => runLog.get(id),
  async publish({ subject, message }) {
    await sns.send(new PublishCommand({ TopicArn: config.TOPIC_ARN, Subject: subject, Message: JSON.stringify(message) }));
  },
  markFailed: (id, attempt, error, cause, now) => runLog.markAborted(id, attempt, error, cause, now),
  async stopJobRun(jobName, runId) {
    const { Errors = [] } = await glue.send(new BatchStopJobRunCommand({ JobName: jobName, JobRunIds: [runId] }));
    // A run that has ended meanwhile is no error here.
    for (const e of Errors) logger.info('job run not stopped', { jobName, runId, reason: e.ErrorDetail?.ErrorMessage });
  },
  release: (id) => admission.release(id),
  backlog: new Backlog(dynamodb, config.RUN_LOG_TABLE),
  cliTarget: config.CLI_TARGET,
};

/** Invoked by the state machine as an execution ends, and by EventBridge when one ends without reaching its end. */
export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const alert = await finish(event, ports);
    if (alert) logger.info('announced', { event: alert.message.event, ingestionId: alert.message.ingestionId });
    return { published: alert?.message.event ?? null };
  });
