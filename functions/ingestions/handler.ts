import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamodb } from '../shared/aws-clients';
import { readConfig, required } from '../shared/config';
import { loadContracts } from '../shared/contracts';
import { DatasetLog } from '../shared/dataset-log';
import { datasetsView } from '../shared/datasets-view';
import { errorResponses, jsonResponse } from '../shared/http-responses';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { readIngestions } from './read';

const config = readConfig({ RUN_LOG_TABLE: required() });
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);
const datasetLog = new DatasetLog(dynamodb, config.RUN_LOG_TABLE);
const contracts = loadContracts();

/** GET /datasets → every dataset's freshness and daily figures; GET /ingestions/{id} → one ingestion's run log;
 *  GET /ingestions?dataset=D|object=URI … → recent ingestions. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(errorResponses(logger))
  .handler(async (event) => {
    const body =
      event.routeKey === 'GET /datasets'
        ? await datasetsView(contracts, datasetLog, new Date())
        : await readIngestions(runLog, event.pathParameters?.id, event.queryStringParameters ?? {});
    return jsonResponse(200, JSON.stringify(body));
  });
