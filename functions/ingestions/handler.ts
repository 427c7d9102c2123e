import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { dynamodb } from '../shared/aws-clients';
import { readConfig, required } from '../shared/config';
import { loadContracts } from '../shared/contracts';
import { DatasetLog } from '../shared/dataset-log';
import { datasetsView } from '../shared/datasets-view';
import { errorResponses, jsonResponse } from '../shared/http-responses';
import { logger } from '../shared/logger';
import { ReplayLog } from '../shared/replay';
import { RunLog } from '../shared/run-log';
import { stagingZone } from '../shared/staging-zone';
import { ingestionIdOf, readIngestions } from './read';
import { readReport } from './report';

const config = readConfig({
  RUN_LOG_TABLE: required(),
  DATA_BUCKET: required(),
  // Set by the local stack only (folder mode): the folder that stands for S3, as for the Glue jobs.
  LANDING_ETL_LOCAL_S3: z.optional(z.string()),
});
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);
const staging = stagingZone(new S3Client({}), config.LANDING_ETL_LOCAL_S3);
const datasetLog = new DatasetLog(dynamodb, config.RUN_LOG_TABLE);
const replayLog = new ReplayLog(dynamodb, config.RUN_LOG_TABLE);
const contracts = loadContracts();

/** GET /datasets → every dataset's freshness and daily figures; GET /ingestions/{id} → one ingestion's run log;
 *  GET /ingestions/{id}/report → its quality report;
 *  GET /ingestions?dataset=D|object=URI … → recent ingestions. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(errorResponses(logger))
  .handler(async (event) => {
    const id = event.pathParameters?.id;
    const body =
      event.routeKey === 'GET /datasets'
        ? await datasetsView(contracts, datasetLog, new Date())
        : event.routeKey === 'GET /ingestions/{id}/report'
          ? await readReport(runLog, staging, ingestionIdOf(id ?? ''))
          : await readIngestions(runLog, id, event.queryStringParameters ?? {}, replayLog);
    return jsonResponse(200, JSON.stringify(body));
  });
