import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import * as z from 'zod/mini';
import { dynamodb } from '../shared/aws-clients';
import { readConfig, required } from '../shared/config';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { recordStageCost, stageCostInput } from './record';

const config = readConfig({
  RUN_LOG_TABLE: required(),
  // USD per DPU-hour of a Glue ETL job in the stage's region (serverless.yml: param glueDpuHourPrice).
  GLUE_DPU_HOUR_PRICE: z.coerce.number().check(z.positive()),
  // Where a run's logs are: {logGroup} (its output or error log group), {group} (output, error), {runId}, {jobName}.
  GLUE_LOG_LINK: required(),
});
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);
const glue = new GlueClient({});

/** Called by the state machine after each Glue job run ends: records the run's DPU-seconds, cost and log links. */
export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const input = stageCostInput.parse(event);
    logger.appendKeys({ ingestionId: input.ingestionId, stage: input.stage });
    return recordStageCost(
      {
        getJobRun: async (jobName, runId) => (await glue.send(new GetJobRunCommand({ JobName: jobName, RunId: runId }))).JobRun ?? {},
        runLog,
        pricePerDpuHour: config.GLUE_DPU_HOUR_PRICE,
        logLinkTemplate: config.GLUE_LOG_LINK,
      },
      input,
    );
  });
