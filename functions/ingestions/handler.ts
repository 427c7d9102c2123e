import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { dynamodb } from '../shared/aws-clients';
import { readConfig } from '../shared/config';
import { logger } from '../shared/logger';
import { RunLog } from '../shared/run-log';
import { readIngestions, BadRequest, NotFound } from './read';

const config = readConfig({ RUN_LOG_TABLE: z.string().min(1) });
const runLog = new RunLog(dynamodb, config.RUN_LOG_TABLE);

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** GET /ingestions/{id} → one ingestion's run log; GET /ingestions?dataset=D|object=URI … → recent ingestions. */
export const handler = middy(async (event: APIGatewayProxyEventV2) => {
  try {
    return json(200, await readIngestions(runLog, event.pathParameters?.id, event.queryStringParameters ?? {}));
  } catch (e) {
    if (e instanceof BadRequest) return json(400, { error: 'bad_request', message: e.message });
    if (e instanceof NotFound) return json(404, { error: 'not_found', message: e.message });
    logger.error('run log read failed', e as Error);
    return json(500, { error: 'internal_error', message: 'internal error' });
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
