import postgres from 'postgres';
import { z } from 'zod';
import { readConfig } from './config';

const config = readConfig({
  DATABASE_URL: z.string().min(1),
  DB_POOL_MAX: z.coerce.number().int().positive().default(4),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
});

/** The one module that owns the Postgres connection. `prepare: false` keeps it usable through RDS Proxy. */
export const sql = postgres(config.DATABASE_URL, {
  max: config.DB_POOL_MAX,
  prepare: false,
  idle_timeout: 60,
  connect_timeout: 5,
  connection: { statement_timeout: config.DB_STATEMENT_TIMEOUT_MS, application_name: 'landing-etl-query' },
  types: { numeric: { to: 1700, from: [1700], serialize: String, parse: Number } },
});
