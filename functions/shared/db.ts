import postgres from 'postgres';
import * as z from 'zod/mini';
import { readConfig } from './config';
import { secretCredentials, urlCredentials, type ConnectionTarget, type CredentialSource } from './db-credentials';
import { ConfigError, DatabaseUnavailableError, SecretReadError } from './errors';

/** The one module that owns the serving database's connection pool. */

export type Sql = postgres.Sql;

export interface PoolSettings {
  poolMax: number;
  statementTimeoutMs: number;
  /** How long a request keeps trying to connect (one attempt waits as long, refused ones are retried until then):
   *  long enough for a paused Aurora Serverless v2 instance to resume (DB_CONNECT_BUDGET_MS below). */
  connectBudgetMs: number;
  /** `verify-full`: TLS, and the server's certificate must chain to a trusted CA and name the host (on AWS);
   *  `require`: TLS without verifying the server (the local stack's self-signed server). */
  sslMode: SslMode;
}

export const SSL_MODES = ['verify-full', 'require'] as const;
export type SslMode = (typeof SSL_MODES)[number];

// Connection failures raised by Node or by postgres.js itself rather than by the server.
const CLIENT_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);
// SQLSTATE classes 08 connection exception, 28 invalid authorization, 53 insufficient resources, 57 operator
// intervention (57014 = statement timeout, 57P01-3 = shutting down / starting up).
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '28', '53', '57']);
const AUTH_FAILURES = new Set(['28P01', '28000']);
// A connection that died while idle in the pool; postgres.js opens a new one for the next query.
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'CONNECTION_CLOSED', '57P01']);
// A server that is not (yet) taking connections: refused, reset or closed before it answered, the connect timed out,
// or PostgreSQL "cannot_connect_now" (57P03: starting up). A paused Aurora instance resumes on the first attempt.
const NOT_YET_CONNECTABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT', 'ETIMEDOUT', '57P03']);
/** Retry-After of a 503 when no connection could be made within the budget: a resume from a pause of more than a
 *  day takes longer than the budget; the rest of it. */
export const RESUME_RETRY_AFTER_SECONDS = 15;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const errorCode = (e: unknown): string =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '';

function isUnavailable(e: unknown): boolean {
  if (e instanceof SecretReadError) return true;
  const code = errorCode(e);
  if (e instanceof postgres.PostgresError) return UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2));
  return CLIENT_CONNECTION_CODES.has(code);
}

function classify(e: unknown, retryAfterSeconds?: number): unknown {
  if (e instanceof DatabaseUnavailableError || !isUnavailable(e)) return e;
  const code = errorCode(e);
  return new DatabaseUnavailableError(`${code ? `${code}: ` : ''}${(e as Error).message}`, { cause: e, retryAfterSeconds });
}

export class Database {
  private pool: Promise<Sql> | undefined;
  private current: Sql | undefined;
  private credentialsStale = false;

  constructor(
    private readonly credentials: CredentialSource,
    private readonly settings: PoolSettings,
  ) {}

  /** Runs a read-only `query` on the pool. A refused password re-reads the credentials once (a rotation) and
   *  retries; a pooled connection the server already closed (a restart, a failover, a proxy's idle timeout) is
   *  retried once on a fresh one; a server that does not take connections yet (a paused Aurora instance resuming)
   *  is tried again until the connect budget is spent. Failures that mean "the database cannot answer now" become
   *  DatabaseUnavailableError. */
  async run<T>(query: (sql: Sql) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.settings.connectBudgetMs;
    let credentialsReread = false;
    let reconnected = false;
    for (let pause = 100; ; pause = Math.min(pause * 2, 1_000)) {
      const sql = await this.connection();
      try {
        return await this.within(sql, query(sql), deadline + this.settings.statementTimeoutMs);
      } catch (e) {
        const code = errorCode(e);
        if (AUTH_FAILURES.has(code) && !credentialsReread) {
          credentialsReread = true;
          this.discard(sql);
        } else if (STALE_CONNECTION.has(code) && !reconnected) {
          reconnected = true;
        } else if (NOT_YET_CONNECTABLE.has(code)) {
          if (Date.now() + pause >= deadline) throw classify(e, RESUME_RETRY_AFTER_SECONDS);
          await sleep(pause);
        } else {
          throw classify(e);
        }
      }
    }
  }

