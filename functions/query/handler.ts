import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { logger } from '../shared/logger';
import { findCheckins } from './checkins';

const querySchema = z.object({
  user: z.string({ error: 'query parameter "user" is required' }).trim().min(1, 'query parameter "user" must not be empty'),
});

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** GET /get?user=NAME → the user's check-ins. */
export const handler = middy(async (event: APIGatewayProxyEventV2) => {
  const query = querySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success) return json(400, { error: 'bad_request', message: query.error.issues[0]!.message });
  try {
    return json(200, { response: await findCheckins(query.data.user, 100) });
  } catch (e) {
    logger.error('query failed', e as Error);
    return json(500, { error: 'internal_error', message: 'internal error' });
  }
});
