import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { BadRequestError, DatabaseUnavailableError, ForbiddenError, NotFoundError } from './errors';

/** Seconds a client should wait before retrying when the database is unavailable, unless the error says. */
const RETRY_AFTER_SECONDS = 5;

export const jsonResponse = (
  statusCode: number,
  body: string,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body,
});

const errorBody = (error: string, message: string) => JSON.stringify({ error, message });

/** middy error mapping of the HTTP handlers: 400 with the validation problem, 403 for what the caller may not read,
 *  404 for what does not exist, 503 +
 *  Retry-After when the database cannot answer (logged with the cause), 500 otherwise. Only 4xx bodies carry
 *  details; nothing internal ever reaches a client. */
export function errorResponses(
  logger: Logger,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      const error = request.error;
      if (error instanceof BadRequestError) {
        request.response = jsonResponse(400, errorBody(error.code, error.message));
      } else if (error instanceof ForbiddenError) {
        request.response = jsonResponse(403, errorBody('forbidden', error.message));
      } else if (error instanceof NotFoundError) {
        request.response = jsonResponse(404, errorBody('not_found', error.message));
      } else if (error instanceof DatabaseUnavailableError) {
        logger.error('database unavailable', { error });
        request.response = jsonResponse(
          503,
          errorBody('service_unavailable', 'the database is unavailable, retry later'),
          { 'retry-after': String(error.retryAfterSeconds ?? RETRY_AFTER_SECONDS) },
        );
      } else {
        logger.error('request failed', { error: error ?? undefined });
        request.response = jsonResponse(500, errorBody('internal_error', 'internal error'));
      }
    },
  };
}