  /** `pending` or, past `deadline`, DatabaseUnavailableError. postgres.js keeps a query queued while it reconnects
   *  to a server that closes connections before they are ready, with no timeout of its own: past the connect budget
   *  and a statement's time, the pool is dropped (its queued queries with it) and the next request starts afresh. */
  private async within<T>(sql: Sql, pending: Promise<T>, deadline: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (this.current === sql) this.pool = this.current = undefined;
        void sql.end({ timeout: 0 }).catch(() => {});
        reject(new DatabaseUnavailableError('no connection within the connect budget', { retryAfterSeconds: RESUME_RETRY_AFTER_SECONDS }));
      }, Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([pending, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  async end(): Promise<void> {
    const sql = this.current;
    this.pool = this.current = undefined;
    await sql?.end({ timeout: 5 });
  }

  private async connection(): Promise<Sql> {
    if (!this.pool) {
      const fresh = this.credentialsStale;
      this.credentialsStale = false;
      const pool = this.credentials.read(fresh).then((target) => (this.current = this.createPool(target)));
      // A failed credentials read is not kept: the next request tries again.
      pool.catch(() => {
        if (this.pool === pool) this.pool = undefined;
      });
      this.pool = pool;
    }
    try {
      return await this.pool;
    } catch (e) {
      throw classify(e);
    }
  }

  /** Drops a pool whose credentials were refused so the next connection re-reads them, unless a concurrent request
   *  already replaced it. */
  private discard(failed: Sql): void {
    if (this.current !== failed) return;
    this.pool = this.current = undefined;
    this.credentialsStale = true;
    void failed.end({ timeout: 5 });
  }

  private createPool(target: ConnectionTarget): Sql {
    const options = {
      max: this.settings.poolMax,
      // Unnamed statements only: RDS Proxy multiplexes connections, server-side prepared statements would pin them.
      prepare: false,
      fetch_types: false,
      idle_timeout: 60,
      // postgres.js takes whole seconds; one attempt may wait the whole budget (a server that holds the connection).
      connect_timeout: Math.max(1, Math.floor(this.settings.connectBudgetMs / 1000)),
      connection: { statement_timeout: this.settings.statementTimeoutMs, application_name: 'landing-etl-query' },
      onnotice: () => {},
    };
    if ('url' in target) return postgres(target.url, options);
    return postgres({
      ...options,
      host: target.host,
      port: target.port,
      user: target.username,
      password: target.password,
      database: target.database,
      // postgres.js: 'verify-full' is Node's TLS with its checks (CA, host name); 'require' skips them.
      ssl: this.settings.sslMode,
    });
  }
}

const positiveInt = (fallback: number) =>
  z._default(z.coerce.number().check(z.refine(Number.isInteger, 'must be an integer'), z.minimum(1)), fallback);

const envShape = {
  DATABASE_URL: z.optional(z.string()),
  DB_SECRET_ARN: z.optional(z.string()),
  DB_HOST: z.optional(z.string()),
  // A Lambda container serves one request at a time: two connections are plenty and spare RDS Proxy / Aurora.
  DB_POOL_MAX: positiveInt(2),
  DB_STATEMENT_TIMEOUT_MS: positiveInt(3000),
  // A paused Aurora Serverless v2 instance resumes when a connection arrives, in about 15 s, longer after more than a
  // day paused ("Scaling to Zero ACUs with automatic pause and resume for Aurora Serverless v2"; AWS Database Blog,
  // "Introducing scaling to 0 capacity with Amazon Aurora Serverless v2": "up to 15 seconds"). 20 s covers the
  // usual resume and stays inside API Gateway's 30 s integration timeout with the statement timeout (serverless.yml).
  DB_CONNECT_BUDGET_MS: positiveInt(20_000),
  DB_SSL_MODE: z._default(z.enum(SSL_MODES), 'verify-full'),
  AWS_REGION: z.optional(z.string()),
};

/** Builds the pool's configuration from the environment: DATABASE_URL (its own sslmode) in tests; DB_SECRET_ARN
 *  (+ DB_HOST) on AWS, with DB_SSL_MODE (default verify-full). Nothing connects until the first query. */
export function databaseFromEnv(env: NodeJS.ProcessEnv = process.env): Database {
  const c = readConfig(envShape, env);
  const settings = { poolMax: c.DB_POOL_MAX, statementTimeoutMs: c.DB_STATEMENT_TIMEOUT_MS, connectBudgetMs: c.DB_CONNECT_BUDGET_MS, sslMode: c.DB_SSL_MODE };
  if (c.DATABASE_URL) return new Database(urlCredentials(c.DATABASE_URL), settings);
  if (!c.DB_SECRET_ARN) throw new ConfigError('invalid configuration: set DATABASE_URL or DB_SECRET_ARN');
  // The Secrets Manager client takes its credentials from the SDK's chain (on Lambda, the role's) but needs a region.
  if (!c.AWS_REGION) throw new ConfigError('invalid configuration: DB_SECRET_ARN needs AWS_REGION');
  return new Database(secretCredentials(c.DB_SECRET_ARN, c.DB_HOST), settings);
}
