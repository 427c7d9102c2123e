/** The errors of the shared code and of the HTTP handlers, in one place: each says what went wrong in the terms of
 *  the domain, and its name (always `…Error`) is what logs, Lambda's function errors and tests match. Adapters
 *  translate SDK and Postgres errors into these. Nothing here imports anything, so any bundle can map them. */

/** An environment variable is missing or invalid: the function cannot start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A dataset contract (datasets/NAME.json) is not valid. */
export class ContractError extends Error {
  override name = 'ContractError';
}

/** The database secret cannot be used (not JSON, fields missing, no host). */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/** Secrets Manager did not return the secret. */
export class SecretReadError extends Error {
  override name = 'SecretReadError';
}

/** The database cannot answer now (down, unreachable, overloaded, timed out, credentials unusable): worth a retry. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  /** When a retry is worth it: longer when the database is still resuming than for a busy one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options?: ErrorOptions & { retryAfterSeconds?: number | undefined }) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** A paging cursor that this code did not issue, was altered, or belongs to another query. The message reads
 *  after the parameter's name: `cursor is not a cursor this API issued`. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** No ingestion with that id in the run log. */
export class IngestionNotFoundError extends Error {
  override name = 'IngestionNotFoundError';
}

/** The ingestion cannot be retried in its current state (not FAILED, or no recorded input). */
export class RetryRefusedError extends Error {
  override name = 'RetryRefusedError';
}

/** Another retry of the same attempt claimed it first. */
export class RetryConflictError extends Error {
  override name = 'RetryConflictError';
}

/** A request an HTTP API refuses with 400: `code` is the stable machine-readable part, `message` names the problem. */
/** A replay of that id is recorded already: a replay is recorded once, before its messages are sent. */
export class ReplayConflictError extends Error {
  override name = 'ReplayConflictError';
}

export class BadRequestError extends Error {
  override name = 'BadRequestError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The caller may not have what it asks for (its token does not name the user it asks about): 403. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

/** What an HTTP request asks for does not exist: 404. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
