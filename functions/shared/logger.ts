import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per process; handlers append the ingestion id as a persistent key. */
export const logger = new Logger({ serviceName: 'landing-etl' });
