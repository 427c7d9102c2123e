import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { readConfig } from '../shared/config';
import { databaseFromEnv } from '../shared/db';
import { errorResponses, jsonResponse } from '../shared/http-responses';
import { logger } from '../shared/logger';
import { callerClaims, checkRowsAccess, type RowsAccess } from './access';
import { findCheckins } from './checkins';
import { encodeCursor } from './cursor';
import { parseCheckinQuery } from './request';

// Module scope: read once per container. The pool connects on the first request, not at init.
const database = databaseFromEnv();
const config = readConfig({
  CORS_ORIGINS: z._default(z.string(), ''),
  ROWS_ACCESS: z._default(z.enum(['any', 'own']), 'any'),
  ROWS_USER_CLAIM: z._default(z.string(), 'username'),
});
const corsOrigins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
const access: RowsAccess = config.ROWS_ACCESS === 'own' ? { mode: 'own', claim: config.ROWS_USER_CLAIM } : { mode: 'any' };

/** GET /get?user=NAME[&from][&to][&project][&limit][&cursor] → a page of the user's check-ins, newest first. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
  // No early-timeout timer per request: the statement and connect timeouts end a request well within the Lambda's.
  timeoutEarlyInMillis: 0,
})
  .use(httpCors({ origins: corsOrigins }))
  .use(errorResponses(logger))
  .handler(async (event) => {
    const query = parseCheckinQuery(event.queryStringParameters);
    checkRowsAccess(access, callerClaims(event), query.user);
    const page = await findCheckins(database, query);
    const cursor = page.next && encodeCursor(page.next, { ...query, from: query.from?.iso, to: query.to?.iso });
    return jsonResponse(200, `{"response":[${page.items.join(',')}],"nextCursor":${JSON.stringify(cursor)}}`);
  });
